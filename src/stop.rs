//! Why and when a run stops early: a signal, the `--deadline`, or stdout gone.
//! One shared `Stop` carries the reason, so every record of an unfinished
//! line can say what stopped it, and how far the run has got (`Ledger`), so
//! a stop can say what it leaves.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::exit_codes::ExitCode;
use crate::results::{Failure, FailureKind};

/// A signal that stopped the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Signal::Interrupt => ExitCode::Interrupted,
            Signal::Terminate => ExitCode::Terminated,
        }
    }
}

/// What stopped the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    Signal(Signal),
    /// The run reached `--deadline`.
    Deadline(Duration),
    /// stdout could not be written any more.
    Output,
}

/// Shared by every stage: cancelled once, with the first reason given.
#[derive(Debug, Default)]
pub(crate) struct Stop {
    token: CancellationToken,
    reason: OnceLock<StopReason>,
    /// How far the run has got.
    pub(crate) ledger: Ledger,
}

/// How far the run has got: URLs read (the feeder), checks in flight (the
/// workers), records written (the printer). Read when a signal comes.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    read: AtomicU64,
    in_flight: AtomicUsize,
    written: AtomicU64,
}

impl Ledger {
    pub(crate) fn read_one(&self) {
        self.read.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn check_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn check_ended(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn written(&self, records: usize) {
        self.written.fetch_add(records as u64, Ordering::Relaxed);
    }

    /// Checks running now.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// URLs read whose record is not written yet.
    pub(crate) fn unwritten(&self) -> u64 {
        let read = self.read.load(Ordering::Relaxed);
        read.saturating_sub(self.written.load(Ordering::Relaxed))
    }
}

impl Stop {
    /// Stop the run; the first reason given is kept.
    pub(crate) fn trigger(&self, reason: StopReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    pub(crate) fn reason(&self) -> Option<StopReason> {
        self.reason.get().copied()
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves when the run is stopped.
    pub(crate) async fn stopped(&self) {
        self.token.cancelled().await;
    }

    /// A token cancelled with this stop, that can also be cancelled alone.
    pub(crate) fn child_token(&self) -> CancellationToken {
        self.token.child_token()
    }

    /// The record of a line read but never checked.
    pub(crate) fn not_checked(&self) -> Failure {
        Failure::new(
            FailureKind::Interrupted,
            format!("not checked: {}", self.describe()),
        )
    }

    /// The record of a check cut off part way.
    pub(crate) fn cut_off(&self, grace: Duration) -> Failure {
        let message = match self.reason() {
            Some(StopReason::Deadline(_)) => format!("cut off: {}", self.describe()),
            _ => format!(
                "the check did not finish within the {} shutdown timeout",
                humantime::format_duration(grace)
            ),
        };
        Failure::new(FailureKind::Interrupted, message)
    }

    fn describe(&self) -> String {
        match self.reason() {
            Some(StopReason::Signal(signal)) => format!("the run was stopped by {}", signal.name()),
            Some(StopReason::Deadline(limit)) => format!(
                "the run reached its --deadline of {}",
                humantime::format_duration(limit)
            ),
            Some(StopReason::Output) => "results could no longer be written".into(),
            None => "the run was stopped first".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_counts_what_a_stop_would_leave() {
        let ledger = Ledger::default();
        (0..5).for_each(|_| ledger.read_one());
        ledger.check_started();
        ledger.check_started();
        ledger.check_ended();
        ledger.written(3);
        assert_eq!((ledger.in_flight(), ledger.unwritten()), (1, 2));
    }

    #[test]
    fn the_first_reason_wins_and_names_itself() {
        let stop = Stop::default();
        assert!(!stop.is_stopped());
        stop.trigger(StopReason::Deadline(Duration::from_secs(30)));
        stop.trigger(StopReason::Signal(Signal::Interrupt));
        assert!(stop.is_stopped());
        assert_eq!(
            stop.not_checked().message,
            "not checked: the run reached its --deadline of 30s"
        );
        assert!(
            stop.cut_off(Duration::ZERO)
                .message
                .starts_with("cut off: the run reached")
        );
        let signalled = Stop::default();
        signalled.trigger(StopReason::Signal(Signal::Interrupt));
        assert_eq!(
            signalled.cut_off(Duration::from_secs(5)).message,
            "the check did not finish within the 5s shutdown timeout"
        );
    }
}
