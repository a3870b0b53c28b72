//! Shared by the integration tests: servers started in-process on
//! 127.0.0.1:0, and a runner for the real `urlcheck` binary with a clean
//! environment.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

/// What the server saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    /// When it arrived, from the server's start.
    pub at: Duration,
}

pub struct Counters {
    pub started: Instant,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub requests: AtomicUsize,
    pub seen: Mutex<Vec<Seen>>,
    /// Requests per path and query: `hits` in constant time, so that a
    /// test of tens of thousands of requests does not scan them all each.
    pub by_uri: Mutex<std::collections::HashMap<String, usize>>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            started: Instant::now(),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
            by_uri: Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl Counters {
    /// Requests seen so far for exactly this path and query.
    pub fn hits(&self, uri: &str) -> usize {
        self.by_uri.lock().unwrap().get(uri).copied().unwrap_or(0)
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A server on its own runtime; stopped when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    runtime: Option<Runtime>,
}

impl TestServer {
    /// The ordinary endpoints (see `respond`).
    pub fn http() -> Self {
        Self::http_on("127.0.0.1")
    }

    pub fn http_on(ip: &str) -> Self {
        let runtime = Runtime::new().unwrap();
        let counters = Arc::new(Counters::default());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind((ip, 0)))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&counters));
        runtime.spawn(async move { axum::serve(listener, app).await });
        TestServer {
            addr,
            counters,
            runtime: Some(runtime),
        }
    }

    /// A raw TCP server: `serve` gets every accepted connection.
    pub fn raw<F, Fut>(serve: F) -> Self
    where
        F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self::raw_on("127.0.0.1", serve)
    }

    /// A raw TCP server on the loopback address `ip`.
    pub fn raw_on<F, Fut>(ip: &str, serve: F) -> Self
    where
        F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let runtime = Runtime::new().unwrap();
        let counters = Arc::new(Counters::default());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind((ip, 0)))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::clone(&counters);
        runtime.spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                seen.requests.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(socket));
            }
        });
        TestServer {
            addr,
            counters,
            runtime: Some(runtime),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A loopback URL on which nothing listens (connection refused).
pub fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/")
}

async fn handle(State(counters): State<Arc<Counters>>, request: Request) -> Response {
    let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
    counters.requests.fetch_add(1, Ordering::SeqCst);
    counters.seen.lock().unwrap().push(Seen {
        method: request.method().to_string(),
        path: request.uri().to_string(),
        headers: request.headers().clone(),
        at: counters.started.elapsed(),
    });
    let uri = request.uri().to_string();
    *counters
        .by_uri
        .lock()
        .unwrap()
        .entry(uri.clone())
        .or_default() += 1;
    let hits = counters.hits(&uri);
    let up = counters.started.elapsed();
    let response = respond(request.uri().path(), request.uri().query(), hits, up).await;
    counters.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

/// `/ok`, `/status/N`, `/redirect/N` (N hops, then 200), `/loop`,
/// `/to?URL` (redirect to URL), `/slow/MS`, `/hang`; `/flaky/N` (503 for the
/// first N hits of the URI), `/retry-after/S` (429 with Retry-After S once),
/// `/up-after/MS` (503 until the server is MS old), `/body?TEXT`, `/headers`.
/// `hits` counts this URI's requests including this one; `up` is the
/// server's age.
async fn respond(path: &str, query: Option<&str>, hits: usize, up: Duration) -> Response {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["ok"] => "ok".into_response(),
        ["status", code] => StatusCode::from_u16(code.parse().unwrap())
            .unwrap()
            .into_response(),
        ["redirect", n] => match n.parse::<u32>().unwrap() {
            0 => "arrived".into_response(),
            n => redirect(&format!("/redirect/{}", n - 1)),
        },
        ["loop"] => redirect("/loop"),
        ["to"] => redirect(query.unwrap_or("/ok")),
        ["slow", ms] => {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap())).await;
            "slow ok".into_response()
        }
        ["flaky", n] if hits <= n.parse().unwrap() => {
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        ["flaky", _] => "ok".into_response(),
        ["retry-after", secs] if hits == 1 => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, secs.to_string())],
        )
            .into_response(),
        ["retry-after", _] => "ok".into_response(),
        ["up-after", ms] if up < Duration::from_millis(ms.parse().unwrap()) => {
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        ["up-after", _] => "up".into_response(),
        ["body"] => query.unwrap_or("").replace("%20", " ").into_response(),
        ["headers"] => (
            [
                (header::CONTENT_TYPE, "text/plain"),
                (header::HeaderName::from_static("x-version"), "2.1"),
            ],
            "ok",
        )
            .into_response(),
        ["hang"] => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Body::empty().into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as JSON Lines.
    pub fn records(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
            .collect()
    }

    /// The record whose `url` is `url`.
    pub fn record(&self, url: &str) -> Value {
        let found: Vec<Value> = self
            .records()
            .into_iter()
            .filter(|r| r["url"] == url)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "exactly one record for {url} in:\n{}",
            self.stdout
        );
        found.into_iter().next().unwrap()
    }
}

/// The binary, with a clean environment: no proxies, no NO_COLOR, no TERM.
pub fn urlcheck() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_urlcheck"));
    command.env_clear().stdin(Stdio::null());
    command
}

/// Run with `args` and optional stdin text; wait for the exit.
pub fn run(args: &[&str], stdin: Option<&str>) -> Run {
    let mut command = urlcheck();
    command
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(text.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// The `line` of each record, sorted: `1..=n` when every line got one.
pub fn sorted_lines(records: &[Value]) -> Vec<u64> {
    let mut lines: Vec<u64> = records
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    lines.sort_unstable();
    lines
}

/// A file of URL lines in a temporary directory.
pub fn url_file(contents: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("urls.txt");
    std::fs::write(&path, contents).unwrap();
    let path = path.to_str().unwrap().to_string();
    (dir, path)
}
