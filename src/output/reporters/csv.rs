//! `--format csv`: the fields of `results::Record`, a header row, RFC 4180
//! quoting, and control characters escaped.

use std::borrow::Cow;
use std::io::{self, Write};

use super::Reporter;
use crate::results::{CheckResult, Record};
use crate::text::escape_control;

pub(crate) struct Csv<W: Write> {
    out: csv::Writer<W>,
    header_written: bool,
}

impl<W: Write> Csv<W> {
    pub(crate) fn new(out: W) -> Self {
        Csv {
            // The header is written by hand, so that it is there even when no
            // row follows (`--only-failures` and nothing failed).
            out: csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(out),
            header_written: false,
        }
    }

    fn write_header(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.header_written = true;
            self.out.write_record(Record::FIELDS)?;
        }
        Ok(())
    }
}

/// A record with control characters escaped in its free-text fields:
/// what a CSV row carries (JSON escapes them by itself).
pub(crate) struct Escaped<'a> {
    record: Record<'a>,
    url: Cow<'a, str>,
    error: Option<Cow<'a, str>>,
    final_url: Option<Cow<'a, str>>,
    source: Cow<'a, str>,
}

impl<'a> Escaped<'a> {
    pub(crate) fn new(record: Record<'a>) -> Self {
        Escaped {
            url: escape_control(record.url),
            error: record.error.map(escape_control),
            final_url: record.final_url.map(escape_control),
            source: escape_control(record.source),
            record,
        }
    }

    pub(crate) fn record(&self) -> Record<'_> {
        Record {
            url: &self.url,
            error: self.error.as_deref(),
            final_url: self.final_url.as_deref(),
            source: &self.source,
            ..self.record
        }
    }
}

impl<W: Write + Send> Reporter for Csv<W> {
    fn report(&mut self, result: &CheckResult) -> io::Result<()> {
        self.write_header()?;
        let safe = Escaped::new(result.record());
        self.out.serialize(safe.record()).map_err(io::Error::other)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_header()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn render(results: &[CheckResult]) -> String {
        let mut reporter = Csv::new(Vec::new());
        for r in results {
            reporter.report(r).unwrap();
        }
        String::from_utf8(reporter.out.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn header_then_one_row_per_result() {
        let text = render(&[testing::passed(), testing::failed()]);
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "url,ok,status,error_kind,error,elapsed_ms,final_url,redirects,source,line,\
                 attempts,cert_not_after,cert_days_left,up_after_ms,http_version,\
                 remote_addr,tls_version,dns_ms,connect_ms,tls_ms,ttfb_ms,transfer_ms,known,shard,column,occurrences"
            )
        );
        assert_eq!(
            lines.next(),
            Some(
                "https://a.test/,true,200,,,12,https://a.test/home,1,urls.txt,3,1,,,,HTTP/1.1,\
                 192.0.2.1:443,TLSv1.3,0.63,0.21,2.67,8.96,0.08,,,,1"
            )
        );
        assert_eq!(
            lines.next(),
            Some(
                "https://u:***@a.test/\\u{1b}[31mx,false,404,status,\"status 404, expected 200-299\",1500,https://u:***@a.test/\\u{1b}[31mx,0,arg,,1,,,,HTTP/1.1,,,,,,1499.0,,,,,1"
            )
        );
        let mut sharded = testing::passed();
        sharded.shard = Some(crate::results::Shard { index: 2, count: 8 });
        let text = render(&[sharded]);
        assert!(
            text.lines().nth(1).unwrap().ends_with(",0.08,,2/8,,1"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'));
    }

    #[test]
    fn the_header_comes_even_without_rows() {
        let mut reporter = Csv::new(Vec::new());
        reporter.flush().unwrap();
        reporter.flush().unwrap();
        let text = String::from_utf8(reporter.out.into_inner().unwrap()).unwrap();
        assert_eq!(text, format!("{}\n", Record::FIELDS.join(",")));
    }

    #[test]
    fn the_header_matches_the_serialized_fields() {
        let mut auto = csv::Writer::from_writer(Vec::new());
        auto.serialize(testing::passed().record()).unwrap();
        let text = String::from_utf8(auto.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), Record::FIELDS.join(","));
    }

    #[test]
    fn quotes_per_rfc_4180() {
        let mut result = testing::passed();
        result.url = "https://a.test/?q=\"x\",y".into();
        let text = render(&[result]);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "https://a.test/?q=\"x\",y");
    }
}
