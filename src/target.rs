//! What one input line means: a checkable http(s) URL, nothing (blank or
//! comment), or invalid input with a message saying what is wrong. Also the
//! masking that keeps passwords in URLs out of every output.

use std::borrow::Cow;

use reqwest::Url;

/// Lines longer than this are not URLs anyone means to check; they are
/// reported, not parsed (and the reader never holds more than this of them).
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// What an input line holds, after trimming and stripping comments.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// Blank or a `#` comment: no record.
    Skip,
    /// A URL candidate, trimmed, comment removed.
    Url(&'a str),
}

/// Trim whitespace and comments: `#` at the start of a line, or after
/// whitespace (`https://a.test/  # staging`). A `#` inside a URL is a fragment.
pub fn strip_line(raw: &str) -> Line<'_> {
    let text = raw.trim_start_matches('\u{feff}').trim();
    if text.is_empty() || text.starts_with('#') {
        return Line::Skip;
    }
    let end = text
        .char_indices()
        .find(|&(i, c)| c == '#' && text[..i].ends_with(char::is_whitespace))
        .map_or(text.len(), |(i, _)| i);
    Line::Url(text[..end].trim_end())
}

/// Schemes that are URLs, just not ones urlcheck checks; anything else before
/// a colon without `//` (`example.com:8080`) is taken for a host.
const OTHER_SCHEMES: &[&str] = &[
    "ftp",
    "ftps",
    "sftp",
    "file",
    "mailto",
    "javascript",
    "data",
    "tel",
    "ws",
    "wss",
    "ssh",
    "git",
    "about",
    "blob",
    "irc",
];

/// Parse a URL candidate; the error is the message for an invalid_input record.
pub fn parse_target(text: &str) -> Result<Url, String> {
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| c.is_control()) {
        return Err(format!(
            "contains a control character (U+{:04X}) at column {}",
            c as u32,
            text[..i].chars().count() + 1
        ));
    }
    if let Some(i) = text.find(char::is_whitespace) {
        return Err(format!(
            "contains a space at column {}; encode spaces in URLs as %20",
            text[..i].chars().count() + 1
        ));
    }
    let scheme = text.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    let has_authority = text.contains("://");
    match scheme.as_deref() {
        Some("http" | "https") => {}
        Some(s) if has_authority || OTHER_SCHEMES.contains(&s) => {
            return Err(format!(
                "unsupported scheme '{s}:'; only http and https URLs are checked"
            ));
        }
        _ => {
            let suggestion = format!("https://{text}");
            return Err(format!(
                "missing scheme; did you mean {}?",
                mask_password(&suggestion)
            ));
        }
    }
    let url = Url::parse(text).map_err(|e| format!("not a valid URL: {e}"))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    Ok(url)
}

/// The text of a URL with its password, if any, shown as `***`. Works on raw
/// text, so it also covers lines that are not valid URLs.
pub fn mask_password(text: &str) -> Cow<'_, str> {
    // Without a scheme (`user:pw@host`), the authority starts the text.
    let authority_start = text.find("://").map_or(0, |i| i + 3);
    let rest = &text[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let Some(at) = authority.rfind('@') else {
        return Cow::Borrowed(text);
    };
    let Some(colon) = authority[..at].find(':') else {
        return Cow::Borrowed(text);
    };
    let password_start = authority_start + colon + 1;
    let password_end = authority_start + at;
    Cow::Owned(format!(
        "{}***{}",
        &text[..password_start],
        &text[password_end..]
    ))
}

/// A parsed URL for display, password masked.
pub fn display_url(url: &Url) -> String {
    if url.password().is_some() {
        let mut masked = url.clone();
        // Cannot fail: the URL already has a password, so it can carry one.
        let _ = masked.set_password(Some("***"));
        masked.to_string()
    } else {
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_blanks_comments_and_whitespace() {
        assert_eq!(strip_line(""), Line::Skip);
        assert_eq!(strip_line("   \t"), Line::Skip);
        assert_eq!(strip_line("# a comment"), Line::Skip);
        assert_eq!(strip_line("   # indented comment"), Line::Skip);
        assert_eq!(strip_line("\u{feff}# bom then comment"), Line::Skip);
        assert_eq!(
            strip_line("  https://a.test/  "),
            Line::Url("https://a.test/")
        );
        assert_eq!(
            strip_line("https://a.test/ # staging"),
            Line::Url("https://a.test/")
        );
        assert_eq!(
            strip_line("https://a.test/\t#x"),
            Line::Url("https://a.test/")
        );
        assert_eq!(
            strip_line("https://a.test/#fragment"),
            Line::Url("https://a.test/#fragment")
        );
        assert_eq!(
            strip_line("\u{feff}https://a.test/"),
            Line::Url("https://a.test/")
        );
    }

    #[test]
    fn accepts_http_and_https() {
        assert_eq!(
            parse_target("https://a.test/x").unwrap().as_str(),
            "https://a.test/x"
        );
        assert_eq!(
            parse_target("HTTP://A.test").unwrap().as_str(),
            "http://a.test/"
        );
        assert!(parse_target("http://127.0.0.1:8080/health?x=1").is_ok());
        assert!(parse_target("http://[::1]:8080/").is_ok());
        assert_eq!(
            parse_target("https://bücher.example/").unwrap().host_str(),
            Some("xn--bcher-kva.example")
        );
    }

    #[test]
    fn suggests_a_scheme_for_bare_hosts() {
        assert_eq!(
            parse_target("example.com").unwrap_err(),
            "missing scheme; did you mean https://example.com?"
        );
        assert!(
            parse_target("localhost:8080/x")
                .unwrap_err()
                .contains("https://localhost:8080/x")
        );
        assert!(
            parse_target("/just/a/path")
                .unwrap_err()
                .starts_with("missing scheme")
        );
    }

    #[test]
    fn rejects_other_schemes() {
        for url in [
            "ftp://a.test/",
            "file:///etc/passwd",
            "mailto:a@b.test",
            "javascript:alert(1)",
            "data:text/plain,hi",
            "gopher://a.test/",
        ] {
            let err = parse_target(url).unwrap_err();
            assert!(err.starts_with("unsupported scheme"), "{url}: {err}");
        }
    }

    #[test]
    fn rejects_malformed_urls() {
        assert!(
            parse_target("http://")
                .unwrap_err()
                .contains("not a valid URL")
        );
        assert!(parse_target("https://a.test:99999/").is_err());
        assert!(
            parse_target("https://a test/")
                .unwrap_err()
                .contains("column 10")
        );
        assert!(
            parse_target("https://a.test/\u{0}")
                .unwrap_err()
                .contains("U+0000")
        );
    }

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_password("https://user:secret@a.test/p"),
            "https://user:***@a.test/p"
        );
        assert_eq!(
            mask_password("https://user@a.test/"),
            "https://user@a.test/"
        );
        assert_eq!(
            mask_password("https://a.test/?q=a:b@c"),
            "https://a.test/?q=a:b@c"
        );
        assert_eq!(
            mask_password("https://u:p@ss@a.test"),
            "https://u:***@a.test"
        );
        assert_eq!(mask_password("u:secret@host/x"), "u:***@host/x");
        assert_eq!(mask_password("localhost:8080/x"), "localhost:8080/x");
        let url = Url::parse("https://user:secret@a.test/p").unwrap();
        assert_eq!(display_url(&url), "https://user:***@a.test/p");
        assert!(
            !parse_target("u:secret@a.test")
                .unwrap_err()
                .contains("secret")
        );
    }
}
