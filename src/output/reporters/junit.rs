//! `--format junit`: a JUnit XML report, one test case per URL line, for CI
//! systems that show test results; the document is written by quick-junit.
//! Written at the end, because the suite's counts come first in the document.
//!
//! ```text
//! <testsuite name="urlcheck" tests="2" failures="1" ...>
//!   <testcase name="https://a.test/" classname="urlcheck.urls.txt" time="0.012" file="urls.txt" line="3"/>
//!   <testcase name="https://a.test/x" classname="urlcheck.arg" time="1.500">
//!     <failure type="status" message="status 404, expected 200-299">...</failure>
//!   </testcase>
//! ```

use std::fmt::Write as _;
use std::io::{self, Write};
use std::mem;
use std::time::{Duration, SystemTime};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::Reporter;
use crate::results::{CheckResult, FailureKind, Origin, Source};
use crate::text::escape_control;

/// The report's and the suite's name.
const NAME: &str = "urlcheck";

/// Collects every result and writes the JUnit XML document at `finish`.
pub(crate) struct Junit<W> {
    out: W,
    /// The report's and the suite's name: `urlcheck (shard 2/8)` for a shard.
    name: String,
    cases: Vec<Case>,
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
    pub(crate) fn new(out: W) -> Self {
        Junit {
            out,
            name: NAME.to_string(),
            cases: Vec::new(),
            finished: false,
        }
    }

    /// The same, naming the report and suite `name`.
    pub(crate) fn named(self, name: String) -> Self {
        Junit { name, ..self }
    }

    /// Write the whole document. `started` becomes the suite's timestamp.
    fn write_document(&mut self, wall: Duration, started: Option<SystemTime>) -> io::Result<()> {
        let mut suite = TestSuite::new(self.name.as_str());
        suite.set_time(wall);
        let timestamp = started.map(chrono::DateTime::<chrono::Utc>::from);
        if let Some(timestamp) = timestamp {
            suite.set_timestamp(timestamp);
        }
        suite.add_test_cases(mem::take(&mut self.cases).iter().map(test_case));
        let mut report = Report::new(self.name.as_str());
        report.set_time(wall);
        report.add_test_suite(suite);
        report.serialize(&mut self.out).map_err(io::Error::other)?;
        self.out.write_all(b"\n")
    }
}

impl<W: Write + Send> Reporter for Junit<W> {
    fn report(&mut self, result: &CheckResult) -> io::Result<()> {
        let outcome = match &result.failure {
            None if result.flaky() => Outcome::Flaky(result.attempts),
            None => Outcome::Passed,
            Some(failure) => Outcome::Failed(Box::new(FailedCase {
                kind: failure.kind,
                message: if result.known == Some(true) {
                    format!("known (failed in the baseline too): {}", failure.message).into()
                } else {
                    failure.message.as_str().into()
                },
                status: result.status,
                final_url: result.final_url.as_deref().map(Into::into),
                attempts: result.attempts,
            })),
        };
        self.cases.push(Case {
            url: result.url.as_str().into(),
            origin: result.origin.clone(),
            // The time spent, retries and --wait included.
            elapsed_ms: u64::try_from(result.spent.as_millis()).unwrap_or(u64::MAX),
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

/// One `<testcase>`: named by the URL, classed by its source, with the file
/// and line that CI systems link to.
fn test_case(case: &Case) -> TestCase {
    let status = match &case.outcome {
        Outcome::Passed | Outcome::Flaky(_) => TestCaseStatus::success(),
        Outcome::Failed(failed) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_type(failed.kind.as_str())
                .set_message(xml_safe(&failed.message))
                .set_description(failure_text(failed, &case.origin));
            status
        }
    };
    let mut test_case = TestCase::new(xml_safe(&case.url), status);
    test_case
        .set_classname(format!("{NAME}.{}", xml_safe(case.origin.source.name())))
        .set_time(Duration::from_millis(case.elapsed_ms));
    if let Outcome::Flaky(attempts) = case.outcome {
        test_case.set_system_out(format!("passed after {attempts} attempts"));
    }
    if let Source::File(name) = &case.origin.source {
        test_case.extra.insert("file".into(), xml_safe(name).into());
    }
    if let Some(line) = case.origin.line {
        test_case
            .extra
            .insert("line".into(), line.to_string().into());
    }
    test_case
}

/// The failure's body: what a reader needs to act on it, one fact per line.
/// Each fact is escaped, so that a newline in it cannot forge another line.
fn failure_text(failed: &FailedCase, origin: &Origin) -> String {
    let mut text = match failed.status {
        Some(status) => format!("status: {status}\n"),
        None => "status: none (no response)\n".to_string(),
    };
    if let Some(final_url) = &failed.final_url {
        let _ = writeln!(text, "final URL: {}", xml_safe(final_url));
    }
    let _ = write!(
        text,
        "attempts: {}\nsource: {}",
        failed.attempts,
        xml_safe(&origin.to_string())
    );
    text
}

/// Untrusted `text` for the document. Control characters become visible
/// escapes such as `\u{1b}`, both because a hostile server controls
/// messages and because XML 1.0 cannot carry most of them at all, not even
/// as character references (quick-junit would drop them silently). The
/// non-characters U+FFFE and U+FFFF, which XML forbids too, are escaped the
/// same way. Markup characters are left to the XML writer.
fn xml_safe(text: &str) -> String {
    let escaped = escape_control(text);
    if escaped.chars().all(is_xml_char) {
        return escaped.into_owned();
    }
    let mut safe = String::with_capacity(escaped.len() + 8);
    for c in escaped.chars() {
        if is_xml_char(c) {
            safe.push(c);
        } else {
            let _ = write!(safe, "\\u{{{:x}}}", c as u32);
        }
    }
    safe
}

/// The `Char` production of XML 1.0 (surrogates cannot occur in a `char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Failure;
    use crate::testing;

    fn passed(url: &str, ms: u64) -> CheckResult {
        testing::pass(url, testing::in_file(3), ms, 1)
    }

    fn failed(url: &str, kind: FailureKind, message: &str) -> CheckResult {
        CheckResult {
            status: Some(404),
            final_url: Some(format!("{url}/final")),
            attempts: 2,
            ..testing::fail(
                url,
                Origin {
                    source: Source::Arg,
                    line: None,
                },
                Some(404),
                kind,
                message,
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

    /// The document as a JUnit reader sees it.
    fn parse(xml: &str) -> junit_parser::TestSuites {
        junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes()))
            .unwrap_or_else(|e| panic!("{e}: {xml}"))
    }

    fn failure(case: &junit_parser::TestCase) -> &junit_parser::TestFailure {
        match &case.status {
            junit_parser::TestStatus::Failure(failure) => failure,
            other => panic!("not a failure: {other:?}"),
        }
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
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        let suites = parse(&xml);
        assert_eq!(suites.name, "urlcheck");
        assert_eq!(
            (suites.tests, suites.failures, suites.errors, suites.skipped),
            (3, 1, 0, 0)
        );
        assert_eq!(suites.time, 2.345);
        let suite = &suites.suites[0];
        assert_eq!(suite.name, "urlcheck");
        assert_eq!(
            (suite.tests, suite.failures, suite.errors, suite.skipped),
            (3, 1, 0, 0)
        );
        assert_eq!(suite.time, 2.345);
        let cases = &suite.cases;
        assert_eq!(cases.len(), 3);
        assert_eq!(cases[0].original_name, "https://a.test/");
        assert_eq!(cases[0].classname.as_deref(), Some("urlcheck.urls.txt"));
        assert_eq!(cases[0].file.as_deref(), Some("urls.txt"));
        assert_eq!(cases[0].line, Some(3));
        assert_eq!(cases[0].time, 0.012);
        assert!(cases[0].status.is_success());
        // An argument has neither file nor line.
        assert_eq!(cases[1].classname.as_deref(), Some("urlcheck.arg"));
        assert_eq!((cases[1].file.as_deref(), cases[1].line), (None, None));
        assert_eq!(cases[1].time, 1.5);
        assert!(xml.contains(" time=\"1.500\""), "{xml}");
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
        let suites = parse(&xml);
        let failure = failure(&suites.suites[0].cases[0]);
        assert_eq!(failure.failure_type, "status");
        assert_eq!(failure.message, "status 404, expected 200-299");
        assert_eq!(
            failure.text,
            "status: 404\nfinal URL: https://a.test/x/final\nattempts: 2\nsource: arg"
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
        let suites = parse(&render(&[invalid], Duration::ZERO));
        let case = &suites.suites[0].cases[0];
        assert_eq!(case.classname.as_deref(), Some("urlcheck.-"));
        assert_eq!((case.file.as_deref(), case.line), (None, Some(4)));
        assert_eq!(case.time, 0.0);
        assert_eq!(
            failure(case).text,
            "status: none (no response)\nattempts: 0\nsource: stdin:4"
        );
    }

    #[test]
    fn a_flaky_pass_passes_and_says_so() {
        let mut flaky = passed("https://a.test/", 40);
        flaky.attempts = 3;
        let xml = render(&[flaky], Duration::from_secs(1));
        let suites = parse(&xml);
        assert_eq!(suites.suites[0].failures, 0);
        let case = &suites.suites[0].cases[0];
        assert!(case.status.is_success());
        assert_eq!(case.time, 0.04);
        assert_eq!(case.system_out.as_deref(), Some("passed after 3 attempts"));
        assert!(!xml.contains("<failure"));
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
        // Only our own elements remain.
        assert!(!xml.contains("<a "));
        let suites = parse(&xml);
        let case = &suites.suites[0].cases[0];
        assert_eq!(case.original_name, format!("https://a.test/?q={nasty}"));
        assert_eq!(case.file.as_deref(), Some("dir/<urls>&\"'.txt"));
        assert_eq!(
            case.classname.as_deref(),
            Some("urlcheck.dir/<urls>&\"'.txt")
        );
        let failure = failure(case);
        assert_eq!(failure.message, nasty);
        // junit-parser splits text at entities, so the body is read raw.
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
        assert!(xml.chars().all(is_xml_char), "{xml:?}");
        assert!(!xml.chars().any(|c| c.is_control() && c != '\n'));
        let suites = parse(&xml);
        let case = &suites.suites[0].cases[0];
        assert_eq!(
            failure(case).message,
            "a\\u{1b}[31m\\u{0}b\\r\\nsource: forged\\u{b}\\u{7f}\\u{9b}\\u{fffe}\\u{ffff}\\u{202e}"
        );
        assert_eq!(case.original_name, "https://a.test/\\u{1b}");
        // A message cannot add a line to the failure body.
        assert_eq!(failure(case).text.matches("source: ").count(), 1);
    }

    #[test]
    fn the_escape_keeps_plain_text_and_xml_chars() {
        assert_eq!(
            xml_safe("https://a.test/ü?a=1;b=€ 😀"),
            "https://a.test/ü?a=1;b=€ 😀"
        );
        assert!(is_xml_char('\u{fffd}') && is_xml_char('\u{10ffff}'));
        assert!(!is_xml_char('\u{0}') && !is_xml_char('\u{1f}') && !is_xml_char('\u{ffff}'));
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
        let suites = parse(&xml);
        assert!(suites.suites[0].timestamp.is_some(), "{xml}");
    }

    #[test]
    fn an_empty_run_is_an_empty_suite() {
        let suites = parse(&render(&[], Duration::from_millis(5)));
        assert_eq!((suites.tests, suites.failures), (0, 0));
        assert_eq!(suites.suites.len(), 1);
        assert!(suites.suites[0].cases.is_empty());
        assert_eq!(suites.suites[0].time, 0.005);
    }
}
