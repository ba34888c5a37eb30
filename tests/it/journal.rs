//! The journal and the plan file as a user meets them: one apply at a time per journal (the
//! holder named, no stale lock after `kill -9`), journals that are not files or hold garbage, and
//! a plan file written where a symlink was planted.

use std::time::{Duration, Instant};

use crate::harness::{Dir, Emulator, catalog_of, vodplan};
use crate::resume::{VIDEOS, finish_and_check, kill_after, manifest};
use crate::test::{Test, unindent};

const JOURNAL: &str = "plan.json.journal.jsonl";

fn events(dir: &Dir, event: &str) -> usize {
    let needle = format!("{{\"event\":\"{event}\"");
    std::fs::read_to_string(dir.path().join(JOURNAL))
        .map(|j| j.lines().filter(|l| l.starts_with(&needle)).count())
        .unwrap_or(0)
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown host".into())
}

#[test]
fn a_second_apply_refuses_naming_the_holder_and_a_killed_holder_leaves_no_lock() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(VIDEOS, ""), &[]);
    manifest(&dir);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Two DeleteVideo calls a second: the first apply holds the journal for half a minute.
    let first = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--max-qps", "2"])
        .spawn();
    let pid = first.id();
    let start = Instant::now();
    while events(&dir, "batch-sent") == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--format", "json"])
        .normalise_now()
        .status(1)
        // The holder's run ID is random: all else is exact.
        .stderr_starts_with(&format!(
            "error: journal {JOURNAL} is in use by another apply (process {pid} on host {}, started {{NOW}} (run ",
            host()
        ))
        .stderr_contains(
            ")); nothing was sent: wait for that apply to end, or stop it, then run this command again\n\
             hint: if another apply holds the journal, wait for it; otherwise fix the journal (or choose another with --journal FILE) and run the same command again\n",
        )
        .run();
    // The refused apply wrote nothing: one run in the journal.
    assert_eq!(events(&dir, "start"), 1);
    // SIGKILL: no cleanup runs, yet the OS lock goes with the process.
    kill_after(first, &dir, JOURNAL, 2);
    finish_and_check(&dir, &emu, "plan.json");
    assert_eq!(events(&dir, "start"), 2);
}

#[test]
fn a_journal_that_is_not_a_regular_file_is_refused_before_anything_is_deleted() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(3, ""), &[]);
    dir.write(
        "m.yaml",
        &format!(
            "version: 1\ndelete:\n  - videoId: {}\n",
            crate::harness::vid(0)
        ),
    );
    let t = Instant::now();
    Test::in_dir(&dir)
        .against(&emu)
        .args([
            "apply",
            "m.yaml",
            "--auto-approve",
            "--journal",
            "/dev/full",
            "--format",
            "json",
        ])
        .status(1)
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            error: journal /dev/full is a device, not a regular file; a journal must be a regular file (name one with --journal FILE)
            hint: if another apply holds the journal, wait for it; otherwise fix the journal (or choose another with --journal FILE) and run the same command again
            ",
        ))
        .run();
    assert!(t.elapsed() < Duration::from_secs(20));
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_eq!(emu.videos(), 3);
}

#[test]
fn a_journal_ending_in_a_long_torn_line_is_read_past_and_terminated() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(3, ""), &[]);
    let m = format!(
        "version: 1\ndelete:\n  - videoId: {}\n",
        crate::harness::vid(1)
    );
    dir.write("m.yaml", &m);
    // 2 MiB with no newline: a crash mid-write, or a file that is not a journal at all.
    let garbage = "x".repeat(2 << 20);
    dir.write("j.jsonl", &garbage);
    let r = vodplan(&dir)
        .against(&emu)
        .args([
            "apply",
            "m.yaml",
            "--auto-approve",
            "--journal",
            "j.jsonl",
            "--format",
            "json",
        ])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["summary"]["deleted"], 1);
    let journal = dir.read("j.jsonl");
    let after: Vec<&str> = journal[garbage.len()..].lines().collect();
    assert_eq!(
        after[0], "",
        "the torn line was ended before this run wrote"
    );
    assert!(after[1].starts_with("{\"event\":\"start\""), "{}", after[1]);
    assert!(after.last().unwrap().starts_with("{\"event\":\"finish\""));
}

#[test]
fn plan_out_replaces_a_planted_symlink_instead_of_writing_through_it() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(3, ""), &[]);
    dir.write(
        "m.yaml",
        &format!(
            "version: 1\ndelete:\n  - videoId: {}\n",
            crate::harness::vid(2)
        ),
    );
    let victim = dir.write("victim.txt", "precious\n");
    for name in ["plan.tmp-vodplan", "plan.json"] {
        std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
    }
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(dir.read("victim.txt"), "precious\n");
    let meta = std::fs::symlink_metadata(dir.path().join("plan.json")).unwrap();
    assert!(meta.file_type().is_file());
    assert!(dir.read("plan.json").contains("\"kind\": \"vodplan-plan\""));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "catalog.yaml")
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["m.yaml", "plan.json", "plan.tmp-vodplan", "victim.txt"]
    );
}
