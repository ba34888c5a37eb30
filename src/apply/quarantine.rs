//! Carrying out quarantines and restores, on fresh reads.
//!
//! Nothing is written from what the plan saw, or from what was read before a prompt: the videos
//! are handled in groups of at most 20 (UpdateVideoInfos' limit), and for each group
//! - the videos are re-read (GetVideoInfos, and GetAuditHistory where the standing depends on it)
//!   and their fate decided again with [`crate::plan::quarantine::fate`]: a video whose fate is
//!   not the planned action any more (a keep entry protects it now, someone else blocked it, it
//!   is gone) is left alone and reported;
//! - each tag list written is computed from the tags read just before, so a tag a person added
//!   meanwhile is kept; each is checked on its own (16 tags of at most 32 bytes), so one bad
//!   video fails alone, never its batch;
//! - a quarantine is tagged, re-read, decided again on that fresh state (keep re-check), and only
//!   then blocked, with its marker in the audit record (owner, date, status before blocking);
//! - a restore is unblocked, re-read, then untagged;
//! - every video is counted quarantined or restored only when a re-read confirms it.
//!
//! The order of the two steps keeps a half-done action harmless: tag then block, unblock then
//! untag; either half alone is a stale marker of this owner, which the same command finishes.
//! After an interrupt no new write starts. Every call is journaled.

use std::collections::{HashMap, HashSet};

use time::Date;

use super::executor::Interrupt;
use super::journal::{Journal, JournalError, Record, Step};
use super::outcome::{FailReason, FailedDeletion};
use crate::ids::VideoId;
use crate::manifest::{DesiredState, Location};
use crate::plan::Rules;
use crate::plan::quarantine::{
    Fate, LeaveReason, Marker, Quarantine, Restore, TagProblem, check_tags, date_text, fate,
    has_vodplan_tag, owner_tag_for,
};
use crate::state::Video;
use crate::vod::api::{AuditRecord, MAX_UPDATE_ITEMS};
use crate::vod::concurrency::bounded_until;
use crate::vod::media::{AuditItem, AuditStatus};
use crate::vod::{ApiError, Client};

/// Groups handled at once; the client's pacers set the rate.
const IN_FLIGHT: usize = 4;

/// What the quarantines and restores did.
#[derive(Debug, Default)]
pub struct Done {
    pub quarantined: Vec<VideoId>,
    pub restored: Vec<VideoId>,
    /// Planned quarantines or restores found done already (an earlier run finished them).
    pub already_quarantined: Vec<VideoId>,
    pub already_restored: Vec<VideoId>,
    pub failed: Vec<FailedDeletion>,
    /// Not started: the run was interrupted first.
    pub not_sent: Vec<VideoId>,
    /// Gone before anything was written.
    pub gone: Vec<VideoId>,
    /// The `until` date written (today's, fixed for the whole run), when any quarantine was
    /// written.
    pub until_written: HashMap<VideoId, Date>,
}

/// Today's rules for the writes.
struct Judge<'r> {
    rules: Rules<'r>,
    owner: Option<&'r str>,
    today: Date,
}

impl Judge<'_> {
    fn fate(&self, id: &VideoId, info: &Video, review: Option<&AuditRecord>) -> Fate<'_> {
        fate(&self.rules, self.owner, id, info, review, self.today)
    }
}

/// The fresh state of a group: each video's info and, where needed, its latest review.
struct Fresh {
    infos: HashMap<VideoId, Video>,
    reviews: HashMap<VideoId, Option<AuditRecord>>,
}

impl Fresh {
    fn review(&self, id: &VideoId) -> Option<&AuditRecord> {
        self.reviews.get(id).and_then(Option::as_ref)
    }
}

async fn read(client: &Client, ids: &[VideoId], owner: Option<&str>) -> Result<Fresh, ApiError> {
    let reply = client.get_video_infos(ids, &[]).await?;
    let asked: HashSet<&VideoId> = ids.iter().collect();
    let infos: HashMap<VideoId, Video> = reply
        .video_list
        .into_iter()
        .filter_map(Video::read)
        .filter(|v| asked.contains(&v.id))
        .map(|v| (v.id.clone(), v))
        .collect();
    let mut reviews = HashMap::new();
    if let Some(owner) = owner {
        let tag = owner_tag_for(owner);
        let need: Vec<VideoId> = infos
            .iter()
            .filter(|(_, v)| crate::state::needs_review(v, &tag))
            .map(|(id, _)| id.clone())
            .collect();
        reviews.extend(crate::state::latest_reviews(client, need).await?);
    }
    Ok(Fresh { infos, reviews })
}

/// A reply without a RequestId is not a VOD reply: nothing is known to be done.
fn checked<T>(
    reply: crate::vod::Attempted<T>,
    request_id: impl Fn(&T) -> &str,
) -> (Result<T, String>, Option<String>) {
    match reply.result {
        Ok(body) if request_id(&body).trim().is_empty() => (
            Err("the reply carried no RequestId, so it is not a VOD reply".into()),
            None,
        ),
        Ok(body) => {
            let rid = request_id(&body).to_string();
            (Ok(body), Some(rid))
        }
        Err(e) => {
            let rid = e.request_id.clone();
            (Err(e.to_string()), rid)
        }
    }
}

/// What one group did.
#[derive(Default)]
struct Group {
    done: Done,
    records: Vec<Record>,
}

impl Group {
    fn fail(&mut self, id: &VideoId, error: StepFailure) {
        self.done.failed.push(FailedDeletion {
            video_id: id.clone(),
            error: FailReason::Step(error),
            possibly_deleted: false,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        run: &str,
        step: Step,
        ids: &[VideoId],
        done: &[VideoId],
        request_id: Option<String>,
        error: Option<String>,
        until: Option<Date>,
    ) {
        let done_set: HashSet<&VideoId> = done.iter().collect();
        self.records.push(Record::Audit {
            run: run.to_string(),
            time: crate::timefmt::now(),
            step,
            video_ids: ids.iter().map(ToString::to_string).collect(),
            done: done.iter().map(ToString::to_string).collect(),
            failed: ids
                .iter()
                .filter(|id| !done_set.contains(id))
                .map(ToString::to_string)
                .collect(),
            request_id,
            error,
            until,
        });
    }
}

/// Why a video's fate now is not the planned action (worded by `Display`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotNow {
    NotSelected,
    Protected(Location),
    Delete,
    Quarantine,
    Wait(Date),
    Restore,
    Leave(LeaveReason),
}

impl NotNow {
    fn of(fate: &Fate<'_>) -> NotNow {
        match fate {
            Fate::Nothing => NotNow::NotSelected,
            Fate::Protected { keeper, .. } => NotNow::Protected(keeper.location.clone()),
            Fate::Delete { .. } => NotNow::Delete,
            Fate::Quarantine { .. } => NotNow::Quarantine,
            Fate::Wait { until, .. } => NotNow::Wait(*until),
            Fate::Restore { .. } => NotNow::Restore,
            Fate::Leave { why, .. } => NotNow::Leave(why.clone()),
        }
    }
}

impl std::fmt::Display for NotNow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotNow::NotSelected => f.write_str("no entry of the manifests selects it now"),
            NotNow::Protected(at) => write!(f, "protected now by the keep entry at {at}"),
            NotNow::Delete => f.write_str("its entry asks for a deletion now"),
            NotNow::Quarantine => f.write_str("its entry asks for a quarantine now"),
            NotNow::Wait(until) => write!(f, "it is in quarantine until {}", date_text(*until)),
            NotNow::Restore => f.write_str("it is to be restored now"),
            NotNow::Leave(why) => why.fmt(f),
        }
    }
}

/// Why a step of a quarantine or a restore failed, and how far it got (worded by `Display`).
/// The errors it carries are the API's, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepFailure {
    /// Quarantine, not tagged: cannot re-read it.
    TagUnread(String),
    /// Quarantine, not tagged: its tag list cannot be written.
    TagNoRoom(TagProblem),
    /// Quarantine, not tagged: today's fate is another.
    TagNotNow(NotNow),
    /// Quarantine, not tagged: VOD refused it (non-existent or forbidden).
    TagRefused,
    /// Quarantine, not tagged: the call failed.
    TagFailed(String),
    /// Quarantine, tagged but not blocked: cannot re-read it.
    BlockUnread(String),
    /// Quarantine, tagged but not blocked: today's fate is another.
    BlockNotNow(NotNow),
    /// Quarantine, tagged but not blocked: interrupted.
    BlockInterrupted,
    /// Quarantine, tagged but not confirmed Blocked (the call's error, if it failed).
    BlockUnconfirmed(Option<String>),
    /// Restore, not unblocked: cannot re-read it.
    UnblockUnread(String),
    /// Restore, not unblocked: today's fate is another.
    UnblockNotNow(NotNow),
    /// Restore, not unblocked (the call's error, if it failed).
    UnblockUnconfirmed(Option<String>),
    /// Restore, unblocked, not untagged: interrupted.
    UntagInterrupted,
    /// Restore, unblocked, not untagged: cannot re-read it.
    UntagUnread(String),
    /// Restore, unblocked, then blocked again by someone else before the untag.
    BlockedAgain,
    /// Restore, unblocked, not untagged: its tag list cannot be written.
    UntagNoRoom(TagProblem),
    /// Restore, unblocked, the untag not confirmed.
    UntagUnconfirmed,
}

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const NOT_TAGGED: &str = "quarantine: not tagged, not blocked";
        const NOT_BLOCKED: &str = "quarantine: tagged but not blocked";
        const NOT_UNBLOCKED: &str = "restore: not unblocked";
        const NOT_UNTAGGED: &str = "restore: unblocked, but vodplan's tags were not removed";
        const AGAIN: &str = "run the same command again to finish it";
        match self {
            StepFailure::TagUnread(e) => write!(f, "{NOT_TAGGED}: cannot re-read it: {e}"),
            StepFailure::TagNoRoom(why) => write!(f, "{NOT_TAGGED}: {why}"),
            StepFailure::TagNotNow(now) => write!(f, "{NOT_TAGGED}: {now}"),
            StepFailure::TagRefused => write!(
                f,
                "{NOT_TAGGED}: VOD refused it (non-existent or forbidden)"
            ),
            StepFailure::TagFailed(e) => write!(f, "{NOT_TAGGED}: {e}"),
            StepFailure::BlockUnread(e) => write!(f, "{NOT_BLOCKED}: cannot re-read it: {e}"),
            StepFailure::BlockNotNow(now) => write!(
                f,
                "{NOT_BLOCKED}: {now} (the next apply of this owner removes or renews the tag)"
            ),
            StepFailure::BlockInterrupted => write!(f, "{NOT_BLOCKED}: interrupted ({AGAIN})"),
            StepFailure::BlockUnconfirmed(e) => write!(
                f,
                "quarantine: tagged but not confirmed Blocked ({}); {AGAIN}",
                e.as_deref()
                    .unwrap_or("the re-read does not show it Blocked")
            ),
            StepFailure::UnblockUnread(e) => write!(f, "{NOT_UNBLOCKED}: cannot re-read it: {e}"),
            StepFailure::UnblockNotNow(now) => write!(f, "{NOT_UNBLOCKED}: {now}"),
            StepFailure::UnblockUnconfirmed(e) => write!(
                f,
                "{NOT_UNBLOCKED} ({})",
                e.as_deref()
                    .unwrap_or("the re-read does not show it unblocked")
            ),
            StepFailure::UntagInterrupted => write!(f, "{NOT_UNTAGGED}: interrupted ({AGAIN})"),
            StepFailure::UntagUnread(e) => write!(f, "{NOT_UNTAGGED}: cannot re-read it: {e}"),
            StepFailure::BlockedAgain => f.write_str(
                "restore: unblocked, then blocked again by someone else before vodplan's tags were removed: left as it is",
            ),
            StepFailure::UntagNoRoom(why) => write!(f, "{NOT_UNTAGGED}: {why}"),
            StepFailure::UntagUnconfirmed => write!(
                f,
                "restore: unblocked, but vodplan's tags were not confirmed removed; {AGAIN}"
            ),
        }
    }
}

/// The start every group shares: nothing is sent once interrupted (the group is reported not
/// sent), and nothing is decided without a fresh read (a failed read fails the group with
/// `unread`'s step).
async fn begin_group(
    client: &Client,
    judge: &Judge<'_>,
    ids: &[VideoId],
    interrupt: &Interrupt,
    unread: fn(String) -> StepFailure,
) -> Result<(Group, Fresh), Group> {
    let mut g = Group::default();
    if interrupt.is_set() {
        g.done.not_sent = ids.to_vec();
        return Err(g);
    }
    match read(client, ids, judge.owner).await {
        Ok(fresh) => Ok((g, fresh)),
        Err(e) => {
            for id in ids {
                g.fail(id, unread(e.to_string()));
            }
            Err(g)
        }
    }
}

/// Tags, re-checks and blocks one group of planned quarantines.
async fn quarantine_group(
    client: &Client,
    judge: &Judge<'_>,
    run: &str,
    group: Vec<&Quarantine>,
    interrupt: &Interrupt,
) -> Group {
    let ids: Vec<VideoId> = group.iter().map(|q| q.video_id.clone()).collect();
    let (mut g, fresh) =
        match begin_group(client, judge, &ids, interrupt, StepFailure::TagUnread).await {
            Ok(started) => started,
            Err(stopped) => return stopped,
        };
    // Decide on the fresh state; compute each tag list from the tags read just now.
    let mut to_tag: Vec<(VideoId, String)> = Vec::new();
    let mut marks: HashMap<VideoId, (Marker, Quarantine)> = HashMap::new();
    for q in &group {
        let id = &q.video_id;
        let Some(info) = fresh.infos.get(id) else {
            g.done.gone.push(id.clone());
            continue;
        };
        match judge.fate(id, info, fresh.review(id)) {
            Fate::Quarantine {
                entry,
                until,
                tags,
                was,
            } => {
                if let Err(why) = check_tags(&tags) {
                    g.fail(id, StepFailure::TagNoRoom(why));
                    continue;
                }
                let owner = judge.owner.unwrap_or_default().to_string();
                // The reason and source recorded are today's entry's, like the date.
                let q = Quarantine {
                    reason: entry.reason.clone(),
                    source: entry.location.clone(),
                    ..(*q).clone()
                };
                marks.insert(id.clone(), (Marker { owner, until, was }, q));
                to_tag.push((id.clone(), tags.to_string()));
            }
            Fate::Wait { .. } => g.done.already_quarantined.push(id.clone()),
            other => g.fail(id, StepFailure::TagNotNow(NotNow::of(&other))),
        }
    }
    if to_tag.is_empty() {
        return g;
    }
    if interrupt.is_set() {
        g.done.not_sent.extend(to_tag.into_iter().map(|(id, _)| id));
        return g;
    }
    let day = group_until(&marks, judge.today);
    let tag_ids: Vec<VideoId> = to_tag.iter().map(|(id, _)| id.clone()).collect();
    let (reply, rid) = checked(client.set_tags(&to_tag).await, |b| b.request_id.as_str());
    let tagged: Vec<VideoId> = match reply {
        Ok(body) => {
            let refused: HashSet<&str> = body
                .non_exist_video_ids
                .iter()
                .chain(&body.forbidden_video_ids)
                .map(String::as_str)
                .collect();
            let (bad, good): (Vec<VideoId>, Vec<VideoId>) = tag_ids
                .iter()
                .cloned()
                .partition(|id| refused.contains(id.as_str()));
            for id in &bad {
                g.fail(id, StepFailure::TagRefused);
            }
            g.record(run, Step::Tag, &tag_ids, &good, rid, None, Some(day));
            good
        }
        Err(e) => {
            for id in &tag_ids {
                g.fail(id, StepFailure::TagFailed(e.clone()));
            }
            g.record(run, Step::Tag, &tag_ids, &[], rid, Some(e), Some(day));
            return g;
        }
    };
    if tagged.is_empty() {
        return g;
    }
    // The keep re-check, on the state after tagging: a video a keep entry protects now, or that
    // someone else changed meanwhile, is not blocked (its tag is a stale marker the next apply
    // of this owner removes or renews).
    let fresh = match read(client, &tagged, judge.owner).await {
        Ok(f) => f,
        Err(e) => {
            for id in &tagged {
                g.fail(id, StepFailure::BlockUnread(e.to_string()));
            }
            return g;
        }
    };
    let mut to_block: Vec<AuditItem> = Vec::new();
    for id in &tagged {
        let Some(info) = fresh.infos.get(id) else {
            g.done.gone.push(id.clone());
            continue;
        };
        let (marker, q) = &marks[id];
        match judge.fate(id, info, fresh.review(id)) {
            Fate::Quarantine { until, .. }
                if until == marker.until
                    && crate::plan::quarantine::tag_date(&info.tags) == Some(until) =>
            {
                to_block.push(AuditItem {
                    video_id: id.clone(),
                    reason: marker.reason(q.reason.as_deref()),
                    comment: marker.comment(&q.source),
                });
            }
            other => g.fail(id, StepFailure::BlockNotNow(NotNow::of(&other))),
        }
    }
    if to_block.is_empty() {
        return g;
    }
    let block_ids: Vec<VideoId> = to_block.iter().map(|i| i.video_id.clone()).collect();
    if interrupt.is_set() {
        for id in &block_ids {
            g.fail(id, StepFailure::BlockInterrupted);
        }
        return g;
    }
    let (reply, rid) = checked(
        client.create_audit(&to_block, AuditStatus::Blocked).await,
        |b| b.request_id.as_str(),
    );
    let error = reply.err();
    // CreateAudit's reply says nothing per video: a re-read says what is Blocked now.
    let confirmed = confirm(client, &block_ids, |v| {
        v.is_blocked() && crate::plan::quarantine::tag_date(&v.tags).is_some()
    })
    .await;
    g.record(
        run,
        Step::Block,
        &block_ids,
        &confirmed,
        rid,
        error.clone(),
        Some(day),
    );
    let ok: HashSet<&VideoId> = confirmed.iter().collect();
    for id in &block_ids {
        if ok.contains(id) {
            g.done.until_written.insert(id.clone(), day);
        } else {
            g.fail(id, StepFailure::BlockUnconfirmed(error.clone()));
        }
    }
    g.done.quarantined = confirmed;
    g
}

/// The date a group writes, for the journal: today + the entry's days, the same for every video
/// of one entry (the earliest when a group mixes entries of different lengths).
fn group_until(marks: &HashMap<VideoId, (Marker, Quarantine)>, today: Date) -> Date {
    marks.values().map(|(m, _)| m.until).min().unwrap_or(today)
}

/// The videos of `ids` a re-read shows in the state `good` (none when the re-read fails).
async fn confirm(client: &Client, ids: &[VideoId], good: impl Fn(&Video) -> bool) -> Vec<VideoId> {
    match client.get_video_infos(ids, &[]).await {
        Ok(reply) => {
            let ok: HashSet<VideoId> = reply
                .video_list
                .into_iter()
                .filter_map(Video::read)
                .filter(|v| good(v))
                .map(|v| v.id)
                .collect();
            ids.iter().filter(|id| ok.contains(*id)).cloned().collect()
        }
        Err(_) => Vec::new(),
    }
}

/// Unblocks (where needed) and untags one group of planned restores.
async fn restore_group(
    client: &Client,
    judge: &Judge<'_>,
    run: &str,
    group: Vec<&Restore>,
    interrupt: &Interrupt,
) -> Group {
    let ids: Vec<VideoId> = group.iter().map(|r| r.video_id.clone()).collect();
    let (mut g, fresh) =
        match begin_group(client, judge, &ids, interrupt, StepFailure::UnblockUnread).await {
            Ok(started) => started,
            Err(stopped) => return stopped,
        };
    let mut unblock: Vec<AuditItem> = Vec::new();
    let mut untag: Vec<VideoId> = Vec::new();
    for id in &ids {
        let Some(info) = fresh.infos.get(id) else {
            g.done.gone.push(id.clone());
            continue;
        };
        match judge.fate(id, info, fresh.review(id)) {
            Fate::Restore { unblock: true, .. } => unblock.push(AuditItem {
                video_id: id.clone(),
                reason: String::new(),
                comment: String::new(),
            }),
            Fate::Restore { unblock: false, .. } => untag.push(id.clone()),
            Fate::Nothing | Fate::Protected { .. }
                if !info.is_blocked() && !has_vodplan_tag(&info.tags) =>
            {
                g.done.already_restored.push(id.clone());
            }
            other => g.fail(id, StepFailure::UnblockNotNow(NotNow::of(&other))),
        }
    }
    if !unblock.is_empty() {
        let unblock_ids: Vec<VideoId> = unblock.iter().map(|i| i.video_id.clone()).collect();
        if interrupt.is_set() {
            g.done.not_sent.extend(unblock_ids);
        } else {
            let (reply, rid) = checked(
                client.create_audit(&unblock, AuditStatus::Normal).await,
                |b| b.request_id.as_str(),
            );
            let error = reply.err();
            let confirmed = confirm(client, &unblock_ids, |v| !v.is_blocked()).await;
            g.record(
                run,
                Step::Unblock,
                &unblock_ids,
                &confirmed,
                rid,
                error.clone(),
                None,
            );
            let ok: HashSet<&VideoId> = confirmed.iter().collect();
            for id in &unblock_ids {
                if !ok.contains(id) {
                    g.fail(id, StepFailure::UnblockUnconfirmed(error.clone()));
                }
            }
            untag.extend(confirmed);
        }
    }
    if untag.is_empty() {
        return g;
    }
    if interrupt.is_set() {
        for id in &untag {
            g.fail(id, StepFailure::UntagInterrupted);
        }
        return g;
    }
    // The tag lists written are computed from the tags read just now.
    let fresh = match client.get_video_infos(&untag, &[]).await {
        Ok(r) => r.video_list,
        Err(e) => {
            for id in &untag {
                g.fail(id, StepFailure::UntagUnread(e.to_string()));
            }
            return g;
        }
    };
    let mut items: Vec<(VideoId, String)> = Vec::new();
    for info in fresh.into_iter().filter_map(Video::read) {
        let id = info.id.clone();
        if !untag.contains(&id) {
            continue;
        }
        if info.is_blocked() {
            g.fail(&id, StepFailure::BlockedAgain);
            continue;
        }
        let tags = crate::plan::quarantine::tags_without(&info.tags);
        match check_tags(&tags) {
            Ok(()) => items.push((id, tags.to_string())),
            Err(why) => g.fail(&id, StepFailure::UntagNoRoom(why)),
        }
    }
    if items.is_empty() {
        return g;
    }
    let item_ids: Vec<VideoId> = items.iter().map(|(id, _)| id.clone()).collect();
    let (reply, rid) = checked(client.set_tags(&items).await, |b| b.request_id.as_str());
    let error = reply.err();
    let confirmed = confirm(client, &item_ids, |v| {
        !v.is_blocked() && !has_vodplan_tag(&v.tags)
    })
    .await;
    g.record(run, Step::Untag, &item_ids, &confirmed, rid, error, None);
    let ok: HashSet<&VideoId> = confirmed.iter().collect();
    for id in &item_ids {
        if !ok.contains(id) {
            g.fail(id, StepFailure::UntagUnconfirmed);
        }
    }
    g.done.restored = confirmed;
    g
}

/// Runs `act` on `items` in groups of at most [`MAX_UPDATE_ITEMS`], [`IN_FLIGHT`] at once, until
/// `interrupt`; each group's result goes to `absorb`, and what was never started to `not_sent`.
async fn in_groups<'a, T, Fut>(
    items: &'a [T],
    id: fn(&T) -> &VideoId,
    act: impl Fn(Vec<&'a T>) -> Fut,
    interrupt: &Interrupt,
    done: &mut Done,
    absorb: &mut impl FnMut(Group, &mut Done),
) -> Result<(), JournalError>
where
    Fut: Future<Output = Group>,
{
    let groups: Vec<Vec<&T>> = items
        .chunks(MAX_UPDATE_ITEMS)
        .map(|c| c.iter().collect())
        .collect();
    let unstarted = bounded_until(
        groups,
        IN_FLIGHT,
        |group| {
            let group = act(group);
            async move { Ok::<_, JournalError>(group.await) }
        },
        |g, _| {
            absorb(g, done);
            Ok(())
        },
        interrupt.wait(),
        std::time::Duration::from_secs(30),
    )
    .await?;
    done.not_sent
        .extend(unstarted.into_iter().flatten().map(|x| id(x).clone()));
    Ok(())
}

/// Restores, then quarantines, judged by today's `desired` rules on `today`. Every planned video
/// ends restored, quarantined, found done already, gone, not sent (interrupted), or failed with
/// the step that failed.
pub async fn execute(
    client: &Client,
    desired: &DesiredState,
    today: Date,
    quarantines: &[Quarantine],
    restores: &[Restore],
    journal: &Journal,
    interrupt: &Interrupt,
) -> Result<Done, JournalError> {
    let mut done = Done::default();
    let judge = Judge {
        rules: Rules::new(desired),
        owner: desired.owner.as_ref().map(|o| o.value.as_str()),
        today,
    };
    let run = journal.run().to_string();
    let mut records: Vec<Record> = Vec::new();
    let mut absorb = |g: Group, done: &mut Done| {
        records.extend(g.records);
        let d = g.done;
        done.quarantined.extend(d.quarantined);
        done.restored.extend(d.restored);
        done.already_quarantined.extend(d.already_quarantined);
        done.already_restored.extend(d.already_restored);
        done.failed.extend(d.failed);
        done.not_sent.extend(d.not_sent);
        done.gone.extend(d.gone);
        done.until_written.extend(d.until_written);
    };
    in_groups(
        restores,
        |r| &r.video_id,
        |group| restore_group(client, &judge, &run, group, interrupt),
        interrupt,
        &mut done,
        &mut absorb,
    )
    .await?;
    in_groups(
        quarantines,
        |q| &q.video_id,
        |group| quarantine_group(client, &judge, &run, group, interrupt),
        interrupt,
        &mut done,
        &mut absorb,
    )
    .await?;
    for r in &records {
        journal.append_async(r).await?;
    }
    Ok(done)
}
