//! `--soft-404`: a page that answers 2xx but says "not found". For each
//! host, the first time one of its pages answers 2xx with HTML, urlcheck
//! asks it for a path that cannot exist, and for its root:
//!
//! - the path that cannot exist gets an error status (404, 410...), or no
//!   HTML: the host is honest, and none of its pages is suspect;
//! - it gets a 2xx page unlike the root: that page is the host's "not
//!   found" page, and a 2xx page like it (the same title, and text at least
//!   `ALIKE` similar by its similarity hash) fails with kind `soft_404`;
//! - it gets the same page as the root: the host answers every path with
//!   one page (a single-page app's shell), which only a browser running its
//!   scripts could tell apart. urlcheck says so once and fails nothing on
//!   that ground.
//!
//! The text's similarity hash (simhash) is over its words and pairs of
//! words: pages that share most of their text share most of its 64 bits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode, Url};
use tokio::sync::OnceCell;
use xxhash_rust::xxh3::xxh3_64;

use super::body::BODY_READ_LIMIT;
use super::fetch::is_html;
use crate::extract::html::title_and_text;
use crate::results::{Failure, FailureKind};

/// How alike two pages must be to be the same page: the share of the 64
/// bits of their similarity hashes that agree (58 of 64).
const ALIKE: f64 = 0.9;

/// Redirects followed from the path that cannot exist.
const MAX_REDIRECTS: u32 = 5;

/// A page reduced to what tells pages apart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fingerprint {
    title: Option<String>,
    hash: u64,
}

impl Fingerprint {
    /// The fingerprint of the HTML body of `url`. The URL's path is left
    /// out of the text: a "not found" page often repeats the path asked.
    pub(crate) fn of(url: &Url, body: &[u8]) -> Self {
        let (title, mut text) = title_and_text(body);
        let path = url.path();
        if path.len() > 1 {
            text = text.replace(path, " ");
            if let Ok(decoded) = percent_encoding::percent_decode_str(path).decode_utf8() {
                text = text.replace(decoded.as_ref(), " ");
            }
        }
        Fingerprint {
            title,
            hash: simhash(words(&text)),
        }
    }

    /// How alike the texts are, from 0 (opposite) to 1 (the same hash).
    fn similarity(&self, other: &Fingerprint) -> f64 {
        1.0 - f64::from((self.hash ^ other.hash).count_ones()) / 64.0
    }

    /// The same page: the same title, and alike text.
    fn same_page(&self, other: &Fingerprint) -> bool {
        self.title == other.title && self.similarity(other) >= ALIKE
    }
}

/// The words of `text`, lowercase.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// The 64-bit similarity hash of a text's `words`: each bit is the
/// majority vote of the hashes of its words and pairs of words.
fn simhash(words: impl Iterator<Item = String>) -> u64 {
    let words: Vec<String> = words.collect();
    let mut votes = [0i64; 64];
    let mut vote = |feature: &[u8]| {
        let hash = xxh3_64(feature);
        for (bit, count) in votes.iter_mut().enumerate() {
            *count += if hash >> bit & 1 == 1 { 1 } else { -1 };
        }
    };
    for (i, word) in words.iter().enumerate() {
        vote(word.as_bytes());
        if let Some(next) = words.get(i + 1) {
            vote(format!("{word} {next}").as_bytes());
        }
    }
    votes
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .fold(0, |hash, (bit, _)| hash | 1 << bit)
}

/// What a host answers to a path that cannot exist.
#[derive(Debug)]
enum NotFound {
    /// An error status, or no HTML: its 2xx pages are what they say.
    Honest,
    /// 2xx with this page, unlike its root.
    Page(Fingerprint),
    /// The same page as its root: one page for every path.
    OnePage,
}

/// Each host's answer to a path that cannot exist, asked once.
#[derive(Default)]
pub(crate) struct SoftNotFound {
    hosts: Mutex<HashMap<String, Arc<OnceCell<NotFound>>>>,
}

impl SoftNotFound {
    /// The failure of a 2xx HTML `page` at `url` that looks like its host's
    /// "not found" page; `None` when it does not, or cannot be told.
    pub(crate) async fn judge(
        &self,
        client: &Client,
        url: &Url,
        page: &[u8],
        timeout: Duration,
    ) -> Option<Failure> {
        let origin = url.origin().ascii_serialization();
        let cell = Arc::clone(
            self.hosts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(origin.clone())
                .or_default(),
        );
        let not_found = cell
            .get_or_init(|| learn(client, url, &origin, timeout))
            .await;
        let NotFound::Page(not_found) = not_found else {
            return None;
        };
        let this = Fingerprint::of(url, page);
        if !this.same_page(not_found) {
            return None;
        }
        let title = match &this.title {
            Some(title) => format!(", titled '{title}'"),
            None => String::new(),
        };
        Some(Failure::new(
            FailureKind::Soft404,
            format!(
                "answered 2xx with the page this host gives a path that cannot exist ({:.0}% \
                 alike{title}): a soft 404",
                this.similarity(not_found) * 100.0
            ),
        ))
    }
}

/// Ask the host of `url` for a path that cannot exist and for its root.
async fn learn(client: &Client, url: &Url, origin: &str, timeout: Duration) -> NotFound {
    let probe = format!(
        "/urlcheck-soft-404-probe-{:016x}/{:016x}.html",
        fastrand::u64(..),
        fastrand::u64(..)
    );
    let (Ok(probe), Ok(root)) = (url.join(&probe), url.join("/")) else {
        return NotFound::Honest;
    };
    let Some(body) = html_page(client, probe.clone(), timeout).await else {
        return NotFound::Honest;
    };
    let not_found = Fingerprint::of(&probe, &body);
    match html_page(client, root.clone(), timeout).await {
        Some(body) if Fingerprint::of(&root, &body).same_page(&not_found) => {
            crate::diag::warning(format_args!(
                "{origin} answers every path with the same page (a single-page app?): a page \
                 that is not there cannot be told from one that is without running its \
                 scripts, so no soft 404 is reported on it"
            ));
            NotFound::OnePage
        }
        _ => NotFound::Page(not_found),
    }
}

/// The body of `url` (redirects followed) when it answers 2xx with HTML.
async fn html_page(client: &Client, mut url: Url, timeout: Duration) -> Option<Vec<u8>> {
    let fetch = async {
        for _ in 0..=MAX_REDIRECTS {
            let mut response = client.get(url.clone()).send().await.ok()?;
            let status = response.status();
            if status.is_redirection() {
                let location = response.headers().get(LOCATION)?.to_str().ok()?;
                url = url.join(location).ok()?;
                continue;
            }
            if !status.is_success() || status == StatusCode::NO_CONTENT || !is_html(&response) {
                return None;
            }
            let mut body = Vec::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                body.extend_from_slice(&chunk);
                if body.len() >= BODY_READ_LIMIT {
                    break;
                }
            }
            return Some(body);
        }
        None
    };
    tokio::time::timeout(timeout, fetch).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str, title: &str, text: &str) -> Fingerprint {
        let url = Url::parse("https://site.test/")
            .and_then(|u| u.join(path))
            .unwrap_or_else(|e| panic!("{e}"));
        Fingerprint::of(
            &url,
            format!(
                "<html><head><title>{title}</title><script>var x = 'not text';</script></head>\
                 <body><nav>Home Blog About Contact</nav><main>{text}</main>\
                 <footer>Copyright 2026 Example Company. All rights reserved.</footer></body></html>"
            )
            .as_bytes(),
        )
    }

    #[test]
    fn the_same_template_saying_not_found_is_the_same_page() {
        let probe = page(
            "/urlcheck-soft-404-probe-1",
            "Page not found - Example",
            "Sorry, the page /urlcheck-soft-404-probe-1 could not be found.",
        );
        let missing = page(
            "/blog/old-post",
            "Page not found - Example",
            "Sorry, the page /blog/old-post could not be found.",
        );
        assert!(missing.same_page(&probe), "{}", missing.similarity(&probe));
    }

    #[test]
    fn a_real_page_on_the_same_template_is_not() {
        let probe = page(
            "/urlcheck-soft-404-probe-1",
            "Page not found - Example",
            "Sorry, the page /urlcheck-soft-404-probe-1 could not be found.",
        );
        let article = page(
            "/blog/release",
            "Our new release - Example",
            "Today we release version 2 of our product, with faster checks, a crawler and a \
             report that CI systems read. Here is what changed and how to upgrade.",
        );
        assert!(!article.same_page(&probe));
        // Even under the same title, different text is a different page.
        let same_title = page(
            "/blog/release",
            "Page not found - Example",
            "Today we release version 2 of our product, with faster checks, a crawler and a \
             report that CI systems read. Here is what changed and how to upgrade.",
        );
        assert!(
            !same_title.same_page(&probe),
            "{}",
            same_title.similarity(&probe)
        );
    }

    #[test]
    fn scripts_and_styles_are_not_text() {
        let (title, text) = title_and_text(
            b"<title> A\n  page </title><style>p{}</style><script>if (a < b) {}</script><p>words</p>",
        );
        assert_eq!(title.as_deref(), Some("A page"));
        assert_eq!(text.trim(), "words");
    }
}
