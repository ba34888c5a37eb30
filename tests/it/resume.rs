//! `kill -9` in the middle of an apply, then the same command again: the job is finished, and
//! the videos the killed run deleted are reported as deleted, not as drift.

use std::time::{Duration, Instant};

use crate::harness::{Dir, Emulator, catalog_of, delete_manifest, vodplan};

pub const VIDEOS: usize = 1500;

pub fn manifest(dir: &Dir) {
    delete_manifest(dir, VIDEOS);
}

/// Waits until the journal shows `batches` finished batches, then kills the apply with SIGKILL.
pub fn kill_after(mut child: std::process::Child, dir: &Dir, journal: &str, batches: usize) {
    let start = Instant::now();
    loop {
        let done = std::fs::read_to_string(dir.path().join(journal))
            .map(|j| j.lines().filter(|l| l.contains("\"batch-done\"")).count())
            .unwrap_or(0);
        if done >= batches {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the apply made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the apply ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL: no cleanup runs
    child.wait().unwrap();
}

pub fn finish_and_check(dir: &Dir, emu: &Emulator, target: &str) {
    let left = emu.videos() as usize;
    assert!(
        left > 0 && left < VIDEOS,
        "the kill should land mid-run ({left} left)"
    );
    let r = vodplan(dir)
        .against(emu)
        .args(["apply", target, "--auto-approve", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("Resuming: the journal"), "{}", r.stderr);
    let v = r.json();
    assert_eq!(
        v["summary"],
        serde_json::json!({"deleted": VIDEOS, "absent": 0, "forbidden": 0, "failed": 0})
    );
    assert_eq!(emu.videos(), 0);
}

#[test]
fn a_killed_saved_plan_apply_is_finished_by_running_it_again() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(VIDEOS, ""), &["--latency-ms", "20"]);
    manifest(&dir);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let child = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .spawn();
    kill_after(child, &dir, "plan.json.journal.jsonl", 10);
    finish_and_check(&dir, &emu, "plan.json");
}

#[test]
fn a_killed_manifest_apply_is_finished_by_running_it_again() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(VIDEOS, ""), &["--latency-ms", "20"]);
    manifest(&dir);
    let child = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve"])
        .spawn();
    kill_after(child, &dir, "m.yaml.journal.jsonl", 10);
    finish_and_check(&dir, &emu, "m.yaml");
}

#[test]
fn a_killed_selector_apply_is_finished_counting_what_the_killed_run_deleted() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(VIDEOS, ""), &["--latency-ms", "20"]);
    // Selected by a selector, not by ID: once deleted, the next plan does not list them at all.
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { categoryId: 1000 }\n",
    );
    let child = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve"])
        .spawn();
    kill_after(child, &dir, "m.yaml.journal.jsonl", 10);
    finish_and_check(&dir, &emu, "m.yaml");
}
