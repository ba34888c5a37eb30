//! Summaries that say exactly what happened: "complete" only when everything planned was done,
//! "interrupted" only after an interrupt, forbidden videos explained with the two ways out.

use crate::harness::{Dir, Emulator, catalog_of, deleting, vid, vodplan, with_manifest};
use crate::test::{Test, unindent};

/// Three deletable videos and two that DeleteVideo reports in ForbiddenVideoIds.
fn forbidden_catalog() -> String {
    let mut extra = String::new();
    for i in 3..5 {
        extra.push_str(&format!(
            "  - videoId: {}\n    title: Locked {i}\n    status: Normal\n    categoryId: 1000\n    creationTime: 2023-01-01T00:00:00Z\n    size: 1048576\n    forbidden: true\n",
            vid(i)
        ));
    }
    catalog_of(3, &extra)
}

/// With `--format json` the forbidden videos are in the JSON on stdout, and the explanation on
/// stderr says so instead of pointing "above".
#[test]
fn forbidden_videos_in_json_output_are_pointed_to_where_they_are() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &forbidden_catalog(), &[]);
    crate::harness::delete_manifest(&dir, 5);
    let run = Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--format", "json"])
        .status(3)
        .ignore_stdout() // the JSON document, read below
        // The plan shown for review goes to stderr: stdout is the JSON document alone.
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 00000000000000000000000000000000  \"Video 0\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:3
              - 00000000000000000000000000000001  \"Video 1\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:4
              - 00000000000000000000000000000002  \"Video 2\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:5
              - 00000000000000000000000000000003  \"Locked 3\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:6
              - 00000000000000000000000000000004  \"Locked 4\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:7

            Breakdown of the deletions:
              by delete entry:
                videoId entries (m.yaml): 5 videos 5.0 MiB, created 2023-01-01T00:00:00Z
              by status:
                Normal: 5 videos 5.0 MiB, created 2023-01-01T00:00:00Z
              by category:
                1000: 5 videos 5.0 MiB, created 2023-01-01T00:00:00Z
              by creation year:
                2023: 5 videos 5.0 MiB, created 2023-01-01T00:00:00Z
              by storage class:
                Standard: 5 videos 5.0 MiB, created 2023-01-01T00:00:00Z

            Plan: 5 videos to delete (5.0 MiB), 0 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            Applying plan {DIGEST}.
            Journal: m.yaml.journal.jsonl
            Partial: 3 deleted, 2 forbidden.
            Forbidden: VOD refused to delete 2 videos (ForbiddenVideoIds, listed in the output's `forbiddenVideoIds`), which usually means the RAM identity vodplan runs as may not delete them. Two ways out: grant it vod:DeleteVideo on them (examples/ram/apply-policy.json) and run the same command again; or accept them as they are: add them to `keep` in the manifests (and remove any delete entry naming them by ID), so that they are no longer planned.
            ",
        ))
        .run();
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        document["forbiddenVideoIds"],
        serde_json::json!([vid(3), vid(4)]),
        "{}",
        run.stdout
    );
}

#[test]
fn forbidden_videos_are_explained_not_called_complete_or_interrupted() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &forbidden_catalog(), &[]);
    crate::harness::delete_manifest(&dir, 5);
    let apply = || {
        Test::in_dir(&dir)
            .against(&emu)
            .args(["apply", "m.yaml", "--auto-approve"])
    };
    let forbidden_hint = "Forbidden: VOD refused to delete 2 videos (ForbiddenVideoIds, listed above), which usually means the RAM identity vodplan runs as may not delete them. Two ways out: grant it vod:DeleteVideo on them (examples/ram/apply-policy.json) and run the same command again; or accept them as they are: add them to `keep` in the manifests (and remove any delete entry naming them by ID), so that they are no longer planned.\n";
    apply()
        .status(3)
        .stdout(unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 00000000000000000000000000000000  \"Video 0\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:3
              - 00000000000000000000000000000001  \"Video 1\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:4
              - 00000000000000000000000000000002  \"Video 2\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:5
              - 00000000000000000000000000000003  \"Locked 3\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:6
              - 00000000000000000000000000000004  \"Locked 4\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:7

            Breakdown of the deletions:
              by delete entry:
                videoId entries (m.yaml): 5 videos 5.0 MiB, created 2023-01-01T00:00:00Z
              by status:
                Normal: 5 videos 5.0 MiB, created 2023-01-01T00:00:00Z
              by category:
                1000: 5 videos 5.0 MiB, created 2023-01-01T00:00:00Z
              by creation year:
                2023: 5 videos 5.0 MiB, created 2023-01-01T00:00:00Z
              by storage class:
                Standard: 5 videos 5.0 MiB, created 2023-01-01T00:00:00Z

            Plan: 5 videos to delete (5.0 MiB), 0 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            Forbidden: VOD refused to delete these (ForbiddenVideoIds):
              ! 00000000000000000000000000000003
              ! 00000000000000000000000000000004

            Plan digest: {DIGEST}
            Apply partial: 3 videos deleted, 0 absent, 2 forbidden, 0 failed.
            ",
        ))
        .stderr(format!(
            "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\nApplying plan {{DIGEST}}.\nJournal: m.yaml.journal.jsonl\nPartial: 3 deleted, 2 forbidden.\n{forbidden_hint}"
        ))
        .run();
    // Again: the 2 are sent again (the permission may have been fixed), the 3 are credited, and
    // nothing claims an interrupted run.
    apply()
        .status(3)
        .stdout(unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 00000000000000000000000000000003  \"Locked 3\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:6
              - 00000000000000000000000000000004  \"Locked 4\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:7

            Already absent (listed in the manifest, gone from VOD):
              ~ videoId 00000000000000000000000000000000  m.yaml:3
              ~ videoId 00000000000000000000000000000001  m.yaml:4
              ~ videoId 00000000000000000000000000000002  m.yaml:5

            Breakdown of the deletions:
              by delete entry:
                videoId entries (m.yaml): 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by status:
                Normal: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by category:
                1000: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by creation year:
                2023: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by storage class:
                Standard: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z

            Plan: 2 videos to delete (2.0 MiB), 0 protected, 3 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            Forbidden: VOD refused to delete these (ForbiddenVideoIds):
              ! 00000000000000000000000000000003
              ! 00000000000000000000000000000004

            Plan digest: {DIGEST}
            Apply partial: 3 videos deleted, 0 absent, 2 forbidden, 0 failed.
            ",
        ))
        .stderr(format!(
            "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\nApplying plan {{DIGEST}}.\nContinuing: the journal shows an earlier partial run of this plan that sent 5 videos for deletion; what it deleted is credited, not reported as drift.\nJournal: m.yaml.journal.jsonl\nPartial: 3 deleted, 2 forbidden.\n{forbidden_hint}"
        ))
        .run();
    // Accepting them with `keep`: they are no longer planned, and the run is complete.
    crate::harness::delete_manifest(&dir, 3);
    let mut m = dir.read("m.yaml");
    m.push_str(&format!(
        "keep:\n  - videoId: {}\n  - videoId: {}\n",
        vid(3),
        vid(4)
    ));
    dir.write("m.yaml", &m);
    apply()
        .stdout(unindent(
            "
            Already absent (listed in the manifest, gone from VOD):
              ~ videoId 00000000000000000000000000000000  m.yaml:3
              ~ videoId 00000000000000000000000000000001  m.yaml:4
              ~ videoId 00000000000000000000000000000002  m.yaml:5

            No changes: nothing in the manifests is left to delete.
            Plan: 0 videos to delete (0 B), 0 protected, 3 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            Drift: these manifest entries no longer existed in VOD:
              ~ videoId 00000000000000000000000000000000
              ~ videoId 00000000000000000000000000000001
              ~ videoId 00000000000000000000000000000002

            Plan digest: {DIGEST}
            Apply complete: 0 videos deleted, 3 absent, 0 forbidden, 0 failed.
            ",
        ))
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            Applying plan {DIGEST}.
            Journal: m.yaml.journal.jsonl
            ",
        ))
        .run();
}

/// Reads a finished child's exit code, stdout and stderr.
fn finished(mut child: std::process::Child) -> (Option<i32>, String, String) {
    use std::io::Read;
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    crate::harness::assert_no_secret(&stdout, "stdout");
    crate::harness::assert_no_secret(&stderr, "stderr");
    (status.code(), stdout, stderr)
}

fn signal(child: &std::process::Child, name: &str) {
    assert!(
        std::process::Command::new("kill")
            .args([name, &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn the_journal_records_the_plan_digest_and_apply_planfile_names_the_credentials() {
    let (dir, emu) = with_manifest(&catalog_of(3, ""), &[], &deleting(2));
    let plan = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json", "--format", "json"])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let digest = plan.json()["planDigest"].as_str().unwrap().to_string();
    // The digest applied is the one planned.
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .replacing(&digest, "{THE PLAN'S DIGEST}")
        .stdout(unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 00000000000000000000000000000000  \"Video 0\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:3
              - 00000000000000000000000000000001  \"Video 1\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:4

            Breakdown of the deletions:
              by delete entry:
                videoId entries (m.yaml): 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by status:
                Normal: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by category:
                1000: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by creation year:
                2023: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by storage class:
                Standard: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z

            Plan: 2 videos to delete (2.0 MiB), 0 protected, 0 absent.
            Plan digest: {THE PLAN'S DIGEST}  (region cn-shanghai, the default; the manifests name none)
            Plan digest: {THE PLAN'S DIGEST}
            Apply complete: 2 videos deleted, 0 absent, 0 forbidden, 0 failed.
            ",
        ))
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            Applying plan {THE PLAN'S DIGEST}.
            Journal: plan.json.journal.jsonl
            ",
        ))
        .run();
    let journal = std::fs::read_to_string(dir.path().join("plan.json.journal.jsonl")).unwrap();
    let start: serde_json::Value = serde_json::from_str(journal.lines().next().unwrap()).unwrap();
    assert_eq!(start["event"], "start");
    assert_eq!(start["planDigest"], digest.as_str());
    // The same for manifests applied directly.
    let r = vodplan(&dir)
        .against(&emu)
        .args([
            "apply",
            "m.yaml",
            "--auto-approve",
            "--journal",
            "direct.jsonl",
        ])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let applied = r.stderr.split("Applying plan ").nth(1).unwrap()[..12].to_string();
    let journal = dir.read("direct.jsonl");
    let start: serde_json::Value = serde_json::from_str(journal.lines().next().unwrap()).unwrap();
    assert_eq!(start["planDigest"], applied.as_str());
}

/// A signal while the saved plan is re-read: nothing sent, said so, exit 1 (it used to kill the
/// process with no word).
#[test]
fn a_signal_before_the_delete_phase_says_interrupted_nothing_sent() {
    let (dir, emu) = with_manifest(&catalog_of(3, ""), &[], &deleting(2));
    let plan = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let port = emu.port;
    emu.stop();
    // The same endpoint, now answering after 5 s: the apply is re-reading when the signal comes.
    let emu = Emulator::start_on(&dir, &catalog_of(3, ""), &["--latency-ms", "5000"], port);
    for (sig, format) in [("-TERM", "text"), ("-INT", "json")] {
        let child = vodplan(&dir)
            .against(&emu)
            .args(["apply", "plan.json", "--format", format])
            .spawn_captured();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        signal(&child, sig);
        let (code, stdout, stderr) = finished(child);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(
            stderr.ends_with("error: interrupted, nothing sent\nhint: nothing was deleted; run the same command again to apply the plan\n"),
            "{stderr}"
        );
        if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(v["interrupted"], true);
            assert_eq!(v["summary"]["deleted"], 0);
        } else {
            assert_eq!(stdout, "");
        }
    }
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

/// A second apply while one holds the journal refuses before it prints the plan.
#[test]
fn a_second_apply_refuses_on_the_lock_before_printing_the_plan() {
    let (dir, emu) = with_manifest(
        &catalog_of(200, ""),
        &["--latency-ms", "300"],
        &deleting(200),
    );
    let first = vodplan(&dir)
        .against(&emu)
        .args([
            "apply",
            "m.yaml",
            "--auto-approve",
            "--journal",
            "j.jsonl",
            "--max-qps",
            "1",
        ])
        .spawn_captured();
    let start = std::time::Instant::now();
    while !dir.path().join("j.jsonl").exists() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the first apply never locked"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--journal", "j.jsonl"])
        .run();
    signal(&first, "-KILL");
    let _ = finished(first);
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert_eq!(
        second.stdout, "",
        "the plan is not printed before the refusal"
    );
    assert!(
        second
            .stderr
            .contains("error: journal j.jsonl is in use by another apply"),
        "{}",
        second.stderr
    );
}

/// What the percentage guard divides by is covered by the plan's digest, and the journal records
/// today's manifests' reason for each deletion, never the plan file's.
#[test]
fn a_forged_selector_count_or_reason_in_a_saved_plan_cannot_pass_under_the_reviewed_digest() {
    let (dir, emu) = with_manifest(
        &catalog_of(10, ""),
        &[],
        "version: 1\ndelete:\n  - match: { categoryId: 1000 }\n    reason: cleanup (TICKET-1)\n",
    );
    let plan = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json", "--format", "json"])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let reviewed = plan.json()["planDigest"].as_str().unwrap().to_string();
    // As reviewed, the guard trips: 10 of the 10 videos the selector saw.
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--max-delete-percent", "50"])
        .status(1)
        .stderr(unindent(
            "
            error: guard tripped: --max-delete-percent allows 50% of the 10 videos the delete selectors' queries returned (5), but the plan deletes 10 (5 too many); nothing was deleted
            hint: review the selectors and IDs; raise --max-delete-percent only if deleting this share of what the selectors matched is intended
            ",
        ))
        .run();
    // Forged: the selectors "saw" 100,000 videos, and every deletion carries another reason.
    let mut forged: serde_json::Value = serde_json::from_str(&dir.read("plan.json")).unwrap();
    forged["plan"]["selectorSeen"] = 100_000.into();
    for d in forged["plan"]["deletions"].as_array_mut().unwrap() {
        d["reason"] = "approved by legal".into();
    }
    std::fs::write(dir.path().join("plan.json"), forged.to_string()).unwrap();
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--max-delete-percent", "50"])
        .run();
    let applied = r
        .stderr
        .split("Applying plan ")
        .nth(1)
        .map(|s| s[..12].to_string());
    // Either refused, or applied under a digest that is not the reviewed one.
    assert_ne!(applied.as_deref(), Some(reviewed.as_str()), "{}", r.stderr);
    let journal =
        std::fs::read_to_string(dir.path().join("plan.json.journal.jsonl")).unwrap_or_default();
    assert!(!journal.contains("approved by legal"), "{journal}");
    if applied.is_some() {
        assert!(
            journal.contains("\"reason\":\"cleanup (TICKET-1)\""),
            "{journal}"
        );
    }
}

/// Two applies of one plan on one machine with different journals: the second refuses.
#[test]
fn a_second_apply_of_the_same_plan_with_another_journal_refuses() {
    let (dir, emu) = with_manifest(&catalog_of(200, ""), &[], &deleting(200));
    let plan = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let first = vodplan(&dir)
        .against(&emu)
        .args([
            "apply",
            "plan.json",
            "--journal",
            "one.jsonl",
            "--max-qps",
            "1",
        ])
        .spawn_captured();
    let start = std::time::Instant::now();
    while !dir.path().join("one.jsonl").exists() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the first apply never locked"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    // The process ID is the first apply's: all else is exact.
    let second = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Test::in_dir(&dir)
            .against(&emu)
            .args(["apply", "plan.json", "--journal", "two.jsonl"])
            .status(1)
            .stderr_starts_with(
                "error: another apply of this plan is running on this machine (process ",
            )
            .stderr_contains(
                ", journal {DIR}/one.jsonl); nothing was sent: wait for it to end, or stop it, then run this command again\n\
                 hint: one apply of a plan at a time: wait for the other to end (its journal is named above)\n",
            )
            .run()
    }));
    signal(&first, "-KILL");
    let _ = finished(first);
    if let Err(panic) = second {
        std::panic::resume_unwind(panic);
    }
}

/// The default journal of manifests applied directly is written in the working directory, never
/// inside the manifests' directory (where validate would warn about it).
#[test]
fn the_default_journal_of_a_manifest_directory_is_not_written_inside_it() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(2, ""), &[]);
    dir.write(
        "manifests/cleanup.yaml",
        &format!("version: 1\ndelete:\n  - videoId: {}\n", vid(0)),
    );
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "manifests", "--auto-approve"])
        .stdout(unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 00000000000000000000000000000000  \"Video 0\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  manifests/cleanup.yaml:3

            Breakdown of the deletions:
              by delete entry:
                videoId entries (manifests/cleanup.yaml): 1 video 1.0 MiB, created 2023-01-01T00:00:00Z
              by status:
                Normal: 1 video 1.0 MiB, created 2023-01-01T00:00:00Z
              by category:
                1000: 1 video 1.0 MiB, created 2023-01-01T00:00:00Z
              by creation year:
                2023: 1 video 1.0 MiB, created 2023-01-01T00:00:00Z
              by storage class:
                Standard: 1 video 1.0 MiB, created 2023-01-01T00:00:00Z

            Plan: 1 video to delete (1.0 MiB), 0 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            Plan digest: {DIGEST}
            Apply complete: 1 video deleted, 0 absent, 0 forbidden, 0 failed.
            ",
        ))
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            Applying plan {DIGEST}.
            Journal: manifests.journal.jsonl
            ",
        ))
        .run();
    assert!(dir.path().join("manifests.journal.jsonl").is_file());
    Test::in_dir(&dir)
        .args(["validate", "manifests"])
        .stdout("Valid: 1 file, 1 delete entry, 0 keep entries.\n")
        .run();
}

/// The guard's hint names the guard that tripped.
#[test]
fn the_percentage_guard_hint_names_the_percentage_flag() {
    let (dir, emu) = with_manifest(
        &catalog_of(4, ""),
        &[],
        "version: 1\ndelete:\n  - match: { categoryId: 1000 }\n",
    );
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--max-delete-percent", "50"])
        .status(1)
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            error: guard tripped: --max-delete-percent allows 50% of the 4 videos the delete selectors' queries returned (2), but the plan deletes 4 (2 too many); nothing was deleted
            hint: review the selectors and IDs; raise --max-delete-percent only if deleting this share of what the selectors matched is intended
            ",
        ))
        .run();
}

/// `demo` shows the plan once, and names no path of the temporary directory it deletes.
#[test]
fn the_demo_shows_the_plan_once_without_temporary_paths() {
    // The demo's emulator listens on a port of its own; its directory is its own too, and `{DIR}`
    // (the test's) must not appear.
    let r = Test::new()
        .args(["demo"])
        .normalise_ports()
        .stdout(unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910  \"Spring promo 2023\"  Normal  10.0 MiB  2023-03-01  cat 1000  Standard  cleanup.yaml:10
                  reason: licence expired (LEGAL-1234)
              - 3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e  \"Summer promo 2023\"  Normal  20.0 MiB  2023-06-01  cat 1000  Standard  cleanup.yaml:13
                  reason: campaign over

            Protected by keep (never deleted):
              = 7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b  \"Brand film (legal hold)\"  kept by cleanup.yaml:25 (selected by cleanup.yaml:20)

            Already absent (listed in the manifest, gone from VOD):
              ~ videoId 0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a  cleanup.yaml:16

            Breakdown of the deletions:
              by delete entry:
                videoId entries (cleanup.yaml): 1 video 10.0 MiB, created 2023-03-01T08:00:00Z
                referenceId entries (cleanup.yaml): 1 video 20.0 MiB, created 2023-06-01T08:00:00Z
              by status:
                Normal: 2 videos 30.0 MiB, created 2023-03-01T08:00:00Z to 2023-06-01T08:00:00Z
              by category:
                1000: 2 videos 30.0 MiB, created 2023-03-01T08:00:00Z to 2023-06-01T08:00:00Z
              by creation year:
                2023: 2 videos 30.0 MiB, created 2023-03-01T08:00:00Z to 2023-06-01T08:00:00Z
              by storage class:
                Standard: 2 videos 30.0 MiB, created 2023-03-01T08:00:00Z to 2023-06-01T08:00:00Z
              protected, by keep entry:
                cleanup.yaml:25: 1 video

            Plan: 2 videos to delete (30.0 MiB), 1 protected, 1 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, from the manifests, cleanup.yaml:6)
            Drift: these manifest entries no longer existed in VOD:
              ~ videoId 0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a

            Plan digest: {DIGEST}
            Apply complete: 2 videos deleted, 1 absent, 0 forbidden, 0 failed.
            ",
        ))
        .stderr(unindent(
            "
            Demo: a VOD API emulator is serving the example catalogue at http://127.0.0.1:{PORT}.

            == vodplan plan cleanup.yaml

            Credentials: the demo emulator's test key
            Saved the plan (digest {DIGEST}) to plan.json. Apply exactly this plan with: vodplan apply plan.json

            == vodplan apply plan.json   (the saved plan is the approval)

            Credentials: the demo emulator's test key
            Applying plan {DIGEST}.
            Journal: plan.json.journal.jsonl
            ",
        ))
        .run();
    let tmp = std::env::temp_dir().display().to_string();
    assert!(
        !r.stdout.contains(&tmp) && !r.stderr.contains(&tmp),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
}

/// The schema names no path outside the repository, and says a disagreeing region is an error.
#[test]
fn the_schema_says_a_region_conflict_is_an_error_and_names_no_internal_path() {
    let dir = Dir::new();
    let r = vodplan(&dir).args(["schema"]).run();
    assert_eq!(r.code, 0);
    assert!(
        !r.stdout.contains("/work/") && !r.stdout.contains("Overridden"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("must agree with it: a disagreement is an error"),
        "{}",
        r.stdout
    );
}

/// A global flag a command does not use is an error on its command line, not silently ignored.
#[test]
fn a_global_flag_a_command_does_not_use_is_refused() {
    let dir = Dir::new();
    let r = vodplan(&dir)
        .args(["schema", "--endpoint", "http://127.0.0.1:9"])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: --endpoint has no effect on `vodplan schema`; leave it out\n"),
        "{}",
        r.stderr
    );
    let r = vodplan(&dir)
        .args(["completions", "bash", "--max-qps", "5"])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: --max-qps has no effect on `vodplan completions`"),
        "{}",
        r.stderr
    );
    // Through the environment it is fine: CI sets it for every step.
    let r = vodplan(&dir)
        .env("VODPLAN_ENDPOINT", "http://127.0.0.1:9")
        .args(["schema"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
}
