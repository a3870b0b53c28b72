//! What a run is, as thin modes over the one engine (`run/`): a pass over
//! the inputs (`once.rs`), records written earlier rendered again
//! (`replay.rs`), or the same checks kept running (`watch/`).

pub(crate) mod once;
pub(crate) mod replay;
pub(crate) mod watch;

use crate::config::Config;
use crate::exit_codes::ExitCode;

/// Run the mode `config` asks for.
pub(crate) async fn run(config: Config) -> anyhow::Result<ExitCode> {
    if config.watch.is_some() {
        watch::run(config).await
    } else if !config.replay.is_empty() {
        replay::run(crate::run::fit_to_open_files(config)).await
    } else {
        once::run(config).await
    }
}
