//! Input: opens the INPUT arguments (`lines.rs` streams their lines) and
//! turns each URL line into a `Job` (`job.rs`), the unit of work that the
//! queue carries to the workers; `Selection` says which jobs this run
//! checks (`shard.rs` for `--shard`, `resume.rs` for `--resume`).
//! `records.rs` reads urlcheck's own JSON Lines back, and `merge.rs` checks
//! that records replayed together make one whole run.

pub(crate) mod documents;
mod job;
pub(crate) mod lines;
pub(crate) mod merge;
pub(crate) mod records;
pub(crate) mod resume;
pub(crate) mod shard;
pub(crate) mod sitemaps;

pub(crate) use job::{Awaited, Job, job_from_line, line_key};

use std::io;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufRead, BufReader};

use crate::config::{ConfigCheck, InputFormat, InputSpec, Sites};
use crate::results::Source;
use lines::{LineReader, READ_BUFFER};

/// Which jobs this run checks: those of its `--shard`, less those that
/// the `--resume` file already has.
#[derive(Debug, Default)]
pub(crate) struct Selection {
    pub(crate) shard: Option<crate::config::Shard>,
    pub(crate) done: Option<resume::AlreadyChecked>,
}

impl Selection {
    /// Whether a line whose shard key is `key` is another shard's: such a
    /// line is skipped before its job is built.
    pub(crate) fn other_shard(&self, key: Option<u64>) -> bool {
        matches!((self.shard, key), (Some(shard), Some(key)) if !shard.holds(key))
    }

    /// Whether to check `job`; an error when the resume file does not match
    /// the inputs.
    pub(crate) fn wants(&mut self, job: &Job) -> Result<bool, String> {
        if let Some(shard) = self.shard
            && !shard.holds(job.key)
        {
            return Ok(false);
        }
        match &mut self.done {
            Some(done) => done.take(job).map(|done| !done),
            None => Ok(true),
        }
    }
}

/// One opened INPUT.
pub(crate) enum Input {
    /// A URL given as an argument.
    Arg(String),
    /// A `[[check]]` of the config file.
    Check(ConfigCheck),
    /// A stream of lines: a file or stdin.
    Lines {
        source: Source,
        reader: LineReader<Box<dyn AsyncBufRead + Send + Unpin>>,
    },
    /// A Markdown or HTML document: the links in it.
    Document(documents::Document),
    /// A sitemap, a sitemap index, a robots.txt or a site's root: its pages.
    Sitemap(sitemaps::SitemapSource),
}

/// Open every input before any check runs, so that a missing or unreadable
/// path is an error up front (exit 2), naming the path.
pub(crate) async fn open_inputs(specs: &[InputSpec], sites: &Sites) -> anyhow::Result<Vec<Input>> {
    let mut inputs = Vec::with_capacity(specs.len());
    for spec in specs {
        let kind = sites.kind_of(spec);
        let input = match (spec, kind) {
            (InputSpec::Url(url), _) => Input::Arg(url.clone()),
            (InputSpec::File(path), InputFormat::Markdown | InputFormat::Html) => {
                open_file(path).await?;
                Input::Document(documents::Document {
                    path: path.clone(),
                    markdown: kind == InputFormat::Markdown,
                })
            }
            (InputSpec::File(path), InputFormat::Sitemap) => {
                open_file(path).await?;
                Input::Sitemap(sitemaps::SitemapSource::File(path.clone()))
            }
            (InputSpec::Stdin, InputFormat::Sitemap) => {
                Input::Sitemap(sitemaps::SitemapSource::Stdin)
            }
            (InputSpec::Stdin, InputFormat::Markdown | InputFormat::Html) => {
                bail!("a document is read from a file: give its path, not -")
            }
            (InputSpec::Stdin, InputFormat::List) => Input::Lines {
                source: Source::Stdin,
                reader: LineReader::new(Box::new(BufReader::with_capacity(
                    READ_BUFFER,
                    tokio::io::stdin(),
                ))),
            },
            (InputSpec::File(path), InputFormat::List) => Input::Lines {
                source: Source::File(Arc::from(path.display().to_string())),
                reader: LineReader::new(Box::new(BufReader::with_capacity(
                    READ_BUFFER,
                    open_file(path).await?,
                ))),
            },
        };
        inputs.push(input);
    }
    for source in &sites.sitemaps {
        inputs.push(Input::Sitemap(sitemaps::SitemapSource::parse(source)?));
    }
    Ok(inputs)
}

async fn open_file(path: &Path) -> anyhow::Result<tokio::fs::File> {
    // A mistyped URL given as an argument lands here: keep its password out.
    let shown = crate::target::mask_password(&path.to_string_lossy()).into_owned();
    let file = tokio::fs::File::open(path).await.map_err(|e| {
        // The OS's reason goes with the file, before any hint about URLs.
        let hint = if e.kind() == io::ErrorKind::NotFound && looks_like_host(path) {
            let url = crate::target::with_scheme(&shown);
            format!("; to check a URL, give its scheme: {url}")
        } else {
            String::new()
        };
        anyhow::anyhow!("cannot open input file '{shown}': {e}{hint}")
    })?;
    let meta = file
        .metadata()
        .await
        .with_context(|| format!("cannot read input file '{shown}'"))?;
    if meta.is_dir() {
        bail!("input '{shown}' is a directory; give a file with one URL per line");
    }
    Ok(file)
}

fn looks_like_host(path: &Path) -> bool {
    let Some(s) = path.to_str() else {
        return false;
    };
    if s.ends_with(".txt") || s.starts_with(['.', '/']) {
        return false;
    }
    // HOST, HOST:PORT or either followed by a path: `example.com`,
    // `localhost:3000`, `127.0.0.1:8001/health`.
    let first = s.split('/').next().unwrap_or_default();
    let (host, port) = match first.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (first, None),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    port_ok && !host.is_empty() && (host.contains('.') || host == "localhost" || port.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_file_and_directory_are_errors_naming_the_path() {
        let open_inputs = |specs: &[InputSpec]| {
            let specs = specs.to_vec();
            async move { super::open_inputs(&specs, &Sites::default()).await }
        };
        let err = open_inputs(&[InputSpec::File("/nonexistent/urls.txt".into())])
            .await
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("/nonexistent/urls.txt"));
        let dir = tempfile::tempdir().unwrap();
        let err = open_inputs(&[InputSpec::File(dir.path().into())])
            .await
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("is a directory"));
        let err = open_inputs(&[InputSpec::File("u:secret@a.test".into())])
            .await
            .err()
            .unwrap();
        assert!(!format!("{err:#}").contains("secret"));
        let err = open_inputs(&[InputSpec::File("example.com".into())])
            .await
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("https://example.com"));
    }
}
