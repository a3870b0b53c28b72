//! Reporters: one small file per output format, each writing results to a
//! generic `W: Write`, so tests can render into a `Vec<u8>`.

mod csv;
mod github;
mod human;
mod jsonl;
mod junit;
mod markdown;

use std::io::{self, Write};
use std::time::Duration;

use crate::config::Format;
use crate::results::CheckResult;

pub use human::format_elapsed;

/// Writes results in one format.
pub trait Reporter: Send {
    /// Write one result.
    fn report(&mut self, result: &CheckResult) -> io::Result<()>;
    /// Push what is written so far to the reader.
    fn flush(&mut self) -> io::Result<()>;
    /// Called once after the last result, also when the run was stopped early:
    /// formats that need every result write here. `wall` is the run's wall time.
    fn finish(&mut self, wall: Duration) -> io::Result<()> {
        let _ = wall;
        self.flush()
    }
}

/// The reporter for `format`, writing to `out`.
pub fn reporter<W: Write + Send + 'static>(
    format: Format,
    color: bool,
    out: W,
) -> Box<dyn Reporter> {
    match format {
        Format::Human => Box::new(human::Human::new(out, color)),
        Format::Jsonl => Box::new(jsonl::Jsonl::new(out)),
        Format::Csv => Box::new(csv::Csv::new(out)),
        Format::Junit => Box::new(junit::Junit::new(out)),
        Format::Markdown => Box::new(markdown::Markdown::new(out)),
    }
}

/// GitHub Actions `::error` annotations, one per failed result.
pub fn github_annotations<W: Write + Send + 'static>(out: W) -> Box<dyn Reporter> {
    Box::new(github::Annotations::new(out))
}

#[cfg(test)]
pub(crate) mod samples {
    use std::time::Duration;

    use crate::results::{CheckResult, Failure, FailureKind, Origin, Source};

    pub fn passed() -> CheckResult {
        CheckResult {
            url: "https://a.test/".into(),
            origin: Origin {
                source: Source::File("urls.txt".into()),
                line: Some(3),
            },
            status: Some(200),
            failure: None,
            elapsed: Duration::from_millis(12),
            final_url: Some("https://a.test/home".into()),
            redirects: 1,
            attempts: 1,
            cert: None,
            up_after: None,
        }
    }

    pub fn failed() -> CheckResult {
        CheckResult {
            url: "https://u:***@a.test/\u{1b}[31mx".into(),
            origin: Origin {
                source: Source::Arg,
                line: None,
            },
            status: Some(404),
            failure: Some(Failure::new(
                FailureKind::Status,
                "status 404, expected 200-299",
            )),
            elapsed: Duration::from_millis(1500),
            final_url: Some("https://u:***@a.test/\u{1b}[31mx".into()),
            redirects: 0,
            attempts: 1,
            cert: None,
            up_after: None,
        }
    }
}
