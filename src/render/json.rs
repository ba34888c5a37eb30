//! The JSON documents of the CONTRACT (`format_version` 1), one per command, on stdout.

use serde_json::{Value, json};

use super::PlanContext;
use crate::apply::Outcome;
use crate::plan::{AbsentTarget, Plan, SelectedBy};

pub fn plan_value(plan: &Plan, ctx: &PlanContext) -> Value {
    let deletions: Vec<Value> = plan
        .deletions
        .iter()
        .map(|d| {
            json!({
                "videoId": d.video_id,
                "referenceId": match &d.selected_by {
                    SelectedBy::ReferenceId(r) => Some(r.to_string()),
                    _ => d.observed.reference_id.clone(),
                },
                "title": d.observed.title,
                "reason": d.reason,
                "source": d.source.file_line(),
            })
        })
        .collect();
    let protected: Vec<Value> = plan
        .protected
        .iter()
        .map(|p| json!({"videoId": p.video_id, "keptBy": p.kept_by.file_line()}))
        .collect();
    let absent: Vec<Value> = plan
        .absent
        .iter()
        .map(|a| match &a.target {
            AbsentTarget::VideoId(v) => json!({"videoId": v}),
            AbsentTarget::ReferenceId(r) => json!({"referenceId": r}),
        })
        .collect();
    let mut v = json!({
        "format_version": 1,
        "summary": {"delete": deletions.len(), "protected": protected.len(), "absent": absent.len()},
        "deletions": deletions,
        "protected": protected,
        "absent": absent,
        "planDigest": ctx.digest,
        "region": ctx.region,
        "regionSource": ctx.region_source,
        "endpoint": ctx.endpoint,
    });
    // The quarantine actions appear (with their counts in `summary`) only in plans that have
    // any, so a plan without quarantine reads exactly as the CONTRACT shows it.
    if !(plan.quarantines.is_empty()
        && plan.waiting.is_empty()
        && plan.restores.is_empty()
        && plan.untouched.is_empty())
    {
        v["summary"]["quarantine"] = plan.quarantines.len().into();
        v["summary"]["waiting"] = plan.waiting.len().into();
        v["summary"]["restore"] = plan.restores.len().into();
        v["summary"]["untouched"] = plan.untouched.len().into();
        v["quarantines"] = plan.quarantines.iter().map(|q| json!({
            "videoId": q.video_id, "title": q.observed.title, "until": q.until, "days": q.days,
            "reason": q.reason, "source": q.source.file_line(),
        })).collect();
        v["waiting"] = plan.waiting.iter().map(|w| json!({
            "videoId": w.video_id, "title": w.title, "until": w.until, "source": w.source.file_line(),
        })).collect();
        v["restores"] = plan.restores.iter().map(|r| json!({
            "videoId": r.video_id, "title": r.observed.title, "keptBy": r.kept_by.file_line(),
        })).collect();
        v["untouched"] = plan
            .untouched
            .iter()
            .map(|u| {
                json!({
                    "videoId": u.video_id, "title": u.title, "why": u.why,
                    "source": u.source.as_ref().map(|s| s.file_line()),
                })
            })
            .collect();
    }
    if let Some(p) = &plan.purge {
        v["purge"] = super::purge::plan_json(p);
    }
    v
}

pub fn plan(plan: &Plan, ctx: &PlanContext) -> String {
    let mut s =
        serde_json::to_string_pretty(&plan_value(plan, ctx)).expect("JSON values serialize");
    s.push('\n');
    s
}

/// The CONTRACT's apply document. Keys beyond the CONTRACT's appear only when they say
/// something: `interrupted`/`notSent` after an interrupt or an early stop, `quarantined`/`restored`
/// when a quarantine action ran; `planDigest` always (it ties the apply to the reviewed plan).
pub fn outcome(o: &Outcome) -> String {
    let mut v = json!({
        "format_version": 1,
        "summary": {"deleted": o.deleted_count(), "absent": o.absent(), "forbidden": o.forbidden.len(), "failed": o.failed.len()},
        "drift": {"nonExistVideoIds": o.non_exist_video_ids, "nonExistReferenceIds": o.non_exist_reference_ids},
        "forbiddenVideoIds": o.forbidden,
        "failed": o.failed.iter().map(|f| {
            let mut e = json!({"videoId": f.video_id, "error": f.error});
            if f.possibly_deleted {
                e["possiblyDeleted"] = true.into();
            }
            e
        }).collect::<Vec<_>>(),
        "planDigest": o.plan_digest,
    });
    if o.interrupted || !o.not_sent.is_empty() {
        v["interrupted"] = o.interrupted.into();
        v["notSent"] = json!(o.not_sent);
    }
    if !o.quarantined.is_empty() || !o.restored.is_empty() {
        v["quarantined"] = json!(o.quarantined);
        v["restored"] = json!(o.restored);
    }
    if let Some(p) = &o.purge {
        v["summary"]["purged"] = p.purged.len().into();
        v["summary"]["purgePending"] = p.pending.len().into();
        v["purge"] = json!({
            "purged": p.purged, "pending": p.pending, "unpurgeable": p.unpurgeable,
            "tasksSent": p.tasks_sent, "quotaLeft": p.quota_left, "stopped": p.stopped,
        });
    }
    let mut s = serde_json::to_string_pretty(&v).expect("JSON values serialize");
    s.push('\n');
    s
}
