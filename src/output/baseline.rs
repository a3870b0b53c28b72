//! `--baseline FILE`: the failures of an earlier run (main's last results),
//! so that a failure that failed there too is known: still reported, but
//! not failing the run; and a URL that failed there and passes now is fixed.
//! URLs are matched as records show them (`url`). Lines not checked there
//! (`interrupted`) say nothing about their URL and are left out.

use std::collections::HashSet;
use std::path::Path;

use crate::config::RecordsFrom;
use crate::input::records::{self, RecordLine};
use crate::results::{CheckResult, FailureKind};

/// The URLs that failed in the baseline.
#[derive(Debug, Default)]
pub(crate) struct Baseline {
    failed: HashSet<String>,
}

impl Baseline {
    pub(crate) fn load(path: &Path) -> anyhow::Result<Baseline> {
        let mut records = records::open(&RecordsFrom::File(path.to_path_buf()), "--baseline")?;
        let mut failed = HashSet::new();
        while let Some(line) = records.next_record()? {
            // A last line cut short says nothing either way.
            let RecordLine::Record(record) = line else {
                continue;
            };
            if !record.ok && record.kind() != Some(FailureKind::Interrupted.as_str()) {
                failed.insert(record.url);
            }
        }
        Ok(Baseline { failed })
    }

    /// Mark `result`: known when its URL failed in the baseline.
    pub(crate) fn judge(&self, result: &mut CheckResult) {
        result.known = Some(self.failed.contains(&result.url));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn failures_of_the_baseline_are_known_and_its_passes_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("main.jsonl");
        let mut stopped = testing::failed();
        stopped.url = "https://stopped.test/".into();
        stopped.failure = Some(crate::results::Failure::new(
            FailureKind::Interrupted,
            "not checked: stopped",
        ));
        let lines: Vec<String> = [testing::passed(), testing::failed(), stopped]
            .iter()
            .map(|r| serde_json::to_string(&r.record()).unwrap())
            .collect();
        std::fs::write(&path, lines.join("\n")).unwrap();
        let baseline = Baseline::load(&path).unwrap();
        let mut again = testing::failed();
        baseline.judge(&mut again);
        assert_eq!(again.known, Some(true));
        let mut fixed = testing::passed();
        fixed.url = testing::failed().url;
        baseline.judge(&mut fixed);
        assert_eq!(
            fixed.known,
            Some(true),
            "a pass of a baseline failure is a fix"
        );
        for url in [
            "https://a.test/",
            "https://stopped.test/",
            "https://new.test/",
        ] {
            let mut result = testing::failed();
            result.url = url.into();
            baseline.judge(&mut result);
            assert_eq!(result.known, Some(false), "{url}");
        }
    }
}
