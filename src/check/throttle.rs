//! Politeness, on demand: `--per-host N` keeps at most N requests in flight
//! to one host, and `--rate N` starts at most N checks per second across the
//! run. Without them `--workers` is the only limit and this costs nothing.
//!
//! A check waits for its host's turn first, then for the rate, so a slot of a
//! busy host is never spent waiting on another host's rate.
//!
//! The feeder's look-ahead (`run/queue.rs`) queues a check only once it has
//! reserved a slot of its host (`try_reserve`), and hears when slots are
//! freed (`freed_hosts`); a check of that host takes the reserved slot
//! without waiting. So no worker waits on a busy host while others are idle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::Url;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;

/// The run's limits beyond `--workers`.
pub(crate) struct Throttle {
    per_host: Option<PerHost>,
    rate: Option<Rate>,
}

impl Throttle {
    /// `per_host`: requests in flight to one host; `rate`: checks started
    /// per second (a fraction such as 0.5 is one every 2 s).
    pub(crate) fn new(per_host: Option<usize>, rate: Option<f64>) -> Self {
        Throttle {
            per_host: per_host.map(|limit| PerHost {
                limit,
                hosts: Mutex::new(HashMap::new()),
                freed: Mutex::new(None),
            }),
            rate: rate.and_then(Rate::new),
        }
    }

    /// Wait until a check of `url` may start: a slot for its host, then its
    /// turn under the rate. The slot is held until the permit is dropped.
    pub(crate) async fn admit(&self, url: &Url) -> HostPermit<'_> {
        let permit = self.host_slot(url).await;
        if let Some(rate) = &self.rate {
            rate.until_ready().await;
        }
        permit
    }

    /// A slot for the host of `url`, without waiting on the rate: for a
    /// redirect to another host (the check itself was already admitted).
    pub(crate) async fn host_slot(&self, url: &Url) -> HostPermit<'_> {
        match &self.per_host {
            Some(per_host) => per_host.acquire(host_key(url)).await,
            None => HostPermit::none(),
        }
    }

    /// Whether `--per-host` limits hosts (and the look-ahead applies).
    pub(crate) fn limits_hosts(&self) -> bool {
        self.per_host.is_some()
    }

    /// Take a slot of `host` now, if one is free, and keep it for the next
    /// check of that host to be admitted. False when all are taken.
    pub(crate) fn try_reserve(&self, host: &str) -> bool {
        self.per_host
            .as_ref()
            .is_some_and(|per_host| per_host.try_reserve(host))
    }

    /// From now on, the hosts whose slots are freed, one message per slot.
    pub(crate) fn freed_hosts(&self) -> Option<mpsc::UnboundedReceiver<String>> {
        let per_host = self.per_host.as_ref()?;
        let (sender, receiver) = mpsc::unbounded_channel();
        *per_host
            .freed
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(sender);
        Some(receiver)
    }

    /// Whether a redirect from `from` to `to` needs a slot of another host.
    pub(crate) fn changes_host(&self, from: &Url, to: &Url) -> bool {
        self.per_host.is_some() && host_key(from) != host_key(to)
    }
}

/// Hosts are limited by name (or address), whatever the port or scheme: it
/// is one machine to be polite to.
pub(crate) fn host_key(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_ascii_lowercase()
}

/// One semaphore per host with checks in flight, and the slots reserved
/// for checks on their way. A host's entry is removed when its last permit
/// is dropped, so a list of ten million hosts does not grow the map past the
/// hosts in flight.
struct PerHost {
    limit: usize,
    hosts: Mutex<HashMap<String, Host>>,
    /// Told of each freed slot, once the look-ahead listens.
    freed: Mutex<Option<mpsc::UnboundedSender<String>>>,
}

struct Host {
    semaphore: Arc<Semaphore>,
    /// Slots taken by the feeder for checks it has queued.
    reserved: Vec<OwnedSemaphorePermit>,
}

impl PerHost {
    fn host<'m>(&self, hosts: &'m mut HashMap<String, Host>, name: &str) -> &'m mut Host {
        if !hosts.contains_key(name) {
            let semaphore = Arc::new(Semaphore::new(self.limit));
            hosts.insert(
                name.to_string(),
                Host {
                    semaphore,
                    reserved: Vec::new(),
                },
            );
        }
        hosts
            .get_mut(name)
            .unwrap_or_else(|| unreachable!("inserted above"))
    }

    fn try_reserve(&self, name: &str) -> bool {
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        let host = self.host(&mut hosts, name);
        match Arc::clone(&host.semaphore).try_acquire_owned() {
            Ok(permit) => {
                host.reserved.push(permit);
                true
            }
            Err(_) => false,
        }
    }

    async fn acquire(&self, name: String) -> HostPermit<'_> {
        // Clones of a semaphore are made only under the lock, so a count of 1
        // there means no one else holds or waits on it (see `release`).
        let semaphore = {
            let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
            let host = self.host(&mut hosts, &name);
            if let Some(reserved) = host.reserved.pop() {
                return HostPermit {
                    held: Some(Held {
                        per_host: self,
                        host: name,
                        permit: Some(reserved),
                    }),
                };
            }
            Arc::clone(&host.semaphore)
        };
        let host = name;
        // The semaphore is never closed, so acquiring cannot fail.
        let permit = semaphore.acquire_owned().await.ok();
        HostPermit {
            held: Some(Held {
                per_host: self,
                host,
                permit,
            }),
        }
    }

    fn release(&self, host: &str, permit: Option<OwnedSemaphorePermit>) {
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        drop(permit);
        if hosts
            .get(host)
            .is_some_and(|h| h.reserved.is_empty() && Arc::strong_count(&h.semaphore) == 1)
        {
            hosts.remove(host);
        }
        drop(hosts);
        if let Some(freed) = &*self.freed.lock().unwrap_or_else(PoisonError::into_inner) {
            let _ = freed.send(host.to_string());
        }
    }

    #[cfg(test)]
    fn hosts_tracked(&self) -> usize {
        self.hosts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// A host slot, given back when dropped; empty without `--per-host`.
pub(crate) struct HostPermit<'a> {
    held: Option<Held<'a>>,
}

struct Held<'a> {
    per_host: &'a PerHost,
    host: String,
    permit: Option<OwnedSemaphorePermit>,
}

impl HostPermit<'_> {
    fn none() -> Self {
        HostPermit { held: None }
    }
}

impl Drop for HostPermit<'_> {
    fn drop(&mut self) {
        if let Some(mut held) = self.held.take() {
            held.per_host.release(&held.host, held.permit.take());
        }
    }
}

/// Checks started per second, evenly spaced: each check reserves the next
/// start time, one period after the last, and sleeps until then. Reserving
/// is instant, so the rate is met however high it is: the timer's 1 ms
/// resolution bunches starts within a millisecond, never fewer per second.
/// (Waiting in turn for a limiter, each turn slept at least that 1 ms, so no
/// rate above about 1,000 per second was ever reached.)
struct Rate {
    period: Duration,
    /// When the next check may start.
    next: Mutex<Option<Instant>>,
}

impl Rate {
    fn new(per_second: f64) -> Option<Self> {
        let period = Duration::try_from_secs_f64(1.0 / per_second).ok()?;
        (!period.is_zero()).then(|| Rate {
            period,
            next: Mutex::new(None),
        })
    }

    /// The start time of the next check asked for at `now`.
    fn reserve(&self, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let at = next.map_or(now, |n| n.max(now));
        *next = Some(at + self.period);
        at
    }

    async fn until_ready(&self) {
        let at = self.reserve(Instant::now());
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[tokio::test]
    async fn a_host_gets_at_most_its_slots_and_others_are_not_held_up() {
        let throttle = Throttle::new(Some(2), None);
        let a = url("http://a.example/1");
        let first = throttle.admit(&a).await;
        let second = throttle.admit(&url("http://A.example:8080/2")).await;
        // A third check of the same host waits...
        let third = throttle.admit(&a);
        tokio::pin!(third);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut third)
                .await
                .is_err()
        );
        // ...while another host goes at once.
        let _other = throttle.admit(&url("https://b.example/")).await;
        drop(first);
        let _third = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("a freed slot lets the waiting check in");
        drop(second);
    }

    #[tokio::test]
    async fn idle_hosts_are_forgotten() {
        let throttle = Throttle::new(Some(1), None);
        let per_host = throttle.per_host.as_ref().unwrap();
        {
            let _a = throttle.admit(&url("http://a.example/")).await;
            let _b = throttle.admit(&url("http://b.example/")).await;
            assert_eq!(per_host.hosts_tracked(), 2);
        }
        assert_eq!(per_host.hosts_tracked(), 0);
        for i in 0..1000 {
            let _p = throttle.admit(&url(&format!("http://h{i}.example/"))).await;
        }
        assert_eq!(per_host.hosts_tracked(), 0);
    }

    #[tokio::test]
    async fn no_limits_cost_nothing() {
        let throttle = Throttle::new(None, None);
        for _ in 0..1000 {
            let _p = throttle.admit(&url("http://a.example/")).await;
        }
        assert!(!throttle.changes_host(&url("http://a.example/"), &url("http://b.example/")));
    }

    #[tokio::test]
    async fn the_rate_spaces_checks_evenly() {
        let throttle = Arc::new(Throttle::new(None, Some(20.0)));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..9 {
            let throttle = Arc::clone(&throttle);
            tasks.spawn(async move {
                let _p = throttle.admit(&url(&format!("http://h{i}.example/"))).await;
                started.elapsed()
            });
        }
        let mut times: Vec<Duration> = tasks.join_all().await;
        times.sort();
        // A burst of one: 9 checks at 20/s are 8 periods of 50 ms apart at
        // least (a lower bound the limiter guarantees; no upper bound).
        assert!(times[8] >= Duration::from_millis(390), "{times:?}");
    }

    #[test]
    fn each_check_reserves_the_next_start_one_period_on_and_a_pause_is_not_made_up() {
        let rate = Rate::new(10_000.0).unwrap();
        let now = Instant::now();
        let starts: Vec<Instant> = (0..1000).map(|_| rate.reserve(now)).collect();
        assert_eq!(starts[0], now);
        assert_eq!(starts[999] - starts[0], Duration::from_micros(100) * 999);
        let later = now + Duration::from_secs(5);
        assert_eq!(rate.reserve(later), later, "no burst to catch up");
    }

    #[tokio::test(start_paused = true)]
    async fn a_high_rate_is_met() {
        // 10,000 checks per second: 2,000 take 0.2 s, not the 2 s that one
        // timer tick per check would take.
        let throttle = Arc::new(Throttle::new(None, Some(10_000.0)));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..2000 {
            let throttle = Arc::clone(&throttle);
            tasks.spawn(async move {
                let _p = throttle.admit(&url("http://a.example/")).await;
            });
        }
        tasks.join_all().await;
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(199), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(250), "{elapsed:?}");
    }

    #[test]
    fn rates_that_cannot_be_a_period_are_ignored() {
        assert!(Rate::new(0.0).is_none());
        assert!(Rate::new(f64::NAN).is_none());
        assert!(Rate::new(0.5).is_some());
        assert!(Rate::new(1e9).is_some());
    }
}
