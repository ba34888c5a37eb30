//! Review at scale: a plan of tens of thousands of deletions that a reviewer can judge. A
//! catalogue of 20,000 videos is generated here; the expected counts are computed here from the
//! same generator, independently of vodplan; then the real binary plans against the real
//! emulator, and every rendering is checked against them: the JSON rows and breakdown, the
//! Markdown comment under each platform's limit with its breakdown complete, the CSV with one
//! row per planned video, the HTML report's counts as headless Chromium renders them, `diff`
//! between two revisions, and relative ages pinned at the plan's time.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::harness::{Dir, Emulator, vid, vodplan};
use crate::test::{Test, unindent};

const N: usize = 20_000;

/// One generated video.
struct V {
    id: String,
    status: &'static str,
    category: i64,
    created: String,
    /// Whole days before the test's start (the time is half an hour to 7 hours earlier still,
    /// so no video is within half an hour of a day boundary the plan judges).
    days: i64,
    size: i64,
    class: &'static str,
    title: String,
}

fn video(i: usize, now: OffsetDateTime) -> V {
    let days = (i % 1500) as i64;
    let created =
        now - Duration::days(days) - Duration::minutes(30) - Duration::hours((i % 7) as i64);
    V {
        id: vid(i),
        status: if i % 4 == 3 { "Normal" } else { "UploadFail" },
        category: [1000, 1001, 42, 7, 9][i % 5],
        created: vodplan::timefmt::format(created),
        days,
        size: 1_048_576 + i as i64 * 1000,
        class: [
            "Standard",
            "Standard",
            "IA",
            "Archive",
            "ColdArchive",
            "Standard",
            "IA",
        ][i % 7],
        title: match i {
            101 => "=HYPERLINK(\"https://evil.example\",\"ok\")".to_string(),
            _ if i.is_multiple_of(10) => format!("clip {i}, \"take\" {}", i % 3),
            _ => format!("clip {i}"),
        },
    }
}

/// The videos the explicit delete entries name (Normal, not in the kept category).
const NAMED: [usize; 3] = [3, 23, 43];

fn catalogue(videos: &[V]) -> String {
    let rows: Vec<Value> = videos
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut row = serde_json::json!({
                "videoId": v.id, "title": v.title, "status": v.status, "categoryId": v.category,
                "creationTime": v.created, "size": v.size, "storageClass": v.class,
                "tags": [format!("batch-{}", i % 3)],
            });
            if i.is_multiple_of(2) {
                row["coverURL"] = format!("https://cover.example/{}.jpg?auth_key=x", v.id).into();
            }
            row
        })
        .collect();
    serde_json::json!({ "videos": rows }).to_string()
}

const MANIFEST: &str = "version: 1
delete:
  - match: { status: [UploadFail], olderThan: 90d }
    reason: failed uploads older than 90 days
  - videoId: 00000000000000000000000000000003
  - videoId: 00000000000000000000000000000017
  - videoId: 0000000000000000000000000000002b
keep:
  - match: { categoryId: 42 }
limits:
  maxDeletes: 100000
";

/// What the plan must hold, computed from the generator alone.
struct Expected {
    by_selector: Vec<usize>,
    named: Vec<usize>,
    protected: usize,
}

impl Expected {
    fn of(videos: &[V]) -> Expected {
        let selected = |i: usize| videos[i].status == "UploadFail" && videos[i].days >= 90;
        let kept = |i: usize| videos[i].category == 42;
        let by_selector: Vec<usize> = (0..videos.len())
            .filter(|&i| selected(i) && !kept(i))
            .collect();
        let named: Vec<usize> = NAMED.iter().copied().filter(|&i| !kept(i)).collect();
        let protected = (0..videos.len())
            .filter(|&i| (selected(i) || NAMED.contains(&i)) && kept(i))
            .count();
        Expected {
            by_selector,
            named,
            protected,
        }
    }

    fn all(&self) -> Vec<usize> {
        self.by_selector
            .iter()
            .chain(&self.named)
            .copied()
            .collect()
    }
}

fn setup() -> (Dir, Emulator, Vec<V>, Expected) {
    let now = OffsetDateTime::now_utc();
    let videos: Vec<V> = (0..N).map(|i| video(i, now)).collect();
    let dir = Dir::new();
    dir.write("cleanup.yaml", MANIFEST);
    let emu = Emulator::start(&dir, &catalogue(&videos), &[]);
    let expected = Expected::of(&videos);
    (dir, emu, videos, expected)
}

/// Headless Chromium's rendered DOM of a file, or None outside CI when it is not installed.
fn rendered_dom(path: &Path) -> Option<String> {
    let found = std::process::Command::new("chromium")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium is not installed, and CI must render the HTML report (.ci/run installs Debian's chromium)"
        );
        eprintln!("skipped: chromium is not installed (CI installs it)");
        return None;
    }
    let profile = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", path.display()))
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8(out.stdout).unwrap())
}

/// The text of the element with this id in a dumped DOM.
fn element_text<'a>(dom: &'a str, id: &str) -> Option<&'a str> {
    let start = dom.find(&format!("id=\"{id}\""))?;
    let rest = &dom[start..];
    let open = rest.find('>')? + 1;
    let close = rest[open..].find('<')?;
    Some(&rest[open..open + close])
}

#[test]
fn a_plan_of_tens_of_thousands_is_reviewable_in_every_format() {
    let (dir, emu, videos, expected) = setup();
    let r = vodplan(&dir)
        .against(&emu)
        .args([
            "plan",
            "cleanup.yaml",
            "--out",
            "plan.json",
            "--format",
            "json",
        ])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let all = expected.all();
    let bytes: i64 = all.iter().map(|&i| videos[i].size).sum();
    assert!(all.len() > 8_000, "{} deletions", all.len());
    assert_eq!(v["summary"]["delete"], all.len());
    assert_eq!(v["summary"]["protected"], expected.protected);
    assert_eq!(v["summary"]["bytes"], bytes);

    // Every row carries what a reviewer checks it by, as the catalogue says.
    let rows = v["deletions"].as_array().unwrap();
    let by_id: BTreeMap<&str, &Value> = rows
        .iter()
        .map(|d| (d["videoId"].as_str().unwrap(), d))
        .collect();
    assert_eq!(by_id.len(), all.len());
    for &i in &all {
        let (d, want) = (by_id[videos[i].id.as_str()], &videos[i]);
        assert_eq!(d["status"], want.status);
        assert_eq!(d["size"], want.size);
        assert_eq!(d["creationTime"], want.created.as_str());
        assert_eq!(d["categoryId"], want.category);
        assert_eq!(d["storageClass"], want.class);
        assert_eq!(d["tags"], serde_json::json!([format!("batch-{}", i % 3)]));
    }
    // The breakdown per entry is exact: the selector, then the file's video IDs.
    let plan_file = dir.read("plan.json");
    let created_at = serde_json::from_str::<Value>(&plan_file).unwrap()["createdAt"]
        .as_str()
        .unwrap()
        .to_string();
    let bound = vodplan::timefmt::format(
        vodplan::timefmt::parse(&created_at).unwrap() - Duration::days(90),
    );
    let selector = format!(
        "match {{status in [UploadFail], created before {bound} (90 days before this plan)}}"
    );
    let entries = &v["breakdown"]["byEntry"];
    assert_eq!(entries[0]["entry"], selector.as_str());
    assert_eq!(entries[0]["source"], "cleanup.yaml:3");
    assert_eq!(entries[0]["count"], expected.by_selector.len());
    assert_eq!(entries[1]["entry"], "videoId entries");
    assert_eq!(entries[1]["count"], expected.named.len());
    assert_eq!(
        entries[1]["bytes"],
        expected.named.iter().map(|&i| videos[i].size).sum::<i64>()
    );
    assert_eq!(
        v["breakdown"]["byKeepEntry"][0]["protected"],
        expected.protected
    );
    let classes: i64 = v["breakdown"]["byStorageClass"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["count"].as_i64().unwrap())
        .sum();
    assert_eq!(classes as usize, all.len());
    // The saved plan pins the bound it was made with.
    assert!(
        plan_file.contains(&selector),
        "the saved plan pins the bound"
    );

    // Markdown: under each platform's limit, the breakdown whole, the cut counted and located.
    for (platform, limit, bytes_limit) in [
        ("github-comment", 65_536, false),
        ("gitlab-note", 1_000_000, false),
        ("github-summary", 1 << 20, true),
    ] {
        let md = vodplan(&dir)
            .args([
                "show",
                "plan.json",
                "--format",
                "markdown",
                "--max-chars",
                platform,
                "--full-report",
                "plan.html",
                "--full-report",
                "plan.csv",
            ])
            .run();
        assert_eq!(md.code, 0, "{}", md.stderr);
        let size = if bytes_limit {
            md.stdout.len()
        } else {
            md.stdout.chars().count()
        };
        assert!(size <= limit, "{platform}: {size} > {limit}");
        let entry_rows: Vec<&str> = md
            .stdout
            .lines()
            .filter(|l| l.contains(" | cleanup.yaml"))
            .take(2)
            .collect();
        assert!(
            entry_rows[0].contains(&format!(
                "| cleanup.yaml:3 | {} | ",
                expected.by_selector.len()
            )),
            "{platform}: {}",
            entry_rows[0]
        );
        assert!(
            entry_rows[1].starts_with(&format!(
                "| videoId entries | cleanup.yaml | {} | ",
                expected.named.len()
            )),
            "{platform}: {}",
            entry_rows[1]
        );
        let list = &md.stdout[md.stdout.find("<details><summary>Deletions").unwrap()..];
        let list = &list[..list.find("</details>").unwrap()];
        let shown = list.lines().filter(|l| l.starts_with("| `")).count();
        assert!(shown > 50, "{platform}: {shown} rows shown");
        assert!(
            list.contains(&format!(
                "…and {} more not shown: every video is in the report artifact (`plan.html`, `plan.csv`)",
                all.len() - shown
            )),
            "{platform}: the cut is counted and says where the rest is"
        );
    }

    // CSV: a header and one row per planned video, formulas defused.
    let csv = vodplan(&dir)
        .args(["show", "plan.json", "--format", "csv"])
        .run();
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    let lines: Vec<&str> = csv.stdout.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), all.len() + 1);
    assert!(lines[0].starts_with("action,videoId,referenceId,title,status,size,creationTime"));
    let mut ids: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    ids.sort_unstable();
    let mut want: Vec<&str> = all.iter().map(|&i| videos[i].id.as_str()).collect();
    want.sort_unstable();
    assert_eq!(ids, want, "one row per planned video");
    assert!(all.contains(&101));
    {
        assert!(
            csv.stdout
                .contains(",\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"ok\"\")\",")
        );
    }

    // HTML: counts computed by the page's own script, read from the DOM Chromium rendered.
    let html = vodplan(&dir)
        .args(["show", "plan.json", "--format", "html", "--no-thumbnails"])
        .run();
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(
        !html.stdout.contains("cover.example"),
        "--no-thumbnails embeds no cover URL"
    );
    assert!(html.stdout.contains("img-src 'none'"));
    let page = dir.write("plan.html", &html.stdout);
    if let Some(dom) = rendered_dom(&page) {
        assert_eq!(
            element_text(&dom, "count-delete"),
            Some(all.len().to_string().as_str())
        );
        assert_eq!(
            element_text(&dom, "count-protected"),
            Some(expected.protected.to_string().as_str())
        );
        assert_eq!(
            element_text(&dom, "entry-count-0"),
            Some(expected.by_selector.len().to_string().as_str())
        );
        assert_eq!(
            element_text(&dom, "entry-count-1"),
            Some(expected.named.len().to_string().as_str())
        );
        assert_eq!(
            element_text(&dom, "shown"),
            Some(all.len().to_string().as_str())
        );
        assert_eq!(
            element_text(&dom, "page"),
            Some(format!("1 / {}", all.len().div_ceil(100)).as_str())
        );
        // The formula title is shown as text, not run or parsed.
        assert!(dom.contains("<td>=HYPERLINK(\"https://evil.example\",\"ok\")</td>"));
    }
    // With thumbnails, the covers are embedded as data, and allowed as images only.
    let with = vodplan(&dir)
        .args(["show", "plan.json", "--format", "html"])
        .run();
    assert!(with.stdout.contains("img-src https: http:"));
    assert!(with.stdout.contains("Signed URLs expire"));

    // diff: the same plan plans the same actions; a revision names exactly what changed.
    let same = vodplan(&dir).args(["diff", "plan.json", "plan.json"]).run();
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert!(
        same.stdout.ends_with(
            "Same actions: both plans delete, quarantine and restore the same videos.\n"
        )
    );
    dir.write(
        "cleanup.yaml",
        &MANIFEST.replace(
            "  - videoId: 00000000000000000000000000000017\n",
            "  - videoId: 00000000000000000000000000000053\n",
        ),
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "cleanup.yaml", "--out", "plan2.json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = vodplan(&dir)
        .args(["diff", "plan.json", "plan2.json"])
        .run();
    assert_eq!(d.code, 2, "{}", d.stderr);
    let body = d.stdout.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(
        body,
        format!(
            "\nto delete: {n} -> {n} videos, 1 added, 1 dropped\n  + 00000000000000000000000000000053  \"clip 83\"  cleanup.yaml:6\n  - 00000000000000000000000000000017  \"clip 23\"  cleanup.yaml:6\n\nThe plans differ.",
            n = all.len()
        )
    );
    let j = vodplan(&dir)
        .args(["diff", "plan.json", "plan2.json", "--format", "json"])
        .run();
    assert_eq!(j.code, 2);
    let j = j.json();
    assert_eq!(j["same"], false);
    assert_eq!(j["actions"]["delete"]["addedCount"], 1);
    assert_eq!(j["actions"]["delete"]["droppedCount"], 1);
    assert_eq!(j["actions"]["delete"]["added"][0]["videoId"], vid(83));
    let m = vodplan(&dir)
        .args(["diff", "plan.json", "plan2.json", "--format", "markdown"])
        .run();
    assert_eq!(m.code, 2);
    assert!(
        m.stdout
            .contains(&format!("| to delete | {n} | {n} | 1 | 1 |", n = all.len())),
        "{}",
        m.stdout
    );
    let bad = vodplan(&dir)
        .args(["diff", "plan.json", "cleanup.yaml"])
        .run();
    assert_eq!(bad.code, 1);
}

#[test]
fn a_relative_age_is_pinned_at_the_plan_time_and_apply_does_not_move_it() {
    // One video created 30 days and 4 seconds before now: `newerThan: 30d` selects it for a
    // plan made within 4 seconds, and no longer would 4 seconds later. Apply comes later: it
    // must judge the plan's pinned bound, not resolve the age again.
    let now = OffsetDateTime::now_utc();
    let created = vodplan::timefmt::format(now - Duration::days(30) + Duration::seconds(4));
    let dir = Dir::new();
    let emu = Emulator::start(
        &dir,
        &format!(
            "videos:\n  - videoId: {}\n    title: young\n    status: UploadFail\n    creationTime: {created}\n",
            vid(1)
        ),
        &[],
    );
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { status: [UploadFail], newerThan: 30d }\n",
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["summary"]["delete"], 1, "{}", r.stdout);
    let file: Value = serde_json::from_str(&dir.read("plan.json")).unwrap();
    let at = vodplan::timefmt::parse(file["createdAt"].as_str().unwrap()).unwrap();
    let bound = vodplan::timefmt::format(at - Duration::days(30));
    assert_eq!(
        file["selectors"]["m.yaml:3:5"],
        format!(
            "match {{status in [UploadFail], created at or after {bound} (30 days before this plan)}}"
        )
    );
    // Past the moment the age would exclude it.
    while OffsetDateTime::now_utc() < now + Duration::seconds(6) {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let fresh = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--format", "json"])
        .run();
    assert_eq!(
        fresh.json()["summary"]["delete"],
        0,
        "a new plan resolves the age anew"
    );
    let apply = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--format", "json"])
        .run();
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert_eq!(apply.json()["summary"]["deleted"], 1);
    assert_eq!(emu.videos(), 0);
}

#[test]
fn relative_ages_are_validated_offline() {
    let dir = Dir::new();
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { olderThan: 90, newerThan: 0d }\n  - match: { olderThan: 30d, newerThan: 10d }\n",
    );
    let r = vodplan(&dir).args(["validate", "m.yaml"]).run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.lines().take(3).collect::<Vec<_>>(),
        [
            "m.yaml:3:25: olderThan `90` is not an age in days such as 90d (1d to 36500d)",
            "m.yaml:3:40: newerThan `0d` is not an age in days such as 90d (1d to 36500d)",
            "m.yaml:4:12: newerThan is not more days than olderThan, so this selector can match nothing",
        ]
    );
}

#[test]
fn report_formats_are_for_plans_only() {
    let dir = Dir::new();
    dir.write("m.yaml", "version: 1\ndelete:\n  - videoId: abc\n");
    let r = vodplan(&dir)
        .args(["validate", "m.yaml", "--format", "csv"])
        .run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: --format csv and --format html are reports of a plan: only `vodplan plan` and `vodplan show` make them\nhint: use --format text, json or markdown with this command\n"
    );
}

#[test]
fn prices_give_the_monthly_saving_and_flag_deletions_before_the_minimum_storage_period() {
    let now = OffsetDateTime::now_utc();
    let ago = |d: i64| vodplan::timefmt::format(now - Duration::days(d));
    let mut catalog = String::from("videos:\n");
    for (i, class, days, size) in [
        (1, "Standard", 400, 2u64 << 30),
        (2, "IA", 10, 1 << 30),
        (3, "Archive", 100, 1 << 30),
        (4, "ColdArchive", 50, 1 << 30),
    ] {
        catalog.push_str(&format!(
            "  - videoId: {}\n    title: v{i}\n    status: UploadFail\n    storageClass: {class}\n    creationTime: {}\n    size: {size}\n",
            vid(i),
            ago(days)
        ));
    }
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog, &[]);
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { status: [UploadFail] }\n",
    );
    dir.write(
        "prices.yaml",
        "currency: USD\nperGbMonth: { Standard: 0.02, IA: 0.015, Archive: 0.006, ColdArchive: 0.002 }\n",
    );
    // 2 GiB at 0.02, and 1 GiB each at 0.015, 0.006 and 0.002: 0.063 a month; IA and ColdArchive
    // deleted before their minimum storage period. The creation times are written as days ago.
    let mut test =
        Test::in_dir(&dir)
            .against(&emu)
            .args(["plan", "m.yaml", "--prices", "prices.yaml"]);
    for days in [400, 10, 100, 50] {
        test = test.replacing(&ago(days), &format!("{{{days} days ago}}"));
    }
    for days in [400, 10, 100, 50] {
        test = test.replacing(&ago(days)[..10], &format!("{{{days} days ago, date}}"));
    }
    // The creation-year rows depend on today's date (how the four fall into years): they are
    // left out of the comparison; all else is exact.
    let expected = unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 00000000000000000000000000000001  \"v1\"  UploadFail  2.0 GiB  {400 days ago, date}  Standard  m.yaml:3
                  selected by: match {status in [UploadFail]}
              - 00000000000000000000000000000002  \"v2\"  UploadFail  1.0 GiB  {10 days ago, date}  IA  m.yaml:3
                  selected by: match {status in [UploadFail]}
              - 00000000000000000000000000000003  \"v3\"  UploadFail  1.0 GiB  {100 days ago, date}  Archive  m.yaml:3
                  selected by: match {status in [UploadFail]}
              - 00000000000000000000000000000004  \"v4\"  UploadFail  1.0 GiB  {50 days ago, date}  ColdArchive  m.yaml:3
                  selected by: match {status in [UploadFail]}

            Breakdown of the deletions:
              by delete entry:
                match {status in [UploadFail]} (m.yaml:3): 4 videos 5.0 GiB, created {400 days ago} to {10 days ago}
              by status:
                UploadFail: 4 videos 5.0 GiB, created {400 days ago} to {10 days ago}
              by category:
                none: 4 videos 5.0 GiB, created {400 days ago} to {10 days ago}
              by creation year:
              by storage class:
                Archive: 1 video 1.0 GiB, created {100 days ago}
                ColdArchive: 1 video 1.0 GiB, created {50 days ago}
                IA: 1 video 1.0 GiB, created {10 days ago}
                Standard: 1 video 2.0 GiB, created {400 days ago}
            Frees 5.0 GiB ≈ 0.06 USD per month at the given prices.
            Warning: 1 video 1.0 GiB, created {50 days ago} in ColdArchive (minimum 180 days) deleted before their minimum storage period (the rest of it is billed anyway).
            Warning: 1 video 1.0 GiB, created {10 days ago} in IA (minimum 30 days) deleted before their minimum storage period (the rest of it is billed anyway).

            Plan: 4 videos to delete (5.0 GiB), 0 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            ",
        );
    let without_years = |s: &str| {
        let mut out = String::new();
        let mut in_years = false;
        for line in s.split_inclusive('\n') {
            if in_years && line.starts_with("    ") {
                continue;
            }
            in_years = line == "  by creation year:\n";
            out.push_str(line);
        }
        out
    };
    test.stdout_matches(
        "the plan with prices, but for its creation-year rows",
        move |s| without_years(s) == expected,
    )
    .stderr("Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n")
    .run();
    let j = vodplan(&dir)
        .against(&emu)
        .args([
            "plan",
            "m.yaml",
            "--prices",
            "prices.yaml",
            "--format",
            "json",
        ])
        .run()
        .json();
    assert_eq!(
        j["cost"],
        serde_json::json!({"perMonth": 0.06, "currency": "USD", "unpricedStorageClasses": []})
    );
    let early: Vec<&str> = j["earlyDeletions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["storageClass"].as_str().unwrap())
        .collect();
    assert_eq!(
        early,
        ["ColdArchive (minimum 180 days)", "IA (minimum 30 days)"]
    );
    dir.write("bad.yaml", "perGbMonth: { IA: -1 }\n");
    let listed = emu.calls("SearchMedia") + emu.calls("GetVideoList");
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--prices", "bad.yaml"])
        .status(1)
        .stderr(unindent(
            "
            error: bad.yaml: the price of IA is -1, not a price of 0 or more
            hint: check the paths and flags (`vodplan <command> --help` shows them with examples)
            ",
        ))
        .run();
    assert_eq!(
        emu.calls("SearchMedia") + emu.calls("GetVideoList"),
        listed,
        "no call for the bad prices"
    );
}
