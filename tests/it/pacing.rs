//! Pacing against the emulator's strict quota (requests counted by arrival in a sliding second,
//! with jitter), while another application uses part of the account's QPS.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::emulator_wire::{now, v1_call_on};
use crate::harness::{Dir, Emulator, catalog_of, delete_manifest, vodplan};

/// Another application of the same account: DeleteVideo at a steady `per_second`, never retrying,
/// until `stop`. Returns (requests, throttled).
fn other_application(
    emu: &Emulator,
    per_second: u32,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(u64, u64)> {
    let port = emu.port;
    std::thread::spawn(move || {
        let (sent, throttled) = (AtomicU64::new(0), AtomicU64::new(0));
        let start = Instant::now();
        let mut n = 0u32;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            let (status, body) = v1_call_on(
                port,
                "DeleteVideo",
                &[("VideoIds", "0123456789abcdef0123456789abcdef".into())],
                &format!("other-{n}-{}", fastrand::u64(..)),
                &now(),
                "testsecret",
            );
            sent.fetch_add(1, Ordering::Relaxed);
            if status == 400 && body["Code"] == "Throttling.User" {
                throttled.fetch_add(1, Ordering::Relaxed);
            }
            let next = start + Duration::from_secs(1) * n / per_second;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        (sent.into_inner(), throttled.into_inner())
    })
}

#[test]
fn a_shared_budget_slows_apply_down_to_what_is_left_and_nothing_fails() {
    let dir = Dir::new();
    // 10 DeleteVideo a second for the account; the other application takes 4 of them.
    let emu = Emulator::start(
        &dir,
        &catalog_of(600, ""),
        &[
            "--quota-mode",
            "sliding",
            "--qps",
            "10",
            "--jitter-ms",
            "5",
            "--latency-ms",
            "20",
        ],
    );
    delete_manifest(&dir, 600);
    let stop = Arc::new(AtomicBool::new(false));
    let other = other_application(&emu, 4, stop.clone());
    std::thread::sleep(Duration::from_millis(500));
    let start = Instant::now();
    let r = vodplan(&dir)
        .against(&emu)
        .args([
            "apply",
            "m.yaml",
            "--auto-approve",
            "--format",
            "json",
            "--max-qps",
            "10",
        ])
        .run();
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (other_sent, other_throttled) = other.join().unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json()["summary"],
        serde_json::json!({"deleted": 600, "absent": 0, "forbidden": 0, "failed": 0})
    );
    let stats = emu.stats();
    let d = &stats["actions"]["DeleteVideo"];
    let throttled = d["throttled"].as_u64().unwrap();
    let vodplan_throttled = throttled - other_throttled;
    eprintln!(
        "apply took {elapsed:?}; DeleteVideo {d}; other application: {other_sent} sent, {other_throttled} throttled"
    );
    // 30 calls within the 6 a second left take about 5 s.
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    // vodplan slowed down to what was left instead of pushing: few refusals, and the other
    // application kept almost all of its share.
    assert!(vodplan_throttled <= 12, "{d}");
    assert!(
        other_throttled * 5 <= other_sent,
        "{other_throttled} of {other_sent}"
    );
    assert_eq!(stats["videos"], 0);
}
