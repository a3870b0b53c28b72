//! Messages for the user on stderr. Written with `let _ =`, never `eprintln!`,
//! so that a closed stderr cannot make urlcheck panic.

use std::fmt;
use std::io::Write;

/// `urlcheck: <message>`, for errors.
pub fn error(message: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "urlcheck: {message}");
}

/// `urlcheck: warning: <message>`.
pub fn warning(message: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "urlcheck: warning: {message}");
}
