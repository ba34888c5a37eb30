//! The command line itself: help with examples, version, completions, colour.

use crate::harness::{BIN, Dir, Emulator, assert_no_secret};
use crate::test::{Test, normalise, unindent};

#[test]
fn every_command_has_help_with_an_example() {
    let dir = Dir::new();
    // clap wraps help to the terminal's width, or to COLUMNS: fixed so that the text is.
    for cmd in [
        "validate",
        "plan",
        "apply",
        "show",
        "diff",
        "schema",
        "emulator",
        "demo",
        "completions",
    ] {
        // stdout is checked exactly by the snapshot below.
        let r = Test::in_dir(&dir)
            .args([cmd, "--help"])
            .env("COLUMNS", "100")
            .ignore_stdout()
            .run();
        assert!(
            r.stdout.contains("\nExample"),
            "`vodplan {cmd} --help` has no example:\n{}",
            r.stdout
        );
        insta::assert_snapshot!(format!("help_{cmd}"), r.stdout);
    }
    let r = Test::in_dir(&dir)
        .args(["--help"])
        .env("COLUMNS", "100")
        .ignore_stdout()
        .run();
    assert!(r.stdout.contains("Examples:"), "{}", r.stdout);
    insta::assert_snapshot!("help", r.stdout);
}

#[test]
fn version_and_completions() {
    Test::new()
        .arg("--version")
        .stdout(format!("vodplan {}\n", env!("CARGO_PKG_VERSION")))
        .run();
    for shell in ["bash", "zsh", "fish"] {
        // The script's text is clap_complete's, not vodplan's: checked for what vodplan puts in.
        Test::new()
            .args(["completions", shell])
            .stdout_matches("a completion script for vodplan and --auto-approve", |s| {
                s.contains("vodplan") && s.contains("auto-approve")
            })
            .run();
    }
}

#[test]
fn errors_end_with_a_hint() {
    Test::new()
        .args(["show", "missing.json"])
        .status(1)
        .stderr(
            "error: cannot read plan file missing.json: No such file or directory (os error 2)\n\
             hint: check the paths and flags (`vodplan <command> --help` shows them with examples)\n",
        )
        .run();
    Test::new()
        .args(["validate", "missing.yaml"])
        .status(1)
        .stderr(
            "missing.yaml:1:1: cannot read: No such file or directory (os error 2); check the path (a symlink must point to an existing file)\n\
             error: the manifests have 1 problem; nothing was sent to the API\n\
             hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n",
        )
        .run();
    Test::new()
        .args(["apply", "missing.yaml", "--auto-approve"])
        .status(1)
        .stderr(
            "error: cannot read missing.yaml: No such file or directory (os error 2)\n\
             hint: name a saved plan (`vodplan plan --out PLANFILE`) or manifest files or directories\n",
        )
        .run();
}

/// A confirmation is read from a terminal only: a `yes` piped in is not one.
#[test]
fn apply_without_auto_approve_refuses_a_piped_yes() {
    let dir = Dir::new();
    dir.write("m.yaml", COLOUR_MANIFEST);
    let emu = Emulator::start(&dir, COLOUR_CATALOG, &[]);
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "m.yaml"])
        .stdin("yes\n")
        .status(1)
        .stderr(unindent(
            "
            error: refusing to delete without confirmation: standard input is not a terminal; nothing was sent to the API
            hint: review `vodplan plan` and pass --auto-approve, or save a plan with `vodplan plan --out PLANFILE` and apply that
            ",
        ))
        .run();
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

/// One video of each kind the text plan colours: a deletion, a protected video, an absent one,
/// a quarantine and a restore (a video in team-a's quarantine that no entry selects any more);
/// and one VOD refuses to delete (forbidden), which the outcome colours.
const COLOUR_CATALOG: &str = "videos:
  - videoId: 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910
    title: Spring promo 2023
    status: Normal
    categoryId: 1000
    creationTime: 2023-03-01T08:00:00Z
    size: 10485760
  - videoId: 3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e
    title: Summer promo 2023
    status: Normal
    categoryId: 1000
    creationTime: 2023-06-01T08:00:00Z
    size: 20971520
  - videoId: 7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b
    referenceId: brand-film-2022
    title: Brand film (legal hold)
    status: Normal
    categoryId: 42
    creationTime: 2022-11-20T09:00:00Z
    size: 524288000
  - videoId: 6e5f4a3b2c1d4e0f9a8b7c6d5e4f3a2b
    title: Locked
    status: Normal
    categoryId: 1000
    creationTime: 2023-01-01T00:00:00Z
    size: 1048576
    forbidden: true
  - videoId: 5d4e3f2a1b0c4d9e8f7a6b5c4d3e2f1a
    title: Held back
    status: Blocked
    categoryId: 1000
    creationTime: 2023-01-01T00:00:00Z
    size: 1048576
    tags: \"vodplan-until-2030-01-01,vodplan-by-team-a\"
audits:
  - videoId: 5d4e3f2a1b0c4d9e8f7a6b5c4d3e2f1a
    status: Blocked
    reason: \"vodplan:team-a:2030-01-01:Normal quarantine\"
    creationTime: 2026-01-01T00:00:00Z
";

const COLOUR_MANIFEST: &str = "version: 1
owner: team-a
delete:
  - videoId: 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910
  - videoId: 3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e
    quarantine: 14d
  - videoId: 7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b
  - videoId: 00000000000000000000000000000000
  - videoId: 6e5f4a3b2c1d4e0f9a8b7c6d5e4f3a2b
keep:
  - referenceId: brand-film-2022
";

/// The text plan of [`COLOUR_MANIFEST`] at a terminal: every styled element with its exact
/// escape sequence (red deletions, green protected and restores, yellow absent and quarantines,
/// a bold summary label) and nothing else styled.
const COLOURED_PLAN: &str = "\
vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:{PORT}):
source files, transcoded streams and thumbnails are removed and cannot be recovered.

  \x1b[31m-\x1b[0m \x1b[31m2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910\x1b[0m  \"Spring promo 2023\"  Normal  10.0 MiB  2023-03-01  cat 1000  Standard  m.yaml:4
  \x1b[31m-\x1b[0m \x1b[31m6e5f4a3b2c1d4e0f9a8b7c6d5e4f3a2b\x1b[0m  \"Locked\"  Normal  1.0 MiB  2023-01-01  cat 1000  Standard  m.yaml:9

Protected by keep (never deleted):
  \x1b[32m=\x1b[0m \x1b[32m7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b\x1b[0m  \"Brand film (legal hold)\"  kept by m.yaml:11 (selected by m.yaml:7)

Already absent (listed in the manifest, gone from VOD):
  \x1b[33m~\x1b[0m \x1b[33mvideoId 00000000000000000000000000000000\x1b[0m  m.yaml:8

To quarantine (tagged, then blocked: play URLs can no longer be obtained; deleted by an apply after the date, UTC):
  \x1b[33m!\x1b[0m \x1b[33m3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e\x1b[0m  \"Summer promo 2023\"  until {UNTIL}  m.yaml:5

To restore (taken out of this owner's quarantine: set Normal, vodplan's tags removed, other tags kept):
  \x1b[32m+\x1b[0m \x1b[32m5d4e3f2a1b0c4d9e8f7a6b5c4d3e2f1a\x1b[0m  \"Held back\"  no entry of the manifests selects it any more

Breakdown of the deletions:
  by delete entry:
    videoId entries (m.yaml): 2 videos 11.0 MiB, created 2023-01-01T00:00:00Z to 2023-03-01T08:00:00Z
  by status:
    Normal: 2 videos 11.0 MiB, created 2023-01-01T00:00:00Z to 2023-03-01T08:00:00Z
  by category:
    1000: 2 videos 11.0 MiB, created 2023-01-01T00:00:00Z to 2023-03-01T08:00:00Z
  by creation year:
    2023: 2 videos 11.0 MiB, created 2023-01-01T00:00:00Z to 2023-03-01T08:00:00Z
  by storage class:
    Standard: 2 videos 11.0 MiB, created 2023-01-01T00:00:00Z to 2023-03-01T08:00:00Z
  protected, by keep entry:
    m.yaml:11: 1 video

\x1b[1mPlan:\x1b[0m 2 videos to delete (11.0 MiB), 1 to quarantine, 1 to restore, 1 protected, 1 absent.
Plan digest: {DIGEST}  (region cn-shanghai, the default; the manifests name none)
";

/// The outcome of applying [`COLOUR_MANIFEST`] at a terminal: drift in yellow, forbidden in red,
/// the summary label in bold.
const COLOURED_OUTCOME: &str = "\
Drift: these manifest entries no longer existed in VOD:
  \x1b[33m~\x1b[0m \x1b[33mvideoId 00000000000000000000000000000000\x1b[0m

Forbidden: VOD refused to delete these (ForbiddenVideoIds):
  \x1b[31m!\x1b[0m \x1b[31m6e5f4a3b2c1d4e0f9a8b7c6d5e4f3a2b\x1b[0m

Quarantine: 1 put in quarantine, 1 restored.
Plan digest: {DIGEST}
\x1b[1mApply partial:\x1b[0m 1 video deleted, 1 absent, 1 forbidden, 0 failed.
";

/// `text` without the escape sequences the renderer uses.
fn uncoloured(text: &str) -> String {
    ["\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[1m", "\x1b[0m"]
        .iter()
        .fold(text.to_string(), |t, code| t.replace(code, ""))
}

/// The quarantine's end date of a plan made today for 14 days, as the plan shows it.
fn until_in_14_days(text: &str) -> String {
    let mut text = text.to_string();
    // Computed before and after the run would differ only across midnight UTC: both are tried.
    for days in [14, 15] {
        let until = (time::OffsetDateTime::now_utc() + time::Duration::days(days)).date();
        text = text.replace(&format!("until {until}"), "until {UNTIL}");
    }
    text
}

/// Runs `vodplan ARGS` with stdout on a terminal (a pseudo-terminal from util-linux `script`)
/// and stderr in a file, with the harness's clean environment. Returns the exit status, stdout
/// (the terminal's CRLF turned back into LF) and stderr.
fn on_a_terminal(
    dir: &Dir,
    emu: &Emulator,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = format!("exec {}", quote(BIN));
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    line.push_str(" 2>stderr.txt");
    let mut cmd = std::process::Command::new("script");
    cmd.current_dir(dir.path());
    for (k, _) in std::env::vars() {
        if k.starts_with("ALIBABA") || k.starts_with("VODPLAN") || k == "NO_COLOR" {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", dir.path())
        .env("VODPLAN_ENDPOINT", emu.endpoint())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
        .envs(env.iter().copied())
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .stdin(std::process::Stdio::null());
    let out = cmd
        .output()
        .expect("util-linux `script` runs the binary on a pseudo-terminal");
    let stdout = String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n");
    let stderr = std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap();
    std::fs::remove_file(dir.path().join("stderr.txt")).unwrap();
    assert_no_secret(&stdout, "stdout");
    assert_no_secret(&stderr, "stderr");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

fn colour_setup() -> (Dir, Emulator) {
    let dir = Dir::new();
    dir.write("m.yaml", COLOUR_MANIFEST);
    let emu = Emulator::start(&dir, COLOUR_CATALOG, &[]);
    (dir, emu)
}

#[test]
fn colour_at_a_terminal_styles_each_element() {
    let (dir, emu) = colour_setup();
    let (code, stdout, stderr) = on_a_terminal(&dir, &emu, &["plan", "m.yaml"], &[]);
    let stdout = until_in_14_days(&normalise(&stdout, &dir, Some(&emu)));
    assert_eq!((code, stdout.as_str()), (0, COLOURED_PLAN));
    assert_eq!(
        stderr,
        "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n"
    );

    // apply prints the plan it is about to apply, then the outcome.
    let (code, stdout, stderr) =
        on_a_terminal(&dir, &emu, &["apply", "m.yaml", "--auto-approve"], &[]);
    let stdout = until_in_14_days(&normalise(&stdout, &dir, Some(&emu)));
    assert_eq!(
        (code, stdout.as_str()),
        (3, format!("{COLOURED_PLAN}{COLOURED_OUTCOME}").as_str())
    );
    assert_eq!(
        normalise(&stderr, &dir, Some(&emu)),
        "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n\
         Applying plan {DIGEST}.\n\
         Journal: m.yaml.journal.jsonl\n\
         Partial: 1 deleted, 1 forbidden.\n\
         Forbidden: VOD refused to delete 1 video (ForbiddenVideoIds, listed above), which usually means the RAM identity vodplan runs as may not delete it. Two ways out: grant it vod:DeleteVideo on it (examples/ram/apply-policy.json) and run the same command again; or accept it as it is: add it to `keep` in the manifests (and remove any delete entry naming it by ID), so that it is no longer planned.\n"
    );
}

#[test]
fn no_colour_with_no_color_or_the_flag_or_without_a_terminal() {
    let (dir, emu) = colour_setup();
    let plain = uncoloured(COLOURED_PLAN);
    assert!(!plain.contains('\x1b'), "{plain}");
    for (args, env) in [
        (&["plan", "m.yaml"][..], &[("NO_COLOR", "1")][..]),
        (&["plan", "m.yaml", "--no-color"][..], &[][..]),
    ] {
        let (code, stdout, _) = on_a_terminal(&dir, &emu, args, env);
        let stdout = until_in_14_days(&normalise(&stdout, &dir, Some(&emu)));
        assert_eq!(
            (code, stdout.as_str()),
            (0, plain.as_str()),
            "{args:?} {env:?}"
        );
    }
    // An empty NO_COLOR does not count (no-color.org): colour stays on at a terminal.
    let (_, stdout, _) = on_a_terminal(&dir, &emu, &["plan", "m.yaml"], &[("NO_COLOR", "")]);
    assert_eq!(
        until_in_14_days(&normalise(&stdout, &dir, Some(&emu))),
        COLOURED_PLAN
    );
    // stdout a pipe: no escape codes.
    let r = Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml"])
        .stdout_matches("the plan without colour", move |s| {
            until_in_14_days(s) == plain
        })
        .stderr("Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n")
        .run();
    assert!(!r.stdout.contains('\x1b'));
}
