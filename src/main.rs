//! urlcheck: an async URL health checker. `main` only parses the command
//! line, builds the runtime, runs, and maps the outcome to an exit code.
//!
//! The pipeline, one folder per stage: `config/` (flags and the config file,
//! resolved once) -> `input/` (lines and the jobs they become) -> `check/`
//! (one job, one result) -> `output/` (the one stdout writer, reporters,
//! summary and progress); `run/` wires them together with the bounded queue
//! and the worker pool: the engine that the modes (`modes/`: one pass,
//! `--replay`, `--watch`) run on.
//! Shared below them all: `results`, `links`, `stop`, `target`, `text`,
//! `diag`, `exit_codes`, and `extract` (links found in pages, documents and
//! sitemaps, for `input` and `check`).

mod check;
mod config;
mod diag;
mod exit_codes;
mod extract;
mod input;
mod links;
mod modes;
mod output;
mod results;
mod run;
mod stop;
mod target;
#[cfg(test)]
mod testing;
mod text;

use exit_codes::ExitCode;

fn main() -> std::process::ExitCode {
    let outcome = config::cli::parse().and_then(|config| {
        // One thread here; the checks spread over more (see `run/lanes.rs`).
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
        let outcome = runtime.block_on(modes::run(config));
        // A read of stdin may still be blocked in a runtime thread: do not
        // wait for it.
        runtime.shutdown_background();
        outcome
    });
    match outcome {
        Ok(code) => code.into(),
        Err(e) => {
            diag::error(format_args!("{e:#}"));
            ExitCode::Error.into()
        }
    }
}
