//! Quarantine end to end: quarantine, waiting, delete after the grace period, restore, and what is
//! left alone, through the real binary against the real emulator (its `--state` log restarts it
//! with what apply did, and lets a test move a tag's date into the past).

use vodplan::ids::VideoId;
use vodplan::plan::quarantine::{tag_for, today};
use vodplan::vod::media::{AuditItem, AuditStatus};

use crate::harness::{Dir, Emulator, rt, run, stable, vid, with_manifest};
use crate::safety::client_for;
use crate::test::{Test, unindent};

/// The example catalogue: A and B plain, M blocked by moderation, F with 16 tags, O in another
/// manifest set's quarantine, N untouched.
fn catalog() -> String {
    let v = |i: usize, status: &str, tags: &str| {
        let tags = if tags.is_empty() {
            String::new()
        } else {
            format!("    tags: \"{tags}\"\n")
        };
        format!(
            "  - videoId: {}\n    title: Video {i}\n    status: {status}\n    categoryId: 1000\n    creationTime: 2023-01-01T00:00:00Z\n    size: 1048576\n{tags}",
            vid(i)
        )
    };
    let sixteen: Vec<String> = (0..16).map(|i| format!("t{i}")).collect();
    [
        "videos:\n".to_string(),
        v(0, "Normal", "promo,2023"),
        v(1, "Normal", ""),
        v(2, "Blocked", "flagged"),
        v(3, "Normal", &sixteen.join(",")),
        v(4, "Blocked", "vodplan-until-2030-01-01,vodplan-by-team-b"),
        v(5, "Normal", ""),
        format!(
            "audits:\n  - videoId: {}\n    status: Blocked\n    reason: \"vodplan:team-b:2030-01-01:Normal quarantine\"\n    creationTime: 2026-01-01T00:00:00Z\n",
            vid(4)
        ),
    ]
    .concat()
}

fn manifest(extra: &str) -> String {
    format!(
        "version: 1\nquarantine: 14d\ndelete:\n  - videoId: {}\n    reason: licence expired\n  - videoId: {}\n  - videoId: {}\n  - videoId: {}\n{extra}owner: team-a\n",
        vid(0),
        vid(1),
        vid(2),
        vid(3)
    )
}

/// The emulator keeps its state in a file, so a test can restart it.
const STATE: &[&str] = &["--state", "state.jsonl"];

fn start(dir: &Dir) -> Emulator {
    Emulator::start(dir, &catalog(), STATE)
}

/// A video's status and tags as VOD reports them now, or `None` when it is gone.
fn look(emu: &Emulator, i: usize) -> Option<(String, String)> {
    let client = client_for(&emu.endpoint());
    let id = VideoId::new(vid(i)).unwrap();
    let reply = rt().block_on(client.get_video_infos(std::slice::from_ref(&id), &[]));
    let reply = reply.unwrap();
    reply
        .video_list
        .first()
        .map(|v| (v.status.clone(), v.tags.clone().unwrap_or_default()))
}

fn state(status: &str, tags: &str) -> Option<(String, String)> {
    Some((status.to_string(), tags.to_string()))
}

/// Sets a video's status through the API, as a person in the console would.
fn set_status_by_hand(emu: &Emulator, i: usize, status: AuditStatus) {
    let client = client_for(&emu.endpoint());
    let id = VideoId::new(vid(i)).unwrap();
    let item = AuditItem {
        video_id: id,
        reason: "by hand".into(),
        comment: String::new(),
    };
    rt().block_on(client.create_audit(&[item], status))
        .result
        .unwrap();
}

/// The grace period's last day for a quarantine of `days` started today (UTC).
fn until(days: i64) -> String {
    let tag = tag_for(today() + time::Duration::days(days));
    tag["vodplan-until-".len()..].to_string()
}

/// `text` with today's 14-day date written `UNTIL`.
fn dated(text: &str, emu: &Emulator) -> String {
    stable(text, emu).replace(&until(14), "UNTIL")
}

/// What the other three videos must look like whatever happens: the moderation-blocked one, the
/// one with no room for a tag, another manifest set's quarantine, and the unselected one.
fn assert_left_alone(emu: &Emulator) {
    let sixteen: Vec<String> = (0..16).map(|i| format!("t{i}")).collect();
    assert_eq!(
        look(emu, 2),
        state("Blocked", "flagged"),
        "moderation's block"
    );
    assert_eq!(look(emu, 3), state("Normal", &sixteen.join(",")), "16 tags");
    assert_eq!(
        look(emu, 4),
        state("Blocked", "vodplan-until-2030-01-01,vodplan-by-team-b"),
        "another manifest set's quarantine"
    );
    assert_eq!(look(emu, 5), state("Normal", ""), "unselected");
}

const LEFT_ALONE: &str = "Left exactly as they are:
  ? 00000000000000000000000000000002  \"Video 2\"  blocked by someone else (no vodplan tag): vodplan does not tag, unblock or delete it under a quarantine entry
  ? 00000000000000000000000000000003  \"Video 3\"  cannot be quarantined: it has 16 tags already and vodplan's two tags do not fit (at most 16)
";

/// Quarantine, wait, then delete after the date: the whole grace period, with what is left
/// alone checked at every step.
#[test]
fn a_quarantine_blocks_and_tags_then_waits_then_deletes_exactly_its_videos() {
    let (dir, emu) = with_manifest(&catalog(), STATE, &manifest(""));

    let plan = run(&dir, &emu, &["plan", "m.yaml", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "a pending quarantine: {}", plan.stderr);
    assert_eq!(
        dated(&plan.stdout, &emu),
        format!(
            "To quarantine (tagged, then blocked: play URLs can no longer be obtained; deleted by an apply after the date, UTC):
  ! 00000000000000000000000000000000  \"Video 0\"  until UNTIL  m.yaml:4
      reason: licence expired
  ! 00000000000000000000000000000001  \"Video 1\"  until UNTIL  m.yaml:6

{LEFT_ALONE}
Plan: 0 videos to delete (0 B), 2 to quarantine, 2 left as they are, 0 protected, 0 absent.
Plan digest: DIGEST  (region cn-shanghai, the default; the manifests name none)
"
        )
    );

    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve"])
        .replacing(&until(14), "{UNTIL}")
        .stdout(unindent(
            "
            To quarantine (tagged, then blocked: play URLs can no longer be obtained; deleted by an apply after the date, UTC):
              ! 00000000000000000000000000000000  \"Video 0\"  until {UNTIL}  m.yaml:4
                  reason: licence expired
              ! 00000000000000000000000000000001  \"Video 1\"  until {UNTIL}  m.yaml:6

            Left exactly as they are:
              ? 00000000000000000000000000000002  \"Video 2\"  blocked by someone else (no vodplan tag): vodplan does not tag, unblock or delete it under a quarantine entry
              ? 00000000000000000000000000000003  \"Video 3\"  cannot be quarantined: it has 16 tags already and vodplan's two tags do not fit (at most 16)

            Plan: 0 videos to delete (0 B), 2 to quarantine, 2 left as they are, 0 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            Quarantine: 2 put in quarantine, 0 restored.
            Plan digest: {DIGEST}
            Apply complete: 0 videos deleted, 0 absent, 0 forbidden, 0 failed.
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
    let tag = format!("vodplan-until-{}", until(14));
    assert_eq!(
        look(&emu, 0),
        state("Blocked", &format!("promo,2023,{tag},vodplan-by-team-a"))
    );
    assert_eq!(
        look(&emu, 1),
        state("Blocked", &format!("{tag},vodplan-by-team-a"))
    );
    assert_left_alone(&emu);
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_eq!(emu.calls("UpdateVideoInfos"), 1, "2 videos: one batch");
    assert_eq!(emu.calls("CreateAudit"), 1);

    // The second plan: both wait, with their date; nothing pending, so exit 0.
    let plan = run(&dir, &emu, &["plan", "m.yaml", "--detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "waiting alone is nothing to do: {}",
        plan.stderr
    );
    assert_eq!(
        dated(&plan.stdout, &emu),
        format!(
            "Waiting in quarantine (nothing to do until the date has passed):
  … 00000000000000000000000000000000  \"Video 0\"  until UNTIL  m.yaml:4
  … 00000000000000000000000000000001  \"Video 1\"  until UNTIL  m.yaml:6

{LEFT_ALONE}
No changes: nothing in the manifests is left to delete.
Plan: 0 videos to delete (0 B), 2 waiting in quarantine, 2 left as they are, 0 protected, 0 absent.
Plan digest: DIGEST  (region cn-shanghai, the default; the manifests name none)
"
        )
    );
    let json = run(&dir, &emu, &["plan", "m.yaml", "--format", "json"]).json();
    assert_eq!(
        json["waiting"],
        serde_json::json!([
            {"videoId": vid(0), "title": "Video 0", "until": until(14), "source": "m.yaml:4"},
            {"videoId": vid(1), "title": "Video 1", "until": until(14), "source": "m.yaml:6"},
        ])
    );
    assert_eq!(json["summary"]["waiting"], 2);
    assert_eq!(json["summary"]["quarantine"], 0);
    assert_eq!(json["deletions"], serde_json::json!([]));
    // An apply now does nothing.
    let apply = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_eq!(emu.calls("CreateAudit"), 1);

    // The grace period ends: the emulator restarts with the tags' date moved into the past.
    emu.stop();
    let log = dir.read("state.jsonl").replace(&until(14), "2020-01-01");
    dir.write("state.jsonl", &log);
    let emu = start(&dir);
    assert_eq!(
        look(&emu, 1),
        state("Blocked", "vodplan-until-2020-01-01,vodplan-by-team-a")
    );
    let plan = run(&dir, &emu, &["plan", "m.yaml", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert_eq!(
        stable(&plan.stdout, &emu),
        format!(
            "vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:PORT):
source files, transcoded streams and thumbnails are removed and cannot be recovered.

  - 00000000000000000000000000000000  \"Video 0\"  Blocked  1.0 MiB  2023-01-01  cat 1000  Standard  tags promo,2023,vodplan-until-2020-01-01,vodplan-by-team-a  m.yaml:4
      reason: licence expired
  - 00000000000000000000000000000001  \"Video 1\"  Blocked  1.0 MiB  2023-01-01  cat 1000  Standard  tags vodplan-until-2020-01-01,vodplan-by-team-a  m.yaml:6

{LEFT_ALONE}
Breakdown of the deletions:
  by delete entry:
    videoId entries (m.yaml): 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
  by status:
    Blocked: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
  by category:
    1000: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
  by creation year:
    2023: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
  by storage class:
    Standard: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z

Plan: 2 videos to delete (2.0 MiB), 2 left as they are, 0 protected, 0 absent.
Plan digest: DIGEST  (region cn-shanghai, the default; the manifests name none)
"
        )
    );
    let apply = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert_eq!(look(&emu, 0), None);
    assert_eq!(look(&emu, 1), None);
    assert_left_alone(&emu);
    assert_eq!(
        emu.videos(),
        4,
        "exactly the two quarantined videos are gone"
    );
}

/// Puts videos 0 and 1 in quarantine, then restarts the emulator with their date moved into the
/// past (so a plan deletes them).
fn quarantined_and_due(dir: &Dir) -> Emulator {
    let emu = start(dir);
    let apply = run(dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    emu.stop();
    let log = dir.read("state.jsonl").replace(&until(14), "2020-01-01");
    dir.write("state.jsonl", &log);
    start(dir)
}

/// A keep entry added later takes a video out of quarantine: Normal again, vodplan's tag gone, its
/// other tags kept. The moderation-blocked video, kept too, is never set Normal.
#[test]
fn a_keep_entry_restores_a_quarantined_video_and_never_unblocks_moderation() {
    let (dir, emu) = with_manifest(&catalog(), STATE, &manifest(""));
    let apply = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    dir.write(
        "keep.yaml",
        "version: 1\nkeep:\n  - match: { titlePrefix: \"Video 0\" }\n  - match: { titlePrefix: \"Video 2\" }\n  - match: { titlePrefix: \"Video 4\" }\n",
    );
    let plan = run(
        &dir,
        &emu,
        &["plan", "m.yaml", "keep.yaml", "--detailed-exitcode"],
    );
    assert_eq!(plan.code, 2, "a pending restore: {}", plan.stderr);
    let json = run(
        &dir,
        &emu,
        &["plan", "m.yaml", "keep.yaml", "--format", "json"],
    )
    .json();
    // Video 4 (another set's quarantine) is kept here too, but it is not this owner's: listed,
    // never unblocked.
    let restored: Vec<&str> = json["restores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["videoId"].as_str().unwrap())
        .collect();
    assert_eq!(restored, [vid(0)]);
    assert_eq!(json["summary"]["restore"], 1);
    assert_eq!(json["summary"]["waiting"], 1, "video 1 still waits");
    let apply = run(
        &dir,
        &emu,
        &["apply", "m.yaml", "keep.yaml", "--auto-approve"],
    );
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert!(
        apply
            .stdout
            .contains("Quarantine: 0 put in quarantine, 1 restored.\n"),
        "{}",
        apply.stdout
    );
    assert_eq!(look(&emu, 0), state("Normal", "promo,2023"));
    assert_eq!(
        look(&emu, 4),
        state("Blocked", "vodplan-until-2030-01-01,vodplan-by-team-b")
    );
    assert_eq!(
        look(&emu, 2),
        state("Blocked", "flagged"),
        "never unblocked"
    );
    assert_eq!(
        look(&emu, 1),
        state(
            "Blocked",
            &format!("vodplan-until-{},vodplan-by-team-a", until(14))
        )
    );
    assert_eq!(emu.calls("DeleteVideo"), 0);
    // Nothing left to do: only video 1 waits.
    let plan = run(
        &dir,
        &emu,
        &["plan", "m.yaml", "keep.yaml", "--detailed-exitcode"],
    );
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

/// A video set back to Normal by a person between plan and apply was restored by hand: the saved
/// plan that would delete it is refused, naming it, and nothing is deleted.
#[test]
fn a_video_restored_by_hand_between_plan_and_apply_is_not_deleted() {
    let dir = Dir::new();
    dir.write("m.yaml", &manifest(""));
    let emu = quarantined_and_due(&dir);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .stdout(unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 00000000000000000000000000000000  \"Video 0\"  Blocked  1.0 MiB  2023-01-01  cat 1000  Standard  tags promo,2023,vodplan-until-2020-01-01,vodplan-by-team-a  m.yaml:4
                  reason: licence expired
              - 00000000000000000000000000000001  \"Video 1\"  Blocked  1.0 MiB  2023-01-01  cat 1000  Standard  tags vodplan-until-2020-01-01,vodplan-by-team-a  m.yaml:6

            Left exactly as they are:
              ? 00000000000000000000000000000002  \"Video 2\"  blocked by someone else (no vodplan tag): vodplan does not tag, unblock or delete it under a quarantine entry
              ? 00000000000000000000000000000003  \"Video 3\"  cannot be quarantined: it has 16 tags already and vodplan's two tags do not fit (at most 16)

            Breakdown of the deletions:
              by delete entry:
                videoId entries (m.yaml): 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by status:
                Blocked: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by category:
                1000: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by creation year:
                2023: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z
              by storage class:
                Standard: 2 videos 2.0 MiB, created 2023-01-01T00:00:00Z

            Plan: 2 videos to delete (2.0 MiB), 2 left as they are, 0 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            ",
        ))
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            Saved the plan (digest {DIGEST}) to plan.json. Apply exactly this plan with: vodplan apply plan.json
            ",
        ))
        .run();
    set_status_by_hand(&emu, 0, AuditStatus::Normal);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--auto-approve"])
        .replacing(&until(14), "{UNTIL}")
        .status(1)
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
              00000000000000000000000000000000: planned as a deletion, but its entry asks for a quarantine first (until {UNTIL})
            error: the plan does not match its manifests: 1 planned video is not approved by them (listed above); nothing was deleted
            hint: a saved plan can only delete what its reviewed manifests select and do not keep; make and review a new plan with `vodplan plan --out`
            ",
        ))
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_eq!(emu.videos(), 6);
    // A fresh plan starts a new grace period for it (its old tag replaced) and deletes video 1.
    let json = run(&dir, &emu, &["plan", "m.yaml", "--format", "json"]).json();
    assert_eq!(json["quarantines"][0]["videoId"], vid(0));
    assert_eq!(json["quarantines"][0]["until"], until(14));
    assert_eq!(json["deletions"][0]["videoId"], vid(1));
    assert_eq!(json["summary"]["delete"], 1);
}

/// `limits.maxQuarantines` counts new quarantines, apart from deletions, and trips before any call
/// that changes anything.
#[test]
fn max_quarantines_trips_before_anything() {
    let (dir, emu) = with_manifest(
        &catalog(),
        STATE,
        &manifest("limits:\n  maxQuarantines: 1\n"),
    );
    let plan = Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml"])
        .status(1)
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            error: guard tripped: limits.maxQuarantines (m.yaml:10:19) allows 1 new quarantine, but the plan quarantines 2 (1 too many); nothing was deleted
            hint: review the selectors and IDs; raise limits.maxQuarantines in the manifest only if this many quarantines is intended
            ",
        ))
        .run();
    let apply = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(
        (apply.code, apply.stdout.as_str(), apply.stderr.as_str()),
        (1, "", plan.stderr.as_str())
    );
    assert_eq!(emu.calls("UpdateVideoInfos"), 0);
    assert_eq!(emu.calls("CreateAudit"), 0);
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_left_alone(&emu);
    assert_eq!(look(&emu, 0), state("Normal", "promo,2023"));
}

/// Saved plans edited by hand: a quarantine turned into a deletion is refused by name; a restore
/// of a video moderation blocked is refused; a quarantine's tag moved into the past is written
/// with today's date, not the file's.
#[test]
fn hand_edited_saved_plans_cannot_skip_or_undo_a_quarantine() {
    let (dir, emu) = with_manifest(&catalog(), STATE, &manifest(""));
    let plan = run(&dir, &emu, &["plan", "m.yaml", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let original: serde_json::Value = serde_json::from_str(&dir.read("plan.json")).unwrap();

    // 1. The first quarantine made a deletion.
    let mut edited = original.clone();
    let q = edited["plan"]["quarantines"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    edited["plan"]["deletions"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "videoId": q["videoId"], "selectedBy": {"by": "videoId"}, "reason": q["reason"],
            "source": q["source"], "observed": q["observed"],
        }));
    dir.write("edited.json", &edited.to_string());
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "edited.json", "--auto-approve"])
        .replacing(&until(14), "{UNTIL}")
        .status(1)
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
              00000000000000000000000000000000: planned as a deletion, but its entry asks for a quarantine first (until {UNTIL})
            error: the plan does not match its manifests: 1 planned video is not approved by them (listed above); nothing was deleted
            hint: a saved plan can only delete what its reviewed manifests select and do not keep; make and review a new plan with `vodplan plan --out`
            ",
        ))
        .run();

    // 2. A restore of the moderation-blocked video, with a keep entry that protects it.
    dir.write(
        "keep.yaml",
        &format!("version: 1\nkeep:\n  - videoId: {}\n", vid(2)),
    );
    dir.write(
        "m.yaml",
        &format!(
            "version: 1\nowner: team-a\ndelete:\n  - videoId: {}\n    quarantine: 14d\n",
            vid(1)
        ),
    );
    let plan = run(
        &dir,
        &emu,
        &["plan", "m.yaml", "keep.yaml", "--out", "plan2.json"],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let mut edited: serde_json::Value = serde_json::from_str(&dir.read("plan2.json")).unwrap();
    let observed = edited["plan"]["quarantines"][0]["observed"].clone();
    let mut observed2 = observed.clone();
    observed2["status"] = "Blocked".into();
    observed2["tags"] = "flagged".into();
    observed2["title"] = "Video 2".into();
    edited["plan"]["restores"] = serde_json::json!([{
        "videoId": vid(2), "keptBy": "keep.yaml:3:5", "tags": "", "observed": observed2,
    }]);
    // 3. And the quarantine's tag moved into the past, its other tags dropped.
    edited["plan"]["quarantines"][0]["tags"] = "vodplan-until-2020-01-01".into();
    edited["plan"]["quarantines"][0]["until"] = "2020-01-01".into();
    dir.write("edited2.json", &edited.to_string());
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "edited2.json", "--auto-approve"])
        .status(1)
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
              00000000000000000000000000000002: planned as a restore, but it is not in vodplan's quarantine (not Blocked with vodplan's tag); vodplan never unblocks what it did not block
            error: the plan does not match its manifests: 1 planned video is not approved by them (listed above); nothing was deleted
            hint: a saved plan can only delete what its reviewed manifests select and do not keep; make and review a new plan with `vodplan plan --out`
            ",
        ))
        .run();
    assert_eq!(look(&emu, 2), state("Blocked", "flagged"));
    assert_eq!(emu.calls("CreateAudit"), 0);
    assert_eq!(emu.calls("UpdateVideoInfos"), 0);

    // Without the forged restore, the past date is not written: today's decision is.
    edited["plan"]["restores"] = serde_json::json!([]);
    dir.write("edited3.json", &edited.to_string());
    let apply = run(&dir, &emu, &["apply", "edited3.json", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(
        look(&emu, 1),
        state(
            "Blocked",
            &format!("vodplan-until-{},vodplan-by-team-a", until(14))
        )
    );
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

/// A saved plan whose quarantines are already done (an earlier run of it was interrupted after
/// them, or they were applied from the manifests) is finished, not refused: nothing is sent
/// twice, and the videos are counted as in quarantine.
#[test]
fn a_saved_plan_whose_quarantines_are_done_is_finished_not_refused() {
    let (dir, emu) = with_manifest(&catalog(), STATE, &manifest(""));
    let plan = run(&dir, &emu, &["plan", "m.yaml", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let apply = run(&dir, &emu, &["apply", "m.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--auto-approve"])
        .replacing(&until(14), "{UNTIL}")
        .stdout(unindent(
            "
            To quarantine (tagged, then blocked: play URLs can no longer be obtained; deleted by an apply after the date, UTC):
              ! 00000000000000000000000000000000  \"Video 0\"  until {UNTIL}  m.yaml:4
                  reason: licence expired
              ! 00000000000000000000000000000001  \"Video 1\"  until {UNTIL}  m.yaml:6

            Left exactly as they are:
              ? 00000000000000000000000000000002  \"Video 2\"  blocked by someone else (no vodplan tag): vodplan does not tag, unblock or delete it under a quarantine entry
              ? 00000000000000000000000000000003  \"Video 3\"  cannot be quarantined: it has 16 tags already and vodplan's two tags do not fit (at most 16)

            Plan: 0 videos to delete (0 B), 2 to quarantine, 2 left as they are, 0 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            Quarantine: 2 put in quarantine, 0 restored.
            Plan digest: {DIGEST}
            Apply complete: 0 videos deleted, 0 absent, 0 forbidden, 0 failed.
            ",
        ))
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            Applying plan {DIGEST}.
            Journal: plan.json.journal.jsonl
            ",
        ))
        .run();
    assert_eq!(emu.calls("CreateAudit"), 1, "nothing sent twice");
    assert_eq!(emu.calls("UpdateVideoInfos"), 1);
    assert_eq!(emu.calls("DeleteVideo"), 0);

    // The same for restores.
    dir.write(
        "keep.yaml",
        "version: 1\nkeep:\n  - match: { titlePrefix: \"Video 0\" }\n",
    );
    let plan = run(
        &dir,
        &emu,
        &["plan", "m.yaml", "keep.yaml", "--out", "restore.json"],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let apply = run(
        &dir,
        &emu,
        &["apply", "m.yaml", "keep.yaml", "--auto-approve"],
    );
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "restore.json", "--auto-approve"])
        .replacing(&until(14), "{UNTIL}")
        .stdout(unindent(
            "
            Waiting in quarantine (nothing to do until the date has passed):
              … 00000000000000000000000000000001  \"Video 1\"  until {UNTIL}  m.yaml:6

            To restore (taken out of this owner's quarantine: set Normal, vodplan's tags removed, other tags kept):
              + 00000000000000000000000000000000  \"Video 0\"  kept by keep.yaml:3

            Left exactly as they are:
              ? 00000000000000000000000000000002  \"Video 2\"  blocked by someone else (no vodplan tag): vodplan does not tag, unblock or delete it under a quarantine entry
              ? 00000000000000000000000000000003  \"Video 3\"  cannot be quarantined: it has 16 tags already and vodplan's two tags do not fit (at most 16)

            Plan: 0 videos to delete (0 B), 1 waiting in quarantine, 1 to restore, 2 left as they are, 0 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            Quarantine: 0 put in quarantine, 1 restored.
            Plan digest: {DIGEST}
            Apply complete: 0 videos deleted, 0 absent, 0 forbidden, 0 failed.
            ",
        ))
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            Applying plan {DIGEST}.
            Journal: restore.json.journal.jsonl
            ",
        ))
        .run();
    assert_eq!(look(&emu, 0), state("Normal", "promo,2023"));
    assert_eq!(emu.calls("CreateAudit"), 2);
    assert_eq!(emu.calls("UpdateVideoInfos"), 2);
}

/// The staleness check covers status and tags: a video whose tags a person changed between plan
/// and apply makes the saved plan stale, named, and nothing is tagged, blocked or deleted.
#[test]
fn a_saved_quarantine_is_stale_when_the_tags_changed_by_hand() {
    let (dir, emu) = with_manifest(&catalog(), STATE, &manifest(""));
    let plan = run(&dir, &emu, &["plan", "m.yaml", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let client = client_for(&emu.endpoint());
    let id = VideoId::new(vid(1)).unwrap();
    rt().block_on(client.set_tags(&[(id, "hot".to_string())]))
        .result
        .unwrap();
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--auto-approve"])
        .replacing(&until(14), "{UNTIL}")
        .status(1)
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
              00000000000000000000000000000001: tags none -> \"hot\"
            error: the saved plan is stale: 1 planned video changed since it was made (listed above); nothing was deleted
            hint: make and review a new plan with `vodplan plan --out`
            ",
        ))
        .run();
    assert_eq!(emu.calls("CreateAudit"), 0);
    assert_eq!(emu.calls("UpdateVideoInfos"), 1, "only the change by hand");
    assert_eq!(look(&emu, 0), state("Normal", "promo,2023"));
    assert_eq!(look(&emu, 1), state("Normal", "hot"));
}
