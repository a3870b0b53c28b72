//! `--check-fragments`: whether a page or a document has the anchor that a
//! link's `#fragment` names: an `id`, an `a name`, or for Markdown a
//! heading's slug as GitHub makes it.

use crate::results::{Failure, FailureKind};

/// Fragments every document has: the empty one and `top` (the HTML
/// standard scrolls to the top for them).
fn always_there(fragment: &str) -> bool {
    fragment.is_empty() || fragment.eq_ignore_ascii_case("top")
}

/// The failure of a link to `#fragment` on a page or document whose
/// anchors are `anchors`; `None` when it has it.
pub(crate) fn missing_in(anchors: &[String], fragment: &str) -> Option<Failure> {
    let decoded = percent_decoded(fragment);
    if always_there(&decoded) || anchors.iter().any(|a| *a == decoded || *a == fragment) {
        return None;
    }
    Some(Failure::new(
        FailureKind::Fragment,
        format!(
            "no anchor '{decoded}' on the page ({} anchors there)",
            anchors.len()
        ),
    ))
}

/// The failure of a link to `#fragment` on the HTML page `body`.
pub(crate) fn missing(body: &[u8], fragment: &str) -> Option<Failure> {
    missing_in(&crate::extract::html::extract(body).anchors, fragment)
}

/// `%C3%BCber` as `über`: browsers match the decoded fragment.
fn percent_decoded(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_is_found_decoded_and_top_is_always_there() {
        let anchors = vec!["intro".to_string(), "über-uns".to_string()];
        assert!(missing_in(&anchors, "intro").is_none());
        assert!(missing_in(&anchors, "%C3%BCber-uns").is_none());
        assert!(missing_in(&anchors, "top").is_none());
        let failure = missing_in(&anchors, "nope").unwrap();
        assert_eq!(failure.kind, FailureKind::Fragment);
        assert_eq!(
            failure.message,
            "no anchor 'nope' on the page (2 anchors there)"
        );
    }
}
