//! The engine every mode runs on (`modes/`): `engine.rs` sets up what every
//! run shares; in a `Pipeline`, every source (lines, sitemaps, documents,
//! links found on pages, `--wait`'s re-checks) feeds one scheduler, the
//! feeder (`queue.rs`), which fills the bounded queue that the worker pool
//! drains (`workers.rs`), and the printer writes the results; then the
//! ordered shutdown, the summary and the exit code (`conclude`).
//! `signals.rs` turns Ctrl-C and SIGTERM into a stop; `limits.rs` fits
//! `--workers` to the open-file limit.

mod crawl;
pub(crate) mod engine;
mod frontier;
pub(crate) mod lanes;
mod limits;
pub(crate) mod queue;
mod rechecks;
pub(crate) mod signals;
mod spill;
pub(crate) mod workers;

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::sync::mpsc;
use tokio::task::JoinHandle as TaskHandle;
use tokio_util::sync::CancellationToken;

use crate::check::Checker;
use crate::config::{Config, Format};
use crate::diag;
use crate::exit_codes::ExitCode;
use crate::input::{self, Input, Selection};
use crate::output::baseline::Baseline;
use crate::output::printer::{NamedReporter, PrinterReport};
use crate::output::progress::Progress;
use crate::output::reporters::{self, ReportStyle};
use crate::output::summary::{RunFacts, write_summary};
use crate::stop::{Stop, StopReason};
use engine::{Engine, PrinterSetup, join_printer, start_printer};
use frontier::Frontier;
use queue::FeedReport;
use workers::{Pool, ShutdownReport};

pub(crate) const STDOUT_BUFFER: usize = 64 * 1024;

/// Room for the results of the printer's pause (see `printer.rs`) at any
/// rate this machine reaches, so that no worker waits on the printer.
const MIN_RESULTS_CAPACITY: usize = 1024;

/// The results channel holds what is queued and in flight, and at least
/// `MIN_RESULTS_CAPACITY`.
fn results_capacity(config: &Config) -> usize {
    (config.queue_capacity() + config.workers).max(MIN_RESULTS_CAPACITY)
}

/// `--workers`, or fewer if the open-file limit cannot hold them (said once).
pub(crate) fn fit_to_open_files(mut config: Config) -> Config {
    let (workers, reduced) = limits::fit_workers(config.workers);
    if let Some(message) = reduced {
        diag::warning(format_args!("{message}"));
        config.workers = workers;
    }
    config
}

/// The `--baseline` failures, read before any check.
pub(crate) fn baseline(config: &Config) -> anyhow::Result<Option<Baseline>> {
    config.baseline.as_deref().map(Baseline::load).transpose()
}

/// The config file's checks first, then the INPUT arguments, all opened
/// before any check runs.
pub(crate) async fn open_inputs(config: &Config) -> anyhow::Result<Vec<Input>> {
    let mut inputs: Vec<Input> = config
        .config_checks
        .iter()
        .cloned()
        .map(Input::Check)
        .collect();
    inputs.extend(input::open_inputs(&config.inputs, &config.sites).await?);
    Ok(inputs)
}

/// Stop on Ctrl-C or SIGTERM, and at the `--deadline`.
pub(crate) fn watch_the_clock_and_signals(
    config: &Config,
    stop: &Arc<Stop>,
    progress: &Progress,
) -> anyhow::Result<()> {
    signals::watch(
        stop.clone(),
        progress.clone(),
        config.run.shutdown_timeout(),
    )?;
    if let Some(limit) = *config.run.deadline() {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(limit).await;
            stop.trigger(StopReason::Deadline(limit));
        });
    }
    Ok(())
}

/// The running stages: the printer thread, the feeder task and the pool.
pub(crate) struct Pipeline {
    printer: JoinHandle<PrinterReport>,
    feeder: TaskHandle<FeedReport>,
    pool: Pool<Checker>,
    engine: Engine,
    /// Ends reading alone, without the run counting as stopped.
    stop_reading: CancellationToken,
}

/// What the stages reported once they had all ended.
pub(crate) struct Finished {
    pub(crate) feed: FeedReport,
    pub(crate) printed: PrinterReport,
    pub(crate) shutdown: ShutdownReport,
}

impl Pipeline {
    pub(crate) fn start(
        config: &Config,
        inputs: Vec<Input>,
        selection: Selection,
        printer: PrinterSetup,
        engine: Engine,
    ) -> anyhow::Result<Self> {
        let stop = engine.stop.clone();
        let (queue_tx, queue_rx) = mpsc::channel(config.queue_capacity());
        let (results_tx, results_rx) = mpsc::channel(results_capacity(config));
        let printer = start_printer(config, printer, results_rx)?;
        let checker = &engine.checker;
        let stop_reading = stop.child_token();
        let throttle = checker.throttle();
        // --wait: up to --lookahead URLs awaited, beside those in the queue
        // and in flight, before the feeder reads on.
        // --links: the pages not yet finished, and the links they found.
        let (returns, rechecks) = match config
            .run
            .wait()
            .or(config.sites.links.map(|_| Duration::ZERO))
        {
            Some(_) => {
                let limit = config.run.lookahead() + config.queue_capacity() + config.workers;
                let (returns, rechecks) = rechecks::channel(limit);
                (Some(returns), Some(rechecks))
            }
            None => (None, None),
        };
        let plan = queue::Plan {
            selection,
            spec: config.spec.clone(),
            // A dry run makes no request: it holds no host's slot.
            lookahead: (throttle.limits_hosts() && !config.sites.dry_run)
                .then_some((throttle, config.run.lookahead())),
            rechecks,
            sites: config.sites.clone(),
            client: (config.reads_sitemaps() || config.sites.crawl.is_some())
                .then(|| crate::check::source_client(config))
                .transpose()?,
            frontier: config.finds_links().then(Frontier::default),
        };
        let feeder = tokio::spawn(queue::feed(
            inputs,
            plan,
            queue_tx,
            results_tx.clone(),
            stop.clone(),
            stop_reading.clone(),
        ));
        let pool = engine.pool(config, queue_rx, results_tx, returns);
        Ok(Pipeline {
            printer,
            feeder,
            pool,
            engine,
            stop_reading,
        })
    }

    /// Shutdown, in order: the feeder finishes (or is stopped), the queue
    /// closes, workers drain it and exit, and past the grace period they are
    /// aborted, with every check they held still reported; then the printer
    /// writes what is left.
    pub(crate) async fn finish(mut self, config: &Config, stop: &Stop) -> anyhow::Result<Finished> {
        tokio::select! {
            _ = self.pool.wait() => {}
            _ = stop.stopped() => {}
        }
        // Workers only end on their own once the queue has closed, so the
        // feeder is done; should they all have died, it must not wait for
        // them forever.
        self.stop_reading.cancel();
        let grace = match stop.reason() {
            // The deadline is the deadline: nothing more is waited for.
            Some(StopReason::Deadline(_)) => Duration::ZERO,
            _ => config.run.shutdown_timeout(),
        };
        let shutdown = self.engine.stop_workers(self.pool, grace).await;
        let feed = self
            .feeder
            .await
            .context("the input reader stopped unexpectedly")?;
        let printed = join_printer(self.printer).await?;
        Ok(Finished {
            feed,
            printed,
            shutdown,
        })
    }
}

/// Errors, the summary and the exit code.
pub(crate) fn conclude(
    config: &Config,
    finished: Finished,
    stop: &Stop,
    started: Instant,
) -> anyhow::Result<ExitCode> {
    let Finished {
        feed,
        printed,
        shutdown,
    } = finished;
    for error in feed.read_errors.iter().chain(&printed.report_errors) {
        diag::error(format_args!("{error}"));
    }
    if let Some(fatal) = feed.fatal {
        bail!(fatal);
    }
    let signal = match stop.reason() {
        Some(StopReason::Signal(signal)) => Some(signal),
        _ => None,
    };
    if signal.is_none() {
        if printed.stdout_closed {
            return Ok(ExitCode::Success);
        }
        if let Some(e) = printed.write_error {
            return Err(anyhow::Error::new(e).context("cannot write results to stdout"));
        }
        // A document with no link to check (or only links to its own
        // anchors, all there) is a pass, not a mistake in the input.
        let read_documents = feed.sites.documents > 0;
        if printed.stats.total == 0 && feed.skipped == 0 && !read_documents {
            if !config.replay.is_empty() {
                bail!("no records to replay: the --replay input is empty");
            }
            bail!("no URLs to check: the input has no URL lines (blank and # lines are skipped)");
        }
    }
    if config.summary {
        let facts = RunFacts {
            wall: started.elapsed(),
            stopped_by: match stop.reason() {
                Some(StopReason::Signal(signal)) => Some(signal.name().to_string()),
                Some(StopReason::Deadline(limit)) => {
                    Some(format!("--deadline {}", humantime::format_duration(limit)))
                }
                _ => None,
            },
            last_read: feed.last_read,
            stopped_reading_early: feed.stopped_early,
            aborted: shutdown.aborted,
            phases: config.run.verbose(),
            shard: config.shard,
            skipped: feed.skipped,
            per_host: config.per_host,
            replay: !config.replay.is_empty(),
            annotated: config.github.is_some(),
            sites: feed.sites.lines(),
            dry_run: config.sites.dry_run,
        };
        let _ = write_summary(
            &mut io::stderr().lock(),
            &printed.stats,
            &facts,
            config.color_stderr,
        );
    }
    // With a baseline, only new failures fail the run; a dry run lists,
    // and fails only when an input could not be read.
    let failed = (printed.stats.new_failed() > 0 && !config.sites.dry_run)
        || !feed.read_errors.is_empty()
        || !printed.report_errors.is_empty();
    Ok(match signal {
        Some(signal) => signal.exit_code(),
        None if failed => ExitCode::Failures,
        None => ExitCode::Success,
    })
}

/// The reporters besides stdout's: `--report` files, and under GitHub
/// Actions the annotations and the step summary. Files are created before
/// any check, so a path that cannot be written is a usage error.
pub(crate) fn open_side_reports(config: &Config) -> anyhow::Result<Vec<NamedReporter>> {
    let mut side_reports = Vec::new();
    // A dry run checks nothing: there is nothing to report.
    if config.sites.dry_run {
        return Ok(side_reports);
    }
    for (format, path) in &config.reports {
        let file = File::create(path)
            .with_context(|| format!("cannot create report file {}", path.display()))?;
        side_reports.push(file_reporter(config, *format, path, file));
    }
    if let Some(github) = &config.github {
        side_reports.push(NamedReporter {
            name: "GitHub annotations".into(),
            reporter: reporters::github_annotations(io::stderr()),
        });
        if let Some(path) = &github.step_summary {
            let file = OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .with_context(|| format!("cannot open GITHUB_STEP_SUMMARY {}", path.display()))?;
            side_reports.push(file_reporter(config, Format::Markdown, path, file));
        }
    }
    Ok(side_reports)
}

fn file_reporter(config: &Config, format: Format, path: &Path, file: File) -> NamedReporter {
    NamedReporter {
        name: format!("report {}", path.display()),
        reporter: reporters::reporter(format, look(config, false), BufWriter::new(file)),
    }
}

/// How the run's reports look; `color` for the one at hand.
pub(crate) fn look(config: &Config, color: bool) -> ReportStyle {
    ReportStyle {
        color,
        verbose: config.run.verbose(),
        shard: config.shard,
    }
}
