//! Documents as input: a Markdown or HTML file is not a list of URLs but a
//! text with links. Each link is found with its line and column; a
//! relative one is a local file (resolved against the document's folder)
//! unless `--base-url` says where the documents are on a site.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use reqwest::Url;

use crate::links::{PageLinks, has_anchor, link_key};
use crate::results::{Place, Source};

/// Largest document read: larger is an input error, not memory growth.
const MAX_DOCUMENT: u64 = 64 * 1024 * 1024;

/// A document given as INPUT.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub(crate) path: PathBuf,
    /// Markdown; else HTML.
    pub(crate) markdown: bool,
}

impl Document {
    /// The source records name it by: the path as given.
    pub(crate) fn source(&self) -> Source {
        Source::File(Arc::from(self.path.display().to_string()))
    }

    /// Every link in the document, resolved: http(s) URLs, and local files
    /// as `file://` URLs.
    pub(crate) async fn links(
        &self,
        base_url: Option<&Url>,
        fragments: bool,
    ) -> anyhow::Result<PageLinks> {
        let shown = self.path.display().to_string();
        let meta = tokio::fs::metadata(&self.path)
            .await
            .with_context(|| format!("cannot read document {shown}"))?;
        if meta.len() > MAX_DOCUMENT {
            anyhow::bail!(
                "document {shown} is {} bytes, over the {MAX_DOCUMENT}-byte limit",
                meta.len()
            );
        }
        let bytes = tokio::fs::read(&self.path)
            .await
            .with_context(|| format!("cannot read document {shown}"))?;
        let document = self.clone();
        let base_url = base_url.cloned();
        tokio::task::spawn_blocking(move || document.extract(&bytes, base_url.as_ref(), fragments))
            .await
            .context("the document reader stopped unexpectedly")
    }

    fn extract(&self, bytes: &[u8], base_url: Option<&Url>, fragments: bool) -> PageLinks {
        use crate::extract::resolve::{Resolved, resolve};
        let extracted = if self.markdown {
            crate::extract::markdown::extract(&String::from_utf8_lossy(bytes))
        } else {
            crate::extract::html::extract(bytes)
        };
        // Where the document is on the site, under --base-url.
        let here = base_url.and_then(|base| base.join(&site_path(&self.path)).ok());
        let base = match (&extracted.base, &here) {
            (Some(b), Some(here)) => here.join(b).ok(),
            (Some(b), None) => Url::parse(b).ok(),
            (None, here) => here.clone(),
        };
        // A document named without a folder is in the current one.
        let parent = self.path.parent().filter(|p| !p.as_os_str().is_empty());
        let folder = Url::from_directory_path(absolute(parent.unwrap_or(Path::new("."))));
        let source = self.source();
        let mut found = PageLinks::default();
        for link in extracted.links {
            let place = Place {
                source: source.clone(),
                line: Some(link.line),
                column: Some(link.column),
            };
            match resolve(&link.text, base.as_ref()) {
                Resolved::Url(url) => found.links.push((link_key(url, fragments), place)),
                Resolved::Skipped(scheme) => found.skipped.count(scheme),
                Resolved::Local { path, fragment } => {
                    // Joined as a URL, so that `../` steps out of the folder.
                    let joined = folder
                        .as_ref()
                        .ok()
                        .and_then(|f| f.join(&escape_path(&path)).ok());
                    let Some(mut url) = joined else {
                        found.links.push((link.text, place));
                        continue;
                    };
                    if fragments {
                        url.set_fragment(fragment.as_deref());
                    }
                    found.links.push((url.into(), place));
                }
                // A link within the document: only a missing anchor is
                // checked, to fail as such.
                Resolved::FragmentOnly(name)
                    if fragments && !has_anchor(&extracted.anchors, &name) =>
                {
                    if let Ok(mut url) = Url::from_file_path(absolute(&self.path)) {
                        url.set_fragment(Some(&name));
                        found.links.push((url.into(), place));
                    }
                }
                Resolved::FragmentOnly(_) | Resolved::Empty => {}
                Resolved::Invalid(_) => found.links.push((link.text, place)),
            }
        }
        found
    }
}

/// A document's path as a URL path under `--base-url`: `docs/a.md` is
/// `docs/a.md` there, with `/` separators and no leading `./`.
fn site_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

/// A decoded path as URL text: `%`, `?` and `#` are escaped, so that they
/// stay part of the file's name.
fn escape_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23")
}

/// `path` from the current directory, for a `file://` URL.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_link_of_a_document_in_the_current_folder_is_a_local_file() {
        let document = Document {
            path: PathBuf::from("index.md"),
            markdown: true,
        };
        let found = document.extract(b"[a](docs/a.md#x) [b](../b.md)", None, true);
        let here = std::env::current_dir().unwrap();
        let url = |p: &Path| Url::from_file_path(p).unwrap();
        let mut a = url(&here.join("docs/a.md"));
        a.set_fragment(Some("x"));
        let b = url(&here.parent().unwrap().join("b.md"));
        let links: Vec<&str> = found.links.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(links, [a.as_str(), b.as_str()]);
    }

    #[test]
    fn a_link_within_the_document_is_checked_only_when_its_anchor_is_missing() {
        let document = Document {
            path: PathBuf::from("index.md"),
            markdown: true,
        };
        let text = b"# Intro\n\n[in](#intro) [top](#top) [gone](#gone)\n";
        let found = document.extract(text, None, true);
        let links: Vec<&str> = found.links.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(links.len(), 1, "{links:?}");
        assert!(links[0].ends_with("/index.md#gone"), "{links:?}");
    }
}
