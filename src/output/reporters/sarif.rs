//! `--format sarif`: SARIF 2.1.0, the format GitHub code scanning reads. One
//! result per failed check, its rule the failure kind (every kind described
//! once in the driver's rules), located at the list file and line it came
//! from (the config file and line for a `[[check]]`). Written at the end.
//!
//! ```text
//! {"version":"2.1.0","runs":[{"tool":{"driver":{"name":"urlcheck","rules":[{"id":"status",...}]}},
//!   "results":[{"ruleId":"status","level":"error","message":{"text":"https://a.test/x: status 404, ..."},
//!     "locations":[{"physicalLocation":{"artifactLocation":{"uri":"urls.txt"},"region":{"startLine":4}}}]}]}]}
//! ```

use std::io::{self, Write};
use std::time::Duration;

use serde_json::{Value, json};
use strum::IntoEnumIterator;
use xxhash_rust::xxh3::xxh3_64;

use super::Reporter;
use crate::config::Shard;
use crate::results::{CheckResult, FailureKind, Source};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Collects the failures and writes the SARIF log at `finish`.
pub(crate) struct Sarif<W> {
    out: W,
    shard: Option<Shard>,
    results: Vec<Value>,
    finished: bool,
}

impl<W: Write> Sarif<W> {
    pub(crate) fn new(out: W, shard: Option<Shard>) -> Self {
        Sarif {
            out,
            shard,
            results: Vec::new(),
            finished: false,
        }
    }

    fn log(&mut self) -> Value {
        let rules: Vec<Value> = FailureKind::iter().map(rule).collect();
        let mut run = json!({
            "tool": {
                "driver": {
                    "name": "urlcheck",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": std::mem::take(&mut self.results),
        });
        // One analysis per shard: GitHub keeps an upload per category.
        if let Some(shard) = self.shard {
            run["automationDetails"] = json!({
                "id": format!("urlcheck/shard-{}-of-{}/", shard.index, shard.count),
                "description": {"text": format!("urlcheck, shard {shard}")},
            });
        }
        json!({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]})
    }
}

/// A failure kind as a SARIF rule.
fn rule(kind: FailureKind) -> Value {
    json!({
        "id": kind.as_str(),
        "name": rule_name(kind),
        "shortDescription": {"text": format!("urlcheck: {}", kind.as_str())},
        "fullDescription": {"text": kind.meaning()},
        "help": {"text": format!("{} See the failure kinds in urlcheck's docs/reference.md.", kind.meaning())},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["urlcheck"]},
    })
}

/// A rule's readable name, which SARIF wants other than its id.
fn rule_name(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::InvalidInput => "NotAUrl",
        FailureKind::Dns => "HostNotResolved",
        FailureKind::Connect => "ConnectionFailed",
        FailureKind::Tls => "TlsFailed",
        FailureKind::Timeout => "TimedOut",
        FailureKind::Redirect => "BadRedirect",
        FailureKind::Protocol => "NotValidHttp",
        FailureKind::Body => "BodyFailed",
        FailureKind::Status => "UnexpectedStatus",
        FailureKind::Header => "HeaderMismatch",
        FailureKind::Slow => "TooSlow",
        FailureKind::Certificate => "CertificateExpiresSoon",
        FailureKind::Sitemap => "SitemapUnreadable",
        FailureKind::File => "LocalFileMissing",
        FailureKind::Fragment => "AnchorMissing",
        FailureKind::Soft404 => "SoftNotFound",
        FailureKind::Interrupted => "NotChecked",
    }
}

/// The SARIF results of a failed check: one, or for a URL found in
/// documents, pages or sitemaps one per place that names it.
fn results_of(result: &CheckResult) -> Vec<Value> {
    let Some(one) = result_of(result) else {
        return Vec::new();
    };
    let Some(found) = result.found.as_ref().filter(|f| f.places.len() > 1) else {
        return vec![one];
    };
    found
        .places
        .iter()
        .map(|place| {
            let mut each = one.clone();
            each["locations"] = location(&place.source, place.line, place.column, &result.url);
            // Each page or document naming the URL is an alert of its own.
            let key = format!(
                "{}\n{}\n{}",
                result.url,
                kind_of(result),
                place.source.name()
            );
            each["partialFingerprints"]["urlcheck/v1"] =
                json!(format!("{:016x}", xxh3_64(key.as_bytes())));
            each
        })
        .collect()
}

fn kind_of(result: &CheckResult) -> &'static str {
    result.failure.as_ref().map_or("", |f| f.kind.as_str())
}

/// Where a result is: a line (and column) of a file, or else the URL of
/// the page that names it, or the URL itself.
fn location(source: &Source, line: Option<u64>, column: Option<u64>, url: &str) -> Value {
    match (source, line) {
        (Source::File(file), Some(line)) => {
            let mut region = json!({"startLine": line});
            if let Some(column) = column {
                region["startColumn"] = json!(column);
            }
            json!([{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri_of(file)},
                    "region": region,
                }
            }])
        }
        // Found on a page or in a sitemap: located by the page's URL.
        (Source::Page(page), _) => json!([{
            "physicalLocation": {"artifactLocation": {"uri": &**page}},
            "logicalLocations": [{"fullyQualifiedName": url, "kind": "resource"}]
        }]),
        // A URL given as an argument, or on stdin, is in no file: it is
        // located by name (GitHub requires a location).
        _ => json!([{
            "logicalLocations": [{"fullyQualifiedName": url, "kind": "resource"}]
        }]),
    }
}

/// The SARIF result of a failed check, at its first place.
fn result_of(result: &CheckResult) -> Option<Value> {
    let failure = result.failure.as_ref()?;
    let rule_index = FailureKind::iter().position(|k| k == failure.kind);
    let mut sarif = json!({
        "ruleId": failure.kind.as_str(),
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": format!("{}: {}", result.url, failure.message)},
        // The same URL failing the same way is the same alert, wherever its
        // line moves.
        "partialFingerprints": {
            "urlcheck/v1": format!("{:016x}", xxh3_64(format!("{}\n{}", result.url, failure.kind).as_bytes())),
        },
        "properties": {
            "url": result.url,
            "status": result.status,
            "final_url": result.final_url,
            "attempts": result.attempts,
        },
    });
    let column = result.found.as_ref().and_then(|f| f.column());
    sarif["locations"] = location(
        &result.origin.source,
        result.origin.line,
        column,
        &result.url,
    );
    if let Some(known) = result.known {
        sarif["baselineState"] = json!(if known { "unchanged" } else { "new" });
    }
    Some(sarif)
}

/// A file name as a relative URI reference: `/` separators, and each byte
/// that a URI may not hold percent-encoded.
fn uri_of(file: &str) -> String {
    let file = file.strip_prefix("./").unwrap_or(file);
    let mut uri = String::with_capacity(file.len());
    for byte in file.bytes() {
        match byte {
            b'\\' => uri.push('/'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(char::from(byte));
            }
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri
}

impl<W: Write + Send> Reporter for Sarif<W> {
    fn report(&mut self, result: &CheckResult) -> io::Result<()> {
        for sarif in results_of(result) {
            self.results.push(sarif);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self, _wall: Duration) -> io::Result<()> {
        if !std::mem::replace(&mut self.finished, true) {
            let log = self.log();
            serde_json::to_writer_pretty(&mut self.out, &log).map_err(io::Error::other)?;
            self.out.write_all(b"\n")?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn render(results: &[CheckResult], shard: Option<Shard>) -> Value {
        let mut sarif = Sarif::new(Vec::new(), shard);
        for r in results {
            sarif.report(r).unwrap();
        }
        sarif.finish(Duration::ZERO).unwrap();
        serde_json::from_slice(&sarif.out).unwrap()
    }

    #[test]
    fn one_result_per_failure_at_its_file_and_line() {
        let mut from_file = testing::failed();
        from_file.origin = crate::results::Origin {
            source: Source::File("./lists/my urls.txt".into()),
            line: Some(7),
        };
        let log = render(&[testing::passed(), from_file, testing::failed()], None);
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), FailureKind::iter().count());
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 2, "passes give no result");
        let first = &results[0];
        assert_eq!(first["ruleId"], "status");
        assert_eq!(
            rules[first["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "status"
        );
        let location = &first["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "lists/my%20urls.txt");
        assert_eq!(location["region"]["startLine"], 7);
        assert_eq!(
            results[1]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            testing::failed().url,
            "an argument is in no file"
        );
        assert!(run.get("automationDetails").is_none());
        assert!(first.get("baselineState").is_none());
    }

    #[test]
    fn a_shard_is_its_own_category_and_known_failures_are_unchanged() {
        let mut known = testing::failed();
        known.known = Some(true);
        let log = render(&[known], Some(Shard { index: 2, count: 8 }));
        let run = &log["runs"][0];
        assert_eq!(run["automationDetails"]["id"], "urlcheck/shard-2-of-8/");
        assert_eq!(run["results"][0]["baselineState"], "unchanged");
    }

    #[test]
    fn a_url_found_in_several_places_is_a_result_at_each() {
        use crate::results::{Found, Place};
        let mut result = testing::failed();
        let place = |source: Source, line, column| Place {
            source,
            line,
            column,
        };
        result.found = Some(std::sync::Arc::new(Found {
            occurrences: 2,
            places: vec![
                place(Source::File("docs/a b.md".into()), Some(4), Some(9)),
                place(
                    Source::Page("https://site.test/x".into()),
                    Some(12),
                    Some(3),
                ),
            ],
        }));
        let log = render(&[result], None);
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(
            results[0]["locations"][0]["physicalLocation"],
            json!({"artifactLocation": {"uri": "docs/a%20b.md"},
                   "region": {"startLine": 4, "startColumn": 9}})
        );
        assert_eq!(
            results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "https://site.test/x"
        );
        // Each place is an alert of its own.
        assert_ne!(
            results[0]["partialFingerprints"]["urlcheck/v1"],
            results[1]["partialFingerprints"]["urlcheck/v1"]
        );
    }
}
