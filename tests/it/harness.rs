//! Runs the real `vodplan` binary, and the real emulator as a separate `vodplan emulator` process
//! on a free loopback port. Nothing of vodplan's own is mocked.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

pub const BIN: &str = env!("CARGO_BIN_EXE_vodplan");

/// A workspace directory with files in it.
pub struct Dir(pub tempfile::TempDir);

impl Dir {
    pub fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        // A file the test wrote itself may hold a secret on purpose (a credentials file).
        WRITTEN_BY_TESTS.lock().unwrap().push(p.clone());
        p
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.path().join(name)).unwrap()
    }
}

/// A running `vodplan emulator`.
pub struct Emulator {
    child: Child,
    pub port: u16,
}

impl Emulator {
    /// Starts an emulator serving `catalog` (YAML) with extra flags.
    pub fn start(dir: &Dir, catalog: &str, extra: &[&str]) -> Emulator {
        Emulator::start_on(dir, catalog, extra, 0)
    }

    pub fn start_on(dir: &Dir, catalog: &str, extra: &[&str], port: u16) -> Emulator {
        let path = dir.write("catalog.yaml", catalog);
        let issued = dir.path().join(format!(
            ".emulator-issued-{}",
            EMULATORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        ISSUED_LOGS.lock().unwrap().push(issued.clone());
        let mut child = Command::new(BIN)
            .current_dir(dir.path())
            .env(vod_emulator::sts::ISSUED_LOG_VAR, &issued)
            .arg("emulator")
            .arg("--catalog")
            .arg(&path)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("emulator did not start: {line}"));
        // Keep draining stderr so the emulator never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = stderr.read_to_string(&mut sink);
        });
        Emulator { child, port }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The emulator's counters (`GET /_emulator/stats`).
    pub fn stats(&self) -> serde_json::Value {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "GET /_emulator/stats HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let body = text.split("\r\n\r\n").nth(1).unwrap();
        serde_json::from_str(body).unwrap()
    }

    pub fn calls(&self, action: &str) -> u64 {
        self.stats()["actions"][action]["requests"]
            .as_u64()
            .unwrap()
    }

    pub fn videos(&self) -> u64 {
        self.stats()["videos"].as_u64().unwrap()
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as the one JSON document it must be.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Emulators started so far (for unique names of their issued-secrets logs).
static EMULATORS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Every emulator's log of the secrets and tokens it issued (STS, metadata, credentials URI).
static ISSUED_LOGS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Secrets and tokens tests gave the binary (environment variables naming a secret or a token).
static GIVEN_SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// Files tests wrote themselves: not checked for secrets.
static WRITTEN_BY_TESTS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The shortest run of a secret's characters that must never appear (the library's rule).
const FRAGMENT: usize = 16;

/// Secrets shorter than this are placeholders (`x`, `y`): not looked for.
const PLACEHOLDER: usize = 8;

/// The emulator's default key, documented in `vodplan emulator --help`: public, so its whole
/// value may be printed (any run of [`FRAGMENT`] characters of a longer secret may not).
const PUBLIC_TEST_SECRET: &str = "testsecret";

/// Every secret or token any test used: the emulator's OIDC token, what tests put in
/// secret-naming variables, and what every emulator issued.
fn known_secrets() -> Vec<String> {
    let mut all = vec![vod_emulator::sts::DEFAULT_OIDC_TOKEN.to_string()];
    all.extend(GIVEN_SECRETS.lock().unwrap().iter().cloned());
    for log in ISSUED_LOGS.lock().unwrap().iter() {
        if let Ok(text) = std::fs::read_to_string(log) {
            all.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
        }
    }
    all.retain(|s| s.len() >= PLACEHOLDER && s != PUBLIC_TEST_SECRET);
    all.sort();
    all.dedup();
    all
}

/// Whether an environment variable holds a secret or a token (not a path to one).
fn names_a_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    (n.contains("SECRET") || n.contains("TOKEN") || n.contains("PASSWORD"))
        && !n.ends_with("_FILE")
        && !n.ends_with("_PATH")
}

/// Panics naming `what` when `text` holds a secret a test used: the whole of one shorter than
/// [`FRAGMENT`] characters (placeholders of fewer than [`PLACEHOLDER`] aside), or any run of [`FRAGMENT`] characters of a longer one, as written
/// or percent-encoded. Every run of the binary is checked with it (output, and the plan and
/// journal files it wrote); tests that read a child's output themselves may call it too.
pub fn assert_no_secret(text: &str, what: &str) {
    for secret in known_secrets() {
        let encoded = vodplan::vod::encode::percent(&secret);
        for form in [secret.as_str(), encoded.as_str()] {
            let found = if form.len() < FRAGMENT {
                text.find(form).map(|i| (i, form))
            } else {
                (0..=form.len() - FRAGMENT).find_map(|i| {
                    let piece = form.get(i..i + FRAGMENT)?;
                    text.find(piece).map(|at| (at, piece))
                })
            };
            if let Some((at, piece)) = found {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(60)
                    .map_or(0, |(i, _)| i);
                panic!(
                    "{what} holds part of a secret or token ({piece:?}), near: {:?}",
                    &text[from..(at + piece.len()).min(text.len())]
                );
            }
        }
    }
}

/// The files of `dir` the binary may have written (plans, journals, reports), not the test's.
fn written_files(dir: &Path, depth: usize, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() && depth > 0 {
            written_files(&path, depth - 1, into);
        } else if meta.is_file()
            && meta.len() < (64 << 20)
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".emulator-issued-"))
            && !WRITTEN_BY_TESTS.lock().unwrap().contains(&path)
        {
            into.push(path);
        }
    }
}

/// A command line for the real binary, with a clean environment (no ambient credentials).
pub struct Vodplan {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

pub fn vodplan(dir: &Dir) -> Vodplan {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir.path());
    for (k, _) in std::env::vars() {
        if k.starts_with("ALIBABA") || k.starts_with("VODPLAN") || k == "NO_COLOR" {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", dir.path()).stdin(Stdio::null());
    Vodplan { cmd, stdin: None }
}

impl Vodplan {
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Self {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        if names_a_secret(k) && !v.is_empty() {
            GIVEN_SECRETS.lock().unwrap().push(v.to_string());
        }
        self.cmd.env(k, v);
        self
    }

    /// Points at an emulator with its test key.
    pub fn against(self, emulator: &Emulator) -> Self {
        self.env("VODPLAN_ENDPOINT", &emulator.endpoint())
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
    }

    /// What the command reads on stdin (otherwise nothing).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.as_bytes().to_vec());
        self
    }

    /// Starts the command with stdout and stderr captured (for tests that signal it).
    pub fn spawn_captured(mut self) -> Child {
        self.cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Starts the command without waiting (for tests that kill it).
    pub fn spawn(mut self) -> Child {
        self.cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// Runs to completion, through assert_cmd with a time limit: a command that hangs fails its
    /// test (killed after 3 minutes) instead of hanging the suite.
    pub fn run(self) -> Run {
        let cwd = self.cmd.get_current_dir().map(Path::to_path_buf);
        let mut cmd = assert_cmd::Command::from_std(self.cmd);
        cmd.timeout(std::time::Duration::from_secs(180));
        if let Some(text) = self.stdin {
            cmd.write_stdin(text);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.code().is_some(),
            "vodplan was killed (time limit or signal): {out:?}"
        );
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        };
        // No fragment of a secret or token in any output, plan or journal of any run.
        assert_no_secret(&run.stdout, "stdout");
        assert_no_secret(&run.stderr, "stderr");
        if let Some(cwd) = cwd {
            let mut files = Vec::new();
            written_files(&cwd, 2, &mut files);
            for f in files {
                if let Ok(text) = std::fs::read(&f) {
                    assert_no_secret(&String::from_utf8_lossy(&text), &f.display().to_string());
                }
            }
        }
        run
    }
}

/// `text` with what changes from run to run replaced: the emulator's port, and the plan digest
/// (which covers the endpoint, so the port).
pub fn stable(text: &str, emulator: &Emulator) -> String {
    let text = text.replace(&emulator.endpoint(), "http://127.0.0.1:PORT");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = find_digest(rest) {
        out.push_str(&rest[..i]);
        out.push_str("DIGEST");
        rest = &rest[i + 12..];
    }
    out.push_str(rest);
    out
}

/// Where the next 12-hex plan digest after a digest label starts.
pub fn find_digest(text: &str) -> Option<usize> {
    [
        "Plan digest: `",
        "Plan digest: ",
        "\"planDigest\": \"",
        "plan ",
        "(digest ",
    ]
    .iter()
    .filter_map(|label| {
        let mut from = 0;
        while let Some(i) = text[from..].find(label) {
            let start = from + i + label.len();
            let candidate = text.get(start..start + 12)?;
            if candidate
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            {
                return Some(start);
            }
            from = start;
        }
        None
    })
    .min()
}

/// Writes `m.yaml`: [`deleting`] `n`.
pub fn delete_manifest(dir: &Dir, n: usize) {
    dir.write("m.yaml", &deleting(n));
}

/// A manifest deleting the first `n` videos of [`catalog_of`] by ID.
pub fn deleting(n: usize) -> String {
    let mut m = String::from("version: 1\ndelete:\n");
    for i in 0..n {
        m.push_str(&format!("  - videoId: {}\n", vid(i)));
    }
    m
}

/// The set-up most tests share: a directory, an emulator serving `catalog` (started with
/// `flags`), and `manifest` as the directory's `m.yaml`.
pub fn with_manifest(catalog: &str, flags: &[&str], manifest: &str) -> (Dir, Emulator) {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, catalog, flags);
    dir.write("m.yaml", manifest);
    (dir, emu)
}

/// [`with_manifest`], and `m.yaml` planned into `plan.json` (which must succeed).
pub fn with_saved_plan(catalog: &str, flags: &[&str], manifest: &str) -> (Dir, Emulator) {
    let (dir, emu) = with_manifest(catalog, flags, manifest);
    let r = run(&dir, &emu, &["plan", "m.yaml", "--out", "plan.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    (dir, emu)
}

/// `vodplan ARGS` in `dir`, against `emu`.
pub fn run(dir: &Dir, emu: &Emulator, args: &[&str]) -> Run {
    vodplan(dir).against(emu).args(args).run()
}

/// A runtime for tests that reach the emulator through the library.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A catalogue of `n` videos `v000..` (32-hex IDs), plus extras.
pub fn catalog_of(n: usize, extra: &str) -> String {
    let mut s = String::from("videos:\n");
    for i in 0..n {
        s.push_str(&format!(
            "  - videoId: {}\n    title: Video {i}\n    status: Normal\n    categoryId: 1000\n    creationTime: 2023-01-01T00:00:00Z\n    size: 1048576\n",
            vid(i)
        ));
    }
    s.push_str(extra);
    s
}

/// The i-th generated video ID.
pub fn vid(i: usize) -> String {
    format!("{i:032x}")
}
