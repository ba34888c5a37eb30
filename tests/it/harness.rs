//! Runs the real `vodplan` binary, and the real emulator as a separate `vodplan emulator` process
//! on a free loopback port. Nothing of vodplan's own is mocked.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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
        let mut child = Command::new(BIN)
            .current_dir(dir.path())
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

/// A command line for the real binary, with a clean environment (no ambient credentials).
pub struct Vodplan {
    cmd: Command,
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
    Vodplan { cmd }
}

impl Vodplan {
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Self {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.cmd.env(k, v);
        self
    }

    /// Points at an emulator with its test key.
    pub fn against(self, emulator: &Emulator) -> Self {
        self.env("VODPLAN_ENDPOINT", &emulator.endpoint())
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
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
        let out = assert_cmd::Command::from_std(self.cmd)
            .timeout(std::time::Duration::from_secs(180))
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some(),
            "vodplan was killed (time limit or signal): {out:?}"
        );
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
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
fn find_digest(text: &str) -> Option<usize> {
    [
        "Plan digest: `",
        "Plan digest: ",
        "\"planDigest\": \"",
        "plan ",
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

/// Writes `m.yaml`: a manifest deleting the first `n` videos of [`catalog_of`] by ID.
pub fn delete_manifest(dir: &Dir, n: usize) {
    let mut m = String::from("version: 1\ndelete:\n");
    for i in 0..n {
        m.push_str(&format!("  - videoId: {}\n", vid(i)));
    }
    dir.write("m.yaml", &m);
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
