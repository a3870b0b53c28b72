//! Turns an HTTP client error into a failure kind and a short, specific
//! message ("connection refused", "certificate expired"), by walking the
//! error's chain of causes; and, while the error is in hand, into a typed
//! `Cause` that decides whether sending again may help. Retry policy reads
//! the cause, never the message.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use super::phases::ResolveError;
use super::{rejected, tls_words};
use crate::results::{CertInfo, Failure, FailureKind};

/// What an error says about sending the request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The request was never processed: it was not sent before its
    /// connection went away, or an HTTP/2 server refused it (GOAWAY, whose
    /// streams above the last one were not processed, RFC 9113 6.8; or
    /// REFUSED_STREAM, 8.7). Sending it again at once, on another
    /// connection, is safe whatever the method.
    NotProcessed,
    /// The connection went away before any response: on a reused keep-alive
    /// connection, the server closed it just as the request arrived; or our
    /// own HTTP/2 stack ended the connection. Sending again at once, on a
    /// fresh connection, is safe for GET and HEAD.
    ConnectionLost,
    /// The process has no file left for a new socket (EMFILE): sending again
    /// once idle connections have closed may work.
    OutOfFiles,
    /// The network or the server may do better in a moment (DNS, connect,
    /// timeout): worth a retry after a pause.
    Transient,
    /// Trying again will not help.
    Final,
}

/// A failure as classified: the words for people, the cause for the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classified {
    pub(crate) failure: Failure,
    pub(crate) cause: Cause,
    /// It happened while connecting: to the server, or to the proxy in
    /// between.
    pub(crate) connecting: bool,
    /// The server's certificate, when one was received and refused.
    pub(crate) cert: Option<CertInfo>,
}

impl Classified {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>, cause: Cause) -> Self {
        Classified {
            failure: Failure::new(kind, message),
            cause,
            connecting: false,
            cert: None,
        }
    }

    /// A failure that trying again will not mend.
    pub(crate) fn fatal(kind: FailureKind, message: impl Into<String>) -> Self {
        Self::new(kind, message, Cause::Final)
    }
}

/// Where in a check the error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Connecting, sending, or waiting for the response head.
    Request,
    /// Reading the response body.
    Body,
}

/// Classify a reqwest error from the given phase of a check.
pub(crate) fn classify(
    err: &reqwest::Error,
    phase: Phase,
    connect_timeout: Duration,
) -> Classified {
    let mut classified = describe(err, phase, connect_timeout);
    if is_out_of_files(err) {
        classified.cause = Cause::OutOfFiles;
    }
    classified.connecting = err.is_connect();
    classified
}

fn describe(err: &reqwest::Error, phase: Phase, connect_timeout: Duration) -> Classified {
    if let Some(tls) = causes(err).find_map(find_tls_error) {
        let mut classified = Classified::fatal(FailureKind::Tls, tls_words::describe(tls));
        classified.cert = rejected::of(tls).and_then(|r| r.expiry.clone());
        return classified;
    }
    if err.is_timeout() {
        let message = if err.is_connect() {
            format!(
                "connection timed out after {}",
                humantime::format_duration(connect_timeout)
            )
        } else {
            "timed out".to_string()
        };
        return Classified::new(FailureKind::Timeout, message, Cause::Transient);
    }
    for cause in causes(err) {
        if let Some(dns) = cause.downcast_ref::<ResolveError>() {
            let detail = dns.to_string();
            return Classified::new(
                FailureKind::Dns,
                format!("could not resolve host: {detail}"),
                Cause::Transient,
            );
        }
        if let Some(h2) = cause.downcast_ref::<h2::Error>()
            && let Some(failure) = from_h2(h2, phase)
        {
            return failure;
        }
        if let Some(io) = cause.downcast_ref::<io::Error>()
            && let Some(failure) = from_io(io, phase, err.is_connect())
        {
            return failure;
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>()
            && let Some(failure) = from_hyper(hyper, phase)
        {
            return failure;
        }
        if let Some(client) = cause.downcast_ref::<hyper_util::client::legacy::Error>()
            && was_never_sent(client)
        {
            return not_sent();
        }
        // The pool handed out a connection that closed before the request
        // went on it.
        if let Some(hyper_util::client::legacy::pool::Error::CheckedOutClosedValue) =
            cause.downcast_ref::<hyper_util::client::legacy::pool::Error>()
        {
            return not_sent();
        }
    }
    // The top-level message names the URL, which may carry a password: use
    // the causes only.
    let detail = err
        .source()
        .map_or_else(|| "request failed".to_string(), innermost);
    if err.is_connect() {
        let detail = tunnel_refusal(&detail).unwrap_or(detail);
        Classified::new(FailureKind::Connect, detail, Cause::Transient)
    } else if phase == Phase::Body || err.is_body() || err.is_decode() {
        Classified::fatal(
            FailureKind::Body,
            format!("error reading the body: {detail}"),
        )
    } else {
        Classified::fatal(FailureKind::Protocol, detail)
    }
}

/// A proxy's refusal to open a tunnel (CONNECT), in words that say what to
/// do. Read from the message: hyper-util's `TunnelError` is not public, so
/// it cannot be matched by type, and it keeps only the proxy's 407 of the
/// answer.
fn tunnel_refusal(detail: &str) -> Option<String> {
    let refusal = detail.strip_prefix("tunnel error: ")?;
    Some(match refusal {
        "proxy authorization required" => "the proxy refused the tunnel: 407 Proxy \
            Authentication Required (give its login in the proxy URL: \
            http://user:password@host:port)"
            .to_string(),
        "unsuccessful" => {
            "the proxy refused the tunnel: its answer to CONNECT was not 200".to_string()
        }
        other => format!("the tunnel through the proxy failed: {other}"),
    })
}

/// The process has no file descriptor left for a new socket (EMFILE).
fn is_out_of_files(err: &reqwest::Error) -> bool {
    #[cfg(unix)]
    let emfile = Some(libc::EMFILE);
    #[cfg(not(unix))]
    let emfile = None;
    causes(err).any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| emfile.is_some() && e.raw_os_error() == emfile)
    })
}

/// `err` and every error under it.
fn causes(err: &reqwest::Error) -> impl Iterator<Item = &(dyn StdError + 'static)> {
    let top: &(dyn StdError + 'static) = err;
    std::iter::successors(Some(top), |&e| next_cause(e))
}

/// The next cause in a chain. An `io::Error`'s `source()` skips the error it
/// wraps (where rustls errors travel), and an `h2::Error` has no `source()`
/// at all for the I/O error under it, so step into those instead.
fn next_cause<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    if let Some(inner) = err.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
        return Some(inner);
    }
    if let Some(io) = err.downcast_ref::<h2::Error>().and_then(h2::Error::get_io) {
        return Some(io);
    }
    err.source()
}

fn find_tls_error<'a>(cause: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    cause.downcast_ref::<rustls::Error>()
}

fn from_io(err: &io::Error, phase: Phase, connecting: bool) -> Option<Classified> {
    use Cause::{ConnectionLost, Final, Transient};
    use io::ErrorKind::*;
    if err.kind() == InvalidData
        && let Some(alert) = tls_alert(err)
    {
        return Some(alert);
    }
    let (kind, message, cause) = match err.kind() {
        ConnectionRefused => (FailureKind::Connect, "connection refused", Transient),
        HostUnreachable => (FailureKind::Connect, "host unreachable", Transient),
        NetworkUnreachable => (FailureKind::Connect, "network unreachable", Transient),
        AddrNotAvailable => (
            FailureKind::Connect,
            "cannot assign a local address",
            Transient,
        ),
        TimedOut => (FailureKind::Timeout, "timed out", Transient),
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => match phase {
            Phase::Body => (
                FailureKind::Body,
                "connection closed before the body was complete",
                Final,
            ),
            Phase::Request if connecting => (
                FailureKind::Connect,
                "connection reset while connecting",
                Transient,
            ),
            Phase::Request => (
                FailureKind::Protocol,
                "connection closed before a response",
                ConnectionLost,
            ),
        },
        _ => return None,
    };
    Some(Classified::new(kind, message, cause))
}

/// A TLS alert that reached us only as text: HTTP/2 keeps an I/O error's
/// kind and message, not the rustls error in it (TLS 1.3 servers send
/// `certificate_required` after the handshake, when HTTP/2 is already
/// reading). The words are rustls's own `AlertReceived` message.
fn tls_alert(err: &io::Error) -> Option<Classified> {
    let message = err.to_string();
    let alert = message.strip_prefix("received fatal alert: ")?;
    Some(Classified::fatal(
        FailureKind::Tls,
        if alert == "CertificateRequired" {
            "the server requires a client certificate; give one with --cert FILE and --key FILE"
                .to_string()
        } else {
            format!(
                "TLS failed: the server sent alert {}",
                tls_words::words(alert).replace(' ', "_")
            )
        },
    ))
}

/// An HTTP/2 stream or connection error. I/O errors are left to the cause
/// under them.
fn from_h2(err: &h2::Error, phase: Phase) -> Option<Classified> {
    let reason = err.reason()?;
    let body = phase == Phase::Body;
    let kind = if body {
        FailureKind::Body
    } else {
        FailureKind::Protocol
    };
    if err.is_go_away() && err.is_remote() {
        return Some(if reason == h2::Reason::NO_ERROR && !body {
            Classified::new(
                kind,
                "the server closed the HTTP/2 connection (GOAWAY) before processing the request",
                Cause::NotProcessed,
            )
        } else if body {
            Classified::fatal(
                kind,
                format!(
                    "the server closed the HTTP/2 connection ({reason:?}) before the body was complete"
                ),
            )
        } else {
            Classified::new(
                kind,
                format!("the server closed the HTTP/2 connection ({reason:?}) before a response"),
                Cause::ConnectionLost,
            )
        });
    }
    if err.is_go_away() {
        // Our HTTP/2 stack ended the connection (for example, after many
        // streams that were stopped at the body cap): not the server's doing.
        return Some(Classified::new(
            kind,
            format!("the HTTP/2 connection was ended on this side ({reason:?})"),
            Cause::ConnectionLost,
        ));
    }
    if err.is_reset() && err.is_remote() {
        return Some(if reason == h2::Reason::REFUSED_STREAM {
            Classified::new(
                kind,
                "the server refused the HTTP/2 stream (REFUSED_STREAM) before processing it",
                Cause::NotProcessed,
            )
        } else {
            Classified::fatal(
                kind,
                format!("the server reset the HTTP/2 stream ({reason:?})"),
            )
        });
    }
    None
}

/// A request canceled before it was sent: its connection closed first, or
/// it was not ready.
fn not_sent() -> Classified {
    Classified::new(
        FailureKind::Protocol,
        "the connection closed before the request could be sent",
        Cause::NotProcessed,
    )
}

/// hyper-util's pool gave up on a request before sending it (for example,
/// when another connection to the host had just become HTTP/2): the one
/// kind of its errors that is neither a connect error nor one from hyper.
fn was_never_sent(err: &hyper_util::client::legacy::Error) -> bool {
    !err.is_connect()
        && err
            .source()
            .is_none_or(|source| source.downcast_ref::<hyper::Error>().is_none())
}

fn from_hyper(err: &hyper::Error, phase: Phase) -> Option<Classified> {
    // Canceled: the request waited for a connection that closed, or was
    // not ready. A "user" error, for a GET or HEAD without a body, can only
    // be hyper's "dispatch gone": the connection's task ended with the
    // request still queued for it.
    if (err.is_canceled() || err.is_user()) && phase == Phase::Request {
        return Some(not_sent());
    }
    if err.is_parse() || err.is_parse_status() {
        let what = if phase == Phase::Body {
            FailureKind::Body
        } else {
            FailureKind::Protocol
        };
        return Some(Classified::fatal(
            what,
            format!("not a valid HTTP response: {err}"),
        ));
    }
    if err.is_incomplete_message() {
        return Some(match phase {
            Phase::Body => Classified::fatal(
                FailureKind::Body,
                "connection closed before the body was complete",
            ),
            Phase::Request => Classified::new(
                FailureKind::Protocol,
                "connection closed before a complete response",
                Cause::ConnectionLost,
            ),
        });
    }
    None
}

/// The deepest cause's message: usually the most specific one.
fn innermost(err: &(dyn StdError + 'static)) -> String {
    let mut last = err;
    while let Some(next) = next_cause(last) {
        last = next;
    }
    last.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(kind: io::ErrorKind) -> io::Error {
        io::Error::new(kind, "x")
    }

    fn facts(c: Option<Classified>) -> Option<(FailureKind, String, Cause)> {
        c.map(|c| (c.failure.kind, c.failure.message, c.cause))
    }

    #[test]
    fn io_errors_by_kind_and_phase() {
        use io::ErrorKind::*;
        let refused = facts(from_io(&io(ConnectionRefused), Phase::Request, true));
        assert_eq!(
            refused,
            Some((
                FailureKind::Connect,
                "connection refused".into(),
                Cause::Transient
            ))
        );
        let timed_out = facts(from_io(&io(TimedOut), Phase::Body, false));
        assert_eq!(
            timed_out,
            Some((FailureKind::Timeout, "timed out".into(), Cause::Transient))
        );
        // A reset: while connecting, before a response, or under the body.
        let reset = |phase, connecting| {
            facts(from_io(&io(ConnectionReset), phase, connecting)).map(|(k, _, c)| (k, c))
        };
        assert_eq!(
            reset(Phase::Request, true),
            Some((FailureKind::Connect, Cause::Transient))
        );
        assert_eq!(
            reset(Phase::Request, false),
            Some((FailureKind::Protocol, Cause::ConnectionLost))
        );
        assert_eq!(
            reset(Phase::Body, false),
            Some((FailureKind::Body, Cause::Final))
        );
        // Left to the cause under it.
        assert_eq!(
            facts(from_io(&io(PermissionDenied), Phase::Request, false)),
            None
        );
    }

    #[test]
    fn a_tls_alert_known_only_as_text_is_named() {
        let alert = |text: &str| {
            facts(from_io(
                &io::Error::new(io::ErrorKind::InvalidData, text.to_string()),
                Phase::Request,
                false,
            ))
        };
        let (kind, message, cause) = alert("received fatal alert: CertificateRequired").unwrap();
        assert_eq!((kind, cause), (FailureKind::Tls, Cause::Final));
        assert!(message.contains("--cert FILE and --key FILE"), "{message}");
        let (_, message, _) = alert("received fatal alert: HandshakeFailure").unwrap();
        assert_eq!(
            message,
            "TLS failed: the server sent alert handshake_failure"
        );
        assert_eq!(alert("something else"), None);
    }

    #[test]
    fn a_tunnel_refusal_says_what_to_do() {
        let auth = tunnel_refusal("tunnel error: proxy authorization required").unwrap();
        assert!(auth.contains("407") && auth.contains("http://user:password@host:port"));
        assert_eq!(
            tunnel_refusal("tunnel error: unsuccessful").as_deref(),
            Some("the proxy refused the tunnel: its answer to CONNECT was not 200")
        );
        assert_eq!(tunnel_refusal("connection refused"), None);
    }

    #[test]
    fn a_bare_h2_reason_is_left_to_other_causes() {
        let reason = h2::Error::from(h2::Reason::REFUSED_STREAM);
        assert!(from_h2(&reason, Phase::Request).is_none());
    }

    #[test]
    fn the_chain_steps_into_the_error_an_io_error_wraps() {
        let inner = ResolveErrorStandIn;
        let wrapped = io::Error::other(inner);
        let top: &(dyn StdError + 'static) = &wrapped;
        let next = next_cause(top).expect("the wrapped error");
        assert!(next.downcast_ref::<ResolveErrorStandIn>().is_some());
        assert_eq!(innermost(top), "the innermost words");
    }

    #[derive(Debug)]
    struct ResolveErrorStandIn;

    impl std::fmt::Display for ResolveErrorStandIn {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("the innermost words")
        }
    }

    impl StdError for ResolveErrorStandIn {}
}
