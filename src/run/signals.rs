//! Ctrl-C (SIGINT) and SIGTERM: the first stops the run gracefully (no more
//! input, in-flight checks get the shutdown timeout, every line read still
//! gets its record); a second one exits at once.

use std::sync::Arc;
use std::time::Duration;

use crate::output::progress::Progress;
use crate::stop::{Signal, Stop, StopReason};

/// Listen for signals; the first one received stops the run.
pub(crate) fn watch(stop: Arc<Stop>, progress: Progress, grace: Duration) -> anyhow::Result<()> {
    let mut signals = Listener::new()?;
    tokio::spawn(async move {
        let first = signals.next().await;
        stop.trigger(StopReason::Signal(first));
        // No frozen bar left in the scroll-back: results still coming are
        // written as lines.
        progress.finish();
        crate::diag::note(format_args!(
            "{}",
            stopping_line(first, stop.ledger.in_flight(), grace)
        ));
        let second = signals.next().await;
        crate::diag::error(format_args!(
            "{}",
            exiting_line(second, stop.ledger.in_flight(), stop.ledger.unwritten())
        ));
        // The user asked twice: leave without waiting for anything. This is
        // the one exit that does not return through main.
        std::process::exit(i32::from(first.exit_code().code()));
    });
    Ok(())
}

/// What the first signal does, said at once.
fn stopping_line(signal: Signal, in_flight: usize, grace: Duration) -> String {
    let checks = match in_flight {
        0 => "no check is in flight".to_string(),
        1 => format!(
            "the check in flight gets up to {} to finish",
            humantime::format_duration(grace)
        ),
        n => format!(
            "the {n} checks in flight get up to {} to finish",
            humantime::format_duration(grace)
        ),
    };
    let again = match signal {
        Signal::Interrupt => "press Ctrl-C again",
        Signal::Terminate => "send SIGTERM again",
    };
    format!(
        "{}: stopping; no new checks, {checks}; {again} to exit at once",
        signal.name()
    )
}

/// What a second signal loses, said as it exits.
fn exiting_line(signal: Signal, in_flight: usize, unwritten: u64) -> String {
    let lost = match unwritten {
        0 => "every URL read has its record".to_string(),
        1 => format!("1 URL read has no record ({in_flight} in flight)"),
        n => format!("{n} URLs read have no record ({in_flight} in flight)"),
    };
    format!("{} again: exiting now; {lost}", signal.name())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_signal_says_what_it_waits_for_and_the_second_what_it_loses() {
        let second = Duration::from_secs(5);
        assert_eq!(
            stopping_line(Signal::Interrupt, 3, second),
            "SIGINT: stopping; no new checks, the 3 checks in flight get up to 5s to finish; \
             press Ctrl-C again to exit at once"
        );
        assert!(
            stopping_line(Signal::Terminate, 0, second)
                .ends_with("no check is in flight; send SIGTERM again to exit at once")
        );
        assert!(stopping_line(Signal::Interrupt, 1, second).contains("the check in flight gets"));
        assert_eq!(
            exiting_line(Signal::Interrupt, 2, 7),
            "SIGINT again: exiting now; 7 URLs read have no record (2 in flight)"
        );
        assert_eq!(
            exiting_line(Signal::Interrupt, 0, 0),
            "SIGINT again: exiting now; every URL read has its record"
        );
    }
}
