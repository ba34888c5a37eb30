//! The JSON documents of the CONTRACT (`format_version` 1), one per command, on stdout.

use serde_json::{Value, json};

use super::PlanContext;
use super::breakdown::{self, Breakdown, Group};
use crate::apply::Outcome;
use crate::plan::{AbsentTarget, Deletion, Plan, SelectedBy};

/// One deletion row of the CONTRACT's plan document, its keys in the order a JSON value's map
/// writes them (sorted), so the streamed document reads exactly as a built one would.
#[derive(serde::Serialize)]
struct DeletionRow<'a> {
    #[serde(rename = "categoryId")]
    category_id: Option<i64>,
    #[serde(rename = "creationTime")]
    creation_time: &'a Option<String>,
    reason: &'a Option<String>,
    #[serde(rename = "referenceId")]
    reference_id: Option<&'a str>,
    #[serde(rename = "selectedBy")]
    selected_by: std::borrow::Cow<'a, str>,
    size: Option<i64>,
    source: String,
    status: &'a str,
    #[serde(rename = "storageClass")]
    storage_class: &'a Option<String>,
    tags: Vec<&'a str>,
    title: &'a str,
    #[serde(rename = "videoId")]
    video_id: &'a str,
}

fn deletion_row(d: &Deletion) -> DeletionRow<'_> {
    let o = &d.observed;
    DeletionRow {
        category_id: o.category_id,
        creation_time: &o.creation_time,
        reason: &d.reason,
        reference_id: match &d.selected_by {
            SelectedBy::ReferenceId(r) => Some(r.as_str()),
            _ => o.reference_id.as_deref(),
        },
        selected_by: match &d.selected_by {
            SelectedBy::Match(m) => std::borrow::Cow::Borrowed(&**m),
            _ => std::borrow::Cow::Owned(breakdown::entry_label(d)),
        },
        size: o.size,
        source: d.source.file_line(),
        status: &o.status,
        storage_class: &o.storage_class,
        tags: o.tag_list(),
        title: &o.title,
        video_id: d.video_id.as_str(),
    }
}

/// The deletions, serialized one row at a time (a million rows are never held as values).
struct Rows<'a>(&'a [Deletion]);

impl serde::Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(deletion_row))
    }
}

/// The document: the built value, with `deletions` streamed in its sorted place.
struct Doc<'a> {
    value: &'a Value,
    deletions: &'a [Deletion],
}

impl serde::Serialize for Doc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let map = self
            .value
            .as_object()
            .expect("the plan document is an object");
        let mut m = s.serialize_map(Some(map.len()))?;
        for (k, v) in map {
            if k == "deletions" {
                m.serialize_entry(k, &Rows(self.deletions))?;
            } else {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

fn group_value(g: &Group) -> Value {
    let mut v = json!({
        "count": g.count,
        "bytes": g.bytes,
        "oldest": g.oldest,
        "newest": g.newest,
    });
    if g.unknown_size > 0 {
        v["unknownSize"] = g.unknown_size.into();
    }
    v
}

/// The breakdown as JSON: lists of rows, each with its key.
pub fn breakdown_value(b: &Breakdown) -> Value {
    let rows = |groups: &[Group], key: &str| -> Vec<Value> {
        groups
            .iter()
            .map(|g| {
                let mut v = group_value(g);
                v[key] = g.label.clone().into();
                v
            })
            .collect()
    };
    json!({
        "byEntry": b.entries.iter().map(|g| {
            let mut v = group_value(g);
            v["entry"] = g.label.clone().into();
            v["source"] = g.source.clone().into();
            v
        }).collect::<Vec<_>>(),
        "byStatus": rows(&b.status, "status"),
        "byCategory": b.category.iter().map(|g| {
            let mut v = group_value(g);
            v["categoryId"] = g.label.parse::<i64>().ok().into();
            v
        }).collect::<Vec<_>>(),
        "byYear": rows(&b.year, "year"),
        "byStorageClass": rows(&b.storage_class, "storageClass"),
        "byKeepEntry": b.keep.iter().map(|g| json!({"keptBy": g.label, "protected": g.count})).collect::<Vec<_>>(),
    })
}

/// The plan document with `deletions` left null: [`plan`] streams them in its place.
fn plan_value(plan: &Plan, ctx: &PlanContext) -> Value {
    let b = breakdown::of(plan);
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
        "summary": {"delete": plan.deletions.len(), "protected": protected.len(), "absent": absent.len(), "bytes": b.total.bytes},
        // Streamed in its place by `plan` (see `Doc`).
        "deletions": Value::Null,
        "protected": protected,
        "absent": absent,
        "planDigest": ctx.digest,
        "region": ctx.region,
        "regionSource": ctx.region_source,
        "endpoint": ctx.endpoint,
        "breakdown": breakdown_value(&b),
    });
    if b.total.unknown_size > 0 {
        v["summary"]["unknownSize"] = b.total.unknown_size.into();
    }
    if let Some(prices) = &ctx.prices {
        let c = breakdown::cost(&b, prices);
        v["cost"] = json!({
            "perMonth": (c.per_month * 100.0).round() / 100.0,
            "currency": c.currency,
            "unpricedStorageClasses": c.unpriced,
        });
    }
    let early = breakdown::early_deletions(plan, ctx.at());
    if !early.is_empty() {
        v["earlyDeletions"] = early
            .iter()
            .map(|g| {
                let mut e = group_value(g);
                e["storageClass"] = g.label.clone().into();
                e
            })
            .collect();
    }
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
            "videoId": q.video_id, "title": q.observed.title, "until": crate::plan::quarantine::date_text(q.until), "days": q.days,
            "reason": q.reason, "source": q.source.file_line(),
        })).collect();
        v["waiting"] = plan.waiting.iter().map(|w| json!({
            "videoId": w.video_id, "title": w.title, "until": crate::plan::quarantine::date_text(w.until), "source": w.source.file_line(),
        })).collect();
        v["restores"] = plan.restores.iter().map(|r| json!({
            "videoId": r.video_id, "title": r.observed.title, "keptBy": r.kept_by.as_ref().map(|k| k.file_line()), "why": r.why(),
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
    let value = plan_value(plan, ctx);
    let doc = Doc {
        value: &value,
        deletions: &plan.deletions,
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
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
