//! A server certificate the verifier refused, and why, in words: the facts
//! of the chain that rustls' verdict alone does not carry (self-signed? a
//! key too small? the names it covers? sent in the wrong order?), read from
//! the certificates as they are refused, and the expiry of the server's
//! certificate for the record. It travels to `classify` inside the rustls
//! error (`CertificateError::Other`).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, OtherError};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::public_key::PublicKey;

use super::cert::cert_info;
use super::tls_words;
use crate::results::CertInfo;
use crate::text::escape_control;

/// The smallest RSA key rustls' verifier (ring) accepts.
const MIN_RSA_BITS: usize = 2048;

/// Names of the server's certificate listed in a message; the rest are
/// counted.
const NAMES_SHOWN: usize = 5;

/// A refused certificate: why, and when the server's certificate expires.
#[derive(Debug)]
pub(crate) struct Rejected {
    pub(crate) problem: Problem,
    pub(crate) expiry: Option<CertInfo>,
}

/// Why a certificate was refused.
#[derive(Debug)]
pub(crate) enum Problem {
    /// rustls' own verdict says it well enough.
    Refused(rustls::Error),
    /// The first certificate is a CA's (this subject), and a server
    /// certificate comes after it.
    WrongOrder { first: String },
    /// No trusted authority issued it.
    UnknownIssuer {
        self_signed: SelfSigned,
        /// `--cacert` was given.
        cacert: bool,
    },
    /// Not valid for the host asked for; `names` is None without a
    /// subjectAltName.
    NameMismatch {
        host: String,
        names: Option<Vec<String>>,
    },
    /// An RSA key of `bits` bits, under `MIN_RSA_BITS`.
    SmallKey { whose: Whose, bits: usize },
    /// Signed with an algorithm rustls does not accept (its DER
    /// AlgorithmIdentifier, as webpki gives it).
    Signature { whose: Whose, algorithm: Vec<u8> },
}

/// Which certificate of the chain is self-signed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SelfSigned {
    No,
    /// The server's own.
    Leaf,
    /// The last one the server sent, with this subject.
    Root(String),
}

/// Whose certificate a problem is in.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Whose {
    Server,
    /// A CA's, with this subject.
    Ca(String),
}

/// The certificates a verdict was given on.
pub(crate) struct Chain<'a> {
    pub(crate) leaf: &'a CertificateDer<'a>,
    pub(crate) intermediates: &'a [CertificateDer<'a>],
    /// The `--cacert` certificates.
    pub(crate) cacert: &'a [CertificateDer<'static>],
}

/// The `Rejected` inside `err`, if the verifier put one there.
pub(crate) fn of(err: &rustls::Error) -> Option<&Rejected> {
    match err {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
            other.0.downcast_ref::<Rejected>()
        }
        _ => None,
    }
}

/// `error`, the verifier's refusal of `chain` for `server_name`, with the
/// facts that explain it. Errors that are not about the certificate pass
/// as they are.
pub(crate) fn explain(
    error: rustls::Error,
    chain: &Chain<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> rustls::Error {
    let rustls::Error::InvalidCertificate(cert_error) = &error else {
        return error;
    };
    let Ok((_, leaf)) = x509_parser::parse_x509_certificate(chain.leaf) else {
        return error;
    };
    let problem = problem(cert_error, &leaf, chain, server_name).unwrap_or(Problem::Refused(error));
    reject(problem, chain.leaf, now)
}

/// The server's certificate sent after a CA's: the subject of that first
/// certificate.
pub(crate) fn wrong_order(chain: &Chain<'_>) -> Option<String> {
    let (_, first) = x509_parser::parse_x509_certificate(chain.leaf).ok()?;
    let server_later = chain
        .intermediates
        .iter()
        .any(|der| x509_parser::parse_x509_certificate(der).is_ok_and(|(_, cert)| !cert.is_ca()));
    (first.is_ca() && server_later).then(|| first.subject().to_string())
}

/// A refusal of the handshake's signature by the server's key `cert`: a
/// key too small says so.
pub(crate) fn explain_signature(
    error: rustls::Error,
    cert: &CertificateDer<'_>,
    now: UnixTime,
) -> rustls::Error {
    if !matches!(
        error,
        rustls::Error::InvalidCertificate(CertificateError::BadSignature)
    ) {
        return error;
    }
    match x509_parser::parse_x509_certificate(cert)
        .ok()
        .and_then(|(_, leaf)| small_rsa_key(&leaf))
    {
        Some(bits) => reject(
            Problem::SmallKey {
                whose: Whose::Server,
                bits,
            },
            cert,
            now,
        ),
        None => error,
    }
}

/// `problem` as the rustls error that carries it.
pub(crate) fn reject(problem: Problem, leaf: &CertificateDer<'_>, now: UnixTime) -> rustls::Error {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now.as_secs());
    let rejected = Rejected {
        problem,
        expiry: cert_info(leaf, now),
    };
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(rejected))))
}

/// What the facts of the chain add to rustls' verdict, if anything.
fn problem(
    error: &CertificateError,
    leaf: &X509Certificate<'_>,
    chain: &Chain<'_>,
    server_name: &ServerName<'_>,
) -> Option<Problem> {
    match error {
        CertificateError::UnknownIssuer => Some(unknown_issuer(leaf, chain)),
        CertificateError::Other(other)
            if matches!(
                other.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            ) && self_issued(leaf) =>
        {
            Some(unknown_issuer(leaf, chain))
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            Some(Problem::NameMismatch {
                host: server_name.to_str().into_owned(),
                names: names(leaf),
            })
        }
        CertificateError::BadSignature => small_ca_key(leaf, chain),
        CertificateError::UnsupportedSignatureAlgorithmContext {
            signature_algorithm_id,
            ..
        }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
            signature_algorithm_id,
            ..
        } => Some(Problem::Signature {
            whose: signed_with(signature_algorithm_id, leaf, chain),
            algorithm: signature_algorithm_id.clone(),
        }),
        _ => None,
    }
}

fn unknown_issuer(leaf: &X509Certificate<'_>, chain: &Chain<'_>) -> Problem {
    let last = chain
        .intermediates
        .last()
        .and_then(|der| x509_parser::parse_x509_certificate(der).ok());
    let self_signed = if self_issued(leaf) {
        SelfSigned::Leaf
    } else if let Some((_, root)) = last.filter(|(_, cert)| self_issued(cert)) {
        SelfSigned::Root(root.subject().to_string())
    } else {
        SelfSigned::No
    };
    Problem::UnknownIssuer {
        self_signed,
        cacert: !chain.cacert.is_empty(),
    }
}

fn self_issued(cert: &X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw()
}

/// The DNS names and IP addresses of the certificate's subjectAltName;
/// None without one.
fn names(cert: &X509Certificate<'_>) -> Option<Vec<String>> {
    let san = cert.subject_alternative_name().ok()??;
    Some(
        san.value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some((*dns).to_string()),
                GeneralName::IPAddress(ip) => ip_text(ip),
                _ => None,
            })
            .collect(),
    )
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(std::net::Ipv4Addr::from(v4).to_string());
    }
    let v6 = <[u8; 16]>::try_from(bytes).ok()?;
    Some(std::net::Ipv6Addr::from(v6).to_string())
}

/// The RSA key size of `cert`, if it is under the minimum.
fn small_rsa_key(cert: &X509Certificate<'_>) -> Option<usize> {
    match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) if rsa.key_size() < MIN_RSA_BITS => Some(rsa.key_size()),
        _ => None,
    }
}

/// A CA that issued a certificate of the chain (one the server sent, or a
/// `--cacert` one) with an RSA key too small to check its signature.
fn small_ca_key(leaf: &X509Certificate<'_>, chain: &Chain<'_>) -> Option<Problem> {
    let sent: Vec<X509Certificate<'_>> = chain
        .intermediates
        .iter()
        .filter_map(|der| Some(x509_parser::parse_x509_certificate(der).ok()?.1))
        .collect();
    let issuers: Vec<&[u8]> = std::iter::once(leaf)
        .chain(&sent)
        .map(|cert| cert.issuer().as_raw())
        .collect();
    let trusted = chain
        .cacert
        .iter()
        .filter_map(|der| Some(x509_parser::parse_x509_certificate(der).ok()?.1));
    sent.iter()
        .cloned()
        .chain(trusted)
        .filter(|ca| issuers.contains(&ca.subject().as_raw()))
        .find_map(|ca| {
            small_rsa_key(&ca).map(|bits| Problem::SmallKey {
                whose: Whose::Ca(ca.subject().to_string()),
                bits,
            })
        })
}

/// Whose certificate is signed with the algorithm `id`.
fn signed_with(id: &[u8], leaf: &X509Certificate<'_>, chain: &Chain<'_>) -> Whose {
    let oid = oid_bytes(id);
    let uses = |cert: &X509Certificate<'_>| cert.signature_algorithm.algorithm.as_bytes() == oid;
    if uses(leaf) {
        return Whose::Server;
    }
    chain
        .intermediates
        .iter()
        .filter_map(|der| x509_parser::parse_x509_certificate(der).ok())
        .find(|(_, cert)| uses(cert))
        .map_or(Whose::Server, |(_, cert)| {
            Whose::Ca(cert.subject().to_string())
        })
}

/// The OID's bytes in a DER AlgorithmIdentifier's contents (tag 6, length,
/// value, then any parameters).
fn oid_bytes(id: &[u8]) -> &[u8] {
    match id {
        [6, len, rest @ ..] => rest.get(..usize::from(*len)).unwrap_or_default(),
        _ => &[],
    }
}

/// Signature algorithms by OID: the hash's name, the algorithm's, and
/// whether the hash is broken (collisions can be made).
const ALGORITHMS: &[(&[u8], &str, &str, bool)] = &[
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05],
        "SHA-1",
        "sha1WithRSAEncryption",
        true,
    ),
    (
        &[0x2b, 0x0e, 0x03, 0x02, 0x1d],
        "SHA-1",
        "sha1WithRSASignature",
        true,
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01],
        "SHA-1",
        "ecdsa-with-SHA1",
        true,
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03],
        "SHA-1",
        "dsa-with-sha1",
        true,
    ),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04],
        "MD5",
        "md5WithRSAEncryption",
        true,
    ),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x02],
        "MD2",
        "md2WithRSAEncryption",
        true,
    ),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0e],
        "SHA-224",
        "sha224WithRSAEncryption",
        false,
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01],
        "SHA-224",
        "ecdsa-with-SHA224",
        false,
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04],
        "SHA-512",
        "ecdsa-with-SHA512",
        false,
    ),
];

/// "the server's certificate" or "the CA certificate CN=...".
fn whose_text(whose: &Whose) -> String {
    match whose {
        Whose::Server => "the server's certificate".to_string(),
        Whose::Ca(subject) => format!("the CA certificate \"{}\"", escape_control(subject)),
    }
}

fn signature_text(whose: &Whose, id: &[u8]) -> String {
    let oid = oid_bytes(id);
    let whose = whose_text(whose);
    match ALGORITHMS.iter().find(|(bytes, ..)| *bytes == oid) {
        Some((_, hash, name, true)) => format!(
            "{whose} is signed with {hash} ({name}), which is no longer accepted: \
             {hash} is broken"
        ),
        Some((_, hash, name, false)) => {
            format!("{whose} is signed with {hash} ({name}), which urlcheck does not support")
        }
        None => format!(
            "{whose} is signed with an algorithm urlcheck does not support (OID {})",
            dotted(oid)
        ),
    }
}

/// An OID's bytes as dotted decimals.
fn dotted(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for byte in oid {
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            arcs.push(value);
            value = 0;
        }
    }
    let Some((&first, rest)) = arcs.split_first() else {
        return "?".to_string();
    };
    let (a, b) = if first < 80 {
        (first / 40, first % 40)
    } else {
        (2, first - 80)
    };
    std::iter::once(a)
        .chain(std::iter::once(b))
        .chain(rest.iter().copied())
        .map(|arc| arc.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

fn name_text(host: &str, names: Option<&[String]>) -> String {
    let host = escape_control(host);
    let Some(names) = names.filter(|names| !names.is_empty()) else {
        return format!(
            "certificate is not valid for {host}: it has no subjectAltName, and a name in its \
             subject (Common Name) alone is not accepted, as in browsers"
        );
    };
    let mut shown = names
        .iter()
        .take(NAMES_SHOWN)
        .map(|name| escape_control(name).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > NAMES_SHOWN {
        shown.push_str(&format!(" and {} more", names.len() - NAMES_SHOWN));
    }
    format!("certificate is not valid for {host}: it covers {shown}")
}

fn unknown_issuer_text(self_signed: &SelfSigned, cacert: bool) -> String {
    let trusted = if cacert {
        "neither the system nor the --cacert file trusts it"
    } else {
        "no trusted authority vouches for it (trust it with --cacert FILE, or skip checks with -k)"
    };
    match self_signed {
        SelfSigned::Leaf => format!("certificate is self-signed, and {trusted}"),
        SelfSigned::Root(subject) => format!(
            "certificate chain ends in a self-signed certificate, \"{}\", and {trusted}",
            escape_control(subject)
        ),
        SelfSigned::No if cacert => "certificate issued by an unknown authority, neither the \
            system's nor the --cacert file's (the server may not send its intermediate \
            certificates)"
            .to_string(),
        SelfSigned::No => "certificate issued by an unknown authority (the server may not send \
            its intermediate certificates; or trust its CA with --cacert FILE, or skip checks \
            with -k)"
            .to_string(),
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match &self.problem {
            Problem::Refused(error) => tls_words::describe(error),
            Problem::WrongOrder { first } => format!(
                "the server sends its certificates in the wrong order: the first, \"{}\", is a \
                 CA certificate, and the server's own comes after it",
                escape_control(first)
            ),
            Problem::UnknownIssuer {
                self_signed,
                cacert,
            } => unknown_issuer_text(self_signed, *cacert),
            Problem::NameMismatch { host, names } => name_text(host, names.as_deref()),
            Problem::SmallKey { whose, bits } => format!(
                "{} has a {bits}-bit RSA key, too small to be safe: urlcheck accepts \
                 {MIN_RSA_BITS} bits or more",
                whose_text(whose)
            ),
            Problem::Signature { whose, algorithm } => signature_text(whose, algorithm),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for Rejected {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_ids_are_named() {
        let sha1 = [6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 5, 5, 0];
        assert_eq!(
            signature_text(&Whose::Server, &sha1),
            "the server's certificate is signed with SHA-1 (sha1WithRSAEncryption), which is \
             no longer accepted: SHA-1 is broken"
        );
        let unknown = [6, 3, 0x2a, 0x03, 0x04];
        assert_eq!(
            signature_text(&Whose::Ca("CN=x".into()), &unknown),
            "the CA certificate \"CN=x\" is signed with an algorithm urlcheck does not support \
             (OID 1.2.3.4)"
        );
        assert_eq!(oid_bytes(&[6, 200, 1]), &[] as &[u8]);
        assert_eq!(dotted(&[0x2a, 0x86, 0x48]), "1.2.840");
    }

    #[test]
    fn names_are_listed_up_to_a_few() {
        let names: Vec<String> = (1..=7).map(|i| format!("h{i}.test")).collect();
        assert_eq!(
            name_text("a.test", Some(&names)),
            "certificate is not valid for a.test: it covers h1.test, h2.test, h3.test, \
             h4.test, h5.test and 2 more"
        );
        assert!(name_text("a.test", None).contains("it has no subjectAltName"));
        assert_eq!(ip_text(&[127, 0, 0, 1]).as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn the_hint_to_use_cacert_goes_when_it_was_given() {
        let without = unknown_issuer_text(&SelfSigned::Leaf, false);
        assert!(without.contains("self-signed") && without.contains("--cacert FILE"));
        let with = unknown_issuer_text(&SelfSigned::Leaf, true);
        assert_eq!(
            with,
            "certificate is self-signed, and neither the system nor the --cacert file trusts it"
        );
        assert!(!unknown_issuer_text(&SelfSigned::No, true).contains("--cacert FILE"));
    }
}
