//! The server certificate verifiers: the platform's trust store plus
//! `--cacert`, which also accepts a server certificate that `--cacert`
//! trusts as itself (a self-signed certificate, as curl and OpenSSL do),
//! still checking its host name and dates; or, with `--insecure`, any
//! certificate. A refusal carries the facts that explain it (`rejected.rs`).

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use x509_parser::certificate::X509Certificate;

use super::rejected::{self, Chain, Problem};

/// The platform's verifier, which also trusts the `--cacert` certificates,
/// made at the first https handshake: reading the system's certificates
/// takes some 4 ms, which a list of http URLs need not spend.
#[derive(Debug)]
pub(crate) struct TrustStore {
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    verifier: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl TrustStore {
    /// A trust store that adds `extra` (the `--cacert` certificates) to the
    /// system's.
    pub(crate) fn new(extra: Vec<CertificateDer<'static>>, provider: Arc<CryptoProvider>) -> Self {
        TrustStore {
            extra,
            provider,
            verifier: OnceLock::new(),
        }
    }

    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.verifier
            .get_or_init(|| {
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    self.extra.iter().cloned(),
                    Arc::clone(&self.provider),
                )
                .map_err(|e| {
                    let hint = if self.extra.is_empty() {
                        "; give the CA certificates to trust with --cacert"
                    } else {
                        ""
                    };
                    rustls::Error::General(format!(
                        "cannot load the system's trusted certificates: {e}{hint}"
                    ))
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `end_entity` is one of the `--cacert` certificates.
    fn trusts_as_itself(&self, end_entity: &CertificateDer<'_>) -> bool {
        self.extra
            .iter()
            .any(|trusted| trusted.as_ref() == end_entity.as_ref())
    }
}

impl ServerCertVerifier for TrustStore {
    /// The platform's verdict. When it refuses, a server certificate that
    /// `--cacert` names itself is accepted if it is valid for the host and
    /// today, unless the chain is in the wrong order; any other refusal is
    /// explained.
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let Err(error) = verdict else {
            return verdict;
        };
        let chain = Chain {
            leaf: end_entity,
            intermediates,
            cacert: &self.extra,
        };
        if let Some(first) = rejected::wrong_order(&chain) {
            return Err(rejected::reject(
                Problem::WrongOrder { first },
                end_entity,
                now,
            ));
        }
        let error = if self.trusts_as_itself(end_entity) {
            match valid_as_itself(end_entity, server_name, now) {
                Ok(()) => return Ok(ServerCertVerified::assertion()),
                Err(error) => error,
            }
        } else {
            error
        };
        Err(rejected::explain(error, &chain, server_name, now))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?
            .verify_tls12_signature(message, cert, dss)
            .map_err(|e| rejected::explain_signature(e, cert, UnixTime::now()))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?
            .verify_tls13_signature(message, cert, dss)
            .map_err(|e| rejected::explain_signature(e, cert, UnixTime::now()))
    }

    /// Asked as the ClientHello is built: the provider's algorithms, which
    /// are the platform verifier's too, without loading any certificate.
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// What is left to check of a certificate trusted as itself: it names the
/// host, it is valid today, and it may serve TLS servers. Its signature is
/// not checked, as no trust anchor's is.
fn valid_as_itself(
    cert: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), rustls::Error> {
    rustls::client::verify_server_name(&ParsedCertificate::try_from(cert)?, server_name)?;
    let (_, parsed) = x509_parser::parse_x509_certificate(cert)
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    valid_at(&parsed, now)?;
    let purpose = parsed.extended_key_usage().ok().flatten();
    if purpose.is_some_and(|eku| !eku.value.server_auth && !eku.value.any) {
        return Err(CertificateError::InvalidPurpose.into());
    }
    Ok(())
}

/// `cert`'s validity period holds `now`.
fn valid_at(cert: &X509Certificate<'_>, now: UnixTime) -> Result<(), CertificateError> {
    let validity = cert.validity();
    let (not_before, not_after) = (
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    );
    let secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if secs < not_before {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: unix_time(not_before),
        });
    }
    if secs > not_after {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: unix_time(not_after),
        });
    }
    Ok(())
}

/// Seconds since the epoch as a `UnixTime` (a date before 1970 as 1970).
fn unix_time(secs: i64) -> UnixTime {
    let secs = u64::try_from(secs).unwrap_or(0);
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs))
}

/// `--insecure`: any certificate is accepted. The handshake's signatures
/// are still checked with the provider's algorithms, which costs nothing
/// and keeps a broken server from passing.
#[derive(Debug)]
pub(crate) struct AcceptAnyCertificate(pub(crate) Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
        .map_err(|e| rejected::explain_signature(e, cert, UnixTime::now()))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
        .map_err(|e| rejected::explain_signature(e, cert, UnixTime::now()))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(names: &[&str], ca: bool, year: i32) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        if ca {
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        }
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(year, 1, 1);
        params.self_signed(&key).unwrap().der().clone()
    }

    fn name(host: &str) -> ServerName<'static> {
        ServerName::try_from(host.to_string()).unwrap()
    }

    #[test]
    fn a_certificate_trusted_as_itself_still_needs_the_name_and_dates() {
        let now = UnixTime::now();
        let good = cert(&["a.test"], true, 2999);
        assert_eq!(valid_as_itself(&good, &name("a.test"), now), Ok(()));
        assert!(matches!(
            valid_as_itself(&good, &name("b.test"), now),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForNameContext { .. }
            ))
        ));
        let old = cert(&["a.test"], true, 2021);
        assert!(matches!(
            valid_as_itself(&old, &name("a.test"), now),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ExpiredContext { .. }
            ))
        ));
    }
}
