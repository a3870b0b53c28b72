//! What is watched: every URL of the inputs and the config file's checks,
//! read in full (at the start, and again on SIGHUP), each with its interval.
//! A line that is not a URL is said on stderr, with its file and line, and
//! not watched; a URL given twice is watched once.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::Context;

use crate::config::Config;
use crate::input::{Input, Job, job_from_line};

/// One watched URL.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) job: Job,
    pub(crate) interval: Duration,
    /// The `[[check]]`'s `name`, if it has one.
    pub(crate) name: Option<String>,
}

impl Target {
    /// What identifies it across reloads: the URL as written, password masked.
    pub(crate) fn key(&self) -> &str {
        &self.job.url
    }
}

/// Read every input in full, in order.
pub(crate) async fn load(config: &Config) -> anyhow::Result<Vec<Target>> {
    let mut jobs = Vec::new();
    for input in crate::run::open_inputs(config).await? {
        match input {
            Input::Arg(text) => jobs.push((Job::from_arg(&text, config.spec.clone()), None)),
            Input::Check(check) => {
                let name = check.name.clone();
                jobs.push((Job::from_check(check), name));
            }
            Input::Lines { source, mut reader } => {
                while let Some(raw) = reader
                    .next_line()
                    .await
                    .with_context(|| format!("cannot read {}", source.name()))?
                {
                    jobs.extend(job_from_line(&source, raw, &config.spec).map(|j| (j, None)));
                }
            }
            Input::Document(_) | Input::Sitemap(_) => anyhow::bail!(
                "--watch checks lists of URLs; sitemaps and documents cannot be watched yet: \
                 list their URLs with --dry-run and watch that list"
            ),
        }
    }
    Ok(targets(jobs))
}

/// The jobs worth watching: valid URLs, each once.
fn targets(jobs: Vec<(Job, Option<String>)>) -> Vec<Target> {
    let mut seen = HashSet::new();
    let mut targets = Vec::new();
    for (job, name) in jobs {
        if let Err(message) = &job.target {
            let at = job.origin.located().unwrap_or_default();
            crate::diag::warning(format_args!("not watched: {} {at}: {message}", job.url));
            continue;
        }
        let Some(interval) = *job.spec.settings.interval() else {
            // `Config::check_watch` made sure every URL has one.
            continue;
        };
        if seen.insert(job.url.clone()) {
            targets.push(Target {
                job,
                interval,
                name,
            });
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CheckSettings, CheckSpec};
    use crate::results::{Origin, Source};
    use std::sync::Arc;

    fn job(url: &str, line: u64, interval: Option<u64>) -> (Job, Option<String>) {
        let seconds = interval.map(|s| format!("{s}s"));
        let settings = match &seconds {
            Some(seconds) => CheckSettings::from_flags(&["--interval", seconds]),
            None => CheckSettings::default(),
        };
        let origin = Origin {
            source: Source::File("urls.txt".into()),
            line: Some(line),
        };
        let spec = Arc::new(CheckSpec::new(settings, Vec::new(), 0));
        (Job::new(url, origin, spec), None)
    }

    #[test]
    fn valid_urls_are_watched_once_each_and_bad_lines_not_at_all() {
        let targets = targets(vec![
            job("https://a.test/", 1, Some(30)),
            job("not a url", 2, Some(30)),
            job("https://a.test/", 3, Some(30)),
            job("https://b.test/", 4, Some(5)),
        ]);
        let keys: Vec<&str> = targets.iter().map(Target::key).collect();
        assert_eq!(keys, ["https://a.test/", "https://b.test/"]);
        assert_eq!(targets[1].interval, Duration::from_secs(5));
    }
}
