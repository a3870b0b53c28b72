//! Input: opens the INPUT arguments and streams their lines, never loading a
//! file whole. A line longer than `MAX_LINE_BYTES` is reported, and the reader
//! holds at most that much of it.

use std::io::{self, BufRead};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

use crate::config::{ConfigCheck, InputSpec};
use crate::results::Source;
use crate::target::MAX_LINE_BYTES;

const READ_BUFFER: usize = 64 * 1024;

/// One opened INPUT.
pub enum Input {
    /// A URL given as an argument.
    Arg(String),
    /// A `[[check]]` of the config file.
    Check(ConfigCheck),
    /// A stream of lines: a file or stdin.
    Lines {
        source: Source,
        reader: LineReader<Box<dyn AsyncBufRead + Send + Unpin>>,
    },
}

/// Open every input before any check runs, so that a missing or unreadable
/// path is an error up front (exit 2), naming the path.
pub async fn open_inputs(specs: &[InputSpec]) -> anyhow::Result<Vec<Input>> {
    let mut inputs = Vec::with_capacity(specs.len());
    for spec in specs {
        let input = match spec {
            InputSpec::Url(url) => Input::Arg(url.clone()),
            InputSpec::Stdin => Input::Lines {
                source: Source::Stdin,
                reader: LineReader::new(Box::new(BufReader::with_capacity(
                    READ_BUFFER,
                    tokio::io::stdin(),
                ))),
            },
            InputSpec::File(path) => Input::Lines {
                source: Source::File(Arc::from(path.display().to_string())),
                reader: LineReader::new(Box::new(BufReader::with_capacity(
                    READ_BUFFER,
                    open_file(path).await?,
                ))),
            },
        };
        inputs.push(input);
    }
    Ok(inputs)
}

async fn open_file(path: &Path) -> anyhow::Result<tokio::fs::File> {
    // A mistyped URL given as an argument lands here: keep its password out.
    let shown = crate::target::mask_password(&path.to_string_lossy()).into_owned();
    let file = tokio::fs::File::open(path).await.map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::NotFound && looks_like_host(path) {
            format!("; to check a URL, give its scheme: https://{shown}")
        } else {
            String::new()
        };
        anyhow::Error::new(e).context(format!("cannot open input file '{shown}'{hint}"))
    })?;
    let meta = file
        .metadata()
        .await
        .with_context(|| format!("cannot read input file '{shown}'"))?;
    if meta.is_dir() {
        bail!("input '{shown}' is a directory; give a file with one URL per line");
    }
    Ok(file)
}

fn looks_like_host(path: &Path) -> bool {
    path.to_str()
        .is_some_and(|s| s.contains('.') && !s.contains('/') && !s.ends_with(".txt"))
}

/// One physical line: its number, and its bytes without the newline. A line
/// over the limit keeps only its first `MAX_LINE_BYTES` bytes; `len` tells
/// how long it really was.
#[derive(Debug)]
pub struct RawLine<'a> {
    pub number: u64,
    pub bytes: &'a [u8],
    pub len: usize,
}

impl RawLine<'_> {
    pub fn is_too_long(&self) -> bool {
        self.len > MAX_LINE_BYTES
    }
}

/// Reads lines of bounded length from any async buffered reader.
pub struct LineReader<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    pub fn new(reader: R) -> Self {
        LineReader {
            reader,
            line: 0,
            buf: Vec::new(),
        }
    }

    /// The next line, or `None` at the end. Cancel-safe only between lines:
    /// dropping the future mid-line loses that line's start.
    pub async fn next_line(&mut self) -> io::Result<Option<RawLine<'_>>> {
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
pub fn count_url_lines(path: &Path) -> Option<u64> {
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
        let text = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&line);
        let text = text.trim_ascii();
        if !text.is_empty() && !text.starts_with(b"#") {
            count += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[tokio::test]
    async fn missing_file_and_directory_are_errors_naming_the_path() {
        let err = open_inputs(&[InputSpec::File("/nonexistent/urls.txt".into())])
            .await
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("/nonexistent/urls.txt"));
        let dir = tempfile::tempdir().unwrap();
        let err = open_inputs(&[InputSpec::File(dir.path().into())])
            .await
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("is a directory"));
        let err = open_inputs(&[InputSpec::File("u:secret@a.test".into())])
            .await
            .err()
            .unwrap();
        assert!(!format!("{err:#}").contains("secret"));
        let err = open_inputs(&[InputSpec::File("example.com".into())])
            .await
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("https://example.com"));
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
