//! Choosing the renderer for `--format`. The dispatch lives apart from the shared helpers in
//! `mod.rs` so that the renderers can use those helpers without a file-level import cycle
//! (`render/mod.rs` -> `json.rs` -> `render/mod.rs`).

use super::{PlanContext, csv, html, json, markdown, text};
use crate::apply::Outcome;
use crate::plan::Plan;

/// The output formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
    /// `plan` and `show` only: one row per planned video.
    Csv,
    /// `plan` and `show` only: one self-contained report.
    Html,
}

pub fn plan(plan: &Plan, ctx: &PlanContext, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::plan(plan, ctx, color),
        Format::Json => json::plan(plan, ctx),
        Format::Markdown => markdown::plan(plan, ctx),
        Format::Csv => csv::plan(plan),
        Format::Html => html::plan(plan, ctx),
    }
}

pub fn outcome(outcome: &Outcome, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::outcome(outcome, color),
        Format::Json => json::outcome(outcome),
        Format::Markdown => markdown::outcome(outcome),
        // Refused for commands other than `plan` and `show` before they run (see the CLI).
        Format::Csv | Format::Html => json::outcome(outcome),
    }
}
