//! Where output goes and how it looks: the one place that decides colour and terminal detection,
//! and shows progress on stderr.
//!
//! Progress is for people watching: on a terminal, a bar (or, while the total is unknown, a
//! spinner) with the phase, items found or done, API calls and rate; with no terminal (CI logs),
//! a plain line at most every [`PLAIN_EVERY`], and only once a run has lasted that long, so that
//! a 30-minute plan does not look hung and a 2-second one stays quiet.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vodplan::progress::{Phase, Progress};
use vodplan::render::Format;

use super::args::{FormatArg, GlobalArgs};

/// How often a plain progress line may be written when stderr is not a terminal.
pub const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct Output {
    pub format: Format,
    pub color: bool,
    /// stderr is a terminal: draw bars; otherwise write plain lines.
    pub progress: bool,
}

impl Output {
    pub fn new(global: &GlobalArgs) -> Output {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Output {
            format: match global.format {
                FormatArg::Text => Format::Text,
                FormatArg::Json => Format::Json,
                FormatArg::Markdown => Format::Markdown,
                FormatArg::Csv => Format::Csv,
                FormatArg::Html => Format::Html,
            },
            color: !global.no_color && !no_color_env && std::io::stdout().is_terminal(),
            progress: std::io::stderr().is_terminal(),
        }
    }

    /// Prints a document on stdout. A closed stdout (`vodplan plan | head -1`) is not an error
    /// worth a word: the reader has what it wanted, so the rest is dropped quietly.
    pub fn print(&self, text: &str) {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush());
    }

    /// Progress on stderr for a command's long phases; `what` names the work until a phase starts.
    pub fn bar(&self, what: &str) -> Bar {
        let bar = ProgressBar::with_draw_target(
            None,
            if self.progress {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        let now = Instant::now();
        let bar = Bar {
            bar,
            plain: !self.progress,
            state: Mutex::new(BarState {
                phase: what.to_string(),
                total: None,
                items: 0,
                calls: 0,
                run_started: now,
                phase_started: now,
                last_line: None,
            }),
        };
        bar.restyle(what, None);
        bar
    }
}

/// Progress of one command, drawn or written as plain lines.
pub struct Bar {
    bar: ProgressBar,
    plain: bool,
    state: Mutex<BarState>,
}

struct BarState {
    phase: String,
    total: Option<u64>,
    items: u64,
    calls: u64,
    run_started: Instant,
    phase_started: Instant,
    last_line: Option<Instant>,
}

impl BarState {
    /// `listing: 12,400 found, 130 calls, 95/s` or `reading: 4,000/50,000 videos, 200 calls,
    /// 2,000/s, ETA 23 s`.
    fn line(&self, now: Instant) -> String {
        let secs = now.duration_since(self.phase_started).as_secs_f64();
        let rate = if secs > 0.0 {
            (self.items as f64 / secs).round() as u64
        } else {
            0
        };
        let calls = match self.calls {
            0 => String::new(),
            1 => ", 1 call".to_string(),
            n => format!(", {} calls", thousands(n)),
        };
        match self.total {
            Some(total) => {
                let eta = if rate > 0 && total > self.items {
                    format!(", ETA {} s", (total - self.items).div_ceil(rate))
                } else {
                    String::new()
                };
                format!(
                    "{}: {}/{} videos{calls}, {}/s{eta}",
                    self.phase,
                    thousands(self.items),
                    thousands(total),
                    thousands(rate)
                )
            }
            None => format!(
                "{}: {} found{calls}, {}/s",
                self.phase,
                thousands(self.items),
                thousands(rate)
            ),
        }
    }
}

/// `12400` as `12,400`.
pub fn thousands(n: u64) -> String {
    vodplan::render::thousands(usize::try_from(n).unwrap_or(usize::MAX))
}

impl Bar {
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn restyle(&self, phase: &str, total: Option<u64>) {
        let template = match total {
            Some(_) => "{msg} [{bar:30}]",
            None => "{spinner} {msg}",
        };
        self.bar.set_style(
            ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        self.bar.set_length(total.unwrap_or(0));
        self.bar.set_position(0);
        self.bar.set_message(phase.to_string());
    }

    fn begin(&self, phase: &str, total: Option<u64>) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.phase = phase.to_string();
        s.total = total;
        s.items = 0;
        s.calls = 0;
        s.phase_started = Instant::now();
        drop(s);
        self.restyle(phase, total);
    }

    fn step(&self, items: u64, calls: u64) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.items += items;
        s.calls += calls;
        let now = Instant::now();
        if self.plain {
            let due = now.duration_since(s.run_started) >= PLAIN_EVERY
                && s.last_line
                    .is_none_or(|t| now.duration_since(t) >= PLAIN_EVERY);
            if due {
                s.last_line = Some(now);
                eprintln!("{}", s.line(now));
            }
        } else {
            self.bar.set_position(s.items);
            self.bar.set_message(s.line(now));
        }
    }
}

impl Progress for Bar {
    fn start(&self, phase: Phase, total: Option<u64>) {
        self.begin(phase.name(), total);
    }
    fn advance(&self, items: u64, calls: u64) {
        self.step(items, calls);
    }
}

impl vodplan::apply::ApplyProgress for Bar {
    fn total(&self, n: u64) {
        self.begin(Phase::Deleting.name(), Some(n));
    }
    fn advance(&self, n: u64) {
        self.step(n, 0);
    }
    fn resuming(&self, sent: usize, interrupted: bool) {
        let sent = thousands(sent as u64);
        self.bar.suspend(|| {
            if interrupted {
                eprintln!(
                    "Resuming: the journal shows an interrupted run of this plan that sent {sent} videos for deletion; what it deleted is credited, not reported as drift."
                )
            } else {
                eprintln!(
                    "Continuing: the journal shows an earlier partial run of this plan that sent {sent} videos for deletion; what it deleted is credited, not reported as drift."
                )
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_name_the_phase_counts_calls_and_rate() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(12_400), "12,400");
        assert_eq!(thousands(1_234_567), "1,234,567");
        let t0 = Instant::now();
        let s = BarState {
            phase: "listing".into(),
            total: None,
            items: 12_400,
            calls: 130,
            run_started: t0,
            phase_started: t0,
            last_line: None,
        };
        assert_eq!(
            s.line(t0 + Duration::from_millis(130_526)),
            "listing: 12,400 found, 130 calls, 95/s"
        );
        let s = BarState {
            phase: "reading".into(),
            total: Some(50_000),
            items: 4_000,
            calls: 200,
            ..s
        };
        assert_eq!(
            s.line(t0 + Duration::from_secs(2)),
            "reading: 4,000/50,000 videos, 200 calls, 2,000/s, ETA 23 s"
        );
    }
}
