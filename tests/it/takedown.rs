//! `purgeCdn` end to end: the real binary against the real emulator's CDN edge, with HLS videos,
//! MP4 videos in directories of their own, MP4 videos in a shared directory and a lowered daily
//! quota. After the applies the quota needs (a new quota day between them), the edge serves
//! nothing of any deleted video and everything of every other one; no purge call is refused for
//! quota, none precedes its video's deletion, and the number of days is the least the quota
//! allows.

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::harness::{Dir, Emulator, vodplan};
use crate::test::{Test, unindent};

fn hls(i: usize) -> String {
    format!("hls{i:029}")
}
fn own(i: usize) -> String {
    format!("own{i:029}")
}
fn shr(i: usize) -> String {
    format!("shr{i:029}")
}

/// 3 HLS videos (default layout: HLS HD + MP4 SD in `/<id>/`), 2 MP4 videos with two streams in
/// directories of their own, 3 MP4 videos in a shared directory; one more of the HLS and the
/// shared kind that are kept.
fn catalog() -> String {
    let mut c = String::from("videos:\n");
    for i in 0..4 {
        c += &format!("  - videoId: {}\n    title: hls {i}\n", hls(i));
    }
    for i in 0..2 {
        c += &format!(
            "  - videoId: {}\n    title: own {i}\n    cdn: {{streams: [{{format: mp4, definition: SD}}, {{format: mp4, definition: HD}}]}}\n",
            own(i)
        );
    }
    for i in 0..4 {
        c += &format!(
            "  - videoId: {}\n    title: shared {i}\n    cdn: {{streams: [{{format: mp4, definition: SD}}], directory: media/shared}}\n",
            shr(i)
        );
    }
    c
}

fn manifest() -> String {
    let mut m = String::from("version: 1\npurgeCdn: true\ndelete:\n");
    for id in (0..3)
        .map(hls)
        .chain((0..2).map(own))
        .chain((0..3).map(shr))
    {
        m += &format!("  - videoId: {id}\n");
    }
    m += &format!("keep:\n  - videoId: {}\n  - videoId: {}\n", hls(3), shr(3));
    m
}

fn http(emu: &Emulator, method: &str, path: &str) -> serde_json::Value {
    let mut s = TcpStream::connect(("127.0.0.1", emu.port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap()
}

fn edge(emu: &Emulator) -> serde_json::Value {
    http(emu, "GET", "/_emulator/cdn")
}

fn next_day(emu: &Emulator) {
    http(emu, "POST", "/_emulator/cdn/next-day");
}

/// How many objects the edge still serves of `id`.
fn serving(e: &serde_json::Value, id: &str) -> usize {
    e["videos"][id]["serving"].as_array().unwrap().len()
}

fn assert_edge_clean(e: &serde_json::Value) {
    for id in (0..3)
        .map(hls)
        .chain((0..2).map(own))
        .chain((0..3).map(shr))
    {
        assert_eq!(e["videos"][&id]["exists"], false, "{id}");
        assert_eq!(
            serving(e, &id),
            0,
            "{id} still served: {}",
            e["videos"][&id]
        );
    }
    // Kept: everything still served (HLS: playlist, 3 segments, MP4, cover; shared MP4: file, cover).
    assert_eq!(e["videos"][hls(3)]["exists"], true);
    assert_eq!(serving(e, &hls(3)), 6);
    assert_eq!(serving(e, &shr(3)), 2);
    assert_eq!(e["refusedForQuota"], 0, "{e}");
    assert_eq!(e["purgedBeforeDelete"], 0, "{e}");
}

#[test]
fn deleted_videos_are_gone_from_the_edge_within_the_quota_in_the_fewest_days() {
    let dir = Dir::new();
    // Needs 3 directories (HLS) and 12 URLs (2 x 3 own MP4 + 3 x 2 shared): at 2 directories
    // and 4 URLs a day, 3 days (the URLs decide).
    let emu = Emulator::start(
        &dir,
        &catalog(),
        &["--cdn-url-quota", "4", "--cdn-dir-quota", "2"],
    );
    dir.write("m.yaml", &manifest());
    // Every purge object listed; a shared directory is never one.
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .stdout(unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - hls00000000000000000000000000000  \"hls 0\"  Normal  size unknown  2024-01-01  Standard  m.yaml:4
              - hls00000000000000000000000000001  \"hls 1\"  Normal  size unknown  2024-01-01  Standard  m.yaml:5
              - hls00000000000000000000000000002  \"hls 2\"  Normal  size unknown  2024-01-01  Standard  m.yaml:6
              - own00000000000000000000000000000  \"own 0\"  Normal  size unknown  2024-01-01  Standard  m.yaml:7
              - own00000000000000000000000000001  \"own 1\"  Normal  size unknown  2024-01-01  Standard  m.yaml:8
              - shr00000000000000000000000000000  \"shared 0\"  Normal  size unknown  2024-01-01  Standard  m.yaml:9
              - shr00000000000000000000000000001  \"shared 1\"  Normal  size unknown  2024-01-01  Standard  m.yaml:10
              - shr00000000000000000000000000002  \"shared 2\"  Normal  size unknown  2024-01-01  Standard  m.yaml:11

            CDN purge after each deletion (purgeCdn; only deleted videos are purged):
              hls00000000000000000000000000000  1 directory
                  directory https://vod.emulator.test/hls00000000000000000000000000000/
              hls00000000000000000000000000001  1 directory
                  directory https://vod.emulator.test/hls00000000000000000000000000001/
              hls00000000000000000000000000002  1 directory
                  directory https://vod.emulator.test/hls00000000000000000000000000002/
              own00000000000000000000000000000  3 URLs
                  url https://vod.emulator.test/own00000000000000000000000000000/a6ce1038-hd.mp4
                  url https://vod.emulator.test/own00000000000000000000000000000/fad2a7d1-sd.mp4
                  url https://vod.emulator.test/own00000000000000000000000000000/snapshots/f7d3c88d-00001.jpg
              own00000000000000000000000000001  3 URLs
                  url https://vod.emulator.test/own00000000000000000000000000001/0cfc3ef5-hd.mp4
                  url https://vod.emulator.test/own00000000000000000000000000001/9fa19bfc-sd.mp4
                  url https://vod.emulator.test/own00000000000000000000000000001/snapshots/f6d3c6fa-00001.jpg
              shr00000000000000000000000000000  2 URLs
                  url https://vod.emulator.test/media/shared/shr00000000000000000000000000000-cover.jpg
                  url https://vod.emulator.test/media/shared/shr00000000000000000000000000000-sd.mp4
              shr00000000000000000000000000001  2 URLs
                  url https://vod.emulator.test/media/shared/shr00000000000000000000000000001-cover.jpg
                  url https://vod.emulator.test/media/shared/shr00000000000000000000000000001-sd.mp4
              shr00000000000000000000000000002  2 URLs
                  url https://vod.emulator.test/media/shared/shr00000000000000000000000000002-cover.jpg
                  url https://vod.emulator.test/media/shared/shr00000000000000000000000000002-sd.mp4
            Purge: 8 videos, 3 directories and 12 URLs; quota left today: 4 of 4 URLs, 2 of 2 directories; needs 3 days.

            Breakdown of the deletions:
              by delete entry:
                videoId entries (m.yaml): 8 videos 0 B (+8 of unknown size), created 2024-01-01T00:00:00Z
              by status:
                Normal: 8 videos 0 B (+8 of unknown size), created 2024-01-01T00:00:00Z
              by category:
                none: 8 videos 0 B (+8 of unknown size), created 2024-01-01T00:00:00Z
              by creation year:
                2024: 8 videos 0 B (+8 of unknown size), created 2024-01-01T00:00:00Z
              by storage class:
                Standard: 8 videos 0 B (+8 of unknown size), created 2024-01-01T00:00:00Z

            Plan: 8 videos to delete (size unknown), 0 protected, 0 absent.
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
    // Planning deleted and purged nothing.
    let e = edge(&emu);
    assert_eq!(e["tasks"], 0);
    assert_eq!(emu.calls("DeleteVideo"), 0);

    let mut days = 0;
    let mut last = None;
    for day in 1..=5 {
        if day > 1 {
            next_day(&emu);
        }
        let r = vodplan(&dir)
            .against(&emu)
            .args(["apply", "plan.json", "--format", "json"])
            .run();
        days = day;
        let summary = r.json()["summary"].clone();
        if day == 1 {
            assert_eq!(summary["deleted"], 8, "{}", r.stdout);
        } else {
            assert_eq!(summary["deleted"], 0, "{}", r.stdout);
        }
        last = Some(summary.clone());
        if r.code == 0 {
            assert_eq!(summary["purged"], 8, "{}", r.stdout);
            assert_eq!(summary["purgePending"], 0);
            break;
        }
        assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
        assert!(summary["purgePending"].as_u64().unwrap() > 0);
        assert!(r.stderr.contains("CDN purge pending: "), "{}", r.stderr);
        // No quota is left unspent while something waits.
        let e = edge(&emu);
        assert_eq!(e["urlRemain"], 0, "day {day}: {e}");
    }
    assert_eq!(days, 3, "{last:?}");
    // One DeleteVideo call in all: the later days only purge.
    assert_eq!(emu.calls("DeleteVideo"), 1);
    assert_edge_clean(&edge(&emu));
    // Done: the plan is applied, and refused as such.
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .normalise_now()
        .status(1)
        .stderr(unindent(
            "
            error: this plan was applied already, at {NOW} (journal plan.json.journal.jsonl); nothing was sent
            hint: a saved plan is applied once; to delete more, make and review a new plan
            ",
        ))
        .run();
}

#[test]
fn purge_tasks_left_refreshing_or_killed_are_finished_by_the_same_command() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog(), &["--cdn-refresh-ms", "1500"]);
    dir.write("m.yaml", &manifest());
    let plan = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    // Not waiting for the tasks: they are still refreshing when the run ends.
    let r = vodplan(&dir)
        .against(&emu)
        .env("VODPLAN_PURGE_WAIT_SECONDS", "0")
        .args(["apply", "plan.json", "--format", "json"])
        .run();
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json()["summary"]["purgePending"], 8);
    assert!(r.stdout.contains("still refreshing"), "{}", r.stdout);
    // Killed while following them.
    let child = vodplan(&dir)
        .against(&emu)
        .env("VODPLAN_PURGE_WAIT_SECONDS", "60")
        .args(["apply", "plan.json"])
        .spawn();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut child = child;
    child.kill().unwrap();
    let _ = child.wait();
    // The same command finishes it: no DeleteVideo, no purge sent twice.
    let tasks_before = edge(&emu)["tasks"].as_u64().unwrap();
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json()["summary"]["purged"], 8);
    assert_eq!(edge(&emu)["tasks"].as_u64().unwrap(), tasks_before);
    assert_eq!(emu.calls("DeleteVideo"), 1);
    assert_edge_clean(&edge(&emu));
}

#[test]
fn a_failed_deletion_is_never_purged() {
    let dir = Dir::new();
    let catalog = catalog().replace(
        &format!("  - videoId: {}\n    title: hls 0\n", hls(0)),
        &format!(
            "  - videoId: {}\n    title: hls 0\n    forbidden: true\n",
            hls(0)
        ),
    );
    let emu = Emulator::start(&dir, &catalog, &[]);
    dir.write("m.yaml", &manifest());
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve", "--format", "json"])
        .run();
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(v["summary"]["forbidden"], 1);
    assert_eq!(v["summary"]["purged"], 7);
    assert_eq!(v["summary"]["purgePending"], 0);
    let e = edge(&emu);
    assert_eq!(e["videos"][hls(0)]["exists"], true);
    assert_eq!(serving(&e, &hls(0)), 6);
    assert_eq!(e["purgedBeforeDelete"], 0, "{e}");
}

#[test]
fn purge_cdn_is_validated_offline() {
    let dir = Dir::new();
    dir.write(
        "m.yaml",
        "version: 1\npurgeCdn: yes please\ndelete:\n  - videoId: abc\n    purgeCdn: 1\nkeep:\n  - videoId: def\n    purgeCdn: true\n",
    );
    let r = vodplan(&dir).args(["validate", "m.yaml"]).run();
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "m.yaml:2:11: purgeCdn `yes please` is not true or false\nm.yaml:5:15: purgeCdn `1` is not true or false\nm.yaml:8:15: `purgeCdn` on a keep entry: keep entries are never deleted or purged; remove it\nerror: the manifests have 3 problems; nothing was sent to the API\nhint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n"
    );
}

#[test]
fn the_plan_lists_what_cannot_be_purged_and_why() {
    let dir = Dir::new();
    let catalog = format!(
        "videos:\n  - videoId: {}\n    cdn: {{domain: cdn.other.example}}\n  - videoId: {}\n    cdn: {{streams: [{{format: m3u8}}], directory: media/shared}}\n  - videoId: {}\n    status: Blocked\n",
        own(0),
        shr(0),
        hls(0)
    );
    let emu = Emulator::start(&dir, &catalog, &[]);
    dir.write(
        "m.yaml",
        &format!(
            "version: 1\ndelete:\n  - videoId: {}\n    purgeCdn: true\n  - videoId: {}\n    purgeCdn: true\n  - videoId: {}\n    purgeCdn: true\n",
            own(0),
            shr(0),
            hls(0)
        ),
    );
    let r = vodplan(&dir).against(&emu).args(["plan", "m.yaml"]).run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let purge = r
        .stdout
        .split("CDN purge after each deletion")
        .nth(1)
        .unwrap();
    let purge = purge.split("\nPlan: ").next().unwrap();
    let purge = purge.split("\nBreakdown of the deletions").next().unwrap();
    let shared = format!("https://vod.emulator.test/media/shared/{}", shr(0));
    assert_eq!(
        purge,
        format!(
            " (purgeCdn; only deleted videos are purged):
  {own}  nothing purgeable
      NOT PURGEABLE https://cdn.other.example/{own}/96235388-hd.m3u8: cdn.other.example is not one of the account's CDN domains
      NOT PURGEABLE https://cdn.other.example/{own}/fad2a7d1-sd.mp4: cdn.other.example is not one of the account's CDN domains
      NOT PURGEABLE https://cdn.other.example/{own}/snapshots/f7d3c88d-00001.jpg: cdn.other.example is not one of the account's CDN domains
  {shr}  2 URLs
      url {shared}-cover.jpg
      url {shared}-hd.m3u8
      NOT PURGEABLE the HLS segments of {shared}-hd.m3u8: the playlist is not in a directory of the video's own and GetPlayInfo does not name segments; a shared directory is never purged for one video
  {hls}  nothing purgeable
      NOT PURGEABLE every object of the video: no URL known: GetPlayInfo gives URLs only for a Normal video (Forbidden.IllegalStatus)
Purge: 3 videos, 0 directories and 2 URLs; quota left today: 2000 of 2000 URLs, 100 of 100 directories; needs 1 day. 3 videos with objects that cannot be purged (listed with the reason).
",
            own = own(0),
            shr = shr(0),
            hls = hls(0),
        )
    );
}

#[test]
fn a_refused_purge_call_is_finished_by_the_same_command() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog(), &[]);
    dir.write("m.yaml", &manifest());
    let plan = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    http(&emu, "POST", "/_emulator/cdn/refuse-next");
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--format", "json"])
        .run();
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(v["summary"]["deleted"], 8);
    // The first purge call was refused: the run stops sending, everything waits.
    assert_eq!(v["summary"]["purgePending"], 8, "{}", r.stdout);
    assert_eq!(v["summary"]["purged"], 0);
    assert!(
        v["purge"]["stopped"]
            .as_str()
            .unwrap()
            .contains("IllegalOperation"),
        "{}",
        r.stdout
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json()["summary"]["purged"], 8);
    assert_eq!(emu.calls("DeleteVideo"), 1);
    assert_edge_clean(&edge(&emu));
}
