//! Markdown for a pull-request comment or a CI job summary: a stable marker (so a CI step can find
//! and update its own comment), the counts first, then the lists inside `<details>`, kept under
//! GitHub's 65,536-character comment limit by cutting long lists with a count of what was left out.
//! Every untrusted string is a [`escape::markdown`] cell (one line, literal, capped), so a title or
//! a reason cannot draw a heading, a link or an extra row into the comment a reviewer approves.

use std::fmt::Write;

use super::escape::{self, markdown_code};
use super::{PlanContext, human_size};
use crate::apply::Outcome;
use crate::manifest::Location;
use crate::plan::{AbsentTarget, Plan};

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

/// Appends `lines` until the budget is used, then a line counting the rest.
fn bounded_list(out: &mut String, lines: &[String], budget_end: usize) {
    for (i, line) in lines.iter().enumerate() {
        let tail = format!("\n…and {} more not shown\n", lines.len() - i);
        if out.len() + line.len() + 1 + tail.len() + 40 > budget_end {
            out.push_str(&tail);
            return;
        }
        out.push_str(line);
        out.push('\n');
    }
}

/// The quarantine actions, with their counts, in plans that have any.
fn quarantine_section(out: &mut String, plan: &Plan) {
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
            markdown_code(&q.until),
            at(&q.source)
        ));
    }
    for w in &plan.waiting {
        lines.push(format!(
            "- waiting {} {} until {}",
            markdown_code(w.video_id.as_str()),
            escape(&w.title),
            markdown_code(&w.until)
        ));
    }
    for r in &plan.restores {
        lines.push(format!(
            "- restore {} {} (kept by {})",
            markdown_code(r.video_id.as_str()),
            escape(&r.observed.title),
            at(&r.kept_by)
        ));
    }
    for u in &plan.untouched {
        lines.push(format!(
            "- left alone {} {}: {}",
            markdown_code(u.video_id.as_str()),
            escape(&u.title),
            escape(&u.why)
        ));
    }
    let _ = writeln!(out, "<details><summary>Quarantine</summary>\n");
    let end = out.len() + (MAX_CHARS.saturating_sub(out.len())) / 4;
    bounded_list(out, &lines, end);
    let _ = writeln!(out, "\n</details>\n");
}

pub fn plan(plan: &Plan, ctx: &PlanContext) -> String {
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
    let total = super::total_size(plan);
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
        human_size(total)
    );
    quarantine_section(&mut out, plan);
    if let Some(p) = &plan.purge {
        let _ = writeln!(out, "{}\n", escape(&super::purge::plan_summary(p)));
    }
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "No changes: nothing in the manifests is left to delete.\n"
        );
    }
    let sections: [(&str, Vec<String>); 3] = [
        (
            "Deletions",
            plan.deletions
                .iter()
                .map(|d| {
                    format!(
                        "| {} | {} | {} | {} | {} | {} |",
                        markdown_code(d.video_id.as_str()),
                        escape(&d.observed.title),
                        escape(&d.observed.status),
                        human_size(d.observed.size),
                        escape(d.reason.as_deref().unwrap_or("")),
                        at(&d.source)
                    )
                })
                .collect(),
        ),
        (
            "Protected by keep",
            plan.protected
                .iter()
                .map(|p| {
                    format!(
                        "| {} | {} | kept by {} |",
                        markdown_code(p.video_id.as_str()),
                        escape(&p.title),
                        at(&p.kept_by)
                    )
                })
                .collect(),
        ),
        (
            "Already absent",
            plan.absent
                .iter()
                .map(|a| match &a.target {
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
                })
                .collect(),
        ),
    ];
    let headers = [
        "| video | title | status | size | reason | source |\n|---|---|---|---|---|---|",
        "| video | title | keep entry |\n|---|---|---|",
        "| entry | source |\n|---|---|",
    ];
    let sections_left = sections
        .iter()
        .filter(|(_, l)| !l.is_empty())
        .count()
        .max(1);
    let mut used = 0;
    for ((title, lines), header) in sections.iter().zip(headers) {
        if lines.is_empty() {
            continue;
        }
        let budget = (MAX_CHARS - out.len()) / (sections_left - used).max(1);
        let end = out.len() + budget;
        let _ = writeln!(
            out,
            "<details><summary>{title} ({})</summary>\n\n{header}",
            lines.len()
        );
        bounded_list(&mut out, lines, end.saturating_sub(30));
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
                escape(&f.error)
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
        bounded_list(&mut out, &lines, end);
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
        let shown = md.lines().filter(|l| l.starts_with("| `")).count();
        assert!(shown > 100 && shown < 5000, "{shown} rows");
        assert!(
            md.contains(&format!("…and {} more not shown", 5000 - shown)),
            "the cut is counted"
        );
        assert!(
            md.contains("Video number 0 \\| with a pipe"),
            "table cells are escaped"
        );
    }

    #[test]
    fn short_plans_are_complete() {
        let plan = Plan {
            deletions: (0..3).map(deletion).collect(),
            ..Plan::default()
        };
        let md = super::plan(&plan, &PlanContext::default());
        assert_eq!(md.lines().filter(|l| l.starts_with("| `")).count(), 3);
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
                error: "502 <html>\r\n## deleted: 0\r\n[retry](http://x)".into(),
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

        Apply complete: 1 video deleted, 1 absent, 0 forbidden, 1 failed.
        "###
        );
    }
}
