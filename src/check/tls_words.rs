//! A failed TLS handshake in words a person understands, chosen from the
//! rustls error's types (never its `Debug` text): which certificate check
//! failed and when, which alert the server sent, what the two sides could
//! not agree on.

use std::time::{Duration, SystemTime};

use rustls::pki_types::UnixTime;
use rustls::{AlertDescription, CertificateError, InvalidMessage, PeerIncompatible};

/// The largest handshake message rustls reads (its `MAX_HANDSHAKE_SIZE`).
const MAX_HANDSHAKE_KIB: u32 = 64;

/// What urlcheck speaks, for the messages about what it does not.
pub(crate) const SPOKEN: &str = "urlcheck speaks TLS 1.2 and 1.3 with ECDHE key exchange and \
    AES-GCM or ChaCha20 only: no CBC, DHE or RSA key exchange";

/// The words for `err`.
pub(crate) fn describe(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(cert) => certificate(cert),
        rustls::Error::InvalidMessage(message) => invalid_message(message),
        rustls::Error::AlertReceived(alert) => alert_received(*alert),
        rustls::Error::PeerIncompatible(why) => incompatible(why),
        rustls::Error::PeerMisbehaved(what) => format!(
            "TLS handshake failed: the server broke the TLS protocol ({})",
            words(&format!("{what:?}"))
        ),
        rustls::Error::NoCertificatesPresented => {
            "TLS handshake failed: the server sent no certificate".into()
        }
        rustls::Error::DecryptError => {
            "TLS failed: a record from the server could not be decrypted".into()
        }
        rustls::Error::PeerSentOversizedRecord => {
            "TLS failed: the server sent a record larger than TLS allows".into()
        }
        rustls::Error::NoApplicationProtocol => {
            "TLS handshake failed: the server speaks none of the HTTP versions asked for (ALPN)"
                .into()
        }
        rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => {
            "TLS handshake failed: the server sent a TLS message out of turn".into()
        }
        rustls::Error::General(message) => message.clone(),
        rustls::Error::Other(other) => format!("TLS error: {}", other.0),
        other => format!("TLS error: {other}"),
    }
}

/// A certificate the verifier refused.
fn certificate(err: &CertificateError) -> String {
    match err {
        CertificateError::ExpiredContext { time, not_after } => format!(
            "certificate expired on {} ({} ago)",
            rfc3339(*not_after),
            days(time.as_secs().saturating_sub(not_after.as_secs()))
        ),
        CertificateError::Expired => "certificate expired".into(),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "certificate is not valid until {} (in {})",
            rfc3339(*not_before),
            days(not_before.as_secs().saturating_sub(time.as_secs()))
        ),
        CertificateError::NotValidYet => "certificate is not valid yet".into(),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "certificate is not valid for this host name".into()
        }
        CertificateError::UnknownIssuer => {
            "certificate issued by an unknown authority (the server may not send its \
             intermediate certificates; or trust its CA with --cacert FILE, or skip checks \
             with -k)"
                .into()
        }
        CertificateError::Revoked => "certificate revoked".into(),
        CertificateError::BadSignature => "certificate has a bad signature".into(),
        CertificateError::BadEncoding => "certificate is malformed (bad DER)".into(),
        CertificateError::UnhandledCriticalExtension => {
            "certificate has a critical extension urlcheck does not know".into()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "certificate is not for server authentication (extended key usage)".into()
        }
        CertificateError::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(webpki) => from_webpki(webpki),
            None => other.0.to_string(),
        },
        other => format!("invalid certificate: {}", words(&format!("{other:?}"))),
    }
}

/// The webpki errors that rustls passes on as they are.
fn from_webpki(err: &webpki::Error) -> String {
    match err {
        webpki::Error::CaUsedAsEndEntity => {
            "the server's certificate is a CA certificate, not a server certificate".into()
        }
        webpki::Error::EndEntityUsedAsCa => {
            "a server certificate in the chain is used as a CA certificate".into()
        }
        webpki::Error::PathLenConstraintViolated => {
            "certificate chain is longer than a CA in it allows (path length)".into()
        }
        webpki::Error::NameConstraintViolation => {
            "certificate names a host its CA may not issue for (name constraints)".into()
        }
        webpki::Error::MaximumPathDepthExceeded => "certificate chain is too long".into(),
        webpki::Error::UnsupportedCertVersion => {
            "certificate is not an X.509 version 3 certificate".into()
        }
        other => format!("invalid certificate: {}", words(&format!("{other:?}"))),
    }
}

fn invalid_message(message: &InvalidMessage) -> String {
    match message {
        InvalidMessage::InvalidContentType => "TLS handshake failed: the server did not answer \
            with TLS (plain HTTP on this port?)"
            .into(),
        InvalidMessage::HandshakePayloadTooLarge => format!(
            "TLS handshake failed: the server sent a handshake message larger than \
             {MAX_HANDSHAKE_KIB} KiB, the most urlcheck accepts (usually a certificate with \
             thousands of names)"
        ),
        other => format!(
            "TLS handshake failed: the server sent a malformed TLS message ({})",
            words(&format!("{other:?}"))
        ),
    }
}

fn alert_received(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::HandshakeFailure | AlertDescription::InsufficientSecurity => format!(
            "TLS handshake failed: the server has no cipher suite in common with urlcheck \
             (it sent alert {}); {SPOKEN}",
            alert_name(alert)
        ),
        AlertDescription::ProtocolVersion => format!(
            "TLS handshake failed: the server speaks no TLS version urlcheck does \
             (it sent alert protocol_version); {SPOKEN}"
        ),
        AlertDescription::CertificateRequired => {
            "the server requires a client certificate; give one with --cert FILE and --key FILE"
                .into()
        }
        other => format!(
            "TLS handshake failed: the server sent alert {}",
            alert_name(other)
        ),
    }
}

fn incompatible(why: &PeerIncompatible) -> String {
    match why {
        PeerIncompatible::ServerDoesNotSupportTls12Or13
        | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig => {
            format!(
                "TLS handshake failed: the server speaks no TLS version urlcheck does; {SPOKEN}"
            )
        }
        other => format!(
            "TLS handshake failed: the server cannot speak TLS as urlcheck does ({})",
            words(&format!("{other:?}"))
        ),
    }
}

/// An alert's name as the TLS RFCs write it (`handshake_failure`).
pub(crate) fn alert_name(alert: AlertDescription) -> String {
    let name = match u8::from(alert) {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        121 => "ech_required",
        code => return format!("number {code}"),
    };
    name.to_string()
}

/// The name of a field-less variant, as words: `SelectedUnofferedCipherSuite`
/// is "selected unoffered cipher suite". Only what comes before any field
/// is read, so no value is ever dumped.
pub(crate) fn words(debug: &str) -> String {
    let name = debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default();
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.char_indices() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A moment as RFC 3339, UTC.
pub(crate) fn rfc3339(time: UnixTime) -> String {
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(time.as_secs());
    humantime::format_rfc3339_seconds(when).to_string()
}

/// Whole days in `secs`, as "1 day", "12 days" or "less than a day".
fn days(secs: u64) -> String {
    match secs / 86_400 {
        0 => "less than a day".into(),
        1 => "1 day".into(),
        n => format!("{n} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    #[test]
    fn expiry_says_when() {
        let err = CertificateError::ExpiredContext {
            time: at(1_609_459_200 + 3 * 86_400 + 5),
            not_after: at(1_609_459_200),
        };
        assert_eq!(
            describe(&err.into()),
            "certificate expired on 2021-01-01T00:00:00Z (3 days ago)"
        );
        let err = CertificateError::NotValidYetContext {
            time: at(1_609_459_200 - 100),
            not_before: at(1_609_459_200),
        };
        assert_eq!(
            describe(&err.into()),
            "certificate is not valid until 2021-01-01T00:00:00Z (in less than a day)"
        );
    }

    #[test]
    fn alerts_have_their_rfc_names() {
        assert_eq!(
            alert_name(AlertDescription::HandshakeFailure),
            "handshake_failure"
        );
        assert_eq!(alert_name(AlertDescription::Unknown(200)), "number 200");
        let text = describe(&rustls::Error::AlertReceived(AlertDescription::UnknownCA));
        assert_eq!(
            text,
            "TLS handshake failed: the server sent alert unknown_ca"
        );
        let text = describe(&rustls::Error::AlertReceived(
            AlertDescription::HandshakeFailure,
        ));
        assert!(text.contains("no cipher suite in common"), "{text}");
        assert!(text.contains("no CBC, DHE or RSA key exchange"), "{text}");
    }

    #[test]
    fn variant_names_become_words_without_their_fields() {
        assert_eq!(
            words("SelectedUnofferedCipherSuite"),
            "selected unoffered cipher suite"
        );
        assert_eq!(words("TrailingData(Certificate)"), "trailing data");
        assert_eq!(words("Foo { bar: [1, 2] }"), "foo");
    }

    #[test]
    fn webpki_errors_are_worded() {
        let err = CertificateError::Other(rustls::OtherError(std::sync::Arc::new(
            webpki::Error::CaUsedAsEndEntity,
        )));
        assert_eq!(
            describe(&err.into()),
            "the server's certificate is a CA certificate, not a server certificate"
        );
    }

    #[test]
    fn an_oversized_handshake_message_is_not_called_corrupt() {
        let err = rustls::Error::InvalidMessage(InvalidMessage::HandshakePayloadTooLarge);
        assert_eq!(
            describe(&err),
            "TLS handshake failed: the server sent a handshake message larger than 64 KiB, \
             the most urlcheck accepts (usually a certificate with thousands of names)"
        );
    }
}
