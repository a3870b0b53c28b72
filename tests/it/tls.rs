//! TLS: certificates made here with rcgen (and, for what rcgen cannot
//! make, read from `fixtures/tls/`), served on loopback with tokio-rustls
//! (or `openssl s_server`, for cipher suites rustls does not have);
//! `--cacert`, `-k` and the messages for bad certificates, each beside
//! curl's verdict on the same server.

use std::sync::Arc;

use crate::support::{TestServer, run};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, date_time_ymd,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self};

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
    serve_chain(vec![cert], der_key(&key), serving)
}

fn der_key(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// A server that sends `chain`, in this order, and signs with `key`.
fn serve_chain(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    serving: Serving,
) -> TestServer {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // Not `with_single_cert`: it parses the certificate, and webpki reads
    // no DER longer than 64 KiB (10,000 names); nor should it check that
    // the key is the first certificate's.
    let signer = provider.key_provider.load_private_key(key).unwrap();
    let certified = rustls::sign::CertifiedKey::new(chain, signer);
    let builder = rustls::ServerConfig::builder_with_provider(provider);
    let builder = if serving.tls12_only {
        builder.with_protocol_versions(&[&rustls::version::TLS12])
    } else {
        builder.with_safe_default_protocol_versions()
    };
    let config = builder
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
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
    // curl: "SSL certificate problem: certificate has expired";
    // "SSL: no alternative certificate subject name matches target host
    // name 'localhost'".
    let ca = Ca::new();
    let expired = ca.server(&["127.0.0.1"], 2021);
    let wrong_name = ca.server(&["other.test", "www.other.test"], 2999);
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
    assert_eq!(record["cert_not_after"], "2021-01-01T00:00:00Z", "{record}");
    let days_left = record["cert_days_left"].as_i64().unwrap();
    assert!(days_left < -1800, "{record}");
    // Expired days ago, in whole days; cert_days_left is rounded down.
    assert_eq!(
        record["error"],
        format!(
            "certificate expired on 2021-01-01T00:00:00Z ({} days ago)",
            -days_left - 1
        )
    );
    let record = out.record(&https(&wrong_name));
    assert_eq!(record["error_kind"], "tls");
    assert_eq!(
        record["error"],
        "certificate is not valid for 127.0.0.1: it covers other.test, www.other.test"
    );
    assert!(
        record["cert_days_left"].as_i64().unwrap() > 300_000,
        "{record}"
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

/// A file `name` with `text` in `dir`, as a path argument.
fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// The record of `url` checked with `--cacert CACERT`, which must fail as
/// `tls`.
fn refused(url: &str, cacert: &str) -> serde_json::Value {
    let out = run(&["-f", "jsonl", "--cacert", cacert, url], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let record = out.record(url);
    assert_eq!(record["error_kind"], "tls", "{record}");
    record
}

/// A file in `fixtures/tls/` (see `generate.sh` there).
fn fixture(name: &str) -> String {
    format!("{}/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A server with the leaf certificate and key of `fixtures/tls/NAME-leaf.*`.
fn fixture_server(name: &str) -> TestServer {
    let cert = CertificateDer::from_pem_file(fixture(&format!("{name}-leaf.pem"))).unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture(&format!("{name}-leaf.key"))).unwrap();
    serve_chain(vec![cert], key, Serving::default())
}

/// What `openssl req -x509 -newkey ... -subj /CN=localhost -addext
/// subjectAltName=DNS:localhost` makes: a self-signed CA certificate.
fn openssl_style_self_signed(
    names: &[&str],
    not_after: time::OffsetDateTime,
) -> (String, TestServer) {
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = not_after;
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), serve_tls(cert.der().clone(), key))
}

#[test]
fn a_self_signed_certificate_trusted_with_cacert_passes_with_its_name_and_dates_checked() {
    // curl --cacert cert.pem: 200 (urlcheck said "invalid certificate:
    // Other(OtherError(CaUsedAsEndEntity))").
    let dir = tempfile::tempdir().unwrap();
    let (good_pem, good) = openssl_style_self_signed(&["localhost"], date_time_ymd(2999, 1, 1));
    let good_cacert = write_file(&dir, "good.pem", &good_pem);
    let url = format!("https://localhost:{}/", good.addr.port());
    let out = run(&["-f", "jsonl", "--cacert", &good_cacert, &url], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    let record = out.record(&url);
    assert_eq!(record["status"], 200);
    assert_eq!(record["cert_not_after"], "2999-01-01T00:00:00Z");
    // The same from the config file's [defaults].
    let config = write_file(
        &dir,
        "urlcheck.toml",
        &format!("[defaults]\ncacert = {good_cacert:?}\n[[check]]\nurl = \"{url}\"\n"),
    );
    let out = run(&["-f", "jsonl", "-c", &config], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    // And -k there, for a certificate nobody vouches for.
    let config = write_file(
        &dir,
        "insecure.toml",
        &format!("[defaults]\ninsecure = true\n[[check]]\nurl = \"{url}\"\n"),
    );
    let out = run(&["-f", "jsonl", "-q", "-c", &config], None);
    assert_eq!(out.code, Some(0), "{out:?}");

    // The same certificate, asked for by another name; and one expired.
    let other_name = https(&good);
    let (old_pem, old_server) =
        openssl_style_self_signed(&["127.0.0.1"], date_time_ymd(2021, 1, 1));
    let old = https(&old_server);
    let both = write_file(&dir, "both.pem", &(good_pem + &old_pem));
    let out = run(&["-f", "jsonl", "--cacert", &both, &other_name, &old], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.record(&other_name)["error"],
        "certificate is not valid for 127.0.0.1: it covers localhost"
    );
    let record = out.record(&old);
    assert_eq!(record["cert_not_after"], "2021-01-01T00:00:00Z");
    let error = record["error"].as_str().unwrap();
    assert!(
        error.starts_with("certificate expired on 2021-01-01T00:00:00Z ("),
        "{record}"
    );
}

#[test]
fn a_chain_sent_ca_first_fails_saying_it_is_in_the_wrong_order() {
    // curl: "SSL: certificate subject name 'urlcheck test CA' does not
    // match target host name".
    let ca = Ca::new();
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_after = date_time_ymd(2999, 1, 1);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = params.signed_by(&leaf_key, &ca.issuer).unwrap();
    let chain = vec![ca.issuer.der().clone(), leaf.der().clone()];
    let server = serve_chain(chain, der_key(ca.issuer.key()), Serving::default());
    let url = https(&server);
    let record = refused(&url, &ca.pem_file());
    assert_eq!(
        record["error"],
        "the server sends its certificates in the wrong order: the first, \"CN=urlcheck \
         test CA\", is a CA certificate, and the server's own comes after it"
    );
}

#[test]
fn a_sha1_signature_is_named_as_no_longer_accepted() {
    // curl: "SSL certificate problem: CA signature digest algorithm too weak".
    let server = fixture_server("sha1");
    let url = https(&server);
    let record = refused(&url, &fixture("sha1-ca.pem"));
    assert_eq!(
        record["error"],
        "the server's certificate is signed with SHA-1 (sha1WithRSAEncryption), which is no \
         longer accepted: SHA-1 is broken"
    );
    assert!(
        record["cert_days_left"].as_i64().unwrap() > 30_000,
        "{record}"
    );
}

#[test]
fn an_rsa_1024_key_is_named_as_too_small() {
    // curl: "SSL certificate problem: CA certificate key too weak".
    let server = fixture_server("rsa1024");
    let url = https(&server);
    let record = refused(&url, &fixture("rsa1024-ca.pem"));
    assert_eq!(
        record["error"],
        "the CA certificate \"CN=urlcheck rsa1024 test CA\" has a 1024-bit RSA key, too small \
         to be safe: urlcheck accepts 2048 bits or more"
    );
}

#[test]
fn a_certificate_without_subject_alt_name_is_refused_saying_it_has_none() {
    // curl falls back to the Common Name and says 200; browsers refuse.
    let ca = Ca::new();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.not_after = date_time_ymd(2999, 1, 1);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    let server = serve_tls(cert.der().clone(), key);
    let url = format!("https://localhost:{}/", server.addr.port());
    assert_eq!(
        refused(&url, &ca.pem_file())["error"],
        "certificate is not valid for localhost: it has no subjectAltName, and a name in its \
         subject (Common Name) alone is not accepted, as in browsers"
    );
}

#[test]
fn a_certificate_with_10000_names_is_a_handshake_message_too_large() {
    // curl: "error:0A000098:SSL routines::excessive message size".
    let ca = Ca::new();
    let mut names: Vec<String> = (0..10_000)
        .map(|i| format!("host-{i}.example.test"))
        .collect();
    names.push("127.0.0.1".to_string());
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let server = ca.server(&names, 2999);
    let url = https(&server);
    let record = refused(&url, &ca.pem_file());
    assert_eq!(
        record["error"],
        "TLS handshake failed: the server sent a handshake message larger than 64 KiB, the \
         most urlcheck accepts (usually a certificate with thousands of names)"
    );
    assert!(record["cert_not_after"].is_null(), "never read: {record}");
}

#[test]
fn an_unknown_self_signed_certificate_is_called_self_signed() {
    // curl: "SSL certificate problem: self-signed certificate", with or
    // without --cacert.
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let plain = serve_tls(cert.der().clone(), key);
    let (_, openssl_style) = openssl_style_self_signed(&["127.0.0.1"], date_time_ymd(2999, 1, 1));
    let (plain, openssl_style) = (https(&plain), https(&openssl_style));
    let out = run(&["-f", "jsonl", &plain, &openssl_style], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let without = "certificate is self-signed, and no trusted authority vouches for it (trust \
                   it with --cacert FILE, or skip checks with -k)";
    assert_eq!(out.record(&plain)["error"], without);
    assert_eq!(out.record(&openssl_style)["error"], without);

    let other_ca = Ca::new();
    let out = run(
        &[
            "-f",
            "jsonl",
            "--cacert",
            &other_ca.pem_file(),
            &plain,
            &openssl_style,
        ],
        None,
    );
    let with = "certificate is self-signed, and neither the system nor the --cacert file \
                trusts it";
    assert_eq!(out.record(&plain)["error"], with);
    assert_eq!(out.record(&openssl_style)["error"], with);
}

/// `openssl s_server` on 127.0.0.1, stopped when dropped.
struct OpensslServer {
    child: std::process::Child,
    port: u16,
}

impl OpensslServer {
    /// None when there is no `openssl` command.
    fn start(cert: &str, key: &str, args: &[&str]) -> Option<Self> {
        use std::io::BufRead;
        let mut child = std::process::Command::new("openssl")
            .args([
                "s_server",
                "-accept",
                "127.0.0.1:0",
                "-www",
                "-cert",
                cert,
                "-key",
                key,
            ])
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let port = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("ACCEPT 127.0.0.1:")?.parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            panic!("openssl s_server did not start with {args:?}");
        };
        // Keep reading, so that what it writes never blocks it.
        std::thread::spawn(move || lines.for_each(drop));
        Some(OpensslServer { child, port })
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn no_cipher_suite_in_common_says_so_and_what_urlcheck_speaks() {
    // curl: 200 (OpenSSL speaks CBC).
    let ca = Ca::new();
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_after = date_time_ymd(2999, 1, 1);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    let cert_file = write_file(&ca.dir, "leaf.pem", &cert.pem());
    let key_file = write_file(&ca.dir, "leaf.key", &key.serialize_pem());
    let cbc_only = [
        "-no_tls1_3",
        "-cipher",
        "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA",
    ];
    let Some(server) = OpensslServer::start(&cert_file, &key_file, &cbc_only) else {
        eprintln!("skipped: no openssl command to serve only CBC cipher suites");
        return;
    };
    let url = format!("https://127.0.0.1:{}/", server.port);
    let record = refused(&url, &ca.pem_file());
    assert_eq!(
        record["error"],
        "TLS handshake failed: the server has no cipher suite in common with urlcheck (it sent \
         alert handshake_failure); urlcheck speaks TLS 1.2 and 1.3 with ECDHE key exchange \
         and AES-GCM or ChaCha20 only: no CBC, DHE or RSA key exchange"
    );
}

#[test]
fn an_rsa_1024_server_key_is_named_as_too_small() {
    // curl: "SSL certificate problem: EE certificate key too weak".
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status();
    if !made.is_ok_and(|status| status.success()) {
        eprintln!("skipped: no openssl command to make an RSA 1024 key");
        return;
    }
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    // OpenSSL itself serves a 1024-bit key only at security level 0.
    let server = OpensslServer::start(cert, key, &["-cipher", "DEFAULT:@SECLEVEL=0"])
        .expect("openssl made the key, so it can serve it");
    let url = format!("https://127.0.0.1:{}/", server.port);
    let out = run(&["-f", "jsonl", "--cacert", cert, &url], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let record = out.record(&url);
    assert_eq!(
        record["error"],
        "the server's certificate has a 1024-bit RSA key, too small to be safe: urlcheck \
         accepts 2048 bits or more"
    );
    // Two days from when openssl made it, a second or so ago.
    let days_left = record["cert_days_left"].as_i64();
    assert!(matches!(days_left, Some(1 | 2)), "{record}");
}

/// A `[[check]]` sets whom it trusts: its own `cacert`, or `insecure`; the
/// checks without keep the flags' trust.
#[test]
fn a_check_sets_its_own_cacert_or_insecure() {
    let ca = Ca::new();
    let server = ca.server(&["127.0.0.1"], 2999);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let self_signed = serve_tls(cert.der().clone(), key);
    let trusted = format!("https://{}/?trusted", server.addr);
    let untrusted = format!("https://{}/?untrusted", server.addr);
    let insecure = format!("https://{}/?insecure", self_signed.addr);
    let dir = tempfile::tempdir().unwrap();
    let config = write_file(
        &dir,
        "urlcheck.toml",
        &format!(
            "[[check]]\nurl = \"{trusted}\"\ncacert = \"{}\"\n\
             [[check]]\nurl = \"{untrusted}\"\n\
             [[check]]\nurl = \"{insecure}\"\ninsecure = true\n",
            ca.pem_file()
        ),
    );
    let out = run(&["-f", "jsonl", "-c", &config], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.record(&trusted)["ok"], true, "{out:?}");
    assert_eq!(out.record(&insecure)["ok"], true, "{out:?}");
    let record = out.record(&untrusted);
    assert_eq!(record["error_kind"], "tls", "{record}");
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .contains("unknown authority"),
        "{record}"
    );
}

/// A `[[check]]` whose `cacert` cannot be read is a usage error that names
/// the check, before any check.
#[test]
fn a_checks_unreadable_cacert_is_a_usage_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_file(
        &dir,
        "urlcheck.toml",
        "[[check]]\nurl = \"https://127.0.0.1:9/\"\n\n[[check]]\nurl = \"https://127.0.0.1:9/x\"\n\
         cacert = \"/nonexistent/ca.pem\"\n",
    );
    let out = run(&["-f", "jsonl", "-c", &config], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(
        out.stderr.contains("urlcheck.toml:5: in this [[check]]")
            && out.stderr.contains("/nonexistent/ca.pem"),
        "{}",
        out.stderr
    );
}
