//! Turns an HTTP client error into a failure kind and a short, specific
//! message ("connection refused", "certificate expired"), by walking the
//! error's chain of causes; and, while the error is in hand, into a typed
//! `Cause` that decides whether sending again may help. Retry policy reads
//! the cause, never the message.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use rustls::CertificateError;

use crate::results::{Failure, FailureKind};

/// What an error says about sending the request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The connection went away before any response: on a reused keep-alive
    /// connection, the server closed it just as the request arrived. Sending
    /// again at once, on a fresh connection, is safe for GET and HEAD.
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

impl Cause {
    /// Worth another try under `--retries`.
    pub(crate) fn is_transient(self) -> bool {
        matches!(
            self,
            Cause::ConnectionLost | Cause::Transient | Cause::OutOfFiles
        )
    }
}

/// A failure as classified: the words for people, the cause for the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classified {
    pub(crate) failure: Failure,
    pub(crate) cause: Cause,
}

impl Classified {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>, cause: Cause) -> Self {
        Classified {
            failure: Failure::new(kind, message),
            cause,
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
    classified
}

fn describe(err: &reqwest::Error, phase: Phase, connect_timeout: Duration) -> Classified {
    if let Some(tls) = causes(err).find_map(find_tls_error) {
        return Classified::fatal(FailureKind::Tls, tls_message(tls));
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
        if cause.to_string().starts_with("dns error") {
            let detail = innermost(cause);
            return Classified::new(
                FailureKind::Dns,
                format!("could not resolve host: {detail}"),
                Cause::Transient,
            );
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
    }
    // The top-level message names the URL, which may carry a password: use
    // the causes only.
    let detail = err
        .source()
        .map_or_else(|| "request failed".to_string(), innermost);
    if err.is_connect() {
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
/// wraps (where rustls errors travel), so step into it instead.
fn next_cause<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    if let Some(inner) = err.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
        return Some(inner);
    }
    err.source()
}

fn find_tls_error<'a>(cause: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    cause.downcast_ref::<rustls::Error>()
}

fn tls_message(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "certificate expired".into()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "certificate is not valid yet".into()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "certificate is not valid for this host name".into()
            }
            CertificateError::UnknownIssuer => {
                "certificate issued by an unknown authority (trust it with --cacert FILE, or skip checks with -k)"
                    .into()
            }
            CertificateError::Revoked => "certificate revoked".into(),
            CertificateError::BadSignature => "certificate has a bad signature".into(),
            other => format!("invalid certificate: {other:?}"),
        },
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            "TLS handshake failed: the server did not answer with TLS (plain HTTP on this port?)"
                .into()
        }
        rustls::Error::AlertReceived(alert) => {
            format!("TLS handshake failed: the server sent alert {alert:?}")
        }
        other => format!("TLS error: {other}"),
    }
}

fn from_io(err: &io::Error, phase: Phase, connecting: bool) -> Option<Classified> {
    use Cause::{ConnectionLost, Final, Transient};
    use io::ErrorKind::*;
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

fn from_hyper(err: &hyper::Error, phase: Phase) -> Option<Classified> {
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
