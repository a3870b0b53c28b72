//! Text for people. Text from the network or the input is untrusted: escape
//! control characters (and bidirectional overrides) before it reaches a
//! terminal or a CSV file. Durations are shown short: `12 ms`, `1.50 s`.

use std::borrow::Cow;
use std::fmt::Write;
use std::time::Duration;

/// Characters that could move the cursor, ring the bell, change colours or
/// reorder what the reader sees.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character written as a visible escape such as
/// `\n` or `\u{1b}`; borrowed when there is nothing to escape.
pub(crate) fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `12 ms`, `1.50 s`, `95 s`: short, and readable at a glance.
pub(crate) fn format_elapsed(elapsed: Duration) -> String {
    let ms = elapsed.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.2} s", elapsed.as_secs_f64())
    } else {
        format!("{:.0} s", elapsed.as_secs_f64())
    }
}

/// `0.63 ms`, `8.96 ms`, `12.1 ms`, `123 ms`, `1.50 s`: a phase of a check,
/// to three significant digits below a second.
pub(crate) fn format_phase(took: Duration) -> String {
    let ms = took.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format_elapsed(took)
    }
}

/// `3h 12m`, `5m 3s`, `42s`, `2d 4h`: how long a state lasted, in its two
/// largest units.
pub(crate) fn format_span(span: Duration) -> String {
    let secs = span.as_secs();
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else if s > 0 {
        format!("{s}s")
    } else {
        format!("{}ms", span.as_millis())
    }
}

/// `200`, or `---` when no response arrived: the status column of every
/// human-readable table.
pub(crate) fn format_status(status: Option<u16>) -> String {
    status.map_or_else(|| "---".to_string(), |s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_show_their_two_largest_units() {
        assert_eq!(
            format_span(Duration::from_secs(3 * 3600 + 12 * 60 + 5)),
            "3h 12m"
        );
        assert_eq!(format_span(Duration::from_secs(5 * 60 + 3)), "5m 3s");
        assert_eq!(format_span(Duration::from_secs(42)), "42s");
        assert_eq!(
            format_span(Duration::from_secs(2 * 86_400 + 4 * 3600)),
            "2d 4h"
        );
        assert_eq!(format_span(Duration::from_millis(350)), "350ms");
    }

    #[test]
    fn elapsed_is_short() {
        assert_eq!(format_elapsed(Duration::from_micros(400)), "0 ms");
        assert_eq!(format_elapsed(Duration::from_millis(999)), "999 ms");
        assert_eq!(format_elapsed(Duration::from_millis(1500)), "1.50 s");
        assert_eq!(format_elapsed(Duration::from_secs(95)), "95 s");
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            escape_control("https://a.test/ü"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape_control("bell\x07"), "bell\\u{7}");
        assert_eq!(escape_control("x\r\ny\t"), "x\\r\\ny\\t");
        assert_eq!(escape_control("nul\0"), "nul\\u{0}");
        assert_eq!(escape_control("del\x7f c1\u{9b}"), "del\\u{7f} c1\\u{9b}");
        assert_eq!(escape_control("rtl\u{202e}txt"), "rtl\\u{202e}txt");
    }

    #[test]
    fn escaped_text_has_no_raw_controls() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!escape_control(&all).chars().any(is_unsafe));
    }
}
