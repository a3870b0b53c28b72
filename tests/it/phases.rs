//! Phase timings: servers that hold back one phase (the connect, the first
//! byte, the body) show the delay in that phase's field and not in others;
//! DNS only for names, connect and TLS only on a new connection. The TLS
//! handshake's own tests are in `tls.rs`.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TestServer, run};

/// How long a server holds back; the bounds below are generous around it.
const HOLD_MS: u64 = 300;

fn ms(record: &Value, field: &str) -> f64 {
    record[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} is not a number in {record}"))
}

/// A server that answers each connection's first request after `before`,
/// sending the body `after` the headers.
fn holding(before: Duration, after: Duration) -> TestServer {
    TestServer::raw(move |mut socket| async move {
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await;
        tokio::time::sleep(before).await;
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        let _ = socket.write_all(head.as_bytes()).await;
        let _ = socket.flush().await;
        tokio::time::sleep(after).await;
        let _ = socket.write_all(b"2\r\nok\r\n0\r\n\r\n").await;
        let _ = socket.shutdown().await;
    })
}

#[test]
fn a_late_first_byte_shows_in_ttfb_and_a_slow_body_in_transfer() {
    let hold = Duration::from_millis(HOLD_MS);
    let late = holding(hold, Duration::ZERO);
    let slow_body = holding(Duration::ZERO, hold);
    let (late_url, slow_url) = (late.url("/"), slow_body.url("/"));
    let out = run(&["-f", "jsonl", &late_url, &slow_url], None);
    assert_eq!(out.code, Some(0), "{out:?}");

    let record = out.record(&late_url);
    assert!(ms(&record, "ttfb_ms") >= HOLD_MS as f64, "{record}");
    assert!(ms(&record, "connect_ms") < HOLD_MS as f64, "{record}");
    assert!(ms(&record, "transfer_ms") < HOLD_MS as f64, "{record}");
    assert!(
        record["dns_ms"].is_null(),
        "an IP literal has no DNS: {record}"
    );
    assert!(record["tls_ms"].is_null() && record["tls_version"].is_null());
    assert_eq!(record["remote_addr"], late.addr.to_string());

    let record = out.record(&slow_url);
    // The server's pause starts when it has sent the headers, a little
    // before the client has them: on a busy machine the client sees a bit
    // less than the whole pause in the body.
    let transfer = ms(&record, "transfer_ms");
    assert!(transfer >= HOLD_MS as f64 * 2.0 / 3.0, "{record}");
    assert!(ms(&record, "ttfb_ms") < transfer, "{record}");
    // Each phase is part of the whole.
    let parts = ["connect_ms", "ttfb_ms", "transfer_ms"]
        .iter()
        .map(|f| ms(&record, f))
        .sum::<f64>();
    assert!(
        parts <= record["elapsed_ms"].as_f64().unwrap() + 1.0,
        "{record}"
    );
}

#[test]
fn a_reused_connection_has_no_connect_phase_and_a_name_has_a_dns_phase() {
    let server = TestServer::http();
    let first = format!("http://localhost:{}/ok", server.addr.port());
    let second = format!("http://localhost:{}/ok?again", server.addr.port());
    // One worker: the second check finds the first one's connection idle.
    let out = run(&["-f", "jsonl", "-w", "1", &first, &second], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    let new = out.record(&first);
    let reused = out.record(&second);
    assert!(
        ms(&new, "dns_ms") >= 0.0 && ms(&new, "connect_ms") >= 0.0,
        "{new}"
    );
    assert!(reused["dns_ms"].is_null(), "{reused}");
    assert!(reused["connect_ms"].is_null(), "{reused}");
    assert!(ms(&reused, "ttfb_ms") >= 0.0, "{reused}");
    assert_eq!(new["remote_addr"], reused["remote_addr"]);
    assert_eq!(reused["remote_addr"], server.addr.to_string());

    // HEAD reads no body: no transfer phase.
    let out = run(&["-f", "jsonl", "--method", "HEAD", &first], None);
    assert!(out.record(&first)["transfer_ms"].is_null(), "{out:?}");
}

#[test]
fn a_listener_with_a_full_backlog_shows_in_connect() {
    // A listen backlog of 0 holds one connection that is never accepted;
    // the kernel drops the next SYN until the test accepts it, and the
    // client's SYN retransmission (after about a second) gets through.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        socket.listen(0).unwrap()
    });
    let addr = listener.local_addr().unwrap();
    let _queued = std::net::TcpStream::connect(addr).unwrap();
    runtime.spawn(async move {
        // Long enough that the client's first SYN surely came and was
        // dropped; its retransmission, about a second after, gets in.
        tokio::time::sleep(Duration::from_millis(HOLD_MS * 2)).await;
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                if socket.read(&mut buf).await.unwrap_or(0) > 0 {
                    let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
                    let _ = socket.write_all(ok.as_bytes()).await;
                }
            });
        }
    });
    let url = format!("http://{addr}/");
    let out = run(&["-f", "jsonl", "--connect-timeout", "20s", &url], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    let record = out.record(&url);
    assert!(ms(&record, "connect_ms") >= HOLD_MS as f64, "{record}");
    assert!(ms(&record, "ttfb_ms") < HOLD_MS as f64, "{record}");
    runtime.shutdown_background();
}

#[test]
fn verbose_human_output_shows_the_phases_and_the_summary_their_percentiles() {
    let server = TestServer::http();
    let url = server.url("/ok");
    let out = run(&["-v", "--no-progress", &url, &server.url("/ok?2")], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert!(
        lines[1].trim_start().starts_with("connect "),
        "{}",
        out.stdout
    );
    assert!(lines[1].contains(" ttfb ") && lines[1].contains(" transfer "));
    assert!(lines[1].ends_with(&format!("{} HTTP/1.1", server.addr)));
    for phase in ["phase", "connect", "ttfb", "transfer"] {
        assert!(
            out.stderr
                .lines()
                .any(|l| l.trim_start().starts_with(phase)),
            "{phase} in the summary:\n{}",
            out.stderr
        );
    }
    // Without -v: neither.
    let out = run(&["--no-progress", &url], None);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(!out.stderr.contains("p95  checks"), "{}", out.stderr);
}

/// An HTTP/2 server over TLS (ALPN `h2`, a self-signed certificate for
/// 127.0.0.1) that answers the ClientHello only `hold` after it arrives.
fn h2_with_a_slow_handshake(hold: Duration) -> TestServer {
    use std::sync::Arc;
    use tokio_rustls::rustls;
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        cert.signing_key.serialize_der(),
    ));
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    TestServer::raw(move |socket| {
        let acceptor = acceptor.clone();
        async move {
            let mut first = [0u8; 1];
            let _ = socket.peek(&mut first).await;
            tokio::time::sleep(hold).await;
            let Ok(tls) = acceptor.accept(socket).await else {
                return;
            };
            let service = hyper::service::service_fn(|_request| async {
                Ok::<_, std::convert::Infallible>(hyper::Response::new(http_body_util::Full::new(
                    bytes::Bytes::from_static(b"ok"),
                )))
            });
            let _ = hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
        }
    })
}

/// Checks that share an HTTP/2 connection made for another check waited
/// for its handshake, not for a first byte: the wait is not in their ttfb,
/// and the handshake is in the record of the check that made it, whichever
/// response comes first.
#[test]
fn a_request_that_waited_for_another_checks_handshake_has_none_in_its_ttfb() {
    let server = h2_with_a_slow_handshake(Duration::from_millis(HOLD_MS));
    let urls: Vec<String> = (0..4)
        .map(|i| format!("https://{}/?{i}", server.addr))
        .collect();
    let mut args = vec!["-f", "jsonl", "-k", "-w", "4"];
    args.extend(urls.iter().map(String::as_str));
    let out = run(&args, None);
    assert_eq!(out.code, Some(0), "{out:?}");
    let records = out.records();
    assert_eq!(records.len(), 4);
    for record in &records {
        assert_eq!(record["http_version"], "HTTP/2", "{record}");
        assert!(ms(record, "ttfb_ms") < HOLD_MS as f64, "{record}");
    }
    // The handshake is in the record of the check that made the connection.
    assert!(
        records
            .iter()
            .any(|r| r["tls_ms"].as_f64().is_some_and(|t| t >= HOLD_MS as f64)),
        "{records:?}"
    );
}

/// A `[[check]]` sets its own HTTP version: to a server that speaks only
/// HTTP/2, a check with `http1_1 = true` cannot connect while the others do.
#[test]
fn a_check_sets_its_own_http_version() {
    let server = h2_with_a_slow_handshake(Duration::ZERO);
    let h2 = format!("https://{}/?h2", server.addr);
    let h1 = format!("https://{}/?h1", server.addr);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("urlcheck.toml");
    std::fs::write(
        &config,
        format!(
            "[defaults]\ninsecure = true\n\
             [[check]]\nurl = \"{h2}\"\n\
             [[check]]\nurl = \"{h1}\"\nhttp1_1 = true\n"
        ),
    )
    .unwrap();
    let out = run(&["-f", "jsonl", "-c", config.to_str().unwrap()], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let record = out.record(&h2);
    assert_eq!(
        (&record["ok"], &record["http_version"]),
        (&true.into(), &"HTTP/2".into()),
        "{record}"
    );
    assert_eq!(out.record(&h1)["ok"], false, "{out:?}");
}
