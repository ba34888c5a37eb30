//! `kill -9` in the middle of an apply, then the same command again: the job is finished, and
//! the videos the killed run deleted are reported as deleted, not as drift.

use std::time::{Duration, Instant};

use crate::harness::{Dir, Emulator, catalog_of, delete_manifest, vid, vodplan};
use crate::test::{Test, unindent};

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
    let journal = if target == "plan.json" {
        "plan.json.journal.jsonl"
    } else {
        "m.yaml.journal.jsonl"
    };
    Test::in_dir(dir)
        .against(emu)
        .args(["apply", target, "--auto-approve", "--format", "json"])
        .stdout(unindent(
            r#"
            {
              "drift": {
                "nonExistReferenceIds": [],
                "nonExistVideoIds": []
              },
              "failed": [],
              "forbiddenVideoIds": [],
              "format_version": 1,
              "planDigest": "{DIGEST}",
              "summary": {
                "absent": 0,
                "deleted": {VIDEOS},
                "failed": 0,
                "forbidden": 0
              }
            }
            "#,
        )
        .replace("{VIDEOS}", &VIDEOS.to_string()))
        // Where the kill landed is timing: the plan left (on stderr, as stdout is JSON) and the
        // count the journal shows as sent vary; the rest is exact.
        .stderr_starts_with(
            "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n\
             vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):\n",
        )
        .stderr_contains(
            "\nApplying plan {DIGEST}.\nResuming: the journal shows an interrupted run of this plan that sent ",
        )
        .stderr_matches("the credit, then the journal named", move |s| {
            s.ends_with(&format!(
                " videos for deletion; what it deleted is credited, not reported as drift.\nJournal: {journal}\n"
            ))
        })
        .run();
    assert_eq!(emu.videos(), 0);
}

#[test]
fn a_killed_saved_plan_apply_is_finished_by_running_it_again() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(VIDEOS, ""), &["--latency-ms", "20"]);
    manifest(&dir);
    let listed: String = (0..VIDEOS)
        .map(|i| {
            format!(
                "  - {}  \"Video {i}\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:{}\n",
                vid(i),
                i + 3
            )
        })
        .collect();
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .stdout(format!(
            "vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{{PORT}}):\n\
             source files, transcoded streams and thumbnails are removed and cannot be recovered.\n\n\
             {listed}\n{}",
            unindent(
                "
                Breakdown of the deletions:
                  by delete entry:
                    videoId entries (m.yaml): 1,500 videos 1.5 GiB, created 2023-01-01T00:00:00Z
                  by status:
                    Normal: 1,500 videos 1.5 GiB, created 2023-01-01T00:00:00Z
                  by category:
                    1000: 1,500 videos 1.5 GiB, created 2023-01-01T00:00:00Z
                  by creation year:
                    2023: 1,500 videos 1.5 GiB, created 2023-01-01T00:00:00Z
                  by storage class:
                    Standard: 1,500 videos 1.5 GiB, created 2023-01-01T00:00:00Z

                Plan: 1,500 videos to delete (1.5 GiB), 0 protected, 0 absent.
                Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
                ",
            )
        ))
        .stderr(
            "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n\
             Saved the plan (digest {DIGEST}) to plan.json. Apply exactly this plan with: vodplan apply plan.json\n",
        )
        .run();
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
