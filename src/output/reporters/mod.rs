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

pub(crate) use csv::Escaped;

use crate::config::Format;
use crate::results::CheckResult;

/// Writes results in one format.
pub(crate) trait Reporter: Send {
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
pub(crate) fn reporter<W: Write + Send + 'static>(
    format: Format,
    color: bool,
    verbose: bool,
    out: W,
) -> Box<dyn Reporter> {
    match format {
        Format::Human => Box::new(human::Human::new(out, color, verbose)),
        Format::Jsonl => Box::new(jsonl::Jsonl::new(out)),
        Format::Csv => Box::new(csv::Csv::new(out)),
        Format::Junit => Box::new(junit::Junit::new(out)),
        Format::Markdown => Box::new(markdown::Markdown::new(out)),
    }
}

/// GitHub Actions `::error` annotations, one per failed result.
pub(crate) fn github_annotations<W: Write + Send + 'static>(out: W) -> Box<dyn Reporter> {
    Box::new(github::Annotations::new(out))
}
