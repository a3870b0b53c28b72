//! A local file that a document links to (a relative link, without
//! `--base-url`): it must exist, and under `--check-fragments` have the
//! anchor the link names.

use std::time::Instant;

use reqwest::Url;

use super::anchors;
use crate::config::InputFormat;
use crate::input::Job;
use crate::results::{CheckResult, Failure, FailureKind};

/// Largest document read for its anchors.
const MAX_DOCUMENT: u64 = 64 * 1024 * 1024;

/// The record of a link to the local file `url` (`file://`).
pub(crate) async fn check(job: &Job, url: &Url, fragments: bool) -> CheckResult {
    let started = Instant::now();
    let failure = match url.to_file_path() {
        Ok(path) => match tokio::fs::metadata(&path).await {
            Ok(meta) => match url.fragment().filter(|f| fragments && !f.is_empty()) {
                Some(fragment) if meta.is_file() && meta.len() <= MAX_DOCUMENT => {
                    anchor_failure(&path, fragment).await
                }
                _ => None,
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(Failure::new(
                FailureKind::File,
                format!("no such file: {}", path.display()),
            )),
            Err(e) => Some(Failure::new(
                FailureKind::File,
                format!("cannot read {}: {e}", path.display()),
            )),
        },
        Err(()) => Some(Failure::new(
            FailureKind::File,
            format!("not a local path: {url}"),
        )),
    };
    let elapsed = started.elapsed();
    CheckResult {
        failure,
        elapsed,
        spent: elapsed,
        attempts: 1,
        ..CheckResult::unchecked(
            job.url.clone(),
            job.origin.clone(),
            Failure::new(FailureKind::File, ""),
        )
    }
}

/// The failure of a link to `#fragment` in the document at `path`.
async fn anchor_failure(path: &std::path::Path, fragment: &str) -> Option<Failure> {
    let bytes = tokio::fs::read(path).await.ok()?;
    let anchors = match InputFormat::of_path(path) {
        InputFormat::Markdown => {
            crate::extract::markdown::extract(&String::from_utf8_lossy(&bytes)).anchors
        }
        InputFormat::Html => crate::extract::html::extract(&bytes).anchors,
        // Other files have no anchors to check.
        InputFormat::List | InputFormat::Sitemap => return None,
    };
    anchors::missing_in(&anchors, fragment)
}
