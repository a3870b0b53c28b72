//! The printer: one thread owns stdout. It receives every result from the
//! workers, writes it with the chosen reporter as soon as it arrives, flushes
//! whenever it has caught up, and keeps the counts for the summary. A closed
//! stdout stops the run quietly.

use std::io;
use std::thread;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::progress::Progress;
use crate::reporters::Reporter;
use crate::results::CheckResult;
use crate::summary::Stats;

/// Results written in one go before a flush, while more are waiting.
const BATCH: usize = 256;

/// What the printer saw.
pub struct PrinterReport {
    pub stats: Stats,
    /// The reader of stdout went away (`| head`): not an error.
    pub stdout_closed: bool,
    /// Writing failed for another reason (disk full, ...).
    pub write_error: Option<io::Error>,
}

pub struct Printer {
    pub reporter: Box<dyn Reporter>,
    pub only_failures: bool,
    pub progress: Progress,
    /// Cancelled when stdout can no longer be written, to stop the run.
    pub stop: CancellationToken,
}

impl Printer {
    /// Start the printer thread; it ends when every sender of `results` is gone.
    pub fn spawn(
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
            for result in &batch {
                report.stats.add(result);
            }
            self.progress
                .advance(batch.len() as u64, report.stats.failed);
            let writing = !report.stdout_closed && report.write_error.is_none();
            if writing && let Err(e) = self.write(&batch) {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    report.stdout_closed = true;
                } else {
                    report.write_error = Some(e);
                }
                self.stop.cancel();
            }
            batch.clear();
        }
        report
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
