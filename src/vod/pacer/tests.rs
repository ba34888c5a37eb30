//! The pacer against stand-ins of the three ways a service may count (written here from the
//! definitions, not borrowed from the emulator or the pacer), under tokio's paused time: many
//! calls in flight, each delayed on the way in and on the way back by a random jitter.

use std::cell::{Cell, RefCell};

use futures_util::future::join_all;

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// How a service counts a request arriving at `now`.
trait Service {
    fn admit(&mut self, now: Instant) -> bool;
}

/// At most `limit` admitted in any second by arrival.
struct Sliding {
    limit: usize,
    admitted: VecDeque<Instant>,
}

impl Service for Sliding {
    fn admit(&mut self, now: Instant) -> bool {
        while self
            .admitted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= SECOND)
        {
            self.admitted.pop_front();
        }
        let ok = self.admitted.len() < self.limit;
        if ok {
            self.admitted.push_back(now);
        }
        ok
    }
}

/// At most `limit` admitted in each whole second since `start`.
struct Fixed {
    limit: u32,
    start: Instant,
    bucket: u64,
    admitted: u32,
}

impl Service for Fixed {
    fn admit(&mut self, now: Instant) -> bool {
        let bucket = now.duration_since(self.start).as_secs();
        if bucket != self.bucket {
            (self.bucket, self.admitted) = (bucket, 0);
        }
        let ok = self.admitted < self.limit;
        self.admitted += ok as u32;
        ok
    }
}

/// Tokens refilled at `limit` a second, holding `capacity`.
struct Bucket {
    limit: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl Service for Bucket {
    fn admit(&mut self, now: Instant) -> bool {
        let refill = now.duration_since(self.last).as_secs_f64() * self.limit;
        self.tokens = (self.tokens + refill).min(self.capacity);
        self.last = now;
        let ok = self.tokens >= 1.0;
        if ok {
            self.tokens -= 1.0;
        }
        ok
    }
}

fn sliding(limit: usize) -> Sliding {
    Sliding {
        limit,
        admitted: VecDeque::new(),
    }
}

struct Network {
    latency: Duration,
    jitter_in: Duration,
    jitter_out: Duration,
    rng: RefCell<fastrand::Rng>,
}

impl Network {
    /// `latency` ms in all, and up to `jitter` ms more each way.
    fn new(latency: u64, jitter: u64, seed: u64) -> Network {
        Network::asymmetric(latency, jitter, jitter, seed)
    }

    fn asymmetric(latency: u64, jitter_in: u64, jitter_out: u64, seed: u64) -> Network {
        Network {
            latency: ms(latency),
            jitter_in: ms(jitter_in),
            jitter_out: ms(jitter_out),
            rng: RefCell::new(fastrand::Rng::with_seed(seed)),
        }
    }

    fn jitter(&self, max: Duration) -> Duration {
        Duration::from_micros(self.rng.borrow_mut().u64(..=max.as_micros() as u64))
    }

    /// Half the latency and a random jitter: the way to the service.
    fn way_in(&self) -> Duration {
        self.latency / 2 + self.jitter(self.jitter_in)
    }

    /// The way back.
    fn way_out(&self) -> Duration {
        self.latency / 2 + self.jitter(self.jitter_out)
    }
}

#[derive(Debug)]
struct Run {
    /// Calls per second, from the first slot to the last reply.
    rate: f64,
    refused: u64,
}

/// `calls` calls through `pacer`, `in_flight` at a time, to `service`, retrying refusals after
/// 150 ms as the client does. `other` sends this many requests a second, evenly, to the same
/// service meanwhile, and never retries (another application using the account's budget).
async fn run(
    pacer: &Pacer,
    service: &RefCell<dyn Service>,
    net: &Network,
    calls: usize,
    in_flight: usize,
    other: f64,
) -> Run {
    let start = Instant::now();
    let claimed = Cell::new(0usize);
    let refused = Cell::new(0u64);
    let done = Cell::new(false);
    let worker = || async {
        while claimed.get() < calls {
            claimed.set(claimed.get() + 1);
            loop {
                let slot = pacer.scheduled().await;
                tokio::time::sleep(net.way_in()).await;
                let admitted = service.borrow_mut().admit(Instant::now());
                tokio::time::sleep(net.way_out()).await;
                if admitted {
                    pacer.on_success(slot);
                    break;
                }
                refused.set(refused.get() + 1);
                pacer.on_throttled(slot, None);
                tokio::time::sleep(ms(150)).await;
            }
        }
    };
    let other_app = async {
        if other <= 0.0 {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / other));
        while !done.get() {
            tick.tick().await;
            let way = net.way_in();
            tokio::time::sleep(way).await;
            service.borrow_mut().admit(Instant::now());
        }
    };
    let workers = async {
        join_all((0..in_flight).map(|_| worker())).await;
        done.set(true);
    };
    tokio::join!(workers, other_app);
    Run {
        rate: calls as f64 / start.elapsed().as_secs_f64(),
        refused: refused.get(),
    }
}

#[tokio::test(start_paused = true)]
async fn never_refused_under_jitter_by_a_sliding_second_and_near_the_limit() {
    for seed in 0..3 {
        let p = Pacer::new(30.0);
        let service = RefCell::new(sliding(30));
        let r = run(&p, &service, &Network::new(80, 10, seed), 600, 30, 0.0).await;
        assert_eq!(r.refused, 0, "seed {seed}: {r:?}");
        assert!(r.rate >= 0.97 * 30.0, "seed {seed}: {r:?}");
        assert_eq!(p.rate(), 30.0);
    }
}

#[tokio::test(start_paused = true)]
async fn never_refused_when_the_jitter_is_all_on_the_way_in_or_large() {
    // The round trips' spread is then all arrival spread: the margin must cover it exactly,
    // from the first replies on. A large jitter costs its share of a second, nothing more.
    for (jitter_in, jitter_out, at_least) in [(20, 0, 0.97), (60, 0, 0.93), (50, 50, 0.88)] {
        let p = Pacer::new(30.0);
        let service = RefCell::new(sliding(30));
        let net = Network::asymmetric(80, jitter_in, jitter_out, 5);
        let r = run(&p, &service, &net, 600, 30, 0.0).await;
        assert_eq!(r.refused, 0, "{jitter_in}/{jitter_out} ms: {r:?}");
        assert!(
            r.rate >= at_least * 30.0,
            "{jitter_in}/{jitter_out} ms: {r:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn never_refused_under_jitter_by_fixed_buckets_or_a_token_bucket() {
    let p = Pacer::new(100.0);
    let service = RefCell::new(Fixed {
        limit: 100,
        start: Instant::now() + ms(7),
        bucket: 0,
        admitted: 0,
    });
    let r = run(&p, &service, &Network::new(80, 10, 1), 1000, 40, 0.0).await;
    assert_eq!(r.refused, 0, "{r:?}");
    assert!(r.rate >= 0.97 * 100.0, "{r:?}");

    // A bucket holding a second's worth, and one holding only a tenth of a second's.
    for capacity in [30.0, 3.0] {
        let p = Pacer::new(30.0);
        let service = RefCell::new(Bucket {
            limit: 30.0,
            capacity,
            tokens: capacity,
            last: Instant::now(),
        });
        let r = run(&p, &service, &Network::new(80, 10, 2), 600, 30, 0.0).await;
        assert_eq!(r.refused, 0, "capacity {capacity}: {r:?}");
        assert!(r.rate >= 0.97 * 30.0, "capacity {capacity}: {r:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_shared_budget_slows_the_pacer_down_to_what_is_left() {
    // Another application sends 12 of the 30 a second: 18 are left.
    let p = Pacer::new(30.0);
    let service = RefCell::new(sliding(30));
    let r = run(&p, &service, &Network::new(80, 10, 3), 400, 30, 12.0).await;
    assert!(r.rate <= 18.0 * 1.05, "{r:?}");
    assert!(r.rate >= 18.0 * 0.6, "{r:?}");
    // Refusals are what tells the pacer the budget is shared; they stay a small share.
    assert!(r.refused > 0 && r.refused < 400 / 8, "{r:?}");
}

#[tokio::test(start_paused = true)]
async fn an_isolated_refusal_pauses_briefly_and_a_repeated_one_halves_the_rate() {
    let p = Pacer::new(30.0);
    let slot = p.scheduled().await;
    tokio::time::sleep(ms(80)).await;
    let refused_at = Instant::now();
    p.on_throttled(slot, None);
    assert_eq!(p.rate(), 30.0);
    let next = p.scheduled().await;
    // One slot and the margin: brief.
    assert!(next.at >= refused_at + ms(33), "{:?}", next.at - refused_at);
    assert!(next.at <= refused_at + ms(60), "{:?}", next.at - refused_at);

    // Another within two seconds: the budget is shared.
    tokio::time::sleep(ms(500)).await;
    p.on_throttled(next, None);
    assert_eq!(p.rate(), 15.0);
    // The calls in flight report the same congestion: once a second.
    p.on_throttled(next, None);
    assert_eq!(p.rate(), 15.0);
    tokio::time::sleep(ms(1000)).await;
    p.on_throttled(next, None);
    assert_eq!(p.rate(), 7.5);
    // Successes climb back by 1% of the ceiling each.
    for _ in 0..75 {
        p.on_success(next);
    }
    assert_eq!(p.rate(), 30.0);

    // Long after the last refusal, one more is isolated again.
    tokio::time::sleep(ms(2500)).await;
    p.on_throttled(next, None);
    assert_eq!(p.rate(), 30.0);
}

#[tokio::test(start_paused = true)]
async fn a_pause_takes_back_the_slots_promised_to_waiting_calls() {
    let p = Pacer::new(10.0);
    let first = p.scheduled().await;
    // Five calls wait for their slots, 100 ms apart.
    let waiting = async { join_all((0..5).map(|_| p.scheduled())).await };
    let refusal = async {
        tokio::time::sleep(ms(150)).await;
        p.on_throttled(first, Some(ms(1000)));
        Instant::now()
    };
    let (slots, refused_at) = tokio::join!(waiting, refusal);
    // The one already reached went; the others waited for the end of the pause.
    let after: Vec<_> = slots
        .iter()
        .filter(|s| s.at >= refused_at + ms(1000))
        .collect();
    assert!(after.len() >= 3, "{slots:?}");
}

#[tokio::test(start_paused = true)]
async fn the_window_holds_at_most_the_allowance_and_the_margin_follows_the_replies() {
    let p = Pacer::new(30.0);
    assert_eq!(p.margin(), Margin::PRIOR);
    // Replies spread over 20 ms: the margin is 20 ms and the timer's resolution; a late reply
    // widens it for the next 64 replies.
    let base = Instant::now();
    let mut s = p.schedule.lock().unwrap();
    for i in 0..64u64 {
        s.margin.record(ms(80 + i % 21));
    }
    assert_eq!(s.margin.get(), ms(22));
    s.margin.record(ms(300));
    assert_eq!(s.margin.get(), ms(222));
    s.margin.record(ms(5000));
    assert_eq!(s.margin.get(), Margin::CAP);
    for _ in 0..64 {
        s.margin.record(ms(80));
    }
    assert_eq!(s.margin.get(), Margin::FLOOR);
    drop(s);

    // A rate that slipped past the ceiling is still held by the window: never more than 30 slots
    // in any 1 s + margin.
    p.schedule.lock().unwrap().rate = 1e9;
    let slots: Vec<Instant> = (0..300).map(|_| p.reserve().0).collect();
    let window = SECOND + Margin::FLOOR;
    for (i, s) in slots.iter().enumerate() {
        let within = slots[i..].iter().take_while(|t| **t - *s < window).count();
        assert!(within <= 30, "{within} slots within {window:?} of slot {i}");
    }
    assert!(slots[299] - base >= window * 9);
}

#[test]
fn the_hard_ceiling_holds_whatever_the_schedule_decides() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut p = Pacer::new(100.0);
        // A schedule gone wrong: no window, no spacing.
        p.allowance = usize::MAX / 2;
        p.schedule.get_mut().unwrap().rate = 1e9;
        let start = std::time::Instant::now();
        for _ in 0..21 {
            p.acquire().await;
        }
        // 21 requests at 100/s need at least 200 ms after the first.
        assert!(start.elapsed() >= ms(195), "{:?}", start.elapsed());
    });
}
