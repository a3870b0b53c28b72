//! The body of the final response: read up to a cap, enough to catch a
//! server that breaks mid-body and to judge body expectations; the rest is
//! not downloaded. It is kept only when an expectation needs it, and then a
//! compressed body (`Content-Encoding` gzip, deflate, br or zstd) is decoded
//! first, with the same cap on the decoded bytes, so that a decompression
//! bomb stays small.

use std::io::Read;
use std::time::Duration;

use reqwest::header::CONTENT_ENCODING;

use super::classify::{Classified, Phase, classify};

/// How much of a body is read, and how much of it, decoded, is kept.
pub(crate) const BODY_READ_LIMIT: usize = 1024 * 1024;

/// How much of a page is read for its links or anchors (`--links`,
/// `--check-fragments`): larger than any page but a few.
pub(crate) const PAGE_READ_LIMIT: usize = 8 * 1024 * 1024;

/// How much of an HTTP/2 body past the cap is read and thrown away rather
/// than cut off: hyper's initial stream window, what a server may send
/// without waiting to be asked. A stream cut off (RST_STREAM) while its data
/// is still arriving is a trap in h2: past 50 recent resets it forgets the
/// stream, answers each late DATA frame with a reset of its own, counts
/// those as its errors, and at 1,024 ends the whole connection with GOAWAY
/// ENHANCE_YOUR_CALM, failing every check on it (hyperium/h2#856). Reading
/// to the end leaves nothing to reset.
const DRAIN_LIMIT: u64 = 2 * 1024 * 1024;

/// The longest the rest of a body is read for, after its check is judged.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// The rest of an HTTP/2 body past the cap, small enough to read to its end
/// (`DRAIN_LIMIT`), so that its stream ends cleanly. Boxed: the results
/// that carry it, rarely, are moved on every check.
pub(crate) struct Unread(Box<reqwest::Response>);

impl Unread {
    /// The rest of `response` when worth reading: HTTP/2 (an HTTP/1.1
    /// connection cut mid-body is simply closed), and no more than
    /// `DRAIN_LIMIT` left, or a length not given. (A response's
    /// `content_length` is what is left of it to read.)
    fn of(response: reqwest::Response) -> Option<Self> {
        if response.version() != reqwest::Version::HTTP_2 {
            return None;
        }
        response
            .content_length()
            .is_none_or(|left| left > 0 && left <= DRAIN_LIMIT)
            .then(|| Unread(Box::new(response)))
    }

    /// Read the rest and throw it away, for at most `DRAIN_LIMIT` bytes
    /// and `DRAIN_TIME`; whatever stops it, the check is already judged.
    pub(crate) async fn drain(mut self) {
        let read = async {
            let mut left = DRAIN_LIMIT;
            while let Ok(Some(chunk)) = self.0.chunk().await {
                left = left.saturating_sub(chunk.len() as u64);
                if left == 0 {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, read).await;
    }
}

/// A body as read: its first `BODY_READ_LIMIT` bytes (decoded) when kept,
/// and whether it went on past the cap.
pub(crate) struct Body {
    pub(crate) bytes: Vec<u8>,
    pub(crate) truncated: bool,
    /// Why a compressed body could not be decoded (all of it).
    pub(crate) decode_error: Option<String>,
}

/// Read the body of `response` up to `limit`, keeping it (decoded) only when
/// asked; with what is left of an HTTP/2 body to read after the check.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    keep: bool,
    limit: usize,
    connect_timeout: Duration,
) -> Result<(Body, Option<Unread>), Classified> {
    let encodings = if keep {
        content_encodings(&response)
    } else {
        Vec::new()
    };
    let mut bytes = Vec::new();
    let mut read = 0usize;
    let mut truncated = true;
    while read < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                read += chunk.len();
                if keep {
                    let room = limit - bytes.len().min(limit);
                    bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
            }
            Ok(None) => {
                truncated = false;
                break;
            }
            Err(e) => return Err(classify(&e, Phase::Body, connect_timeout)),
        }
    }
    let unread = if truncated {
        Unread::of(response)
    } else {
        None
    };
    let mut body = Body {
        bytes,
        truncated,
        decode_error: None,
    };
    // Content-Encoding lists the codings in the order they were applied.
    for encoding in encodings.iter().rev() {
        body = decode(*encoding, body);
    }
    Ok((body, unread))
}

/// A content coding that the body reader decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
        }
    }
}

/// The codings of `Content-Encoding` that can be decoded, in order; none
/// when any of them is unknown (the body is then judged as it came).
fn content_encodings(response: &reqwest::Response) -> Vec<Encoding> {
    let Some(value) = response.headers().get(CONTENT_ENCODING) else {
        return Vec::new();
    };
    let Ok(text) = value.to_str() else {
        return Vec::new();
    };
    let mut encodings = Vec::new();
    for coding in text.split(',').map(|c| c.trim().to_ascii_lowercase()) {
        match coding.as_str() {
            "gzip" | "x-gzip" => encodings.push(Encoding::Gzip),
            "deflate" => encodings.push(Encoding::Deflate),
            "br" => encodings.push(Encoding::Brotli),
            "zstd" => encodings.push(Encoding::Zstd),
            "identity" | "" => {}
            _ => return Vec::new(),
        }
    }
    encodings
}

/// `body` decoded from `encoding`, at most `BODY_READ_LIMIT` bytes of it.
/// A body cut at the cap ends mid-stream: what decodes before the cut is
/// kept, and that is not an error.
fn decode(encoding: Encoding, body: Body) -> Body {
    let raw = body.bytes.as_slice();
    let limit = BODY_READ_LIMIT as u64 + 1;
    let mut decoded = Vec::new();
    let result = match encoding {
        Encoding::Gzip => flate2::read::MultiGzDecoder::new(raw)
            .take(limit)
            .read_to_end(&mut decoded),
        Encoding::Deflate => {
            // HTTP's deflate is zlib-wrapped, but some servers send it raw.
            let zlib = flate2::read::ZlibDecoder::new(raw)
                .take(limit)
                .read_to_end(&mut decoded);
            if zlib.is_err() && decoded.is_empty() {
                flate2::read::DeflateDecoder::new(raw)
                    .take(limit)
                    .read_to_end(&mut decoded)
            } else {
                zlib
            }
        }
        Encoding::Brotli => brotli_decompressor::Decompressor::new(raw, 4096)
            .take(limit)
            .read_to_end(&mut decoded),
        Encoding::Zstd => match ruzstd::decoding::StreamingDecoder::new(raw) {
            Ok(decoder) => decoder.take(limit).read_to_end(&mut decoded),
            Err(e) => Err(std::io::Error::other(e.to_string())),
        },
    };
    let over = decoded.len() > BODY_READ_LIMIT;
    decoded.truncate(BODY_READ_LIMIT);
    let decode_error = match result {
        Err(e) if !body.truncated => Some(format!(
            "the {} body could not be decoded: {e}",
            encoding.name()
        )),
        _ => body.decode_error,
    };
    Body {
        bytes: decoded,
        truncated: body.truncated || over,
        decode_error,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn raw(bytes: Vec<u8>, truncated: bool) -> Body {
        Body {
            bytes,
            truncated,
            decode_error: None,
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap_or_else(|e| panic!("{e}"));
        encoder.finish().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn gzip_and_deflate_bodies_are_decoded() {
        let body = decode(Encoding::Gzip, raw(gzip(b"hello lab world"), false));
        assert_eq!(body.bytes, b"hello lab world");
        assert!(!body.truncated && body.decode_error.is_none());

        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(b"zlib text")
            .unwrap_or_else(|e| panic!("{e}"));
        let zlib = zlib.finish().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            decode(Encoding::Deflate, raw(zlib, false)).bytes,
            b"zlib text"
        );

        let mut bare = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        bare.write_all(b"raw deflate")
            .unwrap_or_else(|e| panic!("{e}"));
        let bare = bare.finish().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            decode(Encoding::Deflate, raw(bare, false)).bytes,
            b"raw deflate"
        );
    }

    /// `b"brotli text, "` 40 times, and 8 MiB of zeros, as Python's
    /// `brotli.compress` gives them (the crate here only decodes).
    const BROTLI_TEXT: &str = "1b0702f8057463a99efe9a0e06411064c120301ab836b74c8b7a2c";
    const BROTLI_ZEROS: &str = "cbffff3ff82700e2b14020f7fe6f";

    fn unhex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    }

    #[test]
    fn brotli_bodies_are_decoded_and_a_brotli_bomb_is_cut_at_the_cap() {
        let body = decode(Encoding::Brotli, raw(unhex(BROTLI_TEXT), false));
        assert_eq!(body.bytes, b"brotli text, ".repeat(40));
        assert!(!body.truncated && body.decode_error.is_none());

        let bomb = decode(Encoding::Brotli, raw(unhex(BROTLI_ZEROS), false));
        assert_eq!(bomb.bytes.len(), BODY_READ_LIMIT);
        assert!(bomb.truncated);
    }

    #[test]
    fn a_bomb_is_cut_at_the_cap() {
        let zeros = vec![0u8; 8 * BODY_READ_LIMIT];
        let body = decode(Encoding::Gzip, raw(gzip(&zeros), false));
        assert_eq!(body.bytes.len(), BODY_READ_LIMIT);
        assert!(body.truncated);
    }

    #[test]
    fn a_body_cut_at_the_cap_keeps_what_decodes_and_a_broken_one_says_so() {
        let mut cut = gzip(b"the start of a long body");
        cut.truncate(cut.len() - 8);
        let body = decode(Encoding::Gzip, raw(cut.clone(), true));
        assert!(body.decode_error.is_none(), "a cut at the cap is expected");
        let broken = decode(Encoding::Gzip, raw(b"not gzip at all".to_vec(), false));
        assert!(
            broken
                .decode_error
                .as_deref()
                .is_some_and(|e| e.starts_with("the gzip body could not be decoded")),
            "{:?}",
            broken.decode_error
        );
    }
}
