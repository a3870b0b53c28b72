//! Reporters: one small file per output format, each writing results to a
//! generic `W: Write`, so tests can render into a `Vec<u8>`.

mod csv;
mod github;
mod human;
mod jsonl;
mod junit;
mod listing;
mod markdown;
mod sarif;

use std::io::{self, Write};
use std::time::Duration;

pub(crate) use csv::Escaped;

use crate::config::Format;
use crate::config::Shard;
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

/// How reports look, besides their format.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ReportStyle {
    pub(crate) color: bool,
    /// `-v`: human output shows phases.
    pub(crate) verbose: bool,
    /// The run's `--shard`, which JUnit, Markdown and SARIF name.
    pub(crate) shard: Option<Shard>,
}

impl ReportStyle {
    /// `urlcheck`, or `urlcheck (shard 2/8)`: the run's name in reports.
    pub(crate) fn run_name(&self) -> String {
        match self.shard {
            Some(shard) => format!("urlcheck (shard {shard})"),
            None => "urlcheck".to_string(),
        }
    }
}

/// `--dry-run`'s listing of what would be checked, writing to `out`.
pub(crate) fn listing<W: Write + Send + 'static>(out: W) -> Box<dyn Reporter> {
    Box::new(listing::Listing::new(out))
}

/// The reporter for `format`, writing to `out`.
pub(crate) fn reporter<W: Write + Send + 'static>(
    format: Format,
    look: ReportStyle,
    out: W,
) -> Box<dyn Reporter> {
    match format {
        Format::Human => Box::new(human::Human::new(out, look.color, look.verbose)),
        Format::Jsonl => Box::new(jsonl::Jsonl::new(out)),
        Format::Csv => Box::new(csv::Csv::new(out)),
        Format::Junit => Box::new(junit::Junit::new(out).named(look.run_name())),
        Format::Markdown => Box::new(markdown::Markdown::new(out).named(look.run_name())),
        Format::Sarif => Box::new(sarif::Sarif::new(out, look.shard)),
    }
}

/// GitHub Actions `::error` annotations, one per failed result.
pub(crate) fn github_annotations<W: Write + Send + 'static>(out: W) -> Box<dyn Reporter> {
    Box::new(github::Annotations::new(out))
}
