//! The chain of custody from review to deletion (issue "what was reviewed is exactly what is
//! deleted"): a saved plan is checked against itself, its manifests and the live state; region is
//! part of the review; input is checked before confirmation; exit codes pipelines can trust;
//! interrupts are safe and reported.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::harness::{
    Dir, Emulator, catalog_of, delete_manifest, deleting, vid, vodplan, with_saved_plan,
};
use crate::test::{Test, unindent};

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
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .status(1)
        .stderr(format!(
            "{CREDENTIALS}  {KEPT}: protected by the keep entry at m.yaml:7:5\n\
             error: the plan does not match its manifests: 1 planned video is not approved by them (listed above); nothing was deleted\n\
             hint: a saved plan can only delete what its reviewed manifests select and do not keep; make and review a new plan with `vodplan plan --out`\n"
        ))
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
    assert_eq!(emu.videos(), 3);
}

#[test]
fn a_forged_deletion_outside_every_manifest_is_refused() {
    let (dir, emu) = setup();
    forge(&dir, UNLISTED, "Unlisted", 300);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .status(1)
        .stderr(format!(
            "{CREDENTIALS}  {UNLISTED}: no delete entry of the manifests selects it\n\
             error: the plan does not match its manifests: 1 planned video is not approved by them (listed above); nothing was deleted\n\
             hint: a saved plan can only delete what its reviewed manifests select and do not keep; make and review a new plan with `vodplan plan --out`\n"
        ))
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

#[test]
fn a_plan_deleting_what_it_protects_is_refused_before_any_call() {
    let (dir, emu) = setup();
    forge(&dir, KEPT, "Brand film (legal hold)", 200);
    let before = emu.stats()["actions"].clone();
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .status(1)
        .stderr(format!("error: the plan contradicts itself: 1 video is listed both for deletion and as protected (or twice): {KEPT}; nothing was sent to the API\n\
             hint: the plan file was edited by hand or damaged; make and review a new plan with `vodplan plan --out`\n"))
        .run();
    assert_eq!(emu.stats()["actions"], before, "no API call at all");
    // The same plan with the manifests gone is refused too, with a hint.
    let (dir, emu) = setup();
    std::fs::remove_file(dir.path().join("m.yaml")).unwrap();
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .status(1)
        .stderr(unindent(
            "
            error: the plan must be checked against the manifests it was made from, and this one is not here: m.yaml; nothing was sent to the API
            hint: run apply from the directory `vodplan plan` ran in (a checkout of the reviewed commit), or name the manifests with --manifests PATH...
            ",
        ))
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

#[test]
fn a_lifted_limit_in_the_plan_file_is_ignored() {
    let (dir, emu) = setup();
    dir.write("m.yaml", &format!("{MANIFEST}limits:\n  maxDeletes: 0\n"));
    let mut plan: serde_json::Value = serde_json::from_str(&dir.read("plan.json")).unwrap();
    plan["maxDeletes"] = serde_json::Value::Null;
    dir.write("plan.json", &plan.to_string());
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .status(1)
        .stderr(unindent(
            "
            error: guard tripped: limits.maxDeletes (m.yaml:9:15) allows 0 deletions, but the plan deletes 1 (1 too many); nothing was deleted
            hint: review the selectors and IDs; raise limits.maxDeletes in the manifest only if this many deletions is intended
            ",
        ))
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

#[test]
fn region_is_part_of_the_review() {
    let (dir, emu) = setup();
    let before = emu.stats()["actions"].clone();
    Test::in_dir(&dir)
        .against(&emu)
        .env("ALIBABA_CLOUD_REGION_ID", "cn-beijing")
        .args(["plan", "m.yaml"])
        .status(1)
        .stderr(
            "error: the manifests name region cn-shanghai (m.yaml:2:9), but ALIBABA_CLOUD_REGION_ID says cn-beijing; nothing was sent to the API\n\
             hint: the region is part of the reviewed manifests: unset ALIBABA_CLOUD_REGION_ID or make it cn-shanghai, or change the manifests' region in review\n",
        )
        .run();
    // A profile's region_id counts as a claim too.
    dir.write(
        ".aliyun/config.json",
        r#"{"current":"p","profiles":[{"name":"p","mode":"AK","access_key_id":"testid","access_key_secret":"testsecret","region_id":"cn-hangzhou"}]}"#,
    );
    Test::in_dir(&dir)
        .env("VODPLAN_ENDPOINT", &emu.endpoint())
        .args(["apply", "plan.json"])
        .status(1)
        .stderr(unindent(
            "
            error: the plan is for region cn-shanghai, but the region_id of aliyun CLI profile `p` says cn-hangzhou; nothing was sent to the API
            hint: apply it in the region it was reviewed for: unset the region_id of aliyun CLI profile `p` or make it cn-shanghai, or make a new plan
            ",
        ))
        .run();
    assert_eq!(emu.stats()["actions"], before, "no API call at all");
}

#[test]
fn region_without_manifest_region_follows_flag_env_profile_default() {
    let (dir, emu) = setup();
    dir.write("n.yaml", &MANIFEST.replace("region: cn-shanghai\n", ""));
    Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "n.yaml"])
        .stdout(unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910  \"Spring promo\"  Normal  100 B  2023-03-01  cat 1000  Standard  n.yaml:3

            Protected by keep (never deleted):
              = 7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b  \"Brand film (legal hold)\"  kept by n.yaml:6 (selected by n.yaml:4)

            Breakdown of the deletions:
              by delete entry:
                videoId entries (n.yaml): 1 video 100 B, created 2023-03-01T08:00:00Z
              by status:
                Normal: 1 video 100 B, created 2023-03-01T08:00:00Z
              by category:
                1000: 1 video 100 B, created 2023-03-01T08:00:00Z
              by creation year:
                2023: 1 video 100 B, created 2023-03-01T08:00:00Z
              by storage class:
                Standard: 1 video 100 B, created 2023-03-01T08:00:00Z
              protected, by keep entry:
                n.yaml:6: 1 video

            Plan: 1 video to delete (100 B), 1 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
            ",
        ))
        .stderr(CREDENTIALS)
        .run();
    // The JSON plan's text is checked exactly in `plan_apply`; here, the region it names.
    let region_of = |region: &'static str, source: &'static str| {
        move |out: &str| {
            let v: serde_json::Value = serde_json::from_str(out).unwrap();
            v["region"] == region && v["regionSource"] == source
        }
    };
    Test::in_dir(&dir)
        .against(&emu)
        .env("ALIBABA_CLOUD_REGION_ID", "cn-beijing")
        .args(["plan", "n.yaml", "--format", "json"])
        .stdout_matches(
            "a JSON plan for cn-beijing from ALIBABA_CLOUD_REGION_ID",
            region_of("cn-beijing", "from ALIBABA_CLOUD_REGION_ID"),
        )
        .stderr(CREDENTIALS)
        .run();
    Test::in_dir(&dir)
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
        .stdout_matches(
            "a JSON plan for ap-southeast-1 from --region",
            region_of("ap-southeast-1", "from --region"),
        )
        .stderr(CREDENTIALS)
        .run();
}

#[test]
fn input_is_checked_before_confirmation() {
    let (dir, _emu) = setup();
    Test::in_dir(&dir)
        .args(["apply", "nosuch.json"])
        .status(1)
        .stderr(unindent(
            "
            error: cannot read nosuch.json: No such file or directory (os error 2)
            hint: name a saved plan (`vodplan plan --out PLANFILE`) or manifest files or directories
            ",
        ))
        .run();
    dir.write("typo.yaml", "version: 1\ndelete:\n  - videoid: abc\n");
    Test::in_dir(&dir)
        .args(["apply", "typo.yaml"])
        .status(1)
        .stderr(unindent(
            "
            typo.yaml:3:5: unknown key `videoid` in a delete entry; expected videoId, referenceId, match, reason, quarantine or purgeCdn
            typo.yaml:3:5: a delete entry needs one of videoId, referenceId or match
            error: the manifests have 2 problems; nothing was sent to the API
            hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again
            ",
        ))
        .run();
    let plan = dir.read("plan.json");
    dir.write("cut.json", &plan[..plan.len() / 2]);
    for args in [
        vec!["apply", "cut.json"],
        vec!["apply", "cut.json", "--auto-approve"],
    ] {
        Test::in_dir(&dir)
            .args(&args)
            .status(1)
            // Says where the damage is (line and column).
            .stderr(unindent(
                "
                error: cut.json is not a vodplan plan file (EOF while parsing a value at line 22 column 17)
                hint: nothing was deleted; make the plan again with `vodplan plan --out PLANFILE` and review it
                ",
            ))
            .run();
    }
}

#[test]
fn usage_errors_exit_1_and_single_dash_flags_get_a_hint() {
    let dir = Dir::new();
    let usage = |args: &[&str], stderr: &str| {
        Test::in_dir(&dir)
            .args(args)
            .status(1)
            .stderr(unindent(stderr))
            .run();
    };
    usage(
        &["plan", "m.yaml", "--format", "yaml"],
        "
        error: invalid value 'yaml' for '--format <FORMAT>'
          [possible values: text, json, markdown, csv, html]

        For more information, try '--help'.
        ",
    );
    usage(
        &["plan", "m.yaml", "-out=plan.json"],
        "
        error: unexpected argument '-o' found

          tip: to pass '-o' as a value, use '-- -o'

        Usage: vodplan plan [OPTIONS] <MANIFEST>...

        For more information, try '--help'.
        hint: vodplan's flags take two dashes: did you mean --out=plan.json?
        ",
    );
    usage(
        &["frobnicate"],
        "
        error: unrecognized subcommand 'frobnicate'

        Usage: vodplan [OPTIONS] <COMMAND>

        For more information, try '--help'.
        ",
    );
    // No command at all: the short help, on stderr.
    let help = Test::in_dir(&dir).arg("-h").ignore_stdout().run().stdout;
    usage(&[], &help);
    Test::in_dir(&dir)
        .args(["apply", "plan.json", "-auto-approve"])
        .status(1)
        .stderr(unindent(
            "
            error: unexpected argument '-a' found

              tip: to pass '-a' as a value, use '-- -a'

            Usage: vodplan apply [OPTIONS] <PLANFILE|MANIFEST>...

            For more information, try '--help'.
            hint: vodplan's flags take two dashes: did you mean --auto-approve?
            ",
        ))
        .run();
    // The help's text is checked exactly by the snapshots of `cli`.
    Test::in_dir(&dir).arg("--help").ignore_stdout().run();
    Test::in_dir(&dir)
        .arg("--version")
        .stdout(format!("vodplan {}\n", env!("CARGO_PKG_VERSION")))
        .run();
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
    assert_eq!(stderr, CREDENTIALS);
    assert_eq!(
        stdout,
        format!(
            "vodplan will permanently delete these videos in cn-shanghai ({}):\nexit 0\n",
            emu.endpoint()
        )
    );
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
    // How far the run got when the signal came depends on timing: the counts are checked
    // against each other and against the emulator, and the report's words by what it contains.
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
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .stdout(unindent(
            "
            vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
            source files, transcoded streams and thumbnails are removed and cannot be recovered.

              - 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910  \"Spring promo\"  Normal  100 B  2023-03-01  cat 1000  Standard  m.yaml:4

            Protected by keep (never deleted):
              = 7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b  \"Brand film (legal hold)\"  kept by m.yaml:7 (selected by m.yaml:5)

            Breakdown of the deletions:
              by delete entry:
                videoId entries (m.yaml): 1 video 100 B, created 2023-03-01T08:00:00Z
              by status:
                Normal: 1 video 100 B, created 2023-03-01T08:00:00Z
              by category:
                1000: 1 video 100 B, created 2023-03-01T08:00:00Z
              by creation year:
                2023: 1 video 100 B, created 2023-03-01T08:00:00Z
              by storage class:
                Standard: 1 video 100 B, created 2023-03-01T08:00:00Z
              protected, by keep entry:
                m.yaml:7: 1 video

            Plan: 1 video to delete (100 B), 1 protected, 0 absent.
            Plan digest: {DIGEST}  (region cn-shanghai, from the manifests, m.yaml:2)
            Plan digest: {DIGEST}
            Apply complete: 1 video deleted, 0 absent, 0 forbidden, 0 failed.
            ",
        ))
        .stderr(format!(
            "{CREDENTIALS}Applying plan {{DIGEST}}.\nJournal: plan.json.journal.jsonl\n"
        ))
        .run();
    let reads = emu.calls("GetVideoInfos");
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .normalise_now()
        .status(1)
        .stderr("error: this plan was applied already, at {NOW} (journal plan.json.journal.jsonl); nothing was sent\nhint: a saved plan is applied once; to delete more, make and review a new plan\n")
        .run();
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
    // Where the journal fills up depends on timing (how the deletions fall into batches): the
    // report is checked for its words and against the emulator's count.
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
    let listed: String = (0..N)
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
                    videoId entries (m.yaml): 60 videos 60.0 MiB, created 2023-01-01T00:00:00Z
                  by status:
                    Normal: 60 videos 60.0 MiB, created 2023-01-01T00:00:00Z
                  by category:
                    1000: 60 videos 60.0 MiB, created 2023-01-01T00:00:00Z
                  by creation year:
                    2023: 60 videos 60.0 MiB, created 2023-01-01T00:00:00Z
                  by storage class:
                    Standard: 60 videos 60.0 MiB, created 2023-01-01T00:00:00Z

                Plan: 60 videos to delete (60.0 MiB), 0 protected, 0 absent.
                Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
                Plan digest: {DIGEST}
                Apply complete: 60 videos deleted, 0 absent, 0 forbidden, 0 failed.
                ",
            )
        ))
        // How many requests the emulator throttles, the progress lines between the waits and
        // their rates depend on timing.
        .stderr_starts_with(&format!("{CREDENTIALS}Applying plan {{DIGEST}}.\n"))
        .stderr_contains("\nDeleteVideo: waiting 5 s before retrying (Throttling.User)\n")
        .stderr_contains("\ndeleting: 60/60 videos, ")
        .stderr_matches("the journal named last", |s| {
            s.ends_with("/s\nJournal: m.yaml.journal.jsonl\n")
        })
        .run();
    assert_eq!(emu.videos(), 0);
}

/// `n` videos, a manifest deleting them all, and its saved plan `plan.json`.
fn planned_deletion_of(n: usize, emulator_args: &[&str]) -> (Dir, Emulator) {
    with_saved_plan(&catalog_of(n, ""), emulator_args, &deleting(n))
}

/// The same `apply plan.json` finishes the job, every one of the `n` videos counted once. (Its
/// stderr's "Continuing" counts depend on where the first run stopped: the summary is checked.)
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
