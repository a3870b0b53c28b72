//! GitHub Actions annotations: one `::error` workflow command per failed
//! result, so that failures show on the run's page. Passed results write
//! nothing.
//!
//! ```text
//! ::error file=urls.txt,line=4,title=urlcheck status::https://a.test/x: status 404, expected 200-299
//! ```
//!
//! Each failure is said once: a failure from a file has its place in
//! `file=` and `line=`, not again in the message, and the summary leaves
//! out its recap when annotations are written.
//!
//! GitHub shows only the first few annotations of a step on the run's page;
//! the rest stay in the log.

use std::io::{self, Write};
use std::time::Duration;

use super::Reporter;
use crate::results::{CheckResult, Source};
use crate::text::escape_control;

/// Annotations written at most: GitHub shows only the first few of a step,
/// and a long failing list must not flood the log with commands.
pub(crate) const MAX_ANNOTATIONS: usize = 50;

/// Writes one annotation line per failed result as it arrives, up to
/// `MAX_ANNOTATIONS`, then one notice of how many more failed.
pub(crate) struct Annotations<W> {
    out: W,
    written: usize,
    left_out: usize,
}

impl<W: Write> Annotations<W> {
    /// A reporter writing to `out`.
    pub(crate) fn new(out: W) -> Self {
        Annotations {
            out,
            written: 0,
            left_out: 0,
        }
    }
}

impl<W: Write + Send> Reporter for Annotations<W> {
    fn report(&mut self, result: &CheckResult) -> io::Result<()> {
        for line in annotations(result) {
            if self.written == MAX_ANNOTATIONS {
                self.left_out += 1;
                continue;
            }
            self.written += 1;
            // One write per line, so that the runner never sees half a command.
            self.out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self, _wall: Duration) -> io::Result<()> {
        if self.left_out > 0 {
            writeln!(
                self.out,
                "::warning title=urlcheck::{} more failures were not annotated; see the log or the reports",
                self.left_out
            )?;
        }
        self.out.flush()
    }
}

/// The `::error` lines for a failed result: one, or for a URL found in
/// documents or on pages one per place that names it.
fn annotations(result: &CheckResult) -> Vec<String> {
    match &result.found {
        Some(found) if !found.places.is_empty() => found
            .places
            .iter()
            .filter_map(|p| annotation(result, &p.source, p.line, p.column))
            .collect(),
        _ => annotation(result, &result.origin.source, result.origin.line, None)
            .into_iter()
            .collect(),
    }
}

/// The `::error` line for a failed result at a place, with its newline;
/// `None` if it passed.
fn annotation(
    result: &CheckResult,
    source: &Source,
    line: Option<u64>,
    column: Option<u64>,
) -> Option<String> {
    let failure = result.failure.as_ref()?;
    let title = format!("urlcheck {}", failure.kind);
    let mut message = format!(
        "{}: {}",
        escape_control(&result.url),
        escape_control(&failure.message)
    );
    // A known failure (it failed in the baseline too) is a warning: it
    // does not fail the run.
    let command = if result.known == Some(true) {
        "warning"
    } else {
        "error"
    };
    // file= and line= attach the annotation to the list in a pull request;
    // a place they cannot name (stdin) goes in the message.
    let mut place = String::new();
    if let (Source::File(file), Some(line)) = (source, line) {
        let col = column.map_or(String::new(), |c| format!("col={c},"));
        place = format!(" file={},line={line},{col}", escape_property(file));
    } else if let Source::Page(page) = source {
        message.push_str(&format!(" (on {})", escape_control(page)));
    } else if let Some(origin) = result.origin.located() {
        message.push(' ');
        message.push_str(&origin);
    }
    let properties = if place.is_empty() {
        format!(" title={}", escape_property(&title))
    } else {
        format!("{place}title={}", escape_property(&title))
    };
    Some(format!(
        "::{command}{properties}::{}\n",
        escape_data(&message)
    ))
}

/// A workflow command's message: the runner decodes these, and a raw line
/// break would end the command and let the rest pass as another command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: `:` would end the properties and
/// `,` would start the next one.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Failure, FailureKind, Origin, Source};
    use crate::testing;

    fn failed(url: &str, source: Source, line: Option<u64>, message: &str) -> CheckResult {
        let origin = Origin { source, line };
        testing::fail(url, origin, Some(404), FailureKind::Status, message)
    }

    fn render(results: &[CheckResult]) -> String {
        let mut annotations = Annotations::new(Vec::new());
        for result in results {
            annotations.report(result).unwrap();
        }
        annotations.flush().unwrap();
        String::from_utf8(annotations.out).unwrap()
    }

    #[test]
    fn one_line_per_failure_and_none_for_a_pass() {
        let passed = CheckResult {
            failure: None,
            ..failed("https://a.test/", Source::Arg, None, "")
        };
        let text = render(&[
            failed(
                "https://a.test/x",
                Source::File("urls.txt".into()),
                Some(4),
                "status 404, expected 200-299",
            ),
            passed,
            failed("https://a.test/y", Source::Stdin, Some(2), "status 404"),
            failed("https://a.test/z", Source::Arg, None, "status 404"),
        ]);
        assert_eq!(
            text,
            "::error file=urls.txt,line=4,title=urlcheck status::https://a.test/x: status 404, expected 200-299\n\
             ::error title=urlcheck status::https://a.test/y: status 404 (stdin:2)\n\
             ::error title=urlcheck status::https://a.test/z: status 404\n"
        );
    }

    #[test]
    fn a_known_failure_is_a_warning() {
        let mut known = failed("https://a.test/x", Source::Arg, None, "status 404");
        known.known = Some(true);
        assert_eq!(
            render(&[known]),
            "::warning title=urlcheck status::https://a.test/x: status 404\n"
        );
    }

    #[test]
    fn the_kind_is_in_the_title() {
        let invalid = CheckResult::unchecked(
            "example.com".into(),
            Origin {
                source: Source::File("urls.txt".into()),
                line: Some(9),
            },
            Failure::new(FailureKind::InvalidInput, "missing scheme"),
        );
        assert_eq!(
            render(&[invalid]),
            "::error file=urls.txt,line=9,title=urlcheck invalid_input::example.com: missing scheme\n"
        );
    }

    #[test]
    fn hostile_text_cannot_start_another_command() {
        let text = render(&[failed(
            "https://a.test/%0A",
            Source::File("a,b:c.txt".into()),
            Some(1),
            "x\r\n::warning::forged\u{1b}[31m 100%",
        )]);
        assert_eq!(
            text,
            "::error file=a%2Cb%3Ac.txt,line=1,title=urlcheck status::https://a.test/%250A: \
             x\\r\\n::warning::forged\\u{1b}[31m 100%25\n"
        );
        assert_eq!(text.lines().count(), 1);
    }

    #[test]
    fn escaping_follows_the_workflow_command_rules() {
        assert_eq!(escape_data("50%\r\nnext: a,b"), "50%25%0D%0Anext: a,b");
        assert_eq!(
            escape_property("50%\r\nnext: a,b"),
            "50%25%0D%0Anext%3A a%2Cb"
        );
        // `%` first, so that the escapes themselves are not escaped again.
        assert_eq!(escape_property("%3A"), "%253A");
    }

    #[test]
    fn annotations_are_capped_with_a_notice() {
        let failed = CheckResult::unchecked(
            "https://a.test/".into(),
            crate::results::Origin {
                source: Source::Arg,
                line: None,
            },
            crate::results::Failure::new(crate::results::FailureKind::Connect, "refused"),
        );
        let mut reporter = Annotations::new(Vec::new());
        for _ in 0..MAX_ANNOTATIONS + 7 {
            reporter.report(&failed).unwrap();
        }
        reporter.finish(Duration::ZERO).unwrap();
        let text = String::from_utf8(reporter.out).unwrap();
        assert_eq!(text.matches("::error ").count(), MAX_ANNOTATIONS);
        assert!(text.ends_with(
            "::warning title=urlcheck::7 more failures were not annotated; see the log or the reports\n"
        ));
    }

    #[test]
    fn a_url_found_in_several_places_is_annotated_at_each() {
        use crate::results::{Found, Place};
        let mut result = failed("https://a.test/x", Source::Arg, None, "status 404");
        result.found = Some(std::sync::Arc::new(Found {
            occurrences: 2,
            places: vec![
                Place {
                    source: Source::File("docs/a.md".into()),
                    line: Some(4),
                    column: Some(9),
                },
                Place {
                    source: Source::Page("https://site.test/".into()),
                    line: Some(12),
                    column: Some(3),
                },
            ],
        }));
        assert_eq!(
            render(&[result]),
            "::error file=docs/a.md,line=4,col=9,title=urlcheck status::https://a.test/x: status 404\n\
             ::error title=urlcheck status::https://a.test/x: status 404 (on https://site.test/)\n"
        );
    }
}
