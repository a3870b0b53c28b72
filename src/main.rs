//! urlcheck: an async URL health checker. `main` only parses the command
//! line, builds the runtime, runs, and maps the outcome to an exit code.
//!
//! The pipeline, one stage per file: `input` (lines) -> `target` (what a line
//! means) -> `queue` (the bounded queue) -> `workers` (the pool, running
//! `check`) -> `results` -> `printer` (the one stdout writer) -> `reporters`,
//! with `summary` and `progress` on stderr; `run` wires them together.

mod check;
mod classify;
mod cli;
mod client;
mod config;
mod config_file;
mod diag;
mod exit_codes;
mod expect;
mod input;
mod limits;
mod printer;
mod progress;
mod queue;
mod reporters;
mod results;
mod run;
mod sanitize;
mod signals;
mod stop;
mod summary;
mod target;
mod throttle;
mod waiting;
mod workers;

use exit_codes::ExitCode;

fn main() -> std::process::ExitCode {
    let outcome = cli::parse().and_then(|config| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
        let outcome = runtime.block_on(run::run(config));
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
