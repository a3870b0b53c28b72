//! `--check-fragments`: whether a page or a document has the anchor that a
//! link's `#fragment` names: an `id`, an `a name`, or for Markdown a
//! heading's slug as GitHub makes it.

use crate::links::{has_anchor, percent_decoded};
use crate::results::{Failure, FailureKind};

/// The failure of a link to `#fragment` on a page or document whose
/// anchors are `anchors`; `None` when it has it.
pub(crate) fn missing_in(anchors: &[String], fragment: &str) -> Option<Failure> {
    if has_anchor(anchors, fragment) {
        return None;
    }
    let decoded = percent_decoded(fragment);
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
