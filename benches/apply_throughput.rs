//! Throughput of the refresh (GetVideoInfos) and the deletion (DeleteVideo) against the emulator
//! in its strict quota mode (each operation's requests counted by arrival time in a sliding
//! second) with network-like latency and jitter, reported as ratios to the API ceilings, with the
//! calls the emulator throttled: reads 100 calls/s × 20 IDs = 2,000 IDs/s, deletions 30 calls/s ×
//! 20 IDs = 600 IDs/s. A throttled call costs the account's shared budget, so the goal is the
//! ceiling with none.
//!
//! Run: `cargo bench --bench apply_throughput` (options: VIDEOS=10000 LATENCY_MS=80 JITTER_MS=5,
//! up to that much more on each request's way in and its reply's way back; QUOTA=sliding, fixed
//! or token).
//! Not run in CI: it takes about 25 seconds by design (it measures pacing at the real ceilings).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use vod_emulator::{self as emulator, Catalog, EmulatorConfig, QuotaMode, Video};
use vodplan::ids::VideoId;
use vodplan::plan::{Deletion, Fingerprint, SelectedBy};

mod support;
use support::env_or;

fn main() {
    let videos = env_or("VIDEOS", 10_000) as usize;
    let latency = Duration::from_millis(env_or("LATENCY_MS", 80));
    let jitter = Duration::from_millis(env_or("JITTER_MS", 5));
    let (quota_mode, counted) = match std::env::var("QUOTA").as_deref() {
        Ok("token") => (QuotaMode::Token, "as a token bucket"),
        Ok("fixed") => (QuotaMode::Fixed, "in fixed one-second buckets by arrival"),
        _ => (QuotaMode::Sliding, "in a sliding second by arrival"),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ids: Vec<String> = (0..videos).map(|i| format!("{i:032x}")).collect();
        let catalog = Catalog::from_videos(ids.iter().map(|id| Video {
            category_id: Some(1),
            ..support::video(id.clone())
        }));
        let config = EmulatorConfig { latency, jitter, quota_mode, ..EmulatorConfig::default() };
        let emu = emulator::start("127.0.0.1:0".parse().unwrap(), catalog, config).await.unwrap();
        let client = support::client(&emu.endpoint(), 30.0);
        let video_ids: Vec<VideoId> = ids.iter().map(|i| VideoId::new(i.clone()).unwrap()).collect();

        let start = Instant::now();
        let observed = vodplan::state::lookup(&client, video_ids.clone(), vec![], &()).await.unwrap();
        let read_secs = start.elapsed().as_secs_f64();
        let read_throttled = client.stats().throttled.load(Ordering::Relaxed);
        assert_eq!(observed.videos.len(), videos);
        let read_rate = videos as f64 / read_secs;

        let deletions: Vec<Deletion> = video_ids
            .into_iter()
            .map(|video_id| Deletion {
                video_id,
                selected_by: SelectedBy::VideoId,
                reason: None,
                source: vodplan::manifest::Location { file: "bench.yaml".into(), line: 1, column: 1 },
                observed: Fingerprint { status: "Normal".into(), size: Some(1), creation_time: None, modification_time: None, title: "bench".into(), reference_id: None, tags: None, category_id: None, storage_class: None },
            })
            .collect();
        let throttled_before = client.stats().throttled.load(Ordering::Relaxed);
        let start = Instant::now();
        // The whole library apply flow (journal, settlement), as `vodplan apply` runs it.
        let journal_dir = tempfile::tempdir().unwrap();
        let journal = journal_dir.path().join("bench.journal.jsonl");
        // Approved as `vodplan apply MANIFEST...` approves a plan just made: through the library's checks.
        let plan = vodplan::plan::Plan { deletions, ..Default::default() };
        let desired = vodplan::manifest::DesiredState::default();
        let spec = vodplan::apply::JournalSpec { path: &journal, plan_key: "bench".into(), once: false };
        let checked = vodplan::apply::check(vodplan::apply::Custody {
            plan: vodplan::apply::Proposal::Made { plan: &plan, region: "cn-shanghai" },
            desired: &desired, claims: Vec::new(), endpoint: client.config().endpoint.clone(), guards: Default::default(),
            journal: vodplan::apply::lock(&spec).unwrap(), today: None,
        }).unwrap();
        let approval = vodplan::apply::approve(&client, checked, &()).await.unwrap();
        let outcome = vodplan::apply::run(client.clone(), approval, &(), &vodplan::apply::Interrupt::new()).await.unwrap();
        let delete_secs = start.elapsed().as_secs_f64();
        assert_eq!(outcome.deleted.len(), videos, "{outcome:?}");
        let delete_rate = videos as f64 / delete_secs;
        let throttled = client.stats().throttled.load(Ordering::Relaxed) - throttled_before;

        println!(
            "apply_throughput: {videos} videos, emulator latency {} ms, jitter up to {} ms each way, quota counted {counted}",
            latency.as_millis(),
            jitter.as_millis()
        );
        println!(
            "  refresh (GetVideoInfos): {read_rate:>7.0} IDs/s in {read_secs:.1} s = {:.3} of the 2,000 IDs/s ceiling, {read_throttled} throttled calls",
            read_rate / 2000.0
        );
        println!(
            "  delete  (DeleteVideo):   {delete_rate:>7.0} IDs/s in {delete_secs:.1} s = {:.3} of the 600 IDs/s ceiling, {throttled} throttled calls",
            delete_rate / 600.0
        );
        emu.stop().await;
    });
}
