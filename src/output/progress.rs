//! The live progress bar on stderr: shown only on a terminal and not with
//! `--quiet`; with a known total when every input is a regular file.

use std::io;
use std::time::Duration;

use console::Term;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle, TermLike};

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
            let stderr = Box::new(RoomForCtrlC(Term::buffered_stderr()));
            let bar = ProgressBar::with_draw_target(
                None,
                ProgressDrawTarget::term_like_with_hz(stderr, 10),
            );
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

/// stderr as the bar's terminal, two columns narrower than it is. indicatif
/// pads the bar to the last column; the `^C` that the terminal echoes on
/// Ctrl-C would then wrap to a line of its own, and clearing the bar would
/// clear that line and leave the bar frozen in the scroll-back. With room
/// left, the echo lands on the bar's line and goes with it.
#[derive(Debug)]
struct RoomForCtrlC(Term);

/// Columns kept free for the echoed `^C`.
const ECHO_ROOM: u16 = 2;

impl TermLike for RoomForCtrlC {
    fn width(&self) -> u16 {
        self.0.size().1.saturating_sub(ECHO_ROOM).max(1)
    }

    fn height(&self) -> u16 {
        self.0.size().0
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.0.move_cursor_up(n)
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.0.move_cursor_down(n)
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.0.move_cursor_right(n)
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.0.move_cursor_left(n)
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.0.write_line(s)
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.0.write_str(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.0.clear_line()
    }

    fn flush(&self) -> io::Result<()> {
        self.0.flush()
    }
}
