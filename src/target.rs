//! What a URL text means: a checkable http(s) URL, or invalid input with a
//! message saying what is wrong; and the masking that keeps passwords in URLs
//! out of every output. Shared by the input, the config file and the checks.

use std::borrow::Cow;

use reqwest::Url;

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
pub(crate) fn parse_target(text: &str) -> Result<Url, String> {
    // The common case in one pass over the bytes: an http(s) URL of
    // printable ASCII. Anything else takes the checks below.
    if text.bytes().all(|b| b.is_ascii_graphic())
        && let Some((scheme, _)) = text.split_once(':')
        && (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
    {
        return parse_http(text);
    }
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
            return Err(format!(
                "missing scheme; did you mean {}?",
                mask_password(&with_scheme(text))
            ));
        }
    }
    parse_http(text)
}

/// Parse text that starts with `http:` or `https:`.
fn parse_http(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("not a valid URL: {e}"))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    carried_by_http(&url)?;
    Ok(url)
}

/// Whether an HTTP request can carry `url`. The URL standard lets a host
/// hold characters such as `"`, `{` and `}` that a request's URI cannot,
/// and reqwest fails such a request with "Parsed Url is not a valid Uri".
/// This is reqwest's own rule (it parses the URL's text as an
/// `http::Uri`), so that the two never disagree; the message names what
/// is wrong, where it can tell.
pub(crate) fn carried_by_http(url: &Url) -> Result<(), String> {
    let Err(problem) = url.as_str().parse::<http::Uri>() else {
        return Ok(());
    };
    let host = url.host_str().unwrap_or_default();
    let odd: String = host.chars().filter(|&c| !uri_host_char(c)).collect();
    Err(if odd.is_empty() {
        format!("no HTTP request can carry this URL ({problem})")
    } else {
        format!(
            "the host '{host}' has characters no HTTP request can carry ({}); \
             check the URL for a typo",
            odd.chars()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    })
}

/// A character that a URI's host may hold (RFC 3986: unreserved,
/// sub-delims and the brackets of an IPv6 address), as `http::Uri` allows.
fn uri_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=[]:%".contains(c)
}

/// A scheme-less URL with the scheme it most likely lacks: `http://` for
/// localhost and IP addresses (development servers rarely speak TLS),
/// `https://` for everything else.
pub(crate) fn with_scheme(text: &str) -> String {
    let text = text.trim_start_matches('/');
    let authority = text.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
            _ => host_port,
        }
    };
    let host = host.to_ascii_lowercase();
    let local = host == "localhost"
        || host.ends_with(".localhost")
        || host.starts_with('[')
        || host.parse::<std::net::Ipv4Addr>().is_ok();
    let scheme = if local { "http" } else { "https" };
    format!("{scheme}://{text}")
}

/// The text of a URL with its password, if any, shown as `***`. Works on raw
/// text, so it also covers lines that are not valid URLs.
pub(crate) fn mask_password(text: &str) -> Cow<'_, str> {
    // No `@`, no login: the common case, without looking for the scheme.
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let Some(authority_start) = authority_start(text) else {
        return Cow::Borrowed(text);
    };
    let rest = &text[authority_start..];
    let authority_len = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
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

/// Where the `user:password@host` part of `text` starts, covering every
/// spelling the URL parser accepts (`http://`, `http:/`, `http:///`,
/// `http:\\`, `http:`), and text without a scheme; `None` for a scheme
/// like `mailto:` whose `@` is not a login.
fn authority_start(text: &str) -> Option<usize> {
    let scheme_len = text
        .find(':')
        .filter(|&i| {
            let scheme = &text[..i];
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
        .map(|i| i + 1);
    let Some(after_scheme) = scheme_len else {
        return Some(0);
    };
    let scheme = text[..after_scheme - 1].to_ascii_lowercase();
    let slashes = text[after_scheme..]
        .chars()
        .take_while(|&c| c == '/' || c == '\\')
        .count();
    if slashes > 0 || matches!(scheme.as_str(), "http" | "https") {
        Some(after_scheme + slashes)
    } else if OTHER_SCHEMES.contains(&scheme.as_str()) {
        None
    } else {
        // `user:password@host`: what looked like a scheme is the user name.
        Some(0)
    }
}

/// A parsed URL for display, password masked.
pub(crate) fn display_url(url: &Url) -> String {
    if url.password().is_some() {
        let mut masked = url.clone();
        // Cannot fail: the URL already has a password, so it can carry one.
        let _ = masked.set_password(Some("***"));
        masked.as_str().to_owned()
    } else {
        url.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for (bare, suggested) in [
            ("localhost:8080/x", "http://localhost:8080/x"),
            ("app.localhost", "http://app.localhost"),
            ("127.0.0.1:8001/", "http://127.0.0.1:8001/"),
            ("[::1]:8080", "http://[::1]:8080"),
            (
                "user:pw@example.com:8443/",
                "https://user:***@example.com:8443/",
            ),
            ("10.0.0.1", "http://10.0.0.1"),
        ] {
            let message = parse_target(bare).unwrap_err();
            assert_eq!(
                message,
                format!("missing scheme; did you mean {suggested}?"),
                "{bare}"
            );
        }
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
    fn a_url_no_request_can_carry_is_invalid_input() {
        // The URL standard accepts these hosts; http::Uri, and so reqwest,
        // does not.
        assert_eq!(
            parse_target("http://a{b}.test/").unwrap_err(),
            "the host 'a{b}.test' has characters no HTTP request can carry ('{' '}'); \
             check the URL for a typo"
        );
        for url in ["http://a\"b.test/", "https://a`b.test:8443/x?y"] {
            let message = parse_target(url).unwrap_err();
            assert!(message.starts_with("the host '"), "{url}: {message}");
        }
        // What a URI may carry passes: sub-delims in a host (left to DNS),
        // and what the URL parser leaves raw in a query.
        for url in [
            "http://a!b.test/",
            "http://a$&'()*+,;=b.test/",
            "http://a.test/?q={x}|^`",
            "http://[::1]:8080/p",
        ] {
            assert!(parse_target(url).is_ok(), "{url}");
        }
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

#[cfg(test)]
mod proptests {
    //! Properties over arbitrary and URL-like lines: no panics, and what a
    //! line becomes is a trimmed part of it with no password left in sight.

    use super::*;
    use proptest::prelude::*;

    use crate::testing::proptest_config as config;

    const URL_LIKE: &str = "https?://[a-z0-9.:@/?#%-]{0,40}";

    /// What `parse_target` promises for any candidate.
    fn check_target(text: &str) -> Result<(), TestCaseError> {
        match parse_target(text) {
            Ok(url) => {
                prop_assert!(matches!(url.scheme(), "http" | "https"), "{url}");
                prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()), "{url}");
                prop_assert!(!text.chars().any(|c| c.is_control() || c.is_whitespace()));
                // What is accepted, reqwest can request.
                prop_assert!(url.as_str().parse::<http::Uri>().is_ok(), "{url}");
                let shown = display_url(&url);
                if let Some(password) = url.password() {
                    prop_assert!(!shown.contains(&format!(":{password}@")), "{shown}");
                }
            }
            Err(message) => {
                prop_assert!(!message.is_empty());
                if text.chars().any(char::is_control) {
                    prop_assert!(message.contains("control character"), "{message}");
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn parse_target_never_panics(text in any::<String>()) {
            check_target(&text)?;
        }

        #[test]
        fn parse_target_on_url_like_text(text in URL_LIKE) {
            check_target(&text)?;
        }

        /// Any printable ASCII in the host: accepted only if a request
        /// can carry it.
        #[test]
        fn parse_target_on_odd_hosts(text in "https?://[!-~&&[^/?#@\\\\]]{1,20}(/[!-~]{0,10})?") {
            check_target(&text)?;
        }

        #[test]
        fn parse_target_on_near_urls(
            text in "(?i:https?|ftp|mailto|file)?:?/{0,3}[a-z0-9.:@\\[\\]%#?/ -]{0,30}",
        ) {
            check_target(&text)?;
        }

        #[test]
        fn mask_password_never_panics_and_is_idempotent(text in any::<String>()) {
            let masked = mask_password(&text);
            prop_assert_eq!(mask_password(&masked), masked.clone());
            if !text.contains('@') {
                prop_assert_eq!(masked.as_ref(), text.as_str());
            }
        }

        #[test]
        fn mask_password_never_shows_the_password(
            scheme in "[a-z][a-z0-9+.-]{0,8}",
            user in "[A-Za-z0-9._~!$&'()*+,;=-]{0,10}",
            password in "[a-z]{8}",
            host in "[a-z0-9.-]{1,20}(:[0-9]{1,5})?",
            path in "[ -~]{0,30}",
        ) {
            let mut texts = vec![format!("{scheme}://{user}:{password}@{host}/{path}")];
            // `ws:secret@host/` is a URL of scheme ws whose *user* is
            // `secret`: no password to mask.
            if !matches!(user.as_str(), "ftp" | "file" | "http" | "https" | "ws" | "wss") {
                texts.push(format!("{user}:{password}@{host}/{path}"));
            }
            for text in texts {
                let masked = mask_password(&text);
                prop_assert!(!masked.contains(&password), "{text} -> {masked}");
                prop_assert!(masked.contains(":***@"), "{text} -> {masked}");
                if let Err(message) = parse_target(&text) {
                    prop_assert!(!message.contains(&password), "{text}: {message}");
                }
            }
        }

        /// Every spelling the URL parser accepts as `http://user:pw@host/`
        /// must be masked, not only the one with two slashes.
        #[test]
        fn mask_password_covers_every_spelling_the_parser_accepts(
            scheme in "(?i:https?)",
            slashes in "[/\\\\]{0,4}",
            password in "[a-z]{8}",
        ) {
            let text = format!("{scheme}:{slashes}user:{password}@a.test/");
            if let Ok(url) = parse_target(&text) {
                prop_assert_eq!(url.password(), Some(password.as_str()));
                let masked = mask_password(&text);
                prop_assert!(!masked.contains(&password), "{text} -> {masked}");
            }
        }
    }
}
