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
    /// `--crawl`: the depth of the page they are on.
    pub(crate) depth: u32,
    /// The page's final URL, after redirects: where a crawl has got to.
    pub(crate) page: Option<Url>,
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

/// Fragments every document has: the empty one and `top` (the HTML
/// standard scrolls to the top for them).
fn always_there(fragment: &str) -> bool {
    fragment.is_empty() || fragment.eq_ignore_ascii_case("top")
}

/// Whether a page or document with `anchors` has the one `#fragment`
/// names, as browsers match it (percent-decoded).
pub(crate) fn has_anchor(anchors: &[String], fragment: &str) -> bool {
    let decoded = percent_decoded(fragment);
    always_there(&decoded) || anchors.iter().any(|a| *a == decoded || *a == fragment)
}

/// `%C3%BCber` as `über`: browsers match the decoded fragment.
pub(crate) fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(value as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
