//! One pass: every input is read once, each URL line (sitemap entry, link
//! found) checked once, and the run ends with the summary and the exit
//! code. The set-up is the engine's (`run/engine.rs`); what is this mode's
//! own is which lines it checks (`--shard`, `--resume`) and the progress
//! bar with what `--wait` waits for.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::check::waiting::Waiting;
use crate::config::{Config, InputSpec};
use crate::diag;
use crate::exit_codes::ExitCode;
use crate::input::Selection;
use crate::input::lines::count_url_lines;
use crate::input::resume::AlreadyChecked;
use crate::output::progress::Progress;
use crate::run::engine::{Engine, PrinterSetup};
use crate::run::{Pipeline, baseline, conclude, fit_to_open_files, open_inputs, open_side_reports};

/// Run the checks the configuration asks for, and say how it went.
pub(crate) async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let config = fit_to_open_files(config);
    let inputs = open_inputs(&config).await?;
    let selection = selection(&config)?;
    let baseline = baseline(&config)?;
    let side_reports = open_side_reports(&config)?;
    let waiting = Arc::new(Waiting::default());
    let progress = Progress::new(config.progress, config.stdout_is_terminal);
    let engine = Engine::start(&config, &progress, waiting.clone())?;
    warn_if_insecure(&config);
    show_progress(&config, &progress, waiting);
    let stop = engine.stop.clone();
    let started = engine.started;
    let printer = PrinterSetup {
        stop: stop.clone(),
        started,
        progress: progress.clone(),
        side_reports,
        baseline,
        shard: config.shard,
    };
    let pipeline = Pipeline::start(&config, inputs, selection, printer, engine)?;
    let finished = pipeline.finish(&config, &stop).await?;
    progress.finish();
    conclude(&config, finished, &stop, started)
}

/// Which lines to check: `--shard`'s, less what the `--resume` file has
/// (read now: an unreadable file, or one from other inputs, is an error
/// before any check).
fn selection(config: &Config) -> anyhow::Result<Selection> {
    let done = match &config.resume {
        None => None,
        Some(path) => {
            AlreadyChecked::warn_if_stdout_emptied(path);
            let done = AlreadyChecked::load(path)?;
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

fn warn_if_insecure(config: &Config) {
    if config.clients.iter().any(|c| c.insecure) && config.summary {
        diag::warning(format_args!(
            "--insecure: TLS certificates are not verified; any server can pose as these hosts"
        ));
    }
}

/// Give the progress bar its total and, with `--wait`, what it waits for.
fn show_progress(config: &Config, progress: &Progress, waiting: Arc<Waiting>) {
    if config.progress {
        count_total_in_background(config, progress.clone());
        if config.run.wait().is_some() {
            show_waiting(waiting, progress.clone());
        }
    } else if let Some(wait) = *config.run.wait()
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
