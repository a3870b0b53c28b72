//! The body of the final response: read up to a cap, enough to catch a
//! server that breaks mid-body and to judge body expectations; the rest is
//! not downloaded. It is kept only when an expectation needs it.

use std::time::Duration;

use super::classify::{Classified, Phase, classify};

/// How much of a body is read.
pub(crate) const BODY_READ_LIMIT: usize = 1024 * 1024;

/// A body as read: its first `BODY_READ_LIMIT` bytes when kept, and whether
/// it went on past the cap.
pub(crate) struct Body {
    pub(crate) bytes: Vec<u8>,
    pub(crate) truncated: bool,
}

/// Read the body of `response` up to `BODY_READ_LIMIT`, keeping it only
/// when asked.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    keep: bool,
    connect_timeout: Duration,
) -> Result<Body, Classified> {
    let mut bytes = Vec::new();
    let mut read = 0usize;
    while read < BODY_READ_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                read += chunk.len();
                if keep {
                    let room = BODY_READ_LIMIT - bytes.len().min(BODY_READ_LIMIT);
                    bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
            }
            Ok(None) => {
                return Ok(Body {
                    bytes,
                    truncated: false,
                });
            }
            Err(e) => return Err(classify(&e, Phase::Body, connect_timeout)),
        }
    }
    Ok(Body {
        bytes,
        truncated: true,
    })
}
