//! Messages for the user on stderr. Written with `let _ =`, never `eprintln!`,
//! so that a closed stderr cannot make urlcheck panic; and escaped, because
//! they quote paths and text from the input.

use std::fmt;
use std::io::Write;

use crate::text::escape_control;

/// `urlcheck: <message>`, for errors.
pub(crate) fn error(message: fmt::Arguments<'_>) {
    write("", message);
}

/// `urlcheck: <message>`, for news that is neither an error nor a warning
/// (what a watcher is doing).
pub(crate) fn note(message: fmt::Arguments<'_>) {
    write("", message);
}

/// `urlcheck: warning: <message>`.
pub(crate) fn warning(message: fmt::Arguments<'_>) {
    write("warning: ", message);
}

fn write(prefix: &str, message: fmt::Arguments<'_>) {
    let text = message.to_string();
    let _ = writeln!(
        std::io::stderr().lock(),
        "urlcheck: {prefix}{}",
        escape_control(&text)
    );
}
