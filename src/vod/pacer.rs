//! One pacer per API operation, shared by every concurrent request of that operation: the one
//! mechanism that paces every operation the client calls (each `Action` gets its own, at its
//! ceiling).
//!
//! The service counts each operation's requests per account, by the time they *arrive*, and does
//! not say how: in a sliding second, in fixed one-second buckets, or as a token bucket. Requests
//! that leave evenly spaced do not arrive so (scheduling and network jitter), so a client pacing
//! exactly at the limit has, now and then, one more request arrive within a second than the limit
//! allows. The pacer is therefore built around the strictest of the three, which implies the
//! others: **at most `limit` requests in any window of one second plus the jitter, by send time**.
//! If every request takes between `d` and `d + margin` to arrive, `limit` requests sent within
//! `1 s + margin` of each other never arrive within less than a second, whatever the counting.
//! (A fixed bucket is one such second; a token bucket holding a second's worth accepts any
//! traffic that never has more than its size in a second.)
//!
//! Three layers:
//! - the **window**: a sliding-window limiter over the slots handed out, at most `limit` in any
//!   `1 s + margin`, with the slots evenly spaced at `(1 s + margin) / limit` (no bursts, so a
//!   service with a small token bucket is safe too). The margin is *measured*, not a fixed
//!   discount: the spread of the time from a request's slot to its reply over the last replies
//!   ([`Margin`]). The reply's time covers the way in (what the service's count sees) and the
//!   way back, so the spread of round trips bounds the spread of arrivals from above. A margin
//!   that grows (the first replies, a new longest round trip) takes back the slots promised
//!   under the narrower one. With a few milliseconds of jitter the pacer runs at about 0.98 of
//!   the limit; a pause of this process widens the margin for the next replies, and costs that
//!   share of a second meanwhile rather than a refusal.
//! - the **adaptive rate** under it, for a budget that is shared: the account's QPS is used by
//!   every RAM user and application, so the budget left for vodplan may be far lower than the
//!   limit. An *isolated* refusal (none in the last [`REPEAT`]) is jitter beyond the margin: the
//!   pacer pauses briefly (one slot and the margin, or what `x-acs-retry-after` asks) and resumes
//!   at the same rate. A refusal that *repeats* means someone else is using the budget: the rate
//!   halves (at most once a second, as many in-flight calls report the same congestion) and then
//!   climbs back a little with every success (additive increase, multiplicative decrease, as TCP
//!   does), so a run against a smaller budget slows down to it instead of failing. Either way the
//!   slots already promised to waiting calls are taken back and handed out again under the new
//!   schedule, so a pause or a halving takes effect at once, not a second later.
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

/// The jitter margin, measured from the replies: the spread of the time from a request's slot to
/// its reply over the last [`Margin::SAMPLES`] replies (the longest less the shortest), and the
/// timer's resolution. All of it: when the jitter is all on the way in, the round trips' spread is
/// exactly the arrivals' spread, and one request arriving late by more than the margin next to
/// one arriving early is one too many in a second.
struct Margin {
    round_trips: VecDeque<Duration>,
}

impl Margin {
    const SAMPLES: usize = 64;
    /// Until this many replies are in, the margin is [`Margin::PRIOR`].
    const MIN_SAMPLES: usize = 8;
    const PRIOR: Duration = Duration::from_millis(10);
    /// Always added: the timer's resolution.
    const FLOOR: Duration = Duration::from_millis(2);
    /// Never more: past it, the adaptive rate takes over.
    const CAP: Duration = Duration::from_millis(250);

    fn new() -> Margin {
        Margin {
            round_trips: VecDeque::with_capacity(Self::SAMPLES),
        }
    }

    fn record(&mut self, round_trip: Duration) {
        if self.round_trips.len() == Self::SAMPLES {
            self.round_trips.pop_front();
        }
        self.round_trips.push_back(round_trip);
    }

    fn get(&self) -> Duration {
        if self.round_trips.len() < Self::MIN_SAMPLES {
            return Self::PRIOR;
        }
        let min = self.round_trips.iter().min().copied().unwrap_or_default();
        let max = self.round_trips.iter().max().copied().unwrap_or_default();
        (max - min + Self::FLOOR).min(Self::CAP)
    }
}

struct Schedule {
    /// The adaptive rate, at most the ceiling.
    rate: f64,
    /// No slot before this: one spacing after the last slot, or the end of a pause.
    next_slot: Instant,
    /// The last `allowance` slots handed out, oldest first (some may be in the future).
    slots: VecDeque<Instant>,
    /// Bumped when promised slots are taken back: a call holding an older one asks again.
    generation: u64,
    margin: Margin,
    last_refusal: Option<Instant>,
    last_decrease: Option<Instant>,
}

impl Schedule {
    /// The window the service's second stretches to by the time requests arrive.
    fn window(&self) -> Duration {
        SECOND + self.margin.get()
    }

    /// The time between two slots: the window shared evenly, or the adaptive rate if slower.
    fn spacing(&self, allowance: usize) -> Duration {
        Duration::from_secs_f64(1.0 / self.rate).max(self.window() / allowance as u32)
    }

    /// Takes back the slots promised but not yet reached, and starts again at `from`.
    fn restart(&mut self, now: Instant, from: Instant) {
        while self.slots.back().is_some_and(|s| *s > now) {
            self.slots.pop_back();
        }
        self.next_slot = from;
        self.generation += 1;
    }
}

/// A slot handed out by [`Pacer::acquire`]: when the request may leave; its reply measures the
/// jitter.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    at: Instant,
}

pub struct Pacer {
    ceiling: f64,
    /// Requests allowed in one window: the ceiling, rounded down (at least one).
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
                slots: VecDeque::new(),
                generation: 0,
                margin: Margin::new(),
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
    /// reached.
    async fn scheduled(&self) -> Slot {
        loop {
            let (at, generation) = self.reserve();
            tokio::time::sleep_until(at).await;
            if self.schedule.lock().expect("pacer lock").generation == generation {
                return Slot { at };
            }
        }
    }

    /// The next slot: evenly spaced, and at most `allowance` in any window.
    fn reserve(&self) -> (Instant, u64) {
        let mut s = self.schedule.lock().expect("pacer lock");
        let window = s.window();
        let spacing = s.spacing(self.allowance);
        let mut at = s.next_slot.max(Instant::now());
        if s.slots.len() >= self.allowance {
            at = at.max(s.slots[s.slots.len() - self.allowance] + window);
        }
        s.slots.push_back(at);
        while s.slots.len() > self.allowance {
            s.slots.pop_front();
        }
        s.next_slot = at + spacing;
        (at, s.generation)
    }

    /// A reply came (success or not, but an answer): it measures the jitter. A margin that grew
    /// (the first replies, or a new longest round trip) takes back the slots promised under the
    /// narrower window.
    fn measured(&self, s: &mut Schedule, slot: Slot, now: Instant) {
        let before = s.margin.get();
        s.margin.record(now.saturating_duration_since(slot.at));
        if s.margin.get() > before + Margin::FLOOR / 2 {
            let spacing = s.spacing(self.allowance);
            let from = s
                .slots
                .iter()
                .rev()
                .find(|at| **at <= now)
                .map_or(now, |last| (*last + spacing).max(now));
            s.restart(now, from);
        }
    }

    /// The service throttled the request sent in `slot`. An isolated refusal pauses briefly (or
    /// as long as the service asks); a repeated one halves the rate (once a second).
    pub fn on_throttled(&self, slot: Slot, pause: Option<Duration>) {
        let mut s = self.schedule.lock().expect("pacer lock");
        let now = Instant::now();
        self.measured(&mut s, slot, now);
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
        let pause = pause.unwrap_or_else(|| spacing + s.margin.get());
        s.restart(now, now + pause);
    }

    /// The request sent in `slot` went through: climb back towards the ceiling by 1% of it.
    pub fn on_success(&self, slot: Slot) {
        let mut s = self.schedule.lock().expect("pacer lock");
        self.measured(&mut s, slot, Instant::now());
        if s.rate < self.ceiling {
            s.rate = (s.rate + self.ceiling / 100.0).min(self.ceiling);
        }
    }

    /// The current adaptive rate, in requests per second.
    #[cfg(test)]
    fn rate(&self) -> f64 {
        self.schedule.lock().expect("pacer lock").rate
    }

    /// The current jitter margin.
    #[cfg(test)]
    fn margin(&self) -> Duration {
        self.schedule.lock().expect("pacer lock").margin.get()
    }
}

#[cfg(test)]
mod tests;
