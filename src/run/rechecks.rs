//! `--wait`'s re-checks: a URL that is not up yet comes back from its worker
//! with the time of its next check and waits here, holding no worker, until
//! then; the feeder queues it again when it is due, beside the lines it
//! reads. So a list with many URLs that never come up goes as fast as its
//! healthy part allows.
//!
//! The feeder ends only when nothing is left to check again: it counts the
//! jobs it queued that have not yet been finished by a worker.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::input::Job;
use crate::links::PageLinks;

/// What a worker says of a job it took from the queue, under `--wait` or
/// `--links`.
#[derive(Debug)]
pub(crate) enum Returned {
    /// Not up yet: queue it again at this time.
    Again(Instant, Job),
    /// `--links`: the links on a page, said before the page is finished.
    Found(Box<PageLinks>),
    /// Its record was sent on.
    Finished,
}

/// The workers' end: they say what became of each job.
pub(crate) type Returns = mpsc::UnboundedSender<Returned>;

/// The feeder's end: jobs waiting for their next check.
#[derive(Debug)]
pub(crate) struct Rechecks {
    returned: mpsc::UnboundedReceiver<Returned>,
    due: BinaryHeap<Reverse<Due>>,
    /// Jobs queued from the input and not yet finished: queued, in a
    /// worker, or waiting here.
    outstanding: usize,
    /// Above this many outstanding, the feeder reads no more lines.
    limit: usize,
    /// Keeps jobs due at the same instant in the order they came back.
    order: u64,
}

/// What the feeder is to do next about re-checks.
#[derive(Debug)]
pub(crate) enum Turn {
    /// This job is due: queue it.
    Due(Job),
    /// `--links`: links found on a page, for the frontier.
    Found(Box<PageLinks>),
    /// The feeder may read on: fewer jobs are outstanding than the limit.
    Room,
    /// Every job queued has been finished.
    Idle,
    /// No worker is left to check anything.
    Gone,
}

/// The channel between the workers and the feeder; the feeder reads no
/// more lines while more than `limit` jobs are outstanding.
pub(crate) fn channel(limit: usize) -> (Returns, Rechecks) {
    let (returns, returned) = mpsc::unbounded_channel();
    let rechecks = Rechecks {
        returned,
        due: BinaryHeap::new(),
        outstanding: 0,
        limit,
        order: 0,
    };
    (returns, rechecks)
}

impl Rechecks {
    /// A job from the input was queued.
    pub(crate) fn queued(&mut self) {
        self.outstanding += 1;
    }

    /// Every job queued has been finished.
    pub(crate) fn is_idle(&self) -> bool {
        self.outstanding == 0
    }

    /// Enough URLs are being waited for: read no more lines for now.
    pub(crate) fn is_full(&self) -> bool {
        self.outstanding >= self.limit
    }

    /// Wait for the next job to come due, taking in what workers say
    /// meanwhile; or for room to read on, or the last job finished.
    /// Cancel-safe.
    pub(crate) async fn next(&mut self) -> Turn {
        loop {
            let earliest = self.due.peek().map(|Reverse(due)| due.at);
            let returned = tokio::select! {
                returned = self.returned.recv() => returned,
                () = sleep_until(earliest) => {
                    if let Some(Reverse(due)) = self.due.pop() {
                        return Turn::Due(due.job);
                    }
                    continue;
                }
            };
            match returned {
                Some(returned) => {
                    if let Some(turn) = self.take(returned) {
                        return turn;
                    }
                }
                None => return Turn::Gone,
            }
        }
    }

    /// What workers have said already, without waiting: the links of a page
    /// found, if one is waiting. Under `--crawl` the feeder takes them in
    /// before it queues more pages, so that they wait in the crawl's queue,
    /// which spills to a file, and not in this channel, which does not.
    pub(crate) fn found_now(&mut self) -> Option<Box<PageLinks>> {
        while let Ok(returned) = self.returned.try_recv() {
            if let Some(Turn::Found(links)) = self.take(returned) {
                return Some(links);
            }
        }
        None
    }

    /// Take in what a worker said: the turn it makes, if any.
    fn take(&mut self, returned: Returned) -> Option<Turn> {
        match returned {
            Returned::Again(at, job) => {
                self.order += 1;
                self.due.push(Reverse(Due {
                    at,
                    order: self.order,
                    job,
                }));
                None
            }
            Returned::Found(links) => Some(Turn::Found(links)),
            Returned::Finished => {
                let was_full = self.is_full();
                self.outstanding = self.outstanding.saturating_sub(1);
                if self.is_idle() {
                    Some(Turn::Idle)
                } else if was_full && !self.is_full() {
                    Some(Turn::Room)
                } else {
                    None
                }
            }
        }
    }

    /// The run is stopping, and the queue is closed: hear the workers out
    /// until the last one is gone, then return what `close` returns.
    pub(crate) async fn close_when_gone(mut self) -> (Vec<Job>, Vec<PageLinks>) {
        let mut left = Left::from(&mut self);
        while let Some(returned) = self.returned.recv().await {
            left.take(returned);
        }
        (left.jobs, left.found)
    }

    /// The run is stopping: no job is checked again. Returns every job still
    /// waiting, whose latest result is its record (a worker that finds the
    /// channel closed records its job itself), and the links found on pages
    /// that are said and not yet taken.
    pub(crate) fn close(mut self) -> (Vec<Job>, Vec<PageLinks>) {
        self.returned.close();
        let mut left = Left::from(&mut self);
        while let Ok(returned) = self.returned.try_recv() {
            left.take(returned);
        }
        (left.jobs, left.found)
    }
}

/// What a stop leaves: jobs still awaited, and links found on pages.
struct Left {
    jobs: Vec<Job>,
    found: Vec<PageLinks>,
}

impl Left {
    /// Starting with the jobs waiting to come due.
    fn from(rechecks: &mut Rechecks) -> Self {
        Left {
            jobs: rechecks.due.drain().map(|Reverse(due)| due.job).collect(),
            found: Vec::new(),
        }
    }

    fn take(&mut self, returned: Returned) {
        match returned {
            Returned::Again(_, job) => self.jobs.push(job),
            Returned::Found(links) => self.found.push(*links),
            Returned::Finished => {}
        }
    }
}

/// Sleep until `at`; forever without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A job and when it is due.
#[derive(Debug)]
struct Due {
    at: Instant,
    order: u64,
    job: Job,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::results::{Origin, Source};

    fn job(line: u64) -> Job {
        let origin = Origin {
            source: Source::Stdin,
            line: Some(line),
        };
        Job::new("http://a.test/", origin, Arc::default())
    }

    #[tokio::test(start_paused = true)]
    async fn jobs_come_due_in_time_order_and_the_last_finish_ends_it() {
        let (returns, mut rechecks) = channel(10);
        let start = Instant::now();
        for _ in 0..3 {
            rechecks.queued();
        }
        returns
            .send(Returned::Again(start + Duration::from_secs(5), job(1)))
            .unwrap();
        returns
            .send(Returned::Again(start + Duration::from_secs(2), job(2)))
            .unwrap();
        returns.send(Returned::Finished).unwrap();
        let Turn::Due(first) = rechecks.next().await else {
            panic!("line 2 is due first")
        };
        assert_eq!(first.origin.line, Some(2));
        assert_eq!(Instant::now() - start, Duration::from_secs(2));
        let Turn::Due(second) = rechecks.next().await else {
            panic!("then line 1")
        };
        assert_eq!(second.origin.line, Some(1));
        assert_eq!(Instant::now() - start, Duration::from_secs(5));
        assert!(!rechecks.is_idle());
        returns.send(Returned::Finished).unwrap();
        returns.send(Returned::Finished).unwrap();
        assert!(matches!(rechecks.next().await, Turn::Idle));
        assert!(rechecks.is_idle());
        drop(returns);
        assert!(matches!(rechecks.next().await, Turn::Gone));
    }

    #[tokio::test(start_paused = true)]
    async fn closing_returns_every_waiting_job_and_refuses_more() {
        let (returns, mut rechecks) = channel(2);
        rechecks.queued();
        rechecks.queued();
        assert!(rechecks.is_full());
        returns.send(Returned::Finished).unwrap();
        assert!(matches!(rechecks.next().await, Turn::Room));
        assert!(!rechecks.is_full());
        rechecks.queued();
        let later = Instant::now() + Duration::from_secs(60);
        returns.send(Returned::Again(later, job(1))).unwrap();
        // Taken in while waiting for something due.
        let taken = tokio::time::timeout(Duration::from_secs(1), rechecks.next()).await;
        assert!(taken.is_err());
        returns.send(Returned::Again(later, job(2))).unwrap();
        let mut lines: Vec<_> = rechecks
            .close()
            .0
            .into_iter()
            .map(|j| j.origin.line)
            .collect();
        lines.sort();
        assert_eq!(lines, [Some(1), Some(2)]);
        assert!(returns.send(Returned::Finished).is_err());
    }

    #[test]
    fn links_said_already_are_taken_without_waiting_and_finishes_counted() {
        let (returns, mut rechecks) = channel(10);
        rechecks.queued();
        rechecks.queued();
        assert!(rechecks.found_now().is_none(), "nothing said yet");
        returns.send(Returned::Finished).unwrap();
        returns
            .send(Returned::Found(Box::new(PageLinks {
                depth: 3,
                ..PageLinks::default()
            })))
            .unwrap();
        let found = rechecks.found_now().map(|links| links.depth);
        assert_eq!(found, Some(3));
        assert!(!rechecks.is_idle(), "one job is still out");
        returns.send(Returned::Finished).unwrap();
        assert!(rechecks.found_now().is_none());
        assert!(rechecks.is_idle(), "its finish was counted");
    }
}
