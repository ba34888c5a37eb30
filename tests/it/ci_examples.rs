//! The CI examples (`examples/ci/*.yml`) and the setup action (`action.yml`, `action/setup.sh`) run
//! as the hosting services run them, against the emulator, so they cannot rot and cannot quietly
//! lose the chain of custody.
//!
//! GitHub: every `run` step of a job, in order, with GitHub's default shell
//! (`bash --noprofile --norc -eo pipefail {0}`), its `env:` chain (workflow, job, step), the
//! `GITHUB_ENV`/`GITHUB_OUTPUT`/`GITHUB_PATH`/`GITHUB_STEP_SUMMARY` files, and GitHub's rule that
//! after a failed step only `if: always()` steps run. The setup action runs as a composite action:
//! each step of `action.yml` with its inputs and step outputs, the real `action/setup.sh`, and the
//! real `curl` against a local stand-in of the releases page (an archive made from the binary under
//! test, with its `.sha256`, in dist's layout); the cache keeps the tool cache between jobs.
//! GitLab: `before_script` + `script` in one `bash -eo pipefail` shell, `after_script` in another
//! that runs whatever the script's exit code; its install step downloads from the same stand-in.
//! What cannot be reached here has a stand-in first on PATH (`tests/it/ci_fakes/`): `gh` and the
//! GitLab API behind `curl` answer from canned JSON (two plan runs with different head commits, the
//! older one finishing last); `curl` to the releases stand-in is the real curl. The other `uses:`
//! actions are simulated (checkout: the work tree, cache: the same tool cache, the credentials
//! action: the emulator's key, upload-artifact: a copy). Nothing stands in for vodplan or cargo:
//! the examples run the binary the setup action installed.
//!
//! The scenario: a pull request planned twice; its final commit adds a video that VOD refuses
//! (`forbidden: true`), so the apply exits 3 and the summary must survive it; then a scheduled
//! apply that still meets the refusal, and a drift check that exits 2 and must keep its summary.
//! The tests fail when a step breaks, a summary is lost, the older run's plan would be applied, a
//! file is missing, a tampered archive is installed, or a step uses a `${{ }}` expression the test
//! does not know. The RAM policy documents of `examples/ram/` are checked against the
//! permission table of `docs/credentials.md` and against the operations the client can call.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::{BIN, Dir, Emulator};

const FAKES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/ci_fakes");
const ACTION_PATH: &str = env!("CARGO_MANIFEST_DIR");
const ACTION: &str = include_str!("../../action.yml");
const GITHUB: &str = include_str!("../../examples/ci/github-actions.yml");
const GITLAB: &str = include_str!("../../examples/ci/gitlab-ci.yml");
const MANIFEST: &str = include_str!("../../examples/manifests/cleanup.yaml");
const CATALOG: &str = include_str!("../../examples/catalog.yaml");
const VERSION: &str = env!("CARGO_PKG_VERSION");

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

/// The release target of this machine, as the release workflow names it, and GitHub's RUNNER_ARCH.
fn target() -> (&'static str, &'static str) {
    match std::env::consts::ARCH {
        "x86_64" => ("x86_64-unknown-linux-musl", "X64"),
        "aarch64" => ("aarch64-unknown-linux-musl", "ARM64"),
        other => panic!("no vodplan release target for {other}"),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------------------------
// A local stand-in of the releases page

/// Serves `root` at `/releases/...` over loopback HTTP, answers `/releases/latest` with GitHub's
/// redirect to `/releases/tag/vVERSION`, and logs every request's path.
struct Releases {
    base: String,
    root: Dir,
    log: Arc<Mutex<Vec<String>>>,
}

impl Releases {
    fn start() -> Releases {
        let root = Dir::new();
        let dir = root.path().to_path_buf();
        let log = Arc::new(Mutex::new(Vec::new()));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/releases", listener.local_addr().unwrap());
        let requests = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if line == "\r\n" => break,
                        Ok(_) => {}
                    }
                }
                let path = first.split(' ').nth(1).unwrap_or("/").to_string();
                requests.lock().unwrap().push(path.clone());
                let rel = path.strip_prefix("/releases/").unwrap_or("");
                let file = dir.join(rel);
                let reply = if rel == "latest" {
                    format!(
                        "HTTP/1.1 302 Found\r\nLocation: /releases/tag/v{VERSION}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    .into_bytes()
                } else if rel.starts_with("tag/") {
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_vec()
                } else if !rel.is_empty() && !rel.contains("..") && file.is_file() {
                    let body = std::fs::read(&file).unwrap();
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                } else {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_vec()
                };
                let _ = stream.write_all(&reply);
            }
        });
        Releases { base, root, log }
    }

    /// Publishes `version` as the release workflow does: `vodplan-TARGET.tar.gz` holding
    /// `vodplan-TARGET/vodplan` (the binary under test), its `.sha256` and `sha256.sum`. With
    /// `tampered`, the archive served is not the one the checksums describe. Returns the hash.
    fn publish(&self, version: &str, tampered: bool) -> String {
        let (target, _) = target();
        let stage = Dir::new();
        let inner = stage.path().join(format!("vodplan-{target}"));
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::copy(BIN, inner.join("vodplan")).unwrap();
        let name = format!("vodplan-{target}.tar.gz");
        let dir = self.root.path().join(format!("download/v{version}"));
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("tar")
            .arg("-czf")
            .arg(dir.join(&name))
            .arg("-C")
            .arg(stage.path())
            .arg(format!("vodplan-{target}"))
            .status()
            .unwrap();
        assert!(status.success(), "tar");
        let hash = sha256_hex(&std::fs::read(dir.join(&name)).unwrap());
        let line = format!("{hash} *{name}\n");
        std::fs::write(dir.join(format!("{name}.sha256")), &line).unwrap();
        std::fs::write(dir.join("sha256.sum"), format!("{line}\n")).unwrap();
        if tampered {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(dir.join(&name))
                .unwrap();
            f.write_all(b"tampered").unwrap();
        }
        hash
    }

    /// How many requests asked for a path ending with `suffix`.
    fn requests(&self, suffix: &str) -> usize {
        let log = self.log.lock().unwrap();
        log.iter().filter(|p| p.ends_with(suffix)).count()
    }
}

/// A CI machine: the checkout, HOME (its tool cache kept between jobs, as the cache keeps it), the
/// stand-ins' canned data and call log, the releases stand-in, and the emulator.
struct Ci {
    work: Dir,
    home: Dir,
    fake: Dir,
    releases: Releases,
    emu: Emulator,
}

impl Ci {
    fn new() -> Ci {
        Ci::with_emulator(&[])
    }

    /// With the emulator started with `extra` flags (for example a small CDN purge quota).
    fn with_emulator(extra: &[&str]) -> Ci {
        assert!(
            Command::new("jq").arg("--version").output().is_ok(),
            "the CI example tests need jq (the examples use it, as GitHub's gh --jq does)"
        );
        let work = Dir::new();
        work.write("manifests/cleanup.yaml", MANIFEST);
        let home = Dir::new();
        let fake = Dir::new();
        fake.write("calls.log", "");
        let releases = Releases::start();
        releases.publish(VERSION, false);
        let emu = Emulator::start(&fake, &catalog(), extra);
        Ci {
            work,
            home,
            fake,
            releases,
            emu,
        }
    }

    fn env(&self) -> BTreeMap<String, String> {
        [
            ("PATH", format!("{FAKES}:/usr/local/bin:/usr/bin:/bin")),
            ("HOME", self.home.path().display().to_string()),
            ("FAKE_DIR", self.fake.path().display().to_string()),
            ("FAKE_RELEASES", self.releases.base.clone()),
            ("VODPLAN_ENDPOINT", self.emu.endpoint()),
            ("RUNNER_OS", "Linux".into()),
            ("RUNNER_ARCH", target().1.into()),
            (
                "RUNNER_TOOL_CACHE",
                self.home.path().join("toolcache").display().to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn calls(&self) -> String {
        self.fake.read("calls.log")
    }
}

/// Runs `script` in `bash` with exactly `env`, in `dir`; its exit code and stderr.
fn bash_out(
    flags: &[&str],
    script: &str,
    dir: &Path,
    env: &BTreeMap<String, String>,
) -> (i32, String) {
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
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!(
        "--- step (exit {code}):\n{script}\n--- stdout:\n{}--- stderr:\n{stderr}",
        String::from_utf8_lossy(&out.stdout),
    );
    (code, stderr)
}

fn bash(flags: &[&str], script: &str, dir: &Path, env: &BTreeMap<String, String>) -> i32 {
    bash_out(flags, script, dir, env).0
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("the example is valid YAML")
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions

const GITHUB_SHELL: &[&str] = &["--noprofile", "--norc", "-eo", "pipefail"];

/// What a job left behind.
struct JobRun {
    /// Exit codes of the `run` steps that ran (a composite action's steps included), in order.
    codes: Vec<i32>,
    failed: bool,
    summary: String,
    /// `role-to-assume` of the credentials steps.
    roles: Vec<String>,
    /// Outputs of the steps, by step id.
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// The `version` output of each setup-action step.
    installed: Vec<String>,
    /// The stderr of the last step that failed.
    error: String,
}

/// Replaces every `${{ X }}` in `s` by `lookup(X)`; an expression it does not know fails the test.
fn expand(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("}}").expect("an expression is closed") + i;
        let inner = rest[i + 3..end].trim();
        out.push_str(
            &lookup(inner)
                .unwrap_or_else(|| panic!("the test does not know the expression {inner:?}")),
        );
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads `NAME=value` lines a step wrote to a GITHUB_OUTPUT/GITHUB_ENV file.
fn key_values(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The per-job runner files.
struct Runner {
    dir: Dir,
}

impl Runner {
    fn new(env: &mut BTreeMap<String, String>) -> Runner {
        let dir = Dir::new();
        for (k, f) in [
            ("GITHUB_STEP_SUMMARY", "summary.md"),
            ("GITHUB_ENV", "github_env"),
            ("GITHUB_PATH", "github_path"),
        ] {
            env.insert(k.into(), dir.write(f, "").display().to_string());
        }
        std::fs::create_dir_all(dir.path().join("temp")).unwrap();
        env.insert(
            "RUNNER_TEMP".into(),
            dir.path().join("temp").display().to_string(),
        );
        Runner { dir }
    }

    /// Runs one `run` script as GitHub does; its exit code and outputs. Afterwards `env` has what
    /// the step added to GITHUB_ENV and GITHUB_PATH.
    fn step(
        &self,
        script: &str,
        work: &Path,
        env: &mut BTreeMap<String, String>,
        step_env: BTreeMap<String, String>,
    ) -> (i32, String, BTreeMap<String, String>) {
        let output = self.dir.write("github_output", "");
        let mut step_env = step_env;
        step_env.insert("GITHUB_OUTPUT".into(), output.display().to_string());
        let (code, stderr) = bash_out(GITHUB_SHELL, script, work, &step_env);
        for (k, v) in key_values(&self.dir.path().join("github_env")) {
            env.insert(k, v);
        }
        let added: Vec<String> = std::fs::read_to_string(self.dir.path().join("github_path"))
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        let mut path = env["PATH"].clone();
        for dir in added {
            if !path.split(':').any(|p| p == dir) {
                path = format!("{dir}:{path}");
            }
        }
        env.insert("PATH".into(), path);
        (code, stderr, key_values(&output).into_iter().collect())
    }

    fn summary(&self) -> String {
        self.dir.read("summary.md")
    }
}

/// Runs the setup action (`action.yml`, composite) with `with`, as GitHub would: each step in
/// order, its `${{ inputs.* }}` and `${{ steps.*.outputs.* }}`, `GITHUB_ACTION_PATH` at the
/// repository root. The releases URL's default is the stand-in. Pushes the run steps' exit codes;
/// returns the action's outputs, or None when a step failed (its stderr in `error`).
fn setup_action(
    ci: &Ci,
    runner: &Runner,
    with: &BTreeMap<String, String>,
    env: &mut BTreeMap<String, String>,
    codes: &mut Vec<i32>,
    error: &mut String,
) -> Option<BTreeMap<String, String>> {
    let action = yaml(ACTION);
    assert_eq!(action["runs"]["using"], "composite");
    let mut inputs = BTreeMap::new();
    for (name, spec) in action["inputs"].as_object().unwrap() {
        let default = value_text(&spec["default"]);
        let default = if name == "releases-url" {
            assert_eq!(default, "https://github.com/vodplan/vodplan/releases");
            ci.releases.base.clone()
        } else {
            default
        };
        inputs.insert(name.clone(), with.get(name).cloned().unwrap_or(default));
    }
    for name in with.keys() {
        assert!(inputs.contains_key(name), "the action has no input {name}");
    }
    let mut steps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for step in action["runs"]["steps"].as_array().unwrap() {
        let lookup = |e: &str| -> Option<String> {
            if let Some(i) = e.strip_prefix("inputs.") {
                return inputs.get(i).cloned();
            }
            let (id, out) = e.strip_prefix("steps.")?.split_once(".outputs.")?;
            Some(
                steps
                    .get(id)
                    .and_then(|o| o.get(out))
                    .cloned()
                    .unwrap_or_default(),
            )
        };
        if let Some(uses) = step.get("uses").and_then(Value::as_str) {
            let (name, pin) = uses.split_once('@').unwrap();
            assert_eq!(pin.len(), 40, "pinned by commit SHA: {uses}");
            assert_eq!(name, "actions/cache", "the action uses only the cache");
            assert_eq!(
                step["if"], "inputs.cache == 'true'",
                "the cache can be turned off"
            );
            let path = expand(step["with"]["path"].as_str().unwrap(), &lookup);
            let key = expand(step["with"]["key"].as_str().unwrap(), &lookup);
            let (t, _) = target();
            assert!(
                path.starts_with(&env["RUNNER_TOOL_CACHE"]) && path.ends_with(t),
                "{path}"
            );
            assert!(
                key.contains(t) && key.contains(&inputs_version(&steps)),
                "{key}"
            );
            continue;
        }
        assert_eq!(step["shell"], "bash", "{step}");
        let script = step["run"].as_str().unwrap();
        assert!(!script.contains("${{"), "no expression inside a run script");
        let mut step_env = env.clone();
        step_env.insert("GITHUB_ACTION_PATH".into(), ACTION_PATH.into());
        for (k, v) in step["env"].as_object().into_iter().flatten() {
            step_env.insert(k.clone(), expand(&value_text(v), &lookup));
        }
        let (code, stderr, outputs) = runner.step(script, ci.work.path(), env, step_env);
        codes.push(code);
        if code != 0 {
            *error = stderr;
            return None;
        }
        if let Some(id) = step.get("id").and_then(Value::as_str) {
            steps.insert(id.into(), outputs);
        }
    }
    let mut outputs = BTreeMap::new();
    for (name, spec) in action["outputs"].as_object().unwrap() {
        let value = expand(spec["value"].as_str().unwrap(), &|e: &str| {
            let (id, out) = e.strip_prefix("steps.")?.split_once(".outputs.")?;
            steps.get(id).and_then(|o| o.get(out)).cloned()
        });
        outputs.insert(name.clone(), value);
    }
    Some(outputs)
}

fn inputs_version(steps: &BTreeMap<String, BTreeMap<String, String>>) -> String {
    steps["resolve"]["version"].clone()
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
    let mut ctx: BTreeMap<String, String> = BTreeMap::new();
    ctx.insert("github.token".into(), "ghs_fake".into());
    ctx.insert("github.sha".into(), sha.into());
    ctx.insert("github.run_id".into(), run_id.to_string());
    if let Some((n, head)) = pr {
        ctx.insert("github.event.pull_request.number".into(), n.to_string());
        ctx.insert("github.event.pull_request.head.sha".into(), head.into());
    }
    let mut env = ci.env();
    let add_env = |map: Option<&Value>, env: &mut BTreeMap<String, String>| {
        for (k, v) in map.and_then(Value::as_object).into_iter().flatten() {
            let v = expand(&value_text(v), &|e: &str| ctx.get(e).cloned());
            env.insert(k.clone(), v);
        }
    };
    add_env(wf.get("env"), &mut env);
    add_env(job.get("env"), &mut env);
    let runner = Runner::new(&mut env);
    for (k, v) in [
        ("GITHUB_SHA", sha),
        ("GITHUB_REPOSITORY", "octo/videos"),
        ("GITHUB_EVENT_NAME", event),
        ("GITHUB_REF", "refs/heads/main"),
        ("CI", "true"),
    ] {
        env.insert(k.into(), v.into());
    }
    let mut out = JobRun {
        codes: vec![],
        failed: false,
        summary: String::new(),
        roles: vec![],
        outputs: BTreeMap::new(),
        installed: vec![],
        error: String::new(),
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
            let (action, pin) = uses.split_once('@').unwrap();
            assert!(
                pin.len() == 40 && pin.bytes().all(|b| b.is_ascii_hexdigit()),
                "pinned by full commit SHA: {uses}"
            );
            let with = &step["with"];
            match action {
                "actions/checkout" => assert_eq!(with["persist-credentials"], false, "{step}"),
                "vodplan/vodplan" => {
                    let env_now = env.clone();
                    let with: BTreeMap<String, String> = with
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| {
                            let v = expand(&value_text(v), &|e: &str| {
                                e.strip_prefix("env.")
                                    .and_then(|n| env_now.get(n).cloned())
                                    .or_else(|| ctx.get(e).cloned())
                            });
                            (k.clone(), v)
                        })
                        .collect();
                    match setup_action(ci, &runner, &with, &mut env, &mut out.codes, &mut out.error)
                    {
                        Some(o) => out.installed.push(o["version"].clone()),
                        None => out.failed = true,
                    }
                }
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
                    let days = with["retention-days"].as_u64().unwrap();
                    assert!(days <= 90, "GitHub keeps artifacts at most 90 days: {step}");
                    let name = expand(with["name"].as_str().unwrap(), &|e: &str| {
                        ctx.get(e).cloned()
                    });
                    let to = ci.fake.path().join(format!("artifacts/{run_id}/{name}"));
                    // As upload-artifact does: the files found, under their paths relative to
                    // the listed paths' common directory.
                    let paths: Vec<&str> = with["path"]
                        .as_str()
                        .unwrap()
                        .split_whitespace()
                        .filter(|p| ci.work.path().join(p).is_file())
                        .collect();
                    // No file found: no artifact (`if-no-files-found: ignore`).
                    let dir_of = |p: &str| p.rsplit_once('/').map_or("", |(d, _)| d).to_string();
                    let mut common = paths.first().map(|p| dir_of(p)).unwrap_or_default();
                    for p in &paths {
                        while !common.is_empty() && !p.starts_with(&format!("{common}/")) {
                            common = dir_of(&common);
                        }
                    }
                    for p in paths {
                        let rel = if common.is_empty() {
                            p
                        } else {
                            &p[common.len() + 1..]
                        };
                        let dest = to.join(rel);
                        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                        std::fs::copy(ci.work.path().join(p), dest).unwrap();
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
        add_env(step.get("env"), &mut step_env);
        let (code, stderr, outputs) = runner.step(script, ci.work.path(), &mut env, step_env);
        out.codes.push(code);
        if code != 0 {
            out.failed = true;
            out.error = stderr;
        }
        if let Some(id) = step.get("id").and_then(Value::as_str) {
            out.outputs.insert(id.into(), outputs);
        }
    }
    out.summary = runner.summary();
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

/// The `changes` job's verdict for a pull request touching `files`.
fn github_changes(ci: &Ci, files: Value) -> String {
    ci.fake.write("files.json", &files.to_string());
    let r = github_job(
        ci,
        "changes",
        100,
        FINAL_HEAD,
        "pull_request",
        Some((7, FINAL_HEAD)),
    );
    assert_eq!(r.codes, [0]);
    let wf = yaml(GITHUB);
    assert_eq!(
        wf["jobs"]["changes"]["outputs"]["manifests"],
        "${{ steps.diff.outputs.manifests }}"
    );
    assert_eq!(
        wf["jobs"]["plan"]["if"],
        "needs.changes.outputs.manifests == 'true'"
    );
    r.outputs["diff"]["manifests"].clone()
}

#[test]
fn github_actions_example_plans_only_pull_requests_that_touch_manifests() {
    let ci = Ci::new();
    let wf = yaml(GITHUB);
    // No path filter on pull requests: the plan job can be a required check (skipped = success).
    assert!(wf["on"]["pull_request"].is_null(), "{}", wf["on"]);
    let docs = json!([{"filename": "docs/readme.md"}]);
    assert_eq!(github_changes(&ci, docs), "false");
    let moved = json!([{"filename": "old/x.yaml", "previous_filename": "manifests/x.yaml"}]);
    assert_eq!(github_changes(&ci, moved), "true");
    let edited = json!([{"filename": "README.md"}, {"filename": "manifests/cleanup.yaml"}]);
    assert_eq!(github_changes(&ci, edited), "true");
}

#[test]
fn github_actions_example_applies_the_final_heads_plan_and_keeps_every_summary() {
    let ci = Ci::new();
    // Someone else's comment quoting the marker is never the one updated.
    let human =
        json!([{"id": 1, "user": {"login": "mallory"}, "body": "<!-- vodplan-plan --> all clear"}]);
    ci.fake.write("comments.json", &human.to_string());
    ci.fake.write("runs.json", "[]");
    let archive = format!("vodplan-{}.tar.gz", target().0);

    // The pull request's final commit is planned first (run 101); a re-run of its older commit
    // finishes later (run 102) and is the newest run of the branch.
    let fin = github_pr_run(&ci, 101, FINAL_HEAD, &final_manifest());
    assert_eq!(
        fin.codes,
        [0, 0, 0, 0],
        "setup (resolve, install), plan (exit 2 is success), comment"
    );
    assert!(!fin.failed);
    assert_eq!(
        fin.installed,
        [VERSION],
        "the setup action's version output"
    );
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
    assert_eq!(old.codes, [0, 0, 0, 0]);
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
        [0, 0, 0, 3],
        "setup (resolve, install), find the plan, apply (partial)"
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

    // The schedule: the manifests on main applied again, in the protected environment; VOD
    // still refuses the locked video, so it is partial again, with its summary.
    std::fs::remove_file(ci.work.path().join("journal.jsonl")).unwrap();
    let scheduled = github_job(&ci, "scheduled-apply", 300, MERGE_SHA, "schedule", None);
    assert_eq!(
        scheduled.codes,
        [0, 0, 0, 3],
        "setup (resolve, install), fetch the purge state (none), apply: {}",
        scheduled.summary
    );
    assert!(
        ci.calls()
            .contains("actions/artifacts?name=vodplan-purge-state")
    );
    assert!(
        !ci.calls().contains("--name vodplan-purge-state"),
        "nothing to continue"
    );
    assert_eq!(scheduled.roles, ["${{ vars.VOD_APPLY_ROLE_ARN }}"]);
    assert!(
        scheduled.summary.starts_with(&format!(
            "Scheduled apply of the manifests at {MERGE_SHA}.\n\n"
        )),
        "{}",
        scheduled.summary
    );
    assert!(
        scheduled.summary.contains(FORBIDDEN),
        "{}",
        scheduled.summary
    );
    assert!(scheduled.summary.contains("Exit code: 3"));
    assert!(ci.work.read("journal.jsonl").contains("\"finish\""));
    assert_eq!(ci.emu.videos(), 4);

    // By hand: the forbidden video is still there, so the drift check is red, with its summary.
    let drift = github_job(&ci, "drift", 400, MERGE_SHA, "workflow_dispatch", None);
    assert_eq!(drift.codes, [0, 0, 2]);
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

    // Five jobs installed vodplan: the archive was downloaded once, then came from the cache,
    // and was verified against the release's checksum every time. No cargo anywhere.
    assert_eq!(ci.releases.requests(&archive), 1, "cached");
    assert_eq!(ci.releases.requests(&format!("{archive}.sha256")), 5);
    assert!(!ci.calls().contains("cargo"), "{}", ci.calls());
}

/// An unsigned control call to the emulator (`/_emulator/...`).
fn emulator_http(emu: &Emulator, method: &str, path: &str) -> Value {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", emu.port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap()
}

/// A fresh runner: nothing of an earlier job's work tree but the checkout.
fn fresh_runner(ci: &Ci) {
    for p in ["purge-state", "reviewed"] {
        let _ = std::fs::remove_dir_all(ci.work.path().join(p));
    }
    for p in [
        "journal.jsonl",
        "journal.jsonl.purge",
        "purge.md",
        "apply.md",
    ] {
        let _ = std::fs::remove_file(ci.work.path().join(p));
    }
}

#[test]
fn github_actions_example_scheduled_apply_continues_the_merge_applys_pending_purge() {
    // One purge directory and one URL a day: the merge apply's purge of two deleted videos
    // does not fit its day.
    let ci = Ci::with_emulator(&["--cdn-url-quota", "1", "--cdn-dir-quota", "1"]);
    let manifest = MANIFEST.replace("version: 1\n", "version: 1\npurgeCdn: true\n");
    ci.fake.write("comments.json", "[]");
    ci.fake.write("runs.json", "[]");
    let pr = github_pr_run(&ci, 101, FINAL_HEAD, &manifest);
    assert!(!pr.failed, "{}", pr.error);
    ci.fake.write(
        &format!("pulls-{MERGE_SHA}.json"),
        &json!([{"number": 7, "merged_at": "2026-11-24T10:00:00Z", "head": {"sha": FINAL_HEAD}}])
            .to_string(),
    );
    let apply = github_job(&ci, "apply", 200, MERGE_SHA, "push", None);
    assert_eq!(apply.codes, [0, 0, 0, 3], "{}", apply.summary);
    let deletes = ci.emu.calls("DeleteVideo");
    assert!(deletes > 0);
    let state = ci.fake.path().join("artifacts/200/vodplan-purge-state");
    for f in ["plan.json", "journal.jsonl", "journal.jsonl.purge"] {
        assert!(state.join(f).is_file(), "the merge apply keeps {f}");
    }
    assert!(!state.join("finished").exists());
    let journal = ci
        .fake
        .path()
        .join(format!("artifacts/200/vodplan-journal-{MERGE_SHA}"));
    assert!(journal.join("journal.jsonl.purge").is_file());

    // The scheduled job continues the purge from the newest state until it is done: first on
    // the same day (the quota is spent: still pending, exit 3, the state kept again), then on
    // the next day (finished, exit 0, the state marked finished).
    let mut run = 300;
    let mut codes = vec![];
    loop {
        if run > 300 {
            emulator_http(&ci.emu, "POST", "/_emulator/cdn/next-day");
        }
        fresh_runner(&ci);
        let scheduled = github_job(&ci, "scheduled-apply", run, MERGE_SHA, "schedule", None);
        // The newest state: the merge apply's, then each scheduled run's own.
        let from = if run == 300 { 200 } else { run - 1 };
        assert!(
            scheduled.summary.starts_with(&format!(
                "Continued the CDN purge of the plan applied in run {from}.\n\n"
            )),
            "{}",
            scheduled.summary
        );
        assert!(
            ci.calls().contains(&format!(
                "gh run download {from} --name vodplan-purge-state"
            )),
            "{}",
            ci.calls()
        );
        assert!(
            scheduled
                .summary
                .contains("Scheduled apply of the manifests at "),
            "{}",
            scheduled.summary
        );
        let code = *scheduled.codes.last().unwrap();
        codes.push(code);
        assert!(
            code == 3 || code == 0,
            "{}\n{}",
            scheduled.summary,
            scheduled.error
        );
        assert_eq!(ci.emu.calls("DeleteVideo"), deletes, "no DeleteVideo");
        let kept = ci
            .fake
            .path()
            .join(format!("artifacts/{run}/vodplan-purge-state"));
        assert!(kept.join("journal.jsonl.purge").is_file());
        assert_eq!(kept.join("finished").exists(), code == 0);
        run += 1;
        if code == 0 {
            break;
        }
        assert!(run < 306, "the purge never finished: {codes:?}");
    }
    assert_eq!(codes, [3, 0]);
    let edge = emulator_http(&ci.emu, "GET", "/_emulator/cdn");
    for (id, v) in edge["videos"].as_object().unwrap() {
        if v["exists"] == false {
            assert_eq!(
                v["serving"].as_array().unwrap().len(),
                0,
                "{id} still served: {v}"
            );
        }
    }
    assert_eq!(edge["refusedForQuota"], 0, "{edge}");

    // The next day: the newest state is finished, so nothing is continued and nothing is sent
    // for it; the manifests' apply runs as always.
    fresh_runner(&ci);
    let purges = ci.emu.calls("RefreshVodObjectCaches");
    let after = github_job(&ci, "scheduled-apply", run, MERGE_SHA, "schedule", None);
    assert_eq!(
        after.codes,
        [0, 0, 0, 0],
        "{}\n{}",
        after.summary,
        after.error
    );
    assert!(
        !after.summary.contains("Continued the CDN purge"),
        "{}",
        after.summary
    );
    assert_eq!(ci.emu.calls("RefreshVodObjectCaches"), purges);
    assert_eq!(ci.emu.calls("DeleteVideo"), deletes);
}

#[test]
fn github_actions_example_refuses_without_a_reviewed_plan_of_the_final_head() {
    let ci = Ci::new();
    ci.fake.write("comments.json", "[]");
    ci.fake.write("runs.json", "[]");
    github_pr_run(&ci, 102, OLD_HEAD, MANIFEST);

    // A push that merged no pull request.
    let r = github_job(&ci, "apply", 200, MERGE_SHA, "push", None);
    assert_eq!(r.codes, [0, 0, 1]);
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
    assert_eq!(r.codes, [0, 0, 1]);
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

/// What the setup action left in a job of its own.
struct Setup {
    outputs: Option<BTreeMap<String, String>>,
    /// Exit codes of its run steps.
    codes: Vec<i32>,
    /// The stderr of the step that failed.
    error: String,
    /// The job's environment afterwards.
    env: BTreeMap<String, String>,
    /// The job's runner files (RUNNER_TEMP lives as long as it does).
    _runner: Runner,
}

/// Runs the setup action alone in a fresh job with `with`.
fn run_setup(ci: &Ci, with: &[(&str, String)]) -> Setup {
    let mut env = ci.env();
    let runner = Runner::new(&mut env);
    let with = with
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let (mut codes, mut error) = (vec![], String::new());
    let outputs = setup_action(ci, &runner, &with, &mut env, &mut codes, &mut error);
    Setup {
        outputs,
        codes,
        error,
        env,
        _runner: runner,
    }
}

/// The vodplan the job's PATH finds, and what it says for `args`.
fn vodplan_on_path(ci: &Ci, env: &BTreeMap<String, String>, args: &str) -> (i32, String) {
    bash_out(
        GITHUB_SHELL,
        &format!("command -v vodplan >&2\nvodplan {args}"),
        ci.work.path(),
        env,
    )
}

#[test]
fn setup_action_installs_the_verified_release_and_wraps_nothing() {
    let ci = Ci::new();
    let s = run_setup(&ci, &[("version", VERSION.into())]);
    assert_eq!(s.codes, [0, 0]);
    assert_eq!(s.outputs.as_ref().unwrap()["version"], VERSION);
    let (code, stderr) = vodplan_on_path(&ci, &s.env, "--version");
    assert_eq!(code, 0);
    let installed = stderr.lines().next().unwrap();
    assert!(installed.starts_with(&s.env["RUNNER_TEMP"]), "{installed}");
    // The binary itself is on PATH (no wrapper): its bytes are the release's, and its exit
    // codes reach the step unchanged.
    assert_eq!(
        std::fs::read(installed).unwrap(),
        std::fs::read(BIN).unwrap()
    );
    let (code, _) = vodplan_on_path(&ci, &s.env, "validate no-such-manifest.yaml");
    assert_eq!(code, 1);

    // `latest` follows the releases page's redirect to the newest tag.
    let s = run_setup(&ci, &[("version", "latest".into())]);
    assert_eq!(s.outputs.unwrap()["version"], VERSION);
    assert_eq!(ci.releases.requests("/releases/latest"), 1);

    // Checksums pinned in the workflow: the right one installs without the release's .sha256
    // file; a wrong one refuses, and nothing is installed.
    let (t, _) = target();
    let archive = format!("vodplan-{t}.tar.gz");
    let sums = format!("{archive}.sha256");
    let good = ci
        .releases
        .root
        .read(&format!("download/v{VERSION}/{sums}"));
    let fetched = ci.releases.requests(&sums);
    let pinned = format!("{}\n", good.trim().replace(" *", "  "));
    let s = run_setup(&ci, &[("version", VERSION.into()), ("checksums", pinned)]);
    assert_eq!(s.outputs.unwrap()["version"], VERSION);
    assert_eq!(
        ci.releases.requests(&sums),
        fetched,
        "the pinned hash is used"
    );
    let zeros = "0".repeat(64);
    let wrong = format!("{zeros}  {archive}\n");
    let s = run_setup(&ci, &[("version", VERSION.into()), ("checksums", wrong)]);
    assert!(s.outputs.is_none());
    assert_eq!(s.codes, [0, 1]);
    assert!(
        s.error.contains(&format!(
            "SHA-256 mismatch for {archive}: expected {zeros}, got "
        )),
        "{}",
        s.error
    );
    assert_eq!(
        vodplan_on_path(&ci, &s.env, "--version").0,
        1,
        "not on PATH: command -v finds none"
    );
    let other = "deadbeef  other.tar.gz\n".to_string();
    let s = run_setup(&ci, &[("version", VERSION.into()), ("checksums", other)]);
    assert!(s.outputs.is_none());
    assert!(
        s.error.contains(&format!(
            "the checksums input lists no SHA-256 for {archive}"
        )),
        "{}",
        s.error
    );

    // A version that is not one is refused before any download.
    let s = run_setup(&ci, &[("version", "1.0; rm -rf /".into())]);
    assert!(s.outputs.is_none());
    assert_eq!(s.codes, [1]);
    assert!(
        s.error.contains("version must be x.y.z or latest"),
        "{}",
        s.error
    );
}

#[test]
fn setup_action_refuses_a_tampered_archive() {
    let ci = Ci::new();
    let (t, _) = target();
    let archive = format!("vodplan-{t}.tar.gz");
    let expected = ci.releases.publish("9.9.9", true);
    let s = run_setup(&ci, &[("version", "9.9.9".into())]);
    assert!(s.outputs.is_none());
    assert_eq!(s.codes, [0, 1], "resolved, then refused");
    assert!(
        s.error.contains(&format!(
            "SHA-256 mismatch for {archive}: expected {expected}, got "
        )),
        "{}",
        s.error
    );
    assert!(s.error.contains("It was not run and has been removed."));
    assert_eq!(
        vodplan_on_path(&ci, &s.env, "--version").0,
        1,
        "not on PATH: command -v finds none"
    );
    let cache = Path::new(&s.env["RUNNER_TOOL_CACHE"]);
    assert!(
        !cache.join(format!("vodplan/9.9.9/{t}/{archive}")).exists(),
        "the tampered archive is not kept for the cache"
    );
    assert!(
        !Path::new(&s.env["RUNNER_TEMP"])
            .join(format!("vodplan-9.9.9-{t}"))
            .exists(),
        "nothing was unpacked"
    );

    // A cached archive is verified again: one swapped in the cache is refused too.
    let s = run_setup(&ci, &[("version", VERSION.into())]);
    assert!(s.outputs.is_some());
    let cached = cache.join(format!("vodplan/{VERSION}/{t}/{archive}"));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&cached)
        .unwrap();
    f.write_all(b"poisoned").unwrap();
    let s = run_setup(&ci, &[("version", VERSION.into())]);
    assert!(s.outputs.is_none());
    assert!(s.error.contains("SHA-256 mismatch"), "{}", s.error);
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
/// `ci_vars` are the pipeline's predefined variables; `project_vars` the project's CI/CD
/// variables, which override the file's. The protected token is there only for pipelines of the
/// protected default branch, as GitLab gives protected variables only to those.
fn gitlab_job(
    ci: &Ci,
    name: &str,
    ci_vars: &[(&str, String)],
    project_vars: &[(&str, String)],
) -> (i32, Option<i32>) {
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
    for (k, v) in ci_vars {
        env.insert(k.to_string(), v.clone());
    }
    if env.get("CI_COMMIT_BRANCH").map(String::as_str) == Some("main") {
        env.insert("VODPLAN_GITLAB_TOKEN".into(), "glpat-fake".into());
    }
    gitlab_vars(doc.get("variables"), &mut env);
    if let Some(base) = job.get("extends").and_then(Value::as_str) {
        gitlab_vars(doc[base].get("variables"), &mut env);
    }
    gitlab_vars(job.get("variables"), &mut env);
    // The releases page is the stand-in; the target is this machine's.
    env.insert("VODPLAN_RELEASES".into(), ci.releases.base.clone());
    env.insert("VODPLAN_TARGET".into(), target().0.into());
    for (k, v) in project_vars {
        env.insert(k.to_string(), v.clone());
    }
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

/// One merge-request pipeline's plan job, registered with the GitLab API stand-in.
fn gitlab_mr_pipeline(ci: &Ci, pipeline: u64, head: &str, manifest: &str) -> i32 {
    ci.work.write("manifests/cleanup.yaml", manifest);
    let (code, _) = gitlab_job(
        ci,
        "vodplan-plan",
        &[
            ("CI_PIPELINE_SOURCE", "merge_request_event".into()),
            ("CI_COMMIT_SHA", head.into()),
            ("CI_COMMIT_REF_NAME", "feature".into()),
            ("CI_PIPELINE_ID", pipeline.to_string()),
            ("CI_MERGE_REQUEST_IID", "5".into()),
        ],
        &[],
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
    let archive = format!("vodplan-{}.tar.gz", target().0);

    // The final head's pipeline (300), then a retried pipeline of the older head (301, newer).
    // Merge request pipelines see no protected variable: the plan job needs no GitLab token.
    assert_eq!(
        gitlab_mr_pipeline(&ci, 300, FINAL_HEAD, &final_manifest()),
        0
    );
    let plan_md = ci.work.read("plan.md");
    assert!(plan_md.starts_with("<!-- vodplan-plan -->"), "{plan_md}");
    assert!(plan_md.contains("| 3 | 1 | 1 |"), "{plan_md}");
    assert!(
        plan_md.contains(&format!(
            "Planned at head commit {FINAL_HEAD} (pipeline 300)."
        )),
        "{plan_md}"
    );
    assert_eq!(gitlab_mr_pipeline(&ci, 301, OLD_HEAD, MANIFEST), 0);
    assert!(!ci.calls().contains("PRIVATE-TOKEN"), "{}", ci.calls());
    assert_eq!(ci.emu.calls("DeleteVideo"), 0);
    let doc = yaml(GITLAB);
    assert_eq!(
        doc["vodplan-plan"]["artifacts"]["expose_as"],
        "vodplan plan"
    );

    // Merge: pipeline 300's artifact, exit 3, and the result still reaches the MR.
    ci.work.write("manifests/cleanup.yaml", &final_manifest());
    ci.fake.write(
        &format!("mrs-{MERGE_SHA}.json"),
        &json!([{"iid": 5, "state": "merged", "sha": FINAL_HEAD}]).to_string(),
    );
    let (code, after) = gitlab_job(&ci, "vodplan-apply", &push_vars(), &[]);
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
    assert_eq!(notes[1]["mr"], "5");
    assert_eq!(
        notes[1]["body"].as_str().unwrap(),
        apply_md,
        "the result on the MR"
    );
    assert_eq!(ci.emu.videos(), 4);

    // The schedule on the default branch: the manifests applied again, partial again.
    std::fs::remove_file(ci.work.path().join("journal.jsonl")).unwrap();
    let schedule = [
        ("CI_PIPELINE_SOURCE", "schedule".into()),
        ("CI_COMMIT_SHA", MERGE_SHA.into()),
        ("CI_COMMIT_BRANCH", "main".into()),
        ("CI_PIPELINE_ID", "500".into()),
    ];
    let (code, _) = gitlab_job(&ci, "vodplan-scheduled-apply", &schedule, &[]);
    assert_eq!(code, 3);
    let apply_md = ci.work.read("apply.md");
    assert!(
        apply_md.starts_with(&format!(
            "Scheduled apply of the manifests at {MERGE_SHA} (pipeline 500).\n\n"
        )),
        "{apply_md}"
    );
    assert!(
        apply_md.contains(FORBIDDEN) && apply_md.contains("Exit code: 3"),
        "{apply_md}"
    );
    assert!(ci.work.read("journal.jsonl").contains("\"finish\""));

    // Run by hand: red, with its report.
    let (code, _) = gitlab_job(
        &ci,
        "vodplan-drift",
        &[("CI_PIPELINE_SOURCE", "web".into())],
        &[],
    );
    assert_eq!(code, 2);
    let drift = ci.work.read("drift.md");
    assert!(
        drift.starts_with("<!-- vodplan-plan -->") && drift.contains(FORBIDDEN),
        "{drift}"
    );
    assert!(drift.contains("Drift: the manifests ask for deletions"));

    // Five jobs: one download, then the cache; verified every time against the release's
    // checksum (VODPLAN_SHA256 is not pinned here).
    assert_eq!(ci.releases.requests(&archive), 1, "cached");
    assert_eq!(ci.releases.requests(&format!("{archive}.sha256")), 5);
    assert!(!ci.calls().contains("cargo"));
}

/// Keeps the work tree's `purge-state/` as job `job`'s artifact, newest in the project's job list.
fn gitlab_keep_purge_state(ci: &Ci, job: u64, name: &str) {
    let art = ci.fake.path().join(format!("artifacts/{job}/purge-state"));
    std::fs::create_dir_all(&art).unwrap();
    for f in std::fs::read_dir(ci.work.path().join("purge-state")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), art.join(f.file_name())).unwrap();
    }
    let mut jobs: Vec<Value> =
        serde_json::from_str(&ci.fake.read("project-jobs.json")).unwrap_or_default();
    jobs.insert(
        0,
        json!({"id": job, "name": name, "ref": "main", "status": "failed"}),
    );
    ci.fake
        .write("project-jobs.json", &serde_json::to_string(&jobs).unwrap());
}

#[test]
fn gitlab_example_scheduled_apply_continues_the_merge_applys_pending_purge() {
    let ci = Ci::with_emulator(&["--cdn-url-quota", "1", "--cdn-dir-quota", "1"]);
    let manifest = MANIFEST.replace("version: 1\n", "version: 1\npurgeCdn: true\n");
    ci.fake.write("notes.json", "[]");
    ci.fake.write("pipelines.json", "[]");
    ci.fake.write("project-jobs.json", "[]");
    assert_eq!(gitlab_mr_pipeline(&ci, 300, FINAL_HEAD, &manifest), 0);
    ci.fake.write(
        &format!("mrs-{MERGE_SHA}.json"),
        &json!([{"iid": 5, "state": "merged", "sha": FINAL_HEAD}]).to_string(),
    );
    let (code, after) = gitlab_job(&ci, "vodplan-apply", &push_vars(), &[]);
    assert_eq!((code, after), (3, Some(0)), "{}", ci.work.read("apply.md"));
    let deletes = ci.emu.calls("DeleteVideo");
    assert!(deletes > 0);
    for f in ["plan.json", "journal.jsonl", "journal.jsonl.purge"] {
        assert!(ci.work.path().join("purge-state").join(f).is_file(), "{f}");
    }
    assert!(!ci.work.path().join("purge-state/finished").exists());
    gitlab_keep_purge_state(&ci, 4000, "vodplan-apply");

    let schedule = [
        ("CI_PIPELINE_SOURCE", "schedule".into()),
        ("CI_COMMIT_SHA", MERGE_SHA.into()),
        ("CI_COMMIT_BRANCH", "main".into()),
        ("CI_PIPELINE_ID", "500".into()),
    ];
    // The same day: the quota is spent, the purge still waits (exit 3), the state is kept again.
    fresh_runner(&ci);
    let (code, _) = gitlab_job(&ci, "vodplan-scheduled-apply", &schedule, &[]);
    let apply_md = ci.work.read("apply.md");
    assert_eq!(code, 3, "{apply_md}");
    assert!(
        apply_md.starts_with("Continued the CDN purge of the plan applied in job 4000.\n\n"),
        "{apply_md}"
    );
    assert!(
        apply_md.contains("Scheduled apply of the manifests at "),
        "{apply_md}"
    );
    assert!(!ci.work.path().join("purge-state/finished").exists());
    assert_eq!(ci.emu.calls("DeleteVideo"), deletes);
    gitlab_keep_purge_state(&ci, 5000, "vodplan-scheduled-apply");

    // The next day: the newest state (job 5000) is continued and finished.
    emulator_http(&ci.emu, "POST", "/_emulator/cdn/next-day");
    fresh_runner(&ci);
    let (code, _) = gitlab_job(&ci, "vodplan-scheduled-apply", &schedule, &[]);
    let apply_md = ci.work.read("apply.md");
    assert_eq!(code, 0, "{apply_md}");
    assert!(
        apply_md.starts_with("Continued the CDN purge of the plan applied in job 5000.\n\n"),
        "{apply_md}"
    );
    assert!(ci.work.path().join("purge-state/finished").exists());
    assert_eq!(ci.emu.calls("DeleteVideo"), deletes);
    let edge = emulator_http(&ci.emu, "GET", "/_emulator/cdn");
    for (id, v) in edge["videos"].as_object().unwrap() {
        if v["exists"] == false {
            assert_eq!(
                v["serving"].as_array().unwrap().len(),
                0,
                "{id} still served: {v}"
            );
        }
    }
    gitlab_keep_purge_state(&ci, 5010, "vodplan-scheduled-apply");

    // Finished: the next scheduled run continues nothing and sends no purge.
    fresh_runner(&ci);
    let purges = ci.emu.calls("RefreshVodObjectCaches");
    let (code, _) = gitlab_job(&ci, "vodplan-scheduled-apply", &schedule, &[]);
    let apply_md = ci.work.read("apply.md");
    assert_eq!(code, 0, "{apply_md}");
    assert!(!apply_md.contains("Continued the CDN purge"), "{apply_md}");
    assert_eq!(ci.emu.calls("RefreshVodObjectCaches"), purges);
    assert_eq!(ci.emu.calls("DeleteVideo"), deletes);
}

#[test]
fn gitlab_example_installs_only_the_release_its_checksum_names() {
    let ci = Ci::new();
    let (t, _) = target();
    let archive = format!("vodplan-{t}.tar.gz");
    let hash = sha256_hex(
        &std::fs::read(
            ci.releases
                .root
                .path()
                .join(format!("download/v{VERSION}/{archive}")),
        )
        .unwrap(),
    );
    let web = [("CI_PIPELINE_SOURCE", "web".into())];
    // Pinned and right: installed, the release's .sha256 not even read.
    let (code, _) = gitlab_job(&ci, "vodplan-drift", &web, &[("VODPLAN_SHA256", hash)]);
    assert_eq!(code, 2, "installed, and the drift check ran");
    assert_eq!(ci.releases.requests(&format!("{archive}.sha256")), 0);
    let reads = ci.emu.stats().to_string();
    // Pinned and wrong: the cached archive is refused and removed before anything runs it.
    let (code, _) = gitlab_job(
        &ci,
        "vodplan-drift",
        &web,
        &[("VODPLAN_SHA256", "0".repeat(64))],
    );
    assert_eq!(code, 1);
    assert!(!ci.work.path().join(format!(".vodplan/{archive}")).exists());
    // A tampered release: refused against its own published checksum.
    ci.releases.publish(VERSION, true);
    let (code, _) = gitlab_job(&ci, "vodplan-drift", &web, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        ci.releases.requests(&archive),
        2,
        "downloaded again, and refused"
    );
    assert!(!ci.work.path().join(format!(".vodplan/{archive}")).exists());
    assert_eq!(
        ci.emu.stats().to_string(),
        reads,
        "vodplan never ran after a refusal"
    );
}

#[test]
fn gitlab_example_refuses_without_a_reviewed_plan_of_the_final_head() {
    let ci = Ci::new();
    ci.fake.write("notes.json", "[]");
    ci.fake.write("pipelines.json", "[]");
    assert_eq!(gitlab_mr_pipeline(&ci, 301, OLD_HEAD, MANIFEST), 0);

    let (code, _) = gitlab_job(&ci, "vodplan-apply", &push_vars(), &[]);
    assert_eq!(code, 1);
    assert!(ci.work.read("apply.md").contains("No merged merge request"));

    ci.fake.write(
        &format!("mrs-{MERGE_SHA}.json"),
        &json!([{"iid": 5, "state": "merged", "sha": FINAL_HEAD}]).to_string(),
    );
    let (code, after) = gitlab_job(&ci, "vodplan-apply", &push_vars(), &[]);
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
    assert_eq!(gh["env"]["VODPLAN_VERSION"], VERSION);
    assert_eq!(gl["variables"]["VODPLAN_VERSION"], VERSION);
    // Every setup-action step names this version in its pin's comment.
    let pins: Vec<&str> = GITHUB
        .lines()
        .filter(|l| l.contains("uses: vodplan/vodplan@"))
        .collect();
    assert!(!pins.is_empty());
    for pin in pins {
        assert!(pin.ends_with(&format!(" # v{VERSION}")), "{pin}");
    }
    // The delete-capable identity is only in the apply jobs, which are in the protected
    // environment, share one concurrency group, and never cancel.
    let apply_jobs = ["apply", "scheduled-apply"];
    for (job, body) in gh["jobs"].as_object().unwrap() {
        let text = body.to_string();
        let applies = apply_jobs.contains(&job.as_str());
        assert_eq!(text.contains("VOD_APPLY"), applies, "{job}");
        assert_eq!(body.get("environment").is_some(), applies, "{job}");
        if applies {
            assert_eq!(body["environment"], "vod-production");
            assert_eq!(body["concurrency"]["group"], "vodplan-apply");
            assert_eq!(body["concurrency"]["cancel-in-progress"], false);
            assert!(
                body["if"]
                    .as_str()
                    .unwrap()
                    .contains("github.ref == 'refs/heads/main'"),
                "{job}: default branch only"
            );
        }
        assert!(body["permissions"].is_object(), "{job}: least privilege");
    }
    assert_eq!(gh["permissions"], json!({}));
    for (job, body) in gl.as_object().unwrap() {
        let text = body.to_string();
        let applies = job == "vodplan-apply" || job == "vodplan-scheduled-apply";
        assert_eq!(text.contains("VOD_APPLY"), applies, "{job}");
        if applies {
            assert_eq!(body["environment"], "vod-production");
            assert_eq!(body["resource_group"], "vodplan-apply");
            assert!(
                body["rules"][0]["if"]
                    .as_str()
                    .unwrap()
                    .contains("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"),
                "{job}"
            );
        }
    }
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
fn the_documented_permission_table_is_exactly_the_ram_policies() {
    let plan = policy_actions(include_str!("../../examples/ram/plan-policy.json"));
    let apply = policy_actions(include_str!("../../examples/ram/apply-policy.json"));
    let page = include_str!("../../docs/credentials.md");
    let section = page
        .split("\n## RAM permissions\n")
        .nth(1)
        .expect("docs/credentials.md has a RAM permissions section")
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
        "docs/credentials.md table vs examples/ram/plan-policy.json"
    );
    assert_eq!(
        in_apply, apply,
        "docs/credentials.md table vs examples/ram/apply-policy.json"
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

// ---------------------------------------------------------------------------------------------
// The release matrix

/// The `targets` list of dist-workspace.toml, in order.
fn release_targets() -> Vec<String> {
    let config = include_str!("../../dist-workspace.toml");
    let list = config
        .split("\ntargets = [")
        .nth(1)
        .expect("dist-workspace.toml lists targets")
        .split(']')
        .next()
        .unwrap();
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

#[test]
fn the_readme_install_table_is_the_release_matrix() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("\n## Install\n")
        .nth(1)
        .expect("README has an Install section")
        .split("\n## ")
        .next()
        .unwrap();
    let rows: Vec<(String, String)> = section
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (
                cells[2].trim_matches('`').to_string(),
                cells[3].trim_matches('`').to_string(),
            )
        })
        .collect();
    let targets = release_targets();
    assert_eq!(
        rows.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>(),
        targets,
        "README's install table vs dist-workspace.toml"
    );
    for (target, archive) in &rows {
        let ext = if target.contains("windows") {
            "zip"
        } else {
            "tar.gz"
        };
        assert_eq!(archive, &format!("vodplan-{target}.{ext}"));
    }
}

#[test]
fn the_setup_action_resolves_every_runner_to_an_archive_of_the_release() {
    let targets = release_targets();
    let mut resolved = vec![];
    for (os, arch) in [
        ("Linux", "X64"),
        ("Linux", "ARM64"),
        ("macOS", "X64"),
        ("macOS", "ARM64"),
        ("Windows", "X64"),
    ] {
        let out = Command::new("bash")
            .arg(format!("{ACTION_PATH}/action/setup.sh"))
            .arg("resolve")
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", "/nonexistent")
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TOOL_CACHE", "/cache")
            .env("INPUT_VERSION", format!("v{VERSION}"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{os} {arch}: {out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let get = |k: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap()
                .to_string()
        };
        let target = get("target");
        assert_eq!(get("version"), VERSION);
        assert_eq!(
            get("cache-dir"),
            format!("/cache/vodplan/{VERSION}/{target}")
        );
        let ext = if os == "Windows" { "zip" } else { "tar.gz" };
        assert_eq!(get("archive"), format!("vodplan-{target}.{ext}"));
        resolved.push(target);
    }
    let mut sorted = targets.clone();
    sorted.sort();
    resolved.sort();
    assert_eq!(resolved, sorted, "every release target, and only those");
}
