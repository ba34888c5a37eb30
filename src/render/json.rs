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
    json!({
        "format_version": 1,
        "summary": {"delete": deletions.len(), "protected": protected.len(), "absent": absent.len()},
        "deletions": deletions,
        "protected": protected,
        "absent": absent,
        "planDigest": ctx.digest,
        "region": ctx.region,
        "regionSource": ctx.region_source,
        "endpoint": ctx.endpoint,
    })
}

pub fn plan(plan: &Plan, ctx: &PlanContext) -> String {
    let mut s =
        serde_json::to_string_pretty(&plan_value(plan, ctx)).expect("JSON values serialize");
    s.push('\n');
    s
}

pub fn outcome(o: &Outcome) -> String {
    let v = json!({
        "format_version": 1,
        "summary": {"deleted": o.deleted_count(), "absent": o.absent(), "forbidden": o.forbidden.len(), "failed": o.failed.len()},
        "drift": {"nonExistVideoIds": o.non_exist_video_ids, "nonExistReferenceIds": o.non_exist_reference_ids},
        "forbiddenVideoIds": o.forbidden,
        "failed": o.failed.iter().map(|f| json!({"videoId": f.video_id, "error": f.error, "possiblyDeleted": f.possibly_deleted})).collect::<Vec<_>>(),
        "interrupted": o.interrupted,
        "notSent": o.not_sent,
        "planDigest": o.plan_digest,
    });
    let mut s = serde_json::to_string_pretty(&v).expect("JSON values serialize");
    s.push('\n');
    s
}
