//! The engine every mode runs on. `Engine::start` is the set-up they share:
//! the stop (signals and `--deadline`), the lanes and the checker; `pool`
//! starts the workers on the lanes, and `stop_workers` ends them in order.
//! `start_printer` is the one stdout writer with its reports, for the
//! modes that write records (one pass, `--replay`); `--watch` writes events
//! instead. Jobs come to the workers from one scheduler: `queue.rs` for a
//! pass over the inputs, the ticker for `--watch`.

use std::io::{self, BufWriter};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::mpsc;

use super::lanes::{self, Lanes};
use super::rechecks::Returns;
use super::workers::{Pool, ShutdownReport};
use super::{STDOUT_BUFFER, look, watch_the_clock_and_signals};
use crate::check::Checker;
use crate::check::waiting::Waiting;
use crate::config::{Config, Shard};
use crate::input::Job;
use crate::output::baseline::Baseline;
use crate::output::printer::{NamedReporter, Printer, PrinterReport};
use crate::output::progress::Progress;
use crate::output::reporters;
use crate::results::CheckResult;
use crate::stop::Stop;

/// What every mode's run is made of.
pub(crate) struct Engine {
    /// Why and when the run stops.
    pub(crate) stop: Arc<Stop>,
    /// The threads the checks run on.
    pub(crate) lanes: Lanes,
    pub(crate) checker: Arc<Checker>,
    /// When the run started: reports' wall time, `--wait`'s clock.
    pub(crate) started: Instant,
}

impl Engine {
    /// Set up a run of `config`: Ctrl-C, SIGTERM and the deadline stop it
    /// (`progress` steps aside for what they say), and the checker is
    /// ready on its lanes.
    pub(crate) fn start(
        config: &Config,
        progress: &Progress,
        waiting: Arc<Waiting>,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        let stop = Arc::new(Stop::default());
        let lanes = Lanes::start(lanes::count(config.run.threads(), config.workers))?;
        let checker = Checker::new(config, lanes.len(), started, stop.clone(), waiting)?;
        watch_the_clock_and_signals(config, &stop, progress)?;
        Ok(Engine {
            stop,
            lanes,
            checker: Arc::new(checker),
            started,
        })
    }

    /// `--workers` workers on the lanes, draining `queue` into `results`;
    /// with `returns`, they say what became of each job (`--wait`,
    /// `--links`).
    pub(crate) fn pool(
        &self,
        config: &Config,
        queue: mpsc::Receiver<Job>,
        results: mpsc::Sender<CheckResult>,
        returns: Option<Returns>,
    ) -> Pool<Checker> {
        Pool::spawn(
            config.workers,
            &self.lanes,
            queue,
            results,
            self.checker.clone(),
            self.stop.clone(),
            returns,
        )
    }

    /// The workers' ordered shutdown (see `workers.rs`), then the lanes'.
    pub(crate) async fn stop_workers(self, pool: Pool<Checker>, grace: Duration) -> ShutdownReport {
        let report = pool.shutdown(grace).await;
        self.lanes.stop();
        report
    }
}

/// What the printer is given besides the results.
pub(crate) struct PrinterSetup {
    pub(crate) stop: Arc<Stop>,
    pub(crate) started: Instant,
    pub(crate) progress: Progress,
    pub(crate) side_reports: Vec<NamedReporter>,
    pub(crate) baseline: Option<Baseline>,
    /// The run's `--shard`, which its records name (a replay's name their
    /// own).
    pub(crate) shard: Option<Shard>,
}

/// The one thread that owns stdout, writing `results` in `--format` (or
/// `--dry-run`'s listing), and the side reports.
pub(crate) fn start_printer(
    config: &Config,
    setup: PrinterSetup,
    results: mpsc::Receiver<CheckResult>,
) -> anyhow::Result<JoinHandle<PrinterReport>> {
    let stdout = BufWriter::with_capacity(STDOUT_BUFFER, io::stdout());
    Printer {
        reporter: if config.sites.dry_run {
            reporters::listing(stdout)
        } else {
            reporters::reporter(
                config.run.format(),
                look(config, config.color_stdout),
                stdout,
            )
        },
        // Reports with totals cover every result, whatever --only-failures says.
        only_failures: config.run.only_failures() && config.run.format().streams_results(),
        streams: config.run.format().streams_results(),
        progress: setup.progress,
        side_reports: setup.side_reports,
        stop: setup.stop,
        started: setup.started,
        baseline: setup.baseline,
        shard: setup.shard,
    }
    .spawn(results)
    .context("cannot start the printer thread")
}

/// Wait for the printer to write what is left, off the async threads.
pub(crate) async fn join_printer(
    printer: JoinHandle<PrinterReport>,
) -> anyhow::Result<PrinterReport> {
    tokio::task::spawn_blocking(move || printer.join())
        .await
        .ok()
        .and_then(Result::ok)
        .context("the printer stopped unexpectedly")
}
