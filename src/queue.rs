//! The queue: the feeder turns input lines into `Job`s and pushes them into the
//! bounded queue that the workers drain. When the queue is full the feeder
//! waits, so input is read only as fast as it is checked. On a stop it stops
//! reading, and a job it had read but not queued still gets its record.

use std::sync::Arc;

use reqwest::Url;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::CheckSpec;
use crate::input::{Input, RawLine};
use crate::results::{CheckResult, Failure, FailureKind, Origin, Source};
use crate::stop::Stop;
use crate::target::{self, Line, MAX_LINE_BYTES};

/// One input URL line on its way to a worker.
#[derive(Debug, Clone)]
pub struct Job {
    /// The URL as given, password masked: what every record shows.
    pub url: String,
    pub origin: Origin,
    /// The URL to check, or why the line is not one.
    pub target: Result<Url, String>,
    /// What to send and what to expect.
    pub spec: Arc<CheckSpec>,
}

impl Job {
    pub fn new(text: &str, origin: Origin, spec: Arc<CheckSpec>) -> Self {
        Self::shown_as(text, text, origin, spec)
    }

    /// A job that requests `text` but shows `shown` (a config-file URL whose
    /// `${VAR}`s must not be printed expanded).
    pub fn shown_as(shown: &str, text: &str, origin: Origin, spec: Arc<CheckSpec>) -> Self {
        let target = target::parse_target(text).map_err(|message| spec.redact(&message));
        let mut url = target::mask_password(shown).into_owned();
        // A safety net under the text-level masking: whatever password the
        // parser found is not shown either (only the login part: the same
        // text may also be in the path).
        if let Some(password) = target.as_ref().ok().and_then(|t| t.password()) {
            url = url.replacen(&format!(":{password}@"), ":***@", 1);
        }
        Job {
            url,
            origin,
            target,
            spec,
        }
    }

    fn invalid(shown: &str, origin: Origin, message: String, spec: Arc<CheckSpec>) -> Self {
        Job {
            url: target::mask_password(shown).into_owned(),
            origin,
            target: Err(message),
            spec,
        }
    }

    /// The record for this job when it is not checked: its invalid-input
    /// result if it has one (that much is known), else `reason`.
    pub fn into_unchecked(self, reason: Failure) -> CheckResult {
        let failure = match self.target {
            Err(message) => Failure::new(FailureKind::InvalidInput, message),
            Ok(_) => reason,
        };
        CheckResult::unchecked(self.url, self.origin, failure)
    }
}

/// What the feeder did, for the summary and the exit code.
#[derive(Debug, Default)]
pub struct FeedReport {
    /// URL lines read (valid or not): each has exactly one record.
    pub urls_read: u64,
    /// Where the last URL line read came from.
    pub last_read: Option<Origin>,
    /// Reading stopped before the end of the input.
    pub stopped_early: bool,
    /// Inputs that failed part way ("error reading x after line n: ...").
    pub read_errors: Vec<String>,
}

/// Read every input in order and queue a job per URL line, until the input
/// ends or `stop` is cancelled. Dropping `queue` on return closes the queue.
pub async fn feed(
    inputs: Vec<Input>,
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
                let origin = Origin {
                    source: Source::Arg,
                    line: None,
                };
                feeder.push(Job::new(&text, origin, spec.clone())).await
            }
            Input::Check(check) => {
                let origin = Origin {
                    source: Source::File(check.file.as_str().into()),
                    line: Some(check.line),
                };
                let job = Job::shown_as(&check.shown, &check.url, origin, check.spec);
                feeder.push(job).await
            }
            Input::Lines { source, mut reader } => loop {
                let line = tokio::select! {
                    biased;
                    _ = feeder.stop_reading.cancelled() => break false,
                    line = reader.next_line() => line,
                };
                match line {
                    Ok(Some(raw)) => {
                        if let Some(job) = job_from_line(&source, raw, &spec)
                            && !feeder.push(job).await
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

/// The job for one physical line, or `None` for a blank or comment line.
fn job_from_line(source: &Source, raw: RawLine<'_>, spec: &Arc<CheckSpec>) -> Option<Job> {
    let origin = Origin {
        source: source.clone(),
        line: Some(raw.number),
    };
    if raw.is_too_long() {
        // Mask the whole kept part first: a cut could split a password.
        let kept = String::from_utf8_lossy(raw.bytes);
        let masked = target::mask_password(kept.trim_start());
        let start: String = masked.chars().take(60).collect();
        let message = format!(
            "line is {} bytes long, over the {MAX_LINE_BYTES}-byte limit for a URL",
            raw.len
        );
        return Some(Job::invalid(
            &format!("{start}…"),
            origin,
            message,
            spec.clone(),
        ));
    }
    match std::str::from_utf8(raw.bytes) {
        Ok(text) => match target::strip_line(text) {
            Line::Skip => None,
            Line::Url(url) => Some(Job::new(url, origin, spec.clone())),
        },
        Err(e) => {
            let lossy = String::from_utf8_lossy(raw.bytes);
            match target::strip_line(&lossy) {
                Line::Skip => None,
                Line::Url(shown) => {
                    let message = format!(
                        "line is not valid UTF-8 (bad byte 0x{:02x} at byte {})",
                        raw.bytes[e.valid_up_to()],
                        e.valid_up_to() + 1
                    );
                    Some(Job::invalid(shown, origin, message, spec.clone()))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::LineReader;
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

    #[test]
    fn an_over_long_line_is_reported_short_and_masked() {
        let mut line = b"https://user:secret@a.test/".to_vec();
        line.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES * 2));
        let raw = RawLine {
            number: 4,
            bytes: &line[..MAX_LINE_BYTES],
            len: line.len(),
        };
        let job = job_from_line(&Source::Stdin, raw, &Arc::default()).unwrap();
        assert!(job.url.starts_with("https://user:***@a.test/xx") && job.url.ends_with('…'));
        assert!(job.url.chars().count() <= 61);
        assert!(
            job.target
                .unwrap_err()
                .contains("over the 16384-byte limit")
        );
    }

    #[test]
    fn only_the_login_is_masked_not_the_same_text_elsewhere() {
        let origin = Origin {
            source: Source::Arg,
            line: None,
        };
        let job = Job::new(
            "http:/u:passwd@a.test/passwd?passwd",
            origin,
            Arc::default(),
        );
        assert_eq!(job.url, "http:/u:***@a.test/passwd?passwd");
    }

    #[test]
    fn unchecked_invalid_jobs_keep_their_invalid_input_result() {
        let origin = Origin {
            source: Source::Arg,
            line: None,
        };
        let stop = Stop::default();
        let bad =
            Job::new("ftp://x", origin.clone(), Arc::default()).into_unchecked(stop.not_checked());
        assert_eq!(bad.failure.unwrap().kind, FailureKind::InvalidInput);
        let good = Job::new("https://u:pw@x.test", origin, Arc::default())
            .into_unchecked(stop.not_checked());
        assert_eq!(good.failure.unwrap().kind, FailureKind::Interrupted);
        assert_eq!(good.url, "https://u:***@x.test");
    }
}
