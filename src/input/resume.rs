//! `--resume FILE`: the lines an earlier run of the same inputs already has
//! a record for in FILE (its JSON Lines output, perhaps cut short by a crash
//! or a kill), so that they are not checked again:
//! `urlcheck -f jsonl --resume out.jsonl list.txt >> out.jsonl` ends with
//! exactly one record per input line.
//!
//! A line is matched by its source, line number and URL. Per source, a
//! fingerprint of the URL is kept for each line number (4 bytes a line, so
//! 10 million lines take 40 MB, in blocks of 4,096 lines); arguments, which
//! have no line, by URL.
//!
//! FILE is cut before it is appended to, at the first of: an incomplete
//! last line (a record cut by the kill), so that what is appended next
//! starts on a line of its own; and the first `interrupted` record (a run
//! stopped by a signal or `--deadline` records the lines it never checked,
//! at its end), so that those lines are checked now and each line keeps
//! one record. What is cut is checked again.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::path::Path;

use anyhow::{Context, bail};
use xxhash_rust::xxh3::xxh3_64;

use super::Job;
use super::records::{self, RecordLine};
use crate::config::RecordsFrom;
use crate::results::{FailureKind, Source};

/// Lines per block of fingerprints.
const BLOCK: u64 = 4096;

/// What FILE says is done.
#[derive(Debug, Default)]
pub(crate) struct AlreadyChecked {
    file: String,
    /// Per source name, per block of 4,096 lines: the URL fingerprint of
    /// each line done (0: not done).
    lines: HashMap<String, HashMap<u64, Box<[u32]>>>,
    /// Arguments done, by URL, with how many times.
    args: HashMap<String, u32>,
    /// Records read.
    pub(crate) records: u64,
    /// Where FILE is to be cut, and why: what comes after is checked again.
    pub(crate) cut: Option<Cut>,
}

/// Where to cut the resumed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cut {
    pub(crate) at: u64,
    pub(crate) why: CutWhy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CutWhy {
    /// A last line cut short.
    Incomplete,
    /// The lines a stopped run never checked, and what followed them.
    Interrupted,
}

/// Never 0, which marks a line not done.
fn fingerprint(url: &str) -> u32 {
    (xxh3_64(url.as_bytes()) as u32) | 1
}

impl AlreadyChecked {
    /// Read FILE.
    pub(crate) fn load(path: &Path) -> anyhow::Result<AlreadyChecked> {
        let mut records = records::open(&RecordsFrom::File(path.to_path_buf()), "--resume")?;
        let mut done = AlreadyChecked {
            file: path.display().to_string(),
            ..AlreadyChecked::default()
        };
        while let Some(line) = records.next_record()? {
            let record = match line {
                RecordLine::Record(record) => record,
                RecordLine::Incomplete => {
                    done.cut = Some(Cut {
                        at: records.offset(),
                        why: CutWhy::Incomplete,
                    });
                    break;
                }
            };
            if record.kind() == Some(FailureKind::Interrupted.as_str()) {
                done.cut = Some(Cut {
                    at: records.offset(),
                    why: CutWhy::Interrupted,
                });
                break;
            }
            done.records += 1;
            match record.line {
                None => *done.args.entry(record.url).or_default() += 1,
                Some(0) => bail!(
                    "{}:{}: line 0 is not a line number",
                    records.name(),
                    records.line_number()
                ),
                Some(line) => {
                    let (block, slot) = ((line - 1) / BLOCK, (line - 1) % BLOCK);
                    let block = done
                        .lines
                        .entry(record.source)
                        .or_default()
                        .entry(block)
                        .or_insert_with(|| vec![0; BLOCK as usize].into_boxed_slice());
                    block[slot as usize] = fingerprint(&record.url);
                }
            }
        }
        Ok(done)
    }

    /// Cut FILE where `load` found it must be (a no-op if nowhere); say so.
    pub(crate) fn cut_file(&self, path: &Path) -> anyhow::Result<()> {
        let Some(cut) = self.cut else {
            return Ok(());
        };
        let what = || {
            format!(
                "cannot cut --resume file {} to append to it",
                path.display()
            )
        };
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(what)?;
        let len = file.metadata().with_context(what)?.len();
        file.set_len(cut.at.min(len)).with_context(what)?;
        let dropped = len.saturating_sub(cut.at);
        let why = match cut.why {
            CutWhy::Incomplete => "its incomplete last line",
            CutWhy::Interrupted => "the records of lines a stopped run never checked, and on",
        };
        crate::diag::note(format_args!(
            "--resume: dropped {why} ({dropped} bytes) from {}; those lines are checked again",
            path.display()
        ));
        Ok(())
    }

    /// Say so when stdout is FILE itself, opened with `>` rather than `>>`:
    /// the shell emptied it before urlcheck started, so the records of the
    /// run to resume are gone and every line is checked again. Said, not
    /// refused: the file still ends with one record per line.
    pub(crate) fn warn_if_stdout_emptied(path: &Path) {
        if stdout_emptied(path) {
            crate::diag::warning(format_args!(
                "stdout is the --resume file {path}, opened with > which empties it: \
                 whatever records it held are gone, so every line is checked again; \
                 append instead, so that a later --resume can pick up: >> {path}",
                path = path.display()
            ));
        }
    }

    /// An error if FILE has records of sources that are not among `sources`
    /// (this run's inputs): it is from another run.
    pub(crate) fn check_sources<'a>(
        &self,
        sources: impl IntoIterator<Item = &'a str>,
    ) -> anyhow::Result<()> {
        let sources: Vec<&str> = sources.into_iter().collect();
        let mut foreign: Vec<&str> = self
            .lines
            .keys()
            .map(String::as_str)
            .filter(|s| !sources.contains(s))
            .collect();
        foreign.sort_unstable();
        if let Some(first) = foreign.first() {
            bail!(
                "--resume file {} has records of {first}, which is not an input of this run: \
                 it is the output of other inputs; give the same inputs, or a new output file",
                self.file
            );
        }
        Ok(())
    }

    /// Whether `job` already has a record (then it is not checked again);
    /// an error if its line has a record for another URL.
    pub(crate) fn take(&mut self, job: &Job) -> Result<bool, String> {
        let Some(line) = job.origin.line else {
            return Ok(match self.args.get_mut(&job.url) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            });
        };
        let source = match &job.origin.source {
            Source::Stdin => "-",
            other => other.name(),
        };
        let Some(blocks) = self.lines.get(source) else {
            return Ok(false);
        };
        let (block, slot) = (
            line.saturating_sub(1) / BLOCK,
            line.saturating_sub(1) % BLOCK,
        );
        let print = blocks.get(&block).map(|b| b[slot as usize]);
        match print {
            None | Some(0) => Ok(false),
            Some(print) if print == fingerprint(&job.url) => Ok(true),
            Some(_) => Err(format!(
                "--resume file {} has a record for {} with another URL than {}: \
                 the input changed since, or the file is from other inputs; give the \
                 inputs it came from, or start a new output file",
                self.file, job.origin, job.url
            )),
        }
    }
}

/// Whether stdout is the file at `path`, empty, and not opened to append:
/// what `> FILE` leaves (`>> FILE` opens it to append; a first run's
/// `>>` finds it empty too, and is right).
#[cfg(unix)]
fn stdout_emptied(path: &Path) -> bool {
    use rustix::fs::{OFlags, fcntl_getfl, fstat, stat};
    use std::os::fd::AsFd;
    let stdout = std::io::stdout();
    let (Ok(out), Ok(file)) = (fstat(stdout.as_fd()), stat(path)) else {
        return false;
    };
    let same = (out.st_dev, out.st_ino) == (file.st_dev, file.st_ino);
    same && file.st_size == 0
        && fcntl_getfl(stdout.as_fd()).is_ok_and(|flags| !flags.contains(OFlags::APPEND))
}

#[cfg(not(unix))]
fn stdout_emptied(_path: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Origin;
    use std::sync::Arc;

    fn job(url: &str, source: &str, line: Option<u64>) -> Job {
        let origin = Origin {
            source: if line.is_some() {
                Source::File(source.into())
            } else {
                Source::Arg
            },
            line,
        };
        Job::new(url, origin, Arc::default())
    }

    fn record(url: &str, source: &str, line: Option<u64>) -> String {
        let mut result = crate::testing::passed();
        result.url = url.into();
        result.origin = job(url, source, line).origin;
        serde_json::to_string(&result.record()).unwrap()
    }

    #[test]
    fn done_lines_are_matched_by_source_line_and_url() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let text = [
            record("https://a.test/", "u.txt", Some(1)),
            record("https://b.test/", "u.txt", Some(3)),
            record("https://arg.test/", "arg", None),
        ]
        .join("\n");
        std::fs::write(&path, format!("{text}\n")).unwrap();
        let mut done = AlreadyChecked::load(&path).unwrap();
        assert_eq!(done.records, 3);
        assert_eq!(
            done.take(&job("https://a.test/", "u.txt", Some(1))),
            Ok(true)
        );
        assert_eq!(
            done.take(&job("https://c.test/", "u.txt", Some(2))),
            Ok(false)
        );
        assert_eq!(
            done.take(&job("https://a.test/", "v.txt", Some(1))),
            Ok(false)
        );
        assert!(
            done.take(&job("https://x.test/", "u.txt", Some(3)))
                .is_err()
        );
        assert_eq!(done.take(&job("https://arg.test/", "", None)), Ok(true));
        // The argument was done once: given twice, the second is checked.
        assert_eq!(done.take(&job("https://arg.test/", "", None)), Ok(false));
        assert!(done.check_sources(["u.txt"]).is_ok());
        let err = done.check_sources(["w.txt"]).unwrap_err().to_string();
        assert!(err.contains("records of u.txt"), "{err}");
    }

    #[test]
    fn an_incomplete_last_line_is_dropped_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let whole = record("https://a.test/", "u.txt", Some(1));
        let cut = &record("https://b.test/", "u.txt", Some(2))[..30];
        std::fs::write(&path, format!("{whole}\n{cut}")).unwrap();
        let mut done = AlreadyChecked::load(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap().len(),
            whole.len() + 31
        );
        done.cut_file(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{whole}\n")
        );
        assert_eq!(
            done.take(&job("https://b.test/", "u.txt", Some(2))),
            Ok(false)
        );
        // A text file that is not records is never cut.
        std::fs::write(&path, "https://a.test/").unwrap();
        assert!(AlreadyChecked::load(&path).is_err());
    }

    #[test]
    fn lines_a_stopped_run_never_checked_are_cut_and_checked_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let first = record("https://a.test/", "u.txt", Some(1));
        let mut stopped = crate::testing::failed();
        stopped.url = "https://b.test/".into();
        stopped.origin = job("https://b.test/", "u.txt", Some(2)).origin;
        stopped.failure = Some(crate::results::Failure::new(
            FailureKind::Interrupted,
            "not checked: stopped",
        ));
        let stopped = serde_json::to_string(&stopped.record()).unwrap();
        let after = record("https://c.test/", "u.txt", Some(3));
        std::fs::write(&path, format!("{first}\n{stopped}\n{after}\n")).unwrap();
        let mut done = AlreadyChecked::load(&path).unwrap();
        done.cut_file(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{first}\n")
        );
        assert_eq!(
            done.take(&job("https://a.test/", "u.txt", Some(1))),
            Ok(true)
        );
        assert_eq!(
            done.take(&job("https://b.test/", "u.txt", Some(2))),
            Ok(false)
        );
        assert_eq!(
            done.take(&job("https://c.test/", "u.txt", Some(3))),
            Ok(false)
        );
    }

    #[test]
    fn a_huge_line_number_costs_one_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(
            &path,
            record("https://a.test/", "u.txt", Some(u64::MAX)) + "\n",
        )
        .unwrap();
        let mut done = AlreadyChecked::load(&path).unwrap();
        assert_eq!(
            done.take(&job("https://a.test/", "u.txt", Some(u64::MAX))),
            Ok(true)
        );
    }
}
