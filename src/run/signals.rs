//! Ctrl-C (SIGINT) and SIGTERM: the first stops the run gracefully (no more
//! input, in-flight checks get the shutdown timeout, every line read still
//! gets its record); a second one exits at once.

use std::sync::Arc;

use crate::output::progress::Progress;
use crate::stop::{Signal, Stop, StopReason};

/// Listen for signals; the first one received stops the run.
pub(crate) fn watch(
    stop: Arc<Stop>,
    progress: Progress,
    grace: std::time::Duration,
) -> anyhow::Result<()> {
    let mut signals = Listener::new()?;
    tokio::spawn(async move {
        let first = signals.next().await;
        stop.trigger(StopReason::Signal(first));
        progress.set_message(format!(
            "stopping: in-flight checks have {} to finish (again to exit now)",
            humantime::format_duration(grace)
        ));
        let second = signals.next().await;
        progress.finish();
        crate::diag::error(format_args!("{} again: exiting now", second.name()));
        // The user asked twice: leave without waiting for anything. This is
        // the one exit that does not return through main.
        std::process::exit(i32::from(first.exit_code().code()));
    });
    Ok(())
}

/// SIGHUP, where there is one: with `--watch`, read the inputs again.
pub(crate) struct Hangups {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Hangups {
    pub(crate) fn new() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use anyhow::Context;
            use tokio::signal::unix::{SignalKind, signal};
            let signal = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
            Ok(Hangups { signal })
        }
        #[cfg(not(unix))]
        Ok(Hangups {})
    }

    /// The next SIGHUP (never, where there are none).
    pub(crate) async fn next(&mut self) {
        #[cfg(unix)]
        if self.signal.recv().await.is_some() {
            return;
        }
        std::future::pending::<()>().await;
    }
}

/// SIGINT and SIGTERM, on Unix.
#[cfg(unix)]
struct Listener {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Listener {
    fn new() -> anyhow::Result<Self> {
        use anyhow::Context;
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Listener {
            interrupt: signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.interrupt.recv() => Signal::Interrupt,
            _ = self.terminate.recv() => Signal::Terminate,
        }
    }
}

/// Ctrl-C elsewhere.
#[cfg(not(unix))]
struct Listener;

#[cfg(not(unix))]
impl Listener {
    fn new() -> anyhow::Result<Self> {
        Ok(Listener)
    }

    async fn next(&mut self) -> Signal {
        // An error means no Ctrl-C can be received: wait for nothing.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        Signal::Interrupt
    }
}
