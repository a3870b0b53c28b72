//! The HTTP clients: one per lane (see `run/lanes.rs`), shared by the
//! lane's checks, so connections are reused.
//!
//! Idle keep-alive connections are kept per host with no cap across hosts,
//! so their lifetime is what bounds them: with reqwest's default of 90 s, a
//! long list over many hosts piles up idle sockets until connects fail with
//! "Too many open files". Kept for `IDLE_TIMEOUT`, a connection still
//! serves the next check of its host in a list, and a check that finds no
//! file left waits for idle ones to close (see `fetch.rs`).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use reqwest::header::{ACCEPT_ENCODING, HeaderMap, HeaderValue};
use reqwest::{Client, ClientBuilder, NoProxy, Proxy};

use super::phases::{ConnectLog, TimeConnects, TimedResolver};
use super::tls;
use crate::config::{ClientSettings, Config, HttpVersions, Proxies};

/// The HTTP/2 connection window: as large as the protocol allows. What may
/// wait unread is bounded by each stream's own window (2 MiB) and by the
/// body cap, at which a stream is reset; a connection window smaller than
/// the bodies of all the streams in flight stalls servers that wait for it
/// (lighttpd 1.4; see benches/lab-before.md). curl, too, opens a huge one.
const H2_CONNECTION_WINDOW: u32 = (1 << 31) - 1;

/// What `--compressed` asks for: every encoding the body reader decodes.
pub(crate) const ACCEPTED_ENCODINGS: &str = "gzip, deflate, br, zstd";

/// How long an idle connection is kept for the next check of its host.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(1);

/// Which lane a worker runs on: given to each worker by the pool, which
/// spawned it there, and passed with every check, so that a check uses its
/// own lane's client and no other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LaneId(usize);

impl LaneId {
    /// Lane `index`: only the pool, which runs the worker there, says so.
    pub(crate) fn new(index: usize) -> Self {
        LaneId(index)
    }
}

/// The clients of each lane: one per way of connecting (`Config::clients`),
/// each built the first time its lane needs it (those of the first lane up
/// front, so that a setting one refuses is an error before any check). A
/// client is only used on its lane's thread.
pub(crate) struct Clients {
    config: Config,
    /// By lane, then by `CheckSpec::client`.
    lanes: Box<[Box<[OnceLock<Lane>]>]>,
}

/// A lane's client, and the times of the connections it made.
pub(crate) struct Lane {
    pub(crate) client: Client,
    pub(crate) connects: Arc<ConnectLog>,
}

impl Clients {
    pub(crate) fn new(config: &Config, lanes: usize) -> anyhow::Result<Self> {
        let lanes: Box<[Box<[OnceLock<Lane>]>]> = (0..lanes.max(1))
            .map(|_| config.clients.iter().map(|_| OnceLock::new()).collect())
            .collect();
        for (client, settings) in lanes[0].iter().zip(&config.clients) {
            let _ = client.set(build(config, settings)?);
        }
        Ok(Clients {
            config: config.clone(),
            lanes,
        })
    }

    /// Client `client` of lane `lane`.
    pub(crate) fn of(&self, lane: LaneId, client: usize) -> anyhow::Result<&Lane> {
        let slot = &self.lanes[lane.0 % self.lanes.len()][client];
        if let Some(built) = slot.get() {
            return Ok(built);
        }
        let built = build(&self.config, &self.config.clients[client])?;
        Ok(slot.get_or_init(|| built))
    }
}

/// A client of its own for the feeder, which reads sitemaps: the run's
/// TLS, proxy and HTTP settings, on the feeder's runtime.
pub(crate) fn source_client(config: &Config) -> anyhow::Result<Client> {
    Ok(build(config, &config.clients[0])?.client)
}

/// A client for the checks that connect as `settings` says.
fn build(config: &Config, settings: &ClientSettings) -> anyhow::Result<Lane> {
    let connects = Arc::new(ConnectLog::default());
    let mut builder = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.run.connect_timeout())
        .user_agent(config.run.user_agent().clone())
        .tls_backend_preconfigured(tls::client_config(settings)?)
        .tls_info(true)
        .dns_resolver(TimedResolver)
        .connector_layer(TimeConnects(Arc::clone(&connects)))
        .pool_max_idle_per_host(config.workers)
        .pool_idle_timeout(IDLE_TIMEOUT);
    builder = match settings.http {
        HttpVersions::Negotiate => builder,
        HttpVersions::Http1Only => builder.http1_only(),
        HttpVersions::Http2PriorKnowledge => builder.http2_prior_knowledge(),
    };
    if config.run.compressed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_static(ACCEPTED_ENCODINGS),
        );
        builder = builder.default_headers(headers);
    }
    builder = with_proxies(builder, &settings.proxies)?;
    builder = builder.http2_initial_connection_window_size(H2_CONNECTION_WINDOW);
    let client = builder.build().context("cannot set up the HTTP client")?;
    Ok(Lane { client, connects })
}

/// The proxies as resolved from the flags and the environment, and no
/// others: reqwest's own reading of the environment would skip a value it
/// cannot parse.
fn with_proxies(builder: ClientBuilder, proxies: &Proxies) -> anyhow::Result<ClientBuilder> {
    let mut builder = builder.no_proxy();
    let no_proxy = || proxies.no_proxy.as_deref().and_then(NoProxy::from_string);
    if let Some(http) = &proxies.http {
        let proxy = Proxy::http(http.url.as_str())
            .with_context(|| format!("{}: cannot use this proxy", http.from))?;
        builder = builder.proxy(proxy.no_proxy(no_proxy()));
    }
    if let Some(https) = &proxies.https {
        let proxy = Proxy::https(https.url.as_str())
            .with_context(|| format!("{}: cannot use this proxy", https.from))?;
        builder = builder.proxy(proxy.no_proxy(no_proxy()));
    }
    Ok(builder)
}
