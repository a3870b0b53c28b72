//! The workers: N tasks in a `JoinSet` drain the bounded queue, at most one
//! check each, so never more than N checks are in flight. Each result goes to
//! the printer as a value; workers never print.
//!
//! Shutdown: when the queue closes, workers drain it and exit. On a stop
//! (Ctrl-C, SIGTERM, closed stdout) workers start no new checks and record the
//! queued jobs as not checked; in-flight checks get a grace period inside
//! `tokio::time::timeout`. Then the cut-off comes: each worker races its check
//! against it, so a check still running ends there, and its worker, which
//! holds the job, records it as cut off. No task is aborted, so no result
//! already known is lost; a check that panics is recorded too.
//!
//! Under `--wait`, a URL that is not up yet goes back to the feeder with the
//! time of its next check (`rechecks.rs`): a worker never sleeps for it.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use tokio::sync::{Mutex as AsyncMutex, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::lanes::Lanes;
use super::rechecks::{Returned, Returns};
use crate::check::{Check, LaneId, Outcome};
use crate::input::Job;
use crate::links::PageLinks;
use crate::results::{CheckResult, Failure, FailureKind};
use crate::stop::Stop;

struct Shared<C> {
    queue: AsyncMutex<mpsc::Receiver<Job>>,
    results: mpsc::Sender<CheckResult>,
    checker: Arc<C>,
    stop: Arc<Stop>,
    /// Cancelled when a stop's grace period is over: checks still running
    /// end at once, each recorded with `cut_off_failure`.
    cut_off: CancellationToken,
    cut_off_failure: OnceLock<Failure>,
    /// Checks cut off.
    cut: AtomicUsize,
    /// `--wait`: where a job goes back to be checked again later, and
    /// where the feeder hears that a job is finished.
    returns: Option<Returns>,
}

impl<C> Shared<C> {
    /// Send a finished record to the printer, then say so to the feeder.
    /// False when the printer is gone.
    async fn send(&self, result: CheckResult) -> bool {
        if self.results.send(result).await.is_err() {
            return false;
        }
        self.finished();
        true
    }

    /// Under `--links`, give the feeder the links found on a page. Lost
    /// only when the feeder has stopped taking them (the run is stopping).
    fn found(&self, links: Box<PageLinks>) {
        if let Some(returns) = &self.returns {
            let _ = returns.send(Returned::Found(links));
        }
    }

    /// Under `--wait` or `--links`, tell the feeder a job's record was sent.
    fn finished(&self) {
        if let Some(returns) = &self.returns {
            let _ = returns.send(Returned::Finished);
        }
    }

    /// Give `job` back to be checked again at `due`. The job comes back
    /// when nobody takes it any more (the run is stopping).
    fn check_again(&self, due: std::time::Instant, job: Job) -> Option<Job> {
        let Some(returns) = &self.returns else {
            return Some(job);
        };
        let due = tokio::time::Instant::from_std(due);
        match returns.send(Returned::Again(due, job)) {
            Ok(()) => None,
            Err(refused) => match refused.0 {
                Returned::Again(_, job) => Some(job),
                Returned::Found(_) | Returned::Finished => None,
            },
        }
    }

    /// The record of `job`, whose check ran from `started` until the
    /// cut-off: what an earlier check under `--wait` found, or interrupted.
    fn cut_off_record(&self, job: Job, started: Instant) -> CheckResult {
        self.cut.fetch_add(1, Ordering::Relaxed);
        if let Some(awaited) = job.awaited {
            return awaited.into_record();
        }
        let failure = self
            .cut_off_failure
            .get()
            .cloned()
            .unwrap_or_else(|| self.stop.not_checked());
        CheckResult {
            elapsed: started.elapsed(),
            spent: started.elapsed(),
            found: job.found,
            silent: job.silent,
            ..CheckResult::unchecked(job.url, job.origin, failure)
        }
    }
}

/// The running workers.
pub(crate) struct Pool<C> {
    tasks: JoinSet<()>,
    shared: Arc<Shared<C>>,
}

/// How a shutdown went.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ShutdownReport {
    /// Checks still running at the deadline, cut off and recorded as interrupted.
    pub(crate) aborted: usize,
}

impl<C: Check> Pool<C> {
    /// Spawn `workers` tasks draining `queue` into `results`, spread over
    /// the lanes in turn; under `--wait`, jobs to check again go to `returns`.
    pub(crate) fn spawn(
        workers: usize,
        lanes: &Lanes,
        queue: mpsc::Receiver<Job>,
        results: mpsc::Sender<CheckResult>,
        checker: Arc<C>,
        stop: Arc<Stop>,
        returns: Option<Returns>,
    ) -> Self {
        let shared = Arc::new(Shared {
            queue: AsyncMutex::new(queue),
            results,
            checker,
            stop,
            cut_off: CancellationToken::new(),
            cut_off_failure: OnceLock::new(),
            cut: AtomicUsize::new(0),
            returns,
        });
        let mut tasks = JoinSet::new();
        for id in 0..workers {
            let lane = id % lanes.len();
            let worker = work(LaneId::new(lane), Arc::clone(&shared));
            match lanes.handle(lane) {
                Some(lane) => tasks.spawn_on(worker, lane),
                None => tasks.spawn(worker),
            };
        }
        Pool { tasks, shared }
    }

    /// Wait until every worker has exited (the queue closed and drained).
    /// Cancel-safe: it can be raced against a stop and called again.
    pub(crate) async fn wait(&mut self) {
        while let Some(joined) = self.tasks.join_next().await {
            if let Err(e) = joined
                && e.is_panic()
            {
                crate::diag::error(format_args!(
                    "internal error: a worker panicked outside a check; please report this"
                ));
            }
        }
    }

    /// Stop: give in-flight checks up to `grace` to finish, then cut them
    /// off. Everything still held or queued is sent on as a record.
    pub(crate) async fn shutdown(mut self, grace: Duration) -> ShutdownReport {
        if tokio::time::timeout(grace, self.wait()).await.is_err() {
            let _ = self
                .shared
                .cut_off_failure
                .set(self.shared.stop.cut_off(grace));
            self.shared.cut_off.cancel();
            // Each worker records its check and exits: at once, but for
            // the time the printer takes to take their records.
            self.wait().await;
        }
        let left: Vec<Job> = {
            let mut queue = self.shared.queue.lock().await;
            std::iter::from_fn(|| queue.try_recv().ok()).collect()
        };
        for job in left {
            // Fails only when the printer is gone (stdout closed).
            let _ = self
                .shared
                .results
                .send(job.into_unchecked(self.shared.stop.not_checked()))
                .await;
        }
        ShutdownReport {
            aborted: self.shared.cut.load(Ordering::Relaxed),
        }
    }
}

/// One worker: take a job, check it, hand the result on; until the queue
/// closes, or the cut-off. After a stop it records queued jobs without
/// checking them.
async fn work<C: Check>(lane: LaneId, shared: Arc<Shared<C>>) {
    loop {
        let job = tokio::select! {
            job = async { shared.queue.lock().await.recv().await } => job,
            () = shared.cut_off.cancelled() => None,
        };
        let Some(mut job) = job else { break };
        if shared.stop.is_stopped() {
            if !shared
                .send(job.into_unchecked(shared.stop.not_checked()))
                .await
            {
                break;
            }
            continue;
        }
        let started = Instant::now();
        shared.stop.ledger.check_started();
        let checked = tokio::select! {
            biased;
            outcome = AssertUnwindSafe(shared.checker.check(&job, lane)).catch_unwind() => Some(outcome),
            () = shared.cut_off.cancelled() => None,
        };
        shared.stop.ledger.check_ended();
        let result = match checked {
            None => shared.cut_off_record(job, started),
            Some(Err(_panic)) => {
                crate::diag::error(format_args!(
                    "internal error: the check of {} panicked; it is recorded as interrupted; \
                     please report this",
                    job.url
                ));
                CheckResult {
                    found: job.found.take(),
                    silent: job.silent,
                    ..CheckResult::unchecked(
                        job.url.clone(),
                        job.origin.clone(),
                        Failure::new(
                            FailureKind::Interrupted,
                            "internal error: the check panicked; please report this",
                        ),
                    )
                }
            }
            Some(Ok(Outcome::Done(mut result))) => {
                result.found = job.found.take();
                result.silent = job.silent;
                result
            }
            Some(Ok(Outcome::Page(mut result, links))) => {
                shared.found(links);
                result.found = job.found.take();
                result.silent = job.silent;
                result
            }
            Some(Ok(Outcome::Again { awaited, due })) => {
                job.awaited = Some(awaited);
                match shared.check_again(due, job) {
                    None => continue,
                    Some(job) => job.into_unchecked(shared.stop.not_checked()),
                }
            }
        };
        if !shared.send(result).await {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Origin, Source};
    use crate::stop::StopReason;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Sleeps for the URL's path in milliseconds, counting checks in flight.
    #[derive(Default)]
    struct SlowChecker {
        in_flight: AtomicUsize,
        max_in_flight: AtomicUsize,
    }

    impl Check for SlowChecker {
        async fn check(&self, job: &Job, _lane: LaneId) -> Outcome {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            let url = job.target.as_ref().expect("valid test URL");
            if url.path() == "/panic" {
                panic!("a bug in a check");
            }
            let ms: u64 = url.path().trim_start_matches('/').parse().unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let placeholder = Failure::new(FailureKind::Status, "");
            Outcome::Done(CheckResult {
                status: Some(200),
                failure: None,
                attempts: 1,
                ..CheckResult::unchecked(job.url.clone(), job.origin.clone(), placeholder)
            })
        }
    }

    fn job(line: u64, delay_ms: u64) -> Job {
        job_at(line, &delay_ms.to_string())
    }

    fn job_at(line: u64, path: &str) -> Job {
        Job::new(
            &format!("http://a.test/{path}"),
            Origin {
                source: Source::Stdin,
                line: Some(line),
            },
            Arc::default(),
        )
    }

    struct Run {
        queue: mpsc::Sender<Job>,
        results: mpsc::Receiver<CheckResult>,
        pool: Pool<SlowChecker>,
        checker: Arc<SlowChecker>,
        stop: Arc<Stop>,
    }

    fn start(workers: usize) -> Run {
        let (queue, queue_rx) = mpsc::channel(workers * 2);
        let (results_tx, results) = mpsc::channel(1000);
        let checker = Arc::new(SlowChecker::default());
        let stop = Arc::new(Stop::default());
        let pool = Pool::spawn(
            workers,
            &Lanes::none(),
            queue_rx,
            results_tx,
            checker.clone(),
            stop.clone(),
            None,
        );
        Run {
            queue,
            results,
            pool,
            checker,
            stop,
        }
    }

    /// Each result's line and failure kind.
    fn kinds(results: &[CheckResult]) -> Vec<(u64, Option<FailureKind>)> {
        results
            .iter()
            .map(|r| (r.origin.line.unwrap(), r.failure.as_ref().map(|f| f.kind)))
            .collect()
    }

    async fn collect(results: &mut mpsc::Receiver<CheckResult>) -> Vec<CheckResult> {
        let mut out = Vec::new();
        while let Ok(r) = results.try_recv() {
            out.push(r);
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_n_in_flight_and_all_run_in_parallel() {
        let mut run = start(4);
        let feeder = tokio::spawn(async move {
            for line in 1..=20 {
                run.queue.send(job(line, 100)).await.unwrap();
            }
        });
        run.pool.wait().await;
        feeder.await.unwrap();
        let results = collect(&mut run.results).await;
        assert_eq!(results.len(), 20);
        assert!(results.iter().all(CheckResult::ok));
        assert_eq!(run.checker.max_in_flight.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_records_queued_jobs_and_aborts_slow_checks() {
        let mut run = start(2);
        // Two quick checks finish within the grace period; two hang; the rest
        // are still queued when the stop comes.
        for (line, ms) in [(1, 10), (2, 600_000), (3, 10), (4, 600_000), (5, 1), (6, 1)] {
            run.queue.send(job(line, ms)).await.unwrap();
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        run.stop
            .trigger(StopReason::Signal(crate::stop::Signal::Interrupt));
        drop(run.queue);
        let report = run.pool.shutdown(Duration::from_secs(5)).await;
        assert_eq!(report.aborted, 2);
        let mut results = collect(&mut run.results).await;
        results.sort_by_key(|r| r.origin.line);
        let kinds = kinds(&results);
        assert_eq!(
            kinds,
            [
                (1, None),
                (2, Some(FailureKind::Interrupted)),
                (3, None),
                (4, Some(FailureKind::Interrupted)),
                (5, Some(FailureKind::Interrupted)),
                (6, Some(FailureKind::Interrupted)),
            ]
        );
        assert!(
            results[1]
                .failure
                .as_ref()
                .unwrap()
                .message
                .contains("5s shutdown timeout")
        );
        assert!(
            results[4]
                .failure
                .as_ref()
                .unwrap()
                .message
                .contains("not checked")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_finished_result_waiting_for_the_printer_survives_an_abort() {
        let (queue, queue_rx) = mpsc::channel(4);
        let (results_tx, mut results) = mpsc::channel(1);
        let stop = Arc::new(Stop::default());
        let pool = Pool::spawn(
            1,
            &Lanes::none(),
            queue_rx,
            results_tx,
            Arc::new(SlowChecker::default()),
            stop.clone(),
            None,
        );
        queue.send(job(1, 1)).await.unwrap();
        queue.send(job(2, 1)).await.unwrap();
        // Nobody reads results: line 1 fills the channel, line 2 is finished
        // but held by its worker.
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.trigger(StopReason::Output);
        drop(queue);
        let reader = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            let mut got = Vec::new();
            while let Some(r) = results.recv().await {
                got.push(r);
            }
            got
        });
        pool.shutdown(Duration::from_secs(1)).await;
        let got = reader.await.unwrap();
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(CheckResult::ok), "{got:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_that_panics_is_recorded_and_its_worker_goes_on() {
        let mut run = start(1);
        run.queue.send(job(1, 1)).await.unwrap();
        run.queue.send(job_at(2, "panic")).await.unwrap();
        run.queue.send(job(3, 1)).await.unwrap();
        drop(run.queue);
        run.pool.wait().await;
        let results = collect(&mut run.results).await;
        let kinds = kinds(&results);
        assert_eq!(
            kinds,
            [(1, None), (2, Some(FailureKind::Interrupted)), (3, None)]
        );
        assert!(
            results[1]
                .failure
                .as_ref()
                .unwrap()
                .message
                .contains("panicked")
        );
    }
}
