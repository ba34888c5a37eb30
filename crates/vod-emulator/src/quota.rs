//! The account's per-operation QPS quota, as the emulator enforces it.
//!
//! The service shares each operation's QPS limit between every RAM user, temporary key and
//! application of the account (https://alibabacloud.com/help/ja/vod/developer-reference/qps-limits-on-api-operations),
//! and does not say how it counts. A client that is right only against one way of counting is
//! not right, so the emulator can count in each of three ways (`vodplan emulator --quota-mode`):
//!
//! - [`QuotaMode::Token`] (the default): a token bucket refilled at the limit and holding a
//!   second's worth (governor's GCRA, checked without waiting), which lets a burst through after
//!   a quiet moment;
//! - [`QuotaMode::Sliding`]: the strictest. A request is refused when the requests admitted in the
//!   second before its arrival already reach the limit, wherever that second starts;
//! - [`QuotaMode::Fixed`]: requests are counted in fixed one-second buckets by arrival, so two
//!   full buckets may meet at a boundary.
//!
//! Every key the emulator accepts (its long-term key and the temporary keys it issues) belongs to
//! its one account, so the count is per operation. Only admitted requests count: a refusal does
//! not make the next second any fuller. Arrival is when the request reaches the counter, after
//! the emulator's configured latency and jitter (`--latency-ms`, `--jitter-ms`), so requests a
//! client sends evenly spaced arrive as a real network delivers them.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// How the quota counts requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QuotaMode {
    /// A token bucket holding one second's worth of requests.
    #[default]
    Token,
    /// At most the limit in any one second by arrival time.
    Sliding,
    /// At most the limit in each fixed one-second bucket by arrival time.
    Fixed,
}

const SECOND: Duration = Duration::from_secs(1);

/// One operation's count.
enum Counter {
    Token(DefaultDirectRateLimiter),
    /// Arrival times of the requests admitted in the last second, oldest first.
    Sliding(VecDeque<Instant>),
    /// The current bucket (whole seconds since the quota started) and its count.
    Fixed {
        bucket: u64,
        admitted: u32,
    },
}

/// The quota of every operation.
pub struct Quotas {
    started: Instant,
    limits: HashMap<&'static str, (u32, Mutex<Counter>)>,
}

impl Quotas {
    /// Quotas counting in `mode`, with `limits` requests per second per operation.
    pub fn new(mode: QuotaMode, limits: impl IntoIterator<Item = (&'static str, u32)>) -> Quotas {
        let limits = limits
            .into_iter()
            .map(|(name, limit)| {
                let limit = limit.max(1);
                let counter = match mode {
                    QuotaMode::Token => Counter::Token(RateLimiter::direct(Quota::per_second(
                        NonZeroU32::new(limit).expect("at least one"),
                    ))),
                    QuotaMode::Sliding => Counter::Sliding(VecDeque::with_capacity(limit as usize)),
                    QuotaMode::Fixed => Counter::Fixed {
                        bucket: 0,
                        admitted: 0,
                    },
                };
                (name, (limit, Mutex::new(counter)))
            })
            .collect();
        Quotas {
            started: Instant::now(),
            limits,
        }
    }

    /// Counts a request of `action` arriving now; false if the quota refuses it. An operation
    /// without a quota is always admitted.
    pub fn admit(&self, action: &str) -> bool {
        self.admit_at(action, Instant::now())
    }

    fn admit_at(&self, action: &str, now: Instant) -> bool {
        let Some((limit, counter)) = self.limits.get(action) else {
            return true;
        };
        let mut counter = counter.lock().expect("quota lock");
        match &mut *counter {
            Counter::Token(bucket) => bucket.check().is_ok(),
            Counter::Sliding(arrivals) => {
                while arrivals
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= SECOND)
                {
                    arrivals.pop_front();
                }
                if arrivals.len() >= *limit as usize {
                    return false;
                }
                arrivals.push_back(now);
                true
            }
            Counter::Fixed { bucket, admitted } => {
                let current = now.duration_since(self.started).as_secs();
                if current != *bucket {
                    *bucket = current;
                    *admitted = 0;
                }
                if *admitted >= *limit {
                    return false;
                }
                *admitted += 1;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[tokio::test(start_paused = true)]
    async fn sliding_counts_any_second_by_arrival() {
        let q = Quotas::new(QuotaMode::Sliding, [("DeleteVideo", 3)]);
        let t0 = Instant::now();
        assert!(q.admit_at("DeleteVideo", t0));
        assert!(q.admit_at("DeleteVideo", t0 + ms(500)));
        assert!(q.admit_at("DeleteVideo", t0 + ms(900)));
        // A fourth within the same second of the first is refused, and the refusal is not counted.
        assert!(!q.admit_at("DeleteVideo", t0 + ms(999)));
        // One second after the first arrival, its place is free again; not before the second's.
        assert!(q.admit_at("DeleteVideo", t0 + ms(1000)));
        assert!(!q.admit_at("DeleteVideo", t0 + ms(1499)));
        assert!(q.admit_at("DeleteVideo", t0 + ms(1500)));
        // Another operation has its own count.
        assert!(q.admit_at("GetVideoInfos", t0 + ms(1500)));
    }

    #[tokio::test(start_paused = true)]
    async fn fixed_buckets_reset_on_the_second() {
        let q = Quotas::new(QuotaMode::Fixed, [("DeleteVideo", 2)]);
        let t0 = Instant::now();
        assert!(q.admit_at("DeleteVideo", t0 + ms(900)));
        assert!(q.admit_at("DeleteVideo", t0 + ms(950)));
        assert!(!q.admit_at("DeleteVideo", t0 + ms(999)));
        // A new bucket: two more right after the boundary, four within 150 ms in all.
        assert!(q.admit_at("DeleteVideo", t0 + ms(1000)));
        assert!(q.admit_at("DeleteVideo", t0 + ms(1050)));
        assert!(!q.admit_at("DeleteVideo", t0 + ms(1900)));
    }

    #[test]
    fn token_bucket_lets_a_second_worth_through_then_refuses() {
        let q = Quotas::new(QuotaMode::Token, [("DeleteVideo", 5)]);
        let admitted = (0..10).filter(|_| q.admit("DeleteVideo")).count();
        assert_eq!(admitted, 5);
    }
}
