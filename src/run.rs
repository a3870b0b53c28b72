//! One run, wired together: inputs feed the bounded queue, the worker pool
//! drains it, the printer writes results; then the ordered shutdown, the
//! summary and the exit code.

use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::check::Checker;
use crate::config::{Config, InputSpec};
use crate::diag;
use crate::exit_codes::ExitCode;
use crate::input::{self, count_url_lines};
use crate::printer::Printer;
use crate::progress::Progress;
use crate::queue;
use crate::reporters;
use crate::signals;
use crate::summary::{RunFacts, write_summary};
use crate::workers::Pool;

const STDOUT_BUFFER: usize = 64 * 1024;

pub async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let inputs = input::open_inputs(&config.inputs).await?;
    let checker = Arc::new(Checker::new(&config)?);
    if config.insecure && config.summary {
        diag::warning(format_args!(
            "--insecure: TLS certificates are not verified; any server can pose as these hosts"
        ));
    }

    // `stop` ends the run early: a signal, or stdout gone. The feeder's token
    // is its child, so the run can also stop reading without counting as stopped.
    let stop = CancellationToken::new();
    let feeder_stop = stop.child_token();
    let progress = Progress::new(config.progress, config.stdout_is_terminal);
    let signal = signals::watch(stop.clone(), progress.clone(), config.shutdown_timeout)?;
    if config.progress {
        count_total_in_background(&config.inputs, progress.clone());
    }

    let (queue_tx, queue_rx) = mpsc::channel(config.queue_capacity());
    let (results_tx, results_rx) = mpsc::channel(config.queue_capacity() + config.workers);
    let stdout = BufWriter::with_capacity(STDOUT_BUFFER, io::stdout());
    let printer = Printer {
        reporter: reporters::reporter(config.format, config.color_stdout, stdout),
        only_failures: config.only_failures,
        progress: progress.clone(),
        stop: stop.clone(),
    }
    .spawn(results_rx)
    .context("cannot start the printer thread")?;

    let feeder = tokio::spawn(queue::feed(
        inputs,
        queue_tx,
        results_tx.clone(),
        feeder_stop.clone(),
    ));
    let mut pool = Pool::spawn(config.workers, queue_rx, results_tx, checker, stop.clone());

    // Shutdown, in order: the feeder finishes (or is stopped), the queue
    // closes, workers drain it and exit, and past the grace period they are
    // aborted, with every check they held still reported.
    tokio::select! {
        _ = pool.wait() => {}
        _ = stop.cancelled() => {}
    }
    // Workers only end on their own once the queue has closed, so the feeder
    // is done; should they all have died, it must not wait for them forever.
    feeder_stop.cancel();
    let shutdown = pool.shutdown(config.shutdown_timeout).await;
    let feed = feeder
        .await
        .context("the input reader stopped unexpectedly")?;
    let printed = tokio::task::spawn_blocking(move || printer.join())
        .await
        .ok()
        .and_then(Result::ok)
        .context("the printer stopped unexpectedly")?;
    progress.finish();

    let signal = signal.get().copied();
    for error in &feed.read_errors {
        diag::error(format_args!("{error}"));
    }
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
    if config.summary && !printed.stdout_closed {
        let facts = RunFacts {
            wall: started.elapsed(),
            stopped_by: signal.map(signals::Signal::name),
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
    Ok(match signal {
        Some(signal) => signal.exit_code(),
        None if printed.stats.failed > 0 || !feed.read_errors.is_empty() => ExitCode::Failures,
        None => ExitCode::Success,
    })
}

/// Give the progress bar a total when every input can be counted up front
/// (arguments and regular files; not stdin or pipes). Counting streams the
/// files once more, off the async threads.
fn count_total_in_background(specs: &[InputSpec], progress: Progress) {
    let mut args = 0u64;
    let mut files: Vec<PathBuf> = Vec::new();
    for spec in specs {
        match spec {
            InputSpec::Url(_) => args += 1,
            InputSpec::File(path) => files.push(path.clone()),
            InputSpec::Stdin => return,
        }
    }
    tokio::task::spawn_blocking(move || {
        let mut total = args;
        for file in &files {
            match count_url_lines(file) {
                Some(n) => total += n,
                None => return,
            }
        }
        progress.set_total(total);
    });
}
