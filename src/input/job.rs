//! A job: one input URL line on its way to a worker, with where it came
//! from and what it means (a URL to check, or why it is not one).

use std::sync::Arc;
use std::time::Instant;

use reqwest::Url;

use super::lines::{Line, MAX_LINE_BYTES, RawLine, strip_line};
use super::shard;
use crate::config::{CheckSpec, ConfigCheck};
use crate::results::{CheckResult, Failure, FailureKind, Found, Origin, Source};
use crate::target;

/// One input URL line on its way to a worker.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// The URL as given, password masked: what every record shows.
    pub(crate) url: String,
    pub(crate) origin: Origin,
    /// The URL to check, or why the line is not one.
    pub(crate) target: Result<Url, String>,
    /// What to send and what to expect.
    pub(crate) spec: Arc<CheckSpec>,
    /// The hash of the line's text as written, for `--shard`.
    pub(crate) key: u64,
    /// `--wait`: set when the URL was checked before and is not up yet.
    pub(crate) awaited: Option<Box<Awaited>>,
    /// `--links`: a page whose links are checked too.
    pub(crate) page: bool,
    /// `--crawl`: links followed from a start page to reach this one (0 for
    /// the pages given).
    pub(crate) depth: u32,
    /// A URL found in documents or on pages: every place naming it.
    pub(crate) found: Option<Arc<Found>>,
    /// `--shard` with `--links`: another shard's page, read for its links
    /// only; its record is dropped.
    pub(crate) silent: bool,
}

/// `--wait`: what is known of a URL that is checked again until it comes up.
#[derive(Debug, Clone)]
pub(crate) struct Awaited {
    /// The latest check's result: the URL's record if no later check ends.
    pub(crate) last: CheckResult,
    /// Requests made for the URL so far, the latest check's included.
    pub(crate) attempts: u32,
    /// When the first check started.
    pub(crate) first_started: Instant,
    /// When waiting began: the end of the first check.
    pub(crate) since: Instant,
    /// Its entry on the board of URLs waited for (`check::waiting`).
    pub(crate) board: u64,
}

impl Awaited {
    /// The URL's record as it stands: the latest result, with every request
    /// made, the whole time spent, and for a failure how long it was awaited.
    pub(crate) fn into_record(self) -> CheckResult {
        let mut record = self.last;
        record.attempts = self.attempts;
        record.spent = self.first_started.elapsed();
        if let Some(failure) = &mut record.failure
            && self.attempts > 1
            && failure.kind != FailureKind::Interrupted
        {
            failure.message = format!(
                "{} (awaited {})",
                failure.message,
                crate::text::format_span(self.since.elapsed())
            );
        }
        record
    }
}

impl Job {
    pub(crate) fn new(url: &str, origin: Origin, spec: Arc<CheckSpec>) -> Self {
        Self::expanded(url, url, origin, spec)
    }

    /// The job for a URL given as an argument.
    pub(crate) fn from_arg(text: &str, spec: Arc<CheckSpec>) -> Self {
        let origin = Origin {
            source: Source::Arg,
            line: None,
        };
        Self::new(text, origin, spec)
    }

    /// The job for a `[[check]]` of the config file.
    pub(crate) fn from_check(check: ConfigCheck) -> Self {
        let origin = Origin {
            source: Source::File(check.file.as_str().into()),
            line: Some(check.line),
        };
        Self::expanded(&check.url, &check.expanded_url, origin, check.spec)
    }

    /// A job that shows `url` but requests `expanded_url` (a config-file URL
    /// whose `${VAR}`s must not be printed expanded).
    pub(crate) fn expanded(
        url: &str,
        expanded_url: &str,
        origin: Origin,
        spec: Arc<CheckSpec>,
    ) -> Self {
        let target = target::parse_target(expanded_url).map_err(|message| spec.redact(&message));
        let key = shard::key(url.as_bytes());
        let mut url = target::mask_password(url).into_owned();
        // A safety net under the text-level masking: whatever password the
        // parser found is not shown either (only the login part: the same
        // text may also be in the path).
        if let Some(password) = target.as_ref().ok().and_then(|t| t.password()) {
            url = url.replacen(&format!(":{password}@"), ":***@", 1);
        }
        Job {
            key,
            url,
            origin,
            target,
            spec,
            awaited: None,
            page: false,
            depth: 0,
            found: None,
            silent: false,
        }
    }

    /// The job for a URL found in documents or on pages, at the first
    /// place that names it; a `file://` URL is a local file a document
    /// links to.
    pub(crate) fn found(url: &str, found: Arc<Found>, spec: Arc<CheckSpec>) -> Self {
        let origin = found.places.first().map_or(
            Origin {
                source: Source::Arg,
                line: None,
            },
            |place| Origin {
                source: place.source.clone(),
                line: place.line,
            },
        );
        let mut job = match url.strip_prefix("file://") {
            Some(_) => Job {
                key: shard::key(url.as_bytes()),
                url: url.to_string(),
                origin,
                target: Url::parse(url).map_err(|e| format!("not a local path: {e}")),
                spec,
                awaited: None,
                page: false,
                depth: 0,
                found: None,
                silent: false,
            },
            None => Job::new(url, origin, spec),
        };
        job.found = Some(found);
        job
    }

    fn invalid(url: &str, origin: Origin, message: String, spec: Arc<CheckSpec>) -> Self {
        let url = target::mask_password(url).into_owned();
        Job {
            key: shard::key(url.as_bytes()),
            url,
            origin,
            target: Err(message),
            spec,
            awaited: None,
            page: false,
            depth: 0,
            found: None,
            silent: false,
        }
    }

    /// The record for this job when it is not checked (again): what is
    /// known of it, its invalid-input result or its latest check under
    /// `--wait`, else `reason`.
    pub(crate) fn into_unchecked(self, reason: Failure) -> CheckResult {
        if let Some(awaited) = self.awaited {
            return awaited.into_record();
        }
        let failure = match self.target {
            Err(message) => Failure::new(FailureKind::InvalidInput, message),
            Ok(_) => reason,
        };
        CheckResult {
            found: self.found,
            silent: self.silent,
            ..CheckResult::unchecked(self.url, self.origin, failure)
        }
    }
}

/// The `--shard` key of a URL line, as its job would have it, without
/// building the job: `None` for a blank or comment line, and for one that
/// is too long or not UTF-8 (its job, built in full, has the key).
pub(crate) fn line_key(raw: &RawLine<'_>) -> Option<u64> {
    if raw.is_too_long() {
        return None;
    }
    match strip_line(std::str::from_utf8(raw.bytes).ok()?) {
        Line::Skip => None,
        Line::Url(url) => Some(shard::key(url.as_bytes())),
    }
}

/// The job for one physical line, or `None` for a blank or comment line.
pub(crate) fn job_from_line(
    source: &Source,
    raw: RawLine<'_>,
    spec: &Arc<CheckSpec>,
) -> Option<Job> {
    let origin = Origin {
        source: source.clone(),
        line: Some(raw.number),
    };
    if raw.is_too_long() {
        // Mask the whole kept part first: a cut could split a password.
        let kept = String::from_utf8_lossy(raw.bytes);
        let masked = target::mask_password(kept.trim_start());
        let start: String = masked.chars().take(60).collect();
        let message = format!(
            "line is {} bytes long, over the {MAX_LINE_BYTES}-byte limit for a URL",
            raw.len
        );
        return Some(Job::invalid(
            &format!("{start}…"),
            origin,
            message,
            spec.clone(),
        ));
    }
    match std::str::from_utf8(raw.bytes) {
        Ok(text) => match strip_line(text) {
            Line::Skip => None,
            Line::Url(url) => Some(Job::new(url, origin, spec.clone())),
        },
        Err(e) => {
            let lossy = String::from_utf8_lossy(raw.bytes);
            match strip_line(&lossy) {
                Line::Skip => None,
                Line::Url(shown) => {
                    let message = format!(
                        "line is not valid UTF-8 (bad byte 0x{:02x} at byte {})",
                        raw.bytes[e.valid_up_to()],
                        e.valid_up_to() + 1
                    );
                    Some(Job::invalid(shown, origin, message, spec.clone()))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stop::Stop;

    #[test]
    fn the_quick_shard_key_is_the_jobs() {
        for text in [
            "  https://u:pw@a.test/x  # note",
            "example.com",
            "# only a comment",
        ] {
            let raw = RawLine {
                number: 1,
                bytes: text.as_bytes(),
                len: text.len(),
            };
            let key = line_key(&raw);
            let job = job_from_line(&Source::Stdin, raw, &Arc::default());
            assert_eq!(key, job.map(|j| j.key), "{text}");
        }
    }

    #[test]
    fn an_over_long_line_is_reported_short_and_masked() {
        let mut line = b"https://user:secret@a.test/".to_vec();
        line.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES * 2));
        let raw = RawLine {
            number: 4,
            bytes: &line[..MAX_LINE_BYTES],
            len: line.len(),
        };
        assert_eq!(line_key(&raw), None, "a long line's job has the key");
        let job = job_from_line(&Source::Stdin, raw, &Arc::default()).unwrap();
        assert!(job.url.starts_with("https://user:***@a.test/xx") && job.url.ends_with('…'));
        assert!(job.url.chars().count() <= 61);
        assert!(
            job.target
                .unwrap_err()
                .contains("over the 16384-byte limit")
        );
    }

    #[test]
    fn only_the_login_is_masked_not_the_same_text_elsewhere() {
        let origin = Origin {
            source: Source::Arg,
            line: None,
        };
        let job = Job::new(
            "http:/u:passwd@a.test/passwd?passwd",
            origin,
            Arc::default(),
        );
        assert_eq!(job.url, "http:/u:***@a.test/passwd?passwd");
    }

    #[test]
    fn unchecked_invalid_jobs_keep_their_invalid_input_result() {
        let origin = Origin {
            source: Source::Arg,
            line: None,
        };
        let stop = Stop::default();
        let bad =
            Job::new("ftp://x", origin.clone(), Arc::default()).into_unchecked(stop.not_checked());
        assert_eq!(bad.failure.unwrap().kind, FailureKind::InvalidInput);
        let good = Job::new("https://u:pw@x.test", origin, Arc::default())
            .into_unchecked(stop.not_checked());
        assert_eq!(good.failure.unwrap().kind, FailureKind::Interrupted);
        assert_eq!(good.url, "https://u:***@x.test");
    }
}
