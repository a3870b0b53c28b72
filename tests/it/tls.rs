//! TLS: certificates made here with rcgen, served on loopback with
//! tokio-rustls; `--cacert`, `-k` and the messages for bad certificates.

use std::sync::Arc;

use crate::support::{TestServer, run};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, date_time_ymd,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer, pki_types::PrivatePkcs8KeyDer};

struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    dir: tempfile::TempDir,
}

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "urlcheck test CA");
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca {
            issuer,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The CA certificate as a PEM file, for `--cacert`.
    fn pem_file(&self) -> String {
        let path = self.dir.path().join("ca.pem");
        std::fs::write(&path, self.issuer.pem()).unwrap();
        path.to_str().unwrap().to_string()
    }

    /// A server whose leaf certificate names `names` and ends in `expires_year`.
    fn server(&self, names: &[&str], expires_year: i32) -> TestServer {
        self.server_until(names, date_time_ymd(expires_year, 1, 1))
    }

    fn server_until(&self, names: &[&str], not_after: time::OffsetDateTime) -> TestServer {
        self.server_serving(names, not_after, Serving::default())
    }

    fn server_serving(
        &self,
        names: &[&str],
        not_after: time::OffsetDateTime,
        serving: Serving,
    ) -> TestServer {
        let mut params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = not_after;
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        serve_tls_with(cert.der().clone(), key, serving)
    }
}

fn serve_tls(cert: rustls::pki_types::CertificateDer<'static>, key: KeyPair) -> TestServer {
    serve_tls_with(cert, key, Serving::default())
}

/// How a TLS test server deviates from the plain one.
#[derive(Default, Clone, Copy)]
struct Serving {
    /// Wait this long after the ClientHello arrives before answering it:
    /// anchored to the client's first TLS bytes, not to the accept, so that
    /// a busy machine cannot shorten what the client sees.
    handshake_after: std::time::Duration,
    tls12_only: bool,
}

fn serve_tls_with(
    cert: rustls::pki_types::CertificateDer<'static>,
    key: KeyPair,
    serving: Serving,
) -> TestServer {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let builder = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ));
    let builder = if serving.tls12_only {
        builder.with_protocol_versions(&[&rustls::version::TLS12])
    } else {
        builder.with_safe_default_protocol_versions()
    };
    let config = builder
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    TestServer::raw(move |socket| {
        let acceptor = acceptor.clone();
        async move {
            if !serving.handshake_after.is_zero() {
                let mut first = [0u8; 1];
                let _ = socket.peek(&mut first).await;
                tokio::time::sleep(serving.handshake_after).await;
            }
            let Ok(mut tls) = acceptor.accept(socket).await else {
                return;
            };
            let mut buf = [0u8; 4096];
            let _ = tls.read(&mut buf).await;
            let _ = tls
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .await;
            let _ = tls.shutdown().await;
        }
    })
}

fn https(server: &TestServer) -> String {
    format!("https://{}/", server.addr)
}

#[test]
fn a_certificate_from_a_ca_passed_with_cacert_is_trusted() {
    let ca = Ca::new();
    let server = ca.server(&["127.0.0.1"], 2999);
    let url = https(&server);
    let out = run(&["-f", "jsonl", "--cacert", &ca.pem_file(), &url], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.record(&url)["status"], 200);

    let out = run(&["-f", "jsonl", &url], None);
    assert_eq!(out.code, Some(1));
    let record = out.record(&url);
    assert_eq!(record["error_kind"], "tls");
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .contains("unknown authority"),
        "{record}"
    );
}

#[test]
fn certificate_expiry_is_reported_and_can_be_required() {
    let ca = Ca::new();
    let in_five_days = time::OffsetDateTime::now_utc() + time::Duration::hours(5 * 24 + 12);
    let soon = ca.server_until(&["127.0.0.1"], in_five_days);
    let later = ca.server(&["127.0.0.1"], 2999);
    let plain = TestServer::http();
    let cacert = ca.pem_file();
    let (soon, later, plain) = (https(&soon), https(&later), plain.url("/ok"));
    let out = run(
        &["-f", "jsonl", "--cacert", &cacert, &soon, &later, &plain],
        None,
    );
    assert_eq!(out.code, Some(0), "expiry alone fails nothing: {out:?}");
    let record = out.record(&soon);
    assert_eq!(record["cert_days_left"], 5);
    let not_after = record["cert_not_after"].as_str().unwrap();
    assert!(
        not_after.ends_with('Z') && not_after.len() == 20,
        "{not_after}"
    );
    assert!(out.record(&later)["cert_days_left"].as_i64().unwrap() > 300_000);
    assert!(out.record(&plain)["cert_days_left"].is_null());

    let out = run(
        &[
            "-f",
            "jsonl",
            "--cacert",
            &cacert,
            "--min-cert-days",
            "14",
            &soon,
            &later,
            &plain,
        ],
        None,
    );
    assert_eq!(out.code, Some(1));
    let record = out.record(&soon);
    assert_eq!(record["error_kind"], "certificate");
    assert_eq!(
        record["error"],
        format!("certificate expires in 5 days ({not_after}), under the 14-day minimum")
    );
    assert_eq!(out.record(&later)["ok"], true);
    assert_eq!(
        out.record(&plain)["ok"],
        true,
        "plain http has no certificate to judge"
    );
}

#[test]
fn expired_and_wrong_name_certificates_fail_with_clear_messages() {
    let ca = Ca::new();
    let expired = ca.server(&["127.0.0.1"], 2021);
    let wrong_name = ca.server(&["other.test"], 2999);
    let cacert = ca.pem_file();
    let out = run(
        &[
            "-f",
            "jsonl",
            "--cacert",
            &cacert,
            &https(&expired),
            &https(&wrong_name),
        ],
        None,
    );
    assert_eq!(out.code, Some(1));
    let record = out.record(&https(&expired));
    assert_eq!(record["error_kind"], "tls");
    assert_eq!(record["error"], "certificate expired");
    let record = out.record(&https(&wrong_name));
    assert_eq!(record["error_kind"], "tls");
    assert_eq!(
        record["error"],
        "certificate is not valid for this host name"
    );
}

#[test]
fn insecure_accepts_a_self_signed_certificate_and_says_so() {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let server = serve_tls(cert.der().clone(), key);
    let url = https(&server);
    let out = run(&["-f", "jsonl", &url], None);
    assert_eq!(out.record(&url)["error_kind"], "tls");
    let out = run(&["-f", "jsonl", "-k", &url], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr.contains("certificates are not verified"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_cacert_file_that_is_not_pem_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, "not a certificate").unwrap();
    let out = run(
        &["--cacert", path.to_str().unwrap(), "https://127.0.0.1/"],
        None,
    );
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("ca.pem"), "{}", out.stderr);
}

#[test]
fn a_slow_handshake_shows_in_tls_and_the_version_is_named() {
    let ca = Ca::new();
    let hold = std::time::Duration::from_millis(300);
    let slow = ca.server_serving(
        &["127.0.0.1"],
        date_time_ymd(2999, 1, 1),
        Serving {
            handshake_after: hold,
            ..Serving::default()
        },
    );
    let tls12 = ca.server_serving(
        &["localhost"],
        date_time_ymd(2999, 1, 1),
        Serving {
            tls12_only: true,
            ..Serving::default()
        },
    );
    let slow_url = https(&slow);
    let tls12_url = format!("https://localhost:{}/", tls12.addr.port());
    let out = run(
        &[
            "-f",
            "jsonl",
            "--cacert",
            &ca.pem_file(),
            &slow_url,
            &tls12_url,
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let ms = |r: &serde_json::Value, f: &str| r[f].as_f64().unwrap_or_else(|| panic!("{f}: {r}"));
    let record = out.record(&slow_url);
    assert!(ms(&record, "tls_ms") >= 300.0, "{record}");
    assert!(ms(&record, "connect_ms") < 300.0, "{record}");
    assert!(ms(&record, "ttfb_ms") < 300.0, "{record}");
    assert!(record["dns_ms"].is_null(), "{record}");
    assert_eq!(record["tls_version"], "TLSv1.3");
    let record = out.record(&tls12_url);
    assert_eq!(record["tls_version"], "TLSv1.2", "{record}");
    assert!(
        ms(&record, "dns_ms") >= 0.0 && ms(&record, "tls_ms") > 0.0,
        "{record}"
    );
}
