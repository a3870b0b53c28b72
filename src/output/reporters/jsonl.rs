//! `--format jsonl`: one JSON object per line, the fields of `results::Record`.

use std::io::{self, Write};

use super::Reporter;
use crate::results::CheckResult;

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
        serde_json::to_writer(&mut self.line, &result.record()).map_err(io::Error::other)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

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
