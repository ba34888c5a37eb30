//! The one bounded-concurrency loop: every loop that keeps several API calls in flight (reading,
//! listing, deleting) runs through [`bounded`], so "how many calls at once" is decided in one place
//! and the client's per-action pacers decide "how fast".
//!
//! The work runs as futures on the caller's task (no spawning, so borrowed data is fine and
//! nothing outlives the call). `done` sees each result as it arrives and may queue more work:
//! a listing that finds a window too big to list queues its halves.

use std::collections::VecDeque;
use std::future::Future;

use futures_util::stream::{FuturesUnordered, StreamExt};

/// Runs `run` over `work` with at most `limit` in flight, handing each result to `done`, which may
/// push more work onto the queue. Stops at the first error from either, dropping the calls still
/// in flight (callers whose calls must not be abandoned return `Ok` for every outcome).
pub async fn bounded<T, R, E, F, Fut, D>(
    work: impl IntoIterator<Item = T>,
    limit: usize,
    mut run: F,
    mut done: D,
) -> Result<(), E>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    D: FnMut(R, &mut VecDeque<T>) -> Result<(), E>,
{
    let mut queue: VecDeque<T> = work.into_iter().collect();
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < limit.max(1) {
            let Some(item) = queue.pop_front() else { break };
            running.push(run(item));
        }
        let Some(result) = running.next().await else {
            return Ok(());
        };
        done(result?, &mut queue)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn never_exceeds_the_limit_and_runs_queued_work() {
        let in_flight = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let mut seen = Vec::new();
        bounded(
            [8u32],
            3,
            |n| {
                let (in_flight, peak) = (&in_flight, &peak);
                async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    Ok::<u32, ()>(n)
                }
            },
            |n, queue| {
                seen.push(n);
                // Split like a window: n becomes two halves until 1.
                if n > 1 {
                    queue.push_back(n / 2);
                    queue.push_back(n / 2);
                }
                Ok(())
            },
        )
        .await
        .unwrap();
        assert_eq!(seen.len(), 15);
        assert_eq!(seen.iter().filter(|n| **n == 1).count(), 8);
        assert!(peak.load(Ordering::SeqCst) <= 3);
    }

    #[tokio::test]
    async fn stops_at_the_first_error() {
        let mut count = 0;
        let r = bounded(
            0..100u32,
            4,
            |n| async move { if n == 10 { Err(n) } else { Ok(n) } },
            |_, _| {
                count += 1;
                Ok(())
            },
        )
        .await;
        assert_eq!(r, Err(10));
        assert!(count < 100);
    }
}
