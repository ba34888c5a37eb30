//! One apply, start to finish: under the journal the approval was judged with, credit what
//! earlier runs of the same plan did, execute, settle, and record the finish.
//!
//! The caller brings an [`Approval`] (only [`super::approve()`] builds one: a saved plan checked
//! and re-read, or a plan just made from manifests and confirmed); this module never re-plans.

use std::sync::Arc;

use super::approve::Approval;
use super::executor::{self, ApplyProgress, Interrupt, record_absent};
use super::journal::{Earlier, Record};
use super::locked::{ApplyError, Locked};
use super::outcome::Outcome;
use crate::ids::VideoId;
use crate::plan::{Absence, AbsentTarget, Deletion};
use crate::vod::Client;

/// Applies an approval under the journal it was approved with. Returns the outcome whatever the
/// API answered; an error only when the journal could not be written (then the run stopped, and
/// the journal is consistent).
pub async fn run(
    client: Arc<Client>,
    approval: Approval<'_>,
    progress: &dyn ApplyProgress,
    interrupt: &Interrupt,
) -> Result<Outcome, ApplyError> {
    // The journal the approval checked; the rest of the approval is read field by field.
    let Locked {
        journal,
        earlier,
        plan_key,
        once: _,
    } = approval.journal;

    journal.start(
        &plan_key,
        approval.deletions.len(),
        Some(approval.digest.as_str()),
    )?;
    if !earlier.sent.is_empty() {
        progress.resuming(earlier.sent.len(), earlier.interrupted_runs > 0);
    }
    let mut outcome = Outcome {
        plan_digest: approval.digest.clone(),
        ..Outcome::default()
    };
    settle_absent(&mut outcome, approval.absent, &earlier);
    settle_vanished(&mut outcome, &approval.vanished, &earlier);
    credit_sent_outside(
        &client,
        &approval.deletions,
        &approval.vanished,
        approval.absent,
        &earlier,
        &mut outcome,
    )
    .await;
    outcome
        .non_exist_video_ids
        .extend(approval.gone.iter().cloned());
    if !interrupt.is_set() {
        let q = super::quarantine::execute(
            &client,
            approval.desired,
            approval
                .today
                .unwrap_or_else(crate::plan::quarantine::today),
            &approval.quarantines,
            &approval.restores,
            &journal,
            interrupt,
        )
        .await?;
        outcome.quarantined = q.quarantined;
        outcome.restored = q.restored;
        outcome.quarantined.extend(q.already_quarantined);
        outcome.restored.extend(q.already_restored);
        outcome
            .quarantined
            .extend(approval.already_quarantined.iter().cloned());
        outcome
            .restored
            .extend(approval.already_restored.iter().cloned());
        outcome.quarantine_unfinished = !q.failed.is_empty() || !q.not_sent.is_empty();
        outcome.failed.extend(q.failed);
        outcome.quarantine_not_sent = q.not_sent;
        outcome.non_exist_video_ids.extend(q.gone);
        outcome.until_written = q.until_written;
    } else {
        outcome.quarantine_unfinished =
            !approval.quarantines.is_empty() || !approval.restores.is_empty();
        outcome.quarantine_not_sent = approval
            .quarantines
            .iter()
            .map(|q| q.video_id.clone())
            .chain(approval.restores.iter().map(|r| r.video_id.clone()))
            .collect();
    }
    if !outcome.quarantine_not_sent.is_empty() {
        outcome.interrupted = true;
    }
    let done = executor::execute(
        client,
        &approval.deletions,
        &approval.recorded,
        &earlier,
        &journal,
        progress,
        interrupt,
    )
    .await?;
    outcome.deleted.extend(done.deleted);
    outcome.non_exist_video_ids.extend(done.non_exist_video_ids);
    outcome
        .non_exist_reference_ids
        .extend(done.non_exist_reference_ids);
    outcome.forbidden.extend(done.forbidden);
    outcome.failed.extend(done.failed);
    outcome.not_sent.extend(done.not_sent);
    outcome.stopped_early = done.stopped_early;
    outcome.interrupted |= done.interrupted;
    outcome.normalize();
    // Only a run that settled every deletion is finished; any other is finished by the next run
    // of the same plan, which credits what this one sent.
    if outcome.settled()
        && let Err(e) = journal
            .append_async(&Record::Finish {
                run: journal.run().to_string(),
                time: crate::timefmt::now(),
                deleted: outcome.deleted_count(),
                absent: outcome.absent(),
                forbidden: outcome.forbidden.len(),
                failed: outcome.failed.len(),
                not_sent: outcome.not_sent.len(),
            })
            .await
    {
        // Everything is settled; only the record of it is missing: the next run of this plan
        // finds nothing to do but is not refused.
        executor::journal_failed(&mut outcome, &e);
    }
    Ok(outcome)
}

/// Credits what open earlier runs of the same plan key deleted that this approval no longer
/// lists (a selector-matched video the killed run deleted is matched by nothing now): confirmed
/// deletions at once; the ones whose reply the journal lacks if a re-read finds them gone (when
/// the re-read fails, they are simply not credited: never counted twice, never drift).
async fn credit_sent_outside(
    client: &Client,
    deletions: &[&Deletion],
    vanished: &[&Deletion],
    absent: &[Absence],
    earlier: &Earlier,
    outcome: &mut Outcome,
) {
    if earlier.sent.is_empty() {
        return;
    }
    let planned: std::collections::HashSet<&str> = deletions
        .iter()
        .chain(vanished)
        .map(|d| d.video_id.as_str())
        .chain(absent.iter().filter_map(|a| match &a.target {
            AbsentTarget::VideoId(v) => Some(v.as_str()),
            AbsentTarget::ReferenceId(_) => None,
        }))
        .collect();
    let (confirmed, unknown) = earlier.sent_outside(&planned);
    outcome
        .deleted
        .extend(confirmed.into_iter().filter_map(|id| VideoId::new(id).ok()));
    let unknown: Vec<VideoId> = unknown
        .into_iter()
        .filter_map(|id| VideoId::new(id).ok())
        .collect();
    for chunk in unknown.chunks(crate::vod::MAX_IDS_PER_CALL) {
        if let Ok(reply) = client.get_video_infos(chunk, &[]).await {
            let present: std::collections::HashSet<&str> = reply
                .video_list
                .iter()
                .map(|v| v.video_id.as_str())
                .collect();
            outcome.deleted.extend(
                chunk
                    .iter()
                    .filter(|id| !present.contains(id.as_str()))
                    .cloned(),
            );
        }
    }
}

/// Credits planned deletions whose videos were found gone before sending: deleted by an earlier
/// run of this plan if it sent them, drift otherwise.
fn settle_vanished(outcome: &mut Outcome, vanished: &[&Deletion], earlier: &Earlier) {
    for d in vanished {
        if earlier.sent.contains(d.video_id.as_str()) {
            outcome.deleted.push(d.video_id.clone());
        } else {
            record_absent(outcome, d);
        }
    }
}

/// Credits manifest entries found absent at plan time: deleted by an earlier run of this plan if
/// it sent them, drift otherwise.
fn settle_absent(outcome: &mut Outcome, absent: &[Absence], earlier: &Earlier) {
    for a in absent {
        match &a.target {
            AbsentTarget::VideoId(v) if earlier.sent.contains(v.as_str()) => {
                outcome.deleted.push(v.clone())
            }
            AbsentTarget::VideoId(v) => outcome.non_exist_video_ids.push(v.clone()),
            AbsentTarget::ReferenceId(r) if earlier.sent_references.contains(r.as_str()) => {
                outcome.credited_references.push(r.clone())
            }
            AbsentTarget::ReferenceId(r) => outcome.non_exist_reference_ids.push(r.clone()),
        }
    }
}
