//! One run, wired together: inputs feed the bounded queue, the worker pool
//! drains it, the printer writes results; then the ordered shutdown, the
//! summary and the exit code.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::sync::mpsc;

use crate::check::Checker;
use crate::config::{Config, Format, InputSpec};
use crate::diag;
use crate::exit_codes::ExitCode;
use crate::input::{self, Input, count_url_lines};
use crate::printer::{Extra, Printer};
use crate::progress::Progress;
use crate::queue;
use crate::reporters;
use crate::signals;
use crate::stop::{Stop, StopReason};
use crate::summary::{RunFacts, write_summary};
use crate::waiting::Waiting;
use crate::workers::Pool;

const STDOUT_BUFFER: usize = 64 * 1024;

/// Room for the results of the printer's pause (see `printer.rs`) at any
/// rate this machine reaches, so that no worker waits on the printer.
const MIN_RESULTS_CAPACITY: usize = 1024;

/// The results channel holds what is queued and in flight, and at least
/// `MIN_RESULTS_CAPACITY`.
fn results_capacity(config: &Config) -> usize {
    (config.queue_capacity() + config.workers).max(MIN_RESULTS_CAPACITY)
}

pub async fn run(mut config: Config) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let (workers, reduced) = crate::limits::fit_workers(config.workers);
    if let Some(message) = reduced {
        diag::warning(format_args!("{message}"));
        config.workers = workers;
    }
    let mut inputs: Vec<Input> = config
        .config_checks
        .iter()
        .cloned()
        .map(Input::Check)
        .collect();
    inputs.extend(input::open_inputs(&config.inputs).await?);
    let extras = open_extras(&config)?;

    let stop = Arc::new(Stop::default());
    let waiting = Arc::new(Waiting::default());
    let checker = Arc::new(Checker::new(
        &config,
        started,
        stop.clone(),
        waiting.clone(),
    )?);
    if config.insecure && config.summary {
        diag::warning(format_args!(
            "--insecure: TLS certificates are not verified; any server can pose as these hosts"
        ));
    }
    // The feeder's token is a child of `stop`, so reading can also be ended
    // alone, without the run counting as stopped.
    let stop_reading = stop.child_token();
    let progress = Progress::new(config.progress, config.stdout_is_terminal);
    signals::watch(stop.clone(), progress.clone(), config.shutdown_timeout)?;
    if let Some(limit) = config.deadline {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(limit).await;
            stop.trigger(StopReason::Deadline(limit));
        });
    }
    if config.progress {
        count_total_in_background(&config, progress.clone());
        if config.wait.is_some() {
            show_waiting(waiting, progress.clone());
        }
    }

    let (queue_tx, queue_rx) = mpsc::channel(config.queue_capacity());
    let (results_tx, results_rx) = mpsc::channel(results_capacity(&config));
    let stdout = BufWriter::with_capacity(STDOUT_BUFFER, io::stdout());
    let printer = Printer {
        reporter: reporters::reporter(config.format, config.color_stdout, stdout),
        // Reports with totals cover every result, whatever --only-failures says.
        only_failures: config.only_failures
            && matches!(config.format, Format::Human | Format::Jsonl | Format::Csv),
        progress: progress.clone(),
        extras,
        stop: stop.clone(),
        started,
    }
    .spawn(results_rx)
    .context("cannot start the printer thread")?;

    let feeder = tokio::spawn(queue::feed(
        inputs,
        config.spec.clone(),
        queue_tx,
        results_tx.clone(),
        stop.clone(),
        stop_reading.clone(),
    ));
    let mut pool = Pool::spawn(config.workers, queue_rx, results_tx, checker, stop.clone());

    // Shutdown, in order: the feeder finishes (or is stopped), the queue
    // closes, workers drain it and exit, and past the grace period they are
    // aborted, with every check they held still reported.
    tokio::select! {
        _ = pool.wait() => {}
        _ = stop.stopped() => {}
    }
    // Workers only end on their own once the queue has closed, so the feeder
    // is done; should they all have died, it must not wait for them forever.
    stop_reading.cancel();
    let grace = match stop.reason() {
        // The deadline is the deadline: nothing more is waited for.
        Some(StopReason::Deadline(_)) => Duration::ZERO,
        _ => config.shutdown_timeout,
    };
    let shutdown = pool.shutdown(grace).await;
    let feed = feeder
        .await
        .context("the input reader stopped unexpectedly")?;
    let printed = tokio::task::spawn_blocking(move || printer.join())
        .await
        .ok()
        .and_then(Result::ok)
        .context("the printer stopped unexpectedly")?;
    progress.finish();

    for error in feed.read_errors.iter().chain(&printed.report_errors) {
        diag::error(format_args!("{error}"));
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
        if printed.stats.total == 0 {
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
        };
        let _ = write_summary(
            &mut io::stderr().lock(),
            &printed.stats,
            &facts,
            config.color_stderr,
        );
    }
    let failed = printed.stats.failed > 0
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
fn open_extras(config: &Config) -> anyhow::Result<Vec<Extra>> {
    let mut extras = Vec::new();
    for (format, path) in &config.reports {
        let file = File::create(path)
            .with_context(|| format!("cannot create report file {}", path.display()))?;
        extras.push(file_extra(*format, path, file));
    }
    if let Some(github) = &config.github {
        extras.push(Extra {
            name: "GitHub annotations".into(),
            reporter: reporters::github_annotations(io::stderr()),
        });
        if let Some(path) = &github.step_summary {
            let file = OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .with_context(|| format!("cannot open GITHUB_STEP_SUMMARY {}", path.display()))?;
            extras.push(file_extra(Format::Markdown, path, file));
        }
    }
    Ok(extras)
}

fn file_extra(format: Format, path: &Path, file: File) -> Extra {
    Extra {
        name: format!("report {}", path.display()),
        reporter: reporters::reporter(format, false, BufWriter::new(file)),
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
