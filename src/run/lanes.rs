//! Lanes: the threads the checks run on. The run's own thread is lane 0;
//! each further lane is a thread with a single-threaded tokio runtime. A
//! worker stays on its lane, and the pool gives it its lane's `LaneId`,
//! which every check it makes carries to the client: one client per lane
//! (see `check/client.rs`), so a request and the task serving its
//! connection never run at the same time on two threads.
//!
//! Why: with one client shared by all threads, a request handed to an
//! HTTP/2 connection at the very moment that connection's task ended (after
//! the server's GOAWAY) is stranded until its timeout (hyperium/hyper#4122;
//! measured in benches/lab-before.md). A lane also wakes no other thread,
//! which costs less CPU per check than a work-stealing runtime (see
//! "Choosing --threads" in docs/reference.md).

use std::thread::{self, JoinHandle};

use anyhow::Context;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

/// One lane per `--threads`, and never more than there are workers.
pub(crate) fn count(threads: usize, workers: usize) -> usize {
    threads.min(workers).max(1)
}

/// The lanes beyond the run's own thread.
pub(crate) struct Lanes {
    handles: Vec<Handle>,
    threads: Vec<JoinHandle<()>>,
    done: CancellationToken,
}

impl Lanes {
    /// Only the current thread: what tests of the pool use.
    #[cfg(test)]
    pub(crate) fn none() -> Self {
        Lanes {
            handles: Vec::new(),
            threads: Vec::new(),
            done: CancellationToken::new(),
        }
    }

    /// Start lanes 1..`count` (lane 0 is the calling thread).
    pub(crate) fn start(count: usize) -> anyhow::Result<Self> {
        let mut lanes = Lanes {
            handles: Vec::new(),
            threads: Vec::new(),
            done: CancellationToken::new(),
        };
        for lane in 1..count {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start a checking thread's runtime")?;
            lanes.handles.push(runtime.handle().clone());
            let done = lanes.done.clone();
            let thread = thread::Builder::new()
                .name(format!("urlcheck-lane-{lane}"))
                .spawn(move || {
                    runtime.block_on(done.cancelled());
                    // Blocking reads (a DNS lookup) are not waited for.
                    runtime.shutdown_background();
                })
                .context("cannot start a checking thread")?;
            lanes.threads.push(thread);
        }
        Ok(lanes)
    }

    /// How many lanes there are, the run's own thread included.
    pub(crate) fn len(&self) -> usize {
        self.handles.len() + 1
    }

    /// The runtime of lane `lane`, or None for lane 0 (the current one).
    pub(crate) fn handle(&self, lane: usize) -> Option<&Handle> {
        lane.checked_sub(1).and_then(|i| self.handles.get(i))
    }

    /// End the lanes' threads, once nothing runs on them any more.
    pub(crate) fn stop(mut self) {
        self.done.cancel();
        for thread in self.threads.drain(..) {
            // A lane that panicked has nothing left to give back.
            let _ = thread.join();
        }
    }
}

impl Drop for Lanes {
    fn drop(&mut self) {
        self.done.cancel();
    }
}
