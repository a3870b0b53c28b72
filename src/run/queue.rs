//! The queue: the feeder turns input lines into `Job`s and pushes them into the
//! bounded queue that the workers drain. When the queue is full the feeder
//! waits, so input is read only as fast as it is checked. On a stop it stops
//! reading, and a job it had read but not queued still gets its record.
//!
//! Under `--per-host`, the feeder looks ahead (`Lookahead`): it queues a job
//! only once a slot of its host is reserved, and holds the others (up to
//! `--lookahead` of them) until their host frees one. A list grouped by host
//! then keeps every host at its limit at once, instead of every worker
//! waiting on the one host at the head of the list.
//!
//! Under `--wait` the feeder is also the scheduler of re-checks
//! (`rechecks.rs`): a URL not up yet is queued again when it is due, and
//! the feeder ends once every job it queued is finished.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::crawl::{self, Crawl};
use super::frontier::Frontier;
use super::rechecks::{Rechecks, Turn};
use crate::check::throttle::{Throttle, host_key};
use crate::config::{CheckSpec, Sites};
use crate::input::sitemaps::{Item, Sitemaps};
use crate::input::{Input, Job, Selection, job_from_line, line_key};
use crate::links::{PageLinks, Skipped, link_key};
use crate::results::{CheckResult, Found, Origin, Place, Source};
use crate::stop::Stop;

/// What the feeder did, for the summary and the exit code.
#[derive(Debug, Default)]
pub(crate) struct FeedReport {
    /// URL lines read (valid or not): each has exactly one record.
    pub(crate) urls_read: u64,
    /// Where the last URL line read came from.
    pub(crate) last_read: Option<Origin>,
    /// Reading stopped before the end of the input.
    pub(crate) stopped_early: bool,
    /// Inputs that failed part way ("error reading x after line n: ...").
    pub(crate) read_errors: Vec<String>,
    /// URL lines left to other shards, or done in the `--resume` file.
    pub(crate) skipped: u64,
    /// Why the inputs could not be read on at all (a `--resume` file from
    /// other inputs).
    pub(crate) fatal: Option<String>,
    /// Sitemaps, documents and links.
    pub(crate) sites: SiteReport,
}

/// What was read of sitemaps and documents, and found on pages.
#[derive(Debug, Default)]
pub(crate) struct SiteReport {
    /// Sitemaps (and robots.txt files) read.
    pub(crate) sitemaps: u64,
    /// Sitemaps named but not read: twice named, or past the bounds.
    pub(crate) sitemaps_left_out: u64,
    /// Pages the sitemaps list.
    pub(crate) sitemap_pages: u64,
    /// Documents read.
    pub(crate) documents: u64,
    /// Pages whose links were read.
    pub(crate) pages: u64,
    /// Links found in documents and on pages (every place).
    pub(crate) links: u64,
    /// Distinct URLs among them.
    pub(crate) distinct: u64,
    /// Links to pages checked anyway.
    pub(crate) to_pages: u64,
    /// URLs `--include`/`--exclude` left out.
    pub(crate) excluded: u64,
    /// Links not checked, by why.
    pub(crate) skipped: Skipped,
    /// `--crawl`: pages found by following links, and what robots.txt said.
    pub(crate) crawl: Option<crawl::CrawlReport>,
}

impl SiteReport {
    /// The summary's lines: what was read, found and left out.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.sitemaps > 0 {
            let mut line = format!(
                "sitemaps: {} read, {} pages listed",
                self.sitemaps, self.sitemap_pages
            );
            if self.sitemaps_left_out > 0 {
                line += &format!(
                    "; {} left out (named twice, or past --sitemap's bounds)",
                    self.sitemaps_left_out
                );
            }
            lines.push(line);
        }
        if self.documents > 0 || self.pages > 0 || self.links > 0 {
            let mut read = Vec::new();
            if self.documents > 0 {
                read.push(format!("{} documents", self.documents));
            }
            if self.pages > 0 {
                read.push(format!("{} pages", self.pages));
            }
            let besides = if self.crawl.is_some() {
                " besides those followed"
            } else {
                ""
            };
            let mut line = format!(
                "links: {} found in {}, {} distinct URLs{besides}",
                self.links,
                read.join(" and "),
                self.distinct
            );
            if self.to_pages > 0 {
                line += &format!(" ({} links to pages checked as pages)", self.to_pages);
            }
            lines.push(line);
        }
        if let Some(crawl) = &self.crawl {
            let mut line = format!(
                "crawl: {} URLs in scope followed (each checked once, read if HTML)",
                crawl.pages
            );
            if crawl.left_scope > 0 {
                line += &format!(
                    "; {} redirected out of scope (checked, not read)",
                    crawl.left_scope
                );
            }
            if crawl.disallowed > 0 {
                line += &format!(
                    "; {} not crawled, disallowed by robots.txt (checked once; \
                     --ignore-robots crawls them)",
                    crawl.disallowed
                );
            }
            lines.push(line);
            for (host, delay) in &crawl.delays {
                lines.push(format!(
                    "crawl: {host} asks for {} between pages (robots.txt Crawl-delay)",
                    humantime::format_duration(*delay)
                ));
            }
            for why in &crawl.unreadable {
                lines.push(format!(
                    "crawl: robots.txt of {why}: the host is not crawled (--ignore-robots \
                     crawls it)"
                ));
            }
        }
        if let Some(skipped) = self.skipped.describe() {
            lines.push(format!("links not checked: {skipped}"));
        }
        if self.excluded > 0 {
            lines.push(format!(
                "excluded: {} URLs (--include, --exclude)",
                self.excluded
            ));
        }
        lines
    }
}

/// What the feeder queues, and in what order.
#[derive(Default)]
pub(crate) struct Plan {
    /// Which lines this run checks.
    pub(crate) selection: Selection,
    /// What every line's URL is checked for.
    pub(crate) spec: Arc<CheckSpec>,
    /// Under `--per-host`: the run's host slots, and how many lines to hold.
    pub(crate) lookahead: Option<(Arc<Throttle>, usize)>,
    /// Under `--wait`: the URLs to check again later; under `--links`, the
    /// pages not yet finished, and the links found on them.
    pub(crate) rechecks: Option<Rechecks>,
    /// Sitemaps, documents, links: what is found and what is left out.
    pub(crate) sites: Arc<Sites>,
    /// The client that reads sitemaps, when there are any.
    pub(crate) client: Option<reqwest::Client>,
    /// Under `--links` or with documents: the URLs found, to check once
    /// every page is read.
    pub(crate) frontier: Option<Frontier>,
}

/// Read every input in order and queue a job per URL line, until the input
/// ends or `stop` is cancelled. Dropping `queue` on return closes the queue.
pub(crate) async fn feed(
    inputs: Vec<Input>,
    plan: Plan,
    queue: mpsc::Sender<Job>,
    results: mpsc::Sender<CheckResult>,
    stop: Arc<Stop>,
    stop_reading: CancellationToken,
) -> FeedReport {
    let Plan {
        mut selection,
        spec,
        lookahead,
        rechecks,
        sites,
        client,
        frontier,
    } = plan;
    let lookahead = lookahead.and_then(|(throttle, limit)| {
        Some(Lookahead {
            freed: throttle.freed_hosts()?,
            throttle,
            limit,
            held: HashMap::new(),
            holding: 0,
        })
    });
    let crawl = match (sites.crawl, &client) {
        (Some(depth), Some(client)) => Some(Crawl::new(
            depth,
            sites.crawl_scope.clone(),
            sites.ignore_robots,
            client.clone(),
        )),
        _ => None,
    };
    let mut feeder = Feeder {
        queue,
        results,
        stop,
        stop_reading,
        report: FeedReport::default(),
        lookahead,
        rechecks,
        sites,
        frontier,
        crawl,
    };
    for input in inputs {
        let more = match input {
            Input::Arg(text) => {
                feeder
                    .offer(Job::from_arg(&text, spec.clone()), &mut selection)
                    .await
            }
            Input::Check(check) => feeder.offer(Job::from_check(check), &mut selection).await,
            Input::Lines { source, mut reader } => loop {
                // While the next line is slow to come (a pipe), slots that
                // free up still let held jobs go.
                let Some(line) = feeder.wait_for(reader.next_line()).await else {
                    break false;
                };
                match line {
                    Ok(Some(raw)) => {
                        // Another shard's line costs no URL parsing (but
                        // under --links its page is read for its links).
                        if selection.shard.is_some()
                            && feeder.sites.links.is_none()
                            && selection.other_shard(line_key(&raw))
                        {
                            feeder.report.skipped += 1;
                            continue;
                        }
                        if let Some(job) = job_from_line(&source, raw, &spec)
                            && !feeder.offer(job, &mut selection).await
                        {
                            break false;
                        }
                    }
                    Ok(None) => break true,
                    Err(e) => {
                        feeder.read_error(&source, &e.to_string());
                        break true;
                    }
                }
            },
            Input::Sitemap(source) => {
                let Some(client) = &client else {
                    feeder
                        .report
                        .read_errors
                        .push("internal error: a sitemap and no client to read it".into());
                    continue;
                };
                let mut sitemaps = Sitemaps::new(source, client.clone());
                let more = loop {
                    let Some(item) = feeder.wait_for(sitemaps.next()).await else {
                        break false;
                    };
                    match item {
                        Some(Item::Page(url, origin)) => {
                            feeder.report.sites.sitemap_pages += 1;
                            let job = Job::new(&url, origin, spec.clone());
                            if !feeder.offer(job, &mut selection).await {
                                break false;
                            }
                        }
                        Some(Item::Broken(record)) => {
                            if !feeder.record(*record).await {
                                break false;
                            }
                        }
                        None => break true,
                    }
                };
                feeder.report.sites.sitemaps += sitemaps.read;
                feeder.report.sites.sitemaps_left_out += sitemaps.left_out;
                more
            }
            Input::Document(document) => {
                let base = feeder.sites.base_url.clone();
                let fragments = feeder.sites.check_fragments;
                match feeder
                    .wait_for(document.links(base.as_ref(), fragments))
                    .await
                {
                    None => false,
                    Some(Ok(links)) => {
                        feeder.report.sites.documents += 1;
                        feeder.take_found(links);
                        true
                    }
                    Some(Err(e)) => {
                        feeder.report.read_errors.push(format!("{e:#}"));
                        true
                    }
                }
            }
        };
        if !more {
            feeder.report.stopped_early = true;
            break;
        }
    }
    // Every page is checked, and its links found (under --crawl, the pages
    // they lead to too): then the links.
    if !feeder.report.stopped_early {
        feeder.release_held().await;
        if !feeder.crawl_until_done(&spec, &mut selection).await {
            feeder.report.stopped_early = true;
        }
    }
    if !feeder.report.stopped_early {
        feeder.release_held().await;
        feeder.recheck_until_done().await;
        if !feeder.check_found(&spec, &mut selection).await {
            feeder.report.stopped_early = true;
        }
    }
    feeder.release_held().await;
    feeder.recheck_until_done().await;
    feeder.record_held().await;
    feeder.record_awaited().await;
    feeder.record_crawl().await;
    feeder.record_found().await;
    if let Some(crawl) = feeder.crawl.take() {
        feeder.report.sites.crawl = Some(crawl.report);
    }
    feeder.report
}

/// Under `--crawl`, a link found on a page at `depth`: its page is to be
/// read if the crawl follows it and it was not seen; else the link goes to
/// the frontier, to be checked once. A link with a `#fragment` (kept under
/// `--check-fragments`) goes there too, for its anchor.
fn follow(
    crawl: &mut Crawl,
    frontier: &mut Frontier,
    sites: &Sites,
    url: String,
    place: Place,
    depth: u32,
) -> std::io::Result<()> {
    if let Ok(parsed) = reqwest::Url::parse(&url)
        && crawl.follows(&parsed, depth)
    {
        let page = link_key(parsed, false);
        if !frontier.is_page(&page) && sites.wants(&page) {
            frontier.page(&page);
            crawl.push(&crawl::Page {
                url: page.clone(),
                place: place.clone(),
                depth: depth + 1,
            })?;
            if page == url {
                return Ok(());
            }
        }
    }
    frontier.add(url, place)
}

/// The places of a page the crawl found: where it was first linked from.
fn page_found(place: Place) -> Arc<Found> {
    Arc::new(Found {
        occurrences: 1,
        places: vec![place],
    })
}

/// What the feeder waits for while reading.
enum Event<L> {
    Line(L),
    Stop,
    /// A slot of this host was freed.
    Freed(String),
    /// Under `--wait`: a URL due to be checked again, or room to read on.
    Turn(Turn),
}

/// What comes next about re-checks; never, without `--wait`.
async fn next_turn(rechecks: &mut Option<Rechecks>) -> Turn {
    match rechecks {
        Some(rechecks) => rechecks.next().await,
        None => std::future::pending().await,
    }
}

/// The next host whose slot was freed; never, without a look-ahead.
async fn freed(lookahead: &mut Option<Lookahead>) -> Option<String> {
    match lookahead {
        Some(ahead) => ahead.freed.recv().await,
        None => std::future::pending().await,
    }
}

/// The jobs held back until their host has a free slot.
struct Lookahead {
    throttle: Arc<Throttle>,
    /// Jobs held at most.
    limit: usize,
    /// Held jobs by host, in input order.
    held: HashMap<String, VecDeque<Job>>,
    holding: usize,
    /// Hosts whose slots were freed.
    freed: mpsc::UnboundedReceiver<String>,
}

struct Feeder {
    queue: mpsc::Sender<Job>,
    results: mpsc::Sender<CheckResult>,
    /// Why the run stopped, for the records of lines not checked.
    stop: Arc<Stop>,
    /// Cancelled with `stop`, or alone when the workers are gone.
    stop_reading: CancellationToken,
    report: FeedReport,
    lookahead: Option<Lookahead>,
    rechecks: Option<Rechecks>,
    sites: Arc<Sites>,
    frontier: Option<Frontier>,
    crawl: Option<Crawl>,
}

impl Feeder {
    /// Wait for `next` (the next line, sitemap entry or document), while
    /// slots that free up let held jobs go and due re-checks are queued.
    /// `None` when the run is stopping.
    async fn wait_for<F: Future>(&mut self, next: F) -> Option<F::Output> {
        tokio::pin!(next);
        loop {
            // Under --wait, enough URLs awaited: read on later.
            let read = !self.rechecks.as_ref().is_some_and(Rechecks::is_full);
            let event = tokio::select! {
                biased;
                _ = self.stop_reading.cancelled() => Event::Stop,
                out = &mut next, if read => Event::Line(out),
                Some(host) = freed(&mut self.lookahead) => Event::Freed(host),
                turn = next_turn(&mut self.rechecks) => Event::Turn(turn),
            };
            let more = match event {
                Event::Line(out) => return Some(out),
                Event::Stop => return None,
                Event::Freed(host) => self.queue_held(&host).await,
                Event::Turn(turn) => self.take_turn(turn).await,
            };
            if !more {
                return None;
            }
        }
    }

    /// An input that failed part way: said at the end, and the run fails.
    fn read_error(&mut self, source: &Source, error: &str) {
        let after = self
            .report
            .last_read
            .as_ref()
            .filter(|o| o.source == *source)
            .and_then(|o| o.line)
            .map_or(String::new(), |n| format!(" after line {n}"));
        let name = match source {
            Source::Stdin => "stdin",
            other => other.name(),
        };
        self.report
            .read_errors
            .push(format!("error reading {name}{after}: {error}"));
    }

    /// A record made here (a broken sitemap); false when stdout is gone.
    async fn record(&mut self, record: CheckResult) -> bool {
        self.report.urls_read += 1;
        self.stop.ledger.read_one();
        self.results.send(record).await.is_ok()
    }

    /// Links found in a document or on a page: under `--crawl`, those it
    /// follows to pages to read; the others into the frontier.
    fn take_found(&mut self, found: PageLinks) {
        let Some(frontier) = &mut self.frontier else {
            return;
        };
        if let (Some(crawl), Some(page)) = (&mut self.crawl, &found.page)
            && !crawl.reached(page, found.depth)
        {
            return;
        }
        let sites = &mut self.report.sites;
        sites.skipped.add(found.skipped);
        for (url, place) in found.links {
            sites.links += 1;
            let kept = match &mut self.crawl {
                Some(crawl) => follow(crawl, frontier, &self.sites, url, place, found.depth),
                None => frontier.add(url, place),
            };
            if let Err(e) = kept {
                self.report
                    .read_errors
                    .push(format!("cannot keep the links found: {e}"));
                self.frontier = None;
                self.crawl = None;
                return;
            }
        }
    }

    /// Under `--crawl`: queue the pages it finds as they come, each once
    /// its host's robots.txt is known, until none is left and every page
    /// queued is finished. False when the run is stopping.
    async fn crawl_until_done(&mut self, spec: &Arc<CheckSpec>, selection: &mut Selection) -> bool {
        loop {
            // The links pages found first: held in the channel from the
            // workers, they would pile up while the feeder queues pages.
            while let Some(links) = self.rechecks.as_mut().and_then(Rechecks::found_now) {
                self.take_turn(Turn::Found(links)).await;
            }
            let Some(crawl) = &mut self.crawl else {
                return true;
            };
            let next = tokio::select! {
                biased;
                _ = self.stop_reading.cancelled() => return false,
                next = crawl.next() => next,
            };
            match next {
                Ok(Some(crawl::Next::Crawl { page, not_before })) => {
                    if let Some(at) = not_before {
                        tokio::select! {
                            biased;
                            _ = self.stop_reading.cancelled() => {
                                self.record_page(page).await;
                                return false;
                            }
                            () = tokio::time::sleep_until(at) => {}
                        }
                    }
                    let mut job = Job::found(&page.url, page_found(page.place), spec.clone());
                    job.page = true;
                    job.depth = page.depth;
                    // Its links come back while it is queued: the crawl
                    // takes them in.
                    if !self.offer(job, selection).await {
                        return false;
                    }
                }
                Ok(Some(crawl::Next::Disallowed(page))) => {
                    // Checked once, as a link: not a page to read.
                    if let Some(frontier) = &mut self.frontier {
                        frontier.unpage(&page.url);
                        if let Err(e) = frontier.add(page.url, page.place) {
                            self.report
                                .read_errors
                                .push(format!("cannot keep the links found: {e}"));
                        }
                    }
                }
                Ok(None) => {
                    // Nothing waits: done once every page queued is
                    // finished; until then, what they find comes in.
                    if self.rechecks.as_ref().is_none_or(Rechecks::is_idle) {
                        return true;
                    }
                    if !self.take_one_event().await {
                        return false;
                    }
                }
                Err(e) => {
                    self.report
                        .read_errors
                        .push(format!("cannot read back the pages to crawl: {e}"));
                    return true;
                }
            }
        }
    }

    /// A page to crawl that is not checked: its record says why.
    async fn record_page(&mut self, page: crawl::Page) {
        let job = Job::found(&page.url, page_found(page.place), Arc::default());
        self.report.urls_read += 1;
        self.stop.ledger.read_one();
        let record = job.into_unchecked(self.stop.not_checked());
        let _ = self.results.send(record).await;
    }

    /// After a stop, every page the crawl found and did not read is
    /// recorded once.
    async fn record_crawl(&mut self) {
        while let Some(Ok(Some(page))) = self.crawl.as_mut().map(Crawl::next_unread) {
            self.record_page(page).await;
        }
    }

    /// After every page: queue each URL found once, with all its places.
    /// False when the run is stopping.
    async fn check_found(&mut self, spec: &Arc<CheckSpec>, selection: &mut Selection) -> bool {
        loop {
            let next = match self.frontier.as_mut().map(Frontier::next) {
                None | Some(Ok(None)) => break,
                Some(Ok(Some(next))) => next,
                Some(Err(e)) => {
                    self.report
                        .read_errors
                        .push(format!("cannot read back the links found: {e}"));
                    break;
                }
            };
            let job = Job::found(&next.url, next.found, spec.clone());
            if !self.offer(job, selection).await {
                return false;
            }
        }
        if let Some(frontier) = &self.frontier {
            self.report.sites.distinct = frontier.distinct();
            self.report.sites.to_pages = frontier.to_pages;
        }
        self.release_held().await;
        self.recheck_until_done().await;
        true
    }

    /// After a stop, every URL found and not checked is recorded once.
    async fn record_found(&mut self) {
        let Some(mut frontier) = self.frontier.take() else {
            return;
        };
        while let Ok(Some(next)) = frontier.next() {
            let job = Job::found(&next.url, next.found, Arc::default());
            if !self.sites.wants(&job.url) {
                continue;
            }
            self.report.urls_read += 1;
            self.stop.ledger.read_one();
            let record = job.into_unchecked(self.stop.not_checked());
            let _ = self.results.send(record).await;
        }
    }

    /// Queue `job` if this run checks it; false when the run is stopping.
    async fn offer(&mut self, mut job: Job, selection: &mut Selection) -> bool {
        if job.target.is_ok() && !self.sites.wants(&job.url) {
            self.report.sites.excluded += 1;
            return true;
        }
        if self.sites.links.is_some()
            && job.found.is_none()
            && let (Ok(url), Some(frontier)) = (&job.target, &mut self.frontier)
        {
            job.page = true;
            frontier.page(&link_key(url.clone(), false));
            if let Some(crawl) = &mut self.crawl {
                crawl.start(url);
            }
        }
        match selection.wants(&job) {
            Ok(true) => self.push(job).await,
            // --shard with --links: another shard's page is read here too,
            // for the links that hash to this shard; its record is that
            // shard's.
            Ok(false) if job.page && selection.shard.is_some() => {
                self.report.skipped += 1;
                job.silent = true;
                self.enqueue(job).await
            }
            Ok(false) => {
                self.report.skipped += 1;
                true
            }
            Err(problem) => {
                self.report.fatal = Some(problem);
                false
            }
        }
    }

    /// Take one job read, and queue it. False when the run is stopping.
    async fn push(&mut self, job: Job) -> bool {
        self.report.urls_read += 1;
        self.stop.ledger.read_one();
        self.report.last_read = Some(job.origin.clone());
        self.enqueue(job).await
    }

    /// Queue a job, or under `--per-host` hold it until its host has a free
    /// slot. False when the run is stopping.
    async fn enqueue(&mut self, job: Job) -> bool {
        if self.lookahead.is_none() {
            return self.queue(job).await;
        }
        let url = match &job.target {
            Ok(url) if url.scheme() != "file" => url,
            // Not a URL, or a local file: nothing to be polite to, and no
            // check of it takes a host's slot.
            _ => return self.queue(job).await,
        };
        let host = host_key(url);
        // Held first, behind its host's earlier lines: from here on a stop
        // records it with the other held jobs.
        if let Some(ahead) = &mut self.lookahead {
            ahead.held.entry(host.clone()).or_default().push_back(job);
            ahead.holding += 1;
        }
        // Slots freed meanwhile go to the jobs that waited for them first.
        while let Some(freed) = self
            .lookahead
            .as_mut()
            .and_then(|ahead| ahead.freed.try_recv().ok())
        {
            if !self.queue_held(&freed).await {
                return false;
            }
        }
        if !self.queue_held(&host).await {
            return false;
        }
        // Full: wait until a slot frees and a held job goes.
        while self
            .lookahead
            .as_ref()
            .is_some_and(|ahead| ahead.holding >= ahead.limit)
        {
            if !self.wait_for_a_slot().await {
                return false;
            }
        }
        true
    }

    /// Queue the held jobs of `host` that it has slots for; false when the
    /// run is stopping.
    async fn queue_held(&mut self, host: &str) -> bool {
        loop {
            let Some(ahead) = &mut self.lookahead else {
                return true;
            };
            let Some(waiting) = ahead.held.get_mut(host) else {
                return true;
            };
            if waiting.is_empty() {
                ahead.held.remove(host);
                return true;
            }
            if !ahead.throttle.try_reserve(host) {
                return true;
            }
            let Some(job) = waiting.pop_front() else {
                return true;
            };
            ahead.holding -= 1;
            if !self.queue(job).await {
                return false;
            }
        }
    }

    /// Wait for a freed slot and queue what it lets go; false on a stop.
    async fn wait_for_a_slot(&mut self) -> bool {
        let Some(ahead) = &mut self.lookahead else {
            return true;
        };
        let freed = tokio::select! {
            biased;
            _ = self.stop_reading.cancelled() => None,
            freed = ahead.freed.recv() => freed,
        };
        match freed {
            Some(host) => self.queue_held(&host).await,
            None => false,
        }
    }

    /// At the end of the input, under `--wait`: queue each URL not up yet
    /// when it is due, until every job is finished or the run stops.
    async fn recheck_until_done(&mut self) {
        while self.rechecks.as_ref().is_some_and(|r| !r.is_idle()) {
            if !self.take_one_event().await {
                return;
            }
        }
    }

    /// With no input left to read: wait for one event, a freed slot or a
    /// turn of the re-checks (a URL due, a page's links), and act on it.
    /// False when the run is stopping.
    async fn take_one_event(&mut self) -> bool {
        let event = tokio::select! {
            biased;
            _ = self.stop_reading.cancelled() => Event::<()>::Stop,
            Some(host) = freed(&mut self.lookahead) => Event::Freed(host),
            turn = next_turn(&mut self.rechecks) => Event::Turn(turn),
        };
        match event {
            Event::Freed(host) => self.queue_held(&host).await,
            Event::Turn(turn) => self.take_turn(turn).await,
            Event::Line(()) | Event::Stop => false,
        }
    }

    /// Queue a URL that is due; false when the run is stopping.
    async fn take_turn(&mut self, turn: Turn) -> bool {
        match turn {
            Turn::Due(job) => self.enqueue(job).await,
            Turn::Found(links) => {
                // A page that answered 2xx with HTML, its links read.
                self.report.sites.pages += 1;
                self.take_found(*links);
                true
            }
            Turn::Room | Turn::Idle => true,
            // No worker left: what is awaited is recorded as it stands.
            Turn::Gone => {
                self.record_awaited().await;
                true
            }
        }
    }

    /// After a stop, the URLs still awaited: their latest result is their
    /// record.
    async fn record_awaited(&mut self) {
        let Some(rechecks) = self.rechecks.take() else {
            return;
        };
        let (awaited, found) = if self.frontier.is_some() {
            // Under --links, pages still in flight may yet find links: the
            // queue closes, so that workers finish what they hold and exit,
            // and what they say is heard until the last one is gone.
            self.queue = mpsc::channel(1).0;
            rechecks.close_when_gone().await
        } else {
            rechecks.close()
        };
        for links in found {
            self.report.sites.pages += 1;
            self.take_found(links);
        }
        for job in awaited {
            let record = job.into_unchecked(self.stop.not_checked());
            let _ = self.results.send(record).await;
        }
    }

    /// At the end: queue the held jobs as their hosts free slots, until
    /// none is left or the run stops.
    async fn release_held(&mut self) {
        while self.lookahead.as_ref().is_some_and(|a| a.holding > 0) {
            if !self.wait_for_a_slot().await {
                break;
            }
        }
    }

    /// After a stop, the jobs still held are recorded as not checked.
    async fn record_held(&mut self) {
        let Some(ahead) = self.lookahead.take() else {
            return;
        };
        for job in ahead.held.into_values().flatten() {
            let record = job.into_unchecked(self.stop.not_checked());
            let _ = self.results.send(record).await;
        }
    }

    /// Queue one job; false when the run is stopping. A job that cannot be
    /// queued is recorded as not checked, so no line read is ever lost.
    async fn queue(&mut self, job: Job) -> bool {
        let permit = tokio::select! {
            biased;
            _ = self.stop_reading.cancelled() => None,
            permit = self.queue.reserve() => permit.ok(),
        };
        match permit {
            Some(permit) => {
                if job.awaited.is_none()
                    && let Some(rechecks) = &mut self.rechecks
                {
                    rechecks.queued();
                }
                permit.send(job);
                true
            }
            None => {
                // The printer outlives the feeder, so this only fails when
                // stdout is gone, and then nothing more is written anyway.
                let record = job.into_unchecked(self.stop.not_checked());
                let _ = self.results.send(record).await;
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::lines::LineReader;
    use crate::results::FailureKind;
    use tokio::io::BufReader;

    fn lines_input(text: &'static [u8]) -> Input {
        Input::Lines {
            source: Source::File("t.txt".into()),
            reader: LineReader::new(Box::new(BufReader::new(text))),
        }
    }

    #[tokio::test]
    async fn queues_one_job_per_url_line_with_line_numbers() {
        let (queue_tx, mut queue_rx) = mpsc::channel(100);
        let (results_tx, _results_rx) = mpsc::channel(100);
        let input = lines_input(
            b"# header\nhttps://a.test/\n\nexample.com\n\xff\xfe\nhttps://a.test/\n  # c\n",
        );
        let report = feed(
            vec![Input::Arg("https://arg.test/".into()), input],
            Plan::default(),
            queue_tx,
            results_tx,
            Arc::default(),
            CancellationToken::new(),
        )
        .await;
        let mut jobs = Vec::new();
        while let Some(job) = queue_rx.recv().await {
            jobs.push(job);
        }
        let lines: Vec<Option<u64>> = jobs.iter().map(|j| j.origin.line).collect();
        assert_eq!(lines, [None, Some(2), Some(4), Some(5), Some(6)]);
        assert!(jobs[1].target.is_ok() && jobs[4].target.is_ok());
        assert!(
            jobs[2]
                .target
                .as_ref()
                .unwrap_err()
                .contains("https://example.com")
        );
        assert!(jobs[3].target.as_ref().unwrap_err().contains("UTF-8"));
        assert_eq!(report.urls_read, 5);
        assert!(!report.stopped_early);
    }

    #[tokio::test]
    async fn a_stop_while_the_queue_is_full_records_the_pending_line() {
        let (queue_tx, mut queue_rx) = mpsc::channel(1);
        let (results_tx, mut results_rx) = mpsc::channel(10);
        let stop = Arc::new(Stop::default());
        let input = lines_input(b"https://a.test/1\nhttps://a.test/2\nhttps://a.test/3\n");
        let feeder = tokio::spawn(feed(
            vec![input],
            Plan::default(),
            queue_tx,
            results_tx,
            stop.clone(),
            stop.child_token(),
        ));
        // The first job fills the queue; the feeder is now waiting with line 2.
        let first = queue_rx.recv().await.unwrap();
        assert_eq!(first.origin.line, Some(1));
        tokio::task::yield_now().await;
        stop.trigger(crate::stop::StopReason::Output);
        let report = feeder.await.unwrap();
        assert!(report.stopped_early);
        let mut queued = Vec::new();
        while let Some(job) = queue_rx.recv().await {
            queued.push(job.origin.line);
        }
        let mut recorded = Vec::new();
        while let Some(result) = results_rx.recv().await {
            assert_eq!(result.failure.unwrap().kind, FailureKind::Interrupted);
            recorded.push(result.origin.line);
        }
        // Every line read is either queued or recorded, exactly once.
        assert_eq!(report.urls_read as usize, 1 + queued.len() + recorded.len());
    }
}
