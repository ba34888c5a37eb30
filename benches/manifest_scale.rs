//! The offline part of planning at scale: parsing, validating and diffing a manifest of
//! 1,000,000 explicit video IDs (about 46 MB of YAML), timed phase by phase, with the process's
//! peak memory. Target: under 3 s and under 1 GB on a 2-core machine.
//!
//! Run: `cargo bench --bench manifest_scale` (option: ENTRIES=1000000).

use std::time::Instant;

use vodplan::ids::{VideoId, VideoRef};
use vodplan::manifest::Target;
use vodplan::manifest::VideoStatus;
use vodplan::state::Observed;
use vodplan::state::Video;

mod support;
use support::peak_rss_mib;

fn main() {
    let entries = support::env_or("ENTRIES", 1_000_000) as usize;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    let mut text = String::with_capacity(entries * 48);
    text.push_str("version: 1\nregion: cn-shanghai\nlimits:\n  maxDeletes: 5000000\ndelete:\n");
    for i in 0..entries {
        text.push_str(&format!("  - videoId: {i:032x}\n"));
        if i % 10 == 0 {
            text.push_str("    reason: licence expired (LEGAL-1234)\n");
        }
    }
    text.push_str("keep:\n  - videoId: ffffffffffffffffffffffffffffffff\n");
    std::fs::write(&path, &text).unwrap();
    let mib = text.len() as f64 / (1024.0 * 1024.0);
    drop(text);

    let start = Instant::now();
    let loaded = vodplan::manifest::load(std::slice::from_ref(&path));
    let load_secs = start.elapsed().as_secs_f64();
    let desired = loaded.state.expect("the manifest is valid");
    let manifest_peak = peak_rss_mib();

    // Every listed video exists, as if just observed.
    let mut observed = Observed::default();
    observed.videos.reserve(desired.delete.len() + 1);
    for e in &desired.delete {
        if let Target::Id(VideoRef::Video(v)) = &e.target {
            let mut video = Video::new(v.clone());
            video.status = VideoStatus::Normal.into();
            observed.videos.insert(v.clone(), video);
        }
    }
    let other = VideoId::new("f".repeat(32)).unwrap();
    observed.videos.insert(other.clone(), Video::new(other));
    let start = Instant::now();
    let plan = vodplan::plan::diff(&desired, &observed);
    let diff_secs = start.elapsed().as_secs_f64();
    assert_eq!(plan.deletions.len(), entries);

    let peak = peak_rss_mib();
    drop((plan, observed, desired));
    // For comparison: the parse alone, on all cores and on one.
    let start = Instant::now();
    let raw =
        vodplan::manifest::raw::parse(&std::fs::read_to_string(&path).unwrap(), false).unwrap();
    let one_core_secs = start.elapsed().as_secs_f64();
    drop(raw);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    let raw = vodplan::manifest::split::parse_split(
        &std::fs::read_to_string(&path).unwrap(),
        false,
        cores,
    );
    let parse_secs = start.elapsed().as_secs_f64();
    drop(raw);
    println!("manifest_scale: {entries} entries, {mib:.1} MiB of YAML");
    println!(
        "  parse + validate: {load_secs:.2} s (the parse alone: {parse_secs:.2} s on {cores} cores, {one_core_secs:.2} s on one)"
    );
    println!("  diff:             {diff_secs:.2} s");
    println!(
        "  total offline:    {:.2} s (target < 3 s)",
        load_secs + diff_secs
    );
    println!(
        "  peak memory:      {manifest_peak:.0} MiB after parse + validate; {:.0} MiB after the diff, with the simulated live state of 1M videos (target < 1024 MiB)",
        peak
    );
}
