//! `--sitemap`: pages from sitemaps. A sitemap (`<urlset>`) gives pages; a
//! sitemap index (`<sitemapindex>`) gives sitemaps, followed to a bounded
//! depth and count, each read once; a robots.txt gives the sitemaps on its
//! `Sitemap:` lines; a site's root URL is looked up through `/robots.txt`,
//! then `/sitemap.xml`. A sitemap is read as a stream (gzip decoded on the
//! way, by its first bytes, whatever its name or headers say), so one at
//! the protocol's limits (50,000 URLs, 50 MB) is never held whole.
//!
//! A sitemap that cannot be read (not found, not a sitemap, cut short)
//! gets a record of its own, kind `sitemap`, and the others go on.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;
use futures_util::TryStreamExt;
use reqwest::Url;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::extract::sitemap::{Kind, SitemapReader, robots_sitemaps};
use crate::results::{CheckResult, Failure, FailureKind, Origin, Source};

/// How deep sitemap indexes are followed: an index of indexes of sitemaps
/// is depth 2.
pub(crate) const MAX_DEPTH: usize = 4;

/// The most sitemaps one run reads (the protocol allows 50,000 in an index).
pub(crate) const MAX_SITEMAPS: usize = 50_000;

/// The most of a sitemap read, decoded: the protocol's 50 MB, and room.
const MAX_SITEMAP_BYTES: u64 = 100 * 1024 * 1024;

/// The most of a robots.txt read.
const MAX_ROBOTS_BYTES: u64 = 512 * 1024;

/// Where a sitemap is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SitemapSource {
    /// A sitemap, index or robots.txt at a URL.
    Url(Url),
    /// A site's root: its robots.txt, else its /sitemap.xml.
    Site(Url),
    /// A local file.
    File(PathBuf),
    /// Standard input.
    Stdin,
}

impl SitemapSource {
    /// `--sitemap`'s value: `-`, a URL (a root URL is a site), or a file.
    pub(crate) fn parse(text: &str) -> anyhow::Result<Self> {
        if text == "-" {
            return Ok(SitemapSource::Stdin);
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            let url = crate::target::parse_target(text)
                .map_err(|problem| anyhow::anyhow!("--sitemap {text}: {problem}"))?;
            return Ok(if url.path() == "/" && url.query().is_none() {
                SitemapSource::Site(url)
            } else {
                SitemapSource::Url(url)
            });
        }
        let path = PathBuf::from(text);
        if !path.is_file() {
            bail!("--sitemap {text}: no such file; give a sitemap's URL, a file, or -");
        }
        Ok(SitemapSource::File(path))
    }

    fn name(&self) -> String {
        match self {
            SitemapSource::Url(url) | SitemapSource::Site(url) => url.to_string(),
            SitemapSource::File(path) => path.display().to_string(),
            SitemapSource::Stdin => "-".into(),
        }
    }

    fn source(&self) -> Source {
        match self {
            SitemapSource::Url(url) | SitemapSource::Site(url) => {
                Source::Page(Arc::from(url.as_str()))
            }
            SitemapSource::File(path) => Source::File(Arc::from(path.display().to_string())),
            SitemapSource::Stdin => Source::Stdin,
        }
    }
}

/// What reading sitemaps gives next.
pub(crate) enum Item {
    /// A page: its URL as written, and where (the sitemap, its line).
    Page(String, Origin),
    /// A sitemap that could not be read: its record.
    Broken(Box<CheckResult>),
}

/// A sitemap waiting to be read: where, who named it, how deep.
struct Pending {
    source: SitemapSource,
    named_at: Origin,
    depth: usize,
}

type Body = Box<dyn AsyncBufRead + Send + Unpin>;

/// The sitemap being read.
struct Reading {
    reader: SitemapReader<Body>,
    source: Source,
    named_at: Origin,
    depth: usize,
}

/// Sitemaps read one after another, depth first, each once.
pub(crate) struct Sitemaps {
    client: reqwest::Client,
    todo: Vec<Pending>,
    seen: HashSet<String>,
    reading: Option<Reading>,
    /// Sitemaps opened so far.
    pub(crate) read: u64,
    /// Sitemaps left out: past the depth or count bound, or named twice.
    pub(crate) left_out: u64,
}

impl Sitemaps {
    /// Read `source` (and what it leads to) with `client`.
    pub(crate) fn new(source: SitemapSource, client: reqwest::Client) -> Self {
        let named_at = Origin {
            source: Source::Arg,
            line: None,
        };
        Sitemaps {
            client,
            todo: vec![Pending {
                source,
                named_at,
                depth: 0,
            }],
            seen: HashSet::new(),
            reading: None,
            read: 0,
            left_out: 0,
        }
    }

    /// The next page, or a broken sitemap's record; `None` when every
    /// sitemap has been read.
    pub(crate) async fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(reading) = &mut self.reading {
                match reading.reader.next().await {
                    Ok(Some(entry)) => {
                        let origin = Origin {
                            source: reading.source.clone(),
                            line: Some(entry.line),
                        };
                        if reading.reader.kind() == Some(Kind::Index) {
                            let depth = reading.depth + 1;
                            self.follow(&entry.loc, origin, depth);
                            continue;
                        }
                        return Some(Item::Page(entry.loc, origin));
                    }
                    Ok(None) => self.reading = None,
                    // An entry too long to read: its record, and on.
                    Err(e) if !e.is_fatal() => {
                        let at = Origin {
                            source: reading.source.clone(),
                            line: Some(e.line()),
                        };
                        let name = reading.source.name().to_string();
                        return Some(Item::Broken(Box::new(broken(
                            &name,
                            Some(&at),
                            e.to_string(),
                        ))));
                    }
                    Err(e) => {
                        let name = reading.source.name().to_string();
                        let named_at = reading.named_at.clone();
                        self.reading = None;
                        return Some(Item::Broken(Box::new(broken(
                            &name,
                            Some(&named_at),
                            e.to_string(),
                        ))));
                    }
                }
                continue;
            }
            let pending = self.todo.pop()?;
            if let Some(broken) = self.open(pending).await {
                return Some(Item::Broken(Box::new(broken)));
            }
        }
    }

    /// A sitemap named by an index or a robots.txt at `origin`.
    fn follow(&mut self, loc: &str, origin: Origin, depth: usize) {
        let Ok(url) = crate::target::parse_target(loc) else {
            self.left_out += 1;
            return;
        };
        if depth > MAX_DEPTH || self.seen.len() >= MAX_SITEMAPS {
            self.left_out += 1;
            return;
        }
        // Read in the order named: the stack is popped from the end.
        let at = self.todo.len()
            - self
                .todo
                .iter()
                .rev()
                .take_while(|p| p.depth == depth && p.named_at.source == origin.source)
                .count();
        self.todo.insert(
            at,
            Pending {
                source: SitemapSource::Url(url),
                named_at: origin,
                depth,
            },
        );
    }

    /// Start reading a sitemap; its record when it cannot be read.
    async fn open(&mut self, pending: Pending) -> Option<CheckResult> {
        let name = pending.source.name();
        if !self.seen.insert(name.clone()) {
            // A loop of indexes, or a sitemap named twice: read once.
            self.left_out += 1;
            return None;
        }
        self.read += 1;
        let body: Body = match &pending.source {
            SitemapSource::Site(root) => {
                let root = root.clone();
                return self.open_site(&root, pending).await;
            }
            SitemapSource::Url(url) if url.path().ends_with("/robots.txt") => {
                let url = url.clone();
                return self
                    .open_robots(&url, &pending.named_at, pending.depth, false)
                    .await
                    .err();
            }
            SitemapSource::Url(url) => match get(self.client.clone(), url.clone()).await {
                Ok(body) => body,
                Err(problem) => return Some(broken(&name, Some(&pending.named_at), problem)),
            },
            SitemapSource::File(path) => match tokio::fs::File::open(path).await {
                Ok(file) => Box::new(BufReader::new(file)),
                Err(e) => {
                    return Some(broken(
                        &name,
                        Some(&pending.named_at),
                        format!("cannot open: {e}"),
                    ));
                }
            },
            SitemapSource::Stdin => Box::new(BufReader::new(tokio::io::stdin())),
        };
        let body = match gunzipped(body).await {
            Ok(body) => body,
            Err(e) => return Some(broken(&name, Some(&pending.named_at), e)),
        };
        self.reading = Some(Reading {
            reader: SitemapReader::new(body),
            source: pending.source.source(),
            named_at: pending.named_at,
            depth: pending.depth,
        });
        None
    }

    /// A site's root: the sitemaps its robots.txt names, else /sitemap.xml.
    async fn open_site(&mut self, root: &Url, pending: Pending) -> Option<CheckResult> {
        let robots = root.join("/robots.txt").ok()?;
        match self
            .open_robots(&robots, &pending.named_at, pending.depth, true)
            .await
        {
            Ok(true) => None,
            Ok(false) | Err(_) => {
                let sitemap = root.join("/sitemap.xml").ok()?;
                self.todo.push(Pending {
                    source: SitemapSource::Url(sitemap),
                    named_at: pending.named_at,
                    depth: pending.depth,
                });
                None
            }
        }
    }

    /// The sitemaps a robots.txt names, queued: whether it named any. With
    /// `quiet` (a site's root), a robots.txt that cannot be read is no
    /// error: /sitemap.xml is tried next.
    async fn open_robots(
        &mut self,
        url: &Url,
        named_at: &Origin,
        depth: usize,
        quiet: bool,
    ) -> Result<bool, CheckResult> {
        let name = url.to_string();
        let fail = |problem: String| broken(&name, Some(named_at), problem);
        let mut text = String::new();
        let body = match get(self.client.clone(), url.clone()).await {
            Ok(body) => body,
            Err(_) if quiet => return Ok(false),
            Err(problem) => return Err(fail(problem)),
        };
        if let Err(e) = body.take(MAX_ROBOTS_BYTES).read_to_string(&mut text).await {
            return Err(fail(format!("cannot read robots.txt: {e}")));
        }
        let source = Source::Page(Arc::from(name.as_str()));
        let named = robots_sitemaps(&text);
        let any = !named.is_empty();
        for (loc, line) in named.into_iter().rev() {
            let origin = Origin {
                source: source.clone(),
                line: Some(line),
            };
            match crate::target::parse_target(&loc) {
                Ok(url) => self.todo.push(Pending {
                    source: SitemapSource::Url(url),
                    named_at: origin,
                    depth,
                }),
                Err(_) => self.left_out += 1,
            }
        }
        if !any && !quiet {
            return Err(fail("robots.txt has no Sitemap: line".into()));
        }
        Ok(any)
    }
}

/// GET `url` with `client`: its body as a stream, or why not. Owns what it
/// holds across its awaits, so that the feeder's future stays `Send`.
async fn get(client: reqwest::Client, url: Url) -> Result<Body, String> {
    {
        let response = client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("cannot fetch: {}", chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("status {}", status.as_u16()));
        }
        let stream = response.bytes_stream().map_err(std::io::Error::other);
        Ok(Box::new(BufReader::new(
            tokio_util::io::StreamReader::new(stream).take(MAX_SITEMAP_BYTES),
        )))
    }
}

/// An error and its causes, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        source = cause.source();
    }
    text
}

/// `body`, gunzipped if it starts as gzip does (`.xml.gz`, or a server
/// that sent `Content-Encoding: gzip` unasked).
async fn gunzipped(mut body: Body) -> Result<Body, String> {
    let head = body
        .fill_buf()
        .await
        .map_err(|e| format!("cannot read: {e}"))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let decoder = async_compression::tokio::bufread::GzipDecoder::new(body);
        return Ok(Box::new(BufReader::new(decoder.take(MAX_SITEMAP_BYTES))));
    }
    Ok(body)
}

/// The record of a sitemap that could not be read.
fn broken(name: &str, named_at: Option<&Origin>, problem: String) -> CheckResult {
    let origin = named_at.cloned().unwrap_or(Origin {
        source: Source::Arg,
        line: None,
    });
    let failure = Failure::new(FailureKind::Sitemap, problem);
    CheckResult {
        attempts: 1,
        ..CheckResult::unchecked(name.to_string(), origin, failure)
    }
}
