//! The plan and the outcome for a person at a terminal, Terraform style: one line per video,
//! deletions in red (`-`), protected in green (`=`), drift in yellow (`~`), and a summary line.

use std::fmt::Write;

use super::breakdown::{self, Group};
use super::escape::{quoted, visible};
use super::{PlanContext, count, human_size};
use crate::apply::Outcome;
use crate::manifest::Location;
use crate::plan::quarantine::date_text;
use crate::plan::{AbsentTarget, Plan};

/// `FILE:LINE` with the file name made visible (a file name is untrusted text too).
fn at(l: &Location) -> String {
    format!("{}:{}", visible(&l.file), l.line)
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }
    fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
}

/// The quarantine actions: `!` to quarantine, `…` waiting, `+` to restore, `?` left alone.
fn quarantine_sections(out: &mut String, plan: &Plan, p: &Paint) {
    if !plan.quarantines.is_empty() {
        let _ = writeln!(
            out,
            "To quarantine (tagged, then blocked: play URLs can no longer be obtained; deleted by an apply after the date, UTC):"
        );
        for q in &plan.quarantines {
            let _ = writeln!(
                out,
                "  {} {}  {}  until {}  {}",
                p.yellow("!"),
                p.yellow(q.video_id.as_str()),
                quoted(&q.observed.title),
                date_text(q.until),
                visible(&q.source.file_line())
            );
            if let Some(r) = &q.reason {
                let _ = writeln!(out, "      reason: {}", visible(r));
            }
        }
        out.push('\n');
    }
    if !plan.waiting.is_empty() {
        let _ = writeln!(
            out,
            "Waiting in quarantine (nothing to do until the date has passed):"
        );
        for w in &plan.waiting {
            let _ = writeln!(
                out,
                "  … {}  {}  until {}  {}",
                w.video_id,
                quoted(&w.title),
                date_text(w.until),
                visible(&w.source.file_line())
            );
        }
        out.push('\n');
    }
    if !plan.restores.is_empty() {
        let _ = writeln!(
            out,
            "To restore (taken out of this owner's quarantine: set Normal, vodplan's tags removed, other tags kept):"
        );
        for r in &plan.restores {
            let _ = writeln!(
                out,
                "  {} {}  {}  {}",
                p.green("+"),
                p.green(r.video_id.as_str()),
                quoted(&r.observed.title),
                visible(&r.why().to_string())
            );
        }
        out.push('\n');
    }
    if !plan.untouched.is_empty() {
        let _ = writeln!(out, "Left exactly as they are:");
        for u in &plan.untouched {
            let _ = writeln!(
                out,
                "  ? {}  {}  {}",
                u.video_id,
                quoted(&u.title),
                visible(&u.why.to_string())
            );
        }
        out.push('\n');
    }
}

/// The breakdown (every count exact), the cost and the early deletions, when there are
/// deletions or protections to break down.
fn breakdown_section(out: &mut String, plan: &Plan, ctx: &PlanContext) {
    let b = breakdown::of(plan);
    if plan.deletions.is_empty() && b.keep.is_empty() {
        return;
    }
    let line = |g: &Group| {
        let mut s = format!("{} {}", count(g.count, "video"), breakdown::size(g.bytes));
        if g.unknown_size > 0 {
            let _ = write!(s, " (+{} of unknown size)", g.unknown_size);
        }
        match (&g.oldest, &g.newest) {
            (Some(o), Some(n)) if o == n => {
                let _ = write!(s, ", created {}", visible(o));
            }
            (Some(o), Some(n)) => {
                let _ = write!(s, ", created {} to {}", visible(o), visible(n));
            }
            _ => {}
        }
        s
    };
    let _ = writeln!(out, "Breakdown of the deletions:");
    if !b.entries.is_empty() {
        let _ = writeln!(out, "  by delete entry:");
        for g in &b.entries {
            let _ = writeln!(
                out,
                "    {} ({}): {}",
                visible(&g.label),
                visible(&g.source),
                line(g)
            );
        }
    }
    for (what, rows) in [
        ("status", &b.status),
        ("category", &b.category),
        ("creation year", &b.year),
        ("storage class", &b.storage_class),
    ] {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  by {what}:");
        for g in rows.iter() {
            let _ = writeln!(out, "    {}: {}", visible(&g.label), line(g));
        }
    }
    if !b.keep.is_empty() {
        let _ = writeln!(out, "  protected, by keep entry:");
        for g in &b.keep {
            let _ = writeln!(
                out,
                "    {}: {}",
                visible(&g.label),
                count(g.count, "video")
            );
        }
    }
    if let Some(prices) = &ctx.prices {
        let c = breakdown::cost(&b, prices);
        let _ = write!(
            out,
            "Frees {} ≈ {} per month at the given prices",
            breakdown::size(b.total.bytes),
            visible(&breakdown::money(c.per_month, &c.currency))
        );
        if !c.unpriced.is_empty() {
            let _ = write!(
                out,
                " (no price for {}: not counted)",
                visible(&c.unpriced.join(", "))
            );
        }
        out.push_str(".\n");
    }
    for g in breakdown::early_deletions(plan, ctx.at()) {
        let _ = writeln!(
            out,
            "Warning: {} in {} deleted before their minimum storage period (the rest of it is billed anyway).",
            line(&g),
            visible(&g.label)
        );
    }
    out.push('\n');
}

pub fn plan(plan: &Plan, ctx: &PlanContext, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    if !plan.deletions.is_empty() {
        let _ = writeln!(
            out,
            "vodplan will permanently delete these videos in {} ({}):",
            visible(&ctx.region),
            visible(&ctx.endpoint)
        );
        let _ = writeln!(
            out,
            "source files, transcoded streams and thumbnails are removed and cannot be recovered.\n"
        );
        for d in &plan.deletions {
            let o = &d.observed;
            // What a reviewer checks a row by, on the row: the creation date (the full time is
            // in the JSON, CSV and HTML), category, storage class and tags, where VOD reports them.
            let mut facts = String::new();
            if let Some(c) = &o.creation_time {
                let _ = write!(facts, "  {}", visible(c.get(..10).unwrap_or(c)));
            }
            if let Some(c) = o.category_id {
                let _ = write!(facts, "  cat {c}");
            }
            if let Some(c) = &o.storage_class {
                let _ = write!(facts, "  {}", visible(c));
            }
            if let Some(t) = &o.tags {
                let _ = write!(facts, "  tags {}", visible(t));
            }
            let _ = writeln!(
                out,
                "  {} {}  {}  {}  {}{facts}  {}",
                p.red("-"),
                p.red(&visible(d.video_id.as_str())),
                quoted(&o.title),
                visible(&o.status),
                human_size(o.size),
                at(&d.source)
            );
            if let Some(r) = &d.reason {
                let _ = writeln!(out, "      reason: {}", visible(r));
            }
            if let crate::plan::SelectedBy::Match(m) = &d.selected_by {
                let _ = writeln!(out, "      selected by: {}", visible(m));
            }
        }
        out.push('\n');
    }
    if !plan.protected.is_empty() {
        let _ = writeln!(out, "Protected by keep (never deleted):");
        for k in &plan.protected {
            let _ = writeln!(
                out,
                "  {} {}  {}  kept by {} (selected by {})",
                p.green("="),
                p.green(&visible(k.video_id.as_str())),
                quoted(&k.title),
                at(&k.kept_by),
                at(&k.selected_by)
            );
        }
        out.push('\n');
    }
    if !plan.absent.is_empty() {
        let _ = writeln!(
            out,
            "Already absent (listed in the manifest, gone from VOD):"
        );
        for a in &plan.absent {
            let what = match &a.target {
                AbsentTarget::VideoId(v) => format!("videoId {}", visible(v.as_str())),
                AbsentTarget::ReferenceId(r) => format!("referenceId {}", visible(r.as_str())),
            };
            let _ = writeln!(
                out,
                "  {} {}  {}",
                p.yellow("~"),
                p.yellow(&what),
                at(&a.source)
            );
        }
        out.push('\n');
    }
    quarantine_sections(&mut out, plan, &p);
    out.push_str(&super::purge::plan_text(plan.purge.as_ref()));
    breakdown_section(&mut out, plan, ctx);
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "No changes: nothing in the manifests is left to delete."
        );
    }
    let total = super::total_size(plan);
    let mut quarantine = String::new();
    for (n, what) in [
        (plan.quarantines.len(), "to quarantine"),
        (plan.waiting.len(), "waiting in quarantine"),
        (plan.restores.len(), "to restore"),
        (plan.untouched.len(), "left as they are"),
    ] {
        if n > 0 {
            let _ = write!(quarantine, ", {n} {what}");
        }
    }
    let _ = writeln!(
        out,
        "{} {} to delete ({}){quarantine}, {} protected, {} absent.",
        p.bold("Plan:"),
        count(plan.deletions.len(), "video"),
        human_size(total),
        plan.protected.len(),
        plan.absent.len()
    );
    let _ = writeln!(
        out,
        "Plan digest: {}  (region {}, {})",
        ctx.digest, ctx.region, ctx.region_source
    );
    out
}

pub fn outcome(o: &Outcome, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let drift: Vec<String> = o
        .non_exist_video_ids
        .iter()
        .map(|v| format!("videoId {}", visible(v.as_str())))
        .chain(
            o.non_exist_reference_ids
                .iter()
                .map(|r| format!("referenceId {}", visible(r.as_str()))),
        )
        .collect();
    if !drift.is_empty() {
        let _ = writeln!(
            out,
            "Drift: these manifest entries no longer existed in VOD:"
        );
        for d in &drift {
            let _ = writeln!(out, "  {} {}", p.yellow("~"), p.yellow(d));
        }
        out.push('\n');
    }
    if !o.forbidden.is_empty() {
        let _ = writeln!(
            out,
            "Forbidden: VOD refused to delete these (ForbiddenVideoIds):"
        );
        for f in &o.forbidden {
            let _ = writeln!(out, "  {} {}", p.red("!"), p.red(&visible(f.as_str())));
        }
        out.push('\n');
    }
    if !o.failed.is_empty() {
        let _ = writeln!(out, "Failed: these were not confirmed deleted:");
        for f in &o.failed {
            let _ = writeln!(
                out,
                "  {} {}  {}",
                p.red("x"),
                p.red(&visible(f.video_id.as_str())),
                visible(&f.error.to_string())
            );
        }
        out.push('\n');
    }
    if !o.not_sent.is_empty() {
        let why = if o.interrupted {
            "interrupted"
        } else {
            "the run stopped early"
        };
        let _ = writeln!(
            out,
            "Not sent ({why}): {} planned deletion{} were never sent.\n",
            super::thousands(o.not_sent.len()),
            if o.not_sent.len() == 1 { "" } else { "s" }
        );
    }
    if !o.quarantined.is_empty() || !o.restored.is_empty() {
        let _ = writeln!(
            out,
            "Quarantine: {} put in quarantine, {} restored.",
            o.quarantined.len(),
            o.restored.len()
        );
    }
    if let Some(purge) = &o.purge {
        out.push_str(&super::purge::outcome_text(purge));
    }
    if !o.plan_digest.is_empty() {
        let _ = writeln!(out, "Plan digest: {}", o.plan_digest);
    }
    let _ = writeln!(
        out,
        "{} {} deleted, {} absent, {} forbidden, {} failed.",
        p.bold(if o.interrupted {
            "Apply interrupted:"
        } else if o.stopped_early.is_some() {
            "Apply stopped early:"
        } else if o.is_complete() {
            "Apply complete:"
        } else {
            "Apply partial:"
        }),
        count(o.deleted_count(), "video"),
        super::thousands(o.absent()),
        super::thousands(o.forbidden.len()),
        super::thousands(o.failed.len())
    );
    out
}
