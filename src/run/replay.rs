//! `--replay`: records that urlcheck wrote earlier (all the shards' outputs,
//! say) go through the same printer, reporters, summary and exit code as a
//! live run's results, and nothing is checked. This is the merge step of a
//! sharded run: `cat shard-*.jsonl | urlcheck --replay - -f junit > all.xml`.

use std::io::{self, BufWriter};
use std::time::Instant;

use anyhow::Context;
use tokio::sync::mpsc;

use super::{Finished, STDOUT_BUFFER, baseline, conclude, look, open_extras};
use crate::config::Config;
use crate::exit_codes::ExitCode;
use crate::input::records::{self, RecordLine};
use crate::output::printer::Printer;
use crate::output::progress::Progress;
use crate::output::reporters;
use crate::run::queue::FeedReport;
use crate::run::workers::ShutdownReport;
use crate::stop::Stop;

/// Records sent to the printer at a time.
const RESULTS_CAPACITY: usize = 1024;

pub(crate) async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let baseline = baseline(&config)?;
    let extras = open_extras(&config)?;
    let mut files = Vec::with_capacity(config.replay.len());
    for from in &config.replay {
        files.push(records::open(from, "--replay")?);
    }
    let stop = std::sync::Arc::new(Stop::default());
    let (results_tx, results_rx) = mpsc::channel(RESULTS_CAPACITY);
    let stdout = BufWriter::with_capacity(STDOUT_BUFFER, io::stdout());
    let printer = Printer {
        reporter: reporters::reporter(config.format, look(&config, config.color_stdout), stdout),
        only_failures: config.only_failures && config.format.streams_results(),
        progress: Progress::new(false, config.stdout_is_terminal),
        extras,
        stop: stop.clone(),
        started,
        baseline,
    }
    .spawn(results_rx)
    .context("cannot start the printer thread")?;
    // Reading is blocking file and stdin I/O: off the runtime's thread.
    let read = tokio::task::spawn_blocking(move || -> anyhow::Result<FeedReport> {
        let mut feed = FeedReport::default();
        for mut records in files {
            while let Some(line) = records.next_record()? {
                let record = match line {
                    RecordLine::Record(record) => record,
                    RecordLine::Incomplete => anyhow::bail!(
                        "{}:{}: the last record is cut short (a run killed while writing?); \
                         remove that line, or finish the run with --resume",
                        records.name(),
                        records.line_number()
                    ),
                };
                let place = format!("{}:{}", records.name(), records.line_number());
                let result = record
                    .into_result()
                    .map_err(|e| anyhow::anyhow!("{place}: not a urlcheck record: {e}"))?;
                feed.urls_read += 1;
                feed.last_read = Some(result.origin.clone());
                if results_tx.blocking_send(result).is_err() {
                    // The printer is gone: stdout was closed.
                    break;
                }
            }
        }
        Ok(feed)
    });
    let feed = read
        .await
        .context("the record reader stopped unexpectedly")?;
    let printed = tokio::task::spawn_blocking(move || printer.join())
        .await
        .ok()
        .and_then(Result::ok)
        .context("the printer stopped unexpectedly")?;
    let feed = feed?;
    let finished = Finished {
        feed,
        printed,
        shutdown: ShutdownReport::default(),
    };
    conclude(&config, finished, &stop, started)
}
