//! The catalogue is shared: other manifest sets, moderation, people in the console and vodplan's
//! own interrupted runs act on the same videos. Each test is one of those actors, through the
//! real binary against the real emulator; each reproduces a way a quarantine could be stolen, a
//! block undone, or a tag lost, and checks that it no longer happens.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vodplan::ids::VideoId;
use vodplan::plan::quarantine::{tag_for, today};
use vodplan::vod::media::{AuditItem, AuditStatus};

use crate::harness::{BIN, Dir, Emulator, rt, run, vid, vodplan};
use crate::safety::client_for;
use crate::test::{Test, unindent};

/// One catalogue video: index, status, category, tags.
fn video(i: usize, status: &str, category: i64, tags: &str) -> String {
    let tags = if tags.is_empty() {
        String::new()
    } else {
        format!("    tags: \"{tags}\"\n")
    };
    format!(
        "  - videoId: {}\n    title: Video {i}\n    status: {status}\n    categoryId: {category}\n    creationTime: 2023-01-01T00:00:00Z\n    size: 1048576\n{tags}",
        vid(i)
    )
}

fn catalog(videos: &[String]) -> String {
    format!("videos:\n{}", videos.concat())
}

fn start(dir: &Dir, videos: &[String], extra: &[&str]) -> Emulator {
    let mut flags = vec!["--state", "state.jsonl"];
    flags.extend_from_slice(extra);
    Emulator::start(dir, &catalog(videos), &flags)
}

/// Every video's status and tags now (`None`: gone), read in one go.
fn look_all(emu: &Emulator, n: usize) -> Vec<Option<(String, String)>> {
    let client = client_for(&emu.endpoint());
    let ids: Vec<VideoId> = (0..n).map(|i| VideoId::new(vid(i)).unwrap()).collect();
    let seen = rt()
        .block_on(vodplan::state::lookup(&client, ids.clone(), vec![], &()))
        .unwrap();
    ids.iter()
        .map(|id| {
            seen.videos
                .get(id)
                .map(|v| (v.status.to_string(), v.tags.to_string()))
        })
        .collect()
}

/// A video's status and tags now, or `None` when it is gone.
fn look(emu: &Emulator, i: usize) -> Option<(String, String)> {
    let client = client_for(&emu.endpoint());
    let id = VideoId::new(vid(i)).unwrap();
    let reply = rt()
        .block_on(client.get_video_infos(std::slice::from_ref(&id), &[]))
        .unwrap();
    reply
        .video_list
        .first()
        .map(|v| (v.status.clone(), v.tags.clone().unwrap_or_default()))
}

fn state(status: &str, tags: &str) -> Option<(String, String)> {
    Some((status.to_string(), tags.to_string()))
}

/// Another reviewer (moderation, a person in the console) sets a video's status.
fn review(emu: &Emulator, i: usize, status: AuditStatus, reason: &str) {
    let client = client_for(&emu.endpoint());
    let item = AuditItem {
        video_id: VideoId::new(vid(i)).unwrap(),
        reason: reason.into(),
        comment: String::new(),
    };
    rt().block_on(client.create_audit(&[item], status))
        .result
        .unwrap();
}

/// A person sets a video's tags in the console.
fn set_tags(emu: &Emulator, i: usize, tags: &str) {
    let client = client_for(&emu.endpoint());
    let id = VideoId::new(vid(i)).unwrap();
    rt().block_on(client.set_tags(&[(id, tags.to_string())]))
        .result
        .unwrap();
}

/// The grace period's last day for a quarantine of `days` started today (UTC).
fn until(days: i64) -> String {
    tag_for(today() + time::Duration::days(days))["vodplan-until-".len()..].to_string()
}

fn owned(owner: &str, days: i64, others: &str) -> String {
    let ours = format!("vodplan-until-{},vodplan-by-{owner}", until(days));
    if others.is_empty() {
        ours
    } else {
        format!("{others},{ours}")
    }
}

/// Set B's quarantine is never claimed by set A, whose entries list by a status (the
/// rule that retried every status "as if" deleted B's videos at once); and when B removes the
/// entry that quarantined them, they are restored, not deleted.
#[test]
fn another_sets_quarantine_is_never_stolen_and_a_removed_entry_restores() {
    let dir = Dir::new();
    let emu = start(
        &dir,
        &[
            video(0, "Normal", 2000, "campaign"),
            video(1, "Normal", 2000, ""),
            video(2, "UploadFail", 1000, ""),
            video(3, "Normal", 3000, ""),
        ],
        &[],
    );
    dir.write(
        "b.yaml",
        "version: 1\nowner: team-b\ndelete:\n  - match: { categoryId: 2000 }\n    quarantine: 30d\n",
    );
    dir.write(
        "a.yaml",
        "version: 1\nowner: team-a\ndelete:\n  - match: { status: [UploadFail] }\n    quarantine: none\n  - match: { categoryId: 3000 }\n    quarantine: 14d\n",
    );
    let b = run(&dir, &emu, &["apply", "b.yaml", "--auto-approve"]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert_eq!(
        look(&emu, 0),
        state("Blocked", &owned("team-b", 30, "campaign"))
    );

    // Set A, through a saved plan and through its manifests: B's videos are not A's.
    let plan = run(
        &dir,
        &emu,
        &["plan", "a.yaml", "--out", "a.json", "--format", "json"],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let json = plan.json();
    let deleted: Vec<&str> = json["deletions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["videoId"].as_str().unwrap())
        .collect();
    assert_eq!(deleted, [vid(2)]);
    assert_eq!(json["quarantines"][0]["videoId"], vid(3));
    assert_eq!(json["summary"]["restore"], 0);
    let apply = run(&dir, &emu, &["apply", "a.json"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let apply = run(&dir, &emu, &["apply", "a.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(
        look(&emu, 0),
        state("Blocked", &owned("team-b", 30, "campaign"))
    );
    assert_eq!(look(&emu, 1), state("Blocked", &owned("team-b", 30, "")));
    assert_eq!(look(&emu, 2), None);
    assert_eq!(look(&emu, 3), state("Blocked", &owned("team-a", 14, "")));

    // Set B removes the entry in review (keeping an unrelated one): its quarantined videos are
    // restored (Normal, vodplan's tags removed, other tags kept), never deleted.
    dir.write(
        "b.yaml",
        "version: 1\nowner: team-b\ndelete:\n  - match: { status: [UploadFail] }\n    quarantine: none\n",
    );
    let plan = run(&dir, &emu, &["plan", "b.yaml", "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let json = plan.json();
    assert_eq!(json["summary"]["restore"], 2, "{json}");
    assert_eq!(json["deletions"], serde_json::json!([]));
    let apply = run(&dir, &emu, &["apply", "b.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(look(&emu, 0), state("Normal", "campaign"));
    assert_eq!(look(&emu, 1), state("Normal", ""));
    assert_eq!(look(&emu, 3), state("Blocked", &owned("team-a", 14, "")));
    assert_eq!(emu.videos(), 3);
}

/// A stale tag of this owner on a video that moderation then blocks does not make it
/// vodplan's: a keep entry does not unblock it, a quarantine entry does not delete it, even past
/// the tag's date.
#[test]
fn moderation_blocking_a_stale_tagged_video_is_never_undone_or_deleted() {
    let dir = Dir::new();
    let stale = "promo,vodplan-until-2020-01-01,vodplan-by-team-a";
    let emu = start(
        &dir,
        &[
            video(0, "Normal", 1000, stale),
            video(1, "Normal", 1000, stale),
        ],
        &[],
    );
    // A takedown, after vodplan's (restored by hand) quarantine.
    review(&emu, 0, AuditStatus::Blocked, "takedown: copyright");
    review(&emu, 1, AuditStatus::Blocked, "takedown: copyright");
    dir.write(
        "m.yaml",
        &format!(
            "version: 1\nowner: team-a\ndelete:\n  - videoId: {}\n    quarantine: 14d\n  - videoId: {}\n    quarantine: none\nkeep:\n  - match: {{ titlePrefix: \"Video 0\" }}\n",
            vid(1),
            vid(0)
        ),
    );
    let plan = run(&dir, &emu, &["plan", "m.yaml", "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let json = plan.json();
    assert_eq!(json["summary"]["restore"], 0, "{json}");
    assert_eq!(json["deletions"], serde_json::json!([]), "{json}");
    let untouched: Vec<&str> = json["untouched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["videoId"].as_str().unwrap())
        .collect();
    assert_eq!(untouched, [vid(1), vid(0)], "{json}");
    assert!(
        json["untouched"][0]["why"]
            .as_str()
            .unwrap()
            .contains("the latest review on it is not vodplan's block"),
        "{json}"
    );
    let apply = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(look(&emu, 0), state("Blocked", stale));
    assert_eq!(look(&emu, 1), state("Blocked", stale));
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_eq!(emu.calls("UpdateVideoInfos"), 0);
    assert_eq!(emu.calls("CreateAudit"), 2, "only moderation's");
}

/// A stale marker of this owner on a Normal video (an interrupted quarantine, a refused untag,
/// a restore by hand) is removed when a keep entry protects it or no entry lists it (found by a
/// tag search), and renewed (a new grace period) when a quarantine entry selects it; another
/// owner's stale marker is left alone.
#[test]
fn stale_markers_are_untagged_or_renewed() {
    let dir = Dir::new();
    let stale = "promo,vodplan-until-2020-01-01,vodplan-by-team-a";
    let theirs = "promo,vodplan-until-2020-01-01,vodplan-by-team-b";
    let emu = start(
        &dir,
        &[
            video(0, "Normal", 1000, stale),
            video(1, "Normal", 1000, stale),
            video(2, "Normal", 2000, stale),
            video(3, "Normal", 2000, theirs),
        ],
        &[],
    );
    dir.write(
        "m.yaml",
        &format!(
            "version: 1\nowner: team-a\nquarantine: 14d\ndelete:\n  - match: {{ categoryId: 1000 }}\nkeep:\n  - videoId: {}\n",
            vid(0)
        ),
    );
    let apply = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(look(&emu, 0), state("Normal", "promo"));
    assert_eq!(
        look(&emu, 1),
        state("Blocked", &owned("team-a", 14, "promo"))
    );
    assert_eq!(
        look(&emu, 2),
        state("Normal", "promo"),
        "found by the tag search"
    );
    assert_eq!(look(&emu, 3), state("Normal", theirs), "another owner's");
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

/// Runs `apply MANIFEST` on a terminal (through `script`), and calls `meanwhile` while it waits
/// for `yes`, then answers `yes`.
fn apply_on_a_terminal(
    dir: &Dir,
    emu: &Emulator,
    manifest: &str,
    meanwhile: impl FnOnce(),
) -> String {
    let mut child = Command::new("script")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("VODPLAN_ENDPOINT", emu.endpoint())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
        .args(["-qec", &format!("{BIN} apply {manifest}"), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` (util-linux) runs a command on a terminal");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    let start = Instant::now();
    while !String::from_utf8_lossy(&seen).contains("Only 'yes' will be accepted") {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no prompt: {}",
            String::from_utf8_lossy(&seen)
        );
        let buf = out.fill_buf().unwrap();
        assert!(
            !buf.is_empty(),
            "ended before the prompt: {}",
            String::from_utf8_lossy(&seen)
        );
        let n = buf.len();
        seen.extend_from_slice(buf);
        out.consume(n);
    }
    meanwhile();
    child.stdin.as_mut().unwrap().write_all(b"yes\n").unwrap();
    let mut rest = String::new();
    let _ = out.read_to_string(&mut rest);
    child.wait().unwrap();
    format!("{}{rest}", String::from_utf8_lossy(&seen))
}

/// A tag added while apply waited for `yes` is kept, and when a keep entry matches it,
/// the video is not blocked.
#[test]
fn a_tag_added_while_apply_waits_is_kept_and_its_keep_entry_wins() {
    let dir = Dir::new();
    let emu = start(
        &dir,
        &[
            video(0, "Normal", 1000, "promo"),
            video(1, "Normal", 1000, "promo"),
        ],
        &[],
    );
    dir.write(
        "m.yaml",
        "version: 1\nowner: team-a\nquarantine: 14d\ndelete:\n  - match: { categoryId: 1000 }\nkeep:\n  - match: { tags: [legal-hold] }\n",
    );
    let out = apply_on_a_terminal(&dir, &emu, "m.yaml", || {
        set_tags(&emu, 0, "promo,legal-hold");
        set_tags(&emu, 1, "promo,hot");
    });
    assert!(
        out.contains("Quarantine: 1 put in quarantine, 0 restored."),
        "{out}"
    );
    assert_eq!(look(&emu, 0), state("Normal", "promo,legal-hold"));
    assert_eq!(
        look(&emu, 1),
        state("Blocked", &owned("team-a", 14, "promo,hot"))
    );
}

/// Restores are found whatever the entries say now: a keep entry added when no delete
/// entry uses a quarantine any more restores; `quarantine: none` deletes as reviewed.
#[test]
fn restores_are_found_when_no_entry_uses_a_quarantine() {
    let dir = Dir::new();
    let emu = start(
        &dir,
        &[video(0, "Normal", 1000, "x"), video(1, "Normal", 1000, "")],
        &[],
    );
    dir.write(
        "m.yaml",
        "version: 1\nowner: team-a\ndelete:\n  - match: { categoryId: 1000 }\n    quarantine: 14d\n",
    );
    let apply = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert_eq!(look(&emu, 0), state("Blocked", &owned("team-a", 14, "x")));
    dir.write(
        "m.yaml",
        &format!(
            "version: 1\nowner: team-a\ndelete:\n  - match: {{ categoryId: 1000 }}\n    quarantine: none\nkeep:\n  - videoId: {}\n",
            vid(0)
        ),
    );
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--detailed-exitcode"])
        .replacing(&until(14), "{UNTIL}")
        .status(2)
        .stdout(unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 00000000000000000000000000000001  \"Video 1\"  Blocked  1.0 MiB  2023-01-01  cat 1000  Standard  tags vodplan-until-{UNTIL},vodplan-by-team-a  m.yaml:4
                  selected by: match {categoryId 1000}

            To restore (taken out of this owner's quarantine: set Normal, vodplan's tags removed, other tags kept):
              + 00000000000000000000000000000000  \"Video 0\"  kept by m.yaml:7

            Breakdown of the deletions:
              by delete entry:
                match {categoryId 1000} (m.yaml:4): 1 video 1.0 MiB, created 2023-01-01T00:00:00Z
              by status:
                Blocked: 1 video 1.0 MiB, created 2023-01-01T00:00:00Z
              by category:
                1000: 1 video 1.0 MiB, created 2023-01-01T00:00:00Z
              by creation year:
                2023: 1 video 1.0 MiB, created 2023-01-01T00:00:00Z
              by storage class:
                Standard: 1 video 1.0 MiB, created 2023-01-01T00:00:00Z

            Plan: 1 video to delete (1.0 MiB), 1 to restore, 0 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            ",
        ))
        .stderr("Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n")
        .run();
    let apply = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(look(&emu, 0), state("Normal", "x"));
    assert_eq!(look(&emu, 1), None);
}

/// `keep: {status: [Blocked]}` does not take back the quarantine it did not prevent (the
/// video was Normal when quarantined): no quarantine-restore cycle on every apply.
#[test]
fn a_keep_entry_on_blocked_does_not_alternate() {
    let dir = Dir::new();
    let emu = start(&dir, &[video(0, "Normal", 1000, "")], &[]);
    dir.write(
        "m.yaml",
        "version: 1\nowner: team-a\ndelete:\n  - match: { categoryId: 1000 }\n    quarantine: 14d\nkeep:\n  - match: { status: [Blocked] }\n",
    );
    for _ in 0..3 {
        let apply = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
        assert_eq!(apply.code, 0, "{}", apply.stderr);
        assert_eq!(look(&emu, 0), state("Blocked", &owned("team-a", 14, "")));
    }
    assert_eq!(emu.calls("CreateAudit"), 1);
    // The block's audit record says whose, until when, and the status before blocking.
    let client = client_for(&emu.endpoint());
    let h = rt()
        .block_on(client.audit_history(&VideoId::new(vid(0)).unwrap(), 1))
        .unwrap();
    assert_eq!(
        h.histories[0].reason.as_deref(),
        Some(format!("vodplan:team-a:{}:Normal quarantine", until(14)).as_str())
    );
    assert_eq!(
        h.histories[0].comment.as_deref(),
        Some(
            format!(
                "vodplan quarantine of owner team-a until {} (UTC), selected by m.yaml:4; status before blocking: Normal",
                until(14)
            )
            .as_str()
        )
    );
}

/// A video with a tag over 32 bytes fails alone, never its batch; a user tag that only
/// starts like vodplan's is kept.
#[test]
fn one_bad_tag_fails_alone_and_look_alike_tags_are_kept() {
    let dir = Dir::new();
    let long = "x".repeat(40);
    let emu = start(
        &dir,
        &[
            video(0, "Normal", 1000, &long),
            video(1, "Normal", 1000, "vodplan-until-further-notice"),
            video(2, "Normal", 1000, "a"),
        ],
        &[],
    );
    dir.write(
        "m.yaml",
        "version: 1\nowner: team-a\ndelete:\n  - match: { categoryId: 1000 }\n    quarantine: 14d\n",
    );
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml"])
        .replacing(&until(14), "{UNTIL}")
        .stdout(unindent(
            "
            To quarantine (tagged, then blocked: play URLs can no longer be obtained; deleted by an apply after the date, UTC):
              ! 00000000000000000000000000000001  \"Video 1\"  until {UNTIL}  m.yaml:4
              ! 00000000000000000000000000000002  \"Video 2\"  until {UNTIL}  m.yaml:4

            Left exactly as they are:
              ? 00000000000000000000000000000000  \"Video 0\"  cannot be quarantined: its tag `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` is longer than 32 bytes, so its tag list cannot be written back without losing it

            Plan: 0 videos to delete (0 B), 2 to quarantine, 1 left as they are, 0 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            ",
        ))
        .stderr("Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n")
        .run();
    let apply = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(look(&emu, 0), state("Normal", &long));
    assert_eq!(
        look(&emu, 1),
        state(
            "Blocked",
            &owned("team-a", 14, "vodplan-until-further-notice")
        )
    );
    assert_eq!(look(&emu, 2), state("Blocked", &owned("team-a", 14, "a")));
}

/// A quarantine half done (tagged by a killed run, not blocked), a restore half done
/// (unblocked, untag refused): the same command, from the manifests or the saved plan, finishes
/// it, without being refused as stale or as applied already.
#[test]
fn the_same_command_finishes_a_half_done_step() {
    let dir = Dir::new();
    let emu = start(
        &dir,
        &[video(0, "Normal", 1000, "p"), video(1, "Normal", 1000, "")],
        &[],
    );
    dir.write(
        "m.yaml",
        "version: 1\nowner: team-a\ndelete:\n  - match: { categoryId: 1000 }\n    quarantine: 14d\n",
    );
    let plan = run(&dir, &emu, &["plan", "m.yaml", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    // A run killed between tag and block.
    set_tags(&emu, 0, &owned("team-a", 14, "p"));
    let apply = run(&dir, &emu, &["apply", "plan.json"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stdout
            .contains("Quarantine: 2 put in quarantine, 0 restored."),
        "{}",
        apply.stdout
    );
    assert_eq!(look(&emu, 0), state("Blocked", &owned("team-a", 14, "p")));
    assert_eq!(look(&emu, 1), state("Blocked", &owned("team-a", 14, "")));

    // A restore whose untag was refused: unblocked, still tagged.
    dir.write(
        "keep.yaml",
        &format!("version: 1\nkeep:\n  - videoId: {}\n", vid(0)),
    );
    let plan = run(
        &dir,
        &emu,
        &["plan", "m.yaml", "keep.yaml", "--out", "restore.json"],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    review(&emu, 0, AuditStatus::Normal, "");
    let apply = run(&dir, &emu, &["apply", "restore.json"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stdout
            .contains("Quarantine: 0 put in quarantine, 1 restored."),
        "{}",
        apply.stdout
    );
    assert_eq!(look(&emu, 0), state("Normal", "p"));
}

/// After SIGINT no new tag or block call starts; the summary counts what the service
/// confirmed, exit 3 (something changed); the same command finishes the rest.
#[test]
fn an_interrupt_stops_every_quarantine_write() {
    const N: usize = 400;
    let dir = Dir::new();
    let videos: Vec<String> = (0..N).map(|i| video(i, "Normal", 1000, "")).collect();
    let emu = start(&dir, &videos, &["--latency-ms", "150"]);
    dir.write(
        "m.yaml",
        "version: 1\nowner: team-a\nlimits:\n  maxQuarantines: 1000\ndelete:\n  - match: { categoryId: 1000 }\n    quarantine: 14d\n",
    );
    let mut child = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--format", "json"])
        .spawn_captured();
    let start = Instant::now();
    while emu.calls("CreateAudit") < 1 {
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let (tags_then, blocks_then) = (emu.calls("UpdateVideoInfos"), emu.calls("CreateAudit"));
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(3), "{stdout}\n{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["interrupted"], true, "{v}");
    // At most the groups in flight (4) finish their step; nothing new starts.
    let (tags, blocks) = (emu.calls("UpdateVideoInfos"), emu.calls("CreateAudit"));
    assert!(
        tags <= tags_then + 4 && tags < 20,
        "{tags_then} -> {tags} tag calls"
    );
    assert!(
        blocks <= blocks_then + 4 && blocks < 20,
        "{blocks_then} -> {blocks} block calls"
    );
    let blocked = look_all(&emu, N)
        .iter()
        .filter(|v| v.as_ref().is_some_and(|(s, _)| s == "Blocked"))
        .count();
    assert_eq!(
        v["quarantined"].as_array().map(Vec::len).unwrap_or(blocked),
        blocked,
        "{v}"
    );
    assert!(stderr.contains("run the same command again"), "{stderr}");
    // The same command finishes.
    let again = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    for (i, v) in look_all(&emu, N).into_iter().enumerate() {
        assert_eq!(v, state("Blocked", &owned("team-a", 14, "")), "video {i}");
    }
}

/// The emulator serves GetAuditHistory as the API does: the records CreateAudit writes (with
/// their Reason and Comment) and those of other reviewers given in the catalogue file, newest
/// first, with the current result and the total; paged; a video that does not exist is refused.
#[test]
fn the_emulator_serves_the_audit_history() {
    let dir = Dir::new();
    let mut text = catalog(&[video(0, "Blocked", 1000, ""), video(1, "Normal", 1000, "")]);
    text.push_str(&format!(
        "audits:\n  - videoId: {}\n    status: Blocked\n    reason: \"takedown: copyright\"\n    comment: legal\n    auditor: moderation\n    creationTime: 2025-01-01T00:00:00Z\n",
        vid(0)
    ));
    let emu = Emulator::start(&dir, &text, &[]);
    let client = client_for(&emu.endpoint());
    let id0 = VideoId::new(vid(0)).unwrap();
    let h = rt().block_on(client.audit_history(&id0, 10)).unwrap();
    assert_eq!(h.total, 1);
    assert_eq!(h.status.as_deref(), Some("Blocked"));
    assert_eq!(
        h.histories[0].reason.as_deref(),
        Some("takedown: copyright")
    );
    assert_eq!(h.histories[0].comment.as_deref(), Some("legal"));
    assert_eq!(h.histories[0].auditor.as_deref(), Some("moderation"));
    let item = AuditItem {
        video_id: id0.clone(),
        reason: String::new(),
        comment: "restored by hand".into(),
    };
    rt().block_on(client.create_audit(&[item], AuditStatus::Normal))
        .result
        .unwrap();
    let h = rt().block_on(client.audit_history(&id0, 1)).unwrap();
    assert_eq!((h.total, h.histories.len()), (2, 1));
    assert_eq!(h.status.as_deref(), Some("Normal"));
    assert_eq!(h.histories[0].status, "Normal");
    assert_eq!(h.histories[0].comment.as_deref(), Some("restored by hand"));
    assert!(h.histories[0].creation_time.is_some());
    let h = rt()
        .block_on(client.audit_history(&VideoId::new(vid(1)).unwrap(), 10))
        .unwrap();
    assert_eq!((h.total, h.status), (0, None));
    let gone = rt().block_on(client.audit_history(&VideoId::new(vid(7)).unwrap(), 10));
    assert_eq!(gone.unwrap_err().code, "InvalidVideo.NotFound");
}
