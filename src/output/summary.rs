//! The summary on stderr: counts by outcome and failure kind, latency
//! percentiles, wall time and rate, a recap of failures so that a long list
//! does not drown them, and what a stop left unchecked. Memory stays fixed
//! however long the list: latencies go into a histogram, and the recap keeps
//! only the first few failures.

use std::io::{self, Write};
use std::time::Duration;

use console::Style;

use super::stats::Stats;
use crate::config::Shard;
use crate::results::{CheckResult, FailureKind, Origin};
use crate::text::{escape_control, format_elapsed, format_status};

/// Below this many results every failure is still on screen: no recap.
const RECAP_MIN_RESULTS: u64 = 10;

/// What else the summary reports about the run.
pub(crate) struct RunFacts {
    pub(crate) wall: Duration,
    /// What stopped the run early (`SIGINT`, `--deadline 30s`), if anything.
    pub(crate) stopped_by: Option<String>,
    /// The last URL line read.
    pub(crate) last_read: Option<Origin>,
    /// Reading stopped before the end of the input.
    pub(crate) stopped_reading_early: bool,
    /// Checks cut off at the shutdown timeout.
    pub(crate) aborted: usize,
    /// `-v`: add the percentiles of each phase.
    pub(crate) phases: bool,
    /// `--shard K/N`: the run checked one shard.
    pub(crate) shard: Option<Shard>,
    /// URL lines not checked by this run: other shards', or done in the
    /// `--resume` file.
    pub(crate) skipped: u64,
    /// `--per-host`, for the hint about overloaded hosts.
    pub(crate) per_host: Option<usize>,
    /// `--replay`: the results were read, not checked, so the run's time
    /// and rate say nothing about them.
    pub(crate) replay: bool,
    /// GitHub annotations carry the failures: no recap of them again.
    pub(crate) annotated: bool,
    /// Sitemaps, documents and links: what was read, found and left out,
    /// a line each.
    pub(crate) sites: Vec<String>,
    /// `--dry-run`: the URLs were listed, not checked.
    pub(crate) dry_run: bool,
}

/// Write the summary.
pub(crate) fn write_summary<W: Write>(
    out: &mut W,
    stats: &Stats,
    facts: &RunFacts,
    color: bool,
) -> io::Result<()> {
    let bold = Style::new().bold().force_styling(color);
    let green = Style::new().green().force_styling(color);
    let red = Style::new().red().bold().force_styling(color);
    let dim = Style::new().dim().force_styling(color);

    if facts.dry_run {
        writeln!(
            out,
            "\n{} {} URLs listed, nothing checked ({} not URLs)",
            bold.apply_to("Dry run:"),
            stats.total,
            stats.failed
        )?;
        for line in &facts.sites {
            writeln!(out, "  {line}")?;
        }
        return Ok(());
    }
    // With a baseline, known failures and fixes are always listed: the
    // streamed lines do not say which failures are new.
    if stats.has_baseline && stats.known_failed > 0 && !facts.annotated {
        writeln!(
            out,
            "\n{}",
            bold.apply_to("Known failures (they failed in the baseline too):")
        )?;
        for result in stats.known_recap() {
            write_recap_line(out, result, &dim)?;
        }
        write_more(out, stats.known_failed, stats.known_recap().len())?;
    }
    if stats.has_baseline && stats.fixed > 0 {
        writeln!(
            out,
            "\n{}",
            bold.apply_to("Fixed (they failed in the baseline, and pass now):")
        )?;
        for url in stats.fixed_urls() {
            writeln!(out, "  {}", escape_control(url))?;
        }
        write_more(out, stats.fixed, stats.fixed_urls().len())?;
    }
    let new_failed = stats.new_failed();
    // Lines a stop left unchecked or cut off are counted below (the stop
    // line), not listed: they are not failures of the URLs.
    let cut =
        |r: &&CheckResult| r.failure.as_ref().map(|f| f.kind) == Some(FailureKind::Interrupted);
    let listed = new_failed.saturating_sub(stats.count(FailureKind::Interrupted));
    if listed > 0 && (stats.total >= RECAP_MIN_RESULTS || stats.has_baseline) && !facts.annotated {
        let title = if stats.has_baseline {
            "New failures:"
        } else {
            "Failures:"
        };
        writeln!(out, "\n{}", bold.apply_to(title))?;
        let recap: Vec<&CheckResult> = stats.recap().iter().filter(|r| !cut(r)).collect();
        for result in &recap {
            write_recap_line(out, result, &dim)?;
        }
        write_more(out, listed, recap.len())?;
    }

    let rate = stats.total as f64 / facts.wall.as_secs_f64().max(1e-3);
    let plural = if stats.total == 1 { "URL" } else { "URLs" };
    // Lines a stop left unchecked are neither passes nor failures.
    let unchecked = stats.count(FailureKind::Interrupted);
    let failed = stats.failed - unchecked;
    let took = if facts.replay {
        "replayed".to_string()
    } else {
        format!("in {} ({rate:.1}/s)", format_elapsed(facts.wall))
    };
    writeln!(
        out,
        "
{} {} {plural} {took}: {}, {}{}",
        bold.apply_to(match facts.shard {
            Some(shard) => format!("Summary (shard {shard}):"),
            None => "Summary:".to_string(),
        }),
        stats.total,
        green.apply_to(format!("{} ok", stats.passed)),
        if failed > 0 {
            red.apply_to(format!("{failed} failed"))
        } else {
            dim.apply_to("0 failed".to_string())
        },
        match unchecked {
            0 => String::new(),
            n => format!(", {}", red.apply_to(format!("{n} not checked"))),
        }
    )?;
    if stats.has_baseline {
        writeln!(
            out,
            "  against the baseline: {} new, {} known, {} fixed",
            new_failed, stats.known_failed, stats.fixed
        )?;
    }

    if facts.skipped > 0 {
        let why = match facts.shard {
            Some(_) => "other shards', or already in the --resume file",
            None => "already in the --resume file",
        };
        writeln!(out, "  skipped: {} URL lines ({why})", facts.skipped)?;
    }
    for line in &facts.sites {
        writeln!(out, "  {line}")?;
    }
    if let Some(kinds) = stats.kind_counts() {
        writeln!(out, "  failures by kind: {kinds}")?;
    }
    if let Some(latency) = stats.latency_line() {
        writeln!(out, "  latency: {latency}")?;
    }
    if facts.phases {
        for line in stats.phase_table() {
            writeln!(out, "  {}", dim.apply_to(line))?;
        }
    }
    let remedy = match facts.per_host {
        Some(n) if n > 1 => format!("try a --per-host below {n}"),
        Some(_) => "it may be down under load; try a longer --timeout".to_string(),
        None => "try --per-host 4 (or fewer --workers)".to_string(),
    };
    for (host, timed_out, passed) in stats.overloaded_hosts(3) {
        writeln!(
            out,
            "  hint: {timed_out} checks to {} timed out before any response while {passed} \
             passed: it may take fewer connections at once than were opened; {remedy}",
            escape_control(host)
        )?;
    }
    if stats.flaky > 0 {
        writeln!(out, "  flaky: {} passed only after a retry", stats.flaky)?;
    }
    if let Some(signal) = &facts.stopped_by {
        let cut_off = match facts.aborted {
            0 => String::new(),
            n if facts
                .stopped_by
                .as_deref()
                .is_some_and(|s| s.starts_with("--deadline")) =>
            {
                format!(" ({n} cut off at the deadline)")
            }
            n => format!(" ({n} cut off at the shutdown timeout)"),
        };
        let reading = match (&facts.last_read, facts.stopped_reading_early) {
            (Some(last), true) => format!("stopped reading input after {last}"),
            (None, true) => "stopped before reading any input".to_string(),
            (_, false) => "all input had been read".to_string(),
        };
        writeln!(
            out,
            "  {}: {unchecked} not checked{cut_off}; {}",
            red.apply_to(format!("stopped by {signal}")),
            escape_control(&reading)
        )?;
    }
    Ok(())
}

/// `… and N more` when a list showed `shown` of `total`.
fn write_more<W: Write>(out: &mut W, total: u64, shown: usize) -> io::Result<()> {
    let more = total.saturating_sub(shown as u64);
    if more > 0 {
        writeln!(
            out,
            "  … and {more} more (see the results above, or use --only-failures)"
        )?;
    }
    Ok(())
}

fn write_recap_line<W: Write>(out: &mut W, result: &CheckResult, dim: &Style) -> io::Result<()> {
    let status = format_status(result.status);
    let reason = result
        .failure
        .as_ref()
        .map(|f| f.reason().into_owned())
        .unwrap_or_default();
    writeln!(
        out,
        "  {status:>3}  {}  {} {}",
        escape_control(&result.url),
        escape_control(&reason),
        dim.apply_to(format!("({})", escape_control(&result.origin.to_string())))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::stats::RECAP_LIMIT;
    use crate::results::{Failure, Source};

    fn result(ok: bool, ms: u64, line: u64) -> CheckResult {
        CheckResult {
            url: format!("https://a.test/{line}"),
            origin: Origin {
                source: Source::File("u.txt".into()),
                line: Some(line),
            },
            status: Some(if ok { 200 } else { 500 }),
            failure: (!ok)
                .then(|| Failure::new(FailureKind::Status, "status 500, expected 200-299")),
            elapsed: Duration::from_millis(ms),
            spent: Duration::from_millis(ms),
            final_url: None,
            redirects: 0,
            attempts: 1,
            cert: None,
            up_after: None,
            http_version: None,
            phases: Default::default(),
            known: None,
            shard: None,
            found: None,
            silent: false,
        }
    }

    fn render(stats: &Stats, facts: &RunFacts) -> String {
        let mut out = Vec::new();
        write_summary(&mut out, stats, facts, false).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn facts() -> RunFacts {
        RunFacts {
            wall: Duration::from_secs(2),
            stopped_by: None,
            last_read: None,
            stopped_reading_early: false,
            aborted: 0,
            phases: false,
            shard: None,
            skipped: 0,
            per_host: None,
            replay: false,
            annotated: false,
            sites: Vec::new(),
            dry_run: false,
        }
    }

    /// A check of `url` that passed, or timed out before any response.
    fn to(url: &str, passed: bool) -> CheckResult {
        CheckResult {
            url: url.into(),
            status: passed.then_some(200),
            failure: (!passed).then(|| Failure::new(FailureKind::Timeout, "timed out after 10s")),
            ..result(true, 5, 1)
        }
    }

    #[test]
    fn timeouts_on_a_host_where_others_pass_suggest_per_host() {
        let mut stats = Stats::default();
        for _ in 0..5 {
            stats.add(&to("http://127.0.0.1:8000/a", true));
            stats.add(&to("http://u:***@127.0.0.1:8000/b?x", false));
            // All timed out: a host that is down, not overloaded.
            stats.add(&to("https://down.test/", false));
        }
        // A timeout after the status arrived (the body) does not count.
        let mut body = to("http://slow.test/", false);
        body.status = Some(200);
        stats.add(&body);
        let text = render(&stats, &facts());
        let hints: Vec<&str> = text.lines().filter(|l| l.contains("hint")).collect();
        assert_eq!(
            hints,
            [
                "  hint: 5 checks to 127.0.0.1:8000 timed out before any response while 5 passed: \
              it may take fewer connections at once than were opened; try --per-host 4 (or \
              fewer --workers)"
            ]
        );
        let mut stats = Stats::default();
        stats.add(&to("http://127.0.0.1:8000/a", true));
        stats.add(&to("http://127.0.0.1:8000/b", false));
        assert!(
            !render(&stats, &facts()).contains("hint"),
            "one timeout is no pattern"
        );
        // Under load the timeouts come last, after every pass: all the
        // passes count, not only those after the first timeout.
        let mut stats = Stats::default();
        for _ in 0..2969 {
            stats.add(&to("http://127.0.0.1:8000/a", true));
        }
        for _ in 0..31 {
            stats.add(&to("http://127.0.0.1:8000/b", false));
        }
        let text = render(&stats, &facts());
        assert!(
            text.contains(
                "hint: 31 checks to 127.0.0.1:8000 timed out before any response while 2969 \
                 passed"
            ),
            "{text}"
        );
    }

    #[test]
    fn counts_kinds_and_latency() {
        let mut stats = Stats::default();
        for i in 1..=100 {
            stats.add(&result(i % 10 != 0, i, i));
        }
        assert_eq!((stats.total, stats.passed, stats.failed), (100, 90, 10));
        let text = render(&stats, &facts());
        assert!(
            text.contains("Summary: 100 URLs in 2.00 s (50.0/s): 90 ok, 10 failed"),
            "{text}"
        );
        assert!(text.contains("failures by kind: status 10"));
        let replayed = render(
            &stats,
            &RunFacts {
                replay: true,
                ..facts()
            },
        );
        assert!(
            replayed.contains("Summary: 100 URLs replayed: 90 ok, 10 failed"),
            "{replayed}"
        );
        assert!(
            text.contains("latency: p50 50 ms, p95 95 ms, max 100 ms"),
            "{text}"
        );
        assert!(text.contains("Failures:\n  500  https://a.test/10  status 500"));
        // Under GitHub Actions the annotations carry them: no recap.
        let annotated = render(
            &stats,
            &RunFacts {
                annotated: true,
                ..facts()
            },
        );
        assert!(!annotated.contains("Failures:"), "{annotated}");
        assert!(!annotated.contains("https://a.test/10"), "{annotated}");
        assert!(annotated.contains("failures by kind: status 10"));
    }

    #[test]
    fn the_recap_names_the_kind_of_a_failure_that_is_not_a_status() {
        let mut stats = Stats::default();
        for i in 1..=30 {
            let mut failed = result(false, 1, i);
            failed.status = None;
            failed.failure = Some(Failure::new(FailureKind::Connect, "connection refused"));
            stats.add(&failed);
        }
        let text = render(&stats, &facts());
        assert!(text.contains("  connect: connection refused "), "{text}");
    }

    #[test]
    fn recap_is_bounded() {
        let mut stats = Stats::default();
        for i in 1..=1000 {
            stats.add(&result(false, 1, i));
        }
        let text = render(&stats, &facts());
        assert_eq!(text.matches("  500  ").count(), RECAP_LIMIT);
        assert!(text.contains("… and 980 more"));
    }

    #[test]
    fn a_stop_says_what_was_left_and_where_reading_stopped() {
        let mut stats = Stats::default();
        stats.add(&result(true, 5, 1));
        // Enough results for a recap, which must not list lines never checked.
        for i in 0..20 {
            stats.add(&result(true, 5, 100 + i));
        }
        stats.add(&CheckResult::unchecked(
            "https://a.test/2".into(),
            Origin {
                source: Source::File("u.txt".into()),
                line: Some(2),
            },
            Failure::new(FailureKind::Interrupted, "not checked"),
        ));
        let text = render(
            &stats,
            &RunFacts {
                stopped_by: Some("SIGINT".into()),
                last_read: Some(Origin {
                    source: Source::File("u.txt".into()),
                    line: Some(2),
                }),
                stopped_reading_early: true,
                aborted: 1,
                ..facts()
            },
        );
        assert!(
            text.contains(
                "stopped by SIGINT: 1 not checked (1 cut off at the shutdown timeout); \
                 stopped reading input after u.txt:2"
            ),
            "{text}"
        );
        assert!(!text.contains("Failures:"), "{text}");
        // Never checked is neither a pass nor a failure.
        assert!(
            text.contains(": 21 ok, 0 failed, 1 not checked\n"),
            "{text}"
        );
        assert!(!text.contains("failures by kind"), "{text}");
        let done_reading = RunFacts {
            stopped_by: Some("SIGTERM".into()),
            ..facts()
        };
        assert!(render(&stats, &done_reading).contains("1 not checked; all input had been read"));
        // Interrupted checks do not count toward latency.
        assert!(text.contains("max 5 ms"));
    }
}
