//! The floor under urlcheck's CPU per check: the same HTTP client (reqwest,
//! one client, one thread, the same user agent and pool settings) checking
//! the same list with nothing else: each URL parsed once and requested, its
//! body read; no records, no phases, no printer. What urlcheck spends above
//! this is its own; what this spends is the client's and the kernel's.
//!
//!   cargo bench --bench reqwest_floor -- LIST [WORKERS]
//!
//! LIST is a file of http URLs, one per line (benches/run.sh writes
//! target/bench/lists/i-20000.txt). Prints the wall time and the process's
//! CPU time (user + sys, from getrusage) per 1,000 checks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinSet;

fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let Some(list) = args.next() else {
        anyhow::bail!("usage: cargo bench --bench reqwest_floor -- LIST [WORKERS]");
    };
    let workers: usize = match args.next() {
        Some(w) => w.parse()?,
        None => 64,
    };
    let text = std::fs::read_to_string(&list)?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let n = lines.len();
    // urlcheck's TLS provider (its http checks never use it).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (wall, cpu, ok) = runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("urlcheck/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(workers)
            .pool_idle_timeout(Duration::from_secs(1))
            .build()?;
        let (tx, rx) = mpsc::channel::<reqwest::Url>(workers * 2);
        let rx = Arc::new(Mutex::new(rx));
        let cpu0 = cpu_time();
        let t0 = Instant::now();
        let mut tasks = JoinSet::new();
        for _ in 0..workers {
            let (client, rx) = (client.clone(), Arc::clone(&rx));
            tasks.spawn(async move {
                let mut ok = 0usize;
                loop {
                    let url = rx.lock().await.recv().await;
                    let Some(url) = url else { break ok };
                    if let Ok(response) = client.get(url).send().await
                        && response.status().is_success()
                        && response.bytes().await.is_ok()
                    {
                        ok += 1;
                    }
                }
            });
        }
        // Each URL is parsed once, as any checker must.
        for line in lines {
            tx.send(reqwest::Url::parse(line)?).await?;
        }
        drop(tx);
        let mut ok = 0;
        while let Some(done) = tasks.join_next().await {
            ok += done?;
        }
        anyhow::Ok((t0.elapsed(), cpu_time().saturating_sub(cpu0), ok))
    })?;
    println!(
        "reqwest alone: {ok}/{n} ok in {:.3} s ({:.0}/s), CPU {:.1} ms per 1,000 checks",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / n as f64,
    );
    Ok(())
}
