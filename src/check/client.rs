//! The one HTTP client every check shares, so connections are reused.
//!
//! Idle keep-alive connections are kept per host with no cap across hosts,
//! so their lifetime is what bounds them: with reqwest's default of 90 s, a
//! long list over many hosts piled up idle sockets until connects failed
//! with "Too many open files" (5,000 hosts under `ulimit -n 300`: 4,711
//! failed). Kept for `IDLE_TIMEOUT`, a connection still serves the next
//! check of its host in a list, and a check that finds no file left waits
//! for idle ones to close (see `fetch.rs`).

use std::time::Duration;

use anyhow::Context;
use reqwest::{Certificate, Client};

use crate::config::Config;

/// How long an idle connection is kept for the next check of its host.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(1);

pub(crate) fn build(config: &Config) -> anyhow::Result<Client> {
    // reqwest is built without a bundled crypto provider; install ring.
    // An error only means one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .user_agent(config.user_agent.clone())
        .tls_danger_accept_invalid_certs(config.insecure)
        .tls_info(true)
        .pool_max_idle_per_host(config.workers)
        .pool_idle_timeout(IDLE_TIMEOUT);
    if let Some(cacert) = &config.cacert {
        let path = cacert.path.display();
        let certs = Certificate::from_pem_bundle(&cacert.pem)
            .with_context(|| format!("--cacert file {path} is not a PEM certificate bundle"))?;
        if certs.is_empty() {
            anyhow::bail!("--cacert file {path} has no PEM certificates");
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().context("cannot set up the HTTP client")
}
