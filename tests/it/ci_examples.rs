//! The CI examples (`examples/ci/*.yml`) run as the hosting services run them, against the
//! emulator, so they cannot rot and cannot quietly lose the chain of custody (issue 8).
//!
//! GitHub: every `run` step of a job, in order, with GitHub's default shell
//! (`bash --noprofile --norc -eo pipefail {0}`), its `env:` chain (workflow, job, step), the
//! `GITHUB_ENV`/`GITHUB_STEP_SUMMARY` files, and GitHub's rule that after a failed step only
//! `if: always()` steps run. GitLab: `before_script` + `script` in one `bash -eo pipefail` shell,
//! `after_script` in another that runs whatever the script's exit code. What cannot be reached
//! here has a stand-in first on PATH (`tests/it/ci_fakes/`): `gh` and `curl` answer from canned
//! JSON (two plan runs with different head commits, the older one finishing last), `cargo install`
//! links the binary under test; the `uses:` actions are simulated (checkout: the work tree, cache:
//! the same HOME, the credentials action: the emulator's key, upload-artifact: a copy).
//!
//! The scenario: a pull request planned twice; its final commit adds a video that VOD refuses
//! (`forbidden: true`), so the apply exits 3 and the summary must survive it; then a drift check
//! that exits 2 and must keep its summary too. The tests fail when a step breaks, a summary is lost,
//! the older run's plan would be applied, a file is missing, or a step uses a `${{ }}` expression
//! the test does not know. The RAM policy documents of `examples/ram/` are checked against the
//! README's permission table and against the operations the client can call.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::{BIN, Dir, Emulator};

const FAKES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/ci_fakes");
const GITHUB: &str = include_str!("../../examples/ci/github-actions.yml");
const GITLAB: &str = include_str!("../../examples/ci/gitlab-ci.yml");
const MANIFEST: &str = include_str!("../../examples/manifests/cleanup.yaml");
const CATALOG: &str = include_str!("../../examples/catalog.yaml");

/// A video VOD refuses to delete (reported in ForbiddenVideoIds): applying exits 3.
const FORBIDDEN: &str = "5d4c3b2a1f0e4d9c8b7a6f5e4d3c2b1a";
const OLD_HEAD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const FINAL_HEAD: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const MERGE_SHA: &str = "cccccccccccccccccccccccccccccccccccccccc";

fn catalog() -> String {
    format!(
        "{CATALOG}  - videoId: {FORBIDDEN}\n    title: Locked by the platform\n    status: Normal\n    size: 1048576\n    forbidden: true\n"
    )
}

/// The final commit's manifest: the example, plus the forbidden video.
fn final_manifest() -> String {
    MANIFEST.replace(
        "delete:\n",
        &format!("delete:\n  - videoId: {FORBIDDEN}\n    reason: platform-locked test\n"),
    )
}

/// A CI machine: the checkout, HOME (kept between jobs, as the cache keeps ~/.cargo/bin), the
/// stand-ins' canned data and call log, and the emulator.
struct Ci {
    work: Dir,
    home: Dir,
    fake: Dir,
    emu: Emulator,
}

impl Ci {
    fn new() -> Ci {
        assert!(
            Command::new("jq").arg("--version").output().is_ok(),
            "the CI example tests need jq (the examples use it, as GitHub's gh --jq does)"
        );
        let work = Dir::new();
        work.write("manifests/cleanup.yaml", MANIFEST);
        let home = Dir::new();
        let fake = Dir::new();
        fake.write("calls.log", "");
        let emu = Emulator::start(&fake, &catalog(), &[]);
        Ci {
            work,
            home,
            fake,
            emu,
        }
    }

    fn env(&self) -> BTreeMap<String, String> {
        let path = format!(
            "{FAKES}:{}:/usr/local/bin:/usr/bin:/bin",
            self.home.path().join(".cargo/bin").display()
        );
        [
            ("PATH", path),
            ("HOME", self.home.path().display().to_string()),
            ("FAKE_DIR", self.fake.path().display().to_string()),
            ("FAKE_VODPLAN_BIN", BIN.to_string()),
            (
                "FAKE_VODPLAN_VERSION",
                env!("CARGO_PKG_VERSION").to_string(),
            ),
            ("VODPLAN_ENDPOINT", self.emu.endpoint()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn calls(&self) -> String {
        self.fake.read("calls.log")
    }
}

/// Runs `script` in `bash` with exactly `env`, in `dir`; its exit code.
fn bash(flags: &[&str], script: &str, dir: &Path, env: &BTreeMap<String, String>) -> i32 {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), script).unwrap();
    let out = Command::new("bash")
        .args(flags)
        .arg(file.path())
        .current_dir(dir)
        .env_clear()
        .envs(env)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    eprintln!(
        "--- step (exit {code}):\n{script}\n--- stdout:\n{}--- stderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    code
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("the example is valid YAML")
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions

/// What a job left behind.
struct JobRun {
    /// Exit codes of the `run` steps that ran, in order.
    codes: Vec<i32>,
    failed: bool,
    summary: String,
    /// `role-to-assume` of the credentials steps.
    roles: Vec<String>,
}

/// The values of the `${{ }}` expressions the workflow's `env:` maps may use.
fn github_expr(expr: &str, ctx: &BTreeMap<&str, String>) -> String {
    let inner = expr
        .trim()
        .trim_start_matches("${{")
        .trim_end_matches("}}")
        .trim();
    ctx.get(inner)
        .cloned()
        .unwrap_or_else(|| panic!("the test does not know the expression {expr:?}"))
}

fn github_env(
    map: Option<&Value>,
    ctx: &BTreeMap<&str, String>,
    into: &mut BTreeMap<String, String>,
) {
    for (k, v) in map.and_then(Value::as_object).into_iter().flatten() {
        let v = match v {
            Value::String(s) if s.contains("${{") => github_expr(s, ctx),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        into.insert(k.clone(), v);
    }
}

/// Runs job `name` of the workflow as GitHub would, for run `run_id` at commit `sha`.
fn github_job(
    ci: &Ci,
    name: &str,
    run_id: u64,
    sha: &str,
    event: &str,
    pr: Option<(u64, &str)>,
) -> JobRun {
    let wf = yaml(GITHUB);
    let job = &wf["jobs"][name];
    assert!(job.is_object(), "no job {name}");
    let mut ctx: BTreeMap<&str, String> = BTreeMap::new();
    ctx.insert("github.token", "ghs_fake".into());
    ctx.insert("github.sha", sha.into());
    if let Some((n, head)) = pr {
        ctx.insert("github.event.pull_request.number", n.to_string());
        ctx.insert("github.event.pull_request.head.sha", head.into());
    }
    let mut env = ci.env();
    github_env(wf.get("env"), &ctx, &mut env);
    github_env(job.get("env"), &ctx, &mut env);
    let runner = Dir::new();
    let summary = runner.write("summary.md", "");
    let genv = runner.write("github_env", "");
    for (k, v) in [
        ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
        ("GITHUB_ENV", genv.display().to_string()),
        ("GITHUB_SHA", sha.into()),
        ("GITHUB_REPOSITORY", "octo/videos".into()),
        ("GITHUB_EVENT_NAME", event.into()),
        ("CI", "true".into()),
    ] {
        env.insert(k.into(), v);
    }
    let mut out = JobRun {
        codes: vec![],
        failed: false,
        summary: String::new(),
        roles: vec![],
    };
    for step in job["steps"].as_array().unwrap() {
        let always = step
            .get("if")
            .and_then(Value::as_str)
            .is_some_and(|c| c.contains("always()"));
        if out.failed && !always {
            continue;
        }
        if let Some(uses) = step.get("uses").and_then(Value::as_str) {
            let with = &step["with"];
            match uses.split('@').next().unwrap() {
                "actions/checkout" => {}
                "actions/cache" => assert_eq!(with["path"], "~/.cargo/bin/vodplan", "{step}"),
                "aliyun/configure-aliyun-credentials-action" => {
                    out.roles
                        .push(with["role-to-assume"].as_str().unwrap().into());
                    assert!(with["oidc-provider-arn"].is_string(), "{step}");
                    env.insert("ALIBABA_CLOUD_ACCESS_KEY_ID".into(), "testid".into());
                    env.insert(
                        "ALIBABA_CLOUD_ACCESS_KEY_SECRET".into(),
                        "testsecret".into(),
                    );
                }
                "actions/upload-artifact" => {
                    let name = with["name"].as_str().unwrap();
                    let to = ci.fake.path().join(format!("artifacts/{run_id}/{name}"));
                    std::fs::create_dir_all(&to).unwrap();
                    for p in with["path"].as_str().unwrap().split_whitespace() {
                        let from = ci.work.path().join(p);
                        if from.is_file() {
                            std::fs::copy(&from, to.join(p)).unwrap();
                        }
                    }
                }
                other => panic!("the test does not simulate the action {other}"),
            }
            continue;
        }
        let script = step["run"].as_str().expect("a step is `uses` or `run`");
        assert!(
            !script.contains("${{"),
            "no expression inside a run script (script injection); pass values through env:\n{script}"
        );
        let mut step_env = env.clone();
        github_env(step.get("env"), &ctx, &mut step_env);
        let code = bash(
            &["--noprofile", "--norc", "-eo", "pipefail"],
            script,
            ci.work.path(),
            &step_env,
        );
        out.codes.push(code);
        if code != 0 {
            out.failed = true;
        }
        for line in std::fs::read_to_string(&genv).unwrap().lines() {
            if let Some((k, v)) = line.split_once('=') {
                env.insert(k.into(), v.into());
            }
        }
    }
    out.summary = std::fs::read_to_string(&summary).unwrap();
    out
}

/// One pull-request run of the plan job, registered with the `gh` stand-in.
fn github_pr_run(ci: &Ci, run_id: u64, head: &str, manifest: &str) -> JobRun {
    ci.work.write("manifests/cleanup.yaml", manifest);
    let r = github_job(ci, "plan", run_id, head, "pull_request", Some((7, head)));
    let mut runs: Vec<Value> = serde_json::from_str(&ci.fake.read("runs.json")).unwrap_or_default();
    runs.insert(
        0,
        json!({"databaseId": run_id, "headSha": head, "event": "pull_request",
               "status": "completed", "conclusion": if r.failed { "failure" } else { "success" }}),
    );
    ci.fake
        .write("runs.json", &serde_json::to_string(&runs).unwrap());
    r
}

#[test]
fn github_actions_example_applies_the_final_heads_plan_and_keeps_every_summary() {
    let ci = Ci::new();
    // Someone else's comment quoting the marker is never the one updated.
    let human =
        json!([{"id": 1, "user": {"login": "mallory"}, "body": "<!-- vodplan-plan --> all clear"}]);
    ci.fake.write("comments.json", &human.to_string());
    ci.fake.write("runs.json", "[]");

    // The pull request's final commit is planned first (run 101); a re-run of its older commit
    // finishes later (run 102) and is the newest run of the branch.
    let fin = github_pr_run(&ci, 101, FINAL_HEAD, &final_manifest());
    assert_eq!(
        fin.codes,
        [0, 0, 0],
        "install, plan (exit 2 is success), comment"
    );
    assert!(!fin.failed);
    assert!(
        fin.summary.starts_with("<!-- vodplan-plan -->"),
        "{}",
        fin.summary
    );
    assert!(fin.summary.contains("| 3 | 1 | 1 |"), "{}", fin.summary);
    assert!(
        fin.summary
            .contains(&format!("Planned at head commit {FINAL_HEAD}."))
    );
    let old = github_pr_run(&ci, 102, OLD_HEAD, MANIFEST);
    assert_eq!(old.codes, [0, 0, 0]);
    assert_eq!(
        fin.roles,
        ["${{ vars.VOD_PLAN_ROLE_ARN }}"],
        "plan is read-only"
    );
    let comments: Value = serde_json::from_str(&ci.fake.read("comments.json")).unwrap();
    assert_eq!(
        comments.as_array().unwrap().len(),
        2,
        "one comment, updated in place"
    );
    assert_eq!(comments[0], human[0]);
    assert!(comments[1]["body"].as_str().unwrap().contains(OLD_HEAD));
    assert_eq!(
        ci.emu.calls("DeleteVideo"),
        0,
        "a pull request never deletes"
    );

    // Merge: the apply must take run 101's plan, and VOD refuses one video: exit 3, and the
    // summary still tells all of it.
    ci.work.write("manifests/cleanup.yaml", &final_manifest());
    ci.fake.write(
        &format!("pulls-{MERGE_SHA}.json"),
        &json!([{"number": 7, "merged_at": "2026-11-24T10:00:00Z", "head": {"sha": FINAL_HEAD}}])
            .to_string(),
    );
    let apply = github_job(&ci, "apply", 200, MERGE_SHA, "push", None);
    assert_eq!(
        apply.codes,
        [0, 0, 3],
        "install, find the plan, apply (partial)"
    );
    assert_eq!(apply.roles, ["${{ vars.VOD_APPLY_ROLE_ARN }}"]);
    let calls = ci.calls();
    assert!(calls.contains(&format!("--commit {FINAL_HEAD}")), "{calls}");
    assert!(calls.contains("gh run download 101 "), "{calls}");
    assert!(
        !calls.contains("gh run download 102"),
        "the older commit's plan: {calls}"
    );
    assert!(
        apply.summary.starts_with(&format!(
            "Applied the plan reviewed on #7 (head commit {FINAL_HEAD}, run 101)."
        )),
        "{}",
        apply.summary
    );
    assert!(
        apply.summary.contains("<!-- vodplan-apply -->"),
        "{}",
        apply.summary
    );
    assert!(
        apply.summary.contains("| 2 | 1 | 1 | 0 |"),
        "{}",
        apply.summary
    );
    assert!(apply.summary.contains(FORBIDDEN));
    assert!(apply.summary.contains("Exit code: 3"));
    // Once plans carry a digest, the reviewed summary and the apply summary show the same one.
    let reviewed = ci.work.read("reviewed/plan.txt");
    if let Some(at) = reviewed.find("Plan digest: ") {
        let digest = &reviewed[at..at + "Plan digest: ".len() + 12];
        assert!(
            fin.summary.contains(digest),
            "{digest} in the reviewed summary"
        );
        assert!(
            apply.summary.contains(digest),
            "{digest} in the apply summary"
        );
    }
    assert!(ci.work.read("journal.jsonl").contains("\"finish\""));
    assert_eq!(ci.emu.videos(), 4);
    assert_eq!(
        calls.matches("cargo install").count(),
        1,
        "vodplan is installed once, then cached: {calls}"
    );

    // Schedule: the forbidden video is still there, so the drift check is red, with its summary.
    let drift = github_job(&ci, "drift", 300, MERGE_SHA, "schedule", None);
    assert_eq!(drift.codes, [0, 2]);
    assert_eq!(drift.roles, ["${{ vars.VOD_PLAN_ROLE_ARN }}"]);
    assert!(
        drift.summary.starts_with("<!-- vodplan-plan -->"),
        "{}",
        drift.summary
    );
    assert!(drift.summary.contains(FORBIDDEN));
    assert!(
        drift
            .summary
            .contains("Drift: the manifests ask for deletions")
    );
}

#[test]
fn github_actions_example_refuses_without_a_reviewed_plan_of_the_final_head() {
    let ci = Ci::new();
    ci.fake.write("comments.json", "[]");
    ci.fake.write("runs.json", "[]");
    github_pr_run(&ci, 102, OLD_HEAD, MANIFEST);

    // A push that merged no pull request.
    let r = github_job(&ci, "apply", 200, MERGE_SHA, "push", None);
    assert_eq!(r.codes, [0, 1]);
    assert!(r.failed);
    assert!(
        r.summary
            .contains(&format!("No merged pull request for {MERGE_SHA}")),
        "{}",
        r.summary
    );

    // A merged pull request whose final head was never planned: the older run is not taken.
    ci.fake.write(
        &format!("pulls-{MERGE_SHA}.json"),
        &json!([{"number": 7, "merged_at": "2026-11-24T10:00:00Z", "head": {"sha": FINAL_HEAD}}])
            .to_string(),
    );
    let r = github_job(&ci, "apply", 201, MERGE_SHA, "push", None);
    assert_eq!(r.codes, [0, 1]);
    assert!(
        r.summary.contains(&format!(
            "No successful plan run for #7 at its final head commit {FINAL_HEAD}"
        )),
        "{}",
        r.summary
    );
    assert!(!ci.calls().contains("gh run download"));
    assert_eq!(ci.emu.calls("DeleteVideo"), 0);
}

// ---------------------------------------------------------------------------------------------
// GitLab CI

const GITLAB_API: &str = "https://gitlab.example/api/v4";

/// `$NAME` and `${NAME}` in a GitLab variable's value, from the variables known so far.
fn gitlab_expand(v: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, tail) = if let Some(b) = after.strip_prefix('{') {
            let end = b.find('}').unwrap();
            (&b[..end], &b[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push_str(env.get(name).map(String::as_str).unwrap_or(""));
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn gitlab_vars(map: Option<&Value>, into: &mut BTreeMap<String, String>) {
    for (k, v) in map.and_then(Value::as_object).into_iter().flatten() {
        let v = gitlab_expand(v.as_str().unwrap(), into);
        into.insert(k.clone(), v);
    }
}

fn lines(v: &Value) -> String {
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs job `name` as a GitLab bash runner would; (script exit code, after_script exit code).
fn gitlab_job(ci: &Ci, name: &str, ci_vars: &[(&str, String)]) -> (i32, Option<i32>) {
    let doc = yaml(GITLAB);
    let job = &doc[name];
    assert!(job.is_object(), "no job {name}");
    let mut env = ci.env();
    env.insert(
        "CI_PROJECT_DIR".into(),
        ci.work.path().display().to_string(),
    );
    env.insert("CI_API_V4_URL".into(), GITLAB_API.into());
    env.insert("FAKE_API".into(), GITLAB_API.into());
    env.insert("CI_PROJECT_ID".into(), "42".into());
    env.insert("CI_DEFAULT_BRANCH".into(), "main".into());
    env.insert("VODPLAN_GITLAB_TOKEN".into(), "glpat-fake".into());
    for (k, v) in ci_vars {
        env.insert(k.to_string(), v.clone());
    }
    gitlab_vars(doc.get("variables"), &mut env);
    if let Some(base) = job.get("extends").and_then(Value::as_str) {
        gitlab_vars(doc[base].get("variables"), &mut env);
    }
    gitlab_vars(job.get("variables"), &mut env);
    // The static-key fallback (no ID token here): the emulator's key.
    assert!(!env.contains_key("VOD_ID_TOKEN"));
    env.insert("ALIBABA_CLOUD_ACCESS_KEY_ID".into(), "testid".into());
    env.insert(
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET".into(),
        "testsecret".into(),
    );
    let before = job
        .get("before_script")
        .or_else(|| doc["default"].get("before_script"))
        .map(lines)
        .unwrap_or_default();
    let script = format!("{before}\n{}", lines(&job["script"]));
    let code = bash(
        &["--noprofile", "--norc", "-eo", "pipefail"],
        &script,
        ci.work.path(),
        &env,
    );
    let after = job.get("after_script").map(|a| {
        bash(
            &["--noprofile", "--norc", "-eo", "pipefail"],
            &lines(a),
            ci.work.path(),
            &env,
        )
    });
    (code, after)
}

/// One merge-request pipeline's plan job, registered with the `curl` stand-in.
fn gitlab_mr_pipeline(ci: &Ci, pipeline: u64, head: &str, manifest: &str) -> i32 {
    ci.work.write("manifests/cleanup.yaml", manifest);
    let (code, _) = gitlab_job(
        ci,
        "vodplan-plan",
        &[
            ("CI_PIPELINE_SOURCE", "merge_request_event".into()),
            ("CI_COMMIT_SHA", head.into()),
            ("CI_PIPELINE_ID", pipeline.to_string()),
            ("CI_MERGE_REQUEST_IID", "5".into()),
        ],
    );
    let job = pipeline * 10;
    let art = ci.fake.path().join(format!("artifacts/{job}"));
    std::fs::create_dir_all(&art).unwrap();
    std::fs::copy(ci.work.path().join("plan.json"), art.join("plan.json")).unwrap();
    ci.fake.write(
        &format!("jobs-{pipeline}.json"),
        &json!([{"id": job, "name": "vodplan-plan", "status": "success"}]).to_string(),
    );
    let mut pipelines: Vec<Value> =
        serde_json::from_str(&ci.fake.read("pipelines.json")).unwrap_or_default();
    pipelines.insert(
        0,
        json!({"id": pipeline, "sha": head, "ref": "refs/merge-requests/5/head",
               "status": if code == 0 { "success" } else { "failed" }}),
    );
    ci.fake.write(
        "pipelines.json",
        &serde_json::to_string(&pipelines).unwrap(),
    );
    code
}

fn push_vars() -> Vec<(&'static str, String)> {
    vec![
        ("CI_PIPELINE_SOURCE", "push".into()),
        ("CI_COMMIT_SHA", MERGE_SHA.into()),
        ("CI_COMMIT_BRANCH", "main".into()),
        ("CI_PIPELINE_ID", "400".into()),
    ]
}

#[test]
fn gitlab_example_applies_the_final_heads_plan_and_keeps_every_summary() {
    let ci = Ci::new();
    let human = json!([{"id": 1, "author": {"id": 5}, "body": "<!-- vodplan-plan --> all clear"}]);
    ci.fake.write("notes.json", &human.to_string());
    ci.fake.write("pipelines.json", "[]");

    // The final head's pipeline (300), then a retried pipeline of the older head (301, newer).
    assert_eq!(
        gitlab_mr_pipeline(&ci, 300, FINAL_HEAD, &final_manifest()),
        0
    );
    let plan_md = ci.work.read("plan.md");
    assert!(plan_md.starts_with("<!-- vodplan-plan -->"), "{plan_md}");
    assert!(plan_md.contains("| 3 | 1 | 1 |"), "{plan_md}");
    assert_eq!(gitlab_mr_pipeline(&ci, 301, OLD_HEAD, MANIFEST), 0);
    let notes: Value = serde_json::from_str(&ci.fake.read("notes.json")).unwrap();
    assert_eq!(
        notes.as_array().unwrap().len(),
        2,
        "one note, updated in place"
    );
    assert_eq!(notes[0], human[0]);
    assert!(notes[1]["body"].as_str().unwrap().contains(OLD_HEAD));
    assert_eq!(ci.emu.calls("DeleteVideo"), 0);

    // Merge: pipeline 300's artifact, exit 3, and the result still reaches the MR.
    ci.work.write("manifests/cleanup.yaml", &final_manifest());
    ci.fake.write(
        &format!("mrs-{MERGE_SHA}.json"),
        &json!([{"iid": 5, "state": "merged", "sha": FINAL_HEAD}]).to_string(),
    );
    let (code, after) = gitlab_job(&ci, "vodplan-apply", &push_vars());
    assert_eq!((code, after), (3, Some(0)));
    let calls = ci.calls();
    assert!(
        calls.contains("/projects/42/merge_requests/5/pipelines"),
        "{calls}"
    );
    assert!(calls.contains("/jobs/3000/artifacts/plan.json"), "{calls}");
    assert!(
        !calls.contains("/jobs/3010/"),
        "the older head's plan: {calls}"
    );
    let apply_md = ci.work.read("apply.md");
    assert!(
        apply_md.starts_with(&format!(
            "Applying the plan reviewed on !5 (head commit {FINAL_HEAD}, pipeline 300, job 3000)."
        )),
        "{apply_md}"
    );
    assert!(apply_md.contains("| 2 | 1 | 1 | 0 |"), "{apply_md}");
    assert!(apply_md.contains("Exit code: 3"));
    let notes: Value = serde_json::from_str(&ci.fake.read("notes.json")).unwrap();
    assert_eq!(notes[2]["mr"], "5");
    assert_eq!(
        notes[2]["body"].as_str().unwrap(),
        apply_md,
        "the result on the MR"
    );
    assert_eq!(ci.emu.videos(), 4);
    assert_eq!(calls.matches("cargo install").count(), 1, "cached: {calls}");

    // Schedule: red, with its report.
    let (code, _) = gitlab_job(
        &ci,
        "vodplan-drift",
        &[("CI_PIPELINE_SOURCE", "schedule".into())],
    );
    assert_eq!(code, 2);
    let drift = ci.work.read("drift.md");
    assert!(
        drift.starts_with("<!-- vodplan-plan -->") && drift.contains(FORBIDDEN),
        "{drift}"
    );
    assert!(drift.contains("Drift: the manifests ask for deletions"));
}

#[test]
fn gitlab_example_refuses_without_a_reviewed_plan_of_the_final_head() {
    let ci = Ci::new();
    ci.fake.write("notes.json", "[]");
    ci.fake.write("pipelines.json", "[]");
    assert_eq!(gitlab_mr_pipeline(&ci, 301, OLD_HEAD, MANIFEST), 0);

    let (code, _) = gitlab_job(&ci, "vodplan-apply", &push_vars());
    assert_eq!(code, 1);
    assert!(ci.work.read("apply.md").contains("No merged merge request"));

    ci.fake.write(
        &format!("mrs-{MERGE_SHA}.json"),
        &json!([{"iid": 5, "state": "merged", "sha": FINAL_HEAD}]).to_string(),
    );
    let (code, after) = gitlab_job(&ci, "vodplan-apply", &push_vars());
    assert_eq!((code, after), (1, Some(0)));
    assert!(
        ci.work.read("apply.md").contains(&format!(
            "No successful pipeline of !5 at its head commit {FINAL_HEAD}"
        )),
        "{}",
        ci.work.read("apply.md")
    );
    assert!(!ci.calls().contains("/artifacts/"));
    assert_eq!(ci.emu.calls("DeleteVideo"), 0);
}

#[test]
fn the_examples_pin_the_version_this_crate_builds() {
    let gh = yaml(GITHUB);
    let gl = yaml(GITLAB);
    assert_eq!(gh["env"]["VODPLAN_VERSION"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        gl["variables"]["VODPLAN_VERSION"],
        env!("CARGO_PKG_VERSION")
    );
    // The delete-capable identity is only in the apply jobs.
    for (job, body) in gh["jobs"].as_object().unwrap() {
        let text = body.to_string();
        assert_eq!(text.contains("VOD_APPLY"), job == "apply", "{job}");
        assert_eq!(body.get("environment").is_some(), job == "apply", "{job}");
    }
    for (job, body) in gl.as_object().unwrap() {
        let text = body.to_string();
        assert_eq!(text.contains("VOD_APPLY"), job == "vodplan-apply", "{job}");
    }
    assert_eq!(
        gh["jobs"]["apply"]["concurrency"]["cancel-in-progress"],
        false
    );
    assert_eq!(gl["vodplan-apply"]["resource_group"], "vodplan-apply");
}

// ---------------------------------------------------------------------------------------------
// RAM policies

/// The actions a policy document allows, in file order.
fn policy_actions(text: &str) -> Vec<String> {
    let doc: Value = serde_json::from_str(text).expect("a policy is JSON");
    assert_eq!(doc["Version"], "1", "RAM policy syntax");
    let statements = doc["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0]["Effect"], "Allow");
    assert_eq!(
        statements[0]["Resource"], "*",
        "VOD authorizes per operation"
    );
    statements[0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_readme_permission_table_is_exactly_the_ram_policies() {
    let plan = policy_actions(include_str!("../../examples/ram/plan-policy.json"));
    let apply = policy_actions(include_str!("../../examples/ram/apply-policy.json"));
    let readme = include_str!("../../README.md");
    let section = readme
        .split("\n## RAM permissions\n")
        .nth(1)
        .expect("README has a RAM permissions section")
        .split("\n## ")
        .next()
        .unwrap();
    let (mut in_plan, mut in_apply) = (vec![], vec![]);
    for row in section.lines().filter(|l| l.starts_with("| `vod:")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let action = cells[1].trim_matches('`').to_string();
        match cells[2] {
            "yes" => in_plan.push(action.clone()),
            "" => {}
            other => panic!("plan cell {other:?} in {row}"),
        }
        match cells[3] {
            "yes" => in_apply.push(action),
            "" => {}
            other => panic!("apply cell {other:?} in {row}"),
        }
    }
    assert_eq!(
        in_plan, plan,
        "README table vs examples/ram/plan-policy.json"
    );
    assert_eq!(
        in_apply, apply,
        "README table vs examples/ram/apply-policy.json"
    );

    // Every operation the client can call is allowed to apply; every read one (Get*, Search*,
    // Describe*) to plan, and nothing else: plan is read-only.
    let reads = |a: &str| {
        a.starts_with("vod:Get") || a.starts_with("vod:Search") || a.starts_with("vod:Describe")
    };
    for action in vodplan::vod::api::Action::ALL {
        let name = format!("vod:{}", action.name());
        assert!(
            apply.contains(&name),
            "{name} missing from apply-policy.json"
        );
        if reads(&name) {
            assert!(plan.contains(&name), "{name} missing from plan-policy.json");
        }
    }
    assert!(plan.iter().all(|a| reads(a)), "plan is read-only: {plan:?}");
}

#[test]
fn the_oidc_trust_policies_pin_issuer_audience_and_subject() {
    for (text, iss, sub) in [
        (
            include_str!("../../examples/ram/trust-github-oidc.json"),
            "https://token.actions.githubusercontent.com",
            "repo:<owner>/<repo>:environment:vod-production",
        ),
        (
            include_str!("../../examples/ram/trust-gitlab-oidc.json"),
            "https://gitlab.com",
            "project_path:<group>/<project>:ref_type:branch:ref:main",
        ),
    ] {
        let doc: Value = serde_json::from_str(text).unwrap();
        let st = &doc["Statement"][0];
        assert_eq!(st["Action"], "sts:AssumeRole");
        assert!(
            st["Principal"]["Federated"][0]
                .as_str()
                .unwrap()
                .contains(":oidc-provider/")
        );
        let eq = &st["Condition"]["StringEquals"];
        assert_eq!(eq["oidc:iss"], iss);
        assert_eq!(eq["oidc:aud"], "sts.aliyuncs.com");
        assert_eq!(
            eq["oidc:sub"], sub,
            "the apply role: protected environment or branch only"
        );
    }
    for text in [
        include_str!("../../examples/ram/trust-github-oidc-plan.json"),
        include_str!("../../examples/ram/trust-gitlab-oidc-plan.json"),
    ] {
        let doc: Value = serde_json::from_str(text).unwrap();
        let cond = &doc["Statement"][0]["Condition"];
        assert!(cond["StringEquals"]["oidc:aud"] == "sts.aliyuncs.com");
        assert!(cond.to_string().contains("oidc:sub"));
    }
}

#[test]
fn the_auth_error_names_the_permissions_of_the_policies() {
    let dir = Dir::new();
    dir.write("m.yaml", MANIFEST);
    let emu = Emulator::start(&dir, CATALOG, &[]);
    let r = crate::harness::vodplan(&dir)
        .against(&emu)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrongsecret")
        .args(["plan", "m.yaml"])
        .run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let hint = r.stderr.lines().find(|l| l.starts_with("hint:")).unwrap();
    let plan = policy_actions(include_str!("../../examples/ram/plan-policy.json"));
    let apply = policy_actions(include_str!("../../examples/ram/apply-policy.json"));
    let (plan_part, apply_part) = hint.split_once("; apply also ").unwrap();
    let named = |text: &str| -> Vec<String> {
        text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|w| w.starts_with("vod:"))
            .map(String::from)
            .collect()
    };
    assert_eq!(named(plan_part), plan, "{hint}");
    let mut all = named(plan_part);
    all.extend(named(apply_part));
    assert_eq!(all, apply, "{hint}");
}
