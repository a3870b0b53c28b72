//! The one table of exit codes. The "Exit codes" section of docs/reference.md mirrors it.

/// How a run ended, as the shell sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitCode {
    /// Every check passed (or stdout was closed by its reader).
    Success,
    /// At least one check failed, invalid input lines included.
    Failures,
    /// Usage error, unreadable input, no URLs, or an error that stopped the run.
    Error,
    /// Stopped by SIGINT (Ctrl-C).
    Interrupted,
    /// Stopped by SIGTERM.
    Terminated,
}

impl ExitCode {
    pub(crate) const fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::Failures => 1,
            ExitCode::Error => 2,
            // 128 + the signal number, as shells report a process killed by it.
            ExitCode::Interrupted => 130,
            ExitCode::Terminated => 143,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_documented_table() {
        assert_eq!(ExitCode::Success.code(), 0);
        assert_eq!(ExitCode::Failures.code(), 1);
        assert_eq!(ExitCode::Error.code(), 2);
        assert_eq!(ExitCode::Interrupted.code(), 128 + 2);
        assert_eq!(ExitCode::Terminated.code(), 128 + 15);
    }

    #[test]
    fn codes_are_distinct() {
        let all = [
            ExitCode::Success,
            ExitCode::Failures,
            ExitCode::Error,
            ExitCode::Interrupted,
            ExitCode::Terminated,
        ];
        let mut codes: Vec<u8> = all.iter().map(|c| c.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
