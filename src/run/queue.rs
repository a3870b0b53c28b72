//! The queue: the feeder turns input lines into `Job`s and pushes them into the
//! bounded queue that the workers drain. When the queue is full the feeder
//! waits, so input is read only as fast as it is checked. On a stop it stops
//! reading, and a job it had read but not queued still gets its record.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::CheckSpec;
use crate::input::{Input, Job, Selection, job_from_line, line_key};
use crate::results::{CheckResult, Origin, Source};
use crate::stop::Stop;

/// What the feeder did, for the summary and the exit code.
#[derive(Debug, Default)]
pub(crate) struct FeedReport {
    /// URL lines read (valid or not): each has exactly one record.
    pub(crate) urls_read: u64,
    /// Where the last URL line read came from.
    pub(crate) last_read: Option<Origin>,
    /// Reading stopped before the end of the input.
    pub(crate) stopped_early: bool,
    /// Inputs that failed part way ("error reading x after line n: ...").
    pub(crate) read_errors: Vec<String>,
    /// URL lines left to other shards, or done in the `--resume` file.
    pub(crate) skipped: u64,
    /// Why the inputs could not be read on at all (a `--resume` file from
    /// other inputs).
    pub(crate) fatal: Option<String>,
}

/// Read every input in order and queue a job per URL line, until the input
/// ends or `stop` is cancelled. Dropping `queue` on return closes the queue.
pub(crate) async fn feed(
    inputs: Vec<Input>,
    mut selection: Selection,
    spec: Arc<CheckSpec>,
    queue: mpsc::Sender<Job>,
    results: mpsc::Sender<CheckResult>,
    stop: Arc<Stop>,
    stop_reading: CancellationToken,
) -> FeedReport {
    let mut feeder = Feeder {
        queue,
        results,
        stop,
        stop_reading,
        report: FeedReport::default(),
    };
    for input in inputs {
        let more = match input {
            Input::Arg(text) => {
                feeder
                    .offer(Job::from_arg(&text, spec.clone()), &mut selection)
                    .await
            }
            Input::Check(check) => feeder.offer(Job::from_check(check), &mut selection).await,
            Input::Lines { source, mut reader } => loop {
                let line = tokio::select! {
                    biased;
                    _ = feeder.stop_reading.cancelled() => break false,
                    line = reader.next_line() => line,
                };
                match line {
                    Ok(Some(raw)) => {
                        // Another shard's line costs no URL parsing.
                        if selection.shard.is_some() && selection.other_shard(line_key(&raw)) {
                            feeder.report.skipped += 1;
                            continue;
                        }
                        if let Some(job) = job_from_line(&source, raw, &spec)
                            && !feeder.offer(job, &mut selection).await
                        {
                            break false;
                        }
                    }
                    Ok(None) => break true,
                    Err(e) => {
                        let after = feeder
                            .report
                            .last_read
                            .as_ref()
                            .filter(|o| o.source == source)
                            .and_then(|o| o.line)
                            .map_or(String::new(), |n| format!(" after line {n}"));
                        let name = match &source {
                            Source::Stdin => "stdin",
                            other => other.name(),
                        };
                        feeder
                            .report
                            .read_errors
                            .push(format!("error reading {name}{after}: {e}"));
                        break true;
                    }
                }
            },
        };
        if !more {
            feeder.report.stopped_early = true;
            break;
        }
    }
    feeder.report
}

struct Feeder {
    queue: mpsc::Sender<Job>,
    results: mpsc::Sender<CheckResult>,
    /// Why the run stopped, for the records of lines not checked.
    stop: Arc<Stop>,
    /// Cancelled with `stop`, or alone when the workers are gone.
    stop_reading: CancellationToken,
    report: FeedReport,
}

impl Feeder {
    /// Queue `job` if this run checks it; false when the run is stopping.
    async fn offer(&mut self, job: Job, selection: &mut Selection) -> bool {
        match selection.wants(&job) {
            Ok(true) => self.push(job).await,
            Ok(false) => {
                self.report.skipped += 1;
                true
            }
            Err(problem) => {
                self.report.fatal = Some(problem);
                false
            }
        }
    }

    /// Queue one job; false when the run is stopping. A job that cannot be
    /// queued is recorded as not checked, so no line read is ever lost.
    async fn push(&mut self, job: Job) -> bool {
        self.report.urls_read += 1;
        self.report.last_read = Some(job.origin.clone());
        let permit = tokio::select! {
            biased;
            _ = self.stop_reading.cancelled() => None,
            permit = self.queue.reserve() => permit.ok(),
        };
        match permit {
            Some(permit) => {
                permit.send(job);
                true
            }
            None => {
                // The printer outlives the feeder, so this only fails when
                // stdout is gone, and then nothing more is written anyway.
                let record = job.into_unchecked(self.stop.not_checked());
                let _ = self.results.send(record).await;
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::lines::LineReader;
    use crate::results::FailureKind;
    use tokio::io::BufReader;

    fn lines_input(text: &'static [u8]) -> Input {
        Input::Lines {
            source: Source::File("t.txt".into()),
            reader: LineReader::new(Box::new(BufReader::new(text))),
        }
    }

    #[tokio::test]
    async fn queues_one_job_per_url_line_with_line_numbers() {
        let (queue_tx, mut queue_rx) = mpsc::channel(100);
        let (results_tx, _results_rx) = mpsc::channel(100);
        let input = lines_input(
            b"# header\nhttps://a.test/\n\nexample.com\n\xff\xfe\nhttps://a.test/\n  # c\n",
        );
        let report = feed(
            vec![Input::Arg("https://arg.test/".into()), input],
            Selection::default(),
            Arc::default(),
            queue_tx,
            results_tx,
            Arc::default(),
            CancellationToken::new(),
        )
        .await;
        let mut jobs = Vec::new();
        while let Some(job) = queue_rx.recv().await {
            jobs.push(job);
        }
        let lines: Vec<Option<u64>> = jobs.iter().map(|j| j.origin.line).collect();
        assert_eq!(lines, [None, Some(2), Some(4), Some(5), Some(6)]);
        assert!(jobs[1].target.is_ok() && jobs[4].target.is_ok());
        assert!(
            jobs[2]
                .target
                .as_ref()
                .unwrap_err()
                .contains("https://example.com")
        );
        assert!(jobs[3].target.as_ref().unwrap_err().contains("UTF-8"));
        assert_eq!(report.urls_read, 5);
        assert!(!report.stopped_early);
    }

    #[tokio::test]
    async fn a_stop_while_the_queue_is_full_records_the_pending_line() {
        let (queue_tx, mut queue_rx) = mpsc::channel(1);
        let (results_tx, mut results_rx) = mpsc::channel(10);
        let stop = Arc::new(Stop::default());
        let input = lines_input(b"https://a.test/1\nhttps://a.test/2\nhttps://a.test/3\n");
        let feeder = tokio::spawn(feed(
            vec![input],
            Selection::default(),
            Arc::default(),
            queue_tx,
            results_tx,
            stop.clone(),
            stop.child_token(),
        ));
        // The first job fills the queue; the feeder is now waiting with line 2.
        let first = queue_rx.recv().await.unwrap();
        assert_eq!(first.origin.line, Some(1));
        tokio::task::yield_now().await;
        stop.trigger(crate::stop::StopReason::Output);
        let report = feeder.await.unwrap();
        assert!(report.stopped_early);
        let mut queued = Vec::new();
        while let Some(job) = queue_rx.recv().await {
            queued.push(job.origin.line);
        }
        let mut recorded = Vec::new();
        while let Some(result) = results_rx.recv().await {
            assert_eq!(result.failure.unwrap().kind, FailureKind::Interrupted);
            recorded.push(result.origin.line);
        }
        // Every line read is either queued or recorded, exactly once.
        assert_eq!(report.urls_read as usize, 1 + queued.len() + recorded.len());
    }
}
