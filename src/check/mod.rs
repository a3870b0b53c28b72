//! The check stage: one job in, one `CheckResult` out. An attempt requests
//! the URL and its redirects (`fetch.rs`), reads the body up to a cap
//! (`body.rs`) and judges what came back (`expect.rs`); transient failures
//! are retried with backoff (`retry.rs`); with `--wait`, a failing URL comes
//! back as `Outcome::Again`, to be checked again at a set time by the
//! scheduler, holding no worker meanwhile (`waiting.rs` shows what is
//! awaited). Every
//! outcome, good or bad, is a result; errors are classified into a kind and
//! a typed cause (`classify.rs`).

mod anchors;
mod body;
mod cert;
mod classify;
mod client;
mod expect;
mod fetch;
mod files;
pub(crate) mod links;
mod phases;
mod rejected;
mod retry;
mod soft404;
pub(crate) mod throttle;
mod tls;
mod tls_words;
mod verify;
pub(crate) mod waiting;

pub(crate) use client::{LaneId, source_client};

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use classify::Cause;
use fetch::{Fetcher, Hops};
use throttle::Throttle;
use waiting::Waiting;

use crate::config::{Config, Sites};
use crate::input::{Awaited, Job};
use crate::links::PageLinks;
use crate::results::{CheckResult, Failure, FailureKind};
use crate::stop::Stop;
use crate::target::display_url;

/// Something that checks one job. The real one is `Checker`; tests of the
/// worker pool use fakes.
pub(crate) trait Check: Send + Sync + 'static {
    /// Check `job` on lane `lane`, the worker's.
    fn check(&self, job: &Job, lane: LaneId) -> impl Future<Output = Outcome> + Send;
}

/// What a check of one job came to. `Done` is the common case: boxing its
/// result would cost an allocation per check.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Outcome {
    /// The job's record.
    Done(CheckResult),
    /// `--wait`: not up yet; check it again at `due`. Until then it holds no
    /// worker, and `awaited` is what is known of it.
    Again { awaited: Box<Awaited>, due: Instant },
    /// `--links`: the page's record, and the links found on it.
    Page(CheckResult, Box<PageLinks>),
}

/// Checks URLs with an HTTP client per lane, so connections are reused.
pub(crate) struct Checker {
    fetcher: Fetcher,
    retries: u32,
    retry_delay: Duration,
    /// `--wait`: until when failing URLs are re-checked, and how often.
    wait: Option<(Instant, Duration)>,
    started: Instant,
    stop: Arc<Stop>,
    waiting: Arc<Waiting>,
    /// Whether the run has said that certificate days do not apply to http.
    said_http_has_no_cert: AtomicBool,
    /// `--links`, `--check-fragments`.
    sites: Arc<Sites>,
    /// `--soft-404`: each host's answer to a path that cannot exist.
    soft_404: Option<soft404::SoftNotFound>,
}

/// One attempt's result, and what it says about trying again.
struct Attempt {
    result: CheckResult,
    cause: Cause,
    retry_after: Option<Duration>,
    /// `--links`: the links on the page, when it answered 2xx with HTML.
    links: Option<Box<PageLinks>>,
}

impl Checker {
    /// A checker for checks spread over `lanes` threads.
    pub(crate) fn new(
        config: &Config,
        lanes: usize,
        started: Instant,
        stop: Arc<Stop>,
        waiting: Arc<Waiting>,
    ) -> anyhow::Result<Self> {
        Ok(Checker {
            fetcher: Fetcher {
                clients: client::Clients::new(config, lanes)?,
                connect_timeout: config.run.connect_timeout(),
                throttle: Arc::new(Throttle::new(
                    config.per_host,
                    config.run.rate().map(|r| r.0),
                )),
                started,
                out_of_files_at: AtomicU64::new(0),
                proxies: config
                    .clients
                    .iter()
                    .map(|c| (c.proxies.clone(), c.proxies.matcher()))
                    .collect(),
            },
            retries: config.run.retries(),
            retry_delay: config.run.retry_delay(),
            // A wait too long for the clock is as good as forever.
            wait: config.run.wait().map(|w| {
                let until = started
                    .checked_add(w)
                    .unwrap_or_else(|| far_future(started));
                (until, config.run.wait_interval())
            }),
            started,
            stop,
            waiting,
            said_http_has_no_cert: AtomicBool::new(false),
            sites: config.sites.clone(),
            soft_404: config.sites.soft_404.then(soft404::SoftNotFound::default),
        })
    }

    /// The run's `--per-host` and `--rate` limits, which the feeder's
    /// look-ahead reserves host slots of.
    pub(crate) fn throttle(&self) -> Arc<Throttle> {
        Arc::clone(&self.fetcher.throttle)
    }

    /// One attempt: a request (and its redirects), judged. None when the run
    /// stopped while the attempt waited for `--per-host` or `--rate`.
    async fn attempt(&self, job: &Job, url: &reqwest::Url, lane: LaneId) -> Option<Attempt> {
        // Waiting for a turn is not part of the check's time or timeout.
        let permit = tokio::select! {
            permit = self.fetcher.throttle.admit(url) => permit,
            _ = self.stop.stopped() => return None,
        };
        let started = Instant::now();
        let mut hops = Hops::new(url);
        let timeout = job.spec.settings.timeout();
        // A page's body is read for its links, or for the anchor a link
        // to it names.
        let anchor = self.anchor_of(url);
        let page = job.page || anchor.is_some() || self.soft_404.is_some();
        let fetched = tokio::time::timeout(
            timeout,
            self.fetcher.fetch(&job.spec, &mut hops, permit, page, lane),
        )
        .await;
        let elapsed = started.elapsed();
        let mut links = None;
        let mut unread = None;
        let (failure, cause, cert) = match fetched {
            Ok(Ok(mut fetched)) => {
                unread = fetched.unread.take();
                let mut failure = expect::judge(&job.spec.settings, &fetched, elapsed);
                let cause = match &failure {
                    Some(f) if f.kind == FailureKind::Status => retry::status_cause(hops.status),
                    _ => Cause::Final,
                };
                if failure.is_none() {
                    let read = self.read_page(job, &hops.url, anchor, &fetched);
                    failure = read.0;
                    links = read.1;
                }
                if failure.is_none() {
                    failure = self.soft_404(job, &hops, &fetched, lane, timeout).await;
                    if failure.is_some() {
                        links = None;
                    }
                }
                (failure, cause, fetched.cert)
            }
            Ok(Err(classified)) => (Some(classified.failure), classified.cause, classified.cert),
            Err(_) => (
                Some(Failure::new(
                    FailureKind::Timeout,
                    format!("timed out after {}", humantime::format_duration(timeout)),
                )),
                Cause::Transient,
                None,
            ),
        };
        if let Some(unread) = unread {
            // Judged already: the rest of the body only ends its stream.
            tokio::select! {
                () = unread.drain() => {}
                () = self.stop.stopped() => {}
            }
        }
        let failure = failure.map(|f| Failure {
            message: job.spec.redact_owned(f.message),
            ..f
        });
        Some(Attempt {
            result: CheckResult {
                url: job.url.clone(),
                origin: job.origin.clone(),
                status: hops.status,
                failure,
                elapsed,
                spent: elapsed,
                // A URL with expanded secrets that was not redirected is shown
                // as written (its `${VAR}`s unexpanded). After a redirect the
                // server chose it; redact what a config file expanded into it.
                final_url: Some(if hops.redirects == 0 && !job.spec.redactions.is_empty() {
                    job.url.clone()
                } else {
                    job.spec.redact_owned(display_url(&hops.url))
                }),
                redirects: hops.redirects,
                attempts: 1,
                cert,
                up_after: None,
                http_version: hops.version,
                phases: hops.phases,
                known: None,
                shard: None,
                found: None,
                silent: false,
            },
            cause,
            retry_after: hops.retry_after,
            links,
        })
    }

    /// An attempt, then retries while the failure is transient. None when
    /// the run stopped before the first attempt could start.
    async fn attempt_with_retries(
        &self,
        job: &Job,
        url: &reqwest::Url,
        lane: LaneId,
    ) -> Option<(CheckResult, Option<Box<PageLinks>>)> {
        let mut attempt = self.attempt(job, url, lane).await?;
        // When the first attempt started (after its turn under --per-host).
        let first_started = Instant::now()
            .checked_sub(attempt.result.elapsed)
            .unwrap_or_else(Instant::now);
        let mut attempts = 1;
        for retry in 0..self.retries {
            if attempt.result.ok() || !retry::policy(attempt.cause).retry {
                break;
            }
            let delay = retry::backoff(self.retry_delay, retry)
                .max(attempt.retry_after.unwrap_or_default());
            if !self.pause(delay).await {
                break;
            }
            match self.attempt(job, url, lane).await {
                Some(next) => attempt = next,
                None => break,
            }
            attempts += 1;
        }
        attempt.result.attempts = attempts;
        attempt.result.spent = first_started.elapsed();
        Some((attempt.result, attempt.links))
    }

    /// The `#fragment` a link to `url` must find on its page, under
    /// `--check-fragments`.
    fn anchor_of<'u>(&self, url: &'u reqwest::Url) -> Option<&'u str> {
        url.fragment()
            .filter(|f| self.sites.check_fragments && !f.is_empty())
    }

    /// What a page that passed says besides: a failure when it lacks the
    /// anchor its link names; under `--links`, the links on it.
    fn read_page(
        &self,
        job: &Job,
        final_url: &reqwest::Url,
        anchor: Option<&str>,
        fetched: &expect::Fetched,
    ) -> (Option<Failure>, Option<Box<PageLinks>>) {
        if !fetched.html || fetched.body.is_empty() {
            return (None, None);
        }
        let failure = anchor.and_then(|anchor| anchors::missing(&fetched.body, anchor));
        let links = match (job.page, self.sites.links) {
            (true, Some(scope)) => {
                let mut links = links::page_links(
                    &fetched.body,
                    final_url,
                    &std::sync::Arc::from(job.url.as_str()),
                    scope,
                    self.sites.check_fragments,
                );
                links.depth = job.depth;
                links.page = Some(final_url.clone());
                Some(Box::new(links))
            }
            _ => None,
        };
        (failure, links)
    }

    /// Under `--soft-404`: the failure of a 2xx HTML page that is its
    /// host's "not found" page.
    async fn soft_404(
        &self,
        job: &Job,
        hops: &Hops,
        fetched: &expect::Fetched,
        lane: LaneId,
        timeout: Duration,
    ) -> Option<Failure> {
        let soft_404 = self.soft_404.as_ref()?;
        if !fetched.html || fetched.body.is_empty() || !(200..300).contains(&fetched.status) {
            return None;
        }
        let client = &self.fetcher.clients.of(lane, job.spec.client).ok()?.client;
        soft_404
            .judge(client, &hops.url, &fetched.body, timeout)
            .await
    }

    /// Sleep, unless the run stops first: then false.
    async fn pause(&self, delay: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(delay) => true,
            _ = self.stop.stopped() => false,
        }
    }
}

impl Check for Checker {
    async fn check(&self, job: &Job, lane: LaneId) -> Outcome {
        if self.sites.dry_run {
            return Outcome::Done(listed(job));
        }
        let url = match &job.target {
            Ok(url) => url,
            Err(message) => {
                let failure = Failure::new(FailureKind::InvalidInput, message.clone());
                let record = CheckResult::unchecked(job.url.clone(), job.origin.clone(), failure);
                return Outcome::Done(record);
            }
        };
        if url.scheme() == "http"
            && job.spec.settings.min_cert_days().is_some()
            && !self.said_http_has_no_cert.swap(true, Ordering::Relaxed)
        {
            crate::diag::warning(format_args!(
                "--min-cert-days applies to https URLs only: {} and any other http URL \
                 are not checked for it",
                job.url
            ));
        }
        if url.scheme() == "file" {
            return Outcome::Done(files::check(job, url, self.sites.check_fragments).await);
        }
        let prior = job.awaited.as_deref();
        let Some((result, links)) = self.attempt_with_retries(job, url, lane).await else {
            // Stopped before the check began: what was known stands.
            let record = match prior {
                Some(awaited) => {
                    self.waiting.leave(awaited.board);
                    awaited.clone().into_record()
                }
                None => CheckResult::unchecked(
                    job.url.clone(),
                    job.origin.clone(),
                    self.stop.not_checked(),
                ),
            };
            return Outcome::Done(record);
        };
        let outcome = match self.wait {
            Some((until, interval)) => self.await_up(job, result, until, interval),
            None => Outcome::Done(result),
        };
        match (outcome, links) {
            (Outcome::Done(result), Some(links)) => Outcome::Page(result, links),
            (outcome, _) => outcome,
        }
    }
}

/// `--dry-run`: a job's record without a check (its URL and where it was
/// found; an invalid one says why).
fn listed(job: &Job) -> CheckResult {
    let failure = job
        .target
        .as_ref()
        .err()
        .map(|message| Failure::new(FailureKind::InvalidInput, message.clone()));
    CheckResult {
        failure,
        ..CheckResult::unchecked(
            job.url.clone(),
            job.origin.clone(),
            Failure::new(FailureKind::InvalidInput, ""),
        )
    }
}

/// An instant later than any run lasts: about a century on.
fn far_future(from: Instant) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    from.checked_add(CENTURY).unwrap_or(from)
}

impl Checker {
    /// `--wait`: a URL that is not up is checked again an `interval` later,
    /// while that is before `until`; the record, once the wait ends, counts
    /// every request and the whole time.
    fn await_up(
        &self,
        job: &Job,
        result: CheckResult,
        until: Instant,
        interval: Duration,
    ) -> Outcome {
        let now = Instant::now();
        let awaited = match job.awaited.as_deref() {
            None if result.ok() => return Outcome::Done(result),
            None => Awaited {
                attempts: result.attempts,
                first_started: now.checked_sub(result.spent).unwrap_or(now),
                since: now,
                board: self.waiting.enter(&job.url),
                last: result,
            },
            Some(prior) => {
                let mut last = result;
                if last.ok() {
                    last.up_after = Some(self.started.elapsed());
                }
                Awaited {
                    attempts: prior.attempts + last.attempts,
                    last,
                    ..*prior
                }
            }
        };
        let due = now.checked_add(interval).unwrap_or_else(|| far_future(now));
        let interrupted = awaited
            .last
            .failure
            .as_ref()
            .is_some_and(|f| f.kind == FailureKind::Interrupted);
        if awaited.last.ok() || due > until || interrupted || self.stop.is_stopped() {
            self.waiting.leave(awaited.board);
            return Outcome::Done(awaited.into_record());
        }
        Outcome::Again {
            awaited: Box::new(awaited),
            due,
        }
    }
}
