//! Running counts over every result, whether or not it was printed: the
//! stderr summary and the markdown report both read them. Memory stays fixed
//! however long the list: latencies go into a histogram, and only the first
//! few failures are kept.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::results::{CheckResult, FailureKind, Phases};
use crate::text::{format_elapsed, format_phase};

/// Failures listed again at the end of the summary.
pub(crate) const RECAP_LIMIT: usize = 20;

/// Running counts over every result, whether or not it was printed; shared
/// by the stderr summary and the markdown report.
pub(crate) struct Stats {
    pub(crate) total: u64,
    pub(crate) passed: u64,
    pub(crate) failed: u64,
    /// Passed only after a retry.
    pub(crate) flaky: u64,
    /// With `--baseline`: failures that failed in the baseline too, and
    /// passes of URLs that failed there (fixed).
    pub(crate) known_failed: u64,
    pub(crate) fixed: u64,
    /// Whether a baseline judged the results.
    pub(crate) has_baseline: bool,
    known_recap: Vec<CheckResult>,
    fixed_urls: Vec<String>,
    by_kind: BTreeMap<FailureKind, u64>,
    latency_us: Histogram<u64>,
    /// Each phase's durations (`Phases::timed` order), over the checks
    /// where it happened.
    phases_us: [Histogram<u64>; 5],
    recap: Vec<CheckResult>,
    recap_limit: usize,
    /// Per host (the first `HOSTS_COUNTED`, and up to as many more on their
    /// first timeout): checks that passed, and that timed out before any
    /// response; for the `--per-host` hint.
    hosts: HashMap<String, HostCounts>,
}

#[derive(Default)]
struct HostCounts {
    passed: u64,
    timed_out: u64,
}

/// Hosts whose counts are kept for the `--per-host` hint; later hosts are
/// counted only from a first timeout, up to twice this, so memory stays
/// fixed.
const HOSTS_COUNTED: usize = 4096;

/// Timeouts before any response, on a host where others passed, that make
/// the summary suggest `--per-host`.
const OVERLOAD_TIMEOUTS: u64 = 3;

impl Default for Stats {
    fn default() -> Self {
        Stats::keeping(RECAP_LIMIT)
    }
}

impl Stats {
    /// Counts that also keep the first `recap_limit` failures.
    pub(crate) fn keeping(recap_limit: usize) -> Self {
        Stats {
            total: 0,
            passed: 0,
            failed: 0,
            flaky: 0,
            known_failed: 0,
            fixed: 0,
            has_baseline: false,
            known_recap: Vec::new(),
            fixed_urls: Vec::new(),
            by_kind: BTreeMap::new(),
            latency_us: histogram(),
            phases_us: std::array::from_fn(|_| histogram()),
            recap: Vec::new(),
            recap_limit,
            hosts: HashMap::new(),
        }
    }

    pub(crate) fn add(&mut self, result: &CheckResult) {
        self.total += 1;
        if result.flaky() {
            self.flaky += 1;
        }
        self.has_baseline |= result.known.is_some();
        let known = result.known == Some(true);
        match &result.failure {
            None => {
                self.passed += 1;
                if known {
                    self.fixed += 1;
                    if self.fixed_urls.len() < self.recap_limit {
                        self.fixed_urls.push(result.url.clone());
                    }
                }
            }
            Some(failure) => {
                self.failed += 1;
                *self.by_kind.entry(failure.kind).or_default() += 1;
                let recap = if known {
                    self.known_failed += 1;
                    &mut self.known_recap
                } else {
                    &mut self.recap
                };
                // Lines a stop left unchecked are counted, not recapped.
                if !result.never_started() && recap.len() < self.recap_limit {
                    recap.push(result.clone());
                }
            }
        }
        let was_requested = !matches!(
            result.failure.as_ref().map(|f| f.kind),
            Some(FailureKind::InvalidInput | FailureKind::Interrupted)
        );
        if was_requested {
            record(&mut self.latency_us, result.elapsed);
            self.count_host(result);
        }
        for (histogram, (_, took)) in self.phases_us.iter_mut().zip(result.phases.timed()) {
            if let Some(took) = took {
                record(histogram, took);
            }
        }
    }

    /// `-v`: a small table of each phase's p50 and p95, over the checks
    /// where it happened (a reused connection has no connect or TLS).
    pub(crate) fn phase_table(&self) -> Vec<String> {
        let names = Phases::default().timed().map(|(name, _)| name);
        let rows: Vec<String> = names
            .iter()
            .zip(&self.phases_us)
            .filter(|(_, h)| !h.is_empty())
            .map(|(name, h)| {
                let at = |q| format_phase(Duration::from_micros(h.value_at_quantile(q)));
                format!("{name:<9}{:>9}{:>9}{:>8}", at(0.5), at(0.95), h.len())
            })
            .collect();
        if rows.is_empty() {
            return rows;
        }
        let mut table = vec![format!(
            "{:<9}{:>9}{:>9}{:>8}",
            "phase", "p50", "p95", "checks"
        )];
        table.extend(rows);
        table
    }

    fn count_host(&mut self, result: &CheckResult) {
        let timed_out = result.status.is_none()
            && result
                .failure
                .as_ref()
                .is_some_and(|f| f.kind == FailureKind::Timeout);
        if !timed_out && !result.ok() {
            return;
        }
        // Every pass counts, from the first: timeouts under load come last
        // (each waits out --timeout while the others pass), so counting
        // passes only after a host's first timeout missed nearly all.
        let Some(host) = authority(&result.url) else {
            return;
        };
        // Past HOSTS_COUNTED hosts, a new host is still taken in on its
        // first timeout (up to twice as many): a long list of hosts that
        // only pass must not hide one that starts timing out late.
        let room = match timed_out {
            true => 2 * HOSTS_COUNTED,
            false => HOSTS_COUNTED,
        };
        let full = self.hosts.len() >= room;
        let counts = match self.hosts.get_mut(host) {
            Some(counts) => counts,
            None if full => return,
            None => self.hosts.entry(host.to_string()).or_default(),
        };
        if timed_out {
            counts.timed_out += 1;
        } else {
            counts.passed += 1;
        }
    }

    /// The hosts where several checks timed out before any response while
    /// others passed: a server taking fewer connections at once than the
    /// run opened. Most timeouts first, at most `limit`.
    pub(crate) fn overloaded_hosts(&self, limit: usize) -> Vec<(&str, u64, u64)> {
        let mut hosts: Vec<(&str, u64, u64)> = self
            .hosts
            .iter()
            .filter(|(_, c)| c.timed_out >= OVERLOAD_TIMEOUTS && c.passed > 0)
            .map(|(host, c)| (host.as_str(), c.timed_out, c.passed))
            .collect();
        hosts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        hosts.truncate(limit);
        hosts
    }

    pub(crate) fn count(&self, kind: FailureKind) -> u64 {
        self.by_kind.get(&kind).copied().unwrap_or(0)
    }

    /// The first failures, in completion order (with a baseline: the first
    /// new failures).
    pub(crate) fn recap(&self) -> &[CheckResult] {
        &self.recap
    }

    /// Failures that count against the run: all of them, or with a baseline
    /// only the new ones.
    pub(crate) fn new_failed(&self) -> u64 {
        self.failed - self.known_failed
    }

    /// With a baseline: the first known failures.
    pub(crate) fn known_recap(&self) -> &[CheckResult] {
        &self.known_recap
    }

    /// With a baseline: the first URLs that failed there and pass now.
    pub(crate) fn fixed_urls(&self) -> &[String] {
        &self.fixed_urls
    }

    /// `status 2, timeout 1`: failures by kind, or `None` when none failed.
    pub(crate) fn kind_counts(&self) -> Option<String> {
        // In the order the kinds are declared (their `Ord`).
        // Lines a stop left unchecked are counted apart, not as failures.
        let kinds: Vec<String> = self
            .by_kind
            .iter()
            .filter(|(kind, _)| **kind != FailureKind::Interrupted)
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        (!kinds.is_empty()).then(|| kinds.join(", "))
    }

    /// `p50 12 ms, p95 40 ms, max 1.02 s` over the checks that made a
    /// request, or `None` when none did.
    pub(crate) fn latency_line(&self) -> Option<String> {
        if self.latency_us.is_empty() {
            return None;
        }
        let at = |q| format_elapsed(Duration::from_micros(self.latency_us.value_at_quantile(q)));
        Some(format!(
            "p50 {}, p95 {}, max {}",
            at(0.5),
            at(0.95),
            format_elapsed(Duration::from_micros(self.latency_us.max()))
        ))
    }
}

/// The `host:port` of a URL as written (`None` if it has no `://`), without
/// any user info: cheap enough for every result.
fn authority(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    Some(
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host),
    )
}

/// Three significant digits, growing as needed: a few KiB at most.
fn histogram() -> Histogram<u64> {
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 sigfigs is valid"))
}

/// Record `took` in microseconds (at least 1: the histogram's floor).
fn record(histogram: &mut Histogram<u64>, took: Duration) {
    let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
    let _ = histogram.record(us.max(1));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Failure;
    use crate::testing;

    fn on(host: &str, timed_out: bool) -> CheckResult {
        let mut result = testing::passed();
        result.url = format!("https://{host}/");
        if timed_out {
            result.status = None;
            result.failure = Some(Failure::new(FailureKind::Timeout, "timed out"));
        }
        result
    }

    #[test]
    fn a_host_that_times_out_after_the_counted_hosts_are_full_is_still_counted() {
        let mut stats = Stats::default();
        for i in 0..HOSTS_COUNTED {
            stats.add(&on(&format!("h{i}.test"), false));
        }
        // A new host that only passes is not taken in any more ...
        stats.add(&on("late-pass.test", false));
        // ... one that times out is, and its passes from then on count.
        for _ in 0..OVERLOAD_TIMEOUTS {
            stats.add(&on("late.test", true));
        }
        stats.add(&on("late.test", false));
        assert_eq!(
            stats.overloaded_hosts(3),
            [("late.test", OVERLOAD_TIMEOUTS, 1)]
        );
        assert_eq!(stats.hosts.len(), HOSTS_COUNTED + 1);
    }
}
