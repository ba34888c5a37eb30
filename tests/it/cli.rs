//! The command line itself: help with examples, version, completions, colour.

use crate::harness::{Dir, Emulator, vodplan};

#[test]
fn every_command_has_help_with_an_example() {
    let dir = Dir::new();
    for cmd in [
        "validate",
        "plan",
        "apply",
        "show",
        "schema",
        "emulator",
        "demo",
        "completions",
    ] {
        let r = vodplan(&dir).args([cmd, "--help"]).run();
        assert_eq!(r.code, 0, "{cmd}: {}", r.stderr);
        assert!(
            r.stdout.contains("Example"),
            "`vodplan {cmd} --help` has no example:\n{}",
            r.stdout
        );
    }
    let r = vodplan(&dir).args(["--help"]).run();
    assert!(
        r.stdout.contains("Examples:") && r.stdout.contains("--max-qps"),
        "{}",
        r.stdout
    );
}

#[test]
fn version_and_completions() {
    let dir = Dir::new();
    let r = vodplan(&dir).args(["--version"]).run();
    assert_eq!(r.stdout, format!("vodplan {}\n", env!("CARGO_PKG_VERSION")));
    for shell in ["bash", "zsh", "fish"] {
        let r = vodplan(&dir).args(["completions", shell]).run();
        assert_eq!(r.code, 0, "{shell}");
        assert!(
            r.stdout.contains("vodplan") && r.stdout.contains("auto-approve"),
            "{shell} completions:\n{}",
            r.stdout
        );
    }
}

#[test]
fn errors_end_with_a_hint() {
    let dir = Dir::new();
    for args in [
        vec!["show", "missing.json"],
        vec!["validate", "missing.yaml"],
        vec!["apply", "missing.yaml", "--auto-approve"],
    ] {
        let r = vodplan(&dir).args(&args).run();
        assert_eq!(r.code, 1, "{args:?}");
        let last = r.stderr.lines().last().unwrap_or_default();
        assert!(last.starts_with("hint: "), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn colour_only_when_asked_for_and_possible() {
    let dir = Dir::new();
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - videoId: 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910\n",
    );
    let emu = Emulator::start(&dir, include_str!("../../examples/catalog.yaml"), &[]);
    // stdout is a pipe here: no escape codes, whatever the flags.
    let r = vodplan(&dir).against(&emu).args(["plan", "m.yaml"]).run();
    assert!(!r.stdout.contains('\u{1b}'), "{}", r.stdout);
    // The renderer colours deletions red when colour is on.
    let plan = vodplan::plan::Plan::default();
    let text = vodplan::render::plan(
        &plan,
        &Default::default(),
        vodplan::render::Format::Text,
        true,
    );
    assert!(text.contains("\u{1b}[1mPlan:\u{1b}[0m"), "{text}");
}
