//! `--listen`: while watching, `GET /metrics` (Prometheus), `GET /status`
//! (every URL's health, since when, and its last record, as JSON) and
//! `GET /healthz` (200 while the watcher runs); anything else is a 404.
//! HTTP/1.1 on hyper; the address is bound before any check, so a port in
//! use is an error up front.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// What the endpoints show, asked for at each request.
pub(crate) trait Pages: Send + Sync + 'static {
    /// The metrics, in OpenMetrics or else the classic text format.
    fn metrics(&self, openmetrics: bool) -> String;
    fn status(&self) -> String;
}

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const CLASSIC: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Bind `addr`; say which address could not be had, and why.
pub(crate) async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!("--listen {addr}: cannot listen there (is another process using the port?)")
    })
}

/// Serve the endpoints on `listener` until `done` is cancelled.
pub(crate) fn serve<P: Pages>(listener: TcpListener, pages: Arc<P>, done: CancellationToken) {
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                _ = done.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    // Out of files, or a connection reset before accept: the
                    // next one may do.
                    Err(_) => continue,
                },
            };
            let pages = pages.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let pages = pages.clone();
                    // Rendering thousands of series takes milliseconds: not
                    // on the thread that runs the checks.
                    async move {
                        let response =
                            tokio::task::spawn_blocking(move || respond(&*pages, &request))
                                .await
                                .unwrap_or_else(|_| unavailable());
                        Ok::<_, Infallible>(response)
                    }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                tokio::select! {
                    _ = connection => {}
                    _ = done.cancelled() => {}
                }
            });
        }
    });
}

/// What a request gets when its page could not be made.
fn unavailable() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"internal error\n")));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

fn respond<P: Pages, B>(pages: &P, request: &Request<B>) -> Response<Full<Bytes>> {
    let get = matches!(*request.method(), Method::GET | Method::HEAD);
    let (status, content_type, body) = match (get, request.uri().path()) {
        (true, "/metrics") => {
            // Prometheus asks for OpenMetrics; curl and older tools do not.
            let openmetrics = request
                .headers()
                .get(ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("application/openmetrics-text"));
            let content_type = if openmetrics { OPENMETRICS } else { CLASSIC };
            (StatusCode::OK, content_type, pages.metrics(openmetrics))
        }
        (true, "/status") => (StatusCode::OK, "application/json", pages.status()),
        (true, "/healthz") => (StatusCode::OK, "text/plain; charset=utf-8", "ok\n".into()),
        (false, "/metrics" | "/status" | "/healthz") => (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "only GET\n".into(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: try /metrics, /status or /healthz\n".into(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
