//! `plan` at the scale of the biggest accounts: against the emulator serving
//! 1,000,000 videos with 20 ms of latency, a manifest that deletes `status: [UploadFail]` created
//! before 2023 (50,000 matches) and keeps `categoryId: 1003` (143,000 videos, 7,143 of them also
//! matched). Reported: the time as a ratio to the API-bound minimum (listing the delete
//! candidates at 5,000 rows/s, i.e. 50 calls/s × 100 rows, plus re-reading them at 2,000 IDs/s,
//! i.e. 100 calls/s × 20 IDs), goal >= 0.85, and the API calls made per phase.
//!
//! Run: `cargo bench --bench plan_scale` (options: VIDEOS=1000000 LATENCY_MS=20; the counts
//! scale with VIDEOS; MATCHES=N makes N of the videos created before 2023 failed uploads, spread
//! evenly, instead of every 13th of the first 65%: `VIDEOS=10000000 MATCHES=3000000` is a
//! selector past SearchMedia's 2,000,000-result traversal limit). Not run in CI: it takes about 40 s by design (it measures pacing at the
//! real ceilings), plus the catalogue's construction.
//!
//! Measured 2026-11-24 (2 shared cores, release): 1,000,000 videos, 50,000 candidates (42,857
//! deletions, 7,143 protected): plan in 36.4 s against a 35.0 s minimum, ratio 0.961; 508
//! GetVideoList calls (minimum 500), 2,500 GetVideoInfos calls (minimum 2,500), none for the
//! keep selector. (Before windowed listing: 539 s, 1,929 SearchMedia + 9,286 GetVideoInfos calls.
//! Before the emulator's position indexes, its 100 ms full scan per listing call set the pace:
//! 78.7 s, ratio 0.444.)
//!
//! Measured 2026-11-24 (same machine, release), `VIDEOS=10000000 MATCHES=3000000`: 3,000,000
//! candidates (2,571,429 deletions, 428,571 protected): plan in 2,171.7 s against a 2,100 s
//! minimum, ratio 0.967; listing 632.2 s (minimum 600) in 30,764 GetVideoList calls over
//! CreationTime windows (minimum 30,000), reading 1,539.5 s (minimum 1,500) in 150,000
//! GetVideoInfos calls, 0 throttled; peak RSS 6.1 GiB (emulator and plan in one process).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use vod_emulator::{self as emulator, Catalog, EmulatorConfig, Video};
use vodplan::manifest::{DesiredState, Entry, Location, Selector, Target};
use vodplan::progress::{Phase, Progress};

mod support;
use support::env_or;

/// Calls per phase.
struct Calls {
    phase: AtomicU64,
    listing: AtomicU64,
    reading: AtomicU64,
    /// When the first reading phase started.
    reading_since: std::sync::Mutex<Option<Instant>>,
}

impl Progress for Calls {
    fn start(&self, phase: Phase, _total: Option<u64>) {
        self.phase.store(phase as u64, Ordering::Relaxed);
        if phase == Phase::Reading {
            let mut since = self.reading_since.lock().unwrap();
            since.get_or_insert_with(Instant::now);
        }
    }
    fn advance(&self, _items: u64, calls: u64) {
        if self.phase.load(Ordering::Relaxed) == Phase::Listing as u64 {
            self.listing.fetch_add(calls, Ordering::Relaxed);
        } else {
            self.reading.fetch_add(calls, Ordering::Relaxed);
        }
    }
}

fn entry(line: u32, s: Selector) -> Entry {
    Entry {
        target: Target::Match(Box::new(s)),
        reason: None,
        quarantine: None,
        purge_cdn: false,
        location: Location {
            file: "bench.yaml".into(),
            line,
            column: 5,
        },
    }
}

fn main() {
    let videos = env_or("VIDEOS", 1_000_000);
    let latency = Duration::from_millis(env_or("LATENCY_MS", 20));
    // Creation times spread evenly over 2019..2025; the first two thirds are before 2023.
    let start_2019 = 1_546_300_800i64;
    let span = 6 * 365 * 86_400i64;
    let before_2023 = videos * 2 / 3;
    // Every 13th video before 2023 up to `fail_until` failed to upload: 50,000 of 1,000,000.
    let fail_until = videos * 13 * 50_000 / 1_000_000;
    let matches = support::env_opt("MATCHES").map(|m| m.min(before_2023));
    // Whether the i-th video is a failed upload: with MATCHES, the i-th of the first
    // `before_2023` is one when the count of matches up to it steps (exactly MATCHES of them).
    let failed = |i: u64| match matches {
        Some(m) => i < before_2023 && (i + 1) * m / before_2023 > i * m / before_2023,
        None => i.is_multiple_of(13) && i < fail_until.min(before_2023),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let built = Instant::now();
        let catalog = Catalog::from_videos((0..videos).map(|i| {
            let created = start_2019 + (i as i64) * span / videos as i64;
            let t = time::OffsetDateTime::from_unix_timestamp(created).unwrap();
            Video {
                title: format!("video {i}"),
                status: if failed(i) {
                    "UploadFail".into()
                } else {
                    "Normal".into()
                },
                category_id: Some(if i % 7 == 3 { 1003 } else { 1000 }),
                creation_time: vodplan::timefmt::format(t),
                ..support::video(format!("{i:032x}"))
            }
        }));
        let built = built.elapsed();
        let config = EmulatorConfig {
            latency,
            ..EmulatorConfig::default()
        };
        let emu = emulator::start("127.0.0.1:0".parse().unwrap(), catalog, config)
            .await
            .unwrap();
        let client = support::client(&emu.endpoint(), 30.0);
        let desired = DesiredState {
            delete: vec![entry(
                3,
                Selector {
                    status: vec![vodplan::manifest::VideoStatus::UploadFail],
                    created_before: vodplan::timefmt::parse("2023-01-01T00:00:00Z"),
                    ..Selector::default()
                },
            )],
            keep: vec![entry(
                5,
                Selector {
                    category_id: Some(1003),
                    ..Selector::default()
                },
            )],
            ..DesiredState::default()
        };
        let calls = Calls {
            phase: AtomicU64::new(0),
            listing: AtomicU64::new(0),
            reading: AtomicU64::new(0),
            reading_since: Default::default(),
        };
        let started = Instant::now();
        let observed = vodplan::state::observe(&client, &desired, &calls)
            .await
            .unwrap();
        let plan = vodplan::plan::diff(&desired, &observed);
        let secs = started.elapsed().as_secs_f64();
        let candidates = plan.deletions.len() + plan.protected.len();
        let minimum = candidates as f64 / 5_000.0 + candidates as f64 / 2_000.0;
        let listed_in = calls
            .reading_since
            .lock()
            .unwrap()
            .map_or(0.0, |t| t.duration_since(started).as_secs_f64());
        let listing = calls.listing.load(Ordering::Relaxed);
        let reading = calls.reading.load(Ordering::Relaxed);
        println!(
            "plan_scale: {videos} videos (catalogue built in {:.1} s), emulator latency {} ms",
            built.as_secs_f64(),
            latency.as_millis()
        );
        println!(
            "  {candidates} candidates: {} deletions, {} protected by the keep selector",
            plan.deletions.len(),
            plan.protected.len()
        );
        println!(
            "  plan in {secs:.1} s; API-bound minimum {minimum:.1} s; ratio {:.3} (goal >= 0.85)",
            minimum / secs
        );
        println!(
            "  listing {listed_in:.1} s (minimum {:.1} s), reading {:.1} s (minimum {:.1} s)",
            candidates as f64 / 5_000.0,
            secs - listed_in,
            candidates as f64 / 2_000.0
        );
        println!(
            "  calls: {listing} listing (minimum {}), {reading} GetVideoInfos (minimum {}), {} throttled",
            candidates.div_ceil(100),
            candidates.div_ceil(20),
            client.stats().throttled.load(Ordering::Relaxed)
        );
        emu.stop().await;
    });
}
