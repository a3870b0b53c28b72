//! `--wait`: the URLs still being waited for, so that the progress bar can
//! say what the run is waiting on. A URL is on the board from its first
//! failed check until a check of it ends the wait.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::text::escape_control;

/// URLs currently being re-checked until they come up.
#[derive(Debug, Default)]
pub(crate) struct Waiting {
    urls: Mutex<BTreeMap<u64, String>>,
    next: AtomicU64,
}

impl Waiting {
    /// Put `url` on the board; the number takes it off (`leave`).
    pub(crate) fn enter(&self, url: &str) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, url.to_string());
        id
    }

    pub(crate) fn leave(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// `waiting for 2: https://a.test/, https://b.test/`, or `None`.
    pub(crate) fn describe(&self) -> Option<String> {
        const SHOWN: usize = 3;
        let urls = self.lock();
        if urls.is_empty() {
            return None;
        }
        let mut names: Vec<String> = urls
            .values()
            .take(SHOWN)
            .map(|u| escape_control(u).into_owned())
            .collect();
        if urls.len() > SHOWN {
            names.push("…".into());
        }
        Some(format!("waiting for {}: {}", urls.len(), names.join(", ")))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, String>> {
        self.urls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_what_is_waited_for_until_it_leaves() {
        let board = Waiting::default();
        assert_eq!(board.describe(), None);
        let a = board.enter("https://a.test/");
        let others: Vec<_> = ["b", "c", "d"]
            .iter()
            .map(|n| board.enter(&format!("https://{n}.test/")))
            .collect();
        assert_eq!(
            board.describe().unwrap(),
            "waiting for 4: https://a.test/, https://b.test/, https://c.test/, …"
        );
        others.into_iter().for_each(|id| board.leave(id));
        assert_eq!(board.describe().unwrap(), "waiting for 1: https://a.test/");
        board.leave(a);
        assert_eq!(board.describe(), None);
    }
}
