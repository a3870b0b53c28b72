//! When each URL is checked: the first round spread evenly over its
//! interval (no herd of checks at second 0), then every interval after, on
//! the same phase. A turn that comes while the URL's last check still runs
//! is skipped; a turn the pool could not start in time starts late, and the
//! next keeps the phase (turns that passed meanwhile are not made up).
//!
//! Each URL is in the heap at most once, so memory stays flat however long
//! the watch runs and however far behind the pool falls.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// The URLs' next turns, soonest first.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    heap: BinaryHeap<Reverse<(Instant, u64, String)>>,
    seq: u64,
}

impl Schedule {
    /// Put `key`'s next turn at `due`.
    pub(crate) fn add(&mut self, key: String, due: Instant) {
        self.seq += 1;
        self.heap.push(Reverse((due, self.seq, key)));
    }

    /// When the soonest turn is.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((due, _, _))| *due)
    }

    /// The soonest turn, if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(String, Instant)> {
        if self.next_due()? > now {
            return None;
        }
        self.heap.pop().map(|Reverse((due, _, key))| (key, due))
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

/// The first turn of URL `index` of `count`: spread over the interval.
pub(crate) fn first_turn(
    start: Instant,
    interval: Duration,
    index: usize,
    count: usize,
) -> Instant {
    let share = index as f64 / count.max(1) as f64;
    start + interval.mul_f64(share)
}

/// The turn after the one due at `due`, on the same phase, and after `now`.
pub(crate) fn next_turn(due: Instant, interval: Duration, now: Instant) -> Instant {
    let next = due + interval;
    if next > now {
        return next;
    }
    let behind = now.saturating_duration_since(due).as_nanos();
    let step = interval.as_nanos().max(1);
    let turns = u32::try_from(behind / step + 1).unwrap_or(u32::MAX);
    due + interval.saturating_mul(turns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_round_is_spread_over_the_interval() {
        let start = Instant::now();
        let interval = Duration::from_secs(10);
        let turns: Vec<Duration> = (0..4)
            .map(|i| first_turn(start, interval, i, 4) - start)
            .collect();
        assert_eq!(
            turns,
            [0, 2500, 5000, 7500].map(Duration::from_millis).to_vec()
        );
    }

    #[test]
    fn later_turns_keep_the_phase_and_never_make_up_missed_ones() {
        let start = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(next_turn(start, s(10), start + s(3)), start + s(10));
        // 25 s late: the turns at 10 and 20 are gone, the next is at 30.
        assert_eq!(next_turn(start, s(10), start + s(25)), start + s(30));
        assert_eq!(next_turn(start, s(10), start + s(30)), start + s(40));
    }

    #[test]
    fn turns_come_out_soonest_first_and_only_when_due() {
        let start = Instant::now();
        let mut schedule = Schedule::default();
        schedule.add("b".into(), start + Duration::from_secs(2));
        schedule.add("a".into(), start + Duration::from_secs(1));
        assert_eq!(schedule.pop_due(start), None);
        assert_eq!(schedule.next_due(), Some(start + Duration::from_secs(1)));
        let now = start + Duration::from_secs(5);
        assert_eq!(schedule.pop_due(now).map(|t| t.0), Some("a".to_string()));
        assert_eq!(schedule.pop_due(now).map(|t| t.0), Some("b".to_string()));
        assert_eq!(schedule.len(), 0);
    }
}
