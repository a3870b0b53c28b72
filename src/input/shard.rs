//! `--shard K/N`: which lines this run checks when N runs share a list (a CI
//! matrix, GitLab `parallel:`, a Kubernetes Indexed Job).
//!
//! A line belongs to shard `xxh3_64(text) % N + 1`, where `text` is the URL
//! as written on the line: trimmed, comment removed, before its password is
//! masked (for a `[[check]]`, its `url` value before `${VAR}`s are
//! expanded; for a line that is not valid UTF-8, its bytes). XXH3 (64-bit,
//! seed 0) is a published, stable hash, so a URL lands in the same shard
//! whatever the order of the list, its other lines, the machine or the
//! urlcheck version; this rule never changes silently.

use xxhash_rust::xxh3::xxh3_64;

/// The shard key of a line's text.
pub(crate) fn key(text: &[u8]) -> u64 {
    xxh3_64(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Shard;

    #[test]
    fn shards_parse_as_k_of_n() {
        assert_eq!("2/8".parse(), Ok(Shard { index: 2, count: 8 }));
        assert_eq!("1/1".parse(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/8", "9/8", "8", "a/b", "1/0", "-1/3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert!(
            "0/4"
                .parse::<Shard>()
                .unwrap_err()
                .contains("CI_NODE_INDEX")
        );
    }

    #[test]
    fn the_hash_is_xxh3_64_and_never_changes() {
        // Published XXH3-64 values (seed 0): `xxhsum -H3` gives the same.
        assert_eq!(key(b""), 0x2d06_8005_38d3_94c2);
        assert_eq!(key(b"https://example.com/"), key(b"https://example.com/"));
        let shard = |text: &str| key(text.as_bytes()) % 8 + 1;
        // Pinned: a change here moves URLs between shards.
        let pinned: Vec<u64> = ["https://a.test/", "https://b.test/x", "not a url"]
            .iter()
            .map(|t| shard(t))
            .collect();
        assert_eq!(pinned, PINNED);
    }

    const PINNED: [u64; 3] = [3, 3, 2];

    #[test]
    fn every_line_is_in_exactly_one_shard_and_shards_are_balanced() {
        let count = 8;
        let mut sizes = [0u64; 8];
        for i in 0..100_000 {
            let key = key(format!("https://host{}.test/page/{i}", i % 97).as_bytes());
            let holders: Vec<u64> = (1..=count)
                .filter(|&index| Shard { index, count }.holds(key))
                .collect();
            assert_eq!(holders.len(), 1);
            sizes[(holders[0] - 1) as usize] += 1;
        }
        for size in sizes {
            let off = (size as f64 - 12_500.0).abs() / 12_500.0;
            assert!(off < 0.03, "{sizes:?}");
        }
    }
}
