//! The integration tests: the real `urlcheck` binary against servers that
//! the tests start on loopback. One test binary, so the suite links once;
//! `support.rs` holds the servers and the runner every module shares.

mod bad_input;
mod checks;
mod ci;
mod crawl;
mod docs;
mod generate;
mod hostile;
mod phases;
mod pool;
mod scale;
mod sites;
mod support;
mod tls;
mod watch;
