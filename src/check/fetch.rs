//! One attempt's requests: the URL, and each redirect followed by hand (to
//! count hops, catch loops and keep `-H` headers on their own origin), then
//! the final response's body. A request the server never answered because
//! its connection went away is sent again; so is one that found the
//! process out of files, once idle connections have had time to close.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{CONNECTION, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::{Client, RequestBuilder, Response, Url};

use super::body::{BODY_READ_LIMIT, PAGE_READ_LIMIT, read_body};
use super::cert::leaf_certificate;
use super::classify::{Classified, Phase, classify};
use super::client::{Clients, IDLE_TIMEOUT, LaneId};
use super::expect::Fetched;
use super::retry::{Resend, parse_retry_after, policy};
use super::throttle::{HostPermit, Throttle};
use crate::config::{CheckSpec, Proxies};
use crate::results::{FailureKind, Phases, version_name};
use crate::target::{display_url, mask_password};

/// How long connections are closed after each response once the process
/// has run out of files.
const SHORT_OF_FILES_FOR: Duration = Duration::from_secs(10);

/// Pauses before each new try when the process is out of files: doubling
/// from 50 ms until idle connections have had time to close. The pool's
/// reaper runs every max(`IDLE_TIMEOUT`, 90 ms), so a connection idle for
/// `IDLE_TIMEOUT` is closed within twice that. The check's own timeout
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

/// A short, random pause before sending a refused request again.
fn resend_pause() -> Duration {
    Duration::from_millis(fastrand::u64(1..=20))
}

/// Sends the requests of every check, with its lane's client.
pub(crate) struct Fetcher {
    pub(crate) clients: Clients,
    pub(crate) connect_timeout: Duration,
    pub(crate) throttle: std::sync::Arc<Throttle>,
    /// When the run started, to time `out_of_files_at`.
    pub(crate) started: Instant,
    /// When the process last ran out of files, in ms since `started` (0:
    /// never). For a while after, connections are not kept (see `send`).
    pub(crate) out_of_files_at: AtomicU64,
    /// Which proxy each URL goes through, to name it when it fails: by
    /// `CheckSpec::client`.
    pub(crate) proxies: Vec<(Proxies, hyper_util::client::proxy::matcher::Matcher)>,
}

/// What an attempt has reached so far: kept up to date, so that a check cut
/// off by its deadline still reports the URL and status it got to.
pub(crate) struct Hops {
    pub(crate) url: Url,
    pub(crate) redirects: u32,
    /// The status of the current hop, once it answers.
    pub(crate) status: Option<u16>,
    pub(crate) retry_after: Option<Duration>,
    /// The HTTP version of the current hop's response.
    pub(crate) version: Option<&'static str>,
    /// Where the current hop's time went, so far.
    pub(crate) phases: Phases,
}

impl Hops {
    pub(crate) fn new(url: &Url) -> Self {
        Hops {
            url: url.clone(),
            redirects: 0,
            status: None,
            retry_after: None,
            version: None,
            phases: Phases::default(),
        }
    }
}

impl Fetcher {
    /// Request `hops.url`, following redirects, and read the body.
    /// `permit` is the first host's `--per-host` slot; a redirect to another
    /// host gives it back and waits for one there.
    pub(crate) async fn fetch(
        &self,
        spec: &CheckSpec,
        hops: &mut Hops,
        mut permit: HostPermit<'_>,
        page: bool,
        lane: LaneId,
    ) -> Result<Fetched, Classified> {
        let origin = hops.url.origin();
        let method = spec.settings.method().as_reqwest();
        let max_redirects = spec.settings.max_redirects();
        // Made at the first redirect: most checks have none.
        let mut visited: Vec<Url> = Vec::new();
        let mut body_resends = 0;
        loop {
            let same_origin = hops.url.origin() == origin;
            // This hop's status, once it answers; not the previous hop's.
            hops.status = None;
            hops.version = None;
            hops.phases = Phases::default();
            let url = &hops.url;
            let (response, phases) = self
                .send(lane, spec.client, |client: &Client| {
                    let request = client.request(method.clone(), url.clone());
                    if same_origin {
                        request.headers(spec.headers.clone())
                    } else {
                        request
                    }
                })
                .await
                .map_err(|failed| self.name_the_proxy(spec.client, url, failed))?;
            hops.phases = phases;
            let status = response.status();
            hops.status = Some(status.as_u16());
            hops.version = Some(version_name(response.version()));
            hops.retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(parse_retry_after);
            let location = response.headers().get(LOCATION);
            if let (true, Some(location)) = (status.is_redirection(), location)
                && max_redirects > 0
            {
                if visited.is_empty() {
                    visited.push(hops.url.clone());
                }
                let next = next_hop(hops, location, &visited, max_redirects)?;
                if self.throttle.changes_host(&hops.url, &next) {
                    drop(permit);
                    permit = self.throttle.host_slot(&next).await;
                }
                visited.push(next.clone());
                hops.url = next;
                hops.redirects += 1;
                continue;
            }
            // Kept only for header expectations: a copy costs allocations.
            let headers = if spec.settings.expect_header().is_empty() {
                reqwest::header::HeaderMap::new()
            } else {
                response.headers().clone()
            };
            let cert = leaf_certificate(&response);
            let html = is_html(&response);
            let body = if method == reqwest::Method::HEAD {
                None
            } else {
                // A page's links or anchors are read from its HTML.
                let page = page && html && status.is_success();
                let keep = spec.settings.needs_body() || page;
                let limit = if page {
                    PAGE_READ_LIMIT
                } else {
                    BODY_READ_LIMIT
                };
                let reading = Instant::now();
                match read_body(response, keep, limit, self.connect_timeout).await {
                    Ok(read) => {
                        hops.phases.transfer = Some(reading.elapsed());
                        Some(read)
                    }
                    // The connection went away under the body: ask again,
                    // on another connection, as the table allows.
                    Err(lost) => match policy(lost.cause).resend {
                        Resend::Now { times } if body_resends < times => {
                            body_resends += 1;
                            continue;
                        }
                        _ => return Err(lost),
                    },
                }
            };
            let (bytes, truncated, decode_error, unread) = match body {
                Some((body, unread)) => (body.bytes, body.truncated, body.decode_error, unread),
                None => (Vec::new(), false, None, None),
            };
            return Ok(Fetched {
                status: status.as_u16(),
                headers,
                body: bytes,
                truncated,
                decode_error,
                cert,
                html,
                unread,
            });
        }
    }

    /// Send a request built by `request`, and send it again when its
    /// failure's cause allows (`retry::policy`, the one table): at once
    /// when it was never processed or its connection went away, and after
    /// pauses that let idle connections close when the process ran out of
    /// files (see `client.rs`). The response comes with the phases of the
    /// request that got it.
    async fn send<F>(
        &self,
        lane: LaneId,
        client: usize,
        request: F,
    ) -> Result<(Response, Phases), Classified>
    where
        F: Fn(&Client) -> RequestBuilder,
    {
        let lane = self.clients.of(lane, client).map_err(|e| {
            Classified::fatal(
                FailureKind::Protocol,
                format!("cannot set up the HTTP client: {e:#}"),
            )
        })?;
        let send = || {
            let request = request(&lane.client);
            if self.short_of_files() {
                // Idle connections hold the files new checks need: close
                // each connection after its response.
                request.header(CONNECTION, "close")
            } else {
                request
            }
            .send()
        };
        let mut lost = 0;
        let mut unprocessed = 0;
        let mut pauses = out_of_files_pauses();
        loop {
            let sent = Instant::now();
            let error = match send().await {
                Ok(response) => {
                    let phases = lane.connects.phases(&response, sent, Instant::now());
                    return Ok((response, phases));
                }
                Err(e) => classify(&e, Phase::Request, self.connect_timeout),
            };
            match policy(error.cause).resend {
                Resend::WhenFilesFree => {
                    let Some(pause) = pauses.next() else {
                        return Err(error);
                    };
                    let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
                    self.out_of_files_at.store(now.max(1), Ordering::Relaxed);
                    tokio::time::sleep(pause).await;
                }
                Resend::Soon { times } if unprocessed < times => {
                    unprocessed += 1;
                    // Not all at once: the requests a GOAWAY turned away
                    // would otherwise stampede the same new connection.
                    tokio::time::sleep(resend_pause()).await;
                }
                Resend::Now { times } if lost < times => lost += 1,
                _ => return Err(error),
            }
        }
    }

    /// A failure to connect through a proxy says so, and names it.
    fn name_the_proxy(&self, client: usize, url: &Url, mut failed: Classified) -> Classified {
        let (proxies, matcher) = &self.proxies[client];
        if failed.connecting
            && let Some(proxy) = proxies.shown_for(matcher, url)
        {
            failed.failure.message = format!("proxy {proxy}: {}", failed.failure.message);
        }
        failed
    }

    /// Whether the process ran out of files within `SHORT_OF_FILES_FOR`.
    fn short_of_files(&self) -> bool {
        match self.out_of_files_at.load(Ordering::Relaxed) {
            0 => false,
            at => self.started.elapsed() < Duration::from_millis(at) + SHORT_OF_FILES_FOR,
        }
    }
}

/// Whether a response says it is HTML (`text/html`, XHTML).
pub(super) fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|t| t == "text/html" || t == "application/xhtml+xml")
}

/// Where a redirect points, resolved against the current URL.
fn redirect_target(current: &Url, location: &HeaderValue) -> Result<Url, Classified> {
    let location = location_text(location);
    let next = current.join(&location).map_err(|e| {
        Classified::fatal(
            FailureKind::Redirect,
            format!(
                "invalid redirect target '{}': {e}",
                mask_password(&location)
            ),
        )
    })?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(Classified::fatal(
            FailureKind::Redirect,
            format!("redirect to unsupported scheme '{}:'", next.scheme()),
        ));
    }
    crate::target::carried_by_http(&next).map_err(|problem| {
        Classified::fatal(
            FailureKind::Redirect,
            format!(
                "invalid redirect target '{}': {problem}",
                mask_password(&location)
            ),
        )
    })?;
    Ok(next)
}

/// A Location value as text. Bytes that are not ASCII (UTF-8 or Latin-1
/// from a server that did not encode them) are percent-encoded, as curl and
/// browsers do; the URL parser then decodes a host and turns an
/// internationalised one into punycode.
fn location_text(value: &HeaderValue) -> String {
    let mut text = String::with_capacity(value.len());
    for &byte in value.as_bytes() {
        if byte.is_ascii() {
            text.push(char::from(byte));
        } else {
            text.push_str(&format!("%{byte:02X}"));
        }
    }
    text
}

/// Where a redirect leads, unless it breaks a rule: over the limit, a
/// loop, or not an http(s) URL.
fn next_hop(
    hops: &Hops,
    location: &HeaderValue,
    visited: &[Url],
    max_redirects: u32,
) -> Result<Url, Classified> {
    let next = redirect_target(&hops.url, location)?;
    if hops.redirects >= max_redirects {
        return Err(Classified::fatal(
            FailureKind::Redirect,
            format!("more than {} redirects", max_redirects),
        ));
    }
    if visited.contains(&next) {
        return Err(Classified::fatal(
            FailureKind::Redirect,
            format!("redirect loop: {} was already visited", display_url(&next)),
        ));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target_bytes(current: &str, location: &[u8]) -> Result<String, Classified> {
        let current = Url::parse(current).unwrap();
        redirect_target(&current, &HeaderValue::from_bytes(location).unwrap()).map(String::from)
    }

    #[test]
    fn raw_non_ascii_locations_are_encoded_as_curl_does() {
        assert_eq!(
            target_bytes("http://a.test/", "/caf\u{e9}".as_bytes()).unwrap(),
            "http://a.test/caf%C3%A9"
        );
        assert_eq!(
            target_bytes("http://a.test/", b"/caf\xe9?q=\xe9").unwrap(),
            "http://a.test/caf%E9?q=%E9"
        );
        assert_eq!(
            target_bytes("http://a.test/", "http://b\u{fc}cher.test/x".as_bytes()).unwrap(),
            "http://xn--bcher-kva.test/x"
        );
    }

    fn target(current: &str, location: &str) -> Result<String, Classified> {
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
        assert_eq!(err.failure.kind, FailureKind::Redirect);
        assert_eq!(err.failure.message, "redirect to unsupported scheme 'ftp:'");
        assert!(target("http://a.test/", "file:///etc/passwd").is_err());
        assert!(target("http://a.test/", "http://[oops/").is_err());
    }

    #[test]
    fn a_redirect_no_request_can_carry_fails_as_a_redirect() {
        let err = target("http://a.test/", "http://a{b}.test/").unwrap_err();
        assert_eq!(err.failure.kind, FailureKind::Redirect);
        assert_eq!(
            err.failure.message,
            "invalid redirect target 'http://a{b}.test/': the host 'a{b}.test' has characters \
             no HTTP request can carry ('{' '}'); check the URL for a typo"
        );
    }
}
