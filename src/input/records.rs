//! urlcheck's own JSON Lines records, read back: for `--replay` (every
//! field, to render again), `--resume` (which lines are done) and
//! `--baseline` (which URLs failed). A line that is not one of urlcheck's
//! records is an error naming the file and line; fields added by later
//! versions are ignored.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use crate::config::RecordsFrom;
use crate::results::{
    CertInfo, CheckResult, Failure, FailureKind, Found, Origin, Phases, Place, Source,
};

/// A record as written (`results::Record`), owned.
#[derive(Debug, Deserialize)]
pub(crate) struct RecordIn {
    pub(crate) url: String,
    pub(crate) ok: bool,
    status: Option<u16>,
    error_kind: Option<String>,
    error: Option<String>,
    elapsed_ms: u64,
    #[serde(default)]
    final_url: Option<String>,
    #[serde(default)]
    redirects: u32,
    pub(crate) source: String,
    pub(crate) line: Option<u64>,
    #[serde(default)]
    pub(crate) column: Option<u64>,
    #[serde(default)]
    pub(crate) occurrences: Option<u64>,
    attempts: u32,
    #[serde(default)]
    cert_not_after: Option<String>,
    #[serde(default)]
    cert_days_left: Option<i64>,
    #[serde(default)]
    up_after_ms: Option<u64>,
    #[serde(default)]
    http_version: Option<String>,
    #[serde(default)]
    remote_addr: Option<SocketAddr>,
    #[serde(default)]
    tls_version: Option<String>,
    #[serde(default)]
    dns_ms: Option<f64>,
    #[serde(default)]
    connect_ms: Option<f64>,
    #[serde(default)]
    tls_ms: Option<f64>,
    #[serde(default)]
    ttfb_ms: Option<f64>,
    #[serde(default)]
    transfer_ms: Option<f64>,
    /// `K/N`; absent in records of versions before it.
    #[serde(default)]
    shard: Option<String>,
}

impl RecordIn {
    /// The failure kind, for a failed record.
    pub(crate) fn kind(&self) -> Option<&str> {
        self.error_kind.as_deref()
    }

    /// The result this record describes.
    pub(crate) fn into_result(self) -> Result<CheckResult, String> {
        let failure = match (self.ok, self.error_kind) {
            (true, None) => None,
            (true, Some(kind)) => return Err(format!("\"ok\" is true but error_kind is '{kind}'")),
            (false, None) => return Err("\"ok\" is false but error_kind is null".into()),
            (false, Some(kind)) => Some(Failure::new(
                kind_named(&kind)?,
                self.error.unwrap_or_default(),
            )),
        };
        let cert = match (self.cert_not_after, self.cert_days_left) {
            (Some(not_after), Some(days_left)) => Some(CertInfo {
                not_after,
                days_left,
            }),
            _ => None,
        };
        let elapsed = Duration::from_millis(self.elapsed_ms);
        Ok(CheckResult {
            url: self.url,
            origin: Origin {
                source: source_named(&self.source),
                line: self.line,
            },
            status: self.status,
            failure,
            elapsed,
            spent: elapsed,
            final_url: self.final_url,
            redirects: self.redirects,
            attempts: self.attempts,
            cert,
            up_after: self.up_after_ms.map(Duration::from_millis),
            http_version: self
                .http_version
                .as_deref()
                .map(|v| known_name(v, &HTTP_VERSIONS, "http_version"))
                .transpose()?,
            phases: Phases {
                dns: duration(self.dns_ms, "dns_ms")?,
                connect: duration(self.connect_ms, "connect_ms")?,
                tls: duration(self.tls_ms, "tls_ms")?,
                ttfb: duration(self.ttfb_ms, "ttfb_ms")?,
                transfer: duration(self.transfer_ms, "transfer_ms")?,
                remote_addr: self.remote_addr,
                tls_version: self
                    .tls_version
                    .as_deref()
                    .map(|v| known_name(v, &TLS_VERSIONS, "tls_version"))
                    .transpose()?,
            },
            known: None,
            found: found(&self.source, self.line, self.column, self.occurrences),
            silent: false,
            shard: self
                .shard
                .map(|s| s.parse().map_err(|e| format!("shard: {e}")))
                .transpose()?,
        })
    }
}

const HTTP_VERSIONS: [&str; 5] = ["HTTP/0.9", "HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/3"];
const TLS_VERSIONS: [&str; 2] = ["TLSv1.3", "TLSv1.2"];

fn known_name(value: &str, names: &[&'static str], field: &str) -> Result<&'static str, String> {
    names
        .iter()
        .find(|n| **n == value)
        .copied()
        .ok_or_else(|| format!("unknown {field} '{value}'"))
}

fn kind_named(name: &str) -> Result<FailureKind, String> {
    use strum::IntoEnumIterator;
    FailureKind::iter()
        .find(|k| k.as_str() == name)
        .ok_or_else(|| format!("unknown error_kind '{name}'"))
}

/// The source as records name it: `-` is stdin, `arg` an argument.
pub(crate) fn source_named(name: &str) -> Source {
    match name {
        "-" => Source::Stdin,
        "arg" => Source::Arg,
        url if url.starts_with("https://") || url.starts_with("http://") => {
            Source::Page(url.into())
        }
        file => Source::File(file.into()),
    }
}

/// A found URL's first place and count, as a record has them: a record
/// with a column, or named more than once, was found in a document, a page
/// or a sitemap.
fn found(
    source: &str,
    line: Option<u64>,
    column: Option<u64>,
    occurrences: Option<u64>,
) -> Option<std::sync::Arc<Found>> {
    let occurrences = occurrences.unwrap_or(1);
    let from_page = matches!(source_named(source), Source::Page(_));
    (column.is_some() || occurrences > 1 || from_page).then(|| {
        std::sync::Arc::new(Found {
            occurrences,
            places: vec![Place {
                source: source_named(source),
                line,
                column,
            }],
        })
    })
}

fn duration(ms: Option<f64>, field: &str) -> Result<Option<Duration>, String> {
    ms.map(|ms| {
        Duration::try_from_secs_f64(ms / 1000.0)
            .map_err(|_| format!("{field} is not a duration in milliseconds: {ms}"))
    })
    .transpose()
}

/// Open `from` (named `flag` in an error).
pub(crate) fn open(from: &RecordsFrom, flag: &str) -> anyhow::Result<Records> {
    let reader: Box<dyn Read + Send> = match from {
        RecordsFrom::Stdin => Box::new(io::stdin()),
        RecordsFrom::File(path) => Box::new(
            File::open(path)
                .with_context(|| format!("cannot open {flag} file {}", path.display()))?,
        ),
    };
    Ok(Records::new(from.name(), reader))
}

/// The records of one file, in order.
pub(crate) struct Records {
    name: String,
    reader: BufReader<Box<dyn Read + Send>>,
    number: u64,
    bytes: Vec<u8>,
    /// Where the line last read starts, in bytes from the start.
    offset: u64,
    next_offset: u64,
}

/// One line of a records file.
pub(crate) enum RecordLine {
    Record(Box<RecordIn>),
    /// The last line, with no newline after it and not a whole record: what
    /// a run killed mid-write leaves (`--resume` checks it again).
    Incomplete,
}

impl Records {
    /// The records `reader` holds, called `name` in errors.
    pub(crate) fn new(name: String, reader: Box<dyn Read + Send>) -> Self {
        Records {
            name,
            reader: BufReader::with_capacity(64 * 1024, reader),
            number: 0,
            bytes: Vec::new(),
            offset: 0,
            next_offset: 0,
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The next record, or an error naming the file and line of one that is
    /// not urlcheck's. Blank lines are skipped.
    pub(crate) fn next_record(&mut self) -> anyhow::Result<Option<RecordLine>> {
        loop {
            self.bytes.clear();
            let read = self
                .reader
                .read_until(b'\n', &mut self.bytes)
                .with_context(|| format!("cannot read {}", self.name))?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            self.offset = self.next_offset;
            self.next_offset += read as u64;
            let whole = self.bytes.ends_with(b"\n");
            // A write cut short may end inside a character: not UTF-8.
            let line = String::from_utf8_lossy(&self.bytes);
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            return match serde_json::from_str::<RecordIn>(line) {
                Ok(record) => Ok(Some(RecordLine::Record(Box::new(record)))),
                // Only what starts like a record is one cut short.
                Err(_) if !whole && line.starts_with("{\"url\":") => {
                    Ok(Some(RecordLine::Incomplete))
                }
                Err(e) => Err(anyhow::anyhow!(
                    "{}:{}: not a urlcheck JSON Lines record ({e}); give files that \
                     `urlcheck -f jsonl` wrote",
                    self.name,
                    self.number
                )),
            };
        }
    }

    /// The line number of the last record read.
    pub(crate) fn line_number(&self) -> u64 {
        self.number
    }

    /// Where the line last read starts, in bytes.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn read_back(result: &CheckResult) -> CheckResult {
        let json = serde_json::to_string(&result.record()).unwrap();
        serde_json::from_str::<RecordIn>(&json)
            .unwrap()
            .into_result()
            .unwrap()
    }

    #[test]
    fn a_record_reads_back_as_the_result_it_was_written_from() {
        for result in [testing::passed(), testing::failed()] {
            let back = read_back(&result);
            assert_eq!(back.record().url, result.record().url);
            assert_eq!(
                serde_json::to_string(&back.record()).unwrap(),
                serde_json::to_string(&result.record()).unwrap()
            );
        }
    }

    #[test]
    fn a_line_that_is_not_a_record_is_an_error_with_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let good = serde_json::to_string(&testing::passed().record()).unwrap();
        std::fs::write(&path, format!("{good}\n\n{{\"hello\":1}}\n{good}")).unwrap();
        let mut records = open(&RecordsFrom::File(path.clone()), "--replay").unwrap();
        assert!(matches!(
            records.next_record(),
            Ok(Some(RecordLine::Record(_)))
        ));
        let err = records.next_record().err().unwrap().to_string();
        assert!(
            err.starts_with(&format!("{}:3: not a urlcheck", path.display())),
            "{err}"
        );
        // A last line cut short is incomplete, not an error.
        std::fs::write(&path, format!("{good}\n{}", &good[..40])).unwrap();
        let mut records = open(&RecordsFrom::File(path), "--resume").unwrap();
        assert!(matches!(
            records.next_record(),
            Ok(Some(RecordLine::Record(_)))
        ));
        assert!(matches!(
            records.next_record(),
            Ok(Some(RecordLine::Incomplete))
        ));
        assert!(matches!(records.next_record(), Ok(None)));
    }

    #[test]
    fn the_shard_reads_back_and_a_wrong_one_is_refused() {
        let mut sharded = testing::passed();
        sharded.shard = Some(crate::results::Shard { index: 2, count: 8 });
        assert_eq!(read_back(&sharded).shard, sharded.shard);
        let mut record = serde_json::to_value(sharded.record()).unwrap();
        assert_eq!(record["shard"], "2/8");
        record["shard"] = "9/8".into();
        let parsed: RecordIn = serde_json::from_value(record).unwrap();
        assert!(
            parsed
                .into_result()
                .unwrap_err()
                .starts_with("shard: '9/8' is not K/N")
        );
        // Records written before the field: no shard.
        let mut old = serde_json::to_value(testing::passed().record()).unwrap();
        old.as_object_mut().unwrap().remove("shard");
        let parsed: RecordIn = serde_json::from_value(old).unwrap();
        assert_eq!(parsed.into_result().unwrap().shard, None);
    }

    #[test]
    fn inconsistent_records_are_refused() {
        let mut record = serde_json::to_value(testing::failed().record()).unwrap();
        record["error_kind"] = "nonsense".into();
        let parsed: RecordIn = serde_json::from_value(record).unwrap();
        assert_eq!(
            parsed.into_result().unwrap_err(),
            "unknown error_kind 'nonsense'"
        );
    }
}
