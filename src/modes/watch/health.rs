//! A URL's health as the watcher sees it: unknown until its first verdict,
//! then up or down, changing only after `--down-after` failed checks in a
//! row (or `--up-after` passed ones), so one flap is not an event.

use std::time::{Duration, Instant, SystemTime};

use crate::results::Health;

/// One URL's health and the streak that may change it.
#[derive(Debug, Clone)]
pub(crate) struct Tracker {
    health: Health,
    since: Instant,
    /// `since` on the wall clock, for `/status`.
    since_wall: SystemTime,
    fails: u32,
    passes: u32,
}

/// A change of health: to what, from what, and how long that lasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) health: Health,
    pub(crate) previous: Health,
    pub(crate) previous_for: Duration,
}

/// How many checks in a row change a URL's health.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Streaks {
    pub(crate) down_after: u32,
    pub(crate) up_after: u32,
}

impl Tracker {
    pub(crate) fn new(now: Instant) -> Self {
        Tracker {
            health: Health::Unknown,
            since: now,
            since_wall: SystemTime::now(),
            fails: 0,
            passes: 0,
        }
    }

    pub(crate) fn health(&self) -> Health {
        self.health
    }

    pub(crate) fn since_wall(&self) -> SystemTime {
        self.since_wall
    }

    /// Count one check; the change it makes, if it makes one.
    pub(crate) fn observe(&mut self, ok: bool, now: Instant, streaks: Streaks) -> Option<Change> {
        let next = if ok {
            self.passes = self.passes.saturating_add(1);
            self.fails = 0;
            (self.passes >= streaks.up_after).then_some(Health::Up)
        } else {
            self.fails = self.fails.saturating_add(1);
            self.passes = 0;
            (self.fails >= streaks.down_after).then_some(Health::Down)
        };
        let health = next.filter(|&h| h != self.health)?;
        let change = Change {
            health,
            previous: self.health,
            previous_for: now.saturating_duration_since(self.since),
        };
        self.health = health;
        self.since = now;
        self.since_wall = SystemTime::now();
        Some(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: Streaks = Streaks {
        down_after: 1,
        up_after: 1,
    };

    fn run(streaks: Streaks, checks: &str) -> Vec<(usize, Health)> {
        let start = Instant::now();
        let mut tracker = Tracker::new(start);
        checks
            .chars()
            .enumerate()
            .filter_map(|(i, c)| {
                let now = start + Duration::from_secs(i as u64);
                tracker
                    .observe(c == '+', now, streaks)
                    .map(|ch| (i, ch.health))
            })
            .collect()
    }

    #[test]
    fn the_first_verdict_and_every_change_are_events() {
        assert_eq!(
            run(ONE, "++-+--+"),
            vec![
                (0, Health::Up),
                (2, Health::Down),
                (3, Health::Up),
                (4, Health::Down),
                (6, Health::Up)
            ]
        );
    }

    #[test]
    fn streaks_hold_back_a_flap() {
        let streaks = Streaks {
            down_after: 3,
            up_after: 2,
        };
        // Up after 2 passes; a single or double failure is no event; three
        // in a row are; then two passes bring it back.
        assert_eq!(
            run(streaks, "++-+--+---+-++"),
            vec![(1, Health::Up), (9, Health::Down), (13, Health::Up)]
        );
    }

    #[test]
    fn a_change_says_how_long_the_previous_health_lasted() {
        let start = Instant::now();
        let mut tracker = Tracker::new(start);
        let first = tracker.observe(true, start + Duration::from_secs(2), ONE);
        assert_eq!(
            first,
            Some(Change {
                health: Health::Up,
                previous: Health::Unknown,
                previous_for: Duration::from_secs(2)
            })
        );
        let down = tracker.observe(false, start + Duration::from_secs(62), ONE);
        assert_eq!(down.map(|c| c.previous_for), Some(Duration::from_secs(60)));
        assert_eq!(tracker.health(), Health::Down);
    }
}
