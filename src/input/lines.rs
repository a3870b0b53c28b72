//! Lines: input is streamed line by line, never loaded whole. A line longer
//! than `MAX_LINE_BYTES` is reported, and the reader holds at most that much
//! of it. Here too is the one rule for which lines hold URLs: blank and `#`
//! lines do not, and a `#` after whitespace starts a comment.

use std::io::{self, BufRead};
use std::path::Path;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Read in pieces this large.
pub(crate) const READ_BUFFER: usize = 64 * 1024;

/// Lines longer than this are not URLs anyone means to check; they are
/// reported, not parsed (and the reader never holds more than this of them).
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024;

/// What an input line holds, after trimming and stripping comments.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// Blank or a `#` comment: no record.
    Skip,
    /// A URL candidate, trimmed, comment removed.
    Url(&'a str),
}

/// Trim whitespace and comments: `#` at the start of a line, or after
/// whitespace (`https://a.test/  # staging`). A `#` inside a URL is a fragment.
pub(crate) fn strip_line(raw: &str) -> Line<'_> {
    let text = raw.trim_start_matches('\u{feff}').trim();
    if text.is_empty() || text.starts_with('#') {
        return Line::Skip;
    }
    let end = text
        .char_indices()
        .find(|&(i, c)| c == '#' && text[..i].ends_with(char::is_whitespace))
        .map_or(text.len(), |(i, _)| i);
    Line::Url(text[..end].trim_end())
}

/// One physical line: its number, and its bytes without the newline. A line
/// over the limit keeps only its first `MAX_LINE_BYTES` bytes; `len` tells
/// how long it really was.
#[derive(Debug)]
pub(crate) struct RawLine<'a> {
    pub(crate) number: u64,
    pub(crate) bytes: &'a [u8],
    pub(crate) len: usize,
}

impl RawLine<'_> {
    pub(crate) fn is_too_long(&self) -> bool {
        self.len > MAX_LINE_BYTES
    }
}

/// Reads lines of bounded length from any async buffered reader.
pub(crate) struct LineReader<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    pub(crate) fn new(reader: R) -> Self {
        LineReader {
            reader,
            line: 0,
            buf: Vec::new(),
        }
    }

    /// The next line, or `None` at the end. Cancel-safe only between lines:
    /// dropping the future mid-line loses that line's start.
    pub(crate) async fn next_line(&mut self) -> io::Result<Option<RawLine<'_>>> {
        self.buf.clear();
        let mut len = 0usize;
        let mut saw_any = false;
        loop {
            let available = self.reader.fill_buf().await?;
            if available.is_empty() {
                break;
            }
            saw_any = true;
            let (chunk, consumed, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            let room = MAX_LINE_BYTES.saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            len = len.saturating_add(chunk.len());
            self.reader.consume(consumed);
            if done {
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        self.line += 1;
        if self.buf.last() == Some(&b'\r') && len <= MAX_LINE_BYTES {
            self.buf.pop();
            len -= 1;
        }
        Ok(Some(RawLine {
            number: self.line,
            bytes: &self.buf,
            len,
        }))
    }
}

/// How many lines of a regular file may hold URLs (neither blank nor a
/// comment), for the progress bar's total. `None` for anything that is not a
/// regular file, which could be read only once.
pub(crate) fn count_url_lines(path: &Path) -> Option<u64> {
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut reader = io::BufReader::with_capacity(READ_BUFFER, file);
    let mut count = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return Some(count),
            Ok(_) => {}
            Err(_) => return None,
        }
        if strip_line(&String::from_utf8_lossy(&line)) != Line::Skip {
            count += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufReader;

    async fn lines(input: &[u8]) -> Vec<(u64, Vec<u8>, usize)> {
        let mut reader = LineReader::new(BufReader::with_capacity(7, input));
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().await.unwrap() {
            out.push((line.number, line.bytes.to_vec(), line.len));
        }
        out
    }

    #[tokio::test]
    async fn splits_lines_and_strips_crlf() {
        let got = lines(b"a\r\nbb\n\nccc").await;
        assert_eq!(
            got,
            vec![
                (1, b"a".to_vec(), 1),
                (2, b"bb".to_vec(), 2),
                (3, b"".to_vec(), 0),
                (4, b"ccc".to_vec(), 3)
            ]
        );
        assert!(lines(b"").await.is_empty());
        assert_eq!(lines(b"x\n").await.len(), 1);
    }

    #[tokio::test]
    async fn long_lines_are_capped_and_measured() {
        let mut input = vec![b'a'; MAX_LINE_BYTES * 3];
        input.extend_from_slice(b"\nnext\n");
        let got = lines(&input).await;
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.len(), MAX_LINE_BYTES);
        assert_eq!(got[0].2, MAX_LINE_BYTES * 3);
        assert_eq!(got[1], (2, b"next".to_vec(), 4));
    }

    #[tokio::test]
    async fn invalid_utf8_passes_through_as_bytes() {
        let got = lines(b"ok\n\xff\xfe\nok2\n").await;
        assert_eq!(got[1].1, b"\xff\xfe".to_vec());
        assert_eq!(got[2].0, 3);
    }

    #[test]
    fn strips_blanks_comments_and_whitespace() {
        assert_eq!(strip_line(""), Line::Skip);
        assert_eq!(strip_line("   \t"), Line::Skip);
        assert_eq!(strip_line("# a comment"), Line::Skip);
        assert_eq!(strip_line("   # indented comment"), Line::Skip);
        assert_eq!(strip_line("\u{feff}# bom then comment"), Line::Skip);
        assert_eq!(
            strip_line("  https://a.test/  "),
            Line::Url("https://a.test/")
        );
        assert_eq!(
            strip_line("https://a.test/ # staging"),
            Line::Url("https://a.test/")
        );
        assert_eq!(
            strip_line("https://a.test/\t#x"),
            Line::Url("https://a.test/")
        );
        assert_eq!(
            strip_line("https://a.test/#fragment"),
            Line::Url("https://a.test/#fragment")
        );
        assert_eq!(
            strip_line("\u{feff}https://a.test/"),
            Line::Url("https://a.test/")
        );
    }

    #[test]
    fn counts_url_lines_of_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("urls.txt");
        std::fs::write(&path, "\u{feff}# c\nhttp://a\n\n  \nhttp://b # x\r\nbad\n").unwrap();
        assert_eq!(count_url_lines(&path), Some(3));
        assert_eq!(count_url_lines(dir.path()), None);
    }
}

#[cfg(test)]
mod proptests {
    //! Properties over arbitrary lines: no panics, and what a line becomes
    //! is a trimmed part of it.

    use super::*;
    use proptest::prelude::*;

    use crate::testing::proptest_config as config;

    const URL_LIKE: &str = "https?://[a-z0-9.:@/?#%-]{0,40}";

    /// What `strip_line` promises for any line.
    fn check_strip(raw: &str) -> Result<(), TestCaseError> {
        match strip_line(raw) {
            Line::Skip => {
                let text = raw.trim_start_matches('\u{feff}').trim();
                prop_assert!(text.is_empty() || text.starts_with('#'), "{raw:?}");
            }
            Line::Url(url) => {
                prop_assert!(!url.is_empty());
                prop_assert!(raw.contains(url));
                prop_assert_eq!(url.trim(), url);
                prop_assert!(!url.starts_with('#'));
                let chars: Vec<char> = url.chars().collect();
                prop_assert!(
                    !chars
                        .windows(2)
                        .any(|w| w[0].is_whitespace() && w[1] == '#'),
                    "a trailing comment was kept: {url:?}"
                );
                if !url.starts_with('\u{feff}') {
                    prop_assert_eq!(strip_line(url), Line::Url(url), "idempotent");
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn strip_line_never_panics_and_keeps_a_trimmed_part(raw in any::<String>()) {
            check_strip(&raw)?;
        }

        #[test]
        fn strip_line_on_lines_with_blanks_comments_and_boms(
            raw in "\u{feff}?[ \t#a-z:/.\u{a0}\u{feff}\r]{0,30}",
        ) {
            check_strip(&raw)?;
        }

        #[test]
        fn strip_line_keeps_a_url_whole_and_drops_its_comment(
            url in URL_LIKE,
            bom in "\u{feff}?",
            pad in "[ \t]{0,3}",
            comment in "([ \t]+#[ -~]{0,10})?",
        ) {
            let raw = format!("{bom}{pad}{url}{comment}{pad}\r");
            prop_assert_eq!(strip_line(&raw), Line::Url(&url));
        }
    }
}
