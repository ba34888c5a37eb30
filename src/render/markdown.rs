//! Markdown for a pull-request comment or a CI job summary: a stable marker (so a CI step can find
//! and update its own comment), the counts first, then the lists inside `<details>`, kept under
//! GitHub's 65,536-character comment limit by cutting long lists with a count of what was left out.
//! Every untrusted string is a [`escape::markdown`] cell (one line, literal, capped), so a title or
//! a reason cannot draw a heading, a link or an extra row into the comment a reviewer approves.

use std::fmt::Write;

use super::breakdown::{self, Group, size};
use super::escape::{self, markdown_code};
use super::{PlanContext, human_size};
use crate::apply::Outcome;
use crate::manifest::Location;
use crate::plan::quarantine::date_text;
use crate::plan::{AbsentTarget, Deletion, Plan};

/// The HTML comment that marks vodplan's comment.
pub const MARKER: &str = "<!-- vodplan-plan -->";
/// Stay below GitHub's limit of 65,536 characters, with room for a wrapper.
pub const MAX_CHARS: usize = 65_000;

fn escape(s: &str) -> String {
    escape::markdown(s)
}

/// `FILE:LINE`, the file name escaped (the `:` and the number are vodplan's own).
fn at(l: &Location) -> String {
    format!("{}:{}", escape(&l.file), l.line)
}

/// Appends `lines` until the budget is used, then a line counting the rest and saying where
/// they are (`whereabouts`, such as ": every video is in the report artifact ...").
pub(crate) fn bounded_list(
    out: &mut String,
    lines: &[String],
    budget_end: usize,
    whereabouts: &str,
) {
    bounded_lines(
        out,
        lines.len(),
        lines.iter().cloned(),
        budget_end,
        whereabouts,
    );
}

/// [`bounded_list`] of `count` lines made one by one, only as many as are shown.
pub(crate) fn bounded_lines(
    out: &mut String,
    count: usize,
    lines: impl Iterator<Item = String>,
    budget_end: usize,
    whereabouts: &str,
) {
    for (i, line) in lines.enumerate() {
        let tail = format!("\n…and {} more not shown{whereabouts}\n", count - i);
        if out.len() + line.len() + 1 + tail.len() + 40 > budget_end {
            out.push_str(&tail);
            return;
        }
        out.push_str(&line);
        out.push('\n');
    }
}

/// The quarantine actions, with their counts, in plans that have any.
fn quarantine_section(out: &mut String, plan: &Plan, limit: usize) {
    if plan.quarantines.is_empty()
        && plan.waiting.is_empty()
        && plan.restores.is_empty()
        && plan.untouched.is_empty()
    {
        return;
    }
    let _ = writeln!(
        out,
        "| to quarantine | waiting | to restore | left as they are |\n|---:|---:|---:|---:|\n| {} | {} | {} | {} |\n",
        plan.quarantines.len(),
        plan.waiting.len(),
        plan.restores.len(),
        plan.untouched.len()
    );
    let mut lines: Vec<String> = Vec::new();
    for q in &plan.quarantines {
        lines.push(format!(
            "- quarantine {} {} until {} ({})",
            markdown_code(q.video_id.as_str()),
            escape(&q.observed.title),
            markdown_code(&date_text(q.until)),
            at(&q.source)
        ));
    }
    for w in &plan.waiting {
        lines.push(format!(
            "- waiting {} {} until {}",
            markdown_code(w.video_id.as_str()),
            escape(&w.title),
            markdown_code(&date_text(w.until))
        ));
    }
    for r in &plan.restores {
        lines.push(format!(
            "- restore {} {} ({})",
            markdown_code(r.video_id.as_str()),
            escape(&r.observed.title),
            escape(&r.why().to_string())
        ));
    }
    for u in &plan.untouched {
        lines.push(format!(
            "- left alone {} {}: {}",
            markdown_code(u.video_id.as_str()),
            escape(&u.title),
            escape(&u.why.to_string())
        ));
    }
    let _ = writeln!(out, "<details><summary>Quarantine</summary>\n");
    let end = out.len() + (limit.saturating_sub(out.len())) / 4;
    bounded_list(out, &lines, end, "");
    let _ = writeln!(out, "\n</details>\n");
}

/// Where the full list is, said where a list is cut.
fn whereabouts(ctx: &PlanContext) -> String {
    if !ctx.full_report.is_empty() {
        let names: Vec<String> = ctx.full_report.iter().map(|n| markdown_code(n)).collect();
        format!(
            ": every video is in the report artifact ({})",
            names.join(", ")
        )
    } else if !ctx.plan_file.is_empty() {
        format!(
            ": every video is in the saved plan {} (`vodplan show` it with `--format html` or `--format csv`)",
            markdown_code(&ctx.plan_file)
        )
    } else {
        ": every video is in `vodplan plan --format html` and `--format csv`".into()
    }
}

/// A creation time: as vodplan formats it, in a code span, when it is one; else literal text.
/// `FILE:LINE` (or `FILE`) with the file name escaped; the line number is vodplan's own.
pub(crate) fn source_cell(s: &str) -> String {
    match s.rsplit_once(':') {
        Some((file, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{}:{line}", escape(file))
        }
        _ => escape(s),
    }
}

fn time_cell(t: &Option<String>) -> String {
    t.as_deref().map(time_text).unwrap_or_default()
}

fn time_text(t: &str) -> String {
    match crate::timefmt::parse(t) {
        Some(t) => format!("`{}`", crate::timefmt::format(t)),
        None => escape(t),
    }
}

/// A breakdown table: rows until `budget_end`, then one row summing the rest (so the table's
/// total stays exact even when a catalogue has thousands of categories).
fn groups(
    out: &mut String,
    header: &str,
    rows: &[Group],
    row: impl Fn(&Group) -> String,
    budget_end: usize,
) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "{header}");
    for (i, g) in rows.iter().enumerate() {
        let line = row(g);
        if out.len() + line.len() + 200 > budget_end && i + 1 < rows.len() {
            let rest = &rows[i..];
            let count: usize = rest.iter().map(|g| g.count).sum();
            let bytes: i64 = rest.iter().map(|g| g.bytes).sum();
            // The summing row fits the table: the keep table has no size, the entry table a
            // source column.
            let cols = header
                .lines()
                .next()
                .map_or(0, |l| l.matches('|').count().saturating_sub(1));
            let n = rest.len();
            let _ = match cols {
                2 => writeln!(out, "| {n} more | {count} |"),
                6 => writeln!(out, "| {n} more | | {count} | {} | | |", size(bytes)),
                _ => writeln!(out, "| {n} more | {count} | {} | | |", size(bytes)),
            };
            break;
        }
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
}

fn simple_row(g: &Group) -> String {
    format!(
        "| {} | {} | {} | {} | {} |",
        escape(&g.label),
        g.count,
        size_cell(g),
        time_cell(&g.oldest),
        time_cell(&g.newest)
    )
}

fn size_cell(g: &Group) -> String {
    if g.unknown_size > 0 {
        format!("{} (+{} of unknown size)", size(g.bytes), g.unknown_size)
    } else {
        size(g.bytes)
    }
}

/// One deletion as a table row: everything a reviewer checks it by.
fn deletion_row(d: &Deletion) -> String {
    let o = &d.observed;
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        markdown_code(d.video_id.as_str()),
        escape(&o.title),
        escape(&o.status),
        human_size(o.size),
        o.creation_time
            .as_deref()
            .map(time_text)
            .unwrap_or_default(),
        o.category_id.map(|c| c.to_string()).unwrap_or_default(),
        escape(o.storage_class.as_deref().unwrap_or("")),
        escape(o.tags.as_deref().unwrap_or("")),
        escape(d.reason.as_deref().unwrap_or("")),
        at(&d.source)
    )
}

const DELETION_HEADER: &str = "| video | title | status | size | created | category | storage class | tags | reason | entry |\n|---|---|---|---:|---|---:|---|---|---|---|";

/// The cost line and the early deletions, when there is anything to say.
fn cost_section(out: &mut String, plan: &Plan, ctx: &PlanContext, b: &breakdown::Breakdown) {
    if let Some(prices) = &ctx.prices {
        let c = breakdown::cost(b, prices);
        let _ = writeln!(
            out,
            "Frees {} ≈ {} per month at the given prices{}.\n",
            size(b.total.bytes),
            escape(&breakdown::money(c.per_month, &c.currency)),
            if c.unpriced.is_empty() {
                String::new()
            } else {
                format!(
                    " (no price for {}: not counted)",
                    escape(&c.unpriced.join(", "))
                )
            }
        );
    }
    let early = breakdown::early_deletions(plan, ctx.at());
    if !early.is_empty() {
        let _ = writeln!(
            out,
            "**Deleted before their minimum storage period** (the rest of the period is billed anyway):\n"
        );
        groups(
            out,
            "| storage class | videos | size | oldest | newest |\n|---|---:|---:|---|---|",
            &early,
            simple_row,
            usize::MAX,
        );
    }
}

pub fn plan(plan: &Plan, ctx: &PlanContext) -> String {
    let limit = if ctx.max_chars == 0 {
        MAX_CHARS
    } else {
        ctx.max_chars
    };
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}");
    let _ = writeln!(out, "### vodplan plan: {}\n", markdown_code(&ctx.region));
    let _ = writeln!(
        out,
        "Plan digest: {} (region {}, {})\n",
        markdown_code(&ctx.digest),
        markdown_code(&ctx.region),
        escape(&ctx.region_source)
    );
    let b = breakdown::of(plan);
    let _ = writeln!(
        out,
        "| to delete | protected | absent | size |\n|---:|---:|---:|---:|"
    );
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} |\n",
        plan.deletions.len(),
        plan.protected.len(),
        plan.absent.len(),
        if plan.deletions.is_empty() {
            size(0)
        } else {
            size_cell(&b.total)
        }
    );
    cost_section(&mut out, plan, ctx, &b);
    quarantine_section(&mut out, plan, limit);
    if let Some(p) = &plan.purge {
        let _ = writeln!(out, "{}\n", escape(&super::purge::plan_summary(p)));
    }
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "No changes: nothing in the manifests is left to delete.\n"
        );
    }
    // The breakdown: complete, before any list (its tables share up to 60% of the limit).
    if !plan.deletions.is_empty() || !b.keep.is_empty() {
        let _ = writeln!(out, "**Breakdown** (every count exact)\n");
        let table_end =
            |out: &String, share: usize| out.len() + limit.saturating_sub(out.len()) * share / 100;
        let end = table_end(&out, 40);
        groups(
            &mut out,
            "| delete entry | source | videos | size | oldest | newest |\n|---|---|---:|---:|---|---|",
            &b.entries,
            |g| {
                format!(
                    "| {} | {} | {} | {} | {} | {} |",
                    escape(&g.label),
                    source_cell(&g.source),
                    g.count,
                    size_cell(g),
                    time_cell(&g.oldest),
                    time_cell(&g.newest)
                )
            },
            end,
        );
        for (what, rows) in [
            ("status", &b.status),
            ("category", &b.category),
            ("created in", &b.year),
            ("storage class", &b.storage_class),
        ] {
            let end = table_end(&out, 15);
            groups(
                &mut out,
                &format!("| {what} | videos | size | oldest | newest |\n|---|---:|---:|---|---|"),
                rows,
                simple_row,
                end,
            );
        }
        let end = table_end(&out, 15);
        groups(
            &mut out,
            "| keep entry | protected |\n|---|---:|",
            &b.keep,
            |g| format!("| {} | {} |", source_cell(&g.label), g.count),
            end,
        );
    }
    let whereabouts = whereabouts(ctx);
    // The largest videos, and a sample of each entry, before the long lists.
    if plan.deletions.len() > 10 {
        let mut largest: Vec<&Deletion> = plan.deletions.iter().collect();
        let order = |a: &&Deletion, b: &&Deletion| {
            b.observed
                .size
                .cmp(&a.observed.size)
                .then(a.video_id.cmp(&b.video_id))
        };
        largest.select_nth_unstable_by(9, order);
        largest.truncate(10);
        largest.sort_by(order);
        let largest: Vec<String> = largest.into_iter().take(10).map(deletion_row).collect();
        let mut sample: Vec<String> = Vec::new();
        let mut seen: std::collections::HashMap<(&str, u32, u32, u8), usize> = Default::default();
        for d in &plan.deletions {
            let n = seen.entry(breakdown::entry_slot(d)).or_default();
            if *n < 3 {
                *n += 1;
                sample.push(deletion_row(d));
            }
        }
        for (title, lines) in [
            ("Largest videos to delete", largest),
            ("A sample of each delete entry (its first 3)", sample),
        ] {
            let end = out.len() + limit.saturating_sub(out.len()) / 6;
            let _ = writeln!(out, "**{title}**\n\n{DELETION_HEADER}");
            bounded_list(&mut out, &lines, end, &whereabouts);
            out.push('\n');
        }
    }
    // The lists, each made line by line as it is written: a million deletions are never all
    // formatted for a comment that shows a few hundred.
    let protected_row = |p: &crate::plan::Protection| {
        format!(
            "| {} | {} | kept by {} |",
            markdown_code(p.video_id.as_str()),
            escape(&p.title),
            at(&p.kept_by)
        )
    };
    let absent_row = |a: &crate::plan::Absence| match &a.target {
        AbsentTarget::VideoId(v) => format!(
            "| videoId {} | {} |",
            markdown_code(v.as_str()),
            at(&a.source)
        ),
        AbsentTarget::ReferenceId(r) => format!(
            "| referenceId {} | {} |",
            markdown_code(r.as_str()),
            at(&a.source)
        ),
    };
    let counts = [
        plan.deletions.len(),
        plan.protected.len(),
        plan.absent.len(),
    ];
    let sections_left = counts.iter().filter(|n| **n > 0).count().max(1);
    let mut used = 0;
    for (k, (title, header)) in [
        ("Deletions", DELETION_HEADER),
        (
            "Protected by keep",
            "| video | title | keep entry |\n|---|---|---|",
        ),
        ("Already absent", "| entry | source |\n|---|---|"),
    ]
    .into_iter()
    .enumerate()
    {
        if counts[k] == 0 {
            continue;
        }
        let budget = limit.saturating_sub(out.len()) / (sections_left - used).max(1);
        let end = out.len() + budget;
        let _ = writeln!(
            out,
            "<details><summary>{title} ({})</summary>\n\n{header}",
            counts[k]
        );
        let end = end.saturating_sub(30);
        match k {
            0 => bounded_lines(
                &mut out,
                counts[k],
                plan.deletions.iter().map(deletion_row),
                end,
                &whereabouts,
            ),
            1 => bounded_lines(
                &mut out,
                counts[k],
                plan.protected.iter().map(protected_row),
                end,
                &whereabouts,
            ),
            _ => bounded_lines(
                &mut out,
                counts[k],
                plan.absent.iter().map(absent_row),
                end,
                &whereabouts,
            ),
        }
        let _ = writeln!(out, "\n</details>\n");
        used += 1;
    }
    out
}

pub fn outcome(o: &Outcome) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<!-- vodplan-apply -->");
    let _ = writeln!(out, "### vodplan apply\n");
    if !o.plan_digest.is_empty() {
        let _ = writeln!(out, "Plan digest: {}\n", markdown_code(&o.plan_digest));
    }
    if o.interrupted {
        let _ = writeln!(
            out,
            "**Interrupted**: {} planned deletions were not sent.\n",
            o.not_sent.len()
        );
    }
    let _ = writeln!(
        out,
        "| deleted | absent | forbidden | failed |\n|---:|---:|---:|---:|"
    );
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} |\n",
        o.deleted_count(),
        o.absent(),
        o.forbidden.len(),
        o.failed.len()
    );
    if let Some(p) = &o.purge {
        let _ = writeln!(
            out,
            "CDN purge: {} fully purged, {} pending (the same apply continues them).\n",
            p.purged.len(),
            p.pending.len()
        );
    }
    let drift: Vec<String> = o
        .non_exist_video_ids
        .iter()
        .map(|v| format!("- videoId {}", markdown_code(v.as_str())))
        .chain(
            o.non_exist_reference_ids
                .iter()
                .map(|r| format!("- referenceId {}", markdown_code(r.as_str()))),
        )
        .collect();
    let forbidden: Vec<String> = o
        .forbidden
        .iter()
        .map(|f| format!("- {}", markdown_code(f.as_str())))
        .collect();
    let failed: Vec<String> = o
        .failed
        .iter()
        .map(|f| {
            format!(
                "- {}: {}",
                markdown_code(f.video_id.as_str()),
                escape(&f.error.to_string())
            )
        })
        .collect();
    for (title, lines) in [
        ("Drift", drift),
        ("Forbidden", forbidden),
        ("Failed", failed),
    ] {
        if lines.is_empty() {
            continue;
        }
        let end = out.len() + (MAX_CHARS - out.len()) / 3;
        let _ = writeln!(
            out,
            "<details><summary>{title} ({})</summary>\n",
            lines.len()
        );
        bounded_list(&mut out, &lines, end, "");
        let _ = writeln!(out, "\n</details>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::VideoId;
    use crate::manifest::Location;
    use crate::plan::{Deletion, Fingerprint, SelectedBy};

    fn deletion(i: usize) -> Deletion {
        Deletion {
            video_id: VideoId::new(format!("{i:032x}")).unwrap(),
            selected_by: SelectedBy::VideoId,
            reason: Some("a fairly long reason that makes every row of the table wide".into()),
            source: Location {
                file: "manifests/cleanup.yaml".into(),
                line: i as u32 + 3,
                column: 5,
            },
            observed: Fingerprint {
                status: "Normal".into(),
                size: Some(1 << 20),
                creation_time: None,
                modification_time: None,
                title: format!("Video number {i} | with a pipe"),
                reference_id: None,
                tags: None,
                category_id: None,
                storage_class: None,
            },
        }
    }

    #[test]
    fn long_plans_are_cut_under_the_comment_limit_with_a_count() {
        let plan = Plan {
            deletions: (0..5000).map(deletion).collect(),
            ..Plan::default()
        };
        let md = super::plan(
            &plan,
            &PlanContext {
                region: "cn-shanghai".into(),
                endpoint: "x".into(),
                ..PlanContext::default()
            },
        );
        assert!(md.len() < MAX_CHARS, "{} characters", md.len());
        assert!(md.starts_with(MARKER));
        assert!(md.contains("| 5000 | 0 | 0 | 4.9 GiB |"), "counts first");
        // The breakdown is complete: the ID entries of the one file count every deletion.
        assert!(
            md.contains("| videoId entries | manifests/cleanup.yaml | 5000 | 4.9 GiB |  |  |"),
            "{md}"
        );
        let list = &md[md.find("<details><summary>Deletions (5000)").unwrap()..];
        let shown = list.lines().filter(|l| l.starts_with("| `")).count();
        assert!(shown > 100 && shown < 5000, "{shown} rows");
        assert!(
            list.contains(&format!(
                "…and {} more not shown: every video is in `vodplan plan --format html` and `--format csv`",
                5000 - shown
            )),
            "the cut is counted, and says where the rest is"
        );
        assert!(
            md.contains("Video number 0 \\| with a pipe"),
            "table cells are escaped"
        );
    }

    #[test]
    fn every_limit_is_kept_with_many_entries_and_categories() {
        // 300 selectors and 2,000 categories: the breakdown tables are cut with a summing row
        // before they could push the comment over its limit.
        let plan = Plan {
            deletions: (0..6000)
                .map(|i| {
                    let mut d = deletion(i);
                    d.selected_by =
                        SelectedBy::Match(format!("match {{titlePrefix {i:?}}}").into());
                    d.source.line = (i % 300) as u32 + 3;
                    d.observed.category_id = Some(i as i64 % 2000);
                    d
                })
                .collect(),
            ..Plan::default()
        };
        for limit in [4_000, 20_000, 65_536, 1_000_000] {
            let md = super::plan(
                &plan,
                &PlanContext {
                    max_chars: limit,
                    ..PlanContext::default()
                },
            );
            assert!(md.len() <= limit, "{} > {limit}", md.len());
            assert!(
                md.contains("| 6000 | 0 | 0 |"),
                "the counts are always there"
            );
        }
    }

    #[test]
    fn short_plans_are_complete() {
        let plan = Plan {
            deletions: (0..3).map(deletion).collect(),
            ..Plan::default()
        };
        let md = super::plan(&plan, &PlanContext::default());
        let list = &md[md.find("<details><summary>Deletions").unwrap()..];
        assert_eq!(list.lines().filter(|l| l.starts_with("| `")).count(), 3);
        assert!(!md.contains("more not shown"));
    }

    #[test]
    /// Drift IDs are validated IDs (no markup can be one); a server's message is anything.
    fn server_messages_in_the_outcome_are_literal() {
        let o = Outcome {
            deleted: vec![VideoId::new("a".repeat(32)).unwrap()],
            non_exist_reference_ids: vec![crate::ids::ReferenceId::new("ref_x1").unwrap()],
            failed: vec![crate::apply::FailedDeletion {
                video_id: VideoId::new("b".repeat(32)).unwrap(),
                error: crate::apply::FailReason::Api(
                    "502 <html>\r\n## deleted: 0\r\n[retry](http://x)".into(),
                ),
                possibly_deleted: false,
            }],
            ..Outcome::default()
        };
        insta::assert_snapshot!(super::outcome(&o), @r###"
        <!-- vodplan-apply -->
        ### vodplan apply

        | deleted | absent | forbidden | failed |
        |---:|---:|---:|---:|
        | 1 | 1 | 0 | 1 |

        <details><summary>Drift (1)</summary>

        - referenceId `ref_x1`

        </details>

        <details><summary>Failed (1)</summary>

        - `bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb`: 502 \<html\>\\r\\n\#\# deleted\: 0\\r\\n\[retry\](http\://x)

        </details>
        "###);
        insta::assert_snapshot!(
            crate::render::text::outcome(&o, false),
            @r###"
        Drift: these manifest entries no longer existed in VOD:
          ~ referenceId ref_x1

        Failed: these were not confirmed deleted:
          x bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb  502 <html>\r\n## deleted: 0\r\n[retry](http://x)

        Apply partial: 1 video deleted, 1 absent, 0 forbidden, 1 failed.
        "###
        );
    }
}
