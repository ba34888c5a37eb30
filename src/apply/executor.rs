//! The executor: sends exactly the approved deletions, 20 IDs a DeleteVideo call, many calls in
//! flight under the client's shared pacer, journals every batch before and after, and turns every
//! reply into the [`Outcome`] through the pure `settle::settle`.
//!
//! Safety rules enforced here, whatever the API answers:
//! - only IDs of approved deletions are ever put in a request;
//! - a batch is journaled (durably) as sent before it is sent, so a killed run is finished by the
//!   next run of the same plan, crediting what it sent;
//! - a batch whose fate is unknown (the service may have acted) is verified by reading its videos
//!   back before it is reported: gone means deleted by vodplan, present means failed;
//! - a credential or permission error stops the run: the remaining batches are not sent;
//! - an interrupt sends no new batch, lets the calls in flight settle for a bounded time, and
//!   reports the rest as not sent.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::journal::{Earlier, Journal, JournalEntry, JournalError, Record};
use super::outcome::{FailedDeletion, Outcome};
use super::settle::{Settled, settle};
use crate::ids::VideoId;
use crate::plan::{Deletion, SelectedBy};
use crate::vod::{Client, MAX_IDS_PER_CALL};

/// How long calls in flight may take to settle after an interrupt.
pub const SETTLE_AFTER_INTERRUPT: Duration = Duration::from_secs(5);

/// Progress of an apply, for a progress bar.
pub trait ApplyProgress: Send + Sync {
    fn total(&self, _videos: u64) {}
    fn advance(&self, _videos: u64) {}
    /// The journal shows an interrupted earlier run of this plan that sent this many videos.
    fn resuming(&self, _sent: usize) {}
}

impl ApplyProgress for () {}

/// A request to stop sending, shared between a signal handler and the executor.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    set: Arc<AtomicBool>,
    notify: Arc<Notify>,
    sent: Arc<AtomicBool>,
}

impl Interrupt {
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Asks the executor to send nothing more.
    pub fn trigger(&self) {
        self.set.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::SeqCst)
    }

    /// Whether any DeleteVideo call has been sent (so something may have been deleted).
    pub fn sent_any(&self) -> bool {
        self.sent.load(Ordering::SeqCst)
    }

    async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }
}

/// How many DeleteVideo calls to keep in flight: enough to hold `qps` calls a second when a call
/// takes up to a second, bounded for politeness.
pub fn concurrency_for(qps: f64) -> usize {
    (qps.ceil() as usize).clamp(4, 64)
}

/// Drift for a deletion whose video is gone: by reference ID when the entry named one.
pub(crate) fn record_absent(outcome: &mut Outcome, d: &Deletion) {
    match &d.selected_by {
        SelectedBy::ReferenceId(r) => outcome.non_exist_reference_ids.push(r.clone()),
        _ => outcome.non_exist_video_ids.push(d.video_id.clone()),
    }
}

fn batch_sent(run: &str, n: usize, batch: &[&Deletion]) -> Record {
    Record::BatchSent {
        run: run.to_string(),
        time: crate::timefmt::now(),
        batch: n as u64,
        video_ids: batch.iter().map(|d| d.video_id.to_string()).collect(),
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
    }
}

fn ids(v: &[&Deletion]) -> Vec<String> {
    v.iter().map(|d| d.video_id.to_string()).collect()
}

fn batch_done(run: &str, n: usize, s: &Settled<'_>, attempts: u32) -> Record {
    let mut deleted = ids(&s.deleted);
    // Uncertain ones are journaled as failed with the error; the verification that follows is
    // journaled on its own.
    let mut failed = ids(&s.failed);
    failed.extend(ids(&s.uncertain));
    deleted.sort();
    Record::BatchDone {
        run: run.to_string(),
        time: crate::timefmt::now(),
        batch: n as u64,
        request_id: s.request_id.clone(),
        attempts,
        deleted,
        non_exist: ids(&s.drift),
        forbidden: ids(&s.forbidden),
        failed,
        error: s.error.clone(),
    }
}

/// Deletes `deletions` and reports what happened. `earlier` holds what earlier runs of the same
/// plan sent; `journal` gets a durable record per batch, before and after it is sent.
pub async fn execute(
    client: Arc<Client>,
    deletions: &[&Deletion],
    earlier: &Earlier,
    journal: &Journal,
    progress: &dyn ApplyProgress,
    interrupt: &Interrupt,
) -> Result<Outcome, JournalError> {
    let mut outcome = Outcome::default();
    progress.total(deletions.len() as u64);
    let batches: Vec<&[&Deletion]> = deletions.chunks(MAX_IDS_PER_CALL).collect();
    let concurrency = concurrency_for(client.config().delete_qps);
    let mut pending = batches.iter().copied().enumerate().peekable();
    let mut running = JoinSet::new();
    let mut in_flight: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut uncertain: Vec<(&Deletion, String)> = Vec::new();
    let run = journal.run().to_string();
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        while running.len() < concurrency && outcome.stopped_early.is_none() && !interrupt.is_set()
        {
            let Some((n, batch)) = pending.next() else {
                break;
            };
            // A batch that cannot be journaled as sent is not sent: a later run must be able to
            // credit everything this one sent.
            if let Err(e) = journal.append_async(&batch_sent(&run, n, batch)).await {
                journal_failed(&mut outcome, &e);
                outcome
                    .not_sent
                    .extend(batch.iter().map(|d| d.video_id.clone()));
                break;
            }
            interrupt.sent.store(true, Ordering::SeqCst);
            let ids: Vec<VideoId> = batch.iter().map(|d| d.video_id.clone()).collect();
            let client = client.clone();
            let handle = running.spawn(async move {
                let reply = client.delete_videos(&ids).await;
                (n, reply)
            });
            in_flight.insert(handle.id(), n);
        }
        if running.is_empty() {
            break;
        }
        let joined = if interrupt.is_set() {
            let until = *deadline
                .get_or_insert_with(|| tokio::time::Instant::now() + SETTLE_AFTER_INTERRUPT);
            match tokio::time::timeout_at(until, running.join_next_with_id()).await {
                Ok(joined) => joined,
                // Calls still in flight: their outcome is unknown; the journal shows them sent,
                // so the next run of this plan credits them.
                Err(_) => break,
            }
        } else {
            tokio::select! {
                joined = running.join_next_with_id() => joined,
                () = interrupt.wait() => continue,
            }
        };
        let Some(joined) = joined else { break };
        let (task, (n, reply)) = joined.expect("a deletion task never panics");
        in_flight.remove(&task);
        let batch = batches[n];
        let settled = settle(batch, &reply, &earlier.sent);
        if let Err(e) = journal
            .append_async(&batch_done(&run, n, &settled, reply.attempts))
            .await
        {
            journal_failed(&mut outcome, &e);
        }
        progress.advance(batch.len() as u64);
        if let Some(reason) = &settled.stop
            && outcome.stopped_early.is_none()
        {
            outcome.stopped_early = Some(reason.clone());
        }
        let error = settled.error.clone().unwrap_or_default();
        outcome
            .deleted
            .extend(settled.deleted.iter().map(|d| d.video_id.clone()));
        for d in &settled.drift {
            record_absent(&mut outcome, d);
        }
        outcome
            .forbidden
            .extend(settled.forbidden.iter().map(|d| d.video_id.clone()));
        outcome
            .failed
            .extend(settled.failed.iter().map(|d| FailedDeletion {
                video_id: d.video_id.clone(),
                error: error.clone(),
                possibly_deleted: false,
            }));
        uncertain.extend(settled.uncertain.iter().map(|d| (*d, error.clone())));
    }
    // Calls abandoned after an interrupt.
    running.abort_all();
    for n in in_flight.into_values() {
        outcome
            .failed
            .extend(batches[n].iter().map(|d| FailedDeletion {
                video_id: d.video_id.clone(),
                error: "interrupted while the call was in flight: unknown whether deleted; run the same command again to finish".into(),
                possibly_deleted: true,
            }));
    }
    outcome.interrupted = interrupt.is_set();
    for (_, batch) in pending {
        outcome
            .not_sent
            .extend(batch.iter().map(|d| d.video_id.clone()));
    }
    if let Err(e) = verify(&client, uncertain, &mut outcome, journal, &run, interrupt).await {
        journal_failed(&mut outcome, &e);
    }
    Ok(outcome)
}

/// The journal could not be written (a full disk, say): send nothing more, and say so; what was
/// done stays counted and reported.
pub(crate) fn journal_failed(outcome: &mut Outcome, e: &JournalError) {
    if outcome.stopped_early.is_none() {
        outcome.stopped_early = Some(format!(
            "the journal could not be written ({e}), so nothing more was sent"
        ));
    }
}

/// Reads back the videos whose deletion is uncertain: gone means vodplan deleted them, present
/// means the call failed. When the read fails too, they stay failed and "possibly deleted".
async fn verify(
    client: &Client,
    uncertain: Vec<(&Deletion, String)>,
    outcome: &mut Outcome,
    journal: &Journal,
    run: &str,
    interrupt: &Interrupt,
) -> Result<(), JournalError> {
    for chunk in uncertain.chunks(MAX_IDS_PER_CALL) {
        let ids: Vec<VideoId> = chunk.iter().map(|(d, _)| d.video_id.clone()).collect();
        let read = if interrupt.is_set() {
            None
        } else {
            client.get_video_infos(&ids, &[]).await.ok()
        };
        let Some(reply) = read else {
            outcome.failed.extend(chunk.iter().map(|(d, e)| FailedDeletion {
                video_id: d.video_id.clone(),
                error: format!("{e}; unknown whether deleted (the check by GetVideoInfos failed); run the same command again to finish"),
                possibly_deleted: true,
            }));
            continue;
        };
        let present: HashSet<&str> = reply
            .video_list
            .iter()
            .map(|v| v.video_id.as_str())
            .collect();
        let (mut gone, mut still) = (Vec::new(), Vec::new());
        for (d, e) in chunk {
            if present.contains(d.video_id.as_str()) {
                still.push(d.video_id.to_string());
                outcome.failed.push(FailedDeletion {
                    video_id: d.video_id.clone(),
                    error: format!("{e}; the video still exists"),
                    possibly_deleted: false,
                });
            } else {
                gone.push(d.video_id.to_string());
                outcome.deleted.push(d.video_id.clone());
            }
        }
        journal
            .append_async(&Record::Verified {
                run: run.to_string(),
                time: crate::timefmt::now(),
                request_id: Some(reply.request_id).filter(|r| !r.is_empty()),
                deleted: gone,
                still_present: still,
            })
            .await?;
    }
    Ok(())
}
