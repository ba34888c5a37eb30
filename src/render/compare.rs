//! `vodplan diff`: what changed between two saved plans, as text, JSON or Markdown (so CI can post
//! "what changed since the last review" under the plan comment). Titles and file names are
//! outside strings, escaped as everywhere else.

use std::fmt::Write;

use super::Format;
use super::escape::{self, markdown_code, quoted, visible};
use crate::plan::compare::Comparison;

/// The marker of vodplan's diff comment.
pub const MARKER: &str = "<!-- vodplan-diff -->";

/// The two plans compared.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub old: String,
    pub new: String,
    pub old_digest: String,
    pub new_digest: String,
}

pub fn render(c: &Comparison, names: &Names, format: Format) -> String {
    match format {
        Format::Json => super::json::diff(c, names),
        Format::Markdown => markdown(c, names),
        _ => text(c, names),
    }
}

fn verb(action: &str) -> &str {
    match action {
        "delete" => "to delete",
        "quarantine" => "to quarantine",
        _ => "to restore",
    }
}

/// The action's list, for "added to the deletions".
fn list_name(action: &str) -> &str {
    match action {
        "delete" => "the deletions",
        "quarantine" => "the quarantines",
        _ => "the restores",
    }
}

fn text(c: &Comparison, n: &Names) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Comparing {} (digest {}) with {} (digest {}):",
        visible(&n.old),
        n.old_digest,
        visible(&n.new),
        n.new_digest
    );
    for a in &c.actions {
        if a.old_count == 0 && a.new_count == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "\n{}: {} -> {} videos, {} added, {} dropped",
            verb(a.action),
            a.old_count,
            a.new_count,
            a.added.len(),
            a.dropped.len()
        );
        for (sign, list) in [("+", &a.added), ("-", &a.dropped)] {
            for v in list {
                let _ = writeln!(
                    out,
                    "  {sign} {}  {}  {}",
                    v.video_id,
                    quoted(&v.title),
                    visible(&v.source)
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        if c.same() {
            "Same actions: both plans delete, quarantine and restore the same videos."
        } else {
            "The plans differ."
        }
    );
    out
}

fn markdown(c: &Comparison, n: &Names) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}");
    let _ = writeln!(out, "### vodplan: what changed since the last review\n");
    let _ = writeln!(
        out,
        "{} ({}) → {} ({})\n",
        escape::markdown(&n.old),
        markdown_code(&n.old_digest),
        escape::markdown(&n.new),
        markdown_code(&n.new_digest)
    );
    let _ = writeln!(
        out,
        "| action | before | after | added | dropped |\n|---|---:|---:|---:|---:|"
    );
    for a in &c.actions {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            verb(a.action),
            a.old_count,
            a.new_count,
            a.added.len(),
            a.dropped.len()
        );
    }
    out.push('\n');
    if c.same() {
        let _ = writeln!(
            out,
            "Same actions: both plans delete, quarantine and restore the same videos."
        );
        return out;
    }
    let lists: Vec<(String, Vec<String>)> = c
        .actions
        .iter()
        .flat_map(|a| {
            [("added to", &a.added), ("dropped from", &a.dropped)]
                .into_iter()
                .filter(|(_, l)| !l.is_empty())
                .map(move |(what, l)| {
                    (
                        format!("{what} {} ({})", list_name(a.action), l.len()),
                        l.iter()
                            .map(|v| {
                                format!(
                                    "- {} {} ({})",
                                    markdown_code(v.video_id.as_str()),
                                    escape::markdown(&v.title),
                                    super::markdown::source_cell(&v.source)
                                )
                            })
                            .collect(),
                    )
                })
        })
        .collect();
    let n_lists = lists.len().max(1);
    for (i, (title, lines)) in lists.iter().enumerate() {
        let budget = (super::markdown::MAX_CHARS.saturating_sub(out.len())) / (n_lists - i);
        let end = out.len() + budget;
        let _ = writeln!(out, "<details><summary>Videos {title}</summary>\n");
        super::markdown::bounded_list(&mut out, lines, end.saturating_sub(40), "");
        let _ = writeln!(out, "\n</details>\n");
    }
    out
}
