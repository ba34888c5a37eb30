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

use std::collections::HashSet;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::journal::{Earlier, Journal, JournalEntry, JournalError, Record};
use super::outcome::{FailReason, FailedDeletion, Outcome, StoppedEarly};
use super::settle::{Settled, settle};
use crate::ids::VideoId;
use crate::plan::{Deletion, SelectedBy};
use crate::vod::concurrency::bounded_until;
use crate::vod::{Client, MAX_IDS_PER_CALL};

/// How long calls in flight may take to settle after an interrupt.
pub const SETTLE_AFTER_INTERRUPT: Duration = Duration::from_secs(5);

/// Progress of an apply, for a progress bar.
pub trait ApplyProgress: Send + Sync {
    fn total(&self, _videos: u64) {}
    fn advance(&self, _videos: u64) {}
    /// The journal shows open earlier runs of this plan (interrupted, or ended partial) that sent
    /// this many videos; `interrupted` when at least one of them was interrupted.
    fn resuming(&self, _sent: usize, _interrupted: bool) {}
}

impl ApplyProgress for () {}

/// A request to stop sending, shared between a signal handler and the executor.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    set: Arc<AtomicBool>,
    notify: Arc<Notify>,
    sent: Arc<AtomicBool>,
    sending: Arc<AtomicBool>,
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

    /// Marks the start of the phase that sends changes: before it, an interrupt means that
    /// nothing was sent.
    pub fn begin_sending(&self) {
        self.sending.store(true, Ordering::SeqCst);
    }

    /// Whether the phase that sends changes has begun.
    pub fn is_sending(&self) -> bool {
        self.sending.load(Ordering::SeqCst)
    }

    /// Whether any DeleteVideo call has been sent (so something may have been deleted).
    pub fn sent_any(&self) -> bool {
        self.sent.load(Ordering::SeqCst)
    }

    /// Returns once the interrupt is triggered (at once if it was already).
    pub async fn wait(&self) {
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

/// What the journal records as the reason and source of each deletion, and which deletions
/// selectors chose: for a saved plan, today's manifest entry that selects each video (found by the
/// approval), never the file's own words, which its digest does not cover.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// The distinct entries.
    pub entries: Vec<RecordedEntry>,
    /// For each deletion, by position: its entry in `entries`. Empty: each deletion's own
    /// (a plan just made from today's manifests).
    pub of: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEntry {
    pub source: String,
    pub reason: Option<String>,
    /// A `match` selector.
    pub by_selector: bool,
}

impl Recorded {
    /// The deletion at `position`'s source and reason.
    fn of(&self, position: usize, d: &Deletion) -> (String, Option<String>) {
        match self
            .of
            .get(position)
            .and_then(|i| self.entries.get(*i as usize))
        {
            Some(e) => (e.source.clone(), e.reason.clone()),
            None => (d.source.to_string(), d.reason.clone()),
        }
    }

    /// How many of `deletions` selectors chose.
    pub fn by_selectors(&self, deletions: &[&Deletion]) -> usize {
        if self.of.is_empty() {
            return deletions
                .iter()
                .filter(|d| matches!(d.selected_by, SelectedBy::Match(_)))
                .count();
        }
        self.of
            .iter()
            .filter(|i| {
                self.entries
                    .get(**i as usize)
                    .is_some_and(|e| e.by_selector)
            })
            .count()
    }
}

fn batch_sent(run: &str, n: usize, batch: &[&Deletion], recorded: &Recorded) -> Record {
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
            .enumerate()
            .map(|(i, d)| {
                let (source, reason) = recorded.of(n * MAX_IDS_PER_CALL + i, d);
                JournalEntry {
                    video_id: d.video_id.to_string(),
                    source,
                    reason,
                }
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

/// What became of one batch once its future ended.
enum Sent<'d> {
    /// It could not be journaled as sent, so it was not sent.
    NotJournaled(usize, JournalError),
    /// It was sent, its reply settled, and the settlement journaled (or not: `journaled`).
    Replied {
        n: usize,
        settled: Settled<'d>,
        journaled: Result<(), JournalError>,
    },
}

/// What sending a batch needs: shared by every batch of a run.
struct Sender<'a> {
    client: &'a Client,
    journal: &'a Journal,
    earlier: &'a Earlier,
    /// The batches whose call may be on the wire (sent, not answered yet).
    sending: Mutex<HashSet<usize>>,
    interrupt: &'a Interrupt,
}

impl Sender<'_> {
    /// One batch, start to end: journaled as sent (durably) before it is sent, sent, its reply
    /// settled, the settlement journaled. `record` is the journaling of it as sent.
    async fn send<'d>(
        &self,
        n: usize,
        batch: &[&'d Deletion],
        record: impl Future<Output = Result<(), JournalError>>,
    ) -> Sent<'d> {
        // A batch that cannot be journaled as sent is not sent: a later run must be able to
        // credit everything this one sent.
        if let Err(e) = record.await {
            return Sent::NotJournaled(n, e);
        }
        self.interrupt.sent.store(true, Ordering::SeqCst);
        self.sending.lock().expect("never poisoned").insert(n);
        let ids: Vec<VideoId> = batch.iter().map(|d| d.video_id.clone()).collect();
        let reply = self.client.delete_videos(&ids).await;
        let settled = settle(batch, &reply, &self.earlier.sent);
        let journaled = self
            .journal
            .append_async(&batch_done(self.journal.run(), n, &settled, reply.attempts))
            .await;
        Sent::Replied {
            n,
            settled,
            journaled,
        }
    }
}

/// Deletes `deletions` and reports what happened. `earlier` holds what earlier runs of the same
/// plan sent; `journal` gets a durable record per batch, before and after it is sent.
///
/// The batches run through the one bounded-concurrency loop ([`bounded_until`]), stopped by the
/// interrupt with [`SETTLE_AFTER_INTERRUPT`] of grace; an error that retrying cannot fix (or a
/// journal that cannot be written) empties its queue, so nothing more is sent.
pub async fn execute(
    client: Arc<Client>,
    deletions: &[&Deletion],
    recorded: &Recorded,
    earlier: &Earlier,
    journal: &Journal,
    progress: &dyn ApplyProgress,
    interrupt: &Interrupt,
) -> Result<Outcome, JournalError> {
    let mut outcome = Outcome::default();
    progress.total(deletions.len() as u64);
    let batches: Vec<&[&Deletion]> = deletions.chunks(MAX_IDS_PER_CALL).collect();
    let mut answered = vec![false; batches.len()];
    let sender = Sender {
        client: &client,
        journal,
        earlier,
        sending: Mutex::new(HashSet::new()),
        interrupt,
    };
    let mut uncertain: Vec<(&Deletion, String)> = Vec::new();
    let not_sent = |outcome: &mut Outcome, batch: &[&Deletion]| {
        outcome
            .not_sent
            .extend(batch.iter().map(|d| d.video_id.clone()));
    };
    let unstarted = bounded_until(
        batches.iter().copied().enumerate(),
        concurrency_for(client.config().delete_qps),
        |(n, batch)| {
            let record = journal.append_async(&batch_sent(journal.run(), n, batch, recorded));
            let sender = &sender;
            async move { Ok::<_, Infallible>(sender.send(n, batch, record).await) }
        },
        |sent, queue| {
            match sent {
                Sent::NotJournaled(n, e) => {
                    answered[n] = true;
                    journal_failed(&mut outcome, &e);
                    not_sent(&mut outcome, batches[n]);
                }
                Sent::Replied {
                    n,
                    settled,
                    journaled,
                } => {
                    answered[n] = true;
                    sender.sending.lock().expect("never poisoned").remove(&n);
                    if let Err(e) = journaled {
                        journal_failed(&mut outcome, &e);
                    }
                    progress.advance(batches[n].len() as u64);
                    record(&mut outcome, &mut uncertain, settled);
                }
            }
            // Stopped early: nothing more is sent.
            if outcome.stopped_early.is_some() {
                for (n, batch) in queue.drain(..) {
                    answered[n] = true;
                    not_sent(&mut outcome, batch);
                }
            }
            Ok(())
        },
        interrupt.wait(),
        SETTLE_AFTER_INTERRUPT,
    )
    .await
    .unwrap_or_else(|never| match never {});
    for (n, batch) in unstarted {
        answered[n] = true;
        not_sent(&mut outcome, batch);
    }
    // Batches still in flight when the grace period after an interrupt ended: a sent one may
    // have been carried out (the journal shows it sent, so the next run of this plan credits
    // it); one stopped while being journaled was never sent.
    let sending = sender.sending.into_inner().expect("never poisoned");
    for (n, batch) in batches.iter().enumerate().filter(|(n, _)| !answered[*n]) {
        if sending.contains(&n) {
            outcome.failed.extend(batch.iter().map(|d| FailedDeletion {
                video_id: d.video_id.clone(),
                error: FailReason::InFlight,
                possibly_deleted: true,
            }));
        } else {
            not_sent(&mut outcome, batch);
        }
    }
    outcome.interrupted = interrupt.is_set();
    if let Err(e) = verify(
        &client,
        uncertain,
        &mut outcome,
        journal,
        journal.run(),
        interrupt,
    )
    .await
    {
        journal_failed(&mut outcome, &e);
    }
    Ok(outcome)
}

/// Adds a settled batch to the outcome; the uncertain ones wait for [`verify`].
fn record<'d>(
    outcome: &mut Outcome,
    uncertain: &mut Vec<(&'d Deletion, String)>,
    settled: Settled<'d>,
) {
    if let Some(reason) = &settled.stop
        && outcome.stopped_early.is_none()
    {
        outcome.stopped_early = Some(StoppedEarly::Refused(reason.clone()));
    }
    let error = settled.error.unwrap_or_default();
    outcome
        .deleted
        .extend(settled.deleted.iter().map(|d| d.video_id.clone()));
    for d in &settled.drift {
        record_absent(outcome, d);
    }
    outcome
        .forbidden
        .extend(settled.forbidden.iter().map(|d| d.video_id.clone()));
    outcome
        .failed
        .extend(settled.failed.iter().map(|d| FailedDeletion {
            video_id: d.video_id.clone(),
            error: FailReason::Api(error.clone()),
            possibly_deleted: false,
        }));
    uncertain.extend(settled.uncertain.iter().map(|d| (*d, error.clone())));
}

/// The journal could not be written (a full disk, say): send nothing more, and say so; what was
/// done stays counted and reported.
pub(crate) fn journal_failed(outcome: &mut Outcome, e: &JournalError) {
    if outcome.stopped_early.is_none() {
        outcome.stopped_early = Some(StoppedEarly::Journal(e.to_string()));
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
            outcome
                .failed
                .extend(chunk.iter().map(|(d, e)| FailedDeletion {
                    video_id: d.video_id.clone(),
                    error: FailReason::Unverified(e.clone()),
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
                    error: FailReason::StillExists(e.clone()),
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::ids::ReferenceId;
    use crate::manifest::Location;
    use crate::plan::Fingerprint;
    use crate::vod::{ClientConfig, Credentials, Endpoint, RetryPolicy, Secret, SignatureVersion};

    fn d(n: usize, by: SelectedBy) -> Deletion {
        Deletion {
            video_id: VideoId::new(format!("v{n:031}")).unwrap(),
            selected_by: by,
            reason: Some(format!("file reason {n}")),
            source: Location {
                file: "plan.yaml".into(),
                line: n as u32 + 1,
                column: 3,
            },
            observed: Fingerprint::default(),
        }
    }

    fn deletions(n: usize) -> Vec<Deletion> {
        (0..n).map(|i| d(i, SelectedBy::VideoId)).collect()
    }

    /// A client of an endpoint nothing listens on, without retries.
    fn unreachable() -> Arc<Client> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port(); // free again once the listener is dropped
        Arc::new(
            Client::new(ClientConfig {
                endpoint: Endpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
                region: "cn-shanghai".into(),
                credentials: Credentials {
                    access_key_id: "id".into(),
                    access_key_secret: Secret::new("secret"),
                    security_token: None,
                    source: "test".into(),
                },
                signature: SignatureVersion::V3,
                delete_qps: 1000.0,
                timeout: Duration::from_secs(2),
                retry: RetryPolicy {
                    max_attempts: 1,
                    max_throttled: 0,
                    base_delay: Duration::from_millis(1),
                    max_delay: Duration::from_millis(1),
                },
            })
            .unwrap(),
        )
    }

    fn records(path: &Path) -> Vec<Record> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn the_journal_records_today_s_entry_when_the_approval_found_one_else_the_deletion_s_own() {
        let batch = [
            d(0, SelectedBy::VideoId),
            d(
                1,
                SelectedBy::ReferenceId(ReferenceId::new("promo-2023-001").unwrap()),
            ),
        ];
        let batch: Vec<&Deletion> = batch.iter().collect();
        let recorded = Recorded {
            entries: vec![RecordedEntry {
                source: "m.yaml:4:5".into(),
                reason: Some("licence expired".into()),
                by_selector: true,
            }],
            of: vec![0; MAX_IDS_PER_CALL + 1],
        };
        // The second batch: its first video is at position 20, its second at 21 (past `of`).
        let Record::BatchSent {
            batch: n,
            video_ids,
            reference_ids,
            entries,
            ..
        } = batch_sent("r", 1, &batch, &recorded)
        else {
            panic!("not a batch-sent record");
        };
        assert_eq!(n, 1);
        assert_eq!(
            video_ids,
            [batch[0].video_id.to_string(), batch[1].video_id.to_string()]
        );
        assert_eq!(reference_ids, ["promo-2023-001"]);
        let said: Vec<(&str, Option<&str>)> = entries
            .iter()
            .map(|e| (e.source.as_str(), e.reason.as_deref()))
            .collect();
        assert_eq!(
            said,
            [
                ("m.yaml:4:5", Some("licence expired")),
                ("plan.yaml:2:3", Some("file reason 1")),
            ]
        );
        // Selectors chose what today's entries say, never the file's attribution.
        assert_eq!(recorded.by_selectors(&batch), MAX_IDS_PER_CALL + 1);
        assert_eq!(Recorded::default().by_selectors(&batch), 0);
    }

    #[test]
    fn a_settled_batch_is_counted_once_and_a_stop_sends_nothing_more() {
        let batch = deletions(4);
        let reference = d(
            9,
            SelectedBy::ReferenceId(ReferenceId::new("promo-2023-009").unwrap()),
        );
        let settled = Settled {
            deleted: vec![&batch[0]],
            drift: vec![&batch[1], &reference],
            forbidden: vec![&batch[2]],
            failed: vec![],
            uncertain: vec![&batch[3]],
            error: Some("InvalidAccessKeyId".into()),
            request_id: Some("req".into()),
            stop: Some("the access key was refused".into()),
        };
        let mut outcome = Outcome::default();
        let mut uncertain = Vec::new();
        record(&mut outcome, &mut uncertain, settled);
        assert_eq!(outcome.deleted, [batch[0].video_id.clone()]);
        assert_eq!(outcome.non_exist_video_ids, [batch[1].video_id.clone()]);
        assert_eq!(
            outcome.non_exist_reference_ids.len(),
            1,
            "drift by reference"
        );
        assert_eq!(outcome.forbidden, [batch[2].video_id.clone()]);
        assert_eq!(
            uncertain.len(),
            1,
            "verified by reading back, not counted yet"
        );
        assert_eq!(
            outcome.stopped_early,
            Some(StoppedEarly::Refused("the access key was refused".into()))
        );
        // A later stop does not replace the first reason, nor does a journal failure.
        journal_failed(
            &mut outcome,
            &JournalError::NotRegular {
                path: "j".into(),
                kind: "a directory",
            },
        );
        assert_eq!(
            outcome.stopped_early,
            Some(StoppedEarly::Refused("the access key was refused".into()))
        );
        assert_eq!(concurrency_for(0.5), 4);
        assert_eq!(concurrency_for(30.0), 30);
        assert_eq!(concurrency_for(1e9), 64);
    }

    #[tokio::test]
    async fn an_interrupt_before_the_first_batch_sends_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let (journal, earlier) = Journal::lock(&path, "k").unwrap();
        let planned = deletions(45);
        let planned: Vec<&Deletion> = planned.iter().collect();
        let interrupt = Interrupt::new();
        interrupt.trigger();
        let outcome = execute(
            unreachable(),
            &planned,
            &Recorded::default(),
            &earlier,
            &journal,
            &(),
            &interrupt,
        )
        .await
        .unwrap();
        assert_eq!(outcome.not_sent.len(), 45);
        assert!(outcome.deleted.is_empty() && outcome.failed.is_empty());
        assert!(outcome.interrupted);
        assert!(!interrupt.sent_any());
        assert!(records(&path).is_empty(), "nothing journaled as sent");
    }

    #[tokio::test]
    async fn every_batch_is_journaled_before_it_is_sent_and_every_deletion_accounted_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let (journal, earlier) = Journal::lock(&path, "k").unwrap();
        let planned = deletions(45);
        let planned: Vec<&Deletion> = planned.iter().collect();
        let interrupt = Interrupt::new();
        let outcome = execute(
            unreachable(),
            &planned,
            &Recorded::default(),
            &earlier,
            &journal,
            &(),
            &interrupt,
        )
        .await
        .unwrap();
        // Nothing answered: nothing is called deleted, and each planned video is reported once.
        assert!(outcome.deleted.is_empty(), "{outcome:?}");
        let mut accounted: Vec<String> = outcome
            .failed
            .iter()
            .map(|f| f.video_id.to_string())
            .chain(outcome.not_sent.iter().map(ToString::to_string))
            .collect();
        accounted.sort();
        let mut expected: Vec<String> = planned.iter().map(|d| d.video_id.to_string()).collect();
        expected.sort();
        assert_eq!(accounted, expected);
        // Every batch that may have reached the wire was journaled as sent, with its IDs.
        let sent: Vec<String> = records(&path)
            .into_iter()
            .filter_map(|r| match r {
                Record::BatchSent { video_ids, .. } => Some(video_ids),
                _ => None,
            })
            .flatten()
            .collect();
        for f in &outcome.failed {
            assert!(
                sent.contains(&f.video_id.to_string()),
                "{} sent unjournaled",
                f.video_id
            );
        }
        assert!(interrupt.sent_any() || sent.is_empty());
    }
}
