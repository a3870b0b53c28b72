//! Reporters: one small file per output format, each writing results to a
//! generic `W: Write`, so tests can render into a `Vec<u8>`.

mod csv;
mod human;
mod jsonl;

use std::io::{self, Write};

use crate::config::Format;
use crate::results::CheckResult;

pub use human::format_elapsed;

/// Writes results in one format.
pub trait Reporter: Send {
    /// Write one result.
    fn report(&mut self, result: &CheckResult) -> io::Result<()>;
    /// Push what is written so far to the reader.
    fn flush(&mut self) -> io::Result<()>;
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
    }
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
        }
    }
}
