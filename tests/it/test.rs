//! One run of the real binary, and everything it must print, in the style of just's
//! `tests/test.rs`:
//!
//! ```ignore
//! Test::new()
//!     .write("m.yaml", "version: 1\n")
//!     .args(["validate", "m.yaml"])
//!     .stdout("Valid: 1 file, 0 delete entries, 0 keep entries.\n")
//!     .run();
//! ```
//!
//! A run checks the exit status, stdout and stderr **exactly**; what a test does not state is
//! expected empty (status 0, no output). A test loosens a stream only where it is genuinely
//! variable, and says so in the call: `.stderr_contains(..)`, `.stdout_starts_with(..)`,
//! `.stdout_matches(what, predicate)`, `.ignore_stderr()`. What changes from run to run is
//! normalised before comparing instead, so that the rest stays exact: the temporary directory
//! reads `{DIR}`, the emulator's port `{PORT}` (`http://127.0.0.1:{PORT}`), and a plan digest
//! (12 hex digits after a digest label; it covers the endpoint, so the port) `{DIGEST}`; and,
//! where a test asks, the time of the run `{NOW}` (`.normalise_now()`), any loopback port
//! (`.normalise_ports()`) or another value of the day (`.replacing(value, placeholder)`). Long expectations are written indented, with
//! [`unindent`].
//!
//! Every run goes through the harness ([`crate::harness::Vodplan::run`]): the clean
//! environment, the time limit, and the check that no fragment of a secret or token is in any
//! output or file the binary wrote.
//!
//! It lives here, as a module of the one integration-test binary (`tests/it/main.rs`), and not
//! as `tests/test.rs`: every file directly under `tests/` is a test binary of its own, linked
//! separately against the library, and the builder needs the harness (the emulator, the clean
//! environment, the secret check), which is a module of this binary.

use std::ffi::OsString;
use std::fmt::Write as _;

use crate::harness::{Dir, Emulator, Run, find_digest, vodplan};

/// Where the run happens: a directory of the test's own, or one the test shares between runs.
enum Place<'a> {
    Own(Dir),
    Shared(&'a Dir),
}

impl Place<'_> {
    fn dir(&self) -> &Dir {
        match self {
            Place::Own(d) => d,
            Place::Shared(d) => d,
        }
    }
}

/// What one stream (stdout or stderr) must be.
enum Expect {
    /// Exactly this text, after normalising.
    Exact(String),
    /// Only these checks (none: anything).
    Loose(Vec<Check>),
}

enum Check {
    Contains(String),
    StartsWith(String),
    Matches(&'static str, Box<dyn Fn(&str) -> bool>),
}

impl Expect {
    fn loosen(&mut self, check: Check) {
        match self {
            Expect::Exact(_) => *self = Expect::Loose(vec![check]),
            Expect::Loose(checks) => checks.push(check),
        }
    }

    /// What is wrong with `got`, if anything.
    fn mismatch(&self, got: &str) -> Option<String> {
        match self {
            Expect::Exact(want) if want == got => None,
            Expect::Exact(want) => Some(format!(
                "expected exactly:\n{}\ngot:\n{}\n{}",
                fenced(want),
                fenced(got),
                first_difference(want, got)
            )),
            Expect::Loose(checks) => {
                let failed: Vec<String> = checks
                    .iter()
                    .filter_map(|c| match c {
                        Check::Contains(s) if !got.contains(s.as_str()) => {
                            Some(format!("expected to contain {s:?}"))
                        }
                        Check::StartsWith(s) if !got.starts_with(s.as_str()) => {
                            Some(format!("expected to start with {s:?}"))
                        }
                        Check::Matches(what, f) if !f(got) => Some(format!("expected {what}")),
                        _ => None,
                    })
                    .collect();
                (!failed.is_empty())
                    .then(|| format!("{}; got:\n{}", failed.join("; "), fenced(got)))
            }
        }
    }
}

/// `text` between markers, so that trailing whitespace and a missing last newline show.
fn fenced(text: &str) -> String {
    format!("┌──\n{text}⏎\n└──")
}

/// The first line where `want` and `got` differ, both shown escaped.
fn first_difference(want: &str, got: &str) -> String {
    let mut w = want.split('\n');
    let mut g = got.split('\n');
    for line in 1.. {
        match (w.next(), g.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => break,
            (a, b) => {
                return format!("first difference at line {line}:\n  want {a:?}\n  got  {b:?}");
            }
        }
    }
    String::new()
}

/// A run of `vodplan` and what it must print; see the module documentation.
#[must_use = "a Test checks nothing until it is run"]
pub struct Test<'a> {
    place: Place<'a>,
    args: Vec<OsString>,
    env: Vec<(String, String)>,
    emulator: Option<&'a Emulator>,
    stdin: Option<String>,
    replacements: Vec<(String, String)>,
    now: bool,
    ports: bool,
    status: i32,
    stdout: Expect,
    stderr: Expect,
}

impl Default for Test<'_> {
    fn default() -> Self {
        Test::with_place(Place::Own(Dir::new()))
    }
}

impl<'a> Test<'a> {
    /// A run in a new temporary directory of its own (see [`Test::write`]).
    pub fn new() -> Self {
        Test::default()
    }

    /// A run in `dir`, which the test keeps (to read what the run wrote, or for several runs).
    pub fn in_dir(dir: &'a Dir) -> Self {
        Test::with_place(Place::Shared(dir))
    }

    fn with_place(place: Place<'a>) -> Self {
        Test {
            place,
            args: Vec::new(),
            env: Vec::new(),
            emulator: None,
            stdin: None,
            replacements: Vec::new(),
            now: false,
            ports: false,
            status: 0,
            stdout: Expect::Exact(String::new()),
            stderr: Expect::Exact(String::new()),
        }
    }

    /// Writes a file into the run's directory before the run.
    pub fn write(self, name: &str, text: &str) -> Self {
        self.place.dir().write(name, text);
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Points the run at `emulator`, with its test key.
    pub fn against(mut self, emulator: &'a Emulator) -> Self {
        self.emulator = Some(emulator);
        self
    }

    /// What the run reads on stdin (otherwise nothing: stdin is `/dev/null`).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_string());
        self
    }

    /// Also normalise `text` (something else that changes from run to run, such as a date
    /// computed from today) to `placeholder` before comparing.
    pub fn replacing(mut self, text: &str, placeholder: &str) -> Self {
        self.replacements
            .push((text.to_string(), placeholder.to_string()));
        self
    }

    /// Also normalise the times of today (`YYYY-MM-DDTHH:MM:SSZ`, UTC, as vodplan writes the time
    /// of a run) to `{NOW}`.
    pub fn normalise_now(mut self) -> Self {
        self.now = true;
        self
    }

    /// Also normalise every loopback port (`http://127.0.0.1:N`) to `{PORT}`: for a run that
    /// starts a server of its own (`vodplan demo`).
    pub fn normalise_ports(mut self) -> Self {
        self.ports = true;
        self
    }

    /// The exit status (default 0).
    pub fn status(mut self, code: i32) -> Self {
        self.status = code;
        self
    }

    /// stdout, exactly (default: empty).
    pub fn stdout(mut self, text: impl Into<String>) -> Self {
        self.stdout = Expect::Exact(text.into());
        self
    }

    /// stderr, exactly (default: empty).
    pub fn stderr(mut self, text: impl Into<String>) -> Self {
        self.stderr = Expect::Exact(text.into());
        self
    }

    /// stdout only has to contain `text` (and whatever else is asked of it).
    #[allow(dead_code, reason = "the builder says the same of both streams")]
    pub fn stdout_contains(mut self, text: &str) -> Self {
        self.stdout.loosen(Check::Contains(text.to_string()));
        self
    }

    /// stderr only has to contain `text` (and whatever else is asked of it).
    pub fn stderr_contains(mut self, text: &str) -> Self {
        self.stderr.loosen(Check::Contains(text.to_string()));
        self
    }

    /// stdout only has to start with `text` (and whatever else is asked of it).
    #[allow(dead_code, reason = "the builder says the same of both streams")]
    pub fn stdout_starts_with(mut self, text: &str) -> Self {
        self.stdout.loosen(Check::StartsWith(text.to_string()));
        self
    }

    /// stderr only has to start with `text` (and whatever else is asked of it).
    pub fn stderr_starts_with(mut self, text: &str) -> Self {
        self.stderr.loosen(Check::StartsWith(text.to_string()));
        self
    }

    /// stdout only has to satisfy `check`, described by `what` in a failure.
    pub fn stdout_matches(
        mut self,
        what: &'static str,
        check: impl Fn(&str) -> bool + 'static,
    ) -> Self {
        self.stdout.loosen(Check::Matches(what, Box::new(check)));
        self
    }

    /// stderr only has to satisfy `check`, described by `what` in a failure.
    #[allow(dead_code, reason = "the builder says the same of both streams")]
    pub fn stderr_matches(
        mut self,
        what: &'static str,
        check: impl Fn(&str) -> bool + 'static,
    ) -> Self {
        self.stderr.loosen(Check::Matches(what, Box::new(check)));
        self
    }

    /// stdout is not checked (say why at the call).
    pub fn ignore_stdout(mut self) -> Self {
        self.stdout = Expect::Loose(Vec::new());
        self
    }

    /// stderr is not checked (say why at the call).
    pub fn ignore_stderr(mut self) -> Self {
        self.stderr = Expect::Loose(Vec::new());
        self
    }

    /// `text` with what changes from run to run replaced by `{DIR}`, `{PORT}` and `{DIGEST}`,
    /// and what [`Test::replacing`] names.
    pub fn normalise(&self, text: &str) -> String {
        // A test's own replacements first: it may name a digest or a port it knows.
        let text = self
            .replacements
            .iter()
            .fold(text.to_string(), |t, (from, to)| {
                t.replace(from.as_str(), to)
            });
        let text = normalise(&text, self.place.dir(), self.emulator);
        let text = if self.ports {
            loopback_ports(&text)
        } else {
            text
        };
        if self.now {
            times_of_today(&text)
        } else {
            text
        }
    }

    /// Runs the binary, checks the status and both streams, and returns what it printed as
    /// printed (not normalised). Panics naming every check that failed.
    pub fn run(self) -> Run {
        let dir = self.place.dir();
        let mut cmd = vodplan(dir).args(&self.args);
        if let Some(emu) = self.emulator {
            cmd = cmd.against(emu);
        }
        for (k, v) in &self.env {
            cmd = cmd.env(k, v);
        }
        if let Some(text) = &self.stdin {
            cmd = cmd.stdin(text);
        }
        let run = cmd.run();
        let mut problems = String::new();
        if run.code != self.status {
            let _ = writeln!(
                problems,
                "status: expected {}, got {}",
                self.status, run.code
            );
        }
        for (name, expect, got) in [
            ("stdout", &self.stdout, &run.stdout),
            ("stderr", &self.stderr, &run.stderr),
        ] {
            if let Some(m) = expect.mismatch(&self.normalise(got)) {
                let _ = writeln!(problems, "{name}: {m}");
            }
        }
        if !problems.is_empty() {
            let args: Vec<String> = self
                .args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            panic!("`vodplan {}`:\n{problems}", args.join(" "));
        }
        run
    }
}

/// An expected output written indented in the test, as just's tests write theirs: a leading
/// newline is dropped, the indentation common to all non-blank lines is removed, and a last line
/// of only spaces (the closing quote's indentation) is dropped, keeping its newline.
///
/// ```ignore
/// .stderr(unindent(
///     "
///     error: the manifests have 1 problem; nothing was sent to the API
///     hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again
///     ",
/// ))
/// ```
pub fn unindent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let lines: Vec<&str> = text.split('\n').collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let out: Vec<&str> = lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                ""
            } else {
                &l[indent..]
            }
        })
        .collect();
    out.join("\n")
}

/// `text` with the port of every `http://127.0.0.1:N` written `{PORT}`.
fn loopback_ports(text: &str) -> String {
    const LOOPBACK: &str = "http://127.0.0.1:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(LOOPBACK) {
        let after = &rest[i + LOOPBACK.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..i + LOOPBACK.len()]);
        out.push_str(if digits > 0 { "{PORT}" } else { "" });
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// `text` with every `YYYY-MM-DDTHH:MM:SSZ` of today (or yesterday, for a run across midnight)
/// written `{NOW}`.
fn times_of_today(text: &str) -> String {
    let today = time::OffsetDateTime::now_utc().date();
    let mut text = text.to_string();
    for day in [today, today.previous_day().unwrap_or(today)] {
        let prefix = format!("{day}T");
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(i) = rest.find(&prefix) {
            let time = rest.get(i + prefix.len()..i + prefix.len() + 9);
            out.push_str(&rest[..i]);
            match time {
                Some(t)
                    if t.ends_with('Z')
                        && t[..8].bytes().all(|b| b.is_ascii_digit() || b == b':') =>
                {
                    out.push_str("{NOW}");
                    rest = &rest[i + prefix.len() + 9..];
                }
                _ => {
                    out.push_str(&prefix);
                    rest = &rest[i + prefix.len()..];
                }
            }
        }
        out.push_str(rest);
        text = out;
    }
    text
}

/// `text` with the temporary directory, the emulator's port and plan digests replaced.
pub fn normalise(text: &str, dir: &Dir, emulator: Option<&Emulator>) -> String {
    let mut text = text.to_string();
    if let Some(emu) = emulator {
        text = text.replace(&emu.endpoint(), "http://127.0.0.1:{PORT}");
    }
    let path = dir.path();
    if let Ok(real) = path.canonicalize()
        && real != path
    {
        text = text.replace(&*real.to_string_lossy(), "{DIR}");
    }
    text = text.replace(&*path.to_string_lossy(), "{DIR}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = find_digest(rest) {
        out.push_str(&rest[..i]);
        out.push_str("{DIGEST}");
        rest = &rest[i + 12..];
    }
    out.push_str(rest);
    out
}
