//! Where a check's time went, measured where each phase happens: DNS in the
//! resolver, the TCP connect and the TLS handshake in the connector, time to
//! first byte and body transfer in `fetch.rs`.
//!
//! A new connection is timed while the connector runs (`TimeConnects`):
//! during each poll of the connect, this thread's draft is set, and the
//! hooks that run inside it write into it: the resolver (`TimedResolver`),
//! rustls' session store as the ClientHello is built (the TCP connection is
//! up) and its key log (the TLS version; see `tls.rs`). The finished times
//! are filed under the connection's local and remote addresses, which every
//! response on it carries (`HttpInfo`); the first response of a check that
//! started before the connection claims the times of its making.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper_util::client::legacy::connect::{Connection, HttpInfo};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::results::Phases;

/// How long the facts of a connection not seen since are kept.
const FORGET_AFTER: Duration = Duration::from_secs(300);

/// The times of a connection being made, as its hooks record them.
#[derive(Debug, Clone, Copy)]
struct ConnectTimes {
    started: Instant,
    dns: Option<(Instant, Instant)>,
    tls_started: Option<Instant>,
    tls_version: Option<&'static str>,
}

thread_local! {
    /// The connection this thread is making right now, if any.
    static CONNECTING: RefCell<Option<Arc<Mutex<ConnectTimes>>>> = const { RefCell::new(None) };
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The draft of the connection being made on this thread.
fn connecting() -> Option<Arc<Mutex<ConnectTimes>>> {
    CONNECTING.with(|m| m.borrow().clone())
}

/// The TLS handshake of the connection being made starts now (the first
/// call counts).
pub(crate) fn tls_started() {
    if let Some(draft) = connecting() {
        lock(&draft).tls_started.get_or_insert_with(Instant::now);
    }
}

/// The connection being made agreed this TLS version.
pub(crate) fn tls_version(version: &'static str) {
    if let Some(draft) = connecting() {
        lock(&draft).tls_version = Some(version);
    }
}

/// The system resolver (getaddrinfo, as reqwest's own), timed. IP literals
/// never reach it: they have no DNS phase.
pub(crate) struct TimedResolver;

impl Resolve for TimedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let draft = connecting();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let started = Instant::now();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|source| ResolveError { source })?
                .collect();
            if let Some(draft) = draft {
                lock(&draft).dns = Some((started, Instant::now()));
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// A host name that could not be resolved: a type of its own, so that the
/// failure is classified as `dns` by its type, wherever the client wraps it.
#[derive(Debug)]
pub(crate) struct ResolveError {
    source: std::io::Error,
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for ResolveError {}

/// What is known of one connection.
#[derive(Debug, Clone, Copy)]
struct ConnectionFacts {
    started: Instant,
    dns: Option<Duration>,
    connect: Duration,
    tls: Option<Duration>,
    /// When it was ready for requests.
    ready: Instant,
    tls_version: Option<&'static str>,
    /// Whether a response has claimed its making.
    claimed: bool,
    seen: Instant,
}

impl ConnectionFacts {
    fn from_draft(draft: &ConnectTimes, ready: Instant) -> Self {
        let resolved = draft.dns.map_or(draft.started, |(_, end)| end);
        let connected = draft.tls_started.unwrap_or(ready);
        ConnectionFacts {
            started: draft.started,
            dns: draft
                .dns
                .map(|(start, end)| end.saturating_duration_since(start)),
            connect: connected.saturating_duration_since(resolved),
            tls: draft
                .tls_started
                .map(|start| ready.saturating_duration_since(start)),
            ready,
            tls_version: draft.tls_version,
            claimed: false,
            seen: ready,
        }
    }
}

/// The connections a client made, by (local, remote) address.
#[derive(Default)]
pub(crate) struct ConnectLog {
    made: Mutex<Connections>,
}

#[derive(Default)]
struct Connections {
    by_addrs: HashMap<(SocketAddr, SocketAddr), ConnectionFacts>,
    /// The size at which old entries are next forgotten.
    prune_at: usize,
}

impl ConnectLog {
    fn file(&self, addrs: (SocketAddr, SocketAddr), made: ConnectionFacts) {
        let mut log = lock(&self.made);
        if log.by_addrs.len() >= log.prune_at {
            let now = Instant::now();
            log.by_addrs
                .retain(|_, m| now.saturating_duration_since(m.seen) < FORGET_AFTER);
            log.prune_at = (log.by_addrs.len() * 2).max(1024);
        }
        log.by_addrs.insert(addrs, made);
    }

    /// The phases of a response that arrived at `answered` for a request
    /// sent at `sent`: the connection's making when this response is the
    /// first on a connection made after `sent`; the time to first byte from
    /// when the request could go out: when it was sent, or when its
    /// connection was ready if that was later (an HTTP/2 request that waited
    /// for another check's handshake did not wait for a first byte).
    pub(crate) fn phases(
        &self,
        response: &reqwest::Response,
        sent: Instant,
        answered: Instant,
    ) -> Phases {
        let info = response.extensions().get::<HttpInfo>();
        let mut phases = Phases {
            remote_addr: info.map(HttpInfo::remote_addr),
            ttfb: Some(answered.saturating_duration_since(sent)),
            ..Phases::default()
        };
        let Some(info) = info else {
            return phases;
        };
        let mut log = lock(&self.made);
        let Some(made) = log
            .by_addrs
            .get_mut(&(info.local_addr(), info.remote_addr()))
        else {
            return phases;
        };
        made.seen = answered;
        phases.tls_version = made.tls_version;
        phases.ttfb = Some(answered.saturating_duration_since(sent.max(made.ready)));
        // Only a request sent before the connection was begun can have made
        // it; one that came later (HTTP/2) leaves the claim to that one.
        if !made.claimed && made.started >= sent {
            phases.dns = made.dns;
            phases.connect = Some(made.connect);
            phases.tls = made.tls;
            made.claimed = true;
        }
        phases
    }
}

/// A connector layer that times every connection made through it.
#[derive(Clone)]
pub(crate) struct TimeConnects(pub(crate) Arc<ConnectLog>);

impl<S> tower::Layer<S> for TimeConnects {
    type Service = TimedConnector<S>;

    fn layer(&self, inner: S) -> TimedConnector<S> {
        TimedConnector {
            inner,
            log: Arc::clone(&self.0),
        }
    }
}

#[derive(Clone)]
pub(crate) struct TimedConnector<S> {
    inner: S,
    log: Arc<ConnectLog>,
}

impl<S, R> tower::Service<R> for TimedConnector<S>
where
    S: tower::Service<R>,
    S::Response: Connection,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = TimedConnect<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> TimedConnect<S::Future> {
        let draft = Arc::new(Mutex::new(ConnectTimes {
            started: Instant::now(),
            dns: None,
            tls_started: None,
            tls_version: None,
        }));
        let inner = within(&draft, || self.inner.call(request));
        TimedConnect {
            inner: Box::pin(inner),
            draft,
            log: Arc::clone(&self.log),
        }
    }
}

/// Run `f` with `draft` as this thread's connection being made.
fn within<T>(draft: &Arc<Mutex<ConnectTimes>>, f: impl FnOnce() -> T) -> T {
    let outer = CONNECTING.with(|m| m.replace(Some(Arc::clone(draft))));
    let out = f();
    CONNECTING.with(|m| *m.borrow_mut() = outer);
    out
}

/// A connection being made, and its times.
pub(crate) struct TimedConnect<F> {
    inner: Pin<Box<F>>,
    draft: Arc<Mutex<ConnectTimes>>,
    log: Arc<ConnectLog>,
}

impl<F, C, E> Future for TimedConnect<F>
where
    F: Future<Output = Result<C, E>>,
    C: Connection,
{
    type Output = Result<C, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let polled = within(&this.draft, || this.inner.as_mut().poll(cx));
        if let Poll::Ready(Ok(connection)) = &polled {
            let ready = Instant::now();
            let mut extras = http::Extensions::new();
            connection.connected().get_extras(&mut extras);
            if let Some(info) = extras.get::<HttpInfo>() {
                let made = ConnectionFacts::from_draft(&lock(&this.draft), ready);
                this.log.file((info.local_addr(), info.remote_addr()), made);
            }
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_splits_into_dns_connect_and_tls() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let draft = ConnectTimes {
            started: t0,
            dns: Some((at(1), at(11))),
            tls_started: Some(at(31)),
            tls_version: Some("TLSv1.3"),
        };
        let made = ConnectionFacts::from_draft(&draft, at(71));
        assert_eq!(made.dns, Some(Duration::from_millis(10)));
        assert_eq!(made.connect, Duration::from_millis(20));
        assert_eq!(made.tls, Some(Duration::from_millis(40)));
        // No DNS (an IP literal) and no TLS (http): connect is all of it.
        let plain = ConnectTimes {
            started: t0,
            dns: None,
            tls_started: None,
            tls_version: None,
        };
        let made = ConnectionFacts::from_draft(&plain, at(5));
        assert_eq!((made.dns, made.tls), (None, None));
        assert_eq!(made.connect, Duration::from_millis(5));
    }

    #[test]
    fn hooks_write_only_into_the_connection_being_made() {
        // Outside a connect, the hooks do nothing.
        tls_started();
        tls_version("TLSv1.2");
        let draft = Arc::new(Mutex::new(ConnectTimes {
            started: Instant::now(),
            dns: None,
            tls_started: None,
            tls_version: None,
        }));
        within(&draft, || {
            tls_started();
            tls_version("TLSv1.2");
        });
        let first = lock(&draft).tls_started;
        within(&draft, tls_started);
        let d = lock(&draft);
        assert!(first.is_some());
        assert_eq!(d.tls_started, first, "the first start counts");
        assert_eq!(d.tls_version, Some("TLSv1.2"));
        assert!(connecting().is_none());
    }
}
