//! What a found link's text means: a URL to check (joined to the page's or
//! the `<base>`'s URL), a file next to a local document, a fragment of the
//! same document, or a scheme no HTTP check applies to.

use percent_encoding::percent_decode_str;
use reqwest::Url;

/// A link's text, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// An http or https URL to check.
    Url(Url),
    /// A scheme that is not checked: "mailto", "tel", "javascript", "data",
    /// or "other" for any other absolute scheme (ftp, ssh, a custom app...).
    Skipped(&'static str),
    /// A relative link with no base URL (a local document's link), or a link
    /// resolved against a `file:` base: the path with its percent-escapes
    /// decoded (the query dropped), and the fragment, decoded too.
    Local {
        path: String,
        fragment: Option<String>,
    },
    /// `#name`: a place in the same document (percent-escapes decoded). Even
    /// under a `<base href>`, where a browser would go to the base's page:
    /// an author who writes `#name` means this page.
    FragmentOnly(String),
    /// Nothing but whitespace.
    Empty,
    /// Not a URL, and why, in words.
    Invalid(String),
}

/// Resolve `text` (as an extractor found it) against `base`, the URL of the
/// page it was on, or its `<base href>` already joined to that URL. With no
/// base, a relative link is `Local`. Whitespace around the text, and ASCII
/// tabs and newlines inside it, are dropped, as browsers do.
pub(crate) fn resolve(text: &str, base: Option<&Url>) -> Resolved {
    let text = clean(text);
    if text.is_empty() {
        return Resolved::Empty;
    }
    if let Some(fragment) = text.strip_prefix('#') {
        return Resolved::FragmentOnly(decoded(fragment));
    }
    let scheme = scheme_of(&text).map(|s| s.to_ascii_lowercase());
    match scheme.as_deref() {
        None | Some("http" | "https") => {}
        Some("mailto") => return Resolved::Skipped("mailto"),
        Some("tel") => return Resolved::Skipped("tel"),
        Some("javascript") => return Resolved::Skipped("javascript"),
        Some("data") => return Resolved::Skipped("data"),
        Some(_) => return Resolved::Skipped("other"),
    }
    let parsed = match base {
        Some(base) => base.join(&text),
        None if scheme.is_some() => Url::parse(&text),
        None if text.starts_with("//") => {
            return Resolved::Invalid(
                "a link that starts with // takes its scheme from the page's URL, and there is none"
                    .to_string(),
            );
        }
        None => return local(&text),
    };
    match parsed {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Resolved::Url(url),
        Ok(url) if url.scheme() == "file" => Resolved::Local {
            path: decoded(url.path()),
            fragment: url.fragment().map(decoded),
        },
        Ok(_) => Resolved::Skipped("other"),
        Err(e) => Resolved::Invalid(e.to_string()),
    }
}

/// Without leading and trailing C0 controls and spaces, and without the
/// ASCII tabs and newlines inside (the URL standard's first steps).
fn clean(text: &str) -> String {
    text.trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// The scheme of an absolute URL (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`
/// then `:`), if the text starts with one.
fn scheme_of(text: &str) -> Option<&str> {
    let end = text.find(':')?;
    let scheme = &text[..end];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// A relative link of a local document: its path and fragment.
fn local(text: &str) -> Resolved {
    let (rest, fragment) = match text.split_once('#') {
        Some((rest, fragment)) => (rest, Some(decoded(fragment))),
        None => (text, None),
    };
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    Resolved::Local {
        path: decoded(path),
        fragment,
    }
}

/// Percent-escapes decoded; bytes that are not UTF-8 become U+FFFD.
fn decoded(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    /// The resolved URL as text, or the whole `Resolved` for anything else.
    fn joined(text: &str, base: &str) -> String {
        match resolve(text, Some(&url(base))) {
            Resolved::Url(url) => url.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn relative_links_join_the_base() {
        let page = "https://x.test/docs/guide/index.html?q=1";
        assert_eq!(
            joined("next.html", page),
            "https://x.test/docs/guide/next.html"
        );
        assert_eq!(
            joined("../up.html#a", page),
            "https://x.test/docs/up.html#a"
        );
        assert_eq!(joined("../../../../top", page), "https://x.test/top");
        assert_eq!(joined("/root", page), "https://x.test/root");
        assert_eq!(
            joined("?p=2", page),
            "https://x.test/docs/guide/index.html?p=2"
        );
        assert_eq!(
            joined("a b.png", page),
            "https://x.test/docs/guide/a%20b.png"
        );
        assert_eq!(
            joined("https://Other.TEST:443/A", page),
            "https://other.test/A"
        );
        assert_eq!(
            joined("http:rel", "http://x.test/a/b"),
            "http://x.test/a/rel"
        );
    }

    #[test]
    fn scheme_relative_links_take_the_base_s_scheme() {
        assert_eq!(
            joined("//cdn.test/x.js", "https://x.test/a/"),
            "https://cdn.test/x.js"
        );
        assert_eq!(
            joined("//cdn.test/x.js", "http://x.test/"),
            "http://cdn.test/x.js"
        );
        assert!(matches!(
            resolve("//cdn.test/x.js", None),
            Resolved::Invalid(_)
        ));
    }

    #[test]
    fn absolute_links_need_no_base() {
        assert_eq!(
            resolve("https://x.test/a?b#c", None),
            Resolved::Url(url("https://x.test/a?b#c"))
        );
        assert_eq!(
            resolve("HTTP://X.test", None),
            Resolved::Url(url("http://x.test/"))
        );
    }

    #[test]
    fn other_schemes_are_skipped_by_name() {
        let base = url("https://x.test/");
        for (text, scheme) in [
            ("mailto:someone@x.test", "mailto"),
            ("MAILTO:someone@x.test", "mailto"),
            ("tel:+1-555-0100", "tel"),
            ("javascript:void(0)", "javascript"),
            ("  JavaScript:alert(1)", "javascript"),
            ("data:image/png;base64,iVBORw0KGgo=", "data"),
            ("ftp://files.test/a", "other"),
            ("ssh://git@x.test/r", "other"),
            ("urn:isbn:0451450523", "other"),
        ] {
            assert_eq!(resolve(text, None), Resolved::Skipped(scheme), "{text}");
            assert_eq!(
                resolve(text, Some(&base)),
                Resolved::Skipped(scheme),
                "{text}"
            );
        }
    }

    #[test]
    fn fragments_alone_stay_in_the_document() {
        let base = url("https://x.test/page");
        assert_eq!(
            resolve("#top", Some(&base)),
            Resolved::FragmentOnly("top".into())
        );
        assert_eq!(resolve("#", None), Resolved::FragmentOnly(String::new()));
        assert_eq!(
            resolve(" #%C3%BCber-uns", None),
            Resolved::FragmentOnly("über-uns".into())
        );
    }

    #[test]
    fn relative_links_without_a_base_are_local_paths() {
        assert_eq!(
            resolve("docs/My%20File.md#intro", None),
            Resolved::Local {
                path: "docs/My File.md".into(),
                fragment: Some("intro".into())
            }
        );
        assert_eq!(
            resolve("../a.html?x=1", None),
            Resolved::Local {
                path: "../a.html".into(),
                fragment: None
            }
        );
        assert_eq!(
            resolve("caf%C3%A9%FF.md", None),
            Resolved::Local {
                path: "café\u{fffd}.md".into(),
                fragment: None
            }
        );
        assert_eq!(
            resolve("guide.md", Some(&url("file:///home/me/docs/README.md"))),
            Resolved::Local {
                path: "/home/me/docs/guide.md".into(),
                fragment: None
            }
        );
    }

    #[test]
    fn whitespace_is_stripped_as_browsers_do() {
        assert_eq!(
            resolve(" \n https://x.test/a\n\tb\r\n ", None),
            Resolved::Url(url("https://x.test/ab"))
        );
        assert_eq!(resolve("", None), Resolved::Empty);
        assert_eq!(
            resolve(" \t\n ", Some(&url("https://x.test/"))),
            Resolved::Empty
        );
    }

    #[test]
    fn invalid_urls_say_why() {
        let base = url("https://x.test/");
        assert_eq!(
            resolve("https://x.test:99999/", None),
            Resolved::Invalid("invalid port number".into())
        );
        assert_eq!(
            resolve("https://", None),
            Resolved::Invalid("empty host".into())
        );
        assert_eq!(
            resolve("http://exa mple.test/", Some(&base)),
            Resolved::Invalid("invalid international domain name".into())
        );
    }
}
