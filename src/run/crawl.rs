//! `--crawl`: the pages a crawl will read, found by following links from
//! the pages given. A link is followed when it is in scope (under a
//! `--crawl-scope` prefix, or else on a start page's host), within the
//! depth, and its page was not seen before; its page is then checked and,
//! if it is HTML, read for links in turn. Everything else found is checked
//! once, as under `--links`.
//!
//! Memory stays flat: a page seen costs its 8-byte fingerprint (in the
//! frontier's set of pages), and the pages waiting to be read stay in
//! memory up to `IN_MEMORY`, the rest in a temporary file.
//!
//! robots.txt is read once per host, for the user agent `urlcheck` (else
//! `*`): a page it disallows is not crawled, but checked once like any
//! link; its `Crawl-delay` spaces that host's pages. A robots.txt that
//! cannot be read for a server or network error disallows the host's
//! crawl (RFC 9309, 2.3.1.4); one that is missing (4xx) allows it.

use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use texting_robots::Robot;
use tokio::time::Instant;

use super::spill::LineQueue;
use crate::check::throttle::host_key;
use crate::results::{Place, Source};

/// Pages waiting to be read that are kept in memory; the rest wait in a
/// file. About 150 bytes each.
const IN_MEMORY: usize = 50_000;

/// The longest pause between two pages of a host that its `Crawl-delay`
/// gets.
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// How long a robots.txt is waited for.
const ROBOTS_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a robots.txt that is read (RFC 9309 asks for 500 KiB at
/// least).
const ROBOTS_MAX_BYTES: usize = 512 * 1024;

/// The user agent whose robots.txt rules apply; then `*`.
const AGENT: &str = "urlcheck";

/// A page to read: where it was first found, and how deep.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Page {
    pub(crate) url: String,
    pub(crate) place: Place,
    pub(crate) depth: u32,
}

/// What to do with the next page.
#[derive(Debug)]
pub(crate) enum Next {
    /// Read it, not before `not_before` (its host's `Crawl-delay`).
    Crawl {
        page: Page,
        not_before: Option<Instant>,
    },
    /// robots.txt disallows it: check it once, as a link.
    Disallowed(Page),
}

/// What a crawl did, for the summary.
#[derive(Debug, Default)]
pub(crate) struct CrawlReport {
    /// Pages found by following links and read (or queued to be).
    pub(crate) pages: u64,
    /// Pages not crawled because robots.txt disallows them.
    pub(crate) disallowed: u64,
    /// Hosts whose robots.txt could not be read, with why: not crawled.
    pub(crate) unreadable: Vec<String>,
    /// Hosts with a `Crawl-delay`, and the pause kept.
    pub(crate) delays: Vec<(String, Duration)>,
    /// Pages that redirected out of scope: checked, their links not read.
    pub(crate) left_scope: u64,
}

/// A host's robots.txt, as it applies.
enum Rules {
    /// Read: its rules, and its `Crawl-delay` with when the next page may go.
    Read {
        robot: Box<Robot>,
        delay: Option<Duration>,
        next: Instant,
    },
    /// Missing (4xx), or ignored: everything may be crawled.
    AllowAll,
    /// A server or network error: nothing is crawled.
    Unreadable,
}

/// Which links a crawl follows.
struct Scope {
    max_depth: Option<u32>,
    /// `--crawl-scope` prefixes; when none, `hosts`.
    prefixes: Vec<String>,
    /// The hosts of the start pages.
    hosts: HashSet<String>,
}

impl Scope {
    /// A page the crawl starts from: with no `--crawl-scope`, its host is
    /// in scope.
    fn start(&mut self, url: &Url) {
        if self.prefixes.is_empty() {
            self.hosts.insert(scope_key(url));
        }
    }

    /// Whether a link found on a page at `depth` is followed: an http(s)
    /// URL in scope, within the depth.
    fn follows(&self, url: &Url, depth: u32) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        if self.max_depth.is_some_and(|max| depth >= max) {
            return false;
        }
        if self.prefixes.is_empty() {
            self.hosts.contains(&scope_key(url))
        } else {
            self.prefixes.iter().any(|p| url.as_str().starts_with(p))
        }
    }
}

/// The crawl's state in the feeder.
pub(crate) struct Crawl {
    scope: Scope,
    waiting: LineQueue,
    /// The page taken from `waiting` whose host's robots.txt is being
    /// read: kept here, so that a stop meanwhile still records it.
    current: Option<Page>,
    /// By origin.
    rules: HashMap<String, Rules>,
    ignore_robots: bool,
    client: reqwest::Client,
    pub(crate) report: CrawlReport,
}

impl Crawl {
    pub(crate) fn new(
        max_depth: Option<u32>,
        prefixes: Vec<String>,
        ignore_robots: bool,
        client: reqwest::Client,
    ) -> Self {
        Crawl {
            scope: Scope {
                max_depth,
                prefixes,
                hosts: HashSet::new(),
            },
            waiting: LineQueue::new(IN_MEMORY),
            current: None,
            rules: HashMap::new(),
            ignore_robots,
            client,
            report: CrawlReport::default(),
        }
    }

    /// A page the crawl starts from (see `Scope::start`).
    pub(crate) fn start(&mut self, url: &Url) {
        self.scope.start(url);
    }

    /// Whether a link found on a page at `depth` is followed.
    pub(crate) fn follows(&self, url: &Url, depth: u32) -> bool {
        self.scope.follows(url, depth)
    }

    /// A page read at `depth` ended, after its redirects, at `url`: whether
    /// its links are the crawl's. A start page's final URL joins the scope
    /// (`http://example.com/` answering from `https://www.example.com/`);
    /// a crawled page that redirected out of scope is not the site's, and
    /// its links are left alone.
    pub(crate) fn reached(&mut self, url: &Url, depth: u32) -> bool {
        if depth == 0 {
            self.scope.start(url);
            return true;
        }
        let in_scope = self.scope.follows(url, 0);
        if !in_scope {
            self.report.left_scope += 1;
        }
        in_scope
    }

    /// `page` is to be read. An error only when the temporary file cannot
    /// be written.
    pub(crate) fn push(&mut self, page: &Page) -> io::Result<()> {
        self.report.pages += 1;
        self.waiting.push(encode(page))
    }

    /// The next page waiting, as it is, robots.txt aside: for the records
    /// of those left when the run stops.
    pub(crate) fn next_unread(&mut self) -> io::Result<Option<Page>> {
        if let Some(page) = self.current.take() {
            return Ok(Some(page));
        }
        let Some(line) = self.waiting.pop()? else {
            return Ok(None);
        };
        decode(&line).map(Some).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the temporary file of pages to crawl is damaged",
            )
        })
    }

    /// The next page, once its host's robots.txt is known (read now, the
    /// first time). Cancel-safe: a page whose robots.txt was being read
    /// when the future was dropped is the next one again.
    pub(crate) async fn next(&mut self) -> io::Result<Option<Next>> {
        if self.current.is_none() {
            self.current = self.next_unread()?;
        }
        let Some(url) = self.current.as_ref().map(|page| Url::parse(&page.url)) else {
            return Ok(None);
        };
        let Ok(url) = url else {
            return Ok(self.current.take().map(|page| Next::Crawl {
                page,
                not_before: None,
            }));
        };
        let origin = url.origin().ascii_serialization();
        if !self.rules.contains_key(&origin) {
            let rules = self.read_robots(&url, &origin).await;
            self.rules.insert(origin.clone(), rules);
        }
        let Some(page) = self.current.take() else {
            return Ok(None);
        };
        Ok(Some(match self.rules.get_mut(&origin) {
            Some(Rules::Read { robot, delay, next }) => {
                if !robot.allowed(url.as_str()) {
                    self.report.disallowed += 1;
                    Next::Disallowed(page)
                } else {
                    let not_before = delay.map(|delay| {
                        let at = (*next).max(Instant::now());
                        *next = at + delay;
                        at
                    });
                    Next::Crawl { page, not_before }
                }
            }
            Some(Rules::Unreadable) => {
                self.report.disallowed += 1;
                Next::Disallowed(page)
            }
            Some(Rules::AllowAll) | None => Next::Crawl {
                page,
                not_before: None,
            },
        }))
    }

    /// The robots.txt of `url`'s host, as it applies.
    async fn read_robots(&mut self, url: &Url, origin: &str) -> Rules {
        if self.ignore_robots {
            return Rules::AllowAll;
        }
        let Ok(robots) = url.join("/robots.txt") else {
            return Rules::AllowAll;
        };
        match tokio::time::timeout(ROBOTS_TIMEOUT, fetch(&self.client, robots)).await {
            Ok(Ok(Some(body))) => match Robot::new(AGENT, &body) {
                Ok(robot) => {
                    let delay = robot
                        .delay
                        .filter(|d| d.is_finite() && *d > 0.0)
                        .map(|d| Duration::from_millis((f64::from(d) * 1000.0).round() as u64))
                        .map(|d| d.min(MAX_CRAWL_DELAY));
                    if let Some(delay) = delay {
                        self.report.delays.push((origin.to_string(), delay));
                    }
                    Rules::Read {
                        robot: Box::new(robot),
                        delay,
                        next: Instant::now(),
                    }
                }
                // What cannot be parsed sets no rule.
                Err(_) => Rules::AllowAll,
            },
            Ok(Ok(None)) => Rules::AllowAll,
            Ok(Err(why)) => {
                self.report.unreadable.push(format!("{origin}: {why}"));
                Rules::Unreadable
            }
            Err(_) => {
                self.report.unreadable.push(format!(
                    "{origin}: no answer within {}",
                    humantime::format_duration(ROBOTS_TIMEOUT)
                ));
                Rules::Unreadable
            }
        }
    }
}

/// A robots.txt: its text (up to `ROBOTS_MAX_BYTES`), `None` when there is
/// none (4xx), or why it cannot be read (5xx, no connection).
async fn fetch(client: &reqwest::Client, url: Url) -> Result<Option<Vec<u8>>, String> {
    let mut response = client.get(url).send().await.map_err(|e| {
        let kind = if e.is_connect() {
            "cannot connect"
        } else {
            "no answer"
        };
        kind.to_string()
    })?;
    let status = response.status();
    if status.is_client_error() {
        return Ok(None);
    }
    if !status.is_success() {
        return Err(format!("robots.txt answered {}", status.as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| "robots.txt broke off".to_string())?
    {
        body.extend_from_slice(&chunk);
        if body.len() >= ROBOTS_MAX_BYTES {
            body.truncate(ROBOTS_MAX_BYTES);
            break;
        }
    }
    Ok(Some(body))
}

/// What scopes a crawl by host: the host and its port (`http://a` and
/// `https://a` are one site).
fn scope_key(url: &Url) -> String {
    match url.port() {
        Some(port) => format!("{}:{port}", host_key(url)),
        None => host_key(url),
    }
}

/// A page as a line of the waiting file: depth, line, column, the page
/// it was found on, and its URL, between tabs (no URL holds a tab).
fn encode(page: &Page) -> String {
    let number = |n: Option<u64>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
    format!(
        "{}\t{}\t{}\t{}\t{}",
        page.depth,
        number(page.place.line),
        number(page.place.column),
        page.place.source.name(),
        page.url
    )
}

fn decode(line: &str) -> Option<Page> {
    let mut parts = line.splitn(5, '\t');
    let depth = parts.next()?.parse().ok()?;
    let number = |s: &str| s.parse::<u64>().ok();
    let line = number(parts.next()?);
    let column = number(parts.next()?);
    let source = Source::Page(Arc::from(parts.next()?));
    let url = parts.next()?.to_string();
    Some(Page {
        url,
        place: Place {
            source,
            line,
            column,
        },
        depth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crawl(max_depth: Option<u32>, prefixes: &[&str]) -> Scope {
        Scope {
            max_depth,
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            hosts: HashSet::new(),
        }
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn the_scope_is_the_start_hosts_or_the_prefixes_and_the_depth_bounds_it() {
        let mut by_host = crawl(Some(2), &[]);
        by_host.start(&url("https://site.test/docs/"));
        assert!(by_host.follows(&url("https://site.test/blog/a"), 0));
        assert!(by_host.follows(&url("http://site.test/a"), 1), "same site");
        assert!(!by_host.follows(&url("https://site.test/a"), 2), "too deep");
        assert!(!by_host.follows(&url("https://other.test/"), 0));
        assert!(!by_host.follows(&url("https://site.test:8443/"), 0));
        assert!(!by_host.follows(&url("ftp://site.test/"), 0));

        let mut by_prefix = crawl(None, &["https://site.test/docs/"]);
        by_prefix.start(&url("https://site.test/docs/"));
        assert!(by_prefix.follows(&url("https://site.test/docs/a/b"), 1_000));
        assert!(!by_prefix.follows(&url("https://site.test/blog/"), 0));
    }

    #[test]
    fn a_page_survives_its_line_in_the_waiting_file() {
        let page = Page {
            url: "https://site.test/a?b=c#d".into(),
            place: Place {
                source: Source::Page("https://site.test/".into()),
                line: Some(12),
                column: None,
            },
            depth: 3,
        };
        assert_eq!(decode(&encode(&page)), Some(page));
        assert_eq!(decode("3\tx"), None);
    }
}
