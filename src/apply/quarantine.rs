//! Carrying out quarantines and restores: each step batched at its own API limit (UpdateVideoInfos
//! 20 videos a call, CreateAudit 100) and paced by its own per-action pacer in the client, every
//! call journaled.
//!
//! The order of the two steps is what keeps a half-done action harmless (see
//! [`crate::plan::quarantine`]): a quarantine tags and then blocks (only the videos whose tag was
//! set are blocked); a restore unblocks and then untags (only the videos set `Normal` are
//! untagged). A video whose first step failed is left as it was; one whose second step failed is
//! in the "restored by hand" state, which the next plan handles.

use std::collections::HashSet;

use super::journal::{Journal, JournalError, Record};
use super::outcome::FailedDeletion;
use crate::ids::VideoId;
use crate::plan::quarantine::{Quarantine, Restore, audit_reason};
use crate::vod::api::{MAX_AUDIT_ITEMS, MAX_UPDATE_ITEMS};
use crate::vod::concurrency::bounded;
use crate::vod::media::AuditStatus;
use crate::vod::{ApiError, Attempted, Client};

/// Calls of one step kept in flight; the client's pacer sets the rate.
const IN_FLIGHT: usize = 8;

/// What the quarantines and restores did.
#[derive(Debug, Default)]
pub struct Done {
    pub quarantined: Vec<VideoId>,
    pub restored: Vec<VideoId>,
    pub failed: Vec<FailedDeletion>,
}

/// One step's outcome for its videos: those done, and those not (with why).
struct Step {
    done: Vec<VideoId>,
    failed: Vec<(VideoId, String)>,
}

/// Runs one step over `items` in batches of `size`; `call` makes the API call for a batch and
/// returns the IDs it refused (non-existent or forbidden), or the error.
async fn step<I, F, Fut>(
    name: &str,
    items: Vec<(VideoId, I)>,
    size: usize,
    journal: &Journal,
    call: F,
) -> Result<Step, JournalError>
where
    I: Clone,
    F: Fn(Vec<(VideoId, I)>) -> Fut,
    Fut: std::future::Future<Output = (Result<Vec<String>, ApiError>, Option<String>)>,
{
    let mut out = Step {
        done: Vec::new(),
        failed: Vec::new(),
    };
    let batches: Vec<Vec<(VideoId, I)>> = items.chunks(size).map(<[_]>::to_vec).collect();
    let run = journal.run().to_string();
    let mut records = Vec::new();
    bounded(
        batches,
        IN_FLIGHT,
        |batch| {
            let ids: Vec<VideoId> = batch.iter().map(|(id, _)| id.clone()).collect();
            let reply = call(batch);
            async move { Ok::<_, JournalError>((ids, reply.await)) }
        },
        |(ids, (result, request_id)), _| {
            let (done, failed, error) = match result {
                Ok(refused) => {
                    let refused: HashSet<&str> = refused.iter().map(String::as_str).collect();
                    let (bad, good): (Vec<VideoId>, Vec<VideoId>) = ids
                        .iter()
                        .cloned()
                        .partition(|id| refused.contains(id.as_str()));
                    let why = "VOD refused it (non-existent or forbidden)".to_string();
                    (
                        good,
                        bad.into_iter().map(|id| (id, why.clone())).collect(),
                        None,
                    )
                }
                Err(e) => {
                    let why = e.to_string();
                    let failed: Vec<(VideoId, String)> =
                        ids.iter().map(|id| (id.clone(), why.clone())).collect();
                    (Vec::new(), failed, Some(why))
                }
            };
            records.push(Record::Audit {
                run: run.clone(),
                time: crate::timefmt::now(),
                step: name.to_string(),
                video_ids: ids.iter().map(ToString::to_string).collect(),
                done: done.iter().map(ToString::to_string).collect(),
                failed: failed.iter().map(|(id, _)| id.to_string()).collect(),
                request_id,
                error,
            });
            out.done.extend(done);
            out.failed.extend(failed);
            Ok(())
        },
    )
    .await?;
    for r in &records {
        journal.append_async(r).await?;
    }
    Ok(out)
}

fn refused_ids<T>(
    reply: Attempted<T>,
    refused: impl Fn(&T) -> Vec<String>,
    request_id: impl Fn(&T) -> String,
) -> (Result<Vec<String>, ApiError>, Option<String>) {
    match reply.result {
        // A reply without a RequestId is not a VOD reply: nothing is known to be done.
        Ok(body) if request_id(&body).trim().is_empty() => (
            Err(ApiError {
                action: "UpdateVideoInfos/CreateAudit",
                kind: crate::vod::ApiErrorKind::Transient,
                status: None,
                code: "UnreadableResponse".into(),
                message: "the reply carried no RequestId, so it is not a VOD reply".into(),
                request_id: None,
                retry_after: None,
            }),
            None,
        ),
        Ok(body) => (Ok(refused(&body)), Some(request_id(&body))),
        Err(e) => {
            let rid = e.request_id.clone();
            (Err(e), rid)
        }
    }
}

async fn set_tags(
    client: &Client,
    batch: Vec<(VideoId, String)>,
) -> (Result<Vec<String>, ApiError>, Option<String>) {
    let reply = client.set_tags(&batch).await;
    refused_ids(
        reply,
        |b| {
            b.non_exist_video_ids
                .iter()
                .chain(&b.forbidden_video_ids)
                .cloned()
                .collect()
        },
        |b| b.request_id.clone(),
    )
}

async fn audit(
    client: &Client,
    batch: Vec<(VideoId, String)>,
    status: AuditStatus,
) -> (Result<Vec<String>, ApiError>, Option<String>) {
    let reply = client.create_audit(&batch, status).await;
    refused_ids(reply, |_| Vec::new(), |b| b.request_id.clone())
}

/// Restores, then quarantines. Every video ends restored, quarantined, or failed with the step
/// that failed.
pub async fn execute(
    client: &Client,
    quarantines: &[Quarantine],
    restores: &[Restore],
    journal: &Journal,
) -> Result<Done, JournalError> {
    let mut done = Done::default();
    let fail = |failed: Vec<(VideoId, String)>, what: &str, done: &mut Done| {
        done.failed
            .extend(failed.into_iter().map(|(video_id, error)| FailedDeletion {
                video_id,
                error: format!("{what}: {error}"),
                possibly_deleted: false,
            }));
    };
    if !restores.is_empty() {
        let unblock: Vec<(VideoId, String)> = restores
            .iter()
            .map(|r| (r.video_id.clone(), String::new()))
            .collect();
        let unblocked = step("unblock", unblock, MAX_AUDIT_ITEMS, journal, |b| {
            audit(client, b, AuditStatus::Normal)
        })
        .await?;
        fail(unblocked.failed, "restore: not unblocked", &mut done);
        let ok: HashSet<&VideoId> = unblocked.done.iter().collect();
        let untag: Vec<(VideoId, String)> = restores
            .iter()
            .filter(|r| ok.contains(&r.video_id))
            .map(|r| (r.video_id.clone(), r.tags.clone()))
            .collect();
        let untagged = step("untag", untag, MAX_UPDATE_ITEMS, journal, |b| {
            set_tags(client, b)
        })
        .await?;
        fail(
            untagged.failed,
            "restore: unblocked (Normal), but vodplan's tag was not removed",
            &mut done,
        );
        done.restored = untagged.done;
    }
    if !quarantines.is_empty() {
        let tag: Vec<(VideoId, String)> = quarantines
            .iter()
            .map(|q| (q.video_id.clone(), q.tags.clone()))
            .collect();
        let tagged = step("tag", tag, MAX_UPDATE_ITEMS, journal, |b| {
            set_tags(client, b)
        })
        .await?;
        fail(
            tagged.failed,
            "quarantine: not tagged, not blocked",
            &mut done,
        );
        let ok: HashSet<&VideoId> = tagged.done.iter().collect();
        let block: Vec<(VideoId, String)> = quarantines
            .iter()
            .filter(|q| ok.contains(&q.video_id))
            .map(|q| (q.video_id.clone(), audit_reason(q.reason.as_deref())))
            .collect();
        let blocked = step("block", block, MAX_AUDIT_ITEMS, journal, |b| {
            audit(client, b, AuditStatus::Blocked)
        })
        .await?;
        fail(
            blocked.failed,
            "quarantine: tagged but not blocked (the next plan starts its grace period again)",
            &mut done,
        );
        done.quarantined = blocked.done;
    }
    Ok(done)
}
