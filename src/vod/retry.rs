//! How often and how long to retry: exponential backoff with jitter (uniform in the upper half of each step, so retries spread out but never collapse to zero).
//!
//! Throttling and transient failures have separate budgets. Throttling means "slow down", not
//! "fail", so it gets a generous budget (the pacer is slowing down meanwhile); a transient failure
//! (5xx, timeout, connection error) gets a bounded number of attempts, after which the caller
//! reports the batch as failed and moves on.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all for transient failures (1 = no retry).
    pub max_attempts: u32,
    /// Retries allowed after throttling.
    pub max_throttled: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            max_throttled: 40,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry number `retry` (1-based): uniform in [d/2, d] with d = min(max, base·2^(retry-1)).
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        let cap = exp.min(self.max_delay);
        let ms = cap.as_millis() as u64;
        Duration::from_millis(if ms == 0 {
            0
        } else {
            fastrand::u64(ms / 2..=ms)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_is_capped() {
        let p = RetryPolicy::default();
        for _ in 0..100 {
            assert!(p.backoff(1) <= Duration::from_millis(200));
            assert!(p.backoff(3) <= Duration::from_millis(800));
            assert!(p.backoff(3) >= Duration::from_millis(400));
            assert!(p.backoff(30) <= Duration::from_secs(10));
        }
    }
}
