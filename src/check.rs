//! One check: request the URL, follow redirects by hand (to count hops, catch
//! loops and keep `-H` headers on their own origin), read the body up to a cap
//! and judge the final status. Every outcome, good or bad, is a `CheckResult`.

use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::header::{HeaderMap, HeaderValue, LOCATION};
use reqwest::{Client, Url};

use crate::classify::{Phase, classify};
use crate::config::{Config, StatusSet};
use crate::queue::Job;
use crate::results::{CheckResult, Failure, FailureKind};
use crate::target::{display_url, mask_password};
use crate::workers::Check;

/// How much of a body is read (and discarded). Enough to catch a server that
/// breaks mid-body; a larger body is not downloaded to the end.
pub const BODY_READ_LIMIT: usize = 1024 * 1024;

/// Checks URLs with one shared HTTP client, so connections are reused.
pub struct Checker {
    client: Client,
    method: reqwest::Method,
    headers: HeaderMap,
    max_redirects: u32,
    timeout: Duration,
    connect_timeout: Duration,
    expect_status: StatusSet,
}

impl Checker {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        // reqwest is built without a bundled crypto provider; install ring.
        // An error only means one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone())
            .tls_danger_accept_invalid_certs(config.insecure)
            .pool_max_idle_per_host(config.workers);
        if let Some(path) = &config.cacert {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read --cacert file {}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).with_context(|| {
                format!(
                    "--cacert file {} is not a PEM certificate bundle",
                    path.display()
                )
            })?;
            if certs.is_empty() {
                anyhow::bail!("--cacert file {} has no PEM certificates", path.display());
            }
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder.build().context("cannot set up the HTTP client")?;
        Ok(Checker {
            client,
            method: config.method.as_reqwest(),
            headers: config.headers.clone(),
            max_redirects: config.max_redirects,
            timeout: config.timeout,
            connect_timeout: config.connect_timeout,
            expect_status: config.expect_status.clone(),
        })
    }

    /// Request `trail.url`, following redirects; returns the final status.
    /// `trail` keeps what is known so far, for a check cut off by its deadline.
    async fn fetch(&self, trail: &mut Trail) -> Result<u16, Failure> {
        let origin = trail.url.origin();
        let mut visited = vec![trail.url.clone()];
        loop {
            let mut request = self.client.request(self.method.clone(), trail.url.clone());
            if trail.url.origin() == origin {
                request = request.headers(self.headers.clone());
            }
            let response = request
                .send()
                .await
                .map_err(|e| classify(&e, Phase::Request, self.connect_timeout))?;
            let status = response.status();
            trail.status = Some(status.as_u16());
            let location = response.headers().get(LOCATION);
            if let (true, Some(location)) = (status.is_redirection(), location)
                && self.max_redirects > 0
            {
                let next = redirect_target(&trail.url, location)?;
                if trail.redirects >= self.max_redirects {
                    return Err(Failure::new(
                        FailureKind::Redirect,
                        format!("more than {} redirects", self.max_redirects),
                    ));
                }
                if visited.contains(&next) {
                    return Err(Failure::new(
                        FailureKind::Redirect,
                        format!("redirect loop: {} was already visited", display_url(&next)),
                    ));
                }
                visited.push(next.clone());
                trail.url = next;
                trail.redirects += 1;
                continue;
            }
            read_body(
                response,
                self.method == reqwest::Method::HEAD,
                self.connect_timeout,
            )
            .await?;
            return Ok(status.as_u16());
        }
    }

    fn judge(&self, status: u16) -> Option<Failure> {
        (!self.expect_status.contains(status)).then(|| {
            Failure::new(
                FailureKind::Status,
                format!("status {status}, expected {}", self.expect_status),
            )
        })
    }
}

impl Check for Checker {
    async fn check(&self, job: &Job) -> CheckResult {
        let url = match &job.target {
            Ok(url) => url,
            Err(message) => {
                let failure = Failure::new(FailureKind::InvalidInput, message.clone());
                return CheckResult::unchecked(job.url.clone(), job.origin.clone(), failure);
            }
        };
        let started = Instant::now();
        let mut trail = Trail {
            url: url.clone(),
            redirects: 0,
            status: None,
        };
        let failure = match tokio::time::timeout(self.timeout, self.fetch(&mut trail)).await {
            Ok(Ok(status)) => self.judge(status),
            Ok(Err(failure)) => Some(failure),
            Err(_) => Some(Failure::new(
                FailureKind::Timeout,
                format!(
                    "timed out after {}",
                    humantime::format_duration(self.timeout)
                ),
            )),
        };
        CheckResult {
            url: job.url.clone(),
            origin: job.origin.clone(),
            status: trail.status,
            failure,
            elapsed: started.elapsed(),
            final_url: Some(display_url(&trail.url)),
            redirects: trail.redirects,
        }
    }
}

/// What a check has reached so far.
struct Trail {
    url: Url,
    redirects: u32,
    status: Option<u16>,
}

/// Where a redirect points, resolved against the current URL.
fn redirect_target(current: &Url, location: &HeaderValue) -> Result<Url, Failure> {
    let location = location.to_str().map_err(|_| {
        Failure::new(
            FailureKind::Redirect,
            "the Location header is not valid text",
        )
    })?;
    let next = current.join(location).map_err(|e| {
        Failure::new(
            FailureKind::Redirect,
            format!("invalid redirect target '{}': {e}", mask_password(location)),
        )
    })?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(Failure::new(
            FailureKind::Redirect,
            format!("redirect to unsupported scheme '{}:'", next.scheme()),
        ));
    }
    Ok(next)
}

/// Read the body up to `BODY_READ_LIMIT` and discard it.
async fn read_body(
    mut response: reqwest::Response,
    head: bool,
    connect_timeout: Duration,
) -> Result<(), Failure> {
    if head {
        return Ok(());
    }
    let mut read = 0usize;
    while read < BODY_READ_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            Ok(None) => break,
            Err(e) => return Err(classify(&e, Phase::Body, connect_timeout)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(current: &str, location: &str) -> Result<String, Failure> {
        let current = Url::parse(current).unwrap();
        redirect_target(&current, &HeaderValue::from_str(location).unwrap()).map(String::from)
    }

    #[test]
    fn redirect_targets_resolve_relative_locations() {
        assert_eq!(
            target("http://a.test/x/y", "/z").unwrap(),
            "http://a.test/z"
        );
        assert_eq!(
            target("http://a.test/x/y", "z").unwrap(),
            "http://a.test/x/z"
        );
        assert_eq!(
            target("http://a.test/", "https://b.test/").unwrap(),
            "https://b.test/"
        );
        assert_eq!(
            target("https://a.test/", "//c.test/p").unwrap(),
            "https://c.test/p"
        );
    }

    #[test]
    fn redirects_to_other_schemes_fail() {
        let err = target("http://a.test/", "ftp://a.test/file").unwrap_err();
        assert_eq!(err.kind, FailureKind::Redirect);
        assert_eq!(err.message, "redirect to unsupported scheme 'ftp:'");
        assert!(target("http://a.test/", "file:///etc/passwd").is_err());
        assert!(target("http://a.test/", "http://[oops/").is_err());
    }
}
