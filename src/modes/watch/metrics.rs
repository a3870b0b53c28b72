//! `/metrics`: what the watcher knows, in the exposition format Prometheus
//! scrapes, kept by prometheus-client. Per URL (label `url`, password
//! masked): `urlcheck_up` (absent until the first verdict), the last
//! status, duration and check time, the certificate's expiry (https), and
//! checks by result; for the process: the check-duration histogram, checks
//! in flight, queue depth, schedule lag and skipped turns.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

/// One URL's series (see `Metrics::series`).
pub(crate) struct UrlSeries {
    labels: Labels,
    last_status: Gauge,
    last_duration: FloatGauge,
    last_check: FloatGauge,
    ok: Counter,
    fail: Counter,
    up: Option<Gauge>,
    cert_expiry: Option<FloatGauge>,
}

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
    /// The size of the last exposition, to size the next one at once.
    rendered: AtomicUsize,
}

fn url_labels(url: &str, name: Option<&str>) -> Labels {
    let mut labels = vec![("url", url.to_string())];
    if let Some(name) = name {
        labels.push(("name", name.to_string()));
    }
    labels
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
        let lag = Histogram::new(exponential_buckets(0.001, 2.0, 16));
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
            rendered: AtomicUsize::new(0),
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

    /// The series of one URL, made once and kept with it, so that a check
    /// costs a few atomic stores, not a lookup per series.
    pub(crate) fn series(&self, url: &str, name: Option<&str>) -> UrlSeries {
        let labels = url_labels(url, name);
        let by_result = |result: &str| {
            let mut labels = labels.clone();
            labels.push(("result", result.into()));
            self.checks.get_or_create_owned(&labels)
        };
        UrlSeries {
            last_status: self.last_status.get_or_create_owned(&labels),
            last_duration: self.last_duration.get_or_create_owned(&labels),
            last_check: self.last_check.get_or_create_owned(&labels),
            ok: by_result("ok"),
            fail: by_result("fail"),
            up: None,
            cert_expiry: None,
            labels,
        }
    }

    /// A check finished with `result`; the URL's health is now `health`.
    pub(crate) fn finished(&self, series: &mut UrlSeries, result: &CheckResult, health: Health) {
        self.finished.fetch_add(1, Ordering::Relaxed);
        let seconds = result.elapsed.as_secs_f64();
        self.duration.observe(seconds);
        series.last_duration.set(seconds);
        series
            .last_check
            .set(seconds_since_epoch(SystemTime::now()));
        series.last_status.set(result.status.map_or(0, i64::from));
        if let Some(expiry) = result
            .cert
            .as_ref()
            .and_then(|c| chrono::DateTime::parse_from_rfc3339(&c.not_after).ok())
        {
            // Whole seconds: certificates do not expire in fractions.
            #[allow(clippy::cast_precision_loss)]
            let at = expiry.timestamp() as f64;
            let labels = &series.labels;
            series
                .cert_expiry
                .get_or_insert_with(|| self.cert_expiry.get_or_create_owned(labels))
                .set(at);
        }
        // Absent until the first verdict.
        if health != Health::Unknown {
            let labels = &series.labels;
            series
                .up
                .get_or_insert_with(|| self.up.get_or_create_owned(labels))
                .set(i64::from(health == Health::Up));
        }
        if result.ok() {
            series.ok.inc();
        } else {
            series.fail.inc();
        }
    }

    /// A URL is no longer watched: its series go.
    pub(crate) fn forget(&self, series: &UrlSeries) {
        let labels = &series.labels;
        self.up.remove(labels);
        self.last_status.remove(labels);
        self.last_duration.remove(labels);
        self.last_check.remove(labels);
        self.cert_expiry.remove(labels);
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
        let mut text = String::with_capacity(self.rendered.load(Ordering::Relaxed) + 4096);
        // Writing into a String cannot fail.
        let _ = if openmetrics {
            encode(&mut text, &self.registry)
        } else {
            let mut classic = Classic {
                out: &mut text,
                line: String::new(),
                help: None,
            };
            encode(&mut classic, &self.registry)
        };
        self.rendered.store(text.len(), Ordering::Relaxed);
        text
    }
}

/// Writes OpenMetrics as the classic Prometheus text format (0.0.4), line
/// by line as it is encoded: a counter's family is named with its `_total`,
/// and there are no `# UNIT` or `# EOF` lines.
struct Classic<'a> {
    out: &'a mut String,
    line: String,
    /// A `# HELP` line, held until the `# TYPE` line says whether it is a
    /// counter's.
    help: Option<String>,
}

impl Classic<'_> {
    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let help = self.help.take();
            match rest.strip_suffix(" counter") {
                Some(name) => {
                    if let Some(help) = help
                        .as_deref()
                        .and_then(|h| h.strip_prefix("# HELP "))
                        .and_then(|h| h.split_once(' '))
                    {
                        self.out
                            .push_str(&format!("# HELP {name}_total {}\n", help.1));
                    }
                    self.out.push_str(&format!("# TYPE {name}_total counter\n"));
                }
                None => {
                    if let Some(help) = help {
                        self.out.push_str(&help);
                        self.out.push('\n');
                    }
                    self.out.push_str(&line);
                    self.out.push('\n');
                }
            }
        } else if line.starts_with("# HELP ") {
            self.help = Some(line);
        } else if line != "# EOF" && !line.starts_with("# UNIT ") {
            self.out.push_str(&line);
            self.out.push('\n');
        }
    }
}

impl std::fmt::Write for Classic<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let mut rest = s;
        while let Some((head, tail)) = rest.split_once('\n') {
            self.line.push_str(head);
            self.end_line();
            rest = tail;
        }
        self.line.push_str(rest);
        Ok(())
    }
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
        let mut series = metrics.series(&failed.url, None);
        metrics.finished(&mut series, &failed, Health::Down);
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
        metrics.forget(&series);
        assert!(!metrics.render(0, true).contains(url.as_str()));
    }

    #[test]
    fn the_classic_format_names_counter_families_with_total_and_has_no_eof() {
        let metrics = Metrics::new();
        let passed = testing::passed();
        metrics.finished(
            &mut metrics.series(&passed.url, Some("home")),
            &passed,
            Health::Up,
        );
        let text = metrics.render(0, false);
        assert!(
            text.contains("# TYPE urlcheck_checks_total counter\n"),
            "{text}"
        );
        assert!(text.contains("# HELP urlcheck_checks_total "), "{text}");
        assert!(text.contains("# TYPE urlcheck_up gauge\n"), "{text}");
        assert!(
            text.contains(",name=\"home\"} 1"),
            "the check's name is a label: {text}"
        );
        assert!(
            !text.contains("# EOF") && !text.contains("# UNIT"),
            "{text}"
        );
        assert!(metrics.render(0, true).ends_with("# EOF\n"));
    }

    #[test]
    fn an_https_check_exports_its_certificate_expiry() {
        let metrics = Metrics::new();
        let mut passed = testing::passed();
        passed.cert = Some(crate::results::CertInfo {
            not_after: "2027-01-02T03:04:05Z".into(),
            days_left: 30,
        });
        metrics.finished(&mut metrics.series(&passed.url, None), &passed, Health::Up);
        let text = metrics.render(0, false);
        let line = format!(
            "urlcheck_cert_expiry_timestamp_seconds{{url=\"{}\"}} 1798859045",
            passed.url
        );
        assert!(text.contains(&line), "no {line} in\n{text}");
    }

    #[test]
    fn up_is_absent_until_the_first_verdict() {
        let metrics = Metrics::new();
        let passed = testing::passed();
        metrics.finished(
            &mut metrics.series(&passed.url, None),
            &passed,
            Health::Unknown,
        );
        let text = metrics.render(0, true);
        assert!(!text.contains("urlcheck_up{"), "{text}");
        assert!(text.contains("urlcheck_last_status_code{"), "{text}");
    }
}
