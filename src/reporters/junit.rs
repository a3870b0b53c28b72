//! `--format junit`: a JUnit XML report, one test case per URL line, for CI
//! systems that show test results. Written at the end, because the suite's
//! counts come first in the document.
//!
//! ```text
//! <testsuite name="urlcheck" tests="2" failures="1" ...>
//!   <testcase name="https://a.test/" classname="urlcheck.urls.txt" file="urls.txt" line="3" time="0.012"/>
//!   <testcase name="https://a.test/x" classname="urlcheck.arg" time="1.500">
//!     <failure type="status" message="status 404, expected 200-299">...</failure>
//!   </testcase>
//! ```

use std::fmt::Write as _;
use std::io::{self, Write};
use std::mem;
use std::time::{Duration, SystemTime};

use super::Reporter;
use crate::results::{CheckResult, FailureKind, Origin, Source};
use crate::sanitize::escape_control;

/// Collects every result and writes the JUnit XML document at `finish`.
pub struct Junit<W> {
    out: W,
    cases: Vec<Case>,
    failures: u64,
    finished: bool,
}

/// What one test case needs, and no more: the report holds one per URL line.
struct Case {
    url: Box<str>,
    origin: Origin,
    /// Whole milliseconds are all that `time="0.012"` shows.
    elapsed_ms: u64,
    outcome: Outcome,
}

enum Outcome {
    Passed,
    /// Passed after this many attempts.
    Flaky(u32),
    /// Boxed: failures are the exception, so passing cases stay small.
    Failed(Box<FailedCase>),
}

struct FailedCase {
    kind: FailureKind,
    message: Box<str>,
    status: Option<u16>,
    final_url: Option<Box<str>>,
    attempts: u32,
}

impl<W: Write> Junit<W> {
    /// A reporter writing to `out`.
    pub fn new(out: W) -> Self {
        Junit {
            out,
            cases: Vec::new(),
            failures: 0,
            finished: false,
        }
    }

    /// Write the whole document. `started` becomes the suite's timestamp.
    fn write_document(&mut self, wall: Duration, started: Option<SystemTime>) -> io::Result<()> {
        let cases = mem::take(&mut self.cases);
        let tests = cases.len();
        let failures = self.failures;
        let time = format_seconds(wall);
        let timestamp = started
            .map(|t| format!(" timestamp=\"{}\"", humantime::format_rfc3339_seconds(t)))
            .unwrap_or_default();
        let counts = format!(
            "tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time}\""
        );
        write!(
            self.out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites name=\"urlcheck\" {counts}>\n  \
             <testsuite name=\"urlcheck\" {counts}{timestamp}>\n"
        )?;
        for case in &cases {
            self.out.write_all(format_case(case).as_bytes())?;
        }
        self.out.write_all(b"  </testsuite>\n</testsuites>\n")
    }
}

impl<W: Write + Send> Reporter for Junit<W> {
    fn report(&mut self, result: &CheckResult) -> io::Result<()> {
        let outcome = match &result.failure {
            None if result.flaky() => Outcome::Flaky(result.attempts),
            None => Outcome::Passed,
            Some(failure) => {
                self.failures += 1;
                Outcome::Failed(Box::new(FailedCase {
                    kind: failure.kind,
                    message: failure.message.as_str().into(),
                    status: result.status,
                    final_url: result.final_url.as_deref().map(Into::into),
                    attempts: result.attempts,
                }))
            }
        };
        self.cases.push(Case {
            url: result.url.as_str().into(),
            origin: result.origin.clone(),
            elapsed_ms: u64::try_from(result.elapsed.as_millis()).unwrap_or(u64::MAX),
            outcome,
        });
        Ok(())
    }

    /// Nothing is written before `finish`: a half document is no use to a CI
    /// system, so only the writer is flushed.
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self, wall: Duration) -> io::Result<()> {
        // One document per run, even if the caller finishes twice.
        if !mem::replace(&mut self.finished, true) {
            let started = SystemTime::now().checked_sub(wall);
            self.write_document(wall, started)?;
        }
        self.out.flush()
    }
}

/// One `<testcase>` element, indented, with its trailing newline.
fn format_case(case: &Case) -> String {
    let mut xml = String::with_capacity(160 + case.url.len());
    xml.push_str("    <testcase name=\"");
    push_untrusted(&mut xml, &case.url);
    xml.push_str("\" classname=\"urlcheck.");
    push_untrusted(&mut xml, case.origin.source.name());
    xml.push('"');
    if let Source::File(name) = &case.origin.source {
        xml.push_str(" file=\"");
        push_untrusted(&mut xml, name);
        xml.push('"');
    }
    if let Some(line) = case.origin.line {
        let _ = write!(xml, " line=\"{line}\"");
    }
    let _ = write!(
        xml,
        " time=\"{}\"",
        format_seconds(Duration::from_millis(case.elapsed_ms))
    );
    match &case.outcome {
        Outcome::Passed => xml.push_str("/>\n"),
        Outcome::Flaky(attempts) => {
            let _ = write!(
                xml,
                ">\n      <system-out>passed after {attempts} attempts</system-out>\n    </testcase>\n"
            );
        }
        Outcome::Failed(failed) => {
            let _ = write!(xml, ">\n      <failure type=\"{}\" message=\"", failed.kind);
            push_untrusted(&mut xml, &failed.message);
            xml.push_str("\">");
            push_xml(&mut xml, &failure_text(failed, &case.origin));
            xml.push_str("</failure>\n    </testcase>\n");
        }
    }
    xml
}

/// The failure's body: what a reader needs to act on it, one fact per line.
fn failure_text(failed: &FailedCase, origin: &Origin) -> String {
    let mut text = match failed.status {
        Some(status) => format!("status: {status}\n"),
        None => "status: none (no response)\n".to_string(),
    };
    if let Some(final_url) = &failed.final_url {
        // Escaped here, so that a newline in it cannot forge another line.
        let _ = writeln!(text, "final URL: {}", escape_control(final_url));
    }
    let _ = write!(
        text,
        "attempts: {}\nsource: {}",
        failed.attempts,
        escape_control(&origin.to_string())
    );
    text
}

/// `1.500`: seconds with three decimals, as JUnit readers expect.
fn format_seconds(duration: Duration) -> String {
    format!("{}.{:03}", duration.as_secs(), duration.subsec_millis())
}

/// Append untrusted `text` as an XML attribute value or character data.
///
/// Control characters become visible escapes such as `\u{1b}`, both because a
/// hostile server controls messages and because XML 1.0 cannot carry most of
/// them at all, not even as character references. Newlines are escaped too:
/// an attribute value would turn them into spaces, and in a failure body they
/// would let a message forge the lines after it.
fn push_untrusted(xml: &mut String, text: &str) {
    push_xml(xml, &escape_control(text));
}

/// Append `text`, whose untrusted parts are already escaped, as an XML
/// attribute value or character data.
fn push_xml(xml: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => xml.push_str("&amp;"),
            '<' => xml.push_str("&lt;"),
            '>' => xml.push_str("&gt;"),
            '"' => xml.push_str("&quot;"),
            '\'' => xml.push_str("&apos;"),
            // The non-characters U+FFFE and U+FFFF are not control
            // characters, so `escape_control` keeps them, but XML 1.0
            // forbids them as well.
            c if !is_xml_char(c) => {
                let _ = write!(xml, "\\u{{{:x}}}", c as u32);
            }
            c => xml.push(c),
        }
    }
}

/// The `Char` production of XML 1.0 (surrogates cannot occur in a `char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Failure;
    use regex::Regex;

    fn passed(url: &str, ms: u64) -> CheckResult {
        CheckResult {
            status: Some(200),
            failure: None,
            elapsed: Duration::from_millis(ms),
            final_url: Some(url.into()),
            attempts: 1,
            ..CheckResult::unchecked(
                url.into(),
                Origin {
                    source: Source::File("urls.txt".into()),
                    line: Some(3),
                },
                Failure::new(FailureKind::Dns, "unused"),
            )
        }
    }

    fn failed(url: &str, kind: FailureKind, message: &str) -> CheckResult {
        CheckResult {
            status: Some(404),
            elapsed: Duration::from_millis(1500),
            final_url: Some(format!("{url}/final")),
            attempts: 2,
            ..CheckResult::unchecked(
                url.into(),
                Origin {
                    source: Source::Arg,
                    line: None,
                },
                Failure::new(kind, message),
            )
        }
    }

    fn render(results: &[CheckResult], wall: Duration) -> String {
        let mut junit = Junit::new(Vec::new());
        for result in results {
            junit.report(result).unwrap();
        }
        junit.write_document(wall, None).unwrap();
        String::from_utf8(junit.out).unwrap()
    }

    /// The five predefined entities back to text; anything else stays.
    fn unescape(text: &str) -> String {
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    }

    /// The attributes of every element named `tag`, unescaped, in order.
    fn elements(xml: &str, tag: &str) -> Vec<Vec<(String, String)>> {
        let element =
            Regex::new(&format!(r"<{tag}((?:\s+[\w-]+=\x22[^\x22]*\x22)*)\s*/?>")).unwrap();
        let attribute = Regex::new(r#"([\w-]+)="([^"]*)""#).unwrap();
        element
            .captures_iter(xml)
            .map(|c| {
                attribute
                    .captures_iter(&c[1])
                    .map(|a| (a[1].to_string(), unescape(&a[2])))
                    .collect()
            })
            .collect()
    }

    fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
        attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Well-formed enough for our output: every `&` starts a known entity,
    /// and no character is one XML 1.0 forbids.
    fn assert_well_formed_text(xml: &str) {
        assert!(xml.chars().all(is_xml_char), "{xml:?}");
        let entity = Regex::new(r"&(amp|lt|gt|quot|apos);").unwrap();
        assert_eq!(
            xml.matches('&').count(),
            entity.find_iter(xml).count(),
            "{xml}"
        );
    }

    #[test]
    fn counts_and_one_case_per_result() {
        let xml = render(
            &[
                passed("https://a.test/", 12),
                failed("https://a.test/x", FailureKind::Status, "status 404"),
                passed("https://a.test/y", 2),
            ],
            Duration::from_millis(2345),
        );
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
        assert!(xml.ends_with("  </testsuite>\n</testsuites>\n"));
        for tag in ["testsuites", "testsuite"] {
            let suite = &elements(&xml, tag)[0];
            assert_eq!(attr(suite, "name"), Some("urlcheck"));
            assert_eq!(attr(suite, "tests"), Some("3"));
            assert_eq!(attr(suite, "failures"), Some("1"));
            assert_eq!(attr(suite, "errors"), Some("0"));
            assert_eq!(attr(suite, "skipped"), Some("0"));
            assert_eq!(attr(suite, "time"), Some("2.345"));
        }
        let cases = elements(&xml, "testcase");
        assert_eq!(cases.len(), 3);
        assert_eq!(
            cases[0],
            [
                ("name", "https://a.test/"),
                ("classname", "urlcheck.urls.txt"),
                ("file", "urls.txt"),
                ("line", "3"),
                ("time", "0.012"),
            ]
            .map(|(n, v)| (n.to_string(), v.to_string()))
        );
        // An argument has neither file nor line.
        assert_eq!(attr(&cases[1], "classname"), Some("urlcheck.arg"));
        assert_eq!(attr(&cases[1], "file"), None);
        assert_eq!(attr(&cases[1], "line"), None);
        assert_eq!(attr(&cases[1], "time"), Some("1.500"));
        assert_eq!(xml.matches("<failure ").count(), 1);
    }

    #[test]
    fn a_failure_names_kind_message_and_the_facts() {
        let xml = render(
            &[failed(
                "https://a.test/x",
                FailureKind::Status,
                "status 404, expected 200-299",
            )],
            Duration::from_secs(1),
        );
        let failure = &elements(&xml, "failure")[0];
        assert_eq!(attr(failure, "type"), Some("status"));
        assert_eq!(
            attr(failure, "message"),
            Some("status 404, expected 200-299")
        );
        assert!(
            xml.contains(
                ">status: 404\nfinal URL: https://a.test/x/final\nattempts: 2\nsource: arg</failure>\n    </testcase>\n"
            ),
            "{xml}"
        );
    }

    #[test]
    fn an_unrequested_line_says_there_was_no_response() {
        let invalid = CheckResult::unchecked(
            "example.com".into(),
            Origin {
                source: Source::Stdin,
                line: Some(4),
            },
            Failure::new(FailureKind::InvalidInput, "missing scheme"),
        );
        let xml = render(&[invalid], Duration::ZERO);
        let case = &elements(&xml, "testcase")[0];
        assert_eq!(attr(case, "classname"), Some("urlcheck.-"));
        assert_eq!(attr(case, "file"), None);
        assert_eq!(attr(case, "line"), Some("4"));
        assert_eq!(attr(case, "time"), Some("0.000"));
        assert!(
            xml.contains(">status: none (no response)\nattempts: 0\nsource: stdin:4</failure>")
        );
    }

    #[test]
    fn a_flaky_pass_passes_and_says_so() {
        let mut flaky = passed("https://a.test/", 40);
        flaky.attempts = 3;
        let xml = render(&[flaky], Duration::from_secs(1));
        assert_eq!(
            elements(&xml, "testsuite")[0][2],
            ("failures".into(), "0".into())
        );
        assert!(!xml.contains("<failure"));
        assert!(xml.contains(
            "time=\"0.040\">\n      <system-out>passed after 3 attempts</system-out>\n    </testcase>\n"
        ));
    }

    #[test]
    fn markup_characters_are_escaped_everywhere() {
        let nasty = "<a href=\"x\">&'</a>";
        let mut result = failed(
            &format!("https://a.test/?q={nasty}"),
            FailureKind::Body,
            nasty,
        );
        result.origin = Origin {
            source: Source::File("dir/<urls>&\"'.txt".into()),
            line: Some(1),
        };
        let xml = render(&[result], Duration::ZERO);
        assert_well_formed_text(&xml);
        // Only our own elements remain.
        assert!(!xml.contains("<a "));
        let case = &elements(&xml, "testcase")[0];
        assert_eq!(
            attr(case, "name"),
            Some(format!("https://a.test/?q={nasty}").as_str())
        );
        assert_eq!(attr(case, "file"), Some("dir/<urls>&\"'.txt"));
        assert_eq!(attr(case, "classname"), Some("urlcheck.dir/<urls>&\"'.txt"));
        assert_eq!(attr(&elements(&xml, "failure")[0], "message"), Some(nasty));
        assert!(xml.contains(
            "final URL: https://a.test/?q=&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;/final"
        ));
    }

    #[test]
    fn control_characters_never_reach_the_document() {
        let hostile = "a\u{1b}[31m\0b\r\nsource: forged\u{b}\u{7f}\u{9b}\u{fffe}\u{ffff}\u{202e}";
        let xml = render(
            &[failed(
                "https://a.test/\u{1b}",
                FailureKind::Protocol,
                hostile,
            )],
            Duration::ZERO,
        );
        assert_well_formed_text(&xml);
        assert!(!xml.chars().any(|c| c.is_control() && c != '\n'));
        assert_eq!(
            attr(&elements(&xml, "failure")[0], "message"),
            Some(
                "a\\u{1b}[31m\\u{0}b\\r\\nsource: forged\\u{b}\\u{7f}\\u{9b}\\u{fffe}\\u{ffff}\\u{202e}"
            )
        );
        assert_eq!(
            attr(&elements(&xml, "testcase")[0], "name"),
            Some("https://a.test/\\u{1b}")
        );
        // A message cannot add a line to the failure body.
        assert_eq!(xml.matches("source: ").count(), 2);
    }

    #[test]
    fn the_escape_keeps_plain_text_and_xml_chars() {
        let mut xml = String::new();
        push_untrusted(&mut xml, "https://a.test/ü?a=1;b=€ 😀");
        assert_eq!(xml, "https://a.test/ü?a=1;b=€ 😀");
        assert!(is_xml_char('\u{fffd}') && is_xml_char('\u{10ffff}'));
        assert!(!is_xml_char('\u{0}') && !is_xml_char('\u{1f}') && !is_xml_char('\u{ffff}'));
    }

    #[test]
    fn seconds_have_three_decimals() {
        assert_eq!(format_seconds(Duration::ZERO), "0.000");
        assert_eq!(format_seconds(Duration::from_micros(1999)), "0.001");
        assert_eq!(format_seconds(Duration::from_millis(61_005)), "61.005");
    }

    #[test]
    fn finish_writes_one_document_with_a_timestamp() {
        let mut junit = Junit::new(Vec::new());
        junit.report(&passed("https://a.test/", 1)).unwrap();
        junit.flush().unwrap();
        assert!(junit.out.is_empty(), "nothing before finish");
        junit.finish(Duration::from_secs(1)).unwrap();
        junit.finish(Duration::from_secs(1)).unwrap();
        let xml = String::from_utf8(junit.out).unwrap();
        assert_eq!(xml.matches("<?xml").count(), 1);
        let stamp = attr(&elements(&xml, "testsuite")[0], "timestamp")
            .map(str::to_string)
            .unwrap();
        assert!(
            Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
                .unwrap()
                .is_match(&stamp),
            "{stamp}"
        );
    }

    #[test]
    fn an_empty_run_is_an_empty_suite() {
        let xml = render(&[], Duration::from_millis(5));
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites name=\"urlcheck\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.005\">\n  \
             <testsuite name=\"urlcheck\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.005\">\n  \
             </testsuite>\n</testsuites>\n"
        );
    }
}
