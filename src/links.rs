//! Links found in a document or on a page, resolved to what is checked:
//! what the feeder's frontier takes (`run/frontier.rs`), and what was left
//! out and why, for the summary.

use reqwest::Url;

use crate::results::Place;

/// The links found in one document or on one page.
#[derive(Debug, Default)]
pub(crate) struct PageLinks {
    /// Each link's URL (without its fragment, unless fragments are
    /// checked) and where on the page it is.
    pub(crate) links: Vec<(String, Place)>,
    /// Links not checked, by scheme.
    pub(crate) skipped: Skipped,
}

/// Links found and not checked, by why.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub(crate) mailto: u64,
    pub(crate) tel: u64,
    pub(crate) javascript: u64,
    pub(crate) data: u64,
    /// Other schemes (ftp:, irc:, ...).
    pub(crate) other: u64,
    /// With `--links internal`: links to other hosts.
    pub(crate) external: u64,
}

impl Skipped {
    /// One more link of `scheme` not checked.
    pub(crate) fn count(&mut self, scheme: &str) {
        match scheme {
            "mailto" => self.mailto += 1,
            "tel" => self.tel += 1,
            "javascript" => self.javascript += 1,
            "data" => self.data += 1,
            _ => self.other += 1,
        }
    }

    pub(crate) fn add(&mut self, other: Skipped) {
        self.mailto += other.mailto;
        self.tel += other.tel;
        self.javascript += other.javascript;
        self.data += other.data;
        self.other += other.other;
        self.external += other.external;
    }

    /// `12 mailto, 3 tel`: what was left out, for the summary.
    pub(crate) fn describe(&self) -> Option<String> {
        let parts: Vec<String> = [
            (self.mailto, "mailto:"),
            (self.tel, "tel:"),
            (self.javascript, "javascript:"),
            (self.data, "data:"),
            (self.other, "other schemes"),
            (self.external, "to other hosts (--links internal)"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// The key a found URL is checked under: the URL without its fragment,
/// unless fragments are checked.
pub(crate) fn link_key(mut url: Url, fragments: bool) -> String {
    if !fragments || url.fragment().is_some_and(str::is_empty) {
        url.set_fragment(None);
    }
    url.into()
}
