//! The live progress bar on stderr: shown only on a terminal and not with
//! `--quiet`; with a known total when every input is a regular file.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A handle to the bar; cheap to clone, a no-op when hidden.
#[derive(Clone)]
pub(crate) struct Progress {
    bar: ProgressBar,
    /// Results go to the same terminal: hide the bar while writing them.
    shares_terminal: bool,
}

impl Progress {
    pub(crate) fn new(visible: bool, stdout_is_terminal: bool) -> Self {
        let bar = if visible {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
            bar.set_style(Self::style(false));
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress {
            bar,
            shares_terminal: visible && stdout_is_terminal,
        }
    }

    fn style(known_total: bool) -> ProgressStyle {
        let template = if known_total {
            "{spinner:.cyan} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} {rate} eta {eta} {msg}"
        } else {
            "{spinner:.cyan} [{elapsed_precise}] {pos} checked {rate} {msg}"
        };
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            )
    }

    /// The number of URLs, once known.
    pub(crate) fn set_total(&self, total: u64) {
        self.bar.set_length(total);
        self.bar.set_style(Self::style(true));
    }

    /// Count finished checks; `failed` is the running number of failures.
    pub(crate) fn advance(&self, by: u64, failed: u64) {
        self.bar.inc(by);
        if failed > 0 {
            self.bar.set_message(format!("{failed} failed"));
        }
    }

    pub(crate) fn set_message(&self, message: String) {
        self.bar.set_message(message);
    }

    /// Run `write` with the bar out of the way, so it never garbles results.
    pub(crate) fn around<R>(&self, write: impl FnOnce() -> R) -> R {
        if self.shares_terminal {
            self.bar.suspend(write)
        } else {
            write()
        }
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
