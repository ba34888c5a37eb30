//! plan and apply against the emulator, end to end.

use crate::harness::{Dir, Emulator, catalog_of, delete_manifest, stable, vid, vodplan};

const CATALOG: &str = include_str!("../../examples/catalog.yaml");

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

#[test]
fn plan_renders_text_json_and_markdown() {
    let (dir, emu) = example_with_emulator();
    let text = vodplan(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml"])
        .run();
    assert_eq!(text.code, 0, "{}", text.stderr);
    insta::assert_snapshot!("plan_text", stable(&text.stdout, &emu));
    let json = vodplan(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--format", "json"])
        .run();
    insta::assert_snapshot!("plan_json", stable(&json.stdout, &emu));
    let md = vodplan(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--format", "markdown"])
        .run();
    insta::assert_snapshot!("plan_markdown", stable(&md.stdout, &emu));
    assert_eq!(emu.calls("DeleteVideo"), 0, "plan never deletes");
    assert_eq!(emu.videos(), 5);
}

#[test]
fn detailed_exitcode_tells_pending_from_nothing_to_do() {
    let (dir, emu) = example_with_emulator();
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--detailed-exitcode"])
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "cleanup.yaml", "--auto-approve"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--detailed-exitcode"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("No changes"), "{}", r.stdout);
}

#[test]
fn apply_deletes_exactly_the_plan_and_never_a_kept_video() {
    let (dir, emu) = example_with_emulator();
    let r = vodplan(&dir)
        .against(&emu)
        .args([
            "apply",
            "cleanup.yaml",
            "--auto-approve",
            "--format",
            "json",
        ])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(
        v,
        serde_json::json!({
            "format_version": 1,
            "summary": {"deleted": 2, "absent": 1, "forbidden": 0, "failed": 0},
            "planDigest": v["planDigest"],
            "drift": {"nonExistVideoIds": ["0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a"], "nonExistReferenceIds": []},
            "forbiddenVideoIds": [],
            "failed": []
        })
    );
    // 2 deleted, the kept brand film and the two unlisted videos remain.
    assert_eq!(emu.videos(), 3);
    let after = vodplan(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--format", "json"])
        .run();
    let v = after.json();
    assert_eq!(
        v["summary"],
        serde_json::json!({"delete": 0, "protected": 1, "absent": 3, "bytes": 0})
    );
    assert_eq!(
        v["protected"][0]["videoId"],
        "7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b"
    );
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
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "cleanup.yaml"])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("refusing to delete without confirmation"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_eq!(emu.calls("GetVideoInfos"), 0);
}

#[test]
fn more_than_twenty_ids_go_in_batches_of_twenty() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(50, ""), &[]);
    delete_manifest(&dir, 45);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .ends_with("Apply complete: 45 videos deleted, 0 absent, 0 forbidden, 0 failed.\n"),
        "{}",
        r.stdout
    );
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
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--format", "json"])
        .run();
    assert_eq!(r.code, 3, "{}", r.stderr);
    let v = r.json();
    assert_eq!(
        v["summary"],
        serde_json::json!({"deleted": 1, "absent": 0, "forbidden": 1, "failed": 0})
    );
    assert_eq!(
        v["forbiddenVideoIds"],
        serde_json::json!(["ffff0000ffff0000ffff0000ffff0000"])
    );
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
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(
        v["summary"],
        serde_json::json!({"deleted": 1, "absent": 1, "forbidden": 0, "failed": 0})
    );
    assert_eq!(
        v["drift"]["nonExistReferenceIds"],
        serde_json::json!(["gone-ref-404"])
    );
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
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve"])
        .run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.lines().find(|l| l.starts_with("error:")).unwrap(),
        "error: guard tripped: limits.maxDeletes (m.yaml:3:15) allows 3 deletions, but the plan deletes 5 (2 too many); nothing was deleted"
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--max-deletes", "1"])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("--max-deletes allows 1 deletion, but the plan deletes 5 (4 too many)"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_eq!(emu.videos(), 10);
}

#[test]
fn invalid_manifests_never_reach_the_api() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, CATALOG, &[]);
    dir.write("m.yaml", "version: 1\ndelete:\n  - videoId: \"a,b\"\n");
    for cmd in ["plan", "apply"] {
        let r = vodplan(&dir)
            .against(&emu)
            .args(
                [cmd, "m.yaml", "--auto-approve"]
                    .iter()
                    .take(if cmd == "plan" { 2 } else { 3 }),
            )
            .run();
        assert_eq!(r.code, 1);
        assert!(
            r.stderr
                .starts_with("m.yaml:3:14: videoId \"a,b\" contains a comma"),
            "{}",
            r.stderr
        );
    }
    let stats = emu.stats();
    for a in ["DeleteVideo", "GetVideoInfos", "GetVideoList"] {
        assert_eq!(stats["actions"][a]["requests"], 0, "{a}");
    }
}

#[test]
fn a_wrong_secret_is_refused_and_shown_without_secrets() {
    let (dir, emu) = example_with_emulator();
    let r = vodplan(&dir)
        .against(&emu)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong-secret")
        .env("ALIBABA_CLOUD_SECURITY_TOKEN", "sts-token-value")
        .args(["apply", "cleanup.yaml", "--auto-approve"])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("GetVideoInfos failed: SignatureDoesNotMatch"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("wrong-secret") && !r.stderr.contains("sts-token-value"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

#[test]
fn no_credentials_names_what_to_set() {
    let dir = Dir::new();
    example(&dir);
    let r = vodplan(&dir)
        .env("VODPLAN_ENDPOINT", "http://127.0.0.1:9")
        .args(["plan", "cleanup.yaml"])
        .run();
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"), "{}", r.stderr);
}

#[test]
fn plain_http_off_loopback_is_refused() {
    let dir = Dir::new();
    example(&dir);
    let r = vodplan(&dir)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "x")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "y")
        .args([
            "plan",
            "cleanup.yaml",
            "--endpoint",
            "http://vod.example.com",
        ])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("plain http:// to a host that is not loopback"),
        "{}",
        r.stderr
    );
}

#[test]
fn profiles_of_the_aliyun_cli_config_work() {
    let (dir, emu) = example_with_emulator();
    dir.write(
        ".aliyun/config.json",
        r#"{"current":"dev","profiles":[{"name":"dev","mode":"AK","access_key_id":"testid","access_key_secret":"testsecret","region_id":"cn-shanghai"},
            {"name":"role","mode":"RamRoleArn","access_key_id":"a","access_key_secret":"b","ram_role_arn":"acs:ram::1:role/x","ram_session_name":"s"}]}"#,
    );
    let r = vodplan(&dir)
        .env("VODPLAN_ENDPOINT", &emu.endpoint())
        .args(["plan", "cleanup.yaml"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    // RamRoleArn is supported (tests/it/credentials.rs); with a key STS does not know, the
    // error names the profile.
    let r = vodplan(&dir)
        .env("VODPLAN_ENDPOINT", &emu.endpoint())
        .env("VODPLAN_STS_ENDPOINT", &emu.endpoint())
        .args(["plan", "cleanup.yaml", "--profile", "role"])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "error: aliyun CLI profile `role` (RamRoleArn), role acs:ram::1:role/x: STS refused: "
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn v1_signatures_work_end_to_end() {
    let (dir, emu) = example_with_emulator();
    let r = vodplan(&dir)
        .against(&emu)
        .args([
            "apply",
            "cleanup.yaml",
            "--auto-approve",
            "--signature",
            "v1",
        ])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(emu.videos(), 3);
}

#[test]
fn a_saved_plan_is_applied_exactly_and_shown_offline() {
    let (dir, emu) = example_with_emulator();
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let saved = dir.read("plan.json");
    assert!(!saved.contains("testsecret"));
    let shown = vodplan(&dir)
        .args(["show", "plan.json", "--format", "json"])
        .run();
    let planned = vodplan(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--format", "json"])
        .run();
    assert_eq!(shown.stdout, planned.stdout);
    // The manifest changes after review: the saved plan is checked against it, so the planned
    // videos it no longer selects are refused by name, and nothing is deleted.
    let reviewed = dir.read("cleanup.yaml");
    dir.write(
        "cleanup.yaml",
        "version: 1\ndelete:\n  - videoId: 9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--format", "json"])
        .run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains(
            "2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910: no delete entry of the manifests selects it"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("error: the plan does not match its manifests: 2 planned videos are not approved by them (listed above); nothing was deleted"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.calls("DeleteVideo"), 0);
    // With the reviewed manifests back, the saved plan is applied exactly.
    dir.write("cleanup.yaml", &reviewed);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["summary"]["deleted"], 2);
    let stats = emu.stats();
    assert_eq!(stats["videos"], 3);
    assert!(dir.read("plan.json.journal.jsonl").contains("\"finish\""));
}

#[test]
fn a_stale_saved_plan_is_refused_naming_what_changed() {
    let (dir, emu) = example_with_emulator();
    let port = emu.port;
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    emu.stop();
    // Same endpoint, but a planned video was re-titled and re-transcoded meanwhile.
    let changed = CATALOG
        .replace(
            "title: Spring promo 2023",
            "title: Spring promo 2023 (recut)",
        )
        .replace("size: 10485760", "size: 999");
    let emu = Emulator::start_on(&dir, &changed, &[], port);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n  2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910: size 10485760 -> 999, title \"Spring promo 2023\" -> \"Spring promo 2023 (recut)\"\n\
         error: the saved plan is stale: 1 planned video changed since it was made (listed above); nothing was deleted\n\
         hint: make and review a new plan with `vodplan plan --out`\n"
    );
    assert_eq!(emu.calls("DeleteVideo"), 0);
    // Another endpoint is refused too.
    let r = vodplan(&dir)
        .against(&emu)
        .env("VODPLAN_ENDPOINT", "http://localhost:1")
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("the plan was made against"),
        "{}",
        r.stderr
    );
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
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(
        v["summary"],
        serde_json::json!({"deleted": 400, "absent": 1, "forbidden": 0, "failed": 0})
    );
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
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let newer = dir
        .read("plan.json")
        .replace("\"formatVersion\": 1", "\"formatVersion\": 2");
    dir.write("plan.json", &newer);
    for args in [vec!["apply", "plan.json"], vec!["show", "plan.json"]] {
        let r = vodplan(&dir).against(&emu).args(args).run();
        assert_eq!(r.code, 1);
        assert!(
            r.stderr
                .contains("is a plan of format version 2, and this vodplan"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(emu.calls("DeleteVideo"), 0);
}
