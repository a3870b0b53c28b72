//! `--format human`: one readable line per result, coloured when asked, with
//! every untrusted string escaped.
//!
//! ```text
//! ok    200    12 ms  https://a.test/ -> https://a.test/home (1 redirect)
//! FAIL  404   1.50 s  https://a.test/x  status 404, expected 200-299
//! FAIL  ---     0 ms  example.com  invalid_input: missing scheme; did you mean https://example.com? (urls.txt:4)
//! ```

use std::io::{self, Write};

use console::Style;

use super::Reporter;
use crate::results::{CheckResult, Phases};
use crate::text::{escape_control, format_elapsed, format_phase, format_status};

pub(crate) struct Human<W> {
    out: W,
    styles: Styles,
    /// `-v`: each result's phases under it.
    verbose: bool,
}

struct Styles {
    ok: Style,
    fail: Style,
    dim: Style,
    reason: Style,
    flaky: Style,
}

impl Styles {
    fn new(color: bool) -> Self {
        let style = |s: Style| s.force_styling(color);
        Styles {
            ok: style(Style::new().green()),
            fail: style(Style::new().red().bold()),
            dim: style(Style::new().dim()),
            reason: style(Style::new().red()),
            flaky: style(Style::new().yellow()),
        }
    }
}

impl<W: Write> Human<W> {
    pub(crate) fn new(out: W, color: bool, verbose: bool) -> Self {
        Human {
            out,
            styles: Styles::new(color),
            verbose,
        }
    }
}

impl<W: Write + Send> Reporter for Human<W> {
    fn report(&mut self, result: &CheckResult) -> io::Result<()> {
        // After a stop, hundreds of lines never checked would bury the
        // results: the summary counts them (JSON Lines and CSV list them).
        if result.never_started() {
            return Ok(());
        }
        let mut line = format_line(result, &self.styles);
        if self.verbose
            && let Some(phases) = format_phases(result)
        {
            line.push_str(&format!("{}\n", self.styles.dim.apply_to(phases)));
        }
        self.out.write_all(line.as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn format_line(result: &CheckResult, styles: &Styles) -> String {
    let known = result.known == Some(true);
    let verdict = if result.ok() {
        styles.ok.apply_to("ok  ")
    } else if known {
        styles.flaky.apply_to("FAIL")
    } else {
        styles.fail.apply_to("FAIL")
    };
    let status = format_status(result.status);
    // A check of several attempts took all of them and the pauses between.
    let took = if result.attempts > 1 {
        result.spent
    } else {
        result.elapsed
    };
    let mut line = format!(
        "{verdict}  {status:>3}  {}  {}",
        styles.dim.apply_to(format!("{:>7}", format_elapsed(took))),
        escape_control(&result.url)
    );
    if result.redirects > 0
        && let Some(final_url) = &result.final_url
    {
        let hops = if result.redirects == 1 {
            "redirect"
        } else {
            "redirects"
        };
        line.push_str(&format!(
            " -> {} {}",
            escape_control(final_url),
            styles
                .dim
                .apply_to(format!("({} {hops})", result.redirects))
        ));
    }
    if result.flaky() {
        line.push_str(&format!(
            "  {}",
            styles
                .flaky
                .apply_to(format!("flaky: passed on attempt {}", result.attempts))
        ));
    }
    if result.ok() && result.known == Some(true) {
        let fixed = "fixed: it failed in the baseline";
        line.push_str(&format!("  {}", styles.ok.apply_to(fixed)));
    }
    if let Some(up_after) = result.up_after {
        line.push_str(&format!(
            "  {}",
            styles
                .dim
                .apply_to(format!("came up after {}", format_elapsed(up_after)))
        ));
    }
    if let Some(failure) = &result.failure {
        let reason = escape_control(&failure.reason()).into_owned();
        line.push_str(&format!("  {}", styles.reason.apply_to(reason)));
        if result.attempts > 1 {
            let attempts = format!("(after {} attempts)", result.attempts);
            line.push_str(&format!(" {}", styles.dim.apply_to(attempts)));
        }
        if known {
            let known = "(known: it failed in the baseline too)";
            line.push_str(&format!(" {}", styles.flaky.apply_to(known)));
        }
        match &result.found {
            Some(found) if found.occurrences > 1 => {
                line.push('\n');
                line.push_str(&linked_from(found, styles));
                return line;
            }
            Some(found) if !found.places.is_empty() => {
                let place = format!("({})", escape_control(&found.places[0].to_string()));
                line.push_str(&format!(" {}", styles.dim.apply_to(place)));
            }
            _ => {
                if let Some(origin) = result.origin.located() {
                    line.push_str(&format!(" {}", styles.dim.apply_to(origin)));
                }
            }
        }
    }
    line.push('\n');
    line
}

/// Places listed under a failed URL found in several; the rest counted.
const PLACES_SHOWN: usize = 10;

/// `      linked from 3 places:` and a line per place, under a failure.
fn linked_from(found: &crate::results::Found, styles: &Styles) -> String {
    let mut text = format!("      linked from {} places:\n", found.occurrences);
    for place in found.places.iter().take(PLACES_SHOWN) {
        text.push_str(&format!(
            "        {}\n",
            styles.dim.apply_to(escape_control(&place.to_string()))
        ));
    }
    let more = found
        .occurrences
        .saturating_sub(PLACES_SHOWN.min(found.places.len()) as u64);
    if more > 0 {
        text.push_str(&format!("        … and {more} more\n"));
    }
    text
}

/// `-v`: where a check's time went, as curl's `-w` timings read:
/// `      dns 0.63 ms  connect 0.21 ms  tls 2.67 ms  ttfb 8.96 ms  transfer 0.08 ms  127.0.0.1:443 TLSv1.3 HTTP/2`.
/// None for a check that made no request.
fn format_phases(result: &CheckResult) -> Option<String> {
    let phases = &result.phases;
    if phases == &Phases::default() {
        return None;
    }
    let mut line = String::from("      ");
    for (name, took) in phases.timed() {
        if let Some(took) = took {
            line.push_str(&format!("{name} {}  ", format_phase(took)));
        }
    }
    if phases.ttfb.is_some() && phases.connect.is_none() {
        line.push_str("(reused connection)  ");
    }
    let facts = [
        phases.remote_addr.map(|a| a.to_string()),
        phases.tls_version.map(str::to_string),
        result.http_version.map(str::to_string),
    ];
    line.push_str(&facts.into_iter().flatten().collect::<Vec<_>>().join(" "));
    Some(line.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Failure, FailureKind, Origin, Source};
    use crate::testing;
    use std::time::Duration;

    fn plain(result: &CheckResult) -> String {
        format_line(result, &Styles::new(false))
    }

    #[test]
    fn lines_never_checked_after_a_stop_are_not_listed_but_cut_off_checks_are() {
        let origin = Origin {
            source: Source::Stdin,
            line: Some(7),
        };
        let stop = Failure::new(FailureKind::Interrupted, "not checked: stopped");
        let never = CheckResult::unchecked("https://a.test/".into(), origin.clone(), stop.clone());
        let mut human = Human::new(Vec::new(), false, false);
        human.report(&never).unwrap();
        assert!(human.out.is_empty());
        let cut = CheckResult {
            elapsed: Duration::from_millis(900),
            spent: Duration::from_millis(900),
            ..CheckResult::unchecked("https://a.test/".into(), origin, stop)
        };
        human.report(&cut).unwrap();
        assert!(String::from_utf8(human.out).unwrap().starts_with("FAIL"));
    }

    #[test]
    fn a_failure_after_retries_says_how_many_attempts_and_took_them_all() {
        let mut failed = testing::failed();
        failed.attempts = 3;
        failed.spent = Duration::from_millis(7250);
        let line = plain(&failed);
        assert!(line.contains(" (after 3 attempts)"), "{line}");
        assert!(line.starts_with("FAIL  404   7.25 s  "), "{line}");
        failed.attempts = 1;
        assert!(!plain(&failed).contains("attempts"));
    }

    #[test]
    fn passed_line_shows_status_time_and_redirect() {
        assert_eq!(
            plain(&testing::passed()),
            "ok    200    12 ms  https://a.test/ -> https://a.test/home (1 redirect)\n"
        );
    }

    #[test]
    fn failed_line_shows_the_reason_and_escapes_controls() {
        let line = plain(&testing::failed());
        assert_eq!(
            line,
            "FAIL  404   1.50 s  https://u:***@a.test/\\u{1b}[31mx  status 404, expected 200-299\n"
        );
    }

    #[test]
    fn invalid_input_names_its_file_and_line() {
        let result = CheckResult::unchecked(
            "example.com".into(),
            Origin {
                source: Source::File("urls.txt".into()),
                line: Some(4),
            },
            Failure::new(FailureKind::InvalidInput, "missing scheme"),
        );
        assert_eq!(
            plain(&result),
            "FAIL  ---     0 ms  example.com  invalid_input: missing scheme (urls.txt:4)\n"
        );
    }

    #[test]
    fn flaky_and_late_passes_are_marked() {
        let mut result = testing::passed();
        result.redirects = 0;
        result.attempts = 3;
        assert_eq!(
            plain(&result),
            "ok    200    12 ms  https://a.test/  flaky: passed on attempt 3\n"
        );
        result.up_after = Some(Duration::from_millis(4200));
        assert_eq!(
            plain(&result),
            "ok    200    12 ms  https://a.test/  came up after 4.20 s\n"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let coloured = format_line(&testing::failed(), &Styles::new(true));
        assert!(coloured.contains("\u{1b}[31"));
        assert!(!plain(&testing::failed()).contains("\u{1b}["));
    }
}
