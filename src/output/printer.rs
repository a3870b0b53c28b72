//! The printer: one thread owns stdout. It receives every result from the
//! workers, writes it with the chosen reporter as soon as it arrives, flushes
//! whenever it has caught up, and keeps the counts for the summary. Extra
//! reporters (report files, GitHub annotations) see every result too. A
//! closed stdout stops the run quietly.

use std::io;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::baseline::Baseline;
use super::progress::Progress;
use super::reporters::Reporter;
use super::stats::Stats;
use crate::results::{CheckResult, Shard};
use crate::stop::{Stop, StopReason};

/// Results written in one go before a flush, while more are waiting.
const BATCH: usize = 256;

/// How long the printer rests once it has caught up. Waking it for every
/// result cost a futex call in the worker and two context switches: about
/// half of urlcheck's CPU time at 20,000 instant checks (`perf stat`: 1.3 s
/// and ~50,000 context switches before, 0.66 s and ~2,000 after). Resting
/// 1 ms bounds the wake-ups to 1,000 a second and delays a result by at
/// most that much.
const CATCH_UP_PAUSE: Duration = Duration::from_millis(1);

/// What the printer saw.
pub(crate) struct PrinterReport {
    pub(crate) stats: Stats,
    /// The reader of stdout went away (`| head`): not an error.
    pub(crate) stdout_closed: bool,
    /// Writing failed for another reason (disk full, ...).
    pub(crate) write_error: Option<io::Error>,
    /// Extra reports that could not be written, with the reason.
    pub(crate) report_errors: Vec<String>,
}

impl PrinterReport {
    /// Note a failed write to stdout: a closed pipe ends the run quietly,
    /// anything else is an error.
    fn stdout_failed(&mut self, error: io::Error) {
        if error.kind() == io::ErrorKind::BrokenPipe {
            self.stdout_closed = true;
        } else {
            self.write_error = Some(error);
        }
    }

    fn writing(&self) -> bool {
        !self.stdout_closed && self.write_error.is_none()
    }
}

/// A reporter besides stdout's (a `--report` file, GitHub annotations), and
/// what to call it in an error.
pub(crate) struct NamedReporter {
    pub(crate) name: String,
    pub(crate) reporter: Box<dyn Reporter>,
}

pub(crate) struct Printer {
    pub(crate) reporter: Box<dyn Reporter>,
    /// Whether stdout's format writes each result as it comes.
    pub(crate) streams: bool,
    pub(crate) only_failures: bool,
    pub(crate) progress: Progress,
    /// Every result, whatever `only_failures` says; finished at the end.
    pub(crate) side_reports: Vec<NamedReporter>,
    /// Triggered when stdout can no longer be written, to stop the run.
    pub(crate) stop: Arc<Stop>,
    /// When the run started, for the reports' wall time.
    pub(crate) started: Instant,
    /// `--baseline`: which failures are known.
    pub(crate) baseline: Option<Baseline>,
    /// `--shard`: named in every record, so that a merge can tell a shard
    /// missing.
    pub(crate) shard: Option<Shard>,
}

impl Printer {
    /// Start the printer thread; it ends when every sender of `results` is gone.
    pub(crate) fn spawn(
        self,
        results: mpsc::Receiver<CheckResult>,
    ) -> io::Result<thread::JoinHandle<PrinterReport>> {
        thread::Builder::new()
            .name("urlcheck-printer".into())
            .spawn(move || self.run(results))
    }

    fn run(mut self, mut results: mpsc::Receiver<CheckResult>) -> PrinterReport {
        let mut report = PrinterReport {
            stats: Stats::default(),
            stdout_closed: false,
            write_error: None,
            report_errors: Vec::new(),
        };
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(first) = results.blocking_recv() {
            batch.push(first);
            while batch.len() < BATCH {
                match results.try_recv() {
                    Ok(result) => batch.push(result),
                    Err(_) => break,
                }
            }
            // Another shard's pages, read here for their links only.
            batch.retain(|r| !r.silent);
            if batch.is_empty() {
                continue;
            }
            if let Some(baseline) = &self.baseline {
                batch.iter_mut().for_each(|r| baseline.judge(r));
            }
            if let Some(shard) = self.shard {
                batch.iter_mut().for_each(|r| r.shard = Some(shard));
            }
            for result in &batch {
                report.stats.add(result);
            }
            self.write_side_reports(&batch, &mut report.report_errors);
            self.progress
                .advance(batch.len() as u64, report.stats.failed);
            if report.writing() {
                match self.write(&batch) {
                    // A report written at the end (JUnit, Markdown, SARIF)
                    // holds nothing until then.
                    Ok(()) if self.streams => self.stop.ledger.written(batch.len()),
                    Ok(()) => {}
                    Err(e) => {
                        report.stdout_failed(e);
                        self.stop.trigger(StopReason::Output);
                    }
                }
            }
            // Caught up: rest a moment, so that at a high rate the next
            // wake-up finds a batch rather than a single result.
            if batch.len() < BATCH {
                thread::sleep(CATCH_UP_PAUSE);
            }
            batch.clear();
        }
        self.finish(&mut report);
        report
    }

    /// Hand a batch to the side reporters; one that fails is dropped, with
    /// its error kept for the end.
    fn write_side_reports(&mut self, batch: &[CheckResult], errors: &mut Vec<String>) {
        let progress = &self.progress;
        self.side_reports.retain_mut(|side| {
            let written = progress.around(|| {
                batch
                    .iter()
                    .try_for_each(|r| side.reporter.report(r))
                    .and_then(|()| side.reporter.flush())
            });
            written
                .map_err(|e| errors.push(format!("cannot write {}: {e}", side.name)))
                .is_ok()
        });
    }

    /// End-of-run formats write now: also after a stop, so files are whole.
    fn finish(&mut self, report: &mut PrinterReport) {
        let wall = self.started.elapsed();
        if report.writing() {
            let reporter = &mut self.reporter;
            if let Err(e) = self.progress.around(|| reporter.finish(wall)) {
                report.stdout_failed(e);
            }
        }
        for side in &mut self.side_reports {
            if let Err(e) = side.reporter.finish(wall) {
                report
                    .report_errors
                    .push(format!("cannot write {}: {e}", side.name));
            }
        }
    }

    fn write(&mut self, batch: &[CheckResult]) -> io::Result<()> {
        let reporter = &mut self.reporter;
        let only_failures = self.only_failures;
        self.progress.around(|| {
            for result in batch {
                if !only_failures || !result.ok() {
                    reporter.report(result)?;
                }
            }
            reporter.flush()
        })
    }
}
