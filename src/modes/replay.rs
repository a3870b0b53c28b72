//! `--replay`: records that urlcheck wrote earlier (all the shards' outputs,
//! say) go through the same printer, reporters, summary and exit code as a
//! live run's results, and nothing is checked. This is the merge step of a
//! sharded run: `cat shard-*.jsonl | urlcheck --replay - -f junit > all.xml`.
//! A line's record given twice is refused (or with `--keep-last`, only its
//! last is kept), and a shard none of the records came from is missing
//! (`input/merge.rs`).

use std::fs::File;
use std::io::{self, Seek};
use std::time::Instant;

use anyhow::Context;
use tokio::sync::mpsc;

use crate::config::{Config, RecordsFrom};
use crate::diag;
use crate::exit_codes::ExitCode;
use crate::input::merge::{Coverage, LineCounts, Merge};
use crate::input::records::{self, RecordLine, Records};
use crate::output::progress::Progress;
use crate::results::CheckResult;
use crate::run::engine::{PrinterSetup, join_printer, start_printer};
use crate::run::queue::FeedReport;
use crate::run::workers::ShutdownReport;
use crate::run::{Finished, baseline, conclude, open_side_reports};
use crate::stop::Stop;

/// Records sent to the printer at a time.
const RESULTS_CAPACITY: usize = 1024;

pub(crate) async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let baseline = baseline(&config)?;
    let side_reports = open_side_reports(&config)?;
    // Reading is blocking file and stdin I/O: off the runtime's thread.
    let inputs = config.replay.clone();
    let keep_last = config.keep_last;
    let sources = tokio::task::spawn_blocking(move || Sources::open(inputs, keep_last))
        .await
        .context("the record reader stopped unexpectedly")??;
    let stop = std::sync::Arc::new(Stop::default());
    let (results_tx, results_rx) = mpsc::channel(RESULTS_CAPACITY);
    let setup = PrinterSetup {
        stop: stop.clone(),
        started,
        progress: Progress::new(false, config.stdout_is_terminal),
        side_reports,
        baseline,
        // Each record names its own.
        shard: None,
    };
    let printer = start_printer(&config, setup, results_rx)?;
    let read = tokio::task::spawn_blocking(move || sources.replay(keep_last, &results_tx));
    let read = read
        .await
        .context("the record reader stopped unexpectedly")?;
    let printed = join_printer(printer).await?;
    let Replayed { feed, merge, whole } = read?;
    if whole {
        judge_the_merge(&merge)?;
    }
    let finished = Finished {
        feed,
        printed,
        shutdown: ShutdownReport::default(),
    };
    conclude(&config, finished, &stop, started)
}

/// What the records said as a whole: duplicates left out, and whether a
/// shard is missing (an error when it surely is, a warning when it may
/// have had no line at all).
fn judge_the_merge(merge: &Merge) -> anyhow::Result<()> {
    if merge.dropped > 0 {
        diag::note(format_args!(
            "--keep-last: left out {} records of lines that have a later record",
            merge.dropped
        ));
    }
    let Coverage::Missing { shards, surely } = merge.coverage() else {
        return Ok(());
    };
    let named: Vec<String> = shards.iter().map(ToString::to_string).collect();
    let named = named.join(", ");
    if surely {
        anyhow::bail!(
            "no record came from shard {named}: its output is missing from the merge; \
             give every shard's output (a shard's job may have failed before uploading it)"
        );
    }
    diag::warning(format_args!(
        "no record came from shard {named}: its output may be missing, or it had no line \
         (so few records, a shard may well have none)"
    ));
    Ok(())
}

/// The record files to replay, readable twice for `--keep-last`.
struct Sources {
    sources: Vec<Source>,
}

enum Source {
    /// A regular file, or any source when it is read once.
    Once(RecordsFrom),
    /// Stdin or a pipe, copied to a temporary file to be read twice.
    Spooled(Spool),
}

impl Sources {
    /// Open nothing yet, but copy aside what cannot be read twice (stdin, a
    /// pipe such as `<(cat …)`) when it must be.
    fn open(inputs: Vec<RecordsFrom>, keep_last: bool) -> anyhow::Result<Self> {
        let sources = inputs
            .into_iter()
            .map(|from| match from {
                from if keep_last && !readable_twice(&from) => {
                    Spool::copy(&from).map(Source::Spooled)
                }
                from => Ok(Source::Once(from)),
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Sources { sources })
    }

    /// Each source's records, from the start.
    fn each(&self) -> impl Iterator<Item = anyhow::Result<Records>> + '_ {
        self.sources.iter().map(|source| match source {
            Source::Once(from) => records::open(from, "--replay"),
            Source::Spooled(spool) => spool.records(),
        })
    }

    /// Send every record (with `keep_last`, the last of each line) to the
    /// printer, checking the merge as they go.
    fn replay(
        &self,
        keep_last: bool,
        results: &mpsc::Sender<CheckResult>,
    ) -> anyhow::Result<Replayed> {
        let counts = keep_last.then(|| self.count_lines()).transpose()?;
        let mut merge = Merge::new(counts);
        let mut feed = FeedReport::default();
        for records in self.each() {
            let mut records = records?;
            while let Some(result) = next_result(&mut records)? {
                let keep = merge.admit(&result).map_err(|problem| {
                    anyhow::anyhow!("{}:{}: {problem}", records.name(), records.line_number())
                })?;
                if !keep {
                    continue;
                }
                feed.urls_read += 1;
                feed.last_read = Some(result.origin.clone());
                if results.blocking_send(result).is_err() {
                    // The printer is gone: stdout was closed.
                    return Ok(Replayed {
                        feed,
                        merge,
                        whole: false,
                    });
                }
            }
        }
        Ok(Replayed {
            feed,
            merge,
            whole: true,
        })
    }

    /// The first reading of `--keep-last`: how many records each line has.
    fn count_lines(&self) -> anyhow::Result<LineCounts> {
        let mut counts = LineCounts::default();
        for records in self.each() {
            let mut records = records?;
            while let Some(result) = next_result(&mut records)? {
                counts.count(&result);
            }
        }
        Ok(counts)
    }
}

/// What reading the records gave.
struct Replayed {
    feed: FeedReport,
    merge: Merge,
    /// Every record was read (stdout did not close first).
    whole: bool,
}

/// The next record as a result, or an error naming its place.
fn next_result(records: &mut Records) -> anyhow::Result<Option<CheckResult>> {
    let Some(line) = records.next_record()? else {
        return Ok(None);
    };
    let record = match line {
        RecordLine::Record(record) => record,
        RecordLine::Incomplete => anyhow::bail!(
            "{}:{}: the last record is cut short (a run killed while writing?); \
             remove that line, or finish the run with --resume",
            records.name(),
            records.line_number()
        ),
    };
    record.into_result().map(Some).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}: not a urlcheck record: {e}",
            records.name(),
            records.line_number()
        )
    })
}

/// Whether a source can be read again from the start: a regular file (one
/// that cannot be opened is left to its reader to report).
fn readable_twice(from: &RecordsFrom) -> bool {
    match from {
        RecordsFrom::Stdin => false,
        RecordsFrom::File(path) => std::fs::metadata(path).map_or(true, |m| m.is_file()),
    }
}

/// A source copied to an anonymous temporary file, so that it can be read
/// twice; the file goes when the copy is dropped.
struct Spool {
    file: File,
    name: String,
}

impl Spool {
    fn copy(from: &RecordsFrom) -> anyhow::Result<Spool> {
        let what = || {
            format!(
                "--keep-last reads the records twice, so {} is copied to a temporary file \
                 first, which failed; set TMPDIR to a directory with room, or give regular files",
                from.name()
            )
        };
        let mut file = tempfile::tempfile().with_context(what)?;
        let copied = match from {
            RecordsFrom::Stdin => io::copy(&mut io::stdin().lock(), &mut file),
            RecordsFrom::File(path) => {
                File::open(path).and_then(|mut f| io::copy(&mut f, &mut file))
            }
        };
        copied.with_context(what)?;
        Ok(Spool {
            file,
            name: from.name(),
        })
    }

    /// Its records, from the start.
    fn records(&self) -> anyhow::Result<Records> {
        let again = || format!("cannot read the copy of {} again", self.name);
        let mut file = self.file.try_clone().with_context(again)?;
        file.rewind().with_context(again)?;
        Ok(Records::new(self.name.clone(), Box::new(file)))
    }
}
