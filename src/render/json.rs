//! The JSON documents of the CONTRACT, one per command, on stdout: each a serde type of its own,
//! versioned by its `format_version` ([`FORMAT_VERSION`]).
//!
//! Every object's fields are declared in the order of their names: the documents were first
//! written from JSON values, whose keys serde_json writes sorted, and scripts that read them
//! byte for byte keep reading the same bytes (a test checks each document against its sorted
//! form). Optional keys appear only when they say something, as the CONTRACT shows them.

use serde::Serialize;

use super::PlanContext;
use super::breakdown::{self, Breakdown, Group};
use crate::apply::Outcome;
use crate::plan::purge::{PurgePlan, QuotaSeen};
use crate::plan::{AbsentTarget, Deletion, Plan, SelectedBy};

/// The version of the plan, apply and diff documents.
pub const FORMAT_VERSION: u32 = 1;

/// A value written with its keys sorted, for the few domain types a document carries as they
/// are (their own field order is the saved plan's).
struct Sorted<T>(T);

impl<T: Serialize> Serialize for Sorted<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::to_value(&self.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

/// A document as printed: pretty, with a final newline.
pub(crate) fn print(doc: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("documents serialize");
    s.push('\n');
    s
}

/// The `plan` and `show` document.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanDocument<'a> {
    absent: Vec<&'a AbsentTarget>,
    breakdown: BreakdownDocument,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<CostDocument>,
    /// Streamed one row at a time (a million rows are never held as values).
    deletions: Rows<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    early_deletions: Vec<GroupRow>,
    endpoint: &'a str,
    #[serde(rename = "format_version")]
    format_version: u32,
    plan_digest: &'a str,
    protected: Vec<ProtectedRow<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purge: Option<PurgeDocument<'a>>,
    /// The quarantine actions appear (with their counts in `summary`) only in plans that have
    /// any, so a plan without quarantine reads exactly as the CONTRACT shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    quarantines: Option<Vec<QuarantineRow<'a>>>,
    region: &'a str,
    region_source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    restores: Option<Vec<RestoreRow<'a>>>,
    summary: PlanSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    untouched: Option<Vec<UntouchedRow<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiting: Option<Vec<WaitingRow<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanSummary {
    absent: usize,
    bytes: i64,
    delete: usize,
    protected: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    quarantine: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restore: Option<usize>,
    #[serde(skip_serializing_if = "is_zero")]
    unknown_size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    untouched: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiting: Option<usize>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One deletion row.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeletionRow<'a> {
    category_id: Option<i64>,
    creation_time: &'a Option<String>,
    reason: &'a Option<String>,
    reference_id: Option<&'a str>,
    selected_by: std::borrow::Cow<'a, str>,
    size: Option<i64>,
    source: String,
    status: &'a str,
    storage_class: &'a Option<String>,
    tags: Vec<&'a str>,
    title: &'a str,
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

/// The deletions, serialized one row at a time.
struct Rows<'a>(&'a [Deletion]);

impl Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(deletion_row))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProtectedRow<'a> {
    kept_by: String,
    video_id: &'a crate::ids::VideoId,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QuarantineRow<'a> {
    days: u32,
    reason: &'a Option<String>,
    source: String,
    title: &'a str,
    until: String,
    video_id: &'a crate::ids::VideoId,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WaitingRow<'a> {
    source: String,
    title: &'a str,
    until: String,
    video_id: &'a crate::ids::VideoId,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RestoreRow<'a> {
    kept_by: Option<String>,
    title: &'a str,
    video_id: &'a crate::ids::VideoId,
    why: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UntouchedRow<'a> {
    source: Option<String>,
    title: &'a str,
    video_id: &'a crate::ids::VideoId,
    why: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CostDocument {
    currency: String,
    per_month: f64,
    unpriced_storage_classes: Vec<String>,
}

/// The breakdown: lists of rows, each with its key.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BreakdownDocument {
    by_category: Vec<GroupRow>,
    by_entry: Vec<GroupRow>,
    by_keep_entry: Vec<KeepRow>,
    by_status: Vec<GroupRow>,
    by_storage_class: Vec<GroupRow>,
    by_year: Vec<GroupRow>,
}

/// A row of the breakdown: its counts, and its one key (`entry` with its `source`, `status`...).
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct GroupRow {
    bytes: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    category_id: Option<Option<i64>>,
    count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    entry: Option<String>,
    newest: Option<String>,
    oldest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_class: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    unknown_size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    year: Option<String>,
}

impl GroupRow {
    fn counts(g: &Group) -> GroupRow {
        GroupRow {
            bytes: g.bytes,
            count: g.count,
            newest: g.newest.clone(),
            oldest: g.oldest.clone(),
            unknown_size: g.unknown_size,
            ..GroupRow::default()
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeepRow {
    kept_by: String,
    protected: usize,
}

impl BreakdownDocument {
    fn of(b: &Breakdown) -> BreakdownDocument {
        let rows = |groups: &[Group], key: fn(&Group) -> GroupRow| groups.iter().map(key).collect();
        BreakdownDocument {
            by_category: rows(&b.category, |g| GroupRow {
                category_id: Some(g.label.parse::<i64>().ok()),
                ..GroupRow::counts(g)
            }),
            by_entry: rows(&b.entries, |g| GroupRow {
                entry: Some(g.label.clone()),
                source: Some(g.source.clone()),
                ..GroupRow::counts(g)
            }),
            by_keep_entry: b
                .keep
                .iter()
                .map(|g| KeepRow {
                    kept_by: g.label.clone(),
                    protected: g.count,
                })
                .collect(),
            by_status: rows(&b.status, |g| GroupRow {
                status: Some(g.label.clone()),
                ..GroupRow::counts(g)
            }),
            by_storage_class: rows(&b.storage_class, |g| GroupRow {
                storage_class: Some(g.label.clone()),
                ..GroupRow::counts(g)
            }),
            by_year: rows(&b.year, |g| GroupRow {
                year: Some(g.label.clone()),
                ..GroupRow::counts(g)
            }),
        }
    }
}

/// The plan's purge section.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PurgeDocument<'a> {
    days_needed: Option<u64>,
    directories: u64,
    quota: Sorted<QuotaSeen>,
    urls: u64,
    videos: Vec<PurgeVideoRow<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PurgeVideoRow<'a> {
    directories: u64,
    objects: Sorted<&'a [crate::plan::purge::PurgeObject]>,
    unpurgeable: Sorted<&'a [crate::plan::purge::Unpurgeable]>,
    urls: u64,
    video_id: &'a crate::ids::VideoId,
}

impl PurgeDocument<'_> {
    fn of(p: &PurgePlan) -> PurgeDocument<'_> {
        let t = p.units();
        PurgeDocument {
            days_needed: p.days_needed(),
            directories: t.dirs,
            quota: Sorted(p.quota),
            urls: t.urls,
            videos: p
                .videos
                .iter()
                .map(|v| {
                    let u = v.units();
                    PurgeVideoRow {
                        directories: u.dirs,
                        objects: Sorted(&v.objects),
                        unpurgeable: Sorted(&v.unpurgeable),
                        urls: u.urls,
                        video_id: &v.video_id,
                    }
                })
                .collect(),
        }
    }
}

impl<'a> PlanDocument<'a> {
    pub fn new(plan: &'a Plan, ctx: &'a PlanContext) -> PlanDocument<'a> {
        let b = breakdown::of(plan);
        let cost = ctx.prices.as_ref().map(|prices| {
            let c = breakdown::cost(&b, prices);
            CostDocument {
                currency: c.currency,
                per_month: (c.per_month * 100.0).round() / 100.0,
                unpriced_storage_classes: c.unpriced,
            }
        });
        let early_deletions = breakdown::early_deletions(plan, ctx.at())
            .iter()
            .map(|g| GroupRow {
                storage_class: Some(g.label.clone()),
                ..GroupRow::counts(g)
            })
            .collect();
        let quarantine = !(plan.quarantines.is_empty()
            && plan.waiting.is_empty()
            && plan.restores.is_empty()
            && plan.untouched.is_empty());
        let when = |n: usize| quarantine.then_some(n);
        PlanDocument {
            absent: plan.absent.iter().map(|a| &a.target).collect(),
            breakdown: BreakdownDocument::of(&b),
            cost,
            deletions: Rows(&plan.deletions),
            early_deletions,
            endpoint: &ctx.endpoint,
            format_version: FORMAT_VERSION,
            plan_digest: &ctx.digest,
            protected: plan
                .protected
                .iter()
                .map(|p| ProtectedRow {
                    kept_by: p.kept_by.file_line(),
                    video_id: &p.video_id,
                })
                .collect(),
            purge: plan.purge.as_ref().map(PurgeDocument::of),
            quarantines: quarantine.then(|| {
                plan.quarantines
                    .iter()
                    .map(|q| QuarantineRow {
                        days: q.days,
                        reason: &q.reason,
                        source: q.source.file_line(),
                        title: &q.observed.title,
                        until: crate::plan::quarantine::date_text(q.until),
                        video_id: &q.video_id,
                    })
                    .collect()
            }),
            region: &ctx.region,
            region_source: &ctx.region_source,
            restores: quarantine.then(|| {
                plan.restores
                    .iter()
                    .map(|r| RestoreRow {
                        kept_by: r.kept_by.as_ref().map(|k| k.file_line()),
                        title: &r.observed.title,
                        video_id: &r.video_id,
                        why: r.why().to_string(),
                    })
                    .collect()
            }),
            summary: PlanSummary {
                absent: plan.absent.len(),
                bytes: b.total.bytes,
                delete: plan.deletions.len(),
                protected: plan.protected.len(),
                quarantine: when(plan.quarantines.len()),
                restore: when(plan.restores.len()),
                unknown_size: b.total.unknown_size,
                untouched: when(plan.untouched.len()),
                waiting: when(plan.waiting.len()),
            },
            untouched: quarantine.then(|| {
                plan.untouched
                    .iter()
                    .map(|u| UntouchedRow {
                        source: u.source.as_ref().map(|s| s.file_line()),
                        title: &u.title,
                        video_id: &u.video_id,
                        why: u.why.to_string(),
                    })
                    .collect()
            }),
            waiting: quarantine.then(|| {
                plan.waiting
                    .iter()
                    .map(|w| WaitingRow {
                        source: w.source.file_line(),
                        title: &w.title,
                        until: crate::plan::quarantine::date_text(w.until),
                        video_id: &w.video_id,
                    })
                    .collect()
            }),
        }
    }
}

pub fn plan(plan: &Plan, ctx: &PlanContext) -> String {
    print(&PlanDocument::new(plan, ctx))
}

/// The `apply` document. Keys beyond the CONTRACT's appear only when they say something:
/// `interrupted`/`notSent` after an interrupt or an early stop, `quarantined`/`restored` when a
/// quarantine action ran; `planDigest` always (it ties the apply to the reviewed plan).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeDocument<'a> {
    drift: Drift<'a>,
    failed: Vec<FailedRow<'a>>,
    forbidden_video_ids: &'a [crate::ids::VideoId],
    #[serde(rename = "format_version")]
    format_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    interrupted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_sent: Option<&'a [crate::ids::VideoId]>,
    plan_digest: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    purge: Option<PurgeOutcomeDocument<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quarantined: Option<&'a [crate::ids::VideoId]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restored: Option<&'a [crate::ids::VideoId]>,
    summary: OutcomeSummary,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Drift<'a> {
    non_exist_reference_ids: &'a [crate::ids::ReferenceId],
    non_exist_video_ids: &'a [crate::ids::VideoId],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FailedRow<'a> {
    error: String,
    #[serde(skip_serializing_if = "is_false")]
    possibly_deleted: bool,
    video_id: &'a crate::ids::VideoId,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutcomeSummary {
    absent: usize,
    deleted: usize,
    failed: usize,
    forbidden: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    purge_pending: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purged: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PurgeOutcomeDocument<'a> {
    pending: &'a [crate::ids::VideoId],
    purged: &'a [crate::ids::VideoId],
    quota_left: Sorted<QuotaSeen>,
    stopped: &'a Option<crate::apply::purge::PurgeStop>,
    tasks_sent: usize,
    unpurgeable: &'a [crate::ids::VideoId],
}

impl<'a> OutcomeDocument<'a> {
    pub fn new(o: &'a Outcome) -> OutcomeDocument<'a> {
        let stopped = o.interrupted || !o.not_sent.is_empty();
        let quarantine = !o.quarantined.is_empty() || !o.restored.is_empty();
        OutcomeDocument {
            drift: Drift {
                non_exist_reference_ids: &o.non_exist_reference_ids,
                non_exist_video_ids: &o.non_exist_video_ids,
            },
            failed: o
                .failed
                .iter()
                .map(|f| FailedRow {
                    error: f.error.to_string(),
                    possibly_deleted: f.possibly_deleted,
                    video_id: &f.video_id,
                })
                .collect(),
            forbidden_video_ids: &o.forbidden,
            format_version: FORMAT_VERSION,
            interrupted: stopped.then_some(o.interrupted),
            not_sent: stopped.then_some(&o.not_sent[..]),
            plan_digest: &o.plan_digest,
            purge: o.purge.as_ref().map(|p| PurgeOutcomeDocument {
                pending: &p.pending,
                purged: &p.purged,
                quota_left: Sorted(p.quota_left),
                stopped: &p.stopped,
                tasks_sent: p.tasks_sent,
                unpurgeable: &p.unpurgeable,
            }),
            quarantined: quarantine.then_some(&o.quarantined[..]),
            restored: quarantine.then_some(&o.restored[..]),
            summary: OutcomeSummary {
                absent: o.absent(),
                deleted: o.deleted_count(),
                failed: o.failed.len(),
                forbidden: o.forbidden.len(),
                purge_pending: o.purge.as_ref().map(|p| p.pending.len()),
                purged: o.purge.as_ref().map(|p| p.purged.len()),
            },
        }
    }
}

pub fn outcome(o: &Outcome) -> String {
    print(&OutcomeDocument::new(o))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::apply::FailedDeletion;
    use crate::ids::{ReferenceId, VideoId};

    /// A document's bytes equal its sorted form: its fields are declared in the order of their
    /// names, as its first, value-built version wrote them.
    pub(crate) fn sorted(doc: &impl Serialize) -> String {
        let text = print(doc);
        let value = serde_json::to_value(doc).unwrap();
        assert_eq!(text, print(&value));
        text
    }

    fn every_kind_of_plan() -> Plan {
        let observed = r#"{"status":"Normal","size":10,"creationTime":"2026-12-01T08:00:00Z","title":"t","referenceId":"ref-r1","categoryId":1000,"storageClass":"IA","tags":"a,b"}"#;
        let plan = format!(
            r#"{{
            "deletions": [
                {{"videoId":"v1","selectedBy":{{"by":"videoId"}},"reason":"why","source":"m.yaml:5:5","observed":{observed}}},
                {{"videoId":"v2","selectedBy":{{"by":"match","value":"match {{status in [Normal]}}"}},"source":"m.yaml:7:5","observed":{{"status":"Normal","title":"u"}}}}
            ],
            "protected": [{{"videoId":"v3","title":"k","keptBy":"m.yaml:9:5","selectedBy":"m.yaml:7:5"}}],
            "absent": [{{"target":{{"videoId":"v4"}},"source":"m.yaml:3:5"}}, {{"target":{{"referenceId":"ref-r4"}},"source":"m.yaml:4:5"}}],
            "quarantines": [{{"videoId":"v5","source":"m.yaml:6:5","until":"2026-12-19","days":14,"tags":"vodplan-until-2026-12-19","observed":{observed}}}],
            "waiting": [{{"videoId":"v6","title":"w","until":"2026-12-20","source":"m.yaml:6:5"}}],
            "restores": [{{"videoId":"v7","keptBy":"m.yaml:9:5","unblock":false,"tags":"","observed":{observed}}}],
            "untouched": [{{"videoId":"v8","title":"x","why":"blocked by someone else","source":null}}],
            "selectorSeen": 3,
            "purge": {{"domains":["d.test"],"quota":{{"urlQuota":2000,"urlRemain":10,"dirQuota":100,"dirRemain":1}},"videos":[{{"videoId":"v1","objects":[{{"kind":"Directory","path":"https://d.test/v1/"}}],"unpurgeable":[{{"what":"w","reason":"r"}}]}}]}}
        }}"#
        );
        serde_json::from_str(&plan).unwrap()
    }

    #[test]
    fn the_plan_document_is_its_sorted_form_with_every_section() {
        let plan = every_kind_of_plan();
        let ctx = PlanContext {
            region: "cn-shanghai".into(),
            region_source: "from --region".into(),
            endpoint: "https://vod.example".into(),
            digest: "0123456789ab".into(),
            created_at: "2026-12-05T00:00:00Z".into(),
            prices: Some(breakdown::Prices {
                currency: "USD".into(),
                per_gb_month: [("Standard".to_string(), 0.02)].into(),
            }),
            ..PlanContext::default()
        };
        let text = sorted(&PlanDocument::new(&plan, &ctx));
        for key in [
            "\"format_version\": 1",
            "\"cost\"",
            "\"earlyDeletions\"",
            "\"quarantines\"",
            "\"waiting\"",
            "\"restores\"",
            "\"untouched\"",
            "\"purge\"",
            "\"unknownSize\": 1",
        ] {
            assert!(text.contains(key), "{key} in {text}");
        }
        sorted(&PlanDocument::new(
            &Plan::default(),
            &PlanContext::default(),
        ));
    }

    #[test]
    fn the_apply_document_is_its_sorted_form() {
        let v = |s: &str| VideoId::new(s).unwrap();
        let o = Outcome {
            plan_digest: "0123456789ab".into(),
            deleted: vec![v("v1")],
            non_exist_video_ids: vec![v("v2")],
            non_exist_reference_ids: vec![ReferenceId::new("ref-r2").unwrap()],
            forbidden: vec![v("v3")],
            failed: vec![FailedDeletion {
                video_id: v("v4"),
                error: crate::apply::FailReason::Api("e".into()),
                possibly_deleted: true,
            }],
            interrupted: true,
            not_sent: vec![v("v5")],
            quarantined: vec![v("v6")],
            restored: vec![v("v7")],
            purge: Some(crate::apply::purge::PurgeOutcome {
                purged: vec![v("v1")],
                stopped: Some(crate::apply::purge::PurgeStop::Interrupted),
                ..Default::default()
            }),
            ..Outcome::default()
        };
        let text = sorted(&OutcomeDocument::new(&o));
        assert!(text.contains("\"possiblyDeleted\": true"), "{text}");
        assert!(text.contains("\"purgePending\": 0"), "{text}");
        assert!(text.contains("\"stopped\": \"interrupted\""), "{text}");
        sorted(&OutcomeDocument::new(&Outcome::default()));
    }
}
