//! One check: request the URL, follow redirects by hand (to count hops, catch
//! loops and keep `-H` headers on their own origin), read the body up to a
//! cap, and judge what came back against the expectations. Transient failures
//! are retried with backoff; with `--wait`, a failing URL is re-checked until
//! it comes up. Every outcome, good or bad, is a `CheckResult`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{CONNECTION, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::{Client, RequestBuilder, Response, Url};

use crate::classify::{Phase, classify, is_out_of_files};
use crate::client::{self, IDLE_TIMEOUT};
use crate::config::{CheckSpec, Config};
use crate::expect::{self, Fetched};
use crate::queue::Job;
use crate::results::{CertInfo, CheckResult, Failure, FailureKind};
use crate::stop::Stop;
use crate::target::{display_url, mask_password};
use crate::throttle::{HostPermit, Throttle};
use crate::waiting::Waiting;
use crate::workers::Check;

/// How much of a body is read: enough to catch a server that breaks
/// mid-body and to judge body expectations; the rest is not downloaded.
pub const BODY_READ_LIMIT: usize = 1024 * 1024;

/// How long connections are closed after each response once the process
/// has run out of files.
const SHORT_OF_FILES_FOR: Duration = Duration::from_secs(10);

/// Pauses before each new try when the process is out of files: doubling
/// from 50 ms until idle connections have had time to expire (the pool
/// evicts them within 90 ms of `IDLE_TIMEOUT`). The check's own timeout
/// still applies.
fn out_of_files_pauses() -> impl Iterator<Item = Duration> {
    let enough = IDLE_TIMEOUT * 2;
    std::iter::successors(Some(Duration::from_millis(50)), |d| Some(*d * 2)).scan(
        Duration::ZERO,
        move |waited, pause| {
            (*waited < enough).then(|| {
                *waited += pause;
                pause
            })
        },
    )
}

/// The longest `Retry-After` that is honoured; a longer one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Checks URLs with one shared HTTP client, so connections are reused.
pub struct Checker {
    client: Client,
    method: reqwest::Method,
    max_redirects: u32,
    timeout: Duration,
    connect_timeout: Duration,
    retries: u32,
    retry_delay: Duration,
    /// `--wait`: until when failing URLs are re-checked, and how often.
    wait: Option<(Instant, Duration)>,
    started: Instant,
    stop: Arc<Stop>,
    waiting: Arc<Waiting>,
    throttle: Throttle,
    /// When the process last ran out of files, in ms since `started` (0:
    /// never). For a while after, connections are not kept (see `send`).
    out_of_files_at: AtomicU64,
}

impl Checker {
    pub fn new(
        config: &Config,
        started: Instant,
        stop: Arc<Stop>,
        waiting: Arc<Waiting>,
    ) -> anyhow::Result<Self> {
        let client = client::build(config)?;
        Ok(Checker {
            client,
            method: config.method.as_reqwest(),
            max_redirects: config.max_redirects,
            timeout: config.timeout,
            connect_timeout: config.connect_timeout,
            retries: config.retries,
            retry_delay: config.retry_delay,
            wait: config.wait.map(|w| (started + w, config.wait_interval)),
            started,
            stop,
            waiting,
            throttle: Throttle::new(config.per_host, config.rate),
            out_of_files_at: AtomicU64::new(0),
        })
    }

    /// One attempt: a request (and its redirects), judged. None when the run
    /// stopped while the attempt waited for `--per-host` or `--rate`.
    async fn attempt(&self, job: &Job, url: &Url) -> Option<Attempt> {
        // Waiting for a turn is not part of the check's time or timeout.
        let permit = tokio::select! {
            permit = self.throttle.admit(url) => permit,
            _ = self.stop.stopped() => return None,
        };
        let started = Instant::now();
        let mut trail = Trail {
            url: url.clone(),
            redirects: 0,
            status: None,
            retry_after: None,
        };
        let fetched =
            tokio::time::timeout(self.timeout, self.fetch(&job.spec, &mut trail, permit)).await;
        let elapsed = started.elapsed();
        let (failure, cert) = match fetched {
            Ok(Ok(fetched)) => (
                expect::judge(&job.spec.expect, &fetched, elapsed),
                fetched.cert,
            ),
            Ok(Err(failure)) => (Some(failure), None),
            Err(_) => (
                Some(Failure::new(
                    FailureKind::Timeout,
                    format!(
                        "timed out after {}",
                        humantime::format_duration(self.timeout)
                    ),
                )),
                None,
            ),
        };
        let failure = failure.map(|f| Failure {
            message: job.spec.redact(&f.message),
            ..f
        });
        Some(Attempt {
            result: CheckResult {
                url: job.url.clone(),
                origin: job.origin.clone(),
                status: trail.status,
                failure,
                elapsed,
                // A URL with expanded secrets that was not redirected is shown
                // as written (its `${VAR}`s unexpanded). After a redirect the
                // server chose it; redact what a config file expanded into it.
                final_url: Some(if trail.redirects == 0 && !job.spec.redact.is_empty() {
                    job.url.clone()
                } else {
                    job.spec.redact(&display_url(&trail.url))
                }),
                redirects: trail.redirects,
                attempts: 1,
                cert,
                up_after: None,
            },
            retry_after: trail.retry_after,
        })
    }

    /// An attempt, then retries while the failure is transient. None when
    /// the run stopped before the first attempt could start.
    async fn attempt_with_retries(&self, job: &Job, url: &Url) -> Option<CheckResult> {
        let mut attempt = self.attempt(job, url).await?;
        let mut attempts = 1;
        for retry in 0..self.retries {
            if attempt.result.ok() || !is_transient(&attempt.result) {
                break;
            }
            let delay =
                backoff(self.retry_delay, retry).max(attempt.retry_after.unwrap_or_default());
            if !self.pause(delay).await {
                break;
            }
            match self.attempt(job, url).await {
                Some(next) => attempt = next,
                None => break,
            }
            attempts += 1;
        }
        attempt.result.attempts = attempts;
        Some(attempt.result)
    }

    /// Sleep, unless the run stops first: then false.
    async fn pause(&self, delay: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(delay) => true,
            _ = self.stop.stopped() => false,
        }
    }

    /// Request `trail.url`, following redirects, and read the body.
    /// `trail` keeps what is known so far, for a check cut off by its deadline.
    /// `permit` is the first host's `--per-host` slot; a redirect to another
    /// host gives it back and waits for one there.
    async fn fetch(
        &self,
        spec: &CheckSpec,
        trail: &mut Trail,
        mut permit: HostPermit<'_>,
    ) -> Result<Fetched, Failure> {
        let origin = trail.url.origin();
        let mut visited = vec![trail.url.clone()];
        loop {
            let same_origin = trail.url.origin() == origin;
            // This hop's status, once it answers; not the previous hop's.
            trail.status = None;
            let url = &trail.url;
            let response = self
                .send(|client: &Client| {
                    let request = client.request(self.method.clone(), url.clone());
                    if same_origin {
                        request.headers(spec.headers.clone())
                    } else {
                        request
                    }
                })
                .await?;
            let status = response.status();
            trail.status = Some(status.as_u16());
            trail.retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(parse_retry_after);
            let location = response.headers().get(LOCATION);
            if let (true, Some(location)) = (status.is_redirection(), location)
                && self.max_redirects > 0
            {
                let next = redirect_target(&trail.url, location)?;
                if trail.redirects >= self.max_redirects {
                    return Err(Failure::new(
                        FailureKind::Redirect,
                        format!("more than {} redirects", self.max_redirects),
                    ));
                }
                if visited.contains(&next) {
                    return Err(Failure::new(
                        FailureKind::Redirect,
                        format!("redirect loop: {} was already visited", display_url(&next)),
                    ));
                }
                if self.throttle.changes_host(&trail.url, &next) {
                    drop(permit);
                    permit = self.throttle.host_slot(&next).await;
                }
                visited.push(next.clone());
                trail.url = next;
                trail.redirects += 1;
                continue;
            }
            let headers = response.headers().clone();
            let cert = leaf_certificate(&response);
            let keep = spec.expect.needs_body();
            let (body, truncated) = self.read_body(response, keep).await?;
            return Ok(Fetched {
                status: status.as_u16(),
                headers,
                body,
                truncated,
                cert,
            });
        }
    }

    /// Send a request built by `request`, and send it again when that is
    /// safe and may help: once when a pooled keep-alive connection was closed
    /// under it, and, when the process ran out of files, after pauses that
    /// let idle connections close (see `client.rs`). GET and HEAD are
    /// idempotent (RFC 9110, 9.2.2), and in both cases the request never
    /// reached the server.
    async fn send<F>(&self, request: F) -> Result<Response, Failure>
    where
        F: Fn(&Client) -> RequestBuilder,
    {
        let send = || {
            let request = request(&self.client);
            if self.short_of_files() {
                // Idle connections hold the files new checks need: close
                // each connection after its response.
                request.header(CONNECTION, "close")
            } else {
                request
            }
            .send()
        };
        let mut error = match send().await {
            Ok(response) => return Ok(response),
            Err(e) => e,
        };
        let mut resent_stale = false;
        let mut pauses = out_of_files_pauses();
        loop {
            if is_out_of_files(&error) {
                let Some(pause) = pauses.next() else { break };
                let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
                self.out_of_files_at.store(now.max(1), Ordering::Relaxed);
                tokio::time::sleep(pause).await;
            } else if !resent_stale && is_stale_connection(&self.failure(&error)) {
                resent_stale = true;
            } else {
                break;
            }
            error = match send().await {
                Ok(response) => return Ok(response),
                Err(e) => e,
            };
        }
        Err(self.failure(&error))
    }

    /// Whether the process ran out of files within `SHORT_OF_FILES_FOR`.
    fn short_of_files(&self) -> bool {
        match self.out_of_files_at.load(Ordering::Relaxed) {
            0 => false,
            at => self.started.elapsed() < Duration::from_millis(at) + SHORT_OF_FILES_FOR,
        }
    }

    fn failure(&self, error: &reqwest::Error) -> Failure {
        classify(error, Phase::Request, self.connect_timeout)
    }

    /// Read the body up to `BODY_READ_LIMIT`, keeping it only when asked.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        keep: bool,
    ) -> Result<(Vec<u8>, bool), Failure> {
        let mut body = Vec::new();
        if self.method == reqwest::Method::HEAD {
            return Ok((body, false));
        }
        let mut read = 0usize;
        while read < BODY_READ_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    read += chunk.len();
                    if keep {
                        let room = BODY_READ_LIMIT - body.len().min(BODY_READ_LIMIT);
                        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    }
                }
                Ok(None) => return Ok((body, false)),
                Err(e) => return Err(classify(&e, Phase::Body, self.connect_timeout)),
            }
        }
        Ok((body, true))
    }
}

impl Check for Checker {
    async fn check(&self, job: &Job) -> CheckResult {
        let url = match &job.target {
            Ok(url) => url,
            Err(message) => {
                let failure = Failure::new(FailureKind::InvalidInput, message.clone());
                return CheckResult::unchecked(job.url.clone(), job.origin.clone(), failure);
            }
        };
        let Some(mut result) = self.attempt_with_retries(job, url).await else {
            let reason = self.stop.not_checked();
            return CheckResult::unchecked(job.url.clone(), job.origin.clone(), reason);
        };
        let Some((until, interval)) = self.wait else {
            return result;
        };
        // --wait: re-check until it passes or the wait is over.
        let mut attempts = result.attempts;
        let _waiting = (!result.ok()).then(|| self.waiting.enter(&job.url));
        while !result.ok() && Instant::now() + interval <= until {
            if !self.pause(interval).await {
                break;
            }
            match self.attempt_with_retries(job, url).await {
                Some(next) => result = next,
                None => break,
            }
            attempts += result.attempts;
            if result.ok() {
                result.up_after = Some(self.started.elapsed());
            }
        }
        result.attempts = attempts;
        result
    }
}

/// What an attempt has reached so far.
struct Trail {
    url: Url,
    redirects: u32,
    status: Option<u16>,
    retry_after: Option<Duration>,
}

struct Attempt {
    result: CheckResult,
    retry_after: Option<Duration>,
}

/// The connection went away before any response: on a reused keep-alive
/// connection, the server closed it just as the request arrived.
fn is_stale_connection(failure: &Failure) -> bool {
    failure.kind == FailureKind::Protocol && failure.message.starts_with("connection closed")
}

/// Worth another try: the network or the server may do better in a moment.
fn is_transient(result: &CheckResult) -> bool {
    let Some(failure) = &result.failure else {
        return false;
    };
    match failure.kind {
        FailureKind::Dns | FailureKind::Connect | FailureKind::Timeout => true,
        FailureKind::Protocol => failure.message.starts_with("connection closed"),
        FailureKind::Status => {
            matches!(result.status, Some(408 | 429 | 500..=599))
        }
        _ => false,
    }
}

/// The delay before retry `n` (0-based): `base` doubled each time, with
/// jitter of ±50% so that many failing checks do not retry in step.
fn backoff(base: Duration, n: u32) -> Duration {
    let doubled = base.saturating_mul(2u32.saturating_pow(n.min(16)));
    doubled.mul_f64(0.5 + fastrand::f64())
}

/// `Retry-After`: seconds, or an HTTP date; capped at `MAX_RETRY_AFTER`.
fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    let delay = match text.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(text)
            .ok()?
            .duration_since(SystemTime::now())
            .unwrap_or_default(),
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// Where a redirect points, resolved against the current URL.
fn redirect_target(current: &Url, location: &HeaderValue) -> Result<Url, Failure> {
    let location = location.to_str().map_err(|_| {
        Failure::new(
            FailureKind::Redirect,
            "the Location header is not valid text",
        )
    })?;
    let next = current.join(location).map_err(|e| {
        Failure::new(
            FailureKind::Redirect,
            format!("invalid redirect target '{}': {e}", mask_password(location)),
        )
    })?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(Failure::new(
            FailureKind::Redirect,
            format!("redirect to unsupported scheme '{}:'", next.scheme()),
        ));
    }
    Ok(next)
}

/// The expiry of the server's leaf certificate, for https responses.
fn leaf_certificate(response: &reqwest::Response) -> Option<CertInfo> {
    let info = response.extensions().get::<reqwest::tls::TlsInfo>()?;
    expect::cert_info(info.peer_certificate()?, SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(current: &str, location: &str) -> Result<String, Failure> {
        let current = Url::parse(current).unwrap();
        redirect_target(&current, &HeaderValue::from_str(location).unwrap()).map(String::from)
    }

    #[test]
    fn redirect_targets_resolve_relative_locations() {
        assert_eq!(
            target("http://a.test/x/y", "/z").unwrap(),
            "http://a.test/z"
        );
        assert_eq!(
            target("http://a.test/x/y", "z").unwrap(),
            "http://a.test/x/z"
        );
        assert_eq!(
            target("http://a.test/", "https://b.test/").unwrap(),
            "https://b.test/"
        );
        assert_eq!(
            target("https://a.test/", "//c.test/p").unwrap(),
            "https://c.test/p"
        );
    }

    #[test]
    fn redirects_to_other_schemes_fail() {
        let err = target("http://a.test/", "ftp://a.test/file").unwrap_err();
        assert_eq!(err.kind, FailureKind::Redirect);
        assert_eq!(err.message, "redirect to unsupported scheme 'ftp:'");
        assert!(target("http://a.test/", "file:///etc/passwd").is_err());
        assert!(target("http://a.test/", "http://[oops/").is_err());
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date_and_is_capped() {
        let parse = |s: &str| parse_retry_after(&HeaderValue::from_str(s).unwrap());
        assert_eq!(parse("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse("86400"), Some(MAX_RETRY_AFTER));
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(20));
        let delay = parse(&soon).unwrap();
        assert!(delay > Duration::from_secs(15) && delay <= Duration::from_secs(20));
        assert_eq!(parse("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("soon"), None);
    }

    #[test]
    fn backoff_doubles_with_jitter() {
        let base = Duration::from_secs(1);
        for n in 0..5 {
            let d = backoff(base, n);
            let nominal = base * 2u32.pow(n);
            assert!(d >= nominal / 2 && d <= nominal * 3 / 2, "{n}: {d:?}");
        }
        assert!(backoff(base, 1000) > Duration::ZERO);
    }

    fn failed(kind: FailureKind, status: Option<u16>, message: &str) -> CheckResult {
        CheckResult {
            status,
            ..CheckResult::unchecked(
                "u".into(),
                crate::results::Origin {
                    source: crate::results::Source::Arg,
                    line: None,
                },
                Failure::new(kind, message),
            )
        }
    }

    #[test]
    fn only_transient_failures_are_retried() {
        use FailureKind::*;
        assert!(is_transient(&failed(Connect, None, "connection refused")));
        assert!(is_transient(&failed(Timeout, None, "timed out")));
        assert!(is_transient(&failed(Dns, None, "x")));
        assert!(is_transient(&failed(
            Protocol,
            None,
            "connection closed before a response"
        )));
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(is_transient(&failed(Status, Some(code), "s")), "{code}");
        }
        for code in [400, 401, 403, 404, 410] {
            assert!(!is_transient(&failed(Status, Some(code), "s")), "{code}");
        }
        assert!(!is_transient(&failed(Tls, None, "certificate expired")));
        assert!(!is_transient(&failed(
            Body,
            Some(200),
            "body does not contain"
        )));
        assert!(!is_transient(&failed(InvalidInput, None, "x")));
    }
}
