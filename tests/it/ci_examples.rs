//! The CI examples' own shell steps, run against the emulator in order (pull request, merge,
//! schedule), so that `examples/ci/*.yml` cannot rot. GitHub and GitLab themselves are not
//! involved: the steps marked `# vodplan-ci-test` are extracted and run with bash, with
//! `vodplan` on the PATH and the emulator as the endpoint.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::{BIN, Dir, Emulator};

const MARK: &str = "# vodplan-ci-test";

/// Every marked script of a pipeline file, per job, in file order.
fn marked_scripts(file: &str) -> Vec<(String, String)> {
    let doc: Value = serde_saphyr::from_str(file).unwrap();
    let mut out = Vec::new();
    let jobs = doc.get("jobs").unwrap_or(&doc).as_object().unwrap();
    for (job, body) in jobs {
        let scripts: Vec<&Value> = match (body.get("steps"), body.get("script")) {
            (Some(steps), _) => steps
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|s| s.get("run"))
                .collect(),
            (None, Some(script)) => script.as_array().unwrap().iter().collect(),
            _ => continue,
        };
        for s in scripts {
            if let Some(text) = s.as_str().filter(|t| t.trim_start().starts_with(MARK)) {
                out.push((job.clone(), text.to_string()));
            }
        }
    }
    out
}

fn run_step(dir: &Dir, emu: &Emulator, script: &str) -> i32 {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("HOME", dir.path())
        .env("VODPLAN_ENDPOINT", emu.endpoint())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
        .env("ALIBABA_CLOUD_REGION_ID", "cn-shanghai")
        .env("NO_COLOR", "1")
        .env("GITHUB_STEP_SUMMARY", dir.path().join("summary.md"))
        .status()
        .unwrap();
    status.code().unwrap_or(-1)
}

fn rehearse(pipeline: &str, jobs: [&str; 3]) {
    let dir = Dir::new();
    dir.write(
        "manifests/cleanup.yaml",
        include_str!("../../examples/manifests/cleanup.yaml"),
    );
    let emu = Emulator::start(&dir, include_str!("../../examples/catalog.yaml"), &[]);
    let scripts = marked_scripts(pipeline);
    let of = |job: &str| {
        scripts
            .iter()
            .filter(|(j, _)| j == job)
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>()
    };
    let [plan_job, apply_job, drift_job] = jobs;
    assert!(
        !of(plan_job).is_empty() && !of(apply_job).is_empty() && !of(drift_job).is_empty(),
        "{scripts:?}"
    );

    // Pull request: validate, plan, the markdown plan with its marker, the saved plan.
    for s in of(plan_job) {
        assert_eq!(run_step(&dir, &emu, s), 0, "{plan_job}: {s}");
    }
    let plan_md = dir.read("plan.md");
    assert!(plan_md.starts_with("<!-- vodplan-plan -->"), "{plan_md}");
    assert!(plan_md.contains("| 2 | 1 | 1 |"), "{plan_md}");
    assert!(dir.path().join("plan.json").is_file());
    assert_eq!(emu.calls("DeleteVideo"), 0, "a pull request never deletes");

    // Merge: apply exactly the reviewed plan, with its journal.
    for s in of(apply_job) {
        assert_eq!(run_step(&dir, &emu, s), 0, "{apply_job}: {s}");
    }
    assert!(
        dir.read("apply.md").contains("| 2 | 1 | 0 | 0 |"),
        "{}",
        dir.read("apply.md")
    );
    assert!(dir.read("journal.jsonl").contains("\"finish\""));
    assert_eq!(emu.videos(), 3);

    // Schedule: green while reality matches, red once a listed video exists again.
    for s in of(drift_job) {
        assert_eq!(run_step(&dir, &emu, s), 0, "{drift_job}: {s}");
    }
    let mut manifest = dir.read("manifests/cleanup.yaml");
    manifest = manifest.replace(
        "delete:\n",
        "delete:\n  - videoId: 9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b\n",
    );
    dir.write("manifests/cleanup.yaml", &manifest);
    let codes: Vec<i32> = of(drift_job)
        .iter()
        .map(|s| run_step(&dir, &emu, s))
        .collect();
    assert!(codes.contains(&2), "the drift job turns red: {codes:?}");
    if Path::new(&dir.path().join("summary.md")).exists() {
        assert!(dir.read("summary.md").contains("<!-- vodplan-plan -->"));
    }
}

#[test]
fn the_github_actions_example_works_against_the_emulator() {
    rehearse(
        include_str!("../../examples/ci/github-actions.yml"),
        ["plan", "apply", "drift"],
    );
}

#[test]
fn the_gitlab_example_works_against_the_emulator() {
    rehearse(
        include_str!("../../examples/ci/gitlab-ci.yml"),
        ["vodplan-plan", "vodplan-apply", "vodplan-drift"],
    );
}
