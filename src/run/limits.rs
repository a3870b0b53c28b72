//! Process limits: every check in flight holds a socket, so a large
//! `--workers` needs as many open files. Raise the soft limit as far as the
//! hard limit allows; past that, run fewer workers and say so once, rather
//! than fail checks with "too many open files".

/// Files kept for everything but sockets: std streams, inputs, report files,
/// the runtime's own descriptors.
const RESERVED_FILES: u64 = 64;

/// How many workers can run: `wanted`, or fewer when the open-file limit
/// cannot be raised far enough. The message explains a reduction.
pub(crate) fn fit_workers(wanted: usize) -> (usize, Option<String>) {
    #[cfg(unix)]
    {
        let needed = (wanted as u64).saturating_add(RESERVED_FILES);
        match rlimit::increase_nofile_limit(needed) {
            Ok(limit) => fit(wanted, limit),
            // A platform without the limit: nothing to fit.
            Err(_) => (wanted, None),
        }
    }
    #[cfg(not(unix))]
    {
        (wanted, None)
    }
}

fn fit(wanted: usize, limit: u64) -> (usize, Option<String>) {
    let needed = (wanted as u64).saturating_add(RESERVED_FILES);
    if limit >= needed {
        return (wanted, None);
    }
    let fits = usize::try_from(limit.saturating_sub(RESERVED_FILES))
        .unwrap_or(usize::MAX)
        .max(1);
    let message = format!(
        "--workers {wanted} needs about {needed} open files, but the limit is {limit}; \
         running {fits} workers (raise it with `ulimit -n {needed}`)"
    );
    (fits, Some(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_workers_that_fit() {
        assert_eq!(fit(32, 1024), (32, None));
        assert_eq!(fit(960, 1024), (960, None));
    }

    #[test]
    fn lowers_workers_past_the_limit_and_says_how_to_raise_it() {
        let (workers, message) = fit(2000, 1024);
        assert_eq!(workers, 960);
        let message = message.unwrap();
        assert!(
            message.contains("--workers 2000 needs about 2064 open files"),
            "{message}"
        );
        assert!(message.contains("ulimit -n 2064"));
        assert_eq!(fit(100, 10).0, 1, "at least one worker");
    }

    #[test]
    fn raising_the_limit_here_works() {
        let (workers, _) = fit_workers(8);
        assert_eq!(workers, 8);
    }
}
