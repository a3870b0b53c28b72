//! `--format markdown`: a summary of the run fit for a GitHub job summary
//! (`$GITHUB_STEP_SUMMARY`): a heading, the failures first, then counts,
//! latency and wall time. Written at the end; memory stays fixed however long
//! the list, as only the first failures are kept.
//!
//! ```text
//! ### ❌ urlcheck: 3 URLs, 1 failed
//!
//! | Status | URL | Kind | Reason | Source |
//! | --- | --- | --- | --- | --- |
//! | 404 | `https://a.test/x` | status | status 404, expected 200-299 | urls.txt:4 |
//!
//! - 2 ok (0 flaky), 1 failed
//! - failures by kind: status 1
//! - latency: p50 12 ms, p95 1.50 s, max 1.50 s
//! - wall time: 2.00 s
//! ```

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

use super::Reporter;
use crate::output::stats::Stats;
use crate::results::CheckResult;
use crate::text::{escape_control, format_elapsed, format_status};

/// Failure rows in the table; a summary page is for reading, not for scrolling.
const TABLE_LIMIT: usize = 50;

/// Bytes of a cell's text before it is cut with "…": a URL may be 16 KiB,
/// and GitHub refuses a job summary over 1 MiB. With this, a row is at most
/// about 4 KB escaped, and the whole summary (two tables of `TABLE_LIMIT`
/// rows, the fixed URLs) stays under 500 KB.
const CELL_BYTES: usize = 500;

/// Counts every result, keeps the first failures, and writes the summary at
/// `finish`.
pub(crate) struct Markdown<W> {
    out: W,
    /// `urlcheck`, or `urlcheck (shard 2/8)`.
    name: String,
    /// The same counts as the stderr summary, keeping `TABLE_LIMIT` failures.
    stats: Stats,
    finished: bool,
}

impl<W: Write> Markdown<W> {
    /// A reporter writing to `out`.
    pub(crate) fn new(out: W) -> Self {
        Markdown {
            out,
            name: "urlcheck".to_string(),
            stats: Stats::keeping(TABLE_LIMIT),
            finished: false,
        }
    }

    /// The same, naming the run `name` in the heading.
    pub(crate) fn named(self, name: String) -> Self {
        Markdown { name, ..self }
    }

    fn render(&self, wall: Duration) -> String {
        let mut md = String::new();
        let stats = &self.stats;
        let failed = stats.failed;
        let new_failed = stats.new_failed();
        let marker = if new_failed == 0 { "✅" } else { "❌" };
        let urls = if stats.total == 1 { "URL" } else { "URLs" };
        let verdict = if stats.has_baseline {
            format!(
                "{new_failed} new failures, {} known, {} fixed",
                stats.known_failed, stats.fixed
            )
        } else {
            format!("{failed} failed")
        };
        let _ = writeln!(
            md,
            "### {marker} {}: {} {urls}, {verdict}\n",
            self.name, stats.total
        );
        if stats.has_baseline && new_failed > 0 {
            md.push_str("#### New failures\n\n");
        }
        push_table(&mut md, stats.recap(), new_failed);
        if stats.has_baseline && stats.known_failed > 0 {
            md.push_str("#### Known failures (they failed in the baseline too)\n\n");
            push_table(&mut md, stats.known_recap(), stats.known_failed);
        }
        if stats.has_baseline && stats.fixed > 0 {
            md.push_str("#### Fixed (they failed in the baseline, and pass now)\n\n");
            for url in stats.fixed_urls() {
                let _ = writeln!(md, "- {}", code_cell(url));
            }
            let more = stats.fixed - stats.fixed_urls().len() as u64;
            if more > 0 {
                let _ = writeln!(md, "- … and {more} more");
            }
            md.push('\n');
        }
        let _ = writeln!(
            md,
            "- {} ok ({} flaky), {failed} failed",
            stats.passed, stats.flaky
        );
        if let Some(kinds) = stats.kind_counts() {
            let _ = writeln!(md, "- failures by kind: {kinds}");
        }
        if let Some(latency) = stats.latency_line() {
            let _ = writeln!(md, "- latency: {latency}");
        }
        let _ = writeln!(md, "- wall time: {}", format_elapsed(wall));
        md
    }
}

impl<W: Write + Send> Reporter for Markdown<W> {
    fn report(&mut self, result: &CheckResult) -> io::Result<()> {
        self.stats.add(result);
        Ok(())
    }

    /// Nothing is written before `finish`, so only the writer is flushed.
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self, wall: Duration) -> io::Result<()> {
        // One summary per run, even if the caller finishes twice.
        if !std::mem::replace(&mut self.finished, true) {
            let md = self.render(wall);
            self.out.write_all(md.as_bytes())?;
        }
        self.out.flush()
    }
}

/// A table of `shown` failures out of `total`.
fn push_table(md: &mut String, shown: &[CheckResult], total: u64) {
    if shown.is_empty() {
        return;
    }
    md.push_str("| Status | URL | Kind | Reason | Source |\n");
    md.push_str("| --- | --- | --- | --- | --- |\n");
    for result in shown {
        push_row(md, result);
    }
    md.push('\n');
    let more = total - shown.len() as u64;
    if more > 0 {
        let _ = writeln!(md, "… and {more} more\n");
    }
}

fn push_row(md: &mut String, result: &CheckResult) {
    let Some(failure) = &result.failure else {
        return;
    };
    let status = format_status(result.status);
    let _ = writeln!(
        md,
        "| {status} | {} | {} | {} | {} |",
        code_cell(&result.url),
        failure.kind,
        text_cell(&failure.message),
        text_cell(&where_found(result))
    );
}

/// Where a result's URL was: its line, or every place that names it (the
/// first few, and how many more).
fn where_found(result: &CheckResult) -> String {
    const SHOWN: usize = 5;
    let Some(found) = result.found.as_ref().filter(|f| !f.places.is_empty()) else {
        return result.origin.to_string();
    };
    let mut places: Vec<String> = found
        .places
        .iter()
        .take(SHOWN)
        .map(|p| p.to_string())
        .collect();
    let more = found.occurrences.saturating_sub(places.len() as u64);
    if more > 0 {
        places.push(format!("and {more} more"));
    }
    places.join(", ")
}

/// Untrusted text for a table cell, shown literally: control characters and
/// newlines become visible escapes (a newline would end the row), and every
/// character Markdown could read as markup (emphasis, links, HTML, code,
/// strikethrough, entities, a cell boundary) is backslash-escaped.
fn text_cell(text: &str) -> String {
    let escaped = escape_control(text);
    let (safe, cut) = cut_to_cell(&escaped);
    let mut cell = String::with_capacity(safe.len() + 8);
    for c in safe.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&'
        ) {
            cell.push('\\');
        }
        cell.push(c);
    }
    cell.push_str(cut);
    cell
}

/// A cell's text cut to `CELL_BYTES` (on a character's boundary), and the
/// mark to put after it: "…" when it was cut.
fn cut_to_cell(text: &str) -> (&str, &'static str) {
    if text.len() <= CELL_BYTES {
        return (text, "");
    }
    let end = (0..=CELL_BYTES)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    (&text[..end], "…")
}

/// Untrusted text for a table cell as a code span: literal, never a link or
/// markup. The fence is longer than any run of backticks inside, and `|`
/// is escaped, which GitHub's tables require even inside code.
fn code_cell(text: &str) -> String {
    let escaped = escape_control(text);
    let (safe, cut) = cut_to_cell(&escaped);
    let safe = safe.replace('|', "\\|");
    if safe.is_empty() {
        return String::new();
    }
    let longest_run = safe.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    // A code span drops one space at each end, so pad when the text starts or
    // ends with a space or a backtick, which would otherwise merge with the fence.
    let pad = if safe.starts_with(['`', ' ']) || safe.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{safe}{pad}{fence}{cut}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Failure, FailureKind, Origin, Source};
    use crate::testing;

    fn passed(ms: u64, attempts: u32) -> CheckResult {
        testing::pass("https://a.test/", testing::in_file(1), ms, attempts)
    }

    fn failed(url: &str, status: Option<u16>, kind: FailureKind, message: &str) -> CheckResult {
        testing::fail(url, testing::in_file(4), status, kind, message)
    }

    fn render(results: &[CheckResult], wall: Duration) -> String {
        let mut markdown = Markdown::new(Vec::new());
        for result in results {
            markdown.report(result).unwrap();
        }
        markdown.finish(wall).unwrap();
        String::from_utf8(markdown.out).unwrap()
    }

    #[test]
    fn failures_first_then_counts_latency_and_wall_time() {
        let mut from_arg = failed(
            "https://a.test/x",
            Some(404),
            FailureKind::Status,
            "status 404, expected 200-299",
        );
        from_arg.origin = Origin {
            source: Source::Arg,
            line: None,
        };
        let invalid = CheckResult::unchecked(
            "example.com".into(),
            Origin {
                source: Source::Stdin,
                line: Some(2),
            },
            Failure::new(FailureKind::InvalidInput, "missing scheme"),
        );
        let text = render(
            &[passed(12, 1), from_arg, passed(30, 3), invalid],
            Duration::from_secs(2),
        );
        assert_eq!(
            text,
            "### ❌ urlcheck: 4 URLs, 2 failed\n\
             \n\
             | Status | URL | Kind | Reason | Source |\n\
             | --- | --- | --- | --- | --- |\n\
             | 404 | `https://a.test/x` | status | status 404, expected 200-299 | arg |\n\
             | --- | `example.com` | invalid_input | missing scheme | stdin:2 |\n\
             \n\
             - 2 ok (1 flaky), 2 failed\n\
             - failures by kind: invalid_input 1, status 1\n\
             - latency: p50 30 ms, p95 1.50 s, max 1.50 s\n\
             - wall time: 2.00 s\n"
        );
    }

    #[test]
    fn all_passed_has_no_table() {
        assert_eq!(
            render(&[passed(7, 1)], Duration::from_millis(9)),
            "### ✅ urlcheck: 1 URL, 0 failed\n\
             \n\
             - 1 ok (0 flaky), 0 failed\n\
             - latency: p50 7 ms, p95 7 ms, max 7 ms\n\
             - wall time: 9 ms\n"
        );
    }

    #[test]
    fn unrequested_lines_have_no_latency() {
        let interrupted = failed(
            "https://a.test/",
            None,
            FailureKind::Interrupted,
            "not checked",
        );
        let text = render(&[interrupted], Duration::from_secs(1));
        assert!(!text.contains("latency"), "{text}");
        assert!(
            text.contains("| --- | `https://a.test/` | interrupted | not checked | urls.txt:4 |\n")
        );
    }

    #[test]
    fn the_table_is_capped() {
        let results: Vec<CheckResult> = (0..TABLE_LIMIT + 7)
            .map(|i| {
                failed(
                    &format!("https://a.test/{i}"),
                    None,
                    FailureKind::Dns,
                    "no such host",
                )
            })
            .collect();
        let text = render(&results, Duration::from_secs(1));
        assert_eq!(text.matches("| dns |").count(), TABLE_LIMIT);
        assert!(text.contains("`https://a.test/49`"));
        assert!(!text.contains("`https://a.test/50`"));
        assert!(
            text.contains("|\n\n… and 7 more\n\n- 0 ok (0 flaky), 57 failed\n"),
            "{text}"
        );
        assert!(text.contains("- failures by kind: dns 57\n"));
    }

    #[test]
    fn hostile_text_cannot_break_the_table() {
        let hostile = failed(
            "https://a.test/a|b`c``d",
            Some(500),
            FailureKind::Status,
            "x | y\n| forged | row |\r\u{1b}[31m <img src=x> *b* [l](j) `c` a\\|b &amp;",
        );
        let text = render(&[hostile], Duration::from_secs(1));
        let row = text
            .lines()
            .find(|l| l.starts_with("| 500 "))
            .unwrap_or_default();
        assert_eq!(
            row,
            "| 500 | ```https://a.test/a\\|b`c``d``` | status | \
             x \\| y\\\\n\\| forged \\| row \\|\\\\r\\\\u{1b}\\[31m \\<img src=x\\> \\*b\\* \\[l\\](j) \\`c\\` a\\\\\\|b \\&amp; \
             | urls.txt:4 |"
        );
        // GitHub reads a `|` after a backslash as text: five cells remain.
        let boundaries = row
            .char_indices()
            .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
            .count();
        assert_eq!(boundaries, 6);
        assert!(!text.contains('\u{1b}') && !text.contains('\r'));
        assert_eq!(text.lines().filter(|l| l.starts_with('|')).count(), 3);
    }

    #[test]
    fn the_longest_urls_and_messages_keep_the_summary_under_githubs_limit() {
        // 16 KiB URLs (the longest a line may be) of backticks and pipes, and
        // messages of 4-byte characters: each cell is cut, on a character's
        // boundary, and marked.
        let url = format!("https://a.test/{}", "`|".repeat(8 * 1024));
        let message = "𝄞<".repeat(4 * 1024);
        let results: Vec<CheckResult> = (0..200)
            .map(|_| failed(&url, Some(404), FailureKind::Status, &message))
            .collect();
        let text = render(&results, Duration::from_secs(1));
        assert!(text.len() < 500 * 1024, "{} bytes", text.len());
        let row = text.lines().find(|l| l.starts_with("| 404 |")).unwrap();
        assert_eq!(row.matches('…').count(), 2, "{row}");
        assert!(row.contains("𝄞\\<"));
        assert_eq!(
            text.lines().filter(|l| l.starts_with("| 404 |")).count(),
            TABLE_LIMIT
        );
        assert_eq!(
            code_cell(&"x".repeat(600)),
            format!("`{}`…", "x".repeat(500))
        );
        assert_eq!(text_cell(&"é".repeat(300)), format!("{}…", "é".repeat(250)));
    }

    #[test]
    fn code_cells_fence_and_pad() {
        assert_eq!(code_cell("a"), "`a`");
        assert_eq!(code_cell("a`b"), "``a`b``");
        assert_eq!(code_cell("`a"), "`` `a ``");
        assert_eq!(code_cell(" a"), "`  a `");
        assert_eq!(code_cell("a|b"), "`a\\|b`");
        assert_eq!(code_cell("a\nb"), "`a\\nb`");
        assert_eq!(code_cell(""), "");
    }

    #[test]
    fn finish_writes_once_and_nothing_comes_before() {
        let mut markdown = Markdown::new(Vec::new());
        markdown.report(&passed(1, 1)).unwrap();
        markdown.flush().unwrap();
        assert!(markdown.out.is_empty());
        markdown.finish(Duration::from_secs(1)).unwrap();
        markdown.finish(Duration::from_secs(1)).unwrap();
        let text = String::from_utf8(markdown.out).unwrap();
        assert_eq!(text.matches("### ").count(), 1);
    }
}
