//! The frontier: URLs found in documents and on pages, waiting to be
//! checked. Each distinct URL is checked once, however many places name it,
//! and its record lists every place. Found URLs are queued only once every
//! page has been read (the feeder's second pass), so that a record's
//! places are complete when it is written.
//!
//! Memory: a URL seen costs its 8-byte fingerprint in a map with its places
//! (about 40 bytes each); the URLs themselves wait in memory up to
//! `IN_MEMORY`, and beyond that in a temporary file, read back in order.

use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64;

use super::spill::LineQueue;
use crate::results::{Found, Place};

/// Found URLs kept in memory before the rest goes to a temporary file:
/// about 100 bytes each.
pub(crate) const IN_MEMORY: usize = 50_000;

/// The URLs waiting, and every place of each.
pub(crate) struct Frontier {
    /// Every distinct URL found, by fingerprint: its places.
    places: HashMap<u64, Vec<Place>>,
    /// URLs that are checked anyway (pages): a link to one is not checked
    /// again.
    pages: HashSet<u64>,
    /// The URLs waiting, in the order found: the first `IN_MEMORY` in
    /// memory, the rest in a file.
    waiting: LineQueue,
    /// Links that named a page checked anyway.
    pub(crate) to_pages: u64,
    /// Distinct URLs found, pages among them.
    seen: u64,
    /// Distinct URLs found that are pages checked anyway.
    pages_named: u64,
}

impl Default for Frontier {
    fn default() -> Self {
        Frontier {
            places: HashMap::new(),
            pages: HashSet::new(),
            waiting: LineQueue::new(IN_MEMORY),
            to_pages: 0,
            seen: 0,
            pages_named: 0,
        }
    }
}

/// A URL taken from the frontier, with every place that names it.
pub(crate) struct Next {
    pub(crate) url: String,
    pub(crate) found: Arc<Found>,
}

impl Frontier {
    /// `url` is checked as a page: links to it are not checked again.
    pub(crate) fn page(&mut self, url: &str) {
        self.pages.insert(xxh3_64(url.as_bytes()));
    }

    /// Whether `url` is checked as a page.
    pub(crate) fn is_page(&self, url: &str) -> bool {
        self.pages.contains(&xxh3_64(url.as_bytes()))
    }

    /// `url` is not checked as a page after all (a crawl that robots.txt
    /// turned away): links to it are checked.
    pub(crate) fn unpage(&mut self, url: &str) {
        self.pages.remove(&xxh3_64(url.as_bytes()));
    }

    /// `url` was found at `place`. An error only when the temporary file
    /// cannot be written.
    pub(crate) fn add(&mut self, url: String, place: Place) -> io::Result<()> {
        let key = xxh3_64(url.as_bytes());
        if self.pages.contains(&key) {
            self.to_pages += 1;
            return Ok(());
        }
        if let Some(places) = self.places.get_mut(&key) {
            places.push(place);
            return Ok(());
        }
        self.places.insert(key, vec![place]);
        self.seen += 1;
        // A URL never holds a line break: the parser removes them.
        self.waiting.push(url)
    }

    /// Distinct URLs found so far that are not pages checked anyway (those
    /// named before their page was read are known once the frontier is
    /// drained).
    pub(crate) fn distinct(&self) -> u64 {
        self.seen - self.pages_named
    }

    /// URLs waiting to be taken.
    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.waiting.len()
    }

    /// The next URL to check, in the order found, with all its places. A
    /// URL found before the page it names was read (a later sitemap's) is
    /// left out now, when every page is known: the page has its record.
    pub(crate) fn next(&mut self) -> io::Result<Option<Next>> {
        loop {
            let Some(url) = self.waiting.pop()? else {
                return Ok(None);
            };
            let key = xxh3_64(url.as_bytes());
            if self.pages.contains(&key) {
                let places = self.places.remove(&key).map_or(0, |p| p.len());
                self.to_pages += places as u64;
                self.pages_named += 1;
                continue;
            }
            return Ok(Some(self.take(url, key)));
        }
    }

    /// `url` with every place that names it.
    fn take(&mut self, url: String, key: u64) -> Next {
        let mut places = self
            .places
            .get_mut(&key)
            .map(std::mem::take)
            .unwrap_or_default();
        // Pages finish in any order: places are listed by source, line and
        // column, so that a record says the same every run.
        places.sort_by(|a, b| {
            (a.source.name(), a.line, a.column).cmp(&(b.source.name(), b.line, b.column))
        });
        let found = Found {
            occurrences: places.len() as u64,
            places,
        };
        Next {
            url,
            found: Arc::new(found),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Source;

    fn at(line: u64) -> Place {
        Place {
            source: Source::Page("https://site.test/".into()),
            line: Some(line),
            column: Some(1),
        }
    }

    #[test]
    fn a_url_is_taken_once_with_every_place_in_the_order_found() {
        let mut frontier = Frontier::default();
        frontier.page("https://site.test/");
        for (line, url) in [
            "https://a.test/",
            "https://b.test/",
            "https://a.test/",
            "https://site.test/",
        ]
        .into_iter()
        .enumerate()
        {
            frontier.add(url.to_string(), at(line as u64 + 1)).unwrap();
        }
        assert_eq!(frontier.distinct(), 2);
        assert_eq!(frontier.to_pages, 1);
        let first = frontier.next().unwrap().unwrap();
        assert_eq!(first.url, "https://a.test/");
        assert_eq!(first.found.occurrences, 2);
        assert_eq!(
            first
                .found
                .places
                .iter()
                .map(|p| p.line)
                .collect::<Vec<_>>(),
            [Some(1), Some(3)]
        );
        assert_eq!(frontier.next().unwrap().unwrap().url, "https://b.test/");
        assert!(frontier.next().unwrap().is_none());
    }

    #[test]
    fn a_link_found_before_its_page_was_read_is_left_to_the_page() {
        let mut frontier = Frontier::default();
        frontier
            .add("https://site.test/later".into(), at(1))
            .unwrap();
        frontier
            .add("https://site.test/later".into(), at(2))
            .unwrap();
        frontier.add("https://a.test/".into(), at(3)).unwrap();
        // A later sitemap lists the page.
        frontier.page("https://site.test/later");
        assert_eq!(frontier.next().unwrap().unwrap().url, "https://a.test/");
        assert!(frontier.next().unwrap().is_none());
        assert_eq!(frontier.to_pages, 2);
    }

    #[test]
    fn beyond_the_memory_bound_urls_wait_in_a_file_and_come_back_in_order() {
        let mut frontier = Frontier::default();
        let total = IN_MEMORY + 1_000;
        for i in 0..total {
            frontier.add(format!("https://a.test/{i}"), at(1)).unwrap();
        }
        assert_eq!(frontier.waiting.in_memory(), IN_MEMORY);
        assert_eq!(frontier.len(), total as u64);
        // Found again once spilled: one URL, two places.
        frontier
            .add(format!("https://a.test/{}", total - 1), at(2))
            .unwrap();
        let mut taken = 0;
        while let Some(next) = frontier.next().unwrap() {
            assert_eq!(next.url, format!("https://a.test/{taken}"));
            let expected = if taken == total - 1 { 2 } else { 1 };
            assert_eq!(next.found.occurrences, expected);
            taken += 1;
        }
        assert_eq!(taken, total);
    }
}
