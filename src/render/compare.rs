//! `vodplan diff`: what changed between two saved plans, as text, JSON or Markdown (so CI can post
//! "what changed since the last review" under the plan comment). Titles and file names are
//! outside strings, escaped as everywhere else.

use std::fmt::Write;

use super::Format;
use super::escape::{self, markdown_code, quoted, visible};
use crate::plan::compare::{Changed, Comparison};

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
        Format::Json => json(c, names),
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

/// The `diff` document (fields in the order of their names, as [`super::json`] explains): per action, the videos the new plan adds and drops.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffDocument<'a> {
    actions: std::collections::BTreeMap<&'a str, ActionRow<'a>>,
    #[serde(rename = "format_version")]
    format_version: u32,
    new: PlanRef<'a>,
    old: PlanRef<'a>,
    same: bool,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanRef<'a> {
    file: &'a str,
    plan_digest: &'a str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ActionRow<'a> {
    added: Vec<ChangedRow<'a>>,
    added_count: usize,
    dropped: Vec<ChangedRow<'a>>,
    dropped_count: usize,
    new: usize,
    old: usize,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangedRow<'a> {
    source: &'a str,
    title: &'a str,
    video_id: &'a crate::ids::VideoId,
}

impl<'a> DiffDocument<'a> {
    pub fn new(c: &'a Comparison, n: &'a Names) -> DiffDocument<'a> {
        let rows = |vs: &'a [Changed]| {
            vs.iter()
                .map(|v| ChangedRow {
                    source: &v.source,
                    title: &v.title,
                    video_id: &v.video_id,
                })
                .collect()
        };
        DiffDocument {
            actions: c
                .actions
                .iter()
                .map(|a| {
                    let row = ActionRow {
                        added: rows(&a.added),
                        added_count: a.added.len(),
                        dropped: rows(&a.dropped),
                        dropped_count: a.dropped.len(),
                        new: a.new_count,
                        old: a.old_count,
                    };
                    (a.action, row)
                })
                .collect(),
            format_version: super::json::FORMAT_VERSION,
            new: PlanRef {
                file: &n.new,
                plan_digest: &n.new_digest,
            },
            old: PlanRef {
                file: &n.old,
                plan_digest: &n.old_digest,
            },
            same: c.same(),
        }
    }
}

fn json(c: &Comparison, n: &Names) -> String {
    super::json::print(&DiffDocument::new(c, n))
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

#[cfg(test)]
mod document_tests {
    use super::*;
    use crate::ids::VideoId;
    use crate::plan::compare::ActionChange;

    #[test]
    fn the_diff_document_is_its_sorted_form() {
        let v = |s: &str| VideoId::new(s).unwrap();
        let sorted = super::super::json::tests::sorted;
        let changed = crate::plan::compare::Changed {
            video_id: v("v1"),
            title: "t".into(),
            source: "m.yaml:5".into(),
        };
        let c = Comparison {
            actions: vec![ActionChange {
                action: "delete",
                old_count: 1,
                new_count: 1,
                added: vec![changed.clone()],
                dropped: vec![changed],
            }],
        };
        sorted(&DiffDocument::new(&c, &Names::default()));
    }
}
