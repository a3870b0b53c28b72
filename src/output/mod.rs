//! Output: results as they come, and everything said about them. One
//! printer thread owns stdout (`printer.rs`) and writes each result with the
//! chosen reporter (`reporters/`, one file per format); the counts it keeps
//! (`stats.rs`) make the summary on stderr (`summary.rs`); the progress bar
//! (`progress.rs`) steps aside whenever a result is written.

pub(crate) mod baseline;
pub(crate) mod events;
mod local_time;
pub(crate) mod printer;
pub(crate) mod progress;
pub(crate) mod reporters;
mod stats;
pub(crate) mod summary;
