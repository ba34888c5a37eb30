//! The chain of custody from review to deletion (issue "what was reviewed is exactly what is
//! deleted"): a saved plan is checked against itself, its manifests and the live state; region is
//! part of the review; input is checked before confirmation; exit codes pipelines can trust;
//! interrupts are safe and reported.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::harness::{
    Dir, Emulator, catalog_of, delete_manifest, deleting, vodplan, with_saved_plan,
};

/// `apply PLANFILE` names the credentials' provider, like every command that calls the API.
const CREDENTIALS: &str = "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n";

const CATALOG: &str = "videos:
  - videoId: 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910
    title: Spring promo
    categoryId: 1000
    creationTime: 2023-03-01T08:00:00Z
    size: 100
  - videoId: 7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b
    title: Brand film (legal hold)
    categoryId: 42
    creationTime: 2023-03-01T08:00:00Z
    size: 200
  - videoId: 9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b
    title: Unlisted
    categoryId: 1000
    creationTime: 2023-03-01T08:00:00Z
    size: 300
";

const MANIFEST: &str = "version: 1
region: cn-shanghai
delete:
  - videoId: 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910
  - match: { categoryId: 42 }
keep:
  - match: { categoryId: 42 }
";

const KEPT: &str = "7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b";
const UNLISTED: &str = "9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b";

fn setup() -> (Dir, Emulator) {
    with_saved_plan(CATALOG, &[], MANIFEST)
}

/// The saved plan with `id` added as a deletion, its fingerprint copied from the live video, as
/// an attacker with the artifact would do it.
fn forge(dir: &Dir, id: &str, title: &str, size: i64) {
    let mut plan: serde_json::Value = serde_json::from_str(&dir.read("plan.json")).unwrap();
    let mut extra = plan["plan"]["deletions"][0].clone();
    extra["videoId"] = id.into();
    extra["observed"]["title"] = title.into();
    extra["observed"]["size"] = size.into();
    plan["plan"]["deletions"]
        .as_array_mut()
        .unwrap()
        .push(extra);
    dir.write("plan.json", &serde_json::to_string_pretty(&plan).unwrap());
}

#[test]
fn a_forged_deletion_of_a_kept_video_is_refused_by_name() {
    let (dir, emu) = setup();
    forge(&dir, KEPT, "Brand film (legal hold)", 200);
    // The forger also drops it from the plan's own protected list.
    let mut plan: serde_json::Value = serde_json::from_str(&dir.read("plan.json")).unwrap();
    plan["plan"]["protected"] = serde_json::json!([]);
    dir.write("plan.json", &plan.to_string());
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "{CREDENTIALS}  {KEPT}: protected by the keep entry at m.yaml:7:5\n\
             error: the plan does not match its manifests: 1 planned video is not approved by them (listed above); nothing was deleted\n\
             hint: a saved plan can only delete what its reviewed manifests select and do not keep; make and review a new plan with `vodplan plan --out`\n"
        )
    );
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_eq!(emu.videos(), 3);
}

#[test]
fn a_forged_deletion_outside_every_manifest_is_refused() {
    let (dir, emu) = setup();
    forge(&dir, UNLISTED, "Unlisted", 300);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!(
            "{CREDENTIALS}  {UNLISTED}: no delete entry of the manifests selects it\n"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

#[test]
fn a_plan_deleting_what_it_protects_is_refused_before_any_call() {
    let (dir, emu) = setup();
    forge(&dir, KEPT, "Brand film (legal hold)", 200);
    let before = emu.stats()["actions"].clone();
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!("error: the plan contradicts itself: 1 video is listed both for deletion and as protected (or twice): {KEPT}; nothing was sent to the API\n")),
        "{}",
        r.stderr
    );
    assert_eq!(emu.stats()["actions"], before, "no API call at all");
    // The same plan with the manifests gone is refused too, with a hint.
    let (dir, emu) = setup();
    std::fs::remove_file(dir.path().join("m.yaml")).unwrap();
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: the plan must be checked against the manifests it was made from, and this one is not here: m.yaml; nothing was sent to the API\nhint: run apply from the directory"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

#[test]
fn a_lifted_limit_in_the_plan_file_is_ignored() {
    let (dir, emu) = setup();
    dir.write("m.yaml", &format!("{MANIFEST}limits:\n  maxDeletes: 0\n"));
    let mut plan: serde_json::Value = serde_json::from_str(&dir.read("plan.json")).unwrap();
    plan["maxDeletes"] = serde_json::Value::Null;
    dir.write("plan.json", &plan.to_string());
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("guard tripped: limits.maxDeletes (m.yaml:"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

#[test]
fn region_is_part_of_the_review() {
    let (dir, emu) = setup();
    let before = emu.stats()["actions"].clone();
    let r = vodplan(&dir)
        .against(&emu)
        .env("ALIBABA_CLOUD_REGION_ID", "cn-beijing")
        .args(["plan", "m.yaml"])
        .run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: the manifests name region cn-shanghai (m.yaml:2:9), but ALIBABA_CLOUD_REGION_ID says cn-beijing; nothing was sent to the API\n\
         hint: the region is part of the reviewed manifests: unset ALIBABA_CLOUD_REGION_ID or make it cn-shanghai, or change the manifests' region in review\n"
    );
    // A profile's region_id counts as a claim too.
    dir.write(
        ".aliyun/config.json",
        r#"{"current":"p","profiles":[{"name":"p","mode":"AK","access_key_id":"testid","access_key_secret":"testsecret","region_id":"cn-hangzhou"}]}"#,
    );
    let r = vodplan(&dir)
        .env("VODPLAN_ENDPOINT", &emu.endpoint())
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: the plan is for region cn-shanghai, but the region_id of aliyun CLI profile `p` says cn-hangzhou; nothing was sent to the API\n"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.stats()["actions"], before, "no API call at all");
}

#[test]
fn region_without_manifest_region_follows_flag_env_profile_default() {
    let (dir, emu) = setup();
    dir.write("n.yaml", &MANIFEST.replace("region: cn-shanghai\n", ""));
    let r = vodplan(&dir).against(&emu).args(["plan", "n.yaml"]).run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("(region cn-shanghai, the default; the manifests name none)"),
        "{}",
        r.stdout
    );
    let r = vodplan(&dir)
        .against(&emu)
        .env("ALIBABA_CLOUD_REGION_ID", "cn-beijing")
        .args(["plan", "n.yaml", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["regionSource"], "from ALIBABA_CLOUD_REGION_ID");
    let r = vodplan(&dir)
        .against(&emu)
        .env("ALIBABA_CLOUD_REGION_ID", "cn-beijing")
        .args([
            "plan",
            "n.yaml",
            "--format",
            "json",
            "--region",
            "ap-southeast-1",
        ])
        .run();
    assert_eq!(r.json()["region"], "ap-southeast-1");
    assert_eq!(r.json()["regionSource"], "from --region");
}

#[test]
fn input_is_checked_before_confirmation() {
    let (dir, _emu) = setup();
    let r = vodplan(&dir).args(["apply", "nosuch.json"]).run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: cannot read nosuch.json: No such file or directory"),
        "{}",
        r.stderr
    );
    dir.write("typo.yaml", "version: 1\ndelete:\n  - videoid: abc\n");
    let r = vodplan(&dir).args(["apply", "typo.yaml"]).run();
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("typo.yaml:3:5: "), "{}", r.stderr);
    let plan = dir.read("plan.json");
    dir.write("cut.json", &plan[..plan.len() / 2]);
    for args in [
        vec!["apply", "cut.json"],
        vec!["apply", "cut.json", "--auto-approve"],
    ] {
        let r = vodplan(&dir).args(&args).run();
        assert_eq!(r.code, 1);
        assert!(
            r.stderr
                .starts_with("error: cut.json is a damaged saved plan: "),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("line "), "says where: {}", r.stderr);
    }
}

#[test]
fn usage_errors_exit_1_and_single_dash_flags_get_a_hint() {
    let dir = Dir::new();
    for args in [
        vec!["plan", "m.yaml", "--format", "yaml"],
        vec!["plan", "m.yaml", "-out=plan.json"],
        vec!["frobnicate"],
        vec![],
    ] {
        let r = vodplan(&dir).args(&args).run();
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
    }
    let r = vodplan(&dir)
        .args(["apply", "plan.json", "-auto-approve"])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .ends_with("hint: vodplan's flags take two dashes: did you mean --auto-approve?\n"),
        "{}",
        r.stderr
    );
    let r = vodplan(&dir).args(["--help"]).run();
    assert_eq!(r.code, 0);
    let r = vodplan(&dir).args(["--version"]).run();
    assert_eq!(r.code, 0);
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let (dir, emu) = setup();
    let out = std::process::Command::new("bash")
        .current_dir(dir.path())
        .env("VODPLAN_ENDPOINT", emu.endpoint())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; {} plan m.yaml | head -1; echo \"exit ${{PIPESTATUS[0]}}\"",
            crate::harness::BIN
        ))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stdout.ends_with("exit 0\n"), "{stdout}");
}

/// SIGTERM mid-apply: no new batch, the calls in flight settle, the summary is printed with
/// `"interrupted": true`, exit 3; the same command finishes the job, each video counted once.
#[test]
fn sigterm_mid_apply_reports_and_the_rerun_finishes() {
    // More than a thousand left: the counts people read carry thousands separators.
    const N: usize = 1_200;
    let (dir, emu) = planned_deletion_of(N, &["--latency-ms", "50"]);
    let mut child = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json", "--format", "json", "--max-qps", "4"])
        .spawn_captured();
    // stderr carries the whole text plan (stdout is JSON): read it as it comes, or a plan larger
    // than the pipe's buffer blocks the apply before it deletes anything.
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stderr_pipe.read_to_string(&mut s).unwrap();
        s
    });
    let start = Instant::now();
    loop {
        let done = std::fs::read_to_string(dir.path().join("plan.json.journal.jsonl"))
            .map(|j| j.matches("\"batch-done\"").count())
            .unwrap_or(0);
        if done >= 3 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let stderr = stderr_reader.join().unwrap();
    assert_eq!(status.code(), Some(3), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["interrupted"], true);
    let deleted = v["summary"]["deleted"].as_u64().unwrap() as usize;
    let not_sent = v["notSent"].as_array().unwrap().len();
    assert!(deleted > 0 && not_sent > 0, "{v}");
    assert_eq!(
        deleted + not_sent + v["summary"]["failed"].as_u64().unwrap() as usize,
        N
    );
    let left = not_sent + v["summary"]["failed"].as_u64().unwrap() as usize;
    assert!(left >= 1_000, "{v}");
    let left = format!("{},{:03}", left / 1_000, left % 1_000);
    assert!(
        stderr.contains(&format!("Interrupted: {left} planned videos are left.")),
        "{stderr}"
    );
    assert!(stderr.contains("run the same command again"), "{stderr}");
    assert_eq!(emu.videos() as usize, N - deleted);
    the_rerun_finishes(&dir, &emu, N);
}

/// A saved plan is applied once: the second apply refuses from the journal alone, before it
/// re-reads or shows anything.
#[test]
fn a_finished_plan_is_not_applied_again() {
    let (dir, emu) = setup();
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reads = emu.calls("GetVideoInfos");
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .starts_with("error: this plan was applied already, at 20"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.ends_with("(journal plan.json.journal.jsonl); nothing was sent\nhint: a saved plan is applied once; to delete more, make and review a new plan\n"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.calls("GetVideoInfos"), reads, "nothing re-read");
}

/// A full disk mid-run (the journal cannot grow): nothing more is sent, what was deleted is
/// reported (exit 3, never "nothing was deleted"), and the same command finishes the job.
#[test]
fn a_journal_that_cannot_grow_stops_the_run_and_reports_what_was_done() {
    const N: usize = 600;
    let (dir, emu) = planned_deletion_of(N, &[]);
    // Files may grow to 24 KiB: the journal fills up after a few batches (SIGXFSZ ignored, so the
    // write fails with EFBIG as on a full disk).
    let out = std::process::Command::new("bash")
        .current_dir(dir.path())
        .env("VODPLAN_ENDPOINT", emu.endpoint())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 24; exec {} apply plan.json",
            crate::harness::BIN
        ))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("Stopped early: the journal could not be written"),
        "{stderr}"
    );
    let deleted = N - emu.videos() as usize;
    assert!(deleted > 0 && deleted < N, "{deleted}");
    // Never "complete": it stopped with planned deletions never sent.
    assert!(
        stdout.contains(&format!("\nApply stopped early: {deleted} videos deleted")),
        "{stdout}"
    );
    the_rerun_finishes(&dir, &emu, N);
}

/// A long pause the service asks for (`x-acs-retry-after`) is said on stderr, so that a run
/// waiting does not look hung; the deletions still complete.
#[test]
fn a_long_retry_after_is_announced() {
    const N: usize = 60;
    let dir = Dir::new();
    let emu = Emulator::start(
        &dir,
        &catalog_of(N, ""),
        &["--qps", "1", "--throttle-retry-after-ms", "5200"],
    );
    delete_manifest(&dir, N);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("DeleteVideo: waiting 5 s before retrying (Throttling.User)"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.videos(), 0);
}

/// `n` videos, a manifest deleting them all, and its saved plan `plan.json`.
fn planned_deletion_of(n: usize, emulator_args: &[&str]) -> (Dir, Emulator) {
    with_saved_plan(&catalog_of(n, ""), emulator_args, &deleting(n))
}

/// The same `apply plan.json` finishes the job, every one of the `n` videos counted once.
fn the_rerun_finishes(dir: &Dir, emu: &Emulator, n: usize) {
    let r = vodplan(dir)
        .against(emu)
        .args(["apply", "plan.json", "--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json()["summary"],
        serde_json::json!({"deleted": n, "absent": 0, "forbidden": 0, "failed": 0})
    );
    assert_eq!(emu.videos(), 0);
}
