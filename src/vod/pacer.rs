//! One pacer per API operation, shared by every concurrent request of that operation: the one
//! mechanism that paces every operation the client calls (each `Action` gets its own, at its
//! ceiling).
//!
//! The service counts each operation's requests per account, by the time they *arrive*, and does
//! not say how: in a sliding second, in fixed one-second buckets, or as a token bucket. Requests
//! that leave evenly spaced do not arrive so (scheduling and network jitter), so a client pacing
//! exactly at the limit has, now and then, one more request arrive within a second than the limit
//! allows. The pacer is therefore built around the strictest of the three, which implies the
//! others: **a request leaves only when the request sent `limit` requests before it arrived more
//! than a second ago**. (A fixed bucket is one such second; a token bucket holding a second's worth
//! accepts any traffic that never has more than its size in a second.)
//!
//! When did that earlier request arrive? Its reply says: it arrived before the reply, by at least
//! the shortest round trip seen (the way in, the service's work and the way back, each at their
//! quickest). So a request may leave once that earlier reply's time, less the shortest round
//! trip, is more than a second ago (and its own way in, at its quickest, adds to that). This is
//! a margin measured from each request's own reply, not a fixed discount: with a few milliseconds
//! of jitter the pacer runs at about 0.99 of the limit, and a pause of this process that delays a
//! few replies costs that pause once. Without a reply yet (a service slower than a second), the
//! earlier request's send time plus a second and the spread of recent round trips stands in.
//!
//! Three layers:
//! - the **window** above, checked when each request is released, against the request released
//!   `limit` releases earlier ([`Pacer::acquire`]). Slots are handed out evenly spaced at the
//!   typical window (a second and the mean round trip above the shortest) divided by the limit,
//!   so the check rarely has to hold a request back, and a service with a small token bucket
//!   sees no burst;
//! - the **adaptive rate** under it, for a budget that is shared: the account's QPS is used by
//!   every RAM user and application, so the budget left for vodplan may be far lower than the
//!   limit. An *isolated* refusal (none in the last [`REPEAT`]) is jitter beyond the margin: the
//!   pacer pauses briefly (one slot and the spread of round trips, or what `x-acs-retry-after`
//!   asks) and resumes at the same rate. A refusal that *repeats* means someone else is using the
//!   budget: the rate halves (at most once a second, as many in-flight calls report the same
//!   congestion) and then climbs back a little with every success (additive increase,
//!   multiplicative decrease, as TCP does), so a run against a smaller budget slows down to it
//!   instead of failing. Either way the slots already promised to waiting calls are taken back
//!   and handed out again under the new schedule, so a pause or a halving takes effect at once;
//! - a `governor` rate limiter at the ceiling (`--max-qps` for DeleteVideo, the documented limit
//!   for the others): a hard guarantee that vodplan itself never sends faster than the ceiling.
//!
//! Why keep `governor`. It is the *independent* half: the schedule above is float arithmetic that
//! adapts, and a slip in it (a rate that climbs past the ceiling, a slot computed from a stale
//! rate) would silently send faster than the account allows; governor's GCRA is a separate,
//! well-tested mechanism "to help your program know how much strain it is supposed to put on
//! external services" (https://docs.rs/governor), which caps whatever the schedule decides, so the
//! ceiling does not depend on the schedule being right. Its quota allows no burst: one request per
//! `1 / ceiling`, which the schedule's spacing never asks to beat. The emulator uses it for the
//! other side (the service's token-bucket quota: reject at once, never wait), where it must not
//! borrow the client's pacer. The costs are known and accepted: its tree is 37 crates (most of
//! them shared with tokio/reqwest; `default-features = false`, only `std`, `jitter`, `quanta`),
//! and it keeps its own clock (`quanta`), so under tokio's paused test time the ceiling still runs
//! on real time; that only ever makes a paused-time test wait, it never lets a request through.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// The slowest the adaptive schedule goes, in requests per second.
const MIN_RATE: f64 = 0.5;
/// A refusal within this long of the previous one is a repeat: the budget is shared.
const REPEAT: Duration = Duration::from_secs(2);
/// The window the service counts in.
const SECOND: Duration = Duration::from_secs(1);

/// The round trips of the last [`RoundTrips::SAMPLES`] replies, from a request's release to its
/// reply.
struct RoundTrips {
    samples: VecDeque<Duration>,
}

impl RoundTrips {
    const SAMPLES: usize = 64;
    /// Until this many replies are in, [`RoundTrips::PRIOR`] stands in for what they measure.
    const MIN_SAMPLES: usize = 8;
    const PRIOR: Duration = Duration::from_millis(10);
    /// Added to every bound: the timer's resolution, and the shortest round trip seen being a
    /// little longer than the quickest way in, work and way back together.
    const SLACK: Duration = Duration::from_millis(2);
    /// The spread is never taken as more: past it, the adaptive rate takes over.
    const CAP: Duration = Duration::from_millis(250);

    fn new() -> RoundTrips {
        RoundTrips {
            samples: VecDeque::with_capacity(Self::SAMPLES),
        }
    }

    fn record(&mut self, round_trip: Duration) {
        if self.samples.len() == Self::SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(round_trip);
    }

    fn measured(&self) -> bool {
        self.samples.len() >= Self::MIN_SAMPLES
    }

    /// The shortest round trip: the least time from a request's release to its reply.
    fn shortest(&self) -> Option<Duration> {
        self.samples
            .iter()
            .min()
            .copied()
            .filter(|_| self.measured())
    }

    /// How much longer than the shortest a round trip typically is: the mean excess.
    fn typical_excess(&self) -> Duration {
        let Some(shortest) = self.shortest() else {
            return Self::PRIOR;
        };
        let total: Duration = self.samples.iter().map(|t| *t - shortest).sum();
        total / self.samples.len() as u32
    }

    /// How much longer than the shortest a round trip can be: the largest excess, the very
    /// largest left out (one late reply, a pause of this process, is not a trend; two are).
    fn spread(&self) -> Duration {
        let Some(shortest) = self.shortest() else {
            return Self::PRIOR;
        };
        let (mut max, mut second) = (Duration::ZERO, Duration::ZERO);
        for &t in &self.samples {
            if t > max {
                second = max;
                max = t;
            } else if t > second {
                second = t;
            }
        }
        (second - shortest).min(Self::CAP)
    }
}

/// A request released by the pacer, and when its reply came.
struct Released {
    at: Instant,
    reply: Option<Instant>,
}

struct Schedule {
    /// The adaptive rate, at most the ceiling.
    rate: f64,
    /// No slot before this: one spacing after the last slot, or the end of a pause.
    next_slot: Instant,
    /// Bumped when promised slots are taken back: a call holding an older one asks again.
    generation: u64,
    /// The last `allowance` requests released, oldest first; the next one released is number
    /// `next_release`.
    released: VecDeque<Released>,
    next_release: u64,
    round_trips: RoundTrips,
    last_refusal: Option<Instant>,
    last_decrease: Option<Instant>,
}

impl Schedule {
    /// Takes back the slots promised but not yet reached, and starts again at `from`.
    fn restart(&mut self, from: Instant) {
        self.next_slot = from;
        self.generation += 1;
    }

    /// The earliest a request may be released: when the one released `allowance` releases
    /// earlier has surely arrived more than a second ago. None while fewer have been released.
    fn bound(&self, allowance: usize) -> Option<Instant> {
        if self.released.len() < allowance {
            return None;
        }
        let earlier = self.released.front()?;
        let arrived_by = match (earlier.reply, self.round_trips.shortest()) {
            (Some(reply), Some(shortest)) => reply.checked_sub(shortest).unwrap_or(earlier.at),
            _ => earlier.at + self.round_trips.spread(),
        };
        Some(arrived_by.max(earlier.at) + SECOND + RoundTrips::SLACK)
    }

    /// A reply came for release number `number` (success or refusal: an answer).
    fn replied(&mut self, slot: Slot, now: Instant) {
        self.round_trips
            .record(now.saturating_duration_since(slot.at));
        let oldest = self.next_release - self.released.len() as u64;
        if let Some(index) = slot.number.checked_sub(oldest)
            && let Some(r) = self.released.get_mut(index as usize)
        {
            r.reply = Some(now);
        }
    }
}

/// A request released by [`Pacer::acquire`]: when, and its number; its reply tells the pacer
/// when it had surely arrived.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    at: Instant,
    number: u64,
}

pub struct Pacer {
    ceiling: f64,
    /// Requests allowed in one second: the ceiling, rounded down (at least one).
    allowance: usize,
    hard: DefaultDirectRateLimiter,
    schedule: Mutex<Schedule>,
}

impl Pacer {
    /// A pacer that never exceeds `per_second` requests per second.
    pub fn new(per_second: f64) -> Pacer {
        let per_second = per_second.clamp(0.01, 100_000.0);
        let period = Duration::from_secs_f64(1.0 / per_second);
        let quota = Quota::with_period(period)
            .expect("period is positive")
            .allow_burst(NonZeroU32::MIN);
        Pacer {
            ceiling: per_second,
            allowance: (per_second.floor() as usize).max(1),
            hard: RateLimiter::direct(quota),
            schedule: Mutex::new(Schedule {
                rate: per_second,
                next_slot: Instant::now(),
                generation: 0,
                released: VecDeque::new(),
                next_release: 0,
                round_trips: RoundTrips::new(),
                last_refusal: None,
                last_decrease: None,
            }),
        }
    }

    /// Waits until one more request may be sent.
    pub async fn acquire(&self) -> Slot {
        let slot = self.scheduled().await;
        self.hard.until_ready().await;
        slot
    }

    /// The schedule's half of [`Pacer::acquire`]: waits for a slot that is still valid when
    /// reached, then for the window.
    async fn scheduled(&self) -> Slot {
        'reserve: loop {
            let (at, generation) = self.reserve();
            tokio::time::sleep_until(at).await;
            loop {
                let wait = {
                    let mut s = self.schedule.lock().expect("pacer lock");
                    if s.generation != generation {
                        continue 'reserve;
                    }
                    let now = Instant::now();
                    match s.bound(self.allowance) {
                        Some(bound) if bound > now => bound,
                        _ => {
                            s.released.push_back(Released {
                                at: now,
                                reply: None,
                            });
                            if s.released.len() > self.allowance {
                                s.released.pop_front();
                            }
                            let number = s.next_release;
                            s.next_release += 1;
                            return Slot { at: now, number };
                        }
                    }
                };
                tokio::time::sleep_until(wait).await;
            }
        }
    }

    /// The next slot, evenly spaced at the typical window divided by the allowance (or the
    /// adaptive rate, if slower).
    fn reserve(&self) -> (Instant, u64) {
        let mut s = self.schedule.lock().expect("pacer lock");
        let window = SECOND + s.round_trips.typical_excess() + RoundTrips::SLACK;
        let spacing = Duration::from_secs_f64(1.0 / s.rate).max(window / self.allowance as u32);
        let at = s.next_slot.max(Instant::now());
        s.next_slot = at + spacing;
        (at, s.generation)
    }

    /// The service throttled the request sent in `slot`. An isolated refusal pauses briefly (or
    /// as long as the service asks); a repeated one halves the rate (once a second).
    pub fn on_throttled(&self, slot: Slot, pause: Option<Duration>) {
        let mut s = self.schedule.lock().expect("pacer lock");
        let now = Instant::now();
        s.replied(slot, now);
        let repeated = s
            .last_refusal
            .is_some_and(|t| now.duration_since(t) < REPEAT);
        s.last_refusal = Some(now);
        if repeated
            && s.last_decrease
                .is_none_or(|t| now.duration_since(t) >= SECOND)
        {
            s.rate = (s.rate / 2.0).max(MIN_RATE);
            s.last_decrease = Some(now);
        } else if repeated && pause.is_none() {
            // The same congestion, already answered.
            return;
        }
        let spacing = Duration::from_secs_f64(1.0 / s.rate);
        let pause = pause.unwrap_or_else(|| spacing + s.round_trips.spread());
        s.restart(now + pause);
    }

    /// The request sent in `slot` went through: climb back towards the ceiling by 1% of it.
    pub fn on_success(&self, slot: Slot) {
        let mut s = self.schedule.lock().expect("pacer lock");
        s.replied(slot, Instant::now());
        if s.rate < self.ceiling {
            s.rate = (s.rate + self.ceiling / 100.0).min(self.ceiling);
        }
    }

    /// The current adaptive rate, in requests per second.
    #[cfg(test)]
    fn rate(&self) -> f64 {
        self.schedule.lock().expect("pacer lock").rate
    }
}

#[cfg(test)]
mod tests;
