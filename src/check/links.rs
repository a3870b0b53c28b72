//! `--links`: the links of a page that answered 2xx with HTML, resolved
//! against the page's URL (and its `<base href>`), for the feeder's
//! frontier. `mailto:`, `tel:`, `javascript:` and `data:` links are counted,
//! not checked.

use std::sync::Arc;

use reqwest::Url;

use crate::config::LinkScope;
use crate::links::{PageLinks, has_anchor, link_key};
use crate::results::{Place, Source};

/// The links of the HTML `body` of the page `page` (shown as `shown`).
pub(crate) fn page_links(
    body: &[u8],
    page: &Url,
    shown: &Arc<str>,
    scope: LinkScope,
    fragments: bool,
) -> PageLinks {
    use crate::extract::{html, resolve};
    let extracted = html::extract(body);
    let base = extracted
        .base
        .as_deref()
        .and_then(|b| page.join(b).ok())
        .unwrap_or_else(|| page.clone());
    let mut found = PageLinks::default();
    for link in extracted.links {
        let place = Place {
            source: Source::Page(shown.clone()),
            line: Some(link.line),
            column: Some(link.column),
        };
        match resolve::resolve(&link.text, Some(&base)) {
            resolve::Resolved::Url(url) => {
                if scope == LinkScope::Internal && !same_host(&url, page) {
                    found.skipped.external += 1;
                    continue;
                }
                found.links.push((link_key(url, fragments), place));
            }
            resolve::Resolved::Skipped(scheme) => found.skipped.count(scheme),
            // A link within the page: its anchor is known here; only a
            // missing one is checked, to fail as such.
            resolve::Resolved::FragmentOnly(name)
                if fragments && !has_anchor(&extracted.anchors, &name) =>
            {
                let mut url = page.clone();
                url.set_fragment(Some(&name));
                found.links.push((url.into(), place));
            }
            resolve::Resolved::FragmentOnly(_) | resolve::Resolved::Empty => {}
            // Against a base URL nothing stays local; an invalid link is
            // checked, to be reported as such.
            resolve::Resolved::Local { path, .. } => found.links.push((path, place)),
            resolve::Resolved::Invalid(_) => found.links.push((link.text, place)),
        }
    }
    found
}

/// Whether `url` is on the host of `page`: the same name, and the same
/// port unless both use their scheme's default (`http://a` and `https://a`
/// are one site; `127.0.0.1:8080` and `127.0.0.1:9090` are two).
fn same_host(url: &Url, page: &Url) -> bool {
    url.host_str() == page.host_str() && url.port() == page.port()
}
