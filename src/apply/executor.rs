//! The executor: sends exactly the planned deletions, 20 IDs a DeleteVideo call, many calls in
//! flight under the client's shared pacer, and turns every reply into the [`Outcome`].
//!
//! Safety rules enforced here, whatever the API answers:
//! - only IDs of planned deletions are ever put in a request;
//! - a reply's lists are intersected with the batch sent, so an ID the API mentions that was not
//!   in the batch is never counted;
//! - an ID the API reports as non-existent after this call (or an interrupted earlier run of the
//!   same plan) already sent it is credited as deleted by us, not drift: the first reply was lost;
//! - a credential or permission error stops the run: the remaining batches are not sent.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::journal::{Earlier, Journal, JournalEntry, JournalError, Record};
use super::outcome::{FailedDeletion, Outcome};
use crate::ids::VideoId;
use crate::plan::{Deletion, SelectedBy};
use crate::vod::{ApiErrorKind, Client, MAX_IDS_PER_CALL};

/// Progress of an apply, for a progress bar.
pub trait ApplyProgress: Send + Sync {
    fn total(&self, _videos: u64) {}
    fn advance(&self, _videos: u64) {}
}

impl ApplyProgress for () {}

/// How many DeleteVideo calls to keep in flight: enough to hold `qps` calls a second when a call
/// takes up to a second, bounded for politeness.
pub fn concurrency_for(qps: f64) -> usize {
    (qps.ceil() as usize).clamp(4, 64)
}

/// Drift for a deletion whose video is gone: by reference ID when the entry named one.
fn record_absent(outcome: &mut Outcome, d: &Deletion) {
    match &d.selected_by {
        SelectedBy::ReferenceId(r) => outcome.non_exist_reference_ids.push(r.to_string()),
        _ => outcome.non_exist_video_ids.push(d.video_id.to_string()),
    }
}

/// Deletes `deletions` and reports what happened. `earlier` holds what interrupted earlier runs
/// of the same plan sent; `journal` (if any) gets a durable record per batch.
pub async fn execute(
    client: Arc<Client>,
    deletions: &[Deletion],
    earlier: &Earlier,
    mut journal: Option<&mut Journal>,
    progress: &dyn ApplyProgress,
) -> Result<Outcome, JournalError> {
    let mut outcome = Outcome::default();
    progress.total(deletions.len() as u64);
    let batches: Vec<&[Deletion]> = deletions.chunks(MAX_IDS_PER_CALL).collect();
    let concurrency = concurrency_for(client.config().delete_qps);
    let mut pending = batches.iter().copied().enumerate();
    let mut running = JoinSet::new();
    let run = journal
        .as_ref()
        .map(|j| j.run().to_string())
        .unwrap_or_default();
    loop {
        while running.len() < concurrency && outcome.stopped_early.is_none() {
            let Some((n, batch)) = pending.next() else {
                break;
            };
            let ids: Vec<VideoId> = batch.iter().map(|d| d.video_id.clone()).collect();
            if let Some(j) = journal.as_deref_mut() {
                j.append(&Record::BatchSent {
                    run: run.clone(),
                    time: crate::timefmt::now(),
                    batch: n as u64,
                    video_ids: ids.iter().map(|i| i.to_string()).collect(),
                    reference_ids: batch
                        .iter()
                        .filter_map(|d| match &d.selected_by {
                            SelectedBy::ReferenceId(r) => Some(r.to_string()),
                            _ => None,
                        })
                        .collect(),
                    entries: batch
                        .iter()
                        .map(|d| JournalEntry {
                            video_id: d.video_id.to_string(),
                            source: d.source.to_string(),
                            reason: d.reason.clone(),
                        })
                        .collect(),
                })?;
            }
            let client = client.clone();
            running.spawn(async move {
                let reply = client.delete_videos(&ids).await;
                (n, reply)
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (n, reply) = done.expect("a deletion task never panics");
        let batch = batches[n];
        let sent: HashSet<&str> = batch.iter().map(|d| d.video_id.as_str()).collect();
        let lost_reply_possible = reply.uncertain_earlier_attempt;
        let (mut deleted, mut non_exist, mut forbidden, mut failed) =
            (vec![], vec![], vec![], vec![]);
        let mut error_text = None;
        let request_id = match reply.result {
            Ok(body) => {
                let forbidden_ids: HashSet<&str> = body
                    .forbidden_video_ids
                    .iter()
                    .map(String::as_str)
                    .filter(|i| sent.contains(i))
                    .collect();
                let missing_ids: HashSet<&str> = body
                    .non_exist_video_ids
                    .iter()
                    .map(String::as_str)
                    .filter(|i| sent.contains(i))
                    .collect();
                for d in batch {
                    let id = d.video_id.as_str();
                    if forbidden_ids.contains(id) {
                        forbidden.push(d);
                    } else if missing_ids.contains(id) {
                        non_exist.push(d);
                    } else {
                        deleted.push(d);
                    }
                }
                Some(body.request_id).filter(|r| !r.is_empty())
            }
            Err(e) if e.kind == ApiErrorKind::NotFound => {
                // 404 InvalidVideo.NotFound: none of the batch exists.
                non_exist.extend(batch.iter());
                e.request_id
            }
            Err(e) => {
                let text = e.to_string();
                if e.kind == ApiErrorKind::Auth && outcome.stopped_early.is_none() {
                    outcome.stopped_early = Some(text.clone());
                }
                error_text = Some(text);
                failed.extend(batch.iter());
                e.request_id
            }
        };
        // A video gone after we (or an interrupted run of this plan) sent it was deleted by us.
        let (credited, drift): (Vec<&Deletion>, Vec<&Deletion>) = non_exist
            .into_iter()
            .partition(|d| lost_reply_possible || earlier.sent.contains(d.video_id.as_str()));
        deleted.extend(credited);
        if let Some(j) = journal.as_deref_mut() {
            let ids =
                |v: &[&Deletion]| v.iter().map(|d| d.video_id.to_string()).collect::<Vec<_>>();
            j.append(&Record::BatchDone {
                run: run.clone(),
                time: crate::timefmt::now(),
                batch: n as u64,
                request_id,
                attempts: reply.attempts,
                deleted: ids(&deleted),
                non_exist: ids(&drift),
                forbidden: ids(&forbidden),
                failed: ids(&failed),
                error: error_text.clone(),
            })?;
        }
        progress.advance(batch.len() as u64);
        outcome
            .deleted
            .extend(deleted.iter().map(|d| d.video_id.clone()));
        for d in drift {
            record_absent(&mut outcome, d);
        }
        outcome
            .forbidden
            .extend(forbidden.iter().map(|d| d.video_id.clone()));
        let error = error_text.unwrap_or_default();
        outcome.failed.extend(failed.iter().map(|d| FailedDeletion {
            video_id: d.video_id.clone(),
            error: error.clone(),
        }));
    }
    if let Some(reason) = &outcome.stopped_early {
        for (_, batch) in pending {
            outcome.failed.extend(batch.iter().map(|d| FailedDeletion {
                video_id: d.video_id.clone(),
                error: format!("not sent: the run stopped after {reason}"),
            }));
        }
    }
    Ok(outcome)
}

/// Credits planned deletions whose videos were found gone before sending: deleted by an
/// interrupted earlier run of this plan if it sent them, drift otherwise.
pub fn settle_vanished(outcome: &mut Outcome, vanished: &[&Deletion], earlier: &Earlier) {
    for d in vanished {
        if earlier.sent.contains(d.video_id.as_str()) {
            outcome.deleted.push(d.video_id.clone());
        } else {
            record_absent(outcome, d);
        }
    }
}

/// Credits manifest entries found absent at plan time: deleted by an interrupted earlier run of
/// this plan if it sent them, drift otherwise.
pub fn settle_absent(outcome: &mut Outcome, absent: &[crate::plan::Absence], earlier: &Earlier) {
    use crate::plan::AbsentTarget;
    for a in absent {
        match &a.target {
            AbsentTarget::VideoId(v) if earlier.sent.contains(v.as_str()) => {
                outcome.deleted.push(v.clone())
            }
            AbsentTarget::VideoId(v) => outcome.non_exist_video_ids.push(v.to_string()),
            AbsentTarget::ReferenceId(r) if earlier.sent_references.contains(r.as_str()) => {
                outcome.credited_references.push(r.to_string())
            }
            AbsentTarget::ReferenceId(r) => outcome.non_exist_reference_ids.push(r.to_string()),
        }
    }
}
