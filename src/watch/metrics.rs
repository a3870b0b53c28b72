//! `/metrics`: what the watcher knows, in the exposition format Prometheus
//! scrapes, kept by prometheus-client. Per URL (label `url`, password
//! masked): `urlcheck_up` (absent until the first verdict), the last
//! status, duration and check time, the certificate's expiry (https), and
//! checks by result; for the process: the check-duration histogram, checks
//! in flight, queue depth, schedule lag and skipped turns.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::results::{CheckResult, Health};

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric, and the registry that writes them out.
pub(crate) struct Metrics {
    registry: Registry,
    up: Family<Labels, Gauge>,
    last_status: Family<Labels, Gauge>,
    last_duration: Family<Labels, FloatGauge>,
    last_check: Family<Labels, FloatGauge>,
    cert_expiry: Family<Labels, FloatGauge>,
    checks: Family<Labels, Counter>,
    duration: Histogram,
    pub(crate) in_flight: Gauge,
    pub(crate) queue_depth: Gauge,
    lag: Histogram,
    skipped: Counter,
    /// Checks handed to the queue, and checks finished: in flight and queued
    /// is the difference.
    pub(crate) dispatched: AtomicU64,
    pub(crate) finished: AtomicU64,
}

fn url_labels(url: &str) -> Labels {
    vec![("url", url.to_string())]
}

fn seconds_since_epoch(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("urlcheck");
        let up = Family::<Labels, Gauge>::default();
        registry.register("up", "1 when the URL is up, 0 when it is down", up.clone());
        let last_status = Family::<Labels, Gauge>::default();
        registry.register(
            "last_status_code",
            "HTTP status of the last check (0: no response)",
            last_status.clone(),
        );
        let last_duration = Family::<Labels, FloatGauge>::default();
        registry.register_with_unit(
            "last_duration",
            "How long the last check took",
            Unit::Seconds,
            last_duration.clone(),
        );
        let last_check = Family::<Labels, FloatGauge>::default();
        registry.register_with_unit(
            "last_check_timestamp",
            "When the last check ended, in seconds since the Unix epoch",
            Unit::Seconds,
            last_check.clone(),
        );
        let cert_expiry = Family::<Labels, FloatGauge>::default();
        registry.register_with_unit(
            "cert_expiry_timestamp",
            "When the https certificate expires, in seconds since the Unix epoch",
            Unit::Seconds,
            cert_expiry.clone(),
        );
        let checks = Family::<Labels, Counter>::default();
        registry.register(
            "checks",
            "Checks by URL and result (ok or fail)",
            checks.clone(),
        );
        let duration = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register_with_unit(
            "check_duration",
            "How long checks take",
            Unit::Seconds,
            duration.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("in_flight", "Checks running now", in_flight.clone());
        let queue_depth = Gauge::default();
        registry.register(
            "queue_depth",
            "Checks waiting in the queue for a worker",
            queue_depth.clone(),
        );
        let lag = Histogram::new(exponential_buckets(0.001, 4.0, 10));
        registry.register_with_unit(
            "schedule_lag",
            "How late checks start after their turn, when the pool cannot keep up",
            Unit::Seconds,
            lag.clone(),
        );
        let skipped = Counter::default();
        registry.register(
            "checks_skipped",
            "Turns skipped because the URL's previous check was still running",
            skipped.clone(),
        );
        Metrics {
            registry,
            up,
            last_status,
            last_duration,
            last_check,
            cert_expiry,
            checks,
            duration,
            in_flight,
            queue_depth,
            lag,
            skipped,
            dispatched: AtomicU64::new(0),
            finished: AtomicU64::new(0),
        }
    }

    /// A check was handed to the queue `lag` seconds after its turn.
    pub(crate) fn dispatched(&self, lag: f64) {
        self.dispatched.fetch_add(1, Ordering::Relaxed);
        self.lag.observe(lag);
    }

    pub(crate) fn skipped(&self) {
        self.skipped.inc();
    }

    /// A check finished with `result`; the URL's health is now `health`.
    pub(crate) fn finished(&self, result: &CheckResult, health: Health) {
        self.finished.fetch_add(1, Ordering::Relaxed);
        let labels = url_labels(&result.url);
        let seconds = result.elapsed.as_secs_f64();
        self.duration.observe(seconds);
        self.last_duration.get_or_create(&labels).set(seconds);
        self.last_check
            .get_or_create(&labels)
            .set(seconds_since_epoch(SystemTime::now()));
        self.last_status
            .get_or_create(&labels)
            .set(result.status.map_or(0, i64::from));
        if let Some(expiry) = result
            .cert
            .as_ref()
            .and_then(|c| chrono::DateTime::parse_from_rfc3339(&c.not_after).ok())
        {
            // Whole seconds: certificates do not expire in fractions.
            #[allow(clippy::cast_precision_loss)]
            let at = expiry.timestamp() as f64;
            self.cert_expiry.get_or_create(&labels).set(at);
        }
        match health {
            Health::Up => self.up.get_or_create(&labels).set(1),
            Health::Down => self.up.get_or_create(&labels).set(0),
            Health::Unknown => 0,
        };
        let mut by_result = labels;
        by_result.push(("result", if result.ok() { "ok" } else { "fail" }.into()));
        self.checks.get_or_create(&by_result).inc();
    }

    /// A URL is no longer watched: its series go.
    pub(crate) fn forget(&self, url: &str) {
        let labels = url_labels(url);
        self.up.remove(&labels);
        self.last_status.remove(&labels);
        self.last_duration.remove(&labels);
        self.last_check.remove(&labels);
        self.cert_expiry.remove(&labels);
        for result in ["ok", "fail"] {
            let mut by_result = labels.clone();
            by_result.push(("result", result.into()));
            self.checks.remove(&by_result);
        }
    }

    /// The exposition text, with the queue's depth as it is now: OpenMetrics
    /// (what Prometheus asks for), or else the classic text format that
    /// older tools and `promtool check metrics` read.
    pub(crate) fn render(&self, queue_depth: u64, openmetrics: bool) -> String {
        let open = self
            .dispatched
            .load(Ordering::Relaxed)
            .saturating_sub(self.finished.load(Ordering::Relaxed));
        let depth = queue_depth.min(open);
        self.queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
        self.in_flight
            .set(i64::try_from(open - depth).unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        if openmetrics {
            text
        } else {
            classic_text(&text)
        }
    }
}

/// OpenMetrics as the classic Prometheus text format (0.0.4): a counter's
/// family is named with its `_total`, and there are no `# UNIT` or `# EOF`
/// lines.
fn classic_text(openmetrics: &str) -> String {
    let counters: Vec<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(&name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn a_finished_check_shows_in_every_url_series_and_forget_removes_them() {
        let metrics = Metrics::new();
        metrics.dispatched(0.002);
        let failed = testing::failed();
        metrics.finished(&failed, Health::Down);
        let text = metrics.render(0, true);
        let url = &failed.url;
        for line in [
            format!("urlcheck_up{{url=\"{url}\"}} 0"),
            format!("urlcheck_checks_total{{url=\"{url}\",result=\"fail\"}} 1"),
            "urlcheck_in_flight 0".to_string(),
            "urlcheck_checks_skipped_total 0".to_string(),
        ] {
            assert!(text.contains(&line), "no {line} in\n{text}");
        }
        assert!(
            text.contains("urlcheck_schedule_lag_seconds_bucket"),
            "{text}"
        );
        assert!(
            text.contains("urlcheck_check_duration_seconds_count 1"),
            "{text}"
        );
        metrics.forget(url);
        assert!(!metrics.render(0, true).contains(url.as_str()));
    }

    #[test]
    fn the_classic_format_names_counter_families_with_total_and_has_no_eof() {
        let metrics = Metrics::new();
        metrics.finished(&testing::passed(), Health::Up);
        let text = metrics.render(0, false);
        assert!(
            text.contains("# TYPE urlcheck_checks_total counter\n"),
            "{text}"
        );
        assert!(text.contains("# HELP urlcheck_checks_total "), "{text}");
        assert!(text.contains("# TYPE urlcheck_up gauge\n"), "{text}");
        assert!(
            !text.contains("# EOF") && !text.contains("# UNIT"),
            "{text}"
        );
        assert!(metrics.render(0, true).ends_with("# EOF\n"));
    }

    #[test]
    fn up_is_absent_until_the_first_verdict() {
        let metrics = Metrics::new();
        metrics.finished(&testing::passed(), Health::Unknown);
        let text = metrics.render(0, true);
        assert!(!text.contains("urlcheck_up{"), "{text}");
        assert!(text.contains("urlcheck_last_status_code{"), "{text}");
    }
}
