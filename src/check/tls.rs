//! The TLS client configuration, built here rather than by reqwest so that
//! the handshake can be timed (see `phases.rs`): the certificate verifier
//! (`verify.rs`: the platform's trust store plus `--cacert`, or none with
//! `--insecure`); the client
//! certificate; ALPN for the HTTP versions allowed; session resumption as
//! rustls does it by default (256 server names), through a store that marks
//! when each handshake starts; and a key log that never keeps a secret but
//! tells which TLS version a handshake agreed.

use std::sync::Arc;

use anyhow::Context;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Resumption, Tls12ClientSessionValue,
    Tls13ClientSessionValue,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, KeyLog, NamedGroup};

use super::phases;
use super::verify::{AcceptAnyCertificate, TrustStore};
use crate::config::{ClientSettings, HttpVersions, client_cert};

/// Server names whose sessions are kept for resumption (rustls' default).
const SESSIONS_KEPT: usize = 256;

/// The rustls configuration for checks that connect as `settings` says.
pub(crate) fn client_config(settings: &ClientSettings) -> anyhow::Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?
        .dangerous();
    let verifier: Arc<dyn ServerCertVerifier> = if settings.insecure {
        Arc::new(AcceptAnyCertificate(Arc::clone(&provider)))
    } else {
        Arc::new(TrustStore::new(cacerts(settings)?, provider))
    };
    let builder = builder.with_custom_certificate_verifier(verifier);
    let mut tls = match &settings.client_cert {
        None => builder.with_no_client_auth(),
        Some(cert) => {
            let (certs, key) = client_cert::parse(&cert.pem)
                .map_err(|e| anyhow::anyhow!("the --cert and --key files: {e}"))?;
            builder
                .with_client_auth_cert(certs, key)
                .context("the --cert and --key files cannot be used as a client certificate")?
        }
    };
    tls.alpn_protocols = match settings.http {
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
fn cacerts(settings: &ClientSettings) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let Some(cacert) = &settings.cacert else {
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
