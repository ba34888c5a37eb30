//! Where output goes and how it looks: the one place that decides colour and terminal detection,
//! and draws progress bars (on stderr, only when it is a terminal).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vodplan::render::Format;

use super::args::{FormatArg, GlobalArgs};

pub struct Output {
    pub format: Format,
    pub color: bool,
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

    /// A progress bar on stderr, hidden when stderr is not a terminal.
    pub fn bar(&self, what: &str) -> Bar {
        let bar = ProgressBar::with_draw_target(
            Some(0),
            if self.progress {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} videos, {rate} IDs/s, ETA {eta}",
            )
            .expect("valid template")
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}", state.per_sec());
                },
            )
            .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        Bar(bar)
    }
}

pub struct Bar(ProgressBar);

impl Bar {
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl vodplan::state::ReadProgress for Bar {
    fn total(&self, n: u64) {
        self.0.set_length(n);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

impl vodplan::apply::ApplyProgress for Bar {
    fn total(&self, n: u64) {
        self.0.set_length(n);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn resuming(&self, sent: usize) {
        self.0.suspend(|| {
            eprintln!(
                "Resuming: the journal shows an interrupted run of this plan that sent {sent} videos for deletion; they are credited, not reported as drift."
            )
        });
    }
}
