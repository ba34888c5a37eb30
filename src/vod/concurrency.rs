//! The one bounded-concurrency loop: every loop that keeps several API calls in flight (reading,
//! listing, quarantining, deleting) runs through [`bounded_until`] ([`bounded`] is it without a
//! stop), so "how many calls at once" and "what an interrupt does to the calls in flight" are
//! decided in one place, and the client's per-action pacers decide "how fast".
//!
//! The work runs as futures on the caller's task (no spawning, so borrowed data is fine and
//! nothing outlives the call). `done` sees each result as it arrives and may queue more work:
//! a listing that finds a window too big to list queues its halves.

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};

/// Runs `run` over `work` with at most `limit` in flight, handing each result to `done`, which may
/// push more work onto the queue. Stops at the first error from either, dropping the calls still
/// in flight (callers whose calls must not be abandoned return `Ok` for every outcome).
pub async fn bounded<T, R, E, F, Fut, D>(
    work: impl IntoIterator<Item = T>,
    limit: usize,
    run: F,
    done: D,
) -> Result<(), E>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    D: FnMut(R, &mut VecDeque<T>) -> Result<(), E>,
{
    bounded_until(
        work,
        limit,
        run,
        done,
        std::future::pending(),
        Duration::ZERO,
    )
    .await
    .map(drop)
}

/// [`bounded`] that can be stopped. Once `stop` completes, nothing more is started; the work in
/// flight has `grace` to finish (its results still go to `done`), and is then dropped. Returns
/// the work never started: empty unless it was stopped. `done` may also empty the queue itself
/// to start nothing more (the apply loop does, on an error that retrying cannot fix).
pub async fn bounded_until<T, R, E, F, Fut, D>(
    work: impl IntoIterator<Item = T>,
    limit: usize,
    mut run: F,
    mut done: D,
    stop: impl Future<Output = ()>,
    grace: Duration,
) -> Result<VecDeque<T>, E>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    D: FnMut(R, &mut VecDeque<T>) -> Result<(), E>,
{
    let mut queue: VecDeque<T> = work.into_iter().collect();
    let mut running = FuturesUnordered::new();
    let mut stop = std::pin::pin!(stop.fuse());
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        // A stop that came before (or between) answers starts nothing more.
        if deadline.is_none() && stop.as_mut().now_or_never().is_some() {
            deadline = Some(tokio::time::Instant::now() + grace);
        }
        while deadline.is_none() && running.len() < limit.max(1) {
            let Some(item) = queue.pop_front() else { break };
            running.push(run(item));
        }
        if running.is_empty() {
            return Ok(queue);
        }
        let next = match deadline {
            Some(until) => match tokio::time::timeout_at(until, running.next()).await {
                Ok(next) => next,
                // The grace period is over: what is still in flight is dropped.
                Err(_) => return Ok(queue),
            },
            None => tokio::select! {
                next = running.next() => next,
                () = &mut stop => {
                    deadline = Some(tokio::time::Instant::now() + grace);
                    continue;
                }
            },
        };
        let Some(result) = next else {
            return Ok(queue);
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

    #[tokio::test]
    async fn a_stop_before_the_start_starts_nothing() {
        let mut started = 0;
        let left = bounded_until(
            0..10u32,
            4,
            |n| {
                started += 1;
                async move { Ok::<u32, ()>(n) }
            },
            |_, _| Ok(()),
            std::future::ready(()),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(started, 0);
        assert_eq!(left, (0..10).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_stop_lets_the_calls_in_flight_finish_within_the_grace_and_drops_the_rest() {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut stop = Some(stop);
        let mut seen = Vec::new();
        let left = bounded_until(
            0..10u32,
            3,
            |n| async move {
                // 0 answers at once; 1 within the grace; 2 never.
                let wait = [0, 50, 60_000][n.min(2) as usize];
                tokio::time::sleep(Duration::from_millis(wait)).await;
                Ok::<u32, ()>(n)
            },
            |n, _| {
                seen.push(n);
                // The stop comes with the first answer.
                if let Some(stop) = stop.take() {
                    stop.send(()).unwrap();
                }
                Ok(())
            },
            async {
                stopped.await.ok();
            },
            Duration::from_millis(500),
        )
        .await
        .unwrap();
        assert_eq!(seen, [0, 1]);
        assert_eq!(left, (3..10).collect::<Vec<_>>());
    }
}
