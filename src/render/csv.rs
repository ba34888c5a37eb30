//! The plan as CSV (`--format csv`): one row per planned video (to delete, to quarantine, to
//! restore), every column, RFC 4180 (CRLF line
//! ends; a field with a comma, quote, CR or LF quoted, its quotes doubled).
//!
//! Safe to open in a spreadsheet: a text cell that would start with `=`, `+`, `-`, `@`, a tab or
//! a CR (a formula to Excel, LibreOffice and Google Sheets) is prefixed with `'` (OWASP's
//! advice for CSV injection), and hidden characters are shown as escapes ([`visible`]), as in the
//! terminal plan. Numbers and times are vodplan's own and written as they are. (Quoting is the
//! whole of RFC 4180 that writing needs: a few lines, no crate.)

use std::fmt::Write;

use super::breakdown::entry_label;
use super::escape::visible;
use crate::plan::quarantine::date_text;
use crate::plan::{Fingerprint, Plan};

/// The columns, in order.
pub const COLUMNS: [&str; 14] = [
    "action",
    "videoId",
    "referenceId",
    "title",
    "status",
    "size",
    "creationTime",
    "modificationTime",
    "categoryId",
    "tags",
    "storageClass",
    "reason",
    "selectedBy",
    "source",
];

/// A text cell: visible, defused, quoted when it must be.
fn text(out: &mut String, s: &str) {
    let mut v = visible(s);
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        v.insert(0, '\'');
    }
    if v.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&v);
    }
}

/// One row: the action, the video, what was observed of it, and why it is planned.
struct Row<'a> {
    action: &'a str,
    video_id: &'a str,
    reference_id: Option<&'a str>,
    observed: &'a Fingerprint,
    reason: Option<&'a str>,
    selected_by: &'a str,
    source: &'a str,
}

fn row(out: &mut String, r: Row<'_>) {
    let o = r.observed;
    out.push_str(r.action);
    out.push(',');
    text(out, r.video_id);
    out.push(',');
    text(out, r.reference_id.unwrap_or(""));
    out.push(',');
    text(out, &o.title);
    out.push(',');
    text(out, &o.status);
    out.push(',');
    if let Some(s) = o.size {
        let _ = write!(out, "{s}");
    }
    out.push(',');
    text(out, o.creation_time.as_deref().unwrap_or(""));
    out.push(',');
    text(out, o.modification_time.as_deref().unwrap_or(""));
    out.push(',');
    if let Some(c) = o.category_id {
        let _ = write!(out, "{c}");
    }
    out.push(',');
    text(out, o.tags.as_deref().unwrap_or(""));
    out.push(',');
    text(out, o.storage_class.as_deref().unwrap_or(""));
    out.push(',');
    text(out, r.reason.unwrap_or(""));
    out.push(',');
    text(out, r.selected_by);
    out.push(',');
    text(out, r.source);
    out.push_str("\r\n");
}

/// Every planned video: the deletions, then the videos to quarantine and to restore.
pub fn plan(plan: &Plan) -> String {
    let mut out = String::with_capacity(64 + plan.deletions.len() * 200);
    out.push_str(&COLUMNS.join(","));
    out.push_str("\r\n");
    for d in &plan.deletions {
        let reference = match &d.selected_by {
            crate::plan::SelectedBy::ReferenceId(r) => Some(r.as_str()),
            _ => d.observed.reference_id.as_deref(),
        };
        row(
            &mut out,
            Row {
                action: "delete",
                video_id: d.video_id.as_str(),
                reference_id: reference,
                observed: &d.observed,
                reason: d.reason.as_deref(),
                selected_by: &entry_label(d),
                source: &d.source.file_line(),
            },
        );
    }
    for q in &plan.quarantines {
        row(
            &mut out,
            Row {
                action: "quarantine",
                video_id: q.video_id.as_str(),
                reference_id: q.observed.reference_id.as_deref(),
                observed: &q.observed,
                reason: q.reason.as_deref(),
                selected_by: &format!("quarantine until {}", date_text(q.until)),
                source: &q.source.file_line(),
            },
        );
    }
    for r in &plan.restores {
        row(
            &mut out,
            Row {
                action: "restore",
                video_id: r.video_id.as_str(),
                reference_id: r.observed.reference_id.as_deref(),
                observed: &r.observed,
                reason: None,
                selected_by: if r.kept_by.is_some() {
                    "kept"
                } else {
                    "no longer selected"
                },
                source: &r
                    .kept_by
                    .as_ref()
                    .map(|k| k.file_line())
                    .unwrap_or_default(),
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        let cell = |s: &str| {
            let mut o = String::new();
            text(&mut o, s);
            o
        };
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("line\nbreak"), "line\\nbreak");
        assert_eq!(cell("\u{202e}evil"), "\\u{202e}evil");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::ids::VideoId;
    use crate::manifest::Location;
    use crate::plan::{Deletion, SelectedBy};

    /// The fields of an RFC 4180 record.
    fn fields(line: &str) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    chars.next();
                    out.last_mut().unwrap().push('"');
                }
                ('"', _) => quoted = !quoted,
                (',', false) => out.push(String::new()),
                (c, _) => out.last_mut().unwrap().push(c),
            }
        }
        out
    }

    proptest! {
        #[test]
        fn one_record_per_video_every_column_and_no_formula(
            titles in proptest::collection::vec(".*", 1..6),
        ) {
            let plan = Plan {
                deletions: titles
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Deletion {
                        video_id: VideoId::new(format!("{i:032x}")).unwrap(),
                        selected_by: SelectedBy::VideoId,
                        reason: Some(format!("={t}")),
                        source: Location::new(&"m.yaml".into(), 3, 5),
                        observed: Fingerprint {
                            title: t.clone(),
                            tags: Some(t.clone()),
                            ..Fingerprint::default()
                        },
                    })
                    .collect(),
                ..Plan::default()
            };
            let csv = super::plan(&plan);
            let records: Vec<&str> = csv.split_terminator("\r\n").collect();
            prop_assert_eq!(records.len(), titles.len() + 1);
            for r in &records {
                let f = fields(r);
                prop_assert_eq!(f.len(), COLUMNS.len(), "{:?}", r);
                for cell in &f {
                    prop_assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{:?}", cell);
                }
            }
        }
    }
}
