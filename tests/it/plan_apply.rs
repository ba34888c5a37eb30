//! plan and apply against the emulator, end to end.

use crate::harness::{Dir, Emulator, catalog_of, delete_manifest, stable, vid};
use crate::test::{Test, unindent};

const CATALOG: &str = include_str!("../../examples/catalog.yaml");

/// Every command that calls the API names the credentials' provider first.
const CREDENTIALS: &str = "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n";

/// A directory holding the example manifest, and an emulator serving the example catalogue.
fn example_with_emulator() -> (Dir, Emulator) {
    let dir = Dir::new();
    example(&dir);
    let emu = Emulator::start(&dir, CATALOG, &[]);
    (dir, emu)
}

fn example(dir: &Dir) {
    dir.write(
        "cleanup.yaml",
        include_str!("../../examples/manifests/cleanup.yaml"),
    );
}

/// The text plan of the example manifest against the example catalogue.
fn example_plan() -> String {
    unindent(
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
        ",
    )
}

/// stdout of `apply cleanup.yaml --auto-approve` on the example: the plan, then the result.
fn example_applied() -> String {
    example_plan()
        + &unindent(
            "
            Drift: these manifest entries no longer existed in VOD:
              ~ videoId 0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a

            Plan digest: {DIGEST}
            Apply complete: 2 videos deleted, 1 absent, 0 forbidden, 0 failed.
            ",
        )
}

/// The JSON result of applying the example (its plan is printed on stderr).
const EXAMPLE_APPLIED_JSON: &str = r#"{
  "drift": {
    "nonExistReferenceIds": [],
    "nonExistVideoIds": [
      "0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a"
    ]
  },
  "failed": [],
  "forbiddenVideoIds": [],
  "format_version": 1,
  "planDigest": "{DIGEST}",
  "summary": {
    "absent": 1,
    "deleted": 2,
    "failed": 0,
    "forbidden": 0
  }
}
"#;

/// stderr of an apply: `plan` is the plan (on stderr when stdout is JSON, else empty).
fn applying(plan: &str, journal: &str) -> String {
    format!("{CREDENTIALS}{plan}Applying plan {{DIGEST}}.\nJournal: {journal}\n")
}

#[test]
fn plan_renders_text_json_and_markdown() {
    let (dir, emu) = example_with_emulator();
    // stdout is checked exactly by the snapshots.
    let plan = |format: &str| {
        Test::in_dir(&dir)
            .against(&emu)
            .args(["plan", "cleanup.yaml", "--format", format])
            .ignore_stdout()
            .stderr(CREDENTIALS)
            .run()
            .stdout
    };
    insta::assert_snapshot!("plan_text", stable(&plan("text"), &emu));
    insta::assert_snapshot!("plan_json", stable(&plan("json"), &emu));
    insta::assert_snapshot!("plan_markdown", stable(&plan("markdown"), &emu));
    assert_eq!(emu.calls("DeleteVideo"), 0, "plan never deletes");
    assert_eq!(emu.videos(), 5);
}

#[test]
fn detailed_exitcode_tells_pending_from_nothing_to_do() {
    let (dir, emu) = example_with_emulator();
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--detailed-exitcode"])
        .status(2)
        .stdout(example_plan())
        .stderr(CREDENTIALS)
        .run();
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "cleanup.yaml", "--auto-approve"])
        .stdout(example_applied())
        .stderr(applying("", "cleanup.yaml.journal.jsonl"))
        .run();
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--detailed-exitcode"])
        .stdout(unindent(
            "
            Protected by keep (never deleted):
              = 7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b  \"Brand film (legal hold)\"  kept by cleanup.yaml:25 (selected by cleanup.yaml:20)

            Already absent (listed in the manifest, gone from VOD):
              ~ videoId 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910  cleanup.yaml:10
              ~ referenceId promo-2023-002  cleanup.yaml:13
              ~ videoId 0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a  cleanup.yaml:16

            Breakdown of the deletions:
              protected, by keep entry:
                cleanup.yaml:25: 1 video

            No changes: nothing in the manifests is left to delete.
            Plan: 0 videos to delete (0 B), 1 protected, 3 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, from the manifests, cleanup.yaml:6)
            ",
        ))
        .stderr(CREDENTIALS)
        .run();
}

#[test]
fn apply_deletes_exactly_the_plan_and_never_a_kept_video() {
    let (dir, emu) = example_with_emulator();
    Test::in_dir(&dir)
        .against(&emu)
        .args([
            "apply",
            "cleanup.yaml",
            "--auto-approve",
            "--format",
            "json",
        ])
        .stdout(EXAMPLE_APPLIED_JSON)
        .stderr(applying(&example_plan(), "cleanup.yaml.journal.jsonl"))
        .run();
    // 2 deleted, the kept brand film and the two unlisted videos remain.
    assert_eq!(emu.videos(), 3);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--format", "json"])
        .stdout(unindent(
            r#"
            {
              "absent": [
                {
                  "videoId": "2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910"
                },
                {
                  "referenceId": "promo-2023-002"
                },
                {
                  "videoId": "0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a"
                }
              ],
              "breakdown": {
                "byCategory": [],
                "byEntry": [],
                "byKeepEntry": [
                  {
                    "keptBy": "cleanup.yaml:25",
                    "protected": 1
                  }
                ],
                "byStatus": [],
                "byStorageClass": [],
                "byYear": []
              },
              "deletions": [],
              "endpoint": "http://127.0.0.1:{PORT}",
              "format_version": 1,
              "planDigest": "{DIGEST}",
              "protected": [
                {
                  "keptBy": "cleanup.yaml:25",
                  "videoId": "7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b"
                }
              ],
              "region": "cn-shanghai",
              "regionSource": "from the manifests, cleanup.yaml:6",
              "summary": {
                "absent": 3,
                "bytes": 0,
                "delete": 0,
                "protected": 1
              }
            }
            "#,
        ))
        .stderr(CREDENTIALS)
        .run();
    // A journal was written beside the manifest, one batch.
    let journal = dir.read("cleanup.yaml.journal.jsonl");
    assert_eq!(
        journal
            .lines()
            .filter(|l| l.contains("\"batch-done\""))
            .count(),
        1
    );
}

#[test]
fn apply_refuses_without_a_terminal_or_approval() {
    let (dir, emu) = example_with_emulator();
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "cleanup.yaml"])
        .status(1)
        .stderr(unindent(
            "
            error: refusing to delete without confirmation: standard input is not a terminal; nothing was sent to the API
            hint: review `vodplan plan` and pass --auto-approve, or save a plan with `vodplan plan --out PLANFILE` and apply that
            ",
        ))
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_eq!(emu.calls("GetVideoInfos"), 0);
}

#[test]
fn more_than_twenty_ids_go_in_batches_of_twenty() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(50, ""), &[]);
    delete_manifest(&dir, 45);
    let listed: String = (0..45)
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
        .args(["apply", "m.yaml", "--auto-approve"])
        .stdout(format!(
            "vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{{PORT}}):\n\
             source files, transcoded streams and thumbnails are removed and cannot be recovered.\n\n\
             {listed}\n{}",
            unindent(
                "
                Breakdown of the deletions:
                  by delete entry:
                    videoId entries (m.yaml): 45 videos 45.0 MiB, created 2023-01-01T00:00:00Z
                  by status:
                    Normal: 45 videos 45.0 MiB, created 2023-01-01T00:00:00Z
                  by category:
                    1000: 45 videos 45.0 MiB, created 2023-01-01T00:00:00Z
                  by creation year:
                    2023: 45 videos 45.0 MiB, created 2023-01-01T00:00:00Z
                  by storage class:
                    Standard: 45 videos 45.0 MiB, created 2023-01-01T00:00:00Z

                Plan: 45 videos to delete (45.0 MiB), 0 protected, 0 absent.
                Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
                Plan digest: {DIGEST}
                Apply complete: 45 videos deleted, 0 absent, 0 forbidden, 0 failed.
                ",
            )
        ))
        .stderr(applying("", "m.yaml.journal.jsonl"))
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 3);
    assert_eq!(emu.calls("GetVideoInfos"), 3);
    assert_eq!(emu.videos(), 5);
}

#[test]
fn forbidden_videos_make_a_partial_apply() {
    let dir = Dir::new();
    let extra =
        "  - videoId: ffff0000ffff0000ffff0000ffff0000\n    title: Locked\n    forbidden: true\n";
    let emu = Emulator::start(&dir, &catalog_of(3, extra), &[]);
    dir.write(
        "m.yaml",
        &format!(
            "version: 1\ndelete:\n  - videoId: {}\n  - videoId: ffff0000ffff0000ffff0000ffff0000\n",
            vid(1)
        ),
    );
    let plan = unindent(
        "
        vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
        source files, transcoded streams and thumbnails are removed and cannot be recovered.

          - 00000000000000000000000000000001  \"Video 1\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:3
          - ffff0000ffff0000ffff0000ffff0000  \"Locked\"  Normal  size unknown  2024-01-01  Standard  m.yaml:4

        Breakdown of the deletions:
          by delete entry:
            videoId entries (m.yaml): 2 videos 1.0 MiB (+1 of unknown size), created 2023-01-01T00:00:00Z to 2024-01-01T00:00:00Z
          by status:
            Normal: 2 videos 1.0 MiB (+1 of unknown size), created 2023-01-01T00:00:00Z to 2024-01-01T00:00:00Z
          by category:
            1000: 1 video 1.0 MiB, created 2023-01-01T00:00:00Z
            none: 1 video 0 B (+1 of unknown size), created 2024-01-01T00:00:00Z
          by creation year:
            2023: 1 video 1.0 MiB, created 2023-01-01T00:00:00Z
            2024: 1 video 0 B (+1 of unknown size), created 2024-01-01T00:00:00Z
          by storage class:
            Standard: 2 videos 1.0 MiB (+1 of unknown size), created 2023-01-01T00:00:00Z to 2024-01-01T00:00:00Z

        Plan: 2 videos to delete (1.0 MiB), 0 protected, 0 absent.
        Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
        ",
    );
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--format", "json"])
        .status(3)
        .stdout(unindent(
            r#"
            {
              "drift": {
                "nonExistReferenceIds": [],
                "nonExistVideoIds": []
              },
              "failed": [],
              "forbiddenVideoIds": [
                "ffff0000ffff0000ffff0000ffff0000"
              ],
              "format_version": 1,
              "planDigest": "{DIGEST}",
              "summary": {
                "absent": 0,
                "deleted": 1,
                "failed": 0,
                "forbidden": 1
              }
            }
            "#,
        ))
        .stderr(
            applying(&plan, "m.yaml.journal.jsonl")
                + "Partial: 1 deleted, 1 forbidden.\n\
                   Forbidden: VOD refused to delete 1 video (ForbiddenVideoIds, listed in the output's `forbiddenVideoIds`), which usually means the RAM identity vodplan runs as may not delete it. Two ways out: grant it vod:DeleteVideo on it (examples/ram/apply-policy.json) and run the same command again; or accept it as it is: add it to `keep` in the manifests (and remove any delete entry naming it by ID), so that it is no longer planned.\n",
        )
        .run();
    assert_eq!(emu.videos(), 3);
}

#[test]
fn reference_ids_resolve_and_drift_by_reference() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, CATALOG, &[]);
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - referenceId: promo-2023-001\n  - referenceId: gone-ref-404\n",
    );
    let plan = unindent(
        "
        vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
        source files, transcoded streams and thumbnails are removed and cannot be recovered.

          - 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910  \"Spring promo 2023\"  Normal  10.0 MiB  2023-03-01  cat 1000  Standard  m.yaml:3

        Already absent (listed in the manifest, gone from VOD):
          ~ referenceId gone-ref-404  m.yaml:4

        Breakdown of the deletions:
          by delete entry:
            referenceId entries (m.yaml): 1 video 10.0 MiB, created 2023-03-01T08:00:00Z
          by status:
            Normal: 1 video 10.0 MiB, created 2023-03-01T08:00:00Z
          by category:
            1000: 1 video 10.0 MiB, created 2023-03-01T08:00:00Z
          by creation year:
            2023: 1 video 10.0 MiB, created 2023-03-01T08:00:00Z
          by storage class:
            Standard: 1 video 10.0 MiB, created 2023-03-01T08:00:00Z

        Plan: 1 video to delete (10.0 MiB), 0 protected, 1 absent.
        Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
        ",
    );
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--format", "json"])
        .stdout(unindent(
            r#"
            {
              "drift": {
                "nonExistReferenceIds": [
                  "gone-ref-404"
                ],
                "nonExistVideoIds": []
              },
              "failed": [],
              "forbiddenVideoIds": [],
              "format_version": 1,
              "planDigest": "{DIGEST}",
              "summary": {
                "absent": 1,
                "deleted": 1,
                "failed": 0,
                "forbidden": 0
              }
            }
            "#,
        ))
        .stderr(applying(&plan, "m.yaml.journal.jsonl"))
        .run();
}

#[test]
fn max_deletes_stops_before_any_deletion() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(10, ""), &[]);
    let mut m = String::from("version: 1\nlimits:\n  maxDeletes: 3\ndelete:\n");
    for i in 0..5 {
        m.push_str(&format!("  - videoId: {}\n", vid(i)));
    }
    dir.write("m.yaml", &m);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve"])
        .status(1)
        .stderr(format!(
            "{CREDENTIALS}{}",
            unindent(
                "
                error: guard tripped: limits.maxDeletes (m.yaml:3:15) allows 3 deletions, but the plan deletes 5 (2 too many); nothing was deleted
                hint: review the selectors and IDs; raise limits.maxDeletes in the manifest only if this many deletions is intended
                ",
            )
        ))
        .run();
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--max-deletes", "1"])
        .status(1)
        .stderr(format!(
            "{CREDENTIALS}{}",
            unindent(
                "
                error: guard tripped: --max-deletes allows 1 deletion, but the plan deletes 5 (4 too many); nothing was deleted
                hint: review the selectors and IDs; raise --max-deletes only if this many deletions is intended
                ",
            )
        ))
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_eq!(emu.videos(), 10);
}

#[test]
fn invalid_manifests_never_reach_the_api() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, CATALOG, &[]);
    dir.write("m.yaml", "version: 1\ndelete:\n  - videoId: \"a,b\"\n");
    for cmd in ["plan", "apply"] {
        Test::in_dir(&dir)
            .against(&emu)
            .args(
                [cmd, "m.yaml", "--auto-approve"]
                    .into_iter()
                    .take(if cmd == "plan" { 2 } else { 3 }),
            )
            .status(1)
            .stderr(unindent(
                "
                m.yaml:3:14: videoId \"a,b\" contains a comma, which would split it into two IDs in the API's comma-separated list
                error: the manifests have 1 problem; nothing was sent to the API
                hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again
                ",
            ))
            .run();
    }
    let stats = emu.stats();
    for a in ["DeleteVideo", "GetVideoInfos", "GetVideoList"] {
        assert_eq!(stats["actions"][a]["requests"], 0, "{a}");
    }
}

#[test]
fn a_wrong_secret_is_refused_and_shown_without_secrets() {
    let (dir, emu) = example_with_emulator();
    // The secret and the token are in no output: the harness checks every run for them.
    Test::in_dir(&dir)
        .against(&emu)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong-secret")
        .env("ALIBABA_CLOUD_SECURITY_TOKEN", "sts-token-value")
        .args(["apply", "cleanup.yaml", "--auto-approve"])
        .status(1)
        // The emulator's RequestId is random: the rest is exact.
        .stderr_starts_with(
            "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n\
             error: GetVideoInfos failed: SignatureDoesNotMatch: Specified signature is not matched with our calculation. (the server's string to sign is omitted) (HTTP 400, RequestId ",
        )
        .stderr_matches("one RequestId, then the hint", |s| {
            s.lines().count() == 3
                && s.ends_with(")\nhint: check the access key (ALIBABA_CLOUD_ACCESS_KEY_ID / --profile), the clock, and its RAM permissions: plan needs vod:GetVideoInfos, vod:GetVideoList, vod:SearchMedia, vod:GetAuditHistory, vod:GetPlayInfo, vod:DescribeVodUserDomains, vod:DescribeVodRefreshQuota, vod:DescribeVodRefreshTasks; apply also vod:DeleteVideo, vod:CreateAudit, vod:UpdateVideoInfos, vod:RefreshVodObjectCaches (examples/ram/*-policy.json)\n")
        })
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

#[test]
fn no_credentials_names_what_to_set() {
    let dir = Dir::new();
    example(&dir);
    Test::in_dir(&dir)
        .env("VODPLAN_ENDPOINT", "http://127.0.0.1:9")
        // Not the machine's own metadata service, which may or may not answer.
        .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        .args(["plan", "cleanup.yaml"])
        .status(1)
        .stderr(unindent(
            "
            error: no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or the OIDC variables (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE), or configure an aliyun CLI profile in {DIR}/.aliyun/config.json (`aliyun configure`) and choose it with --profile
            hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile
            ",
        ))
        .run();
}

#[test]
fn plain_http_off_loopback_is_refused() {
    let dir = Dir::new();
    example(&dir);
    Test::in_dir(&dir)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "x")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "y")
        .args([
            "plan",
            "cleanup.yaml",
            "--endpoint",
            "http://vod.example.com",
        ])
        .status(1)
        .stderr(unindent(
            "
            error: endpoint `http://vod.example.com/` is plain http:// to a host that is not loopback; signed requests would cross the network unencrypted. Use https://, or http:// only to 127.0.0.1, ::1 or localhost
            hint: set --endpoint or VODPLAN_ENDPOINT to a valid URL, or unset it
            ",
        ))
        .run();
}

#[test]
fn profiles_of_the_aliyun_cli_config_work() {
    let (dir, emu) = example_with_emulator();
    dir.write(
        ".aliyun/config.json",
        r#"{"current":"dev","profiles":[{"name":"dev","mode":"AK","access_key_id":"testid","access_key_secret":"testsecret","region_id":"cn-shanghai"},
            {"name":"role","mode":"RamRoleArn","access_key_id":"a","access_key_secret":"b","ram_role_arn":"acs:ram::1:role/x","ram_session_name":"s"}]}"#,
    );
    Test::in_dir(&dir)
        .env("VODPLAN_ENDPOINT", &emu.endpoint())
        .args(["plan", "cleanup.yaml"])
        .normalise_ports()
        .stdout(example_plan())
        .stderr("Credentials: aliyun CLI profile `dev` (AK)\n")
        .run();
    // RamRoleArn is supported (tests/it/credentials.rs); with a key STS does not know, the
    // error names the profile.
    Test::in_dir(&dir)
        .env("VODPLAN_ENDPOINT", &emu.endpoint())
        .env("VODPLAN_STS_ENDPOINT", &emu.endpoint())
        .args(["plan", "cleanup.yaml", "--profile", "role"])
        .status(1)
        // The emulator's RequestId is random: the rest is exact.
        .stderr_starts_with(
            "error: aliyun CLI profile `role` (RamRoleArn), role acs:ram::1:role/x: STS refused: InvalidAccessKeyId.NotFound: Specified access key is not found. (HTTP 404, RequestId ",
        )
        .stderr_matches("one RequestId, then the hint", |s| {
            s.lines().count() == 2
                && s.ends_with(")\nhint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile\n")
        })
        .run();
}

#[test]
fn v1_signatures_work_end_to_end() {
    let (dir, emu) = example_with_emulator();
    Test::in_dir(&dir)
        .against(&emu)
        .args([
            "apply",
            "cleanup.yaml",
            "--auto-approve",
            "--signature",
            "v1",
        ])
        .stdout(example_applied())
        .stderr(applying("", "cleanup.yaml.journal.jsonl"))
        .run();
    assert_eq!(emu.videos(), 3);
}

/// `plan cleanup.yaml --out plan.json` on the example, which saves the plan.
fn save_example_plan(dir: &Dir, emu: &Emulator) {
    Test::in_dir(dir)
        .against(emu)
        .args(["plan", "cleanup.yaml", "--out", "plan.json"])
        .stdout(example_plan())
        .stderr(format!(
            "{CREDENTIALS}Saved the plan (digest {{DIGEST}}) to plan.json. Apply exactly this plan with: vodplan apply plan.json\n"
        ))
        .run();
}

#[test]
fn a_saved_plan_is_applied_exactly_and_shown_offline() {
    let (dir, emu) = example_with_emulator();
    save_example_plan(&dir, &emu);
    let saved = dir.read("plan.json");
    assert!(!saved.contains("testsecret"));
    // The JSON plan's text is checked exactly by the snapshot `plan_json`: here, that the saved
    // plan shows the same, offline.
    let shown = Test::in_dir(&dir)
        .args(["show", "plan.json", "--format", "json"])
        .ignore_stdout()
        .run();
    let planned = Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--format", "json"])
        .ignore_stdout()
        .stderr(CREDENTIALS)
        .run();
    assert_eq!(shown.stdout, planned.stdout);
    // The manifest changes after review: the saved plan is checked against it, so the planned
    // videos it no longer selects are refused by name, and nothing is deleted.
    let reviewed = dir.read("cleanup.yaml");
    dir.write(
        "cleanup.yaml",
        "version: 1\ndelete:\n  - videoId: 9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b\n",
    );
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--format", "json"])
        .status(1)
        .stderr(format!(
            "{CREDENTIALS}{}",
            unindent(
                "
                  2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910: no delete entry of the manifests selects it
                  3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e: no delete entry of the manifests selects it
                error: the plan does not match its manifests: 2 planned videos are not approved by them (listed above); nothing was deleted
                hint: a saved plan can only delete what its reviewed manifests select and do not keep; make and review a new plan with `vodplan plan --out`
                ",
            )
        ))
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
    // With the reviewed manifests back, the saved plan is applied exactly.
    dir.write("cleanup.yaml", &reviewed);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--format", "json"])
        .stdout(EXAMPLE_APPLIED_JSON)
        .stderr(applying(&example_plan(), "plan.json.journal.jsonl"))
        .run();
    let stats = emu.stats();
    assert_eq!(stats["videos"], 3);
    assert!(dir.read("plan.json.journal.jsonl").contains("\"finish\""));
}

#[test]
fn a_stale_saved_plan_is_refused_naming_what_changed() {
    let (dir, emu) = example_with_emulator();
    let port = emu.port;
    save_example_plan(&dir, &emu);
    emu.stop();
    // Same endpoint, but a planned video was re-titled and re-transcoded meanwhile.
    let changed = CATALOG
        .replace(
            "title: Spring promo 2023",
            "title: Spring promo 2023 (recut)",
        )
        .replace("size: 10485760", "size: 999");
    let emu = Emulator::start_on(&dir, &changed, &[], port);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .status(1)
        .stderr(
            "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n  2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910: size 10485760 -> 999, title \"Spring promo 2023\" -> \"Spring promo 2023 (recut)\"\n\
             error: the saved plan is stale: 1 planned video changed since it was made (listed above); nothing was deleted\n\
             hint: make and review a new plan with `vodplan plan --out`\n",
        )
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
    // Another endpoint is refused too.
    Test::in_dir(&dir)
        .against(&emu)
        .env("VODPLAN_ENDPOINT", "http://localhost:1")
        .args(["apply", "plan.json"])
        .status(1)
        .stderr(unindent(
            "
            error: the plan was made against http://127.0.0.1:{PORT}, but this apply would use http://localhost:1; nothing was sent to the API
            hint: apply it against the endpoint it was made for (--endpoint / VODPLAN_ENDPOINT), or make a new plan
            ",
        ))
        .run();
}

#[test]
fn faults_and_lost_replies_still_delete_everything_with_exact_counts() {
    let dir = Dir::new();
    let emu = Emulator::start(
        &dir,
        &catalog_of(400, ""),
        &[
            "--fault-rate",
            "0.15",
            "--lost-reply-rate",
            "0.1",
            "--qps",
            "12",
            "--seed",
            "7",
        ],
    );
    let mut m = String::from("version: 1\ndelete:\n");
    for i in 0..400 {
        m.push_str(&format!("  - videoId: {}\n", vid(i)));
    }
    m.push_str("  - videoId: 0123456789abcdef0123456789abcdef\n");
    dir.write("m.yaml", &m);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--format", "json"])
        .stdout(unindent(
            r#"
            {
              "drift": {
                "nonExistReferenceIds": [],
                "nonExistVideoIds": [
                  "0123456789abcdef0123456789abcdef"
                ]
              },
              "failed": [],
              "forbiddenVideoIds": [],
              "format_version": 1,
              "planDigest": "{DIGEST}",
              "summary": {
                "absent": 1,
                "deleted": 400,
                "failed": 0,
                "forbidden": 0
              }
            }
            "#,
        ))
        // The plan of 400 videos on stderr is the text plan (checked exactly elsewhere); what
        // follows it (progress lines, retries) depends on timing.
        .stderr_starts_with(&format!("{CREDENTIALS}vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{{PORT}}):\n"))
        .stderr_contains("\nPlan: 400 videos to delete (400.0 MiB), 0 protected, 1 absent.\n")
        .stderr_matches("the journal named last", |s| {
            s.ends_with("\nJournal: m.yaml.journal.jsonl\n")
        })
        .run();
    let stats = emu.stats();
    assert_eq!(stats["videos"], 0);
    let d = &stats["actions"]["DeleteVideo"];
    assert!(
        d["faults"].as_u64().unwrap() + d["lostReplies"].as_u64().unwrap() > 0,
        "faults were injected: {d}"
    );
}

#[test]
fn a_plan_of_another_format_version_is_refused() {
    let (dir, emu) = example_with_emulator();
    save_example_plan(&dir, &emu);
    let newer = dir
        .read("plan.json")
        .replace("\"formatVersion\": 1", "\"formatVersion\": 2");
    dir.write("plan.json", &newer);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .status(1)
        .stderr(unindent(
            "
            error: plan.json is a plan of format version 2, and this vodplan (version {VERSION}) reads format version 1
            hint: nothing was deleted; use the vodplan version that wrote it (the file's `vodplanVersion`), or make the plan again with `vodplan plan --out PLANFILE` and review it
            ",
        ))
        .replacing(env!("CARGO_PKG_VERSION"), "{VERSION}")
        .run();
    Test::in_dir(&dir)
        .against(&emu)
        .args(["show", "plan.json"])
        .status(1)
        .stderr(unindent(
            "
            error: plan.json is a plan of format version 2, and this vodplan (version {VERSION}) reads format version 1
            hint: nothing was deleted; use the vodplan version that wrote it (the file's `vodplanVersion`), or make the plan again with `vodplan plan --out PLANFILE` and review it
            ",
        ))
        .replacing(env!("CARGO_PKG_VERSION"), "{VERSION}")
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
}
