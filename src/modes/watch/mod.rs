//! Watch mode (`--watch`): the same engine, kept running. A ticker
//! (`schedule.rs`) feeds the bounded queue with each URL's turns; the worker
//! pool checks them; each result updates the URL's health (`health.rs`)
//! and the metrics (`metrics.rs`), and a change of health is an event on
//! stdout. `--listen` serves `/metrics`, `/status` and `/healthz`
//! (`server.rs`). SIGHUP reads the inputs again (`targets.rs`); SIGTERM or
//! Ctrl-C stops the ticker, lets checks in flight finish within
//! `--shutdown-timeout`, and exits 0.
//!
//! The ticker never waits on a full queue: due turns wait in line (each URL
//! at most once) and are handed on in batches as the queue empties; how late
//! they start is the schedule lag. Due turns are taken every twentieth of
//! the shortest interval (at most 50 ms), so they run in bursts.

mod health;
mod metrics;
mod schedule;
mod server;
mod targets;

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::check::waiting::Waiting;
use crate::config::{Config, Watch};
use crate::diag;
use crate::exit_codes::ExitCode;
use crate::input::Job;
use crate::output::events::{EventThread, EventWriter};
use crate::output::progress::Progress;
use crate::results::{CheckResult, Event, FailureKind, Health, Record};
use crate::run::engine::Engine;
use crate::run::fit_to_open_files;
use crate::run::signals::Hangups;
use crate::stop::{Stop, StopReason};
use health::{Streaks, Tracker};
use metrics::{Metrics, UrlSeries};
use schedule::{Schedule, first_turn, next_turn};
use targets::Target;

/// Watch until stopped; a stop on purpose exits 0.
pub(crate) async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let config = fit_to_open_files(config);
    let watch = config
        .watch
        .clone()
        .context("internal error: watch mode without --watch")?;
    // A port in use is an error before any check.
    let listener = match watch.listen {
        Some(addr) => Some(server::bind(addr).await?),
        None => None,
    };
    let targets = targets::load(&config).await?;
    if targets.is_empty() {
        anyhow::bail!("nothing to watch: the inputs have no valid URL");
    }
    let engine = Engine::start(
        &config,
        &Progress::new(false, false),
        Arc::new(Waiting::default()),
    )?;
    let stop = engine.stop.clone();
    let mut hangups = Hangups::new()?;

    let metrics = Arc::new(Metrics::new());
    let list = Arc::new(Watchlist::new(&watch));
    // 2 x workers, as in one pass: the ticker refills it half at a time.
    let (queue, queue_rx) = mpsc::channel(config.queue_capacity());
    let (results_tx, results) = mpsc::channel(config.workers.saturating_mul(2).max(64));
    let pool = engine.pool(&config, queue_rx, results_tx, None);
    let (outputs, writers) = start_outputs(&config, &stop)?;
    let served = CancellationToken::new();
    if let Some(listener) = listener {
        let local = listener.local_addr().ok();
        let site = Arc::new(Site {
            list: list.clone(),
            metrics: metrics.clone(),
            queue: queue.downgrade(),
        });
        server::serve(listener, site, served.clone());
        if config.summary
            && let Some(addr) = local
        {
            diag::note(format_args!(
                "serving http://{addr}/metrics, /status and /healthz"
            ));
        }
    }
    let consumer = tokio::spawn(consume(
        results,
        list.clone(),
        metrics.clone(),
        outputs,
        stop.clone(),
        config.summary,
    ));
    if config.summary {
        diag::note(format_args!(
            "watching {} URLs; a line is written when one goes down or comes back up",
            targets.len()
        ));
    }
    let mut ticker = Ticker {
        list: list.clone(),
        metrics: metrics.clone(),
        schedule: Schedule::default(),
        ready: VecDeque::new(),
        tick: tick_for(&targets),
        queue,
    };
    ticker.add(targets, Instant::now());
    ticker.run(&stop, &mut hangups).await;

    // Stopped: no more turns; checks in flight get the grace period.
    drop(ticker);
    let shutdown = engine
        .stop_workers(pool, config.run.shutdown_timeout())
        .await;
    consumer
        .await
        .context("the result reader stopped unexpectedly")?;
    served.cancel();
    let mut written = Ok(());
    for writer in writers {
        written = written.and(writer.join());
    }
    if config.summary {
        say_stopped(&stop, shutdown.aborted);
    }
    written?;
    Ok(ExitCode::Success)
}

/// The event writers: stdout in `--format`, and each `--report` file.
fn start_outputs(
    config: &Config,
    stop: &Arc<Stop>,
) -> anyhow::Result<(Vec<mpsc::Sender<Event>>, Vec<EventThread>)> {
    let mut senders = Vec::new();
    let mut threads = Vec::new();
    let stdout: Box<dyn Write + Send> = Box::new(io::stdout());
    let mut outs = vec![(config.run.format(), config.color_stdout, stdout)];
    for (format, path) in &config.reports {
        let file = File::create(path)
            .with_context(|| format!("cannot create the report file {}", path.display()))?;
        outs.push((*format, false, Box::new(BufWriter::new(file))));
    }
    for (format, color, out) in outs {
        let (tx, rx) = mpsc::channel(256);
        threads.push(EventThread::spawn(
            EventWriter::new(format, color, out),
            rx,
            stop.clone(),
        )?);
        senders.push(tx);
    }
    Ok((senders, threads))
}

fn say_stopped(stop: &Stop, aborted: usize) {
    let why = match stop.reason() {
        Some(StopReason::Signal(signal)) => format!("stopped by {}", signal.name()),
        Some(StopReason::Deadline(limit)) => format!(
            "stopped at the --deadline ({})",
            humantime::format_duration(limit)
        ),
        Some(StopReason::Output) => "stdout closed".to_string(),
        None => "stopped".to_string(),
    };
    if aborted > 0 {
        diag::note(format_args!(
            "{why}: {aborted} check(s) still running were cut off at the shutdown timeout \
             (no record for them)"
        ));
    } else {
        diag::note(format_args!("{why}: every check in flight finished"));
    }
}

/// One watched URL: what to check, when, and what it is.
struct Watched {
    target: Target,
    /// Its next turn.
    due: Instant,
    in_flight: bool,
    tracker: Tracker,
    last: Option<CheckResult>,
    /// Its metrics, from its first result on.
    series: Option<UrlSeries>,
}

/// Every watched URL, by key, shared by the ticker, the result reader and
/// the endpoints. The lock is never held across an await.
struct Watchlist {
    entries: Mutex<HashMap<String, Watched>>,
    streaks: Streaks,
}

/// What to do with a turn that came.
enum Turn {
    /// The URL is no longer watched, or this turn was replaced.
    Gone,
    /// Its last check still runs: skipped, next turn at this time.
    Skip(Instant),
    /// Check it.
    Go,
}

impl Watchlist {
    fn new(watch: &Watch) -> Self {
        Watchlist {
            entries: Mutex::new(HashMap::new()),
            streaks: Streaks {
                down_after: watch.down_after,
                up_after: watch.up_after,
            },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Watched>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn turn(&self, key: &str, due: Instant, now: Instant) -> Turn {
        let mut entries = self.lock();
        match entries.get_mut(key) {
            Some(entry) if entry.due == due => {
                if entry.in_flight {
                    entry.due = next_turn(due, entry.target.interval, now);
                    Turn::Skip(entry.due)
                } else {
                    Turn::Go
                }
            }
            _ => Turn::Gone,
        }
    }

    /// Start the turn due at `due`: the job, and the URL's next turn.
    fn start(&self, key: &str, due: Instant, now: Instant) -> Option<(Job, Instant)> {
        let mut entries = self.lock();
        let entry = entries.get_mut(key).filter(|e| e.due == due)?;
        entry.in_flight = true;
        entry.due = next_turn(due, entry.target.interval, now);
        Some((entry.target.job.clone(), entry.due))
    }

    /// A check finished: the event it makes, if it changes the URL's health.
    fn finished(&self, result: CheckResult, metrics: &Metrics) -> Option<Event> {
        let now = Instant::now();
        let mut entries = self.lock();
        // A URL removed by a reload while its check ran: nobody asks now.
        let entry = entries.get_mut(&result.url)?;
        entry.in_flight = false;
        let change = entry.tracker.observe(result.ok(), now, self.streaks);
        let series = entry
            .series
            .get_or_insert_with(|| metrics.series(&result.url, entry.target.name.as_deref()));
        metrics.finished(series, &result, entry.tracker.health());
        let event = change.map(|c| Event {
            result: result.clone(),
            health: c.health,
            previous: c.previous,
            previous_for: c.previous_for,
            // The same moment /status gives as the URL's `since`.
            at: entry.tracker.since_wall(),
        });
        entry.last = Some(result);
        event
    }

    /// `watching 12: 10 up, 1 down, 1 unknown`.
    fn counts(&self) -> String {
        let entries = self.lock();
        let (mut up, mut down, mut unknown) = (0, 0, 0);
        for entry in entries.values() {
            match entry.tracker.health() {
                Health::Up => up += 1,
                Health::Down => down += 1,
                Health::Unknown => unknown += 1,
            }
        }
        format!(
            "watching {}: {up} up, {down} down, {unknown} unknown",
            entries.len()
        )
    }

    /// `/status`: every URL's health, since when, and its last record.
    fn status(&self) -> String {
        #[derive(Serialize)]
        struct Url<'a> {
            url: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            name: Option<&'a str>,
            state: Health,
            since: String,
            interval_ms: u64,
            last: Option<Record<'a>>,
        }
        #[derive(Serialize)]
        struct Status<'a> {
            watching: usize,
            urls: Vec<Url<'a>>,
        }
        let entries = self.lock();
        let mut urls: Vec<Url<'_>> = entries
            .iter()
            .map(|(key, entry)| Url {
                url: key,
                name: entry.target.name.as_deref(),
                state: entry.tracker.health(),
                since: chrono::DateTime::<chrono::Utc>::from(entry.tracker.since_wall())
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                interval_ms: u64::try_from(entry.target.interval.as_millis()).unwrap_or(u64::MAX),
                last: entry.last.as_ref().map(CheckResult::record),
            })
            .collect();
        urls.sort_by(|a, b| a.url.cmp(b.url));
        let status = Status {
            watching: urls.len(),
            urls,
        };
        serde_json::to_string(&status).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// The ticker: hands each URL's turns to the queue.
struct Ticker {
    list: Arc<Watchlist>,
    metrics: Arc<Metrics>,
    schedule: Schedule,
    /// Turns that came while the queue was full, oldest first.
    ready: VecDeque<(String, Instant)>,
    /// How often due turns are taken (see `tick_for`).
    tick: Duration,
    queue: mpsc::Sender<Job>,
}

impl Ticker {
    /// Watch `targets` from `now`; one already watched keeps its health and
    /// schedule. The new ones' first turns are spread over their interval.
    fn add(&mut self, targets: Vec<Target>, now: Instant) -> usize {
        let mut entries = self.list.lock();
        let fresh: Vec<Target> = targets
            .into_iter()
            .filter_map(|target| match entries.get_mut(target.key()) {
                Some(entry) => {
                    // Same URL: its settings may have changed, its state not.
                    if entry.target.name != target.name
                        && let Some(series) = entry.series.take()
                    {
                        self.metrics.forget(&series);
                    }
                    entry.target = target;
                    None
                }
                None => Some(target),
            })
            .collect();
        let count = fresh.len();
        for (index, target) in fresh.into_iter().enumerate() {
            let due = first_turn(now, target.interval, index, count);
            let key = target.key().to_string();
            self.schedule.add(key.clone(), due);
            entries.insert(
                key,
                Watched {
                    target,
                    due,
                    in_flight: false,
                    tracker: Tracker::new(now),
                    last: None,
                    series: None,
                },
            );
        }
        count
    }

    async fn run(&mut self, stop: &Stop, hangups: &mut Hangups) {
        let mut woke = Instant::now();
        loop {
            self.hand_on();
            let next = self.schedule.next_due();
            // Turns in line wait for room for a batch of them (half the
            // queue), not for each single slot: one wake-up per batch.
            let batch = self.ready.len().min(self.queue.max_capacity() / 2).max(1);
            let queue = self.queue.clone();
            tokio::select! {
                biased;
                _ = stop.stopped() => return,
                _ = hangups.next() => self.reload().await,
                permits = queue.reserve_many(batch), if !self.ready.is_empty() => {
                    let Ok(permits) = permits else { return };
                    for permit in permits {
                        match self.start_next() {
                            Some(job) => permit.send(job),
                            None => break,
                        }
                    }
                }
                _ = sleep_until(next, woke, self.tick), if next.is_some() => {
                    woke = Instant::now();
                    self.take_due();
                }
            }
        }
    }

    /// Move the turns that are due into line; skip those whose URL is still
    /// being checked.
    fn take_due(&mut self) {
        let now = Instant::now();
        while let Some((key, due)) = self.schedule.pop_due(now) {
            match self.list.turn(&key, due, now) {
                Turn::Gone => {}
                Turn::Skip(next) => {
                    self.metrics.skipped();
                    self.schedule.add(key, next);
                }
                Turn::Go => self.ready.push_back((key, due)),
            }
        }
    }

    /// Hand turns in line to the queue while it has room.
    fn hand_on(&mut self) {
        let queue = self.queue.clone();
        while !self.ready.is_empty() {
            let Ok(permit) = queue.try_reserve() else {
                return;
            };
            if let Some(job) = self.start_next() {
                permit.send(job);
            }
        }
    }

    /// The job of the oldest turn in line, its lag counted and its next
    /// turn scheduled; None when its URL is gone.
    fn start_next(&mut self) -> Option<Job> {
        let (key, due) = self.ready.pop_front()?;
        let now = Instant::now();
        let (job, next) = self.list.start(&key, due, now)?;
        self.metrics
            .dispatched(now.saturating_duration_since(due).as_secs_f64());
        self.schedule.add(key, next);
        Some(job)
    }

    /// SIGHUP: read the configuration and the inputs again. URLs still there
    /// keep their health and schedule, new ones start unknown, removed ones
    /// go (from /metrics and /status too). If the new configuration cannot
    /// be used, the old one stays.
    async fn reload(&mut self) {
        let targets = match crate::config::cli::parse() {
            Ok(config) if config.watch.is_some() => targets::load(&config).await,
            Ok(_) => Err(anyhow::anyhow!("internal error: --watch is gone")),
            Err(e) => Err(e),
        };
        let targets = match targets {
            Ok(targets) if !targets.is_empty() => targets,
            Ok(_) => {
                diag::error(format_args!(
                    "SIGHUP: the inputs have no valid URL now; still watching the old list"
                ));
                return;
            }
            Err(e) => {
                diag::error(format_args!(
                    "SIGHUP: {e:#}; still watching with the old configuration"
                ));
                return;
            }
        };
        let keep: std::collections::HashSet<String> =
            targets.iter().map(|t| t.key().to_string()).collect();
        let removed: Vec<Watched> = {
            let mut entries = self.list.lock();
            let gone: Vec<String> = entries
                .keys()
                .filter(|k| !keep.contains(*k))
                .cloned()
                .collect();
            gone.iter().filter_map(|key| entries.remove(key)).collect()
        };
        for series in removed.iter().filter_map(|w| w.series.as_ref()) {
            self.metrics.forget(series);
        }
        self.tick = tick_for(&targets);
        let added = self.add(targets, Instant::now());
        diag::note(format_args!(
            "SIGHUP: read again: {} new, {} removed; {}",
            added,
            removed.len(),
            self.list.counts()
        ));
    }
}

/// The ticker takes due turns at most every `tick`: a twentieth of the
/// shortest interval, between 1 ms and 50 ms. Turns taken together run as a
/// burst, which costs far less CPU per check than one wake-up per turn; a
/// turn starts at most a tick late for it.
fn tick_for(targets: &[Target]) -> Duration {
    let shortest = targets.iter().map(|t| t.interval).min().unwrap_or(MAX_TICK);
    (shortest / 20).clamp(Duration::from_millis(1), MAX_TICK)
}

const MAX_TICK: Duration = Duration::from_millis(50);

async fn sleep_until(next: Option<Instant>, woke: Instant, tick: Duration) {
    match next {
        Some(at) => tokio::time::sleep_until(at.max(woke + tick).into()).await,
        None => std::future::pending().await,
    }
}

/// Read results: update health and metrics, and write an event for each
/// change. After a stop, checks that never finished are dropped: in watch
/// mode there is no record for them.
async fn consume(
    mut results: mpsc::Receiver<CheckResult>,
    list: Arc<Watchlist>,
    metrics: Arc<Metrics>,
    outputs: Vec<mpsc::Sender<Event>>,
    stop: Arc<Stop>,
    say_counts: bool,
) {
    while let Some(result) = results.recv().await {
        let interrupted = result
            .failure
            .as_ref()
            .is_some_and(|f| f.kind == FailureKind::Interrupted);
        if interrupted && stop.is_stopped() {
            continue;
        }
        let Some(event) = list.finished(result, &metrics) else {
            continue;
        };
        for output in &outputs {
            // A writer that is gone has stopped the watch already.
            let _ = output.send(event.clone()).await;
        }
        if say_counts {
            diag::note(format_args!("{}", list.counts()));
        }
    }
}

/// What the `--listen` endpoints show.
struct Site {
    list: Arc<Watchlist>,
    metrics: Arc<Metrics>,
    /// The queue, to read its depth; weak, so that it still closes.
    queue: mpsc::WeakSender<Job>,
}

impl server::Pages for Site {
    fn metrics(&self, openmetrics: bool) -> String {
        let depth = self
            .queue
            .upgrade()
            .map_or(0, |q| q.max_capacity() - q.capacity());
        let depth = u64::try_from(depth).unwrap_or(u64::MAX);
        self.metrics.render(depth, openmetrics)
    }

    fn status(&self) -> String {
        self.list.status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CheckSpec;
    use crate::results::{Origin, Source};

    fn target(interval_ms: u64) -> Target {
        let origin = Origin {
            source: Source::Arg,
            line: None,
        };
        Target {
            job: Job::new("https://a.test/", origin, Arc::new(CheckSpec::default())),
            interval: Duration::from_millis(interval_ms),
            name: None,
        }
    }

    #[test]
    fn the_tick_is_a_twentieth_of_the_shortest_interval_within_bounds() {
        assert_eq!(
            tick_for(&[target(1000), target(200)]),
            Duration::from_millis(10)
        );
        assert_eq!(tick_for(&[target(30_000)]), MAX_TICK);
        assert_eq!(tick_for(&[target(5)]), Duration::from_millis(1));
    }
}
