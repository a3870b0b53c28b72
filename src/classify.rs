//! Turns an HTTP client error into a failure kind and a short, specific
//! message ("connection refused", "certificate expired"), by walking the
//! error's chain of causes.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use rustls::CertificateError;

use crate::results::{Failure, FailureKind};

/// Where in a check the error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connecting, sending, or waiting for the response head.
    Request,
    /// Reading the response body.
    Body,
}

/// Classify a reqwest error from the given phase of a check.
pub fn classify(err: &reqwest::Error, phase: Phase, connect_timeout: Duration) -> Failure {
    if let Some(tls) = causes(err).find_map(find_tls_error) {
        return Failure::new(FailureKind::Tls, tls_message(tls));
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
        return Failure::new(FailureKind::Timeout, message);
    }
    for cause in causes(err) {
        if cause.to_string().starts_with("dns error") {
            let detail = innermost(cause);
            return Failure::new(
                FailureKind::Dns,
                format!("could not resolve host: {detail}"),
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
        Failure::new(FailureKind::Connect, detail)
    } else if phase == Phase::Body || err.is_body() || err.is_decode() {
        Failure::new(
            FailureKind::Body,
            format!("error reading the body: {detail}"),
        )
    } else {
        Failure::new(FailureKind::Protocol, detail)
    }
}

/// The process has no file descriptor left for a new socket (EMFILE).
pub fn is_out_of_files(err: &reqwest::Error) -> bool {
    const EMFILE: i32 = 24; // Linux, macOS and the BSDs alike.
    causes(err).any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.raw_os_error() == Some(EMFILE))
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

fn from_io(err: &io::Error, phase: Phase, connecting: bool) -> Option<Failure> {
    use io::ErrorKind::*;
    let (kind, message) = match err.kind() {
        ConnectionRefused => (FailureKind::Connect, "connection refused"),
        HostUnreachable => (FailureKind::Connect, "host unreachable"),
        NetworkUnreachable => (FailureKind::Connect, "network unreachable"),
        AddrNotAvailable => (FailureKind::Connect, "cannot assign a local address"),
        TimedOut => (FailureKind::Timeout, "timed out"),
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => match phase {
            Phase::Body => (
                FailureKind::Body,
                "connection closed before the body was complete",
            ),
            Phase::Request if connecting => {
                (FailureKind::Connect, "connection reset while connecting")
            }
            Phase::Request => (FailureKind::Protocol, "connection closed before a response"),
        },
        _ => return None,
    };
    Some(Failure::new(kind, message))
}

fn from_hyper(err: &hyper::Error, phase: Phase) -> Option<Failure> {
    if err.is_parse() || err.is_parse_status() {
        let what = if phase == Phase::Body {
            FailureKind::Body
        } else {
            FailureKind::Protocol
        };
        return Some(Failure::new(
            what,
            format!("not a valid HTTP response: {err}"),
        ));
    }
    if err.is_incomplete_message() {
        return Some(match phase {
            Phase::Body => Failure::new(
                FailureKind::Body,
                "connection closed before the body was complete",
            ),
            Phase::Request => Failure::new(
                FailureKind::Protocol,
                "connection closed before a complete response",
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
