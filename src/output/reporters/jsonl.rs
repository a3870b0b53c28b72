//! `--format jsonl`: one JSON object per line, the fields of `results::Record`.

use std::io::{self, Write};
use std::net::{SocketAddr, SocketAddrV4};

use serde::Serialize;

use super::Reporter;
use crate::results::{CheckResult, Record};

pub(crate) struct Jsonl<W> {
    out: W,
    /// The line being written, kept between records: no allocation each.
    line: Vec<u8>,
}

impl<W: Write> Jsonl<W> {
    pub(crate) fn new(out: W) -> Self {
        Jsonl {
            out,
            line: Vec::with_capacity(1024),
        }
    }
}

impl<W: Write + Send> Reporter for Jsonl<W> {
    fn report(&mut self, result: &CheckResult) -> io::Result<()> {
        // One write per line, so a reader never sees half a record.
        self.line.clear();
        write_record(&mut self.line, &result.record()).map_err(io::Error::other)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `record` as JSON, byte for byte what `serde_json` makes of it (a test
/// holds them equal), with each value encoded by `serde_json` and the keys,
/// plain ASCII names, written as they are: through serde's map, every key
/// went through the string escaper too, a third of the encoding's work.
fn write_record(out: &mut Vec<u8>, record: &Record<'_>) -> serde_json::Result<()> {
    let mut object = Object { out, empty: true };
    object.field("url", record.url)?;
    object.field("ok", &record.ok)?;
    object.field("status", &record.status)?;
    object.field("error_kind", &record.error_kind)?;
    object.field("error", &record.error)?;
    object.field("elapsed_ms", &record.elapsed_ms)?;
    object.field("final_url", &record.final_url)?;
    object.field("redirects", &record.redirects)?;
    object.field("source", record.source)?;
    object.field("line", &record.line)?;
    object.field("attempts", &record.attempts)?;
    object.field("cert_not_after", &record.cert_not_after)?;
    object.field("cert_days_left", &record.cert_days_left)?;
    object.field("up_after_ms", &record.up_after_ms)?;
    object.field("http_version", &record.http_version)?;
    match record.remote_addr {
        Some(SocketAddr::V4(addr)) => object.with("remote_addr", |out| v4_text(out, addr))?,
        other => object.field("remote_addr", &other)?,
    }
    object.field("tls_version", &record.tls_version)?;
    object.field("dns_ms", &record.dns_ms)?;
    object.field("connect_ms", &record.connect_ms)?;
    object.field("tls_ms", &record.tls_ms)?;
    object.field("ttfb_ms", &record.ttfb_ms)?;
    object.field("transfer_ms", &record.transfer_ms)?;
    object.field("known", &record.known)?;
    object.field("shard", &record.shard)?;
    object.field("column", &record.column)?;
    object.field("occurrences", &record.occurrences)?;
    object.out.push(b'}');
    Ok(())
}

/// A JSON object being written.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl Object<'_> {
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> serde_json::Result<()> {
        self.with(key, |out| serde_json::to_writer(out, value))
    }

    /// A field whose value `write` writes as JSON.
    fn with(
        &mut self,
        key: &str,
        write: impl FnOnce(&mut Vec<u8>) -> serde_json::Result<()>,
    ) -> serde_json::Result<()> {
        debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        self.out.push(if self.empty { b'{' } else { b',' });
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        write(self.out)
    }
}

/// An IPv4 address and port as the JSON string serde writes (`"a.b.c.d:p"`),
/// without the formatting machinery of `Display`: that took 2% of all the
/// instructions of a check.
fn v4_text(out: &mut Vec<u8>, addr: SocketAddrV4) -> serde_json::Result<()> {
    out.push(b'"');
    for (i, octet) in addr.ip().octets().into_iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        serde_json::to_writer(&mut *out, &octet)?;
    }
    out.push(b':');
    serde_json::to_writer(&mut *out, &addr.port())?;
    out.push(b'"');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{CertInfo, Failure, FailureKind, Origin, Phases, Source};
    use crate::testing;
    use proptest::prelude::*;
    use std::time::Duration;

    fn as_serde_writes(result: &CheckResult) -> Result<(), TestCaseError> {
        let mut ours = Vec::new();
        write_record(&mut ours, &result.record()).unwrap();
        let serde = serde_json::to_vec(&result.record()).unwrap();
        prop_assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(serde).unwrap()
        );
        Ok(())
    }

    #[test]
    fn writes_what_serde_writes_for_the_fixtures() {
        for result in [testing::passed(), testing::failed()] {
            as_serde_writes(&result).unwrap();
        }
    }

    fn micros() -> impl Strategy<Value = Option<Duration>> {
        proptest::option::of((0u64..u64::MAX / 2).prop_map(Duration::from_micros))
    }

    proptest! {
        #[test]
        fn writes_what_serde_writes(
            url in any::<String>(),
            final_url in proptest::option::of(any::<String>()),
            message in proptest::option::of(any::<String>()),
            file in proptest::option::of(any::<String>()),
            line in proptest::option::of(any::<u64>()),
            status in proptest::option::of(any::<u16>()),
            numbers in (any::<u32>(), any::<u32>(), any::<u64>()),
            times in (micros(), micros(), micros(), micros(), micros()),
            addr in proptest::option::of(any::<SocketAddr>()),
            known in proptest::option::of(any::<bool>()),
            shard in proptest::option::of((1u64..u64::MAX, any::<u64>())),
            cert in proptest::option::of((any::<String>(), any::<i64>())),
        ) {
            let (redirects, attempts, elapsed) = numbers;
            let (dns, connect, tls, ttfb, transfer) = times;
            let result = CheckResult {
                status,
                failure: message.map(|m| Failure::new(FailureKind::Status, m)),
                elapsed: Duration::from_micros(elapsed),
                final_url,
                redirects,
                attempts,
                up_after: ttfb,
                http_version: Some("HTTP/2"),
                phases: Phases {
                    dns,
                    connect,
                    tls,
                    ttfb,
                    transfer,
                    remote_addr: addr,
                    tls_version: addr.map(|_| "TLSv1.2"),
                },
                known,
                shard: shard.map(|(count, index)| crate::results::Shard {
                    index: index % count + 1,
                    count,
                }),
                cert: cert.map(|(not_after, days_left)| CertInfo { not_after, days_left }),
                ..testing::passed()
            };
            let result = CheckResult {
                url,
                origin: Origin {
                    source: file.map_or(Source::Stdin, |f| Source::File(f.into())),
                    line,
                },
                ..result
            };
            as_serde_writes(&result)?;
        }
    }

    #[test]
    fn writes_one_parseable_object_per_line() {
        let mut reporter = Jsonl::new(Vec::new());
        reporter.report(&testing::passed()).unwrap();
        reporter.report(&testing::failed()).unwrap();
        let text = String::from_utf8(reporter.out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["status"], 200);
        assert_eq!(lines[0]["redirects"], 1);
        assert_eq!(lines[0]["line"], 3);
        assert_eq!(lines[1]["error_kind"], "status");
        assert_eq!(lines[1]["source"], "arg");
        assert!(lines[1]["line"].is_null());
        // Control characters are escaped by JSON, never raw.
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("\\u001b"));
    }
}
