//! `--replay` as a merge: what the records given say about how they were
//! put together. A line's record twice (the same shard's output given
//! twice, a shard run again and appended to its file) is an error, or with
//! `--keep-last` only the last one is kept; and when the records name their
//! shard, a shard none of them came from is missing.
//!
//! Memory stays lean: a line is known by a 64-bit fingerprint of its
//! source, line number and URL (8 bytes, about 20 with the hash table's
//! room, per record), never by its text. Records of arguments have no line
//! and are never duplicates: an argument given twice is checked twice.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};

use xxhash_rust::xxh3::xxh3_64;

use crate::results::{CheckResult, Shard};

/// Records per shard, on average, from which a shard with none is surely
/// missing rather than empty: a shard has no line of R records over N
/// shards with odds (1 - 1/N)^R, below 1 in 1,000 from R = 7N.
const RECORDS_PER_SHARD_FOR_CERTAINTY: u64 = 7;

/// The key of a record's line: source, line number and URL.
fn fingerprint(result: &CheckResult, buffer: &mut Vec<u8>) -> Option<u64> {
    let line = result.origin.line?;
    buffer.clear();
    buffer.extend_from_slice(result.origin.source.name().as_bytes());
    // A byte no source name holds in UTF-8 keeps the parts apart.
    buffer.push(0xff);
    buffer.extend_from_slice(&line.to_le_bytes());
    buffer.extend_from_slice(result.url.as_bytes());
    Some(xxh3_64(buffer))
}

/// What to do with a record of a line already seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Duplicates {
    /// Stop with an error naming it.
    Refuse,
    /// Keep the last record of each line (`--keep-last`): the records are
    /// read twice, first to count.
    KeepLast,
}

/// Counts of each line's records, from a first reading (`--keep-last`).
#[derive(Debug, Default)]
pub(crate) struct LineCounts {
    counts: HashMap<u64, u32>,
    buffer: Vec<u8>,
}

impl LineCounts {
    pub(crate) fn count(&mut self, result: &CheckResult) {
        if let Some(key) = fingerprint(result, &mut self.buffer) {
            let n = self.counts.entry(key).or_default();
            *n = n.saturating_add(1);
        }
    }
}

/// What a merge has seen so far.
#[derive(Debug)]
pub(crate) struct Merge {
    duplicates: Duplicates,
    /// Lines seen (`Refuse`).
    seen: HashSet<u64>,
    /// Records of each line still to come (`KeepLast`).
    to_come: HashMap<u64, u32>,
    buffer: Vec<u8>,
    /// The first record's shard (`Some(None)`: it named none): every
    /// record must be of the same split.
    first: Option<Option<Shard>>,
    /// The shards records named.
    shards: BTreeSet<Shard>,
    records: u64,
    /// Records left out for a later one of the same line.
    pub(crate) dropped: u64,
}

/// What a merge found wrong with its records as a whole.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Coverage {
    /// Every shard of N is there, or the records name none.
    Whole,
    /// Shards none of the records came from, and whether so many records
    /// came from the others that an empty shard is unlikely.
    Missing { shards: Vec<Shard>, surely: bool },
}

impl Merge {
    /// A merge refusing duplicates, or keeping the last of each line as
    /// `counts` (a first reading) tells.
    pub(crate) fn new(counts: Option<LineCounts>) -> Self {
        let (duplicates, to_come) = match counts {
            Some(counts) => (Duplicates::KeepLast, counts.counts),
            None => (Duplicates::Refuse, HashMap::new()),
        };
        Merge {
            duplicates,
            seen: HashSet::new(),
            to_come,
            buffer: Vec::new(),
            first: None,
            shards: BTreeSet::new(),
            records: 0,
            dropped: 0,
        }
    }

    /// Take `result` in: `Ok(true)` to keep it, `Ok(false)` when a later
    /// record of its line is kept instead, an error message when a line's
    /// record comes twice and duplicates are refused.
    pub(crate) fn admit(&mut self, result: &CheckResult) -> Result<bool, String> {
        self.same_split(result.shard)?;
        let Some(key) = fingerprint(result, &mut self.buffer) else {
            self.count_shard(result);
            return Ok(true);
        };
        let keep = match self.duplicates {
            Duplicates::Refuse if !self.seen.insert(key) => {
                return Err(format!(
                    "a second record of {} {}: the same output given twice, or a run of the \
                     same lines appended to another's? Give each output once, or --keep-last \
                     to keep the last record of each line",
                    result.origin, result.url
                ));
            }
            Duplicates::Refuse => true,
            Duplicates::KeepLast => match self.to_come.entry(key) {
                Entry::Occupied(mut left) if *left.get() > 1 => {
                    *left.get_mut() -= 1;
                    false
                }
                Entry::Occupied(last) => {
                    last.remove();
                    true
                }
                // Not counted: the input changed between the readings.
                Entry::Vacant(_) => true,
            },
        };
        if keep {
            self.count_shard(result);
        } else {
            self.dropped += 1;
        }
        Ok(keep)
    }

    /// An error message when `shard` is not of the split of the first
    /// record: outputs of different runs are mixed.
    fn same_split(&mut self, shard: Option<Shard>) -> Result<(), String> {
        let first = *self.first.get_or_insert(shard);
        match (first, shard) {
            (Some(first), Some(shard)) if first.count != shard.count => Err(format!(
                "records came from shard {first} and from shard {shard}: the outputs of runs \
                 split {} and {} ways are mixed; merge the shards of one run",
                first.count, shard.count
            )),
            (Some(first), None) => Err(format!(
                "a record that names no shard after records from shard {first}: the outputs \
                 of runs with and without --shard are mixed; merge the shards of one run"
            )),
            (None, Some(shard)) => Err(format!(
                "a record from shard {shard} after records that name none: the outputs of \
                 runs with and without --shard are mixed; merge the shards of one run"
            )),
            _ => Ok(()),
        }
    }

    fn count_shard(&mut self, result: &CheckResult) {
        self.records += 1;
        if let Some(shard) = result.shard {
            self.shards.insert(shard);
        }
    }

    /// After the last record: whether a shard is missing.
    pub(crate) fn coverage(&self) -> Coverage {
        let Some(first) = self.shards.first() else {
            return Coverage::Whole;
        };
        let count = first.count;
        let missing: Vec<Shard> = (1..=count)
            .map(|index| Shard { index, count })
            .filter(|shard| !self.shards.contains(shard))
            .collect();
        if missing.is_empty() {
            return Coverage::Whole;
        }
        let surely = self.records >= RECORDS_PER_SHARD_FOR_CERTAINTY.saturating_mul(count);
        Coverage::Missing {
            shards: missing,
            surely,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Origin, Source};
    use crate::testing;

    fn record(line: Option<u64>, url: &str, shard: Option<(u64, u64)>) -> CheckResult {
        let mut result = testing::passed();
        result.url = url.into();
        result.origin = Origin {
            source: match line {
                Some(_) => Source::File("urls.txt".into()),
                None => Source::Arg,
            },
            line,
        };
        result.shard = shard.map(|(index, count)| Shard { index, count });
        result
    }

    #[test]
    fn a_line_twice_is_refused_naming_it() {
        let mut merge = Merge::new(None);
        let a = record(Some(3), "https://a.test/", None);
        assert_eq!(merge.admit(&a), Ok(true));
        // Another line, or another URL on the line: not the same record.
        assert_eq!(
            merge.admit(&record(Some(4), "https://a.test/", None)),
            Ok(true)
        );
        assert_eq!(
            merge.admit(&record(Some(3), "https://b.test/", None)),
            Ok(true)
        );
        let err = merge.admit(&a).unwrap_err();
        assert!(
            err.starts_with("a second record of urls.txt:3 https://a.test/:"),
            "{err}"
        );
        // An argument given twice is two records.
        let arg = record(None, "https://a.test/", None);
        assert_eq!(merge.admit(&arg), Ok(true));
        assert_eq!(merge.admit(&arg), Ok(true));
    }

    #[test]
    fn keep_last_keeps_only_the_last_record_of_each_line() {
        let first = record(Some(1), "https://a.test/", None);
        let mut second = first.clone();
        second.status = Some(503);
        let other = record(Some(2), "https://a.test/", None);
        let mut counts = LineCounts::default();
        for r in [&first, &other, &second] {
            counts.count(r);
        }
        let mut merge = Merge::new(Some(counts));
        let kept: Vec<bool> = [&first, &other, &second]
            .iter()
            .map(|r| merge.admit(r).unwrap())
            .collect();
        assert_eq!(kept, [false, true, true]);
        assert_eq!(merge.dropped, 1);
    }

    #[test]
    fn a_missing_shard_is_found_and_sure_with_enough_records() {
        let mut merge = Merge::new(None);
        for line in 1..=40 {
            let shard = [(1, 4), (2, 4), (4, 4)][line as usize % 3];
            merge
                .admit(&record(Some(line), "https://a.test/", Some(shard)))
                .unwrap();
        }
        assert_eq!(
            merge.coverage(),
            Coverage::Missing {
                shards: vec![Shard { index: 3, count: 4 }],
                surely: true
            }
        );
        // Fewer than 7 records a shard: an empty shard is likely enough.
        let mut few = Merge::new(None);
        for line in 1..=5 {
            few.admit(&record(Some(line), "https://a.test/", Some((1, 2))))
                .unwrap();
        }
        assert!(matches!(
            few.coverage(),
            Coverage::Missing { surely: false, .. }
        ));
        // No shard named: nothing to say.
        let mut plain = Merge::new(None);
        plain
            .admit(&record(Some(1), "https://a.test/", None))
            .unwrap();
        assert_eq!(plain.coverage(), Coverage::Whole);
    }

    #[test]
    fn shards_of_different_runs_are_refused_at_the_record() {
        let mut merge = Merge::new(None);
        merge
            .admit(&record(Some(1), "https://a.test/", Some((1, 2))))
            .unwrap();
        let err = merge
            .admit(&record(Some(2), "https://a.test/", Some((2, 4))))
            .unwrap_err();
        assert!(err.contains("split 2 and 4 ways"), "{err}");
        let err = merge
            .admit(&record(Some(3), "https://a.test/", None))
            .unwrap_err();
        assert!(err.starts_with("a record that names no shard"), "{err}");
        let mut plain = Merge::new(None);
        plain
            .admit(&record(Some(1), "https://a.test/", None))
            .unwrap();
        let err = plain
            .admit(&record(Some(2), "https://a.test/", Some((1, 1))))
            .unwrap_err();
        assert!(err.starts_with("a record from shard 1/1 after"), "{err}");
    }
}
