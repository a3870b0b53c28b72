//! One run, wired together: inputs feed the bounded queue (`queue.rs`), the
//! worker pool drains it (`workers.rs`), the printer writes results; then
//! the ordered shutdown, the summary and the exit code. `signals.rs` turns
//! Ctrl-C and SIGTERM into a stop; `limits.rs` fits `--workers` to the
//! open-file limit.

mod frontier;
pub(crate) mod lanes;
mod limits;
mod queue;
mod rechecks;
mod replay;
pub(crate) mod signals;
pub(crate) mod workers;

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::sync::mpsc;
use tokio::task::JoinHandle as TaskHandle;
use tokio_util::sync::CancellationToken;

use crate::check::Checker;
use crate::check::waiting::Waiting;
use crate::config::{Config, Format, InputSpec};
use crate::diag;
use crate::exit_codes::ExitCode;
use crate::input::lines::count_url_lines;
use crate::input::resume::Done;
use crate::input::{self, Input, Selection};
use crate::output::baseline::Baseline;
use crate::output::printer::{NamedReporter, Printer, PrinterReport};
use crate::output::progress::Progress;
use crate::output::reporters::{self, Look};
use crate::output::summary::{RunFacts, write_summary};
use crate::stop::{Stop, StopReason};
use frontier::Frontier;
use lanes::Lanes;
use queue::FeedReport;
use workers::{Pool, ShutdownReport};

const STDOUT_BUFFER: usize = 64 * 1024;

/// Room for the results of the printer's pause (see `printer.rs`) at any
/// rate this machine reaches, so that no worker waits on the printer.
const MIN_RESULTS_CAPACITY: usize = 1024;

/// The results channel holds what is queued and in flight, and at least
/// `MIN_RESULTS_CAPACITY`.
fn results_capacity(config: &Config) -> usize {
    (config.queue_capacity() + config.workers).max(MIN_RESULTS_CAPACITY)
}

/// Run the checks the configuration asks for, and say how it went.
pub(crate) async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let config = fit_to_open_files(config);
    if !config.replay.is_empty() {
        return replay::run(config).await;
    }
    let inputs = open_inputs(&config).await?;
    let selection = selection(&config)?;
    let baseline = baseline(&config)?;
    let extras = open_extras(&config)?;
    let stop = Arc::new(Stop::default());
    let waiting = Arc::new(Waiting::default());
    let lanes = Lanes::start(lanes::count(config.threads, config.workers))?;
    let checker = Checker::new(&config, lanes.len(), started, stop.clone(), waiting.clone())?;
    warn_if_insecure(&config);
    let progress = Progress::new(config.progress, config.stdout_is_terminal);
    watch_the_clock_and_signals(&config, &stop, &progress)?;
    show_progress(&config, &progress, waiting);
    let stages = Stages {
        checker: Arc::new(checker),
        lanes,
        stop: stop.clone(),
        progress: progress.clone(),
        started,
        selection,
        baseline,
    };
    let pipeline = Pipeline::start(&config, inputs, extras, stages)?;
    let finished = pipeline.finish(&config, &stop).await?;
    progress.finish();
    conclude(&config, finished, &stop, started)
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

/// Which lines to check: `--shard`'s, less what the `--resume` file has
/// (read now: an unreadable file, or one from other inputs, is an error
/// before any check).
fn selection(config: &Config) -> anyhow::Result<Selection> {
    let done = match &config.resume {
        None => None,
        Some(path) => {
            Done::warn_if_stdout_emptied(path);
            let done = Done::load(path)?;
            let mut sources: Vec<String> = config
                .inputs
                .iter()
                .filter_map(|input| match input {
                    InputSpec::File(path) => Some(path.display().to_string()),
                    InputSpec::Stdin => Some("-".to_string()),
                    InputSpec::Url(_) => None,
                })
                .collect();
            sources.extend(config.config_checks.iter().map(|c| c.file.to_string()));
            // Only a file of these inputs is cut.
            done.check_sources(sources.iter().map(String::as_str))?;
            done.cut_file(path)?;
            Some(done)
        }
    };
    Ok(Selection {
        shard: config.shard,
        done,
    })
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

fn warn_if_insecure(config: &Config) {
    if config.insecure && config.summary {
        diag::warning(format_args!(
            "--insecure: TLS certificates are not verified; any server can pose as these hosts"
        ));
    }
}

/// Stop on Ctrl-C or SIGTERM, and at the `--deadline`.
pub(crate) fn watch_the_clock_and_signals(
    config: &Config,
    stop: &Arc<Stop>,
    progress: &Progress,
) -> anyhow::Result<()> {
    signals::watch(stop.clone(), progress.clone(), config.shutdown_timeout)?;
    if let Some(limit) = config.deadline {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(limit).await;
            stop.trigger(StopReason::Deadline(limit));
        });
    }
    Ok(())
}

/// Give the progress bar its total and, with `--wait`, what it waits for.
fn show_progress(config: &Config, progress: &Progress, waiting: Arc<Waiting>) {
    if config.progress {
        count_total_in_background(config, progress.clone());
        if config.wait.is_some() {
            show_waiting(waiting, progress.clone());
        }
    } else if let Some(wait) = config.wait
        && config.summary
    {
        log_waiting(waiting, wait);
    }
}

/// How often a log without a progress bar hears what `--wait` waits for.
const WAITING_LOG_EVERY: Duration = Duration::from_secs(10);

/// `--wait` in a CI log (no progress bar): a line when waiting starts, with
/// how many URLs and until when, then at most every `WAITING_LOG_EVERY`.
fn log_waiting(waiting: Arc<Waiting>, wait: Duration) {
    // A wait beyond what the clock can hold is shown as a century.
    let wait = wait.min(Duration::from_secs(100 * 365 * 24 * 3600));
    let ends = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now() + wait);
    let deadline = Instant::now() + wait;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut said: Option<Instant> = None;
        loop {
            tick.tick().await;
            let Some(what) = waiting.describe() else {
                said = None;
                continue;
            };
            let left = crate::text::format_span(deadline.saturating_duration_since(Instant::now()));
            match said {
                None => diag::note(format_args!(
                    "--wait: {what}; until {} ({left} left)",
                    ends.format("%H:%M:%S UTC")
                )),
                Some(at) if at.elapsed() >= WAITING_LOG_EVERY => {
                    diag::note(format_args!("--wait: still {what} ({left} left)"))
                }
                Some(_) => continue,
            }
            said = Some(Instant::now());
        }
    });
}

/// The running stages: the printer thread, the feeder task and the pool.
struct Pipeline {
    printer: JoinHandle<PrinterReport>,
    feeder: TaskHandle<FeedReport>,
    pool: Pool<Checker>,
    lanes: Lanes,
    /// Ends reading alone, without the run counting as stopped.
    stop_reading: CancellationToken,
}

/// What the stages reported once they had all ended.
struct Finished {
    feed: FeedReport,
    printed: PrinterReport,
    shutdown: ShutdownReport,
}

/// What the stages share.
struct Stages {
    checker: Arc<Checker>,
    lanes: Lanes,
    stop: Arc<Stop>,
    progress: Progress,
    /// When the run started, for the reports' wall time.
    started: Instant,
    /// Which lines the feeder queues.
    selection: Selection,
    baseline: Option<Baseline>,
}

impl Pipeline {
    fn start(
        config: &Config,
        inputs: Vec<Input>,
        extras: Vec<NamedReporter>,
        stages: Stages,
    ) -> anyhow::Result<Self> {
        let Stages {
            checker,
            lanes,
            stop,
            progress,
            started,
            selection,
            baseline,
        } = stages;
        let (queue_tx, queue_rx) = mpsc::channel(config.queue_capacity());
        let (results_tx, results_rx) = mpsc::channel(results_capacity(config));
        let stdout = BufWriter::with_capacity(STDOUT_BUFFER, io::stdout());
        let printer = Printer {
            reporter: if config.sites.dry_run {
                reporters::listing(stdout)
            } else {
                reporters::reporter(config.format, look(config, config.color_stdout), stdout)
            },
            // Reports with totals cover every result, whatever --only-failures says.
            only_failures: config.only_failures && config.format.streams_results(),
            streams: config.format.streams_results(),
            progress,
            extras,
            stop: stop.clone(),
            started,
            baseline,
            shard: config.shard,
        }
        .spawn(results_rx)
        .context("cannot start the printer thread")?;
        let stop_reading = stop.child_token();
        let throttle = checker.throttle();
        // --wait: up to --lookahead URLs awaited, beside those in the queue
        // and in flight, before the feeder reads on.
        // --links: the pages not yet finished, and the links they found.
        let (returns, rechecks) = match config.wait.or(config.sites.links.map(|_| Duration::ZERO)) {
            Some(_) => {
                let limit = config.lookahead + config.queue_capacity() + config.workers;
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
                .then_some((throttle, config.lookahead)),
            rechecks,
            sites: config.sites.clone(),
            client: config
                .reads_sitemaps()
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
        let pool = Pool::spawn(
            config.workers,
            &lanes,
            queue_rx,
            results_tx,
            checker,
            stop.clone(),
            returns,
        );
        Ok(Pipeline {
            printer,
            feeder,
            pool,
            lanes,
            stop_reading,
        })
    }

    /// Shutdown, in order: the feeder finishes (or is stopped), the queue
    /// closes, workers drain it and exit, and past the grace period they are
    /// aborted, with every check they held still reported; then the printer
    /// writes what is left.
    async fn finish(mut self, config: &Config, stop: &Stop) -> anyhow::Result<Finished> {
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
            _ => config.shutdown_timeout,
        };
        let shutdown = self.pool.shutdown(grace).await;
        self.lanes.stop();
        let feed = self
            .feeder
            .await
            .context("the input reader stopped unexpectedly")?;
        let printer = self.printer;
        let printed = tokio::task::spawn_blocking(move || printer.join())
            .await
            .ok()
            .and_then(Result::ok)
            .context("the printer stopped unexpectedly")?;
        Ok(Finished {
            feed,
            printed,
            shutdown,
        })
    }
}

/// Errors, the summary and the exit code.
fn conclude(
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
        if printed.stats.total == 0 && feed.skipped == 0 {
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
            phases: config.verbose,
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
fn open_extras(config: &Config) -> anyhow::Result<Vec<NamedReporter>> {
    let mut extras = Vec::new();
    // A dry run checks nothing: there is nothing to report.
    if config.sites.dry_run {
        return Ok(extras);
    }
    for (format, path) in &config.reports {
        let file = File::create(path)
            .with_context(|| format!("cannot create report file {}", path.display()))?;
        extras.push(file_reporter(config, *format, path, file));
    }
    if let Some(github) = &config.github {
        extras.push(NamedReporter {
            name: "GitHub annotations".into(),
            reporter: reporters::github_annotations(io::stderr()),
        });
        if let Some(path) = &github.step_summary {
            let file = OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .with_context(|| format!("cannot open GITHUB_STEP_SUMMARY {}", path.display()))?;
            extras.push(file_reporter(config, Format::Markdown, path, file));
        }
    }
    Ok(extras)
}

fn file_reporter(config: &Config, format: Format, path: &Path, file: File) -> NamedReporter {
    NamedReporter {
        name: format!("report {}", path.display()),
        reporter: reporters::reporter(format, look(config, false), BufWriter::new(file)),
    }
}

/// How the run's reports look; `color` for the one at hand.
fn look(config: &Config, color: bool) -> Look {
    Look {
        color,
        verbose: config.verbose,
        shard: config.shard,
    }
}

/// Keep the progress bar's message on what `--wait` is waiting for.
fn show_waiting(waiting: Arc<Waiting>, progress: Progress) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            if let Some(message) = waiting.describe() {
                progress.set_message(message);
            }
        }
    });
}

/// Give the progress bar a total when every input can be counted up front
/// (config checks, arguments and regular files; not stdin or pipes).
/// Counting streams the files once more, off the async threads.
fn count_total_in_background(config: &Config, progress: Progress) {
    // A shard or a resumed run checks an unknown part of the lines: the bar
    // counts without a total rather than show a wrong one.
    if config.shard.is_some() || config.resume.is_some() {
        return;
    }
    let mut known = config.config_checks.len() as u64;
    let mut files: Vec<PathBuf> = Vec::new();
    for spec in &config.inputs {
        match spec {
            InputSpec::Url(_) => known += 1,
            InputSpec::File(path) => files.push(path.clone()),
            InputSpec::Stdin => return,
        }
    }
    tokio::task::spawn_blocking(move || {
        let mut total = known;
        for file in &files {
            match count_url_lines(file) {
                Some(n) => total += n,
                None => return,
            }
        }
        progress.set_total(total);
    });
}
