//! `match` selectors resolved against the emulator: by status, category, time range and title
//! prefix; keep selectors overriding delete selectors; traversals past 5,000 results; saved plans
//! pinning IDs; guards.

use crate::harness::{Dir, Emulator, vodplan};
use crate::test::{Test, unindent};

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
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml"])
        .stdout(unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 00000000000000000000000000000001  \"tmp-a\"  UploadFail  100 B  2023-01-10  cat 1  Standard  m.yaml:3
                  reason: failed uploads
                  selected by: match {status in [UploadFail, Blocked]}
              - 00000000000000000000000000000003  \"final cut\"  UploadFail  100 B  2023-03-10  cat 1  Standard  m.yaml:3
                  reason: failed uploads
                  selected by: match {status in [UploadFail, Blocked]}
              - 00000000000000000000000000000007  \"blocked\"  Blocked  100 B  2022-07-10  cat 1  Standard  m.yaml:3
                  reason: failed uploads
                  selected by: match {status in [UploadFail, Blocked]}
              - 00000000000000000000000000000005  \"old promo\"  Normal  100 B  2021-05-10  cat 7  Standard  m.yaml:5
                  selected by: match {categoryId 7, created before 2022-01-01T00:00:00Z}
              - 00000000000000000000000000000004  \"tmp-c\"  Normal  100 B  2023-04-10  cat 1  Standard  m.yaml:6
                  selected by: match {created at or after 2023-04-01T00:00:00Z, title starts with \"tmp-\"}

            Protected by keep (never deleted):
              = 00000000000000000000000000000002  \"tmp-b\"  kept by m.yaml:8 (selected by m.yaml:3)

            Breakdown of the deletions:
              by delete entry:
                match {status in [UploadFail, Blocked]} (m.yaml:3): 3 videos 300 B, created 2022-07-10T00:00:00Z to 2023-03-10T00:00:00Z
                match {categoryId 7, created before 2022-01-01T00:00:00Z} (m.yaml:5): 1 video 100 B, created 2021-05-10T00:00:00Z
                match {created at or after 2023-04-01T00:00:00Z, title starts with \"tmp-\"} (m.yaml:6): 1 video 100 B, created 2023-04-10T00:00:00Z
              by status:
                Normal: 2 videos 200 B, created 2021-05-10T00:00:00Z to 2023-04-10T00:00:00Z
                UploadFail: 2 videos 200 B, created 2023-01-10T00:00:00Z to 2023-03-10T00:00:00Z
                Blocked: 1 video 100 B, created 2022-07-10T00:00:00Z
              by category:
                1: 4 videos 400 B, created 2022-07-10T00:00:00Z to 2023-04-10T00:00:00Z
                7: 1 video 100 B, created 2021-05-10T00:00:00Z
              by creation year:
                2021: 1 video 100 B, created 2021-05-10T00:00:00Z
                2022: 1 video 100 B, created 2022-07-10T00:00:00Z
                2023: 3 videos 300 B, created 2023-01-10T00:00:00Z to 2023-04-10T00:00:00Z
              by storage class:
                Standard: 5 videos 500 B, created 2021-05-10T00:00:00Z to 2023-04-10T00:00:00Z
              protected, by keep entry:
                m.yaml:8: 1 video

            Plan: 5 videos to delete (500 B), 1 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            ",
        ))
        .stderr("Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n")
        .run();
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
            .ends_with("Apply complete: 6,000 videos deleted, 0 absent, 0 forbidden, 0 failed.\n"),
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
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--max-deletes", "10"])
        .status(1)
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            error: guard tripped: limits.maxDeletes (m.yaml:2:23) allows 2 deletions, but the plan deletes 3 (1 too many); nothing was deleted
            hint: review the selectors and IDs; raise limits.maxDeletes in the manifest only if this many deletions is intended
            ",
        ))
        .run();
    // Of the 3 videos the status query saw, the title prefix keeps 2 (67%).
    dir.write(
        "p.yaml",
        "version: 1\ndelete:\n  - match: { status: [UploadFail], titlePrefix: tmp- }\n",
    );
    Test::in_dir(&dir)
        .against(&emu)
        .args([
            "apply",
            "p.yaml",
            "--auto-approve",
            "--max-delete-percent",
            "50",
        ])
        .status(1)
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            error: guard tripped: --max-delete-percent allows 50% of the 3 videos the delete selectors' queries returned (1), but the plan deletes 2 (1 too many); nothing was deleted
            hint: review the selectors and IDs; raise --max-delete-percent only if deleting this share of what the selectors matched is intended
            ",
        ))
        .run();
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
    Test::in_dir(&dir)
        .args(["validate", "bad.yaml"])
        .status(1)
        .stderr(unindent(
            "
            bad.yaml:3:14: `tags` has no values; list one or more tags
            bad.yaml:3:41: storageLocation \"a b\" is not a storage location such as outin-xxx.oss-cn-shanghai.aliyuncs.com
            error: the manifests have 2 problems; nothing was sent to the API
            hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again
            ",
        ))
        .run();
}

/// One generated catalogue video, for brute-force comparison.
#[derive(Debug, Clone)]
struct Row {
    id: usize,
    status: &'static str,
    category: i64,
    /// Seconds after 2022-01-01T00:00:00Z.
    created: i64,
    tags: &'static str,
}

const STATUSES: [&str; 5] = [
    "Normal",
    "UploadFail",
    "Blocked",
    "TranscodeFail",
    "UploadSucc",
];
const TAGS: [&str; 3] = ["promo,2023", "promo", ""];

/// `n` videos over a few days, with `cluster` of them created in the very same second (ties at
/// every window edge, and one second too big to page).
fn rows(n: usize, cluster: std::ops::Range<usize>) -> Vec<Row> {
    (0..n)
        .map(|i| Row {
            id: i,
            status: STATUSES[(i * 7 + i / 13) % 5],
            category: 1000 + (i % 4) as i64,
            created: if cluster.contains(&i) {
                86_400
            } else {
                (i as i64) * 97 % 300_000
            },
            tags: TAGS[i % 3],
        })
        .collect()
}

fn time_of(secs: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(1_640_995_200 + secs).unwrap();
    vodplan::timefmt::format(t)
}

fn catalog_yaml(rows: &[Row]) -> String {
    let mut c = String::from("videos:\n");
    for r in rows {
        c += &video(
            r.id,
            &format!("v{}", r.id),
            r.status,
            r.category,
            &time_of(r.created),
        );
        if !r.tags.is_empty() {
            c += &format!("    tags: \"{}\"\n", r.tags);
        }
    }
    c
}

fn ids_of<'a>(rows: impl Iterator<Item = &'a Row>) -> Vec<String> {
    let mut ids: Vec<String> = rows.map(|r| format!("{:04x}", r.id)).collect();
    ids.sort();
    ids
}

fn listing_calls(emu: &Emulator) -> u64 {
    emu.calls("GetVideoList") + emu.calls("SearchMedia")
}

#[test]
fn keep_selectors_make_no_list_or_search_calls() {
    let dir = Dir::new();
    let rows = rows(3_000, 1_000..1_400);
    let emu = Emulator::start(
        &dir,
        &catalog_yaml(&rows),
        &[
            "--qps",
            "1000",
            "--page-limit",
            "100",
            "--scroll-limit",
            "500",
        ],
    );
    // Keep alone: nothing to delete, so nothing is read or listed at all.
    dir.write(
        "keep.yaml",
        "version: 1\nkeep:\n  - match: { categoryId: 1003 }\n  - match: { tags: [promo], createdBefore: 2022-01-02T00:00:00Z }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "keep.yaml", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["summary"]["delete"], 0);
    assert_eq!(listing_calls(&emu) + emu.calls("GetVideoInfos"), 0);
    // Delete alone, then the same with keep selectors: the same calls, to the call.
    dir.write(
        "d.yaml",
        "version: 1\ndelete:\n  - match: { status: [UploadFail, Blocked] }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "d.yaml", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (list_alone, read_alone) = (listing_calls(&emu), emu.calls("GetVideoInfos"));
    dir.write(
        "dk.yaml",
        "version: 1\ndelete:\n  - match: { status: [UploadFail, Blocked] }\nkeep:\n  - match: { categoryId: 1003 }\n  - match: { tags: [promo], createdBefore: 2022-01-02T00:00:00Z }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "dk.yaml", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(listing_calls(&emu), 2 * list_alone, "{}", emu.stats());
    assert_eq!(emu.calls("GetVideoInfos"), 2 * read_alone);
    // Each candidate is read once: 20 IDs a call.
    let candidates = rows
        .iter()
        .filter(|r| ["UploadFail", "Blocked"].contains(&r.status))
        .count() as u64;
    assert_eq!(read_alone, candidates.div_ceil(20));
    // And the keep selectors protect exactly what they match.
    let kept = |r: &&Row| r.category == 1003 || (r.tags.contains("promo") && r.created < 86_400);
    let deleted = rows
        .iter()
        .filter(|r| ["UploadFail", "Blocked"].contains(&r.status))
        .filter(|r| !kept(r));
    assert_eq!(deleted_ids(&r.stdout), ids_of(deleted));
    let protected = r.json()["protected"].as_array().unwrap().len();
    assert_eq!(
        protected,
        rows.iter()
            .filter(|r| ["UploadFail", "Blocked"].contains(&r.status))
            .filter(kept)
            .count()
    );
}

#[test]
fn a_delete_selector_past_the_page_and_scroll_limits_is_listed_exactly() {
    let dir = Dir::new();
    // 3,000 videos, 400 of them in one second; paging reaches 100, a traversal 500. The selector
    // matches 1,200: past both limits, and 160 of them share a second.
    let rows = rows(3_000, 1_000..1_400);
    let emu = Emulator::start(
        &dir,
        &catalog_yaml(&rows),
        &[
            "--qps",
            "1000",
            "--page-limit",
            "100",
            "--scroll-limit",
            "500",
        ],
    );
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { status: [UploadFail, Normal] }\n  - match: { categoryId: 1002, tags: [\"2023\"] }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let wanted = rows.iter().filter(|r| {
        ["UploadFail", "Normal"].contains(&r.status)
            || (r.category == 1002 && r.tags == "promo,2023")
    });
    let expected = ids_of(wanted);
    assert!(expected.len() > 1_200, "{}", expected.len());
    let got = deleted_ids(&r.stdout);
    // Exactly the brute-force result: nothing missing, nothing twice.
    assert_eq!(got, expected);
    let stats = emu.stats();
    assert!(
        emu.calls("SearchMedia") >= 2,
        "the crowded second is traversed: {stats}"
    );
    assert_eq!(
        emu.calls("GetVideoInfos"),
        (expected.len() as u64).div_ceil(20),
        "each candidate read once: {stats}"
    );
}

#[test]
fn a_second_too_crowded_to_traverse_fails_the_plan() {
    let dir = Dir::new();
    let rows = rows(1_000, 0..700);
    let emu = Emulator::start(
        &dir,
        &catalog_yaml(&rows),
        &[
            "--qps",
            "1000",
            "--page-limit",
            "100",
            "--scroll-limit",
            "500",
        ],
    );
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { categoryId: 1001 }\n  - match: { titlePrefix: v }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--format", "json"])
        .run();
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\nerror: m.yaml:4:5: the listing of `match {title starts with \"v\"}` for videos created in [2022-01-02T00:00:00Z, 2022-01-02T00:00:01Z) ended after 500 of its 700 videos; a plan from it could be incomplete, so none was made (run the plan again; if it persists, narrow the selector's createdAfter/createdBefore)\nhint: nothing was deleted; a listing must be complete before anything is planned\n"
    );
}

#[test]
fn a_tags_selector_past_the_page_limit_matches() {
    let dir = Dir::new();
    let rows = rows(900, 0..0);
    let emu = Emulator::start(
        &dir,
        &catalog_yaml(&rows),
        &["--qps", "1000", "--page-limit", "100"],
    );
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { tags: [\"2023\", promo] }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = ids_of(rows.iter().filter(|r| r.tags == "promo,2023"));
    assert_eq!(expected.len(), 300);
    assert_eq!(deleted_ids(&r.stdout), expected);
}

#[test]
fn progress_lines_appear_in_a_run_without_a_terminal() {
    let dir = Dir::new();
    let rows = rows(1_000, 0..0);
    let emu = Emulator::start(
        &dir,
        &catalog_yaml(&rows),
        &[
            "--qps",
            "1000",
            "--page-limit",
            "100",
            "--latency-ms",
            "700",
        ],
    );
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { status: [Normal, Blocked] }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = rows
        .iter()
        .filter(|r| ["Normal", "Blocked"].contains(&r.status))
        .count();
    assert_eq!(r.json()["summary"]["delete"], expected);
    // Plain lines, at most one every 5 seconds, naming the phase, counts, calls and rate.
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| !l.starts_with("Credentials: "))
        .collect();
    assert!(
        !lines.is_empty(),
        "no progress line in a run of several seconds"
    );
    for line in &lines {
        let (phase, rest) = line.split_once(": ").unwrap();
        assert!(["listing", "reading"].contains(&phase), "{line}");
        let parts: Vec<&str> = rest.split(", ").collect();
        assert!(
            parts[0].ends_with(" found") || parts[0].ends_with(" videos"),
            "{line}"
        );
        assert!(
            parts[1].ends_with(" calls") || parts[1] == "1 call",
            "{line}"
        );
        assert!(parts[2].ends_with("/s"), "{line}");
    }
}
