//! The TLS client configuration, built here rather than by reqwest so that
//! the handshake can be timed (see `phases.rs`): the platform's trust store
//! (plus `--cacert`), or no verification with `--insecure`; the client
//! certificate; ALPN for the HTTP versions allowed; session resumption as
//! rustls does it by default (256 server names), through a store that marks
//! when each handshake starts; and a key log that never keeps a secret but
//! tells which TLS version a handshake agreed.

use std::sync::{Arc, OnceLock};

use anyhow::Context;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Resumption, Tls12ClientSessionValue,
    Tls13ClientSessionValue,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, KeyLog, NamedGroup, SignatureScheme};

use super::phases;
use crate::config::{Config, HttpVersions, client_cert};

/// Server names whose sessions are kept for resumption (rustls' default).
const SESSIONS_KEPT: usize = 256;

/// The rustls configuration for `config`'s checks.
pub(crate) fn client_config(config: &Config) -> anyhow::Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?
        .dangerous();
    let verifier: Arc<dyn ServerCertVerifier> = if config.insecure {
        Arc::new(AcceptAnyCertificate(Arc::clone(&provider)))
    } else {
        Arc::new(TrustStore {
            extra: cacerts(config)?,
            provider,
            verifier: OnceLock::new(),
        })
    };
    let builder = builder.with_custom_certificate_verifier(verifier);
    let mut tls = match &config.client_cert {
        None => builder.with_no_client_auth(),
        Some(cert) => {
            let (certs, key) = client_cert::parse(&cert.pem)
                .map_err(|e| anyhow::anyhow!("the --cert and --key files: {e}"))?;
            builder
                .with_client_auth_cert(certs, key)
                .context("the --cert and --key files cannot be used as a client certificate")?
        }
    };
    tls.alpn_protocols = match config.http {
        HttpVersions::Negotiate => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        HttpVersions::Http1Only => vec![b"http/1.1".to_vec()],
        HttpVersions::Http2PriorKnowledge => vec![b"h2".to_vec()],
    };
    tls.resumption = Resumption::store(Arc::new(TimedSessions(ClientSessionMemoryCache::new(
        SESSIONS_KEPT,
    ))));
    tls.key_log = Arc::new(VersionLog);
    Ok(tls)
}

/// The `--cacert` certificates, read now: a file that is not PEM is an error
/// before any check.
fn cacerts(config: &Config) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let Some(cacert) = &config.cacert else {
        return Ok(Vec::new());
    };
    let path = cacert.path.display();
    let certs = CertificateDer::pem_slice_iter(&cacert.pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("--cacert file {path} is not a PEM certificate bundle"))?;
    if certs.is_empty() {
        anyhow::bail!("--cacert file {path} has no PEM certificates");
    }
    Ok(certs)
}

/// The platform's verifier, which also trusts the `--cacert` certificates,
/// made at the first https handshake: reading the system's certificates
/// takes some 4 ms, which a list of http URLs need not spend.
#[derive(Debug)]
struct TrustStore {
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    verifier: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl TrustStore {
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
}

impl ServerCertVerifier for TrustStore {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls13_signature(message, cert, dss)
    }

    /// Asked as the ClientHello is built: the provider's algorithms, which
    /// are the platform verifier's too, without loading any certificate.
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `--insecure`: any certificate is accepted. The handshake's signatures
/// are still checked with the provider's algorithms, which costs nothing
/// and keeps a broken server from passing.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

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
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// rustls' in-memory session store. rustls reads it as it builds the
/// ClientHello, which is the moment the TCP connection is up and the TLS
/// handshake starts.
#[derive(Debug)]
struct TimedSessions(ClientSessionMemoryCache);

impl ClientSessionStore for TimedSessions {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.0.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        phases::tls_started();
        self.0.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.0.set_tls12_session(server_name, value);
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        phases::tls_started();
        self.0.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.0.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        self.0.insert_tls13_ticket(server_name, value);
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        phases::tls_started();
        self.0.take_tls13_ticket(server_name)
    }
}

/// Tells which TLS version a handshake agreed, from which secrets rustls
/// derives: TLS 1.3 asks whether to log its traffic secrets (the answer is
/// no, so they are never passed), TLS 1.2 logs its master secret as
/// `CLIENT_RANDOM`, which is dropped unread.
#[derive(Debug)]
struct VersionLog;

impl KeyLog for VersionLog {
    fn will_log(&self, label: &str) -> bool {
        if label != "CLIENT_RANDOM" {
            phases::tls_version("TLSv1.3");
        }
        false
    }

    fn log(&self, label: &str, _client_random: &[u8], _secret: &[u8]) {
        if label == "CLIENT_RANDOM" {
            phases::tls_version("TLSv1.2");
        }
    }
}
