//! Ctrl-C (SIGINT) and SIGTERM: the first stops the run gracefully (no more
//! input, in-flight checks get the shutdown timeout, every line read still
//! gets its record); a second one exits at once.

use std::sync::Arc;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};

use crate::exit_codes::ExitCode;
use crate::progress::Progress;
use crate::stop::{Stop, StopReason};

/// A signal that stopped the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    pub fn exit_code(self) -> ExitCode {
        match self {
            Signal::Interrupt => ExitCode::Interrupted,
            Signal::Terminate => ExitCode::Terminated,
        }
    }
}

/// Listen for signals; the first one received stops the run.
pub fn watch(
    stop: Arc<Stop>,
    progress: Progress,
    grace: std::time::Duration,
) -> anyhow::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    tokio::spawn(async move {
        let first = next_signal(&mut interrupt, &mut terminate).await;
        stop.trigger(StopReason::Signal(first));
        progress.set_message(format!(
            "stopping: in-flight checks have {} to finish (again to exit now)",
            humantime::format_duration(grace)
        ));
        let second = next_signal(&mut interrupt, &mut terminate).await;
        progress.finish();
        crate::diag::error(format_args!("{} again: exiting now", second.name()));
        // The user asked twice: leave without waiting for anything. This is
        // the one exit that does not return through main.
        std::process::exit(i32::from(first.exit_code().code()));
    });
    Ok(())
}

async fn next_signal(
    interrupt: &mut tokio::signal::unix::Signal,
    terminate: &mut tokio::signal::unix::Signal,
) -> Signal {
    tokio::select! {
        _ = interrupt.recv() => Signal::Interrupt,
        _ = terminate.recv() => Signal::Terminate,
    }
}
