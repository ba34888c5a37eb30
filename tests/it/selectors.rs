//! `match` selectors resolved against the emulator: by status, category, time range and title
//! prefix; keep selectors overriding delete selectors; traversals past 5,000 results; saved plans
//! pinning IDs; guards.

use crate::harness::{Dir, Emulator, vodplan};

fn video(id: usize, title: &str, status: &str, category: i64, created: &str) -> String {
    format!(
        "  - videoId: {id:032x}\n    title: \"{title}\"\n    status: {status}\n    categoryId: {category}\n    creationTime: {created}\n    size: 100\n"
    )
}

fn catalog() -> String {
    let mut c = String::from("videos:\n");
    c += &video(1, "tmp-a", "UploadFail", 1, "2023-01-10T00:00:00Z");
    c += &video(2, "tmp-b", "UploadFail", 42, "2023-02-10T00:00:00Z"); // legal hold category
    c += &video(3, "final cut", "UploadFail", 1, "2023-03-10T00:00:00Z");
    c += &video(4, "tmp-c", "Normal", 1, "2023-04-10T00:00:00Z");
    c += &video(5, "old promo", "Normal", 7, "2021-05-10T00:00:00Z");
    c += &video(6, "new promo", "Normal", 7, "2024-06-10T00:00:00Z");
    c += &video(7, "blocked", "Blocked", 1, "2022-07-10T00:00:00Z");
    c
}

fn deleted_ids(stdout: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(stdout).unwrap();
    let mut ids: Vec<String> = v["deletions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["videoId"].as_str().unwrap()[28..].to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn selectors_by_status_category_time_and_title_with_keep_winning() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog(), &[]);
    dir.write(
        "m.yaml",
        "version: 1\n\
         delete:\n\
         \x20 - match: { status: [UploadFail, Blocked] }\n\
         \x20   reason: failed uploads\n\
         \x20 - match: { categoryId: 7, createdBefore: 2022-01-01T00:00:00Z }\n\
         \x20 - match: { titlePrefix: tmp-, createdAfter: 2023-04-01T00:00:00Z }\n\
         keep:\n\
         \x20 - match: { categoryId: 42 }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 1, 3, 7 by status; 5 by category and time; 4 by title and time; 2 is kept.
    assert_eq!(
        deleted_ids(&r.stdout),
        ["0001", "0003", "0004", "0005", "0007"]
    );
    let v = r.json();
    assert_eq!(
        v["protected"],
        serde_json::json!([{"videoId": format!("{:032x}", 2), "keptBy": "m.yaml:8"}])
    );
    let first = &v["deletions"][0];
    assert_eq!(
        (first["source"].as_str(), first["reason"].as_str()),
        (Some("m.yaml:3"), Some("failed uploads"))
    );
    // The text plan names the selector behind each deletion.
    let text = vodplan(&dir).against(&emu).args(["plan", "m.yaml"]).run();
    assert!(
        text.stdout
            .contains("selected by: match {status in [UploadFail, Blocked]}"),
        "{}",
        text.stdout
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(emu.videos(), 2);
}

#[test]
fn a_selector_past_five_thousand_results_is_traversed_completely() {
    let dir = Dir::new();
    let mut c = String::from("videos:\n");
    for i in 0..6_200 {
        let status = if i % 31 == 0 { "Normal" } else { "UploadFail" };
        c += &video(
            i,
            &format!("v{i}"),
            status,
            1,
            &format!(
                "2023-01-01T{:02}:{:02}:{:02}Z",
                i / 3600,
                (i / 60) % 60,
                i % 60
            ),
        );
    }
    let emu = Emulator::start(&dir, &c, &["--qps", "1000"]);
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { status: [UploadFail] }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["summary"]["delete"], 6_000);
    // Listed in CreationTime windows that each fit in GetVideoList's 5,000, each candidate read
    // once.
    assert_eq!(emu.calls("SearchMedia"), 0, "{}", emu.stats());
    assert!(emu.calls("GetVideoList") >= 62, "{}", emu.stats());
    assert_eq!(emu.calls("GetVideoInfos"), 300, "{}", emu.stats());
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--max-qps", "1000"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .ends_with("Apply complete: 6000 videos deleted, 0 absent, 0 forbidden, 0 failed.\n"),
        "{}",
        r.stdout
    );
    assert_eq!(emu.videos(), 200);
}

#[test]
fn a_saved_plan_pins_the_ids_a_selector_found() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog(), &[]);
    let port = emu.port;
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { status: [UploadFail] }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    emu.stop();
    // A new failed upload appears after review: the saved plan does not pick it up.
    let later = format!(
        "{}{}",
        catalog(),
        video(9, "late failure", "UploadFail", 1, "2024-09-01T00:00:00Z")
    );
    let emu = Emulator::start_on(&dir, &later, &[], port);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["summary"]["deleted"], 3);
    assert_eq!(
        emu.calls("SearchMedia") + emu.calls("GetVideoList"),
        0,
        "apply FILE never re-runs a query"
    );
    assert_eq!(emu.videos(), 5);
}

#[test]
fn guards_trip_before_any_deletion_and_flags_only_tighten() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog(), &[]);
    dir.write(
        "m.yaml",
        "version: 1\nlimits: { maxDeletes: 2 }\ndelete:\n  - match: { status: [UploadFail] }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--max-deletes", "10"])
        .run();
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("limits.maxDeletes (m.yaml:2:23) allows 2 deletions, but the plan deletes 3 (1 too many)"), "{}", r.stderr);
    // Of the 3 videos the status query saw, the title prefix keeps 2 (67%).
    dir.write(
        "p.yaml",
        "version: 1\ndelete:\n  - match: { status: [UploadFail], titlePrefix: tmp- }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args([
            "apply",
            "p.yaml",
            "--auto-approve",
            "--max-delete-percent",
            "50",
        ])
        .run();
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--max-delete-percent allows 50% of the 3 videos the delete selectors' queries returned (1), but the plan deletes 2 (1 too many)"), "{}", r.stderr);
    assert_eq!(emu.calls("DeleteVideo"), 0);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "p.yaml", "--max-delete-percent", "70"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn storage_location_and_tags_selectors() {
    let dir = Dir::new();
    let mut c = String::from("videos:\n");
    for (i, (bucket, tags)) in [
        ("in-a", "promo,2023"),
        ("in-a", "promo"),
        ("in-b", "promo,2023"),
        ("in-b", ""),
    ]
    .iter()
    .enumerate()
    {
        c += &video(i + 1, "v", "Normal", 1, "2023-01-01T00:00:00Z");
        c += &format!("    storageLocation: {bucket}.oss-cn-shanghai.aliyuncs.com\n");
        if !tags.is_empty() {
            c += &format!("    tags: \"{tags}\"\n");
        }
    }
    let emu = Emulator::start(&dir, &c, &[]);
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { storageLocation: in-a.oss-cn-shanghai.aliyuncs.com }\n  - match: { tags: [promo, \"2023\"] }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 1 and 2 by bucket; 1 and 3 carry both tags; 4 neither.
    assert_eq!(deleted_ids(&r.stdout), ["0001", "0002", "0003"]);
    dir.write(
        "bad.yaml",
        "version: 1\ndelete:\n  - match: { tags: [], storageLocation: \"a b\" }\n",
    );
    let r = vodplan(&dir).args(["validate", "bad.yaml"]).run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("bad.yaml:3:14: `tags` has no values"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("storageLocation \"a b\" is not a storage location"),
        "{}",
        r.stderr
    );
}
