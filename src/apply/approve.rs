//! Approving a saved plan: what `apply PLANFILE` may delete, after every check.
//!
//! A saved plan is a file that passed through a CI artifact store, a runner and people's hands; it
//! is checked, not trusted. It may delete a video only when all of these hold:
//! - the plan does not contradict itself (no video both deleted and protected, none twice);
//! - the video was re-read now, and nothing reviewed changed since the plan was made (its
//!   fingerprint);
//! - today's manifests (the reviewed ones the plan was made from) still select it with a delete
//!   entry, evaluated on the re-read state, and no keep entry protects it.
//!
//! So a hand-edited or wrongly chosen plan can only delete what the current manifests ask for,
//! and keep always wins at apply time too. It costs no API call beyond the re-read.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use crate::ids::VideoId;
use crate::manifest::{DesiredState, Location};
use crate::plan::file::PlanFile;
use crate::plan::quarantine::{self, Fate, Quarantine, Restore};
use crate::plan::rules::Rules;
use crate::plan::{Absence, Deletion, Fingerprint, Plan};
use crate::state::ReadProgress;
use crate::state::Video;
use crate::vod::api::AuditRecord;
use crate::vod::{ApiError, Client};

/// What an apply may do: deletions to send, and entries already settled before sending.
///
/// It borrows the plan it approves (a saved plan of a million deletions is held once);
/// only quarantines and restores are copies, since their tags and dates are today's decision.
#[derive(Debug, Clone, Default)]
pub struct Approval<'p> {
    /// The plan's identity ([`crate::plan::Plan::digest`]).
    pub digest: String,
    pub deletions: Vec<&'p Deletion>,
    /// Planned deletions whose videos are gone since the plan was made.
    pub vanished: Vec<&'p Deletion>,
    /// Manifest entries whose video was already gone when the plan was made.
    pub absent: &'p [Absence],
    /// Videos to put in vodplan's quarantine.
    pub quarantines: Vec<Quarantine>,
    /// Videos to take out of vodplan's quarantine.
    pub restores: Vec<Restore>,
    /// Videos of a planned quarantine or restore that are gone since the plan was made.
    pub gone: Vec<VideoId>,
    /// Planned quarantines found already in vodplan's quarantine (an earlier, interrupted run of
    /// the plan did them): nothing to send, credited as quarantined.
    pub already_quarantined: Vec<VideoId>,
    /// Planned restores found already restored (`Normal`, no vodplan tag): nothing to send,
    /// credited as restored.
    pub already_restored: Vec<VideoId>,
    /// The reason and source the journal records for each deletion: today's entry that selects
    /// it (empty for a plan just made, whose deletions carry today's already).
    pub recorded: super::executor::Recorded,
    /// Today's manifests: every quarantine and restore is decided by them again, on fresh
    /// reads, just before it is written.
    pub desired: Option<&'p DesiredState>,
    /// The UTC date the run's grace periods are measured from (today's when not set).
    pub today: Option<time::Date>,
}

impl<'p> Approval<'p> {
    /// A plan just made from the manifests and confirmed: everything as planned.
    pub fn of(plan: &'p Plan, digest: String, desired: &'p DesiredState) -> Approval<'p> {
        Approval {
            digest,
            deletions: plan.deletions.iter().collect(),
            absent: &plan.absent,
            quarantines: plan.quarantines.clone(),
            restores: plan.restores.clone(),
            desired: Some(desired),
            ..Approval::default()
        }
    }
}

/// A planned deletion that today's manifests do not approve.
#[derive(Debug, Clone, PartialEq)]
pub struct Unapproved {
    pub video_id: VideoId,
    pub why: Why,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// A keep entry protects it.
    Kept { by: Location },
    /// No delete entry selects it (by video ID, reference ID, or a selector on its state now).
    NotSelected,
    /// A planned restore of a video that is not in this owner's quarantine: vodplan never
    /// unblocks what it did not block.
    NotQuarantined,
    /// Its entry asks for another action now (a quarantine first, or its grace period runs on).
    OtherAction(String),
}

impl fmt::Display for Unapproved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.why {
            Why::Kept { by } => write!(f, "{}: protected by the keep entry at {by}", self.video_id),
            Why::NotSelected => write!(
                f,
                "{}: no delete entry of the manifests selects it",
                self.video_id
            ),
            Why::NotQuarantined => write!(
                f,
                "{}: planned as a restore, but it is not in vodplan's quarantine (not Blocked with vodplan's tag); vodplan never unblocks what it did not block",
                self.video_id
            ),
            Why::OtherAction(what) => write!(f, "{}: {what}", self.video_id),
        }
    }
}

/// A planned video whose reviewed state changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub video_id: VideoId,
    /// What changed, field by field.
    pub changes: Vec<crate::plan::Change>,
}

impl fmt::Display for Changed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.video_id)?;
        for (i, c) in self.changes.iter().enumerate() {
            write!(f, "{}{c}", if i == 0 { "" } else { ", " })?;
        }
        Ok(())
    }
}

/// Why a saved plan is refused. Nothing was deleted.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(
        "the plan contradicts itself: {} video{} listed both for deletion and as protected (or twice): {}",
        ids.len(), if ids.len() == 1 { " is" } else { "s are" },
        ids.iter().map(VideoId::as_str).collect::<Vec<_>>().join(", ")
    )]
    Contradictory { ids: Vec<VideoId> },
    #[error("the plan does not match its manifests: {} planned video{} not approved by them", .0.len(), if .0.len() == 1 { " is" } else { "s are" })]
    NotApproved(Vec<Unapproved>),
    #[error("the saved plan is stale: {} planned video{} changed since it was made", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Stale(Vec<Changed>),
    #[error("cannot re-read the planned videos: {0}")]
    Read(#[from] ApiError),
}

impl Refusal {
    /// The per-video lines behind the refusal, for people.
    pub fn details(&self) -> Vec<String> {
        match self {
            Refusal::NotApproved(v) => v.iter().map(ToString::to_string).collect(),
            Refusal::Stale(v) => v.iter().map(ToString::to_string).collect(),
            _ => Vec::new(),
        }
    }
}

/// The checks that need no API call: the plan must not contradict itself.
pub fn check_consistent(file: &PlanFile) -> Result<(), Refusal> {
    let plan = &file.plan;
    let protected: HashSet<&VideoId> = plan.protected.iter().map(|p| &p.video_id).collect();
    let mut seen = HashSet::new();
    // Deleted or quarantined while protected, or in two actions at once.
    let mut bad: Vec<VideoId> = plan
        .deletions
        .iter()
        .map(|d| &d.video_id)
        .chain(plan.quarantines.iter().map(|q| &q.video_id))
        .filter(|id| protected.contains(id) || !seen.insert(*id))
        .cloned()
        .collect();
    bad.extend(
        plan.restores
            .iter()
            .filter(|r| !seen.insert(&r.video_id))
            .map(|r| r.video_id.clone()),
    );
    bad.sort();
    bad.dedup();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(Refusal::Contradictory { ids: bad })
    }
}

/// Why a video's fate now refuses the planned action.
fn refusal(fate: &Fate<'_>, planned: &str) -> Why {
    match fate {
        Fate::Protected { keeper, .. } => Why::Kept {
            by: keeper.location.clone(),
        },
        Fate::Nothing if planned == "a restore" => Why::NotQuarantined,
        Fate::Nothing => Why::NotSelected,
        Fate::Delete { .. } => Why::OtherAction(format!(
            "planned as {planned}, but its entry now asks for a deletion"
        )),
        Fate::Quarantine { until, .. } => Why::OtherAction(format!(
            "planned as {planned}, but its entry asks for a quarantine first (until {})",
            quarantine::date_text(*until)
        )),
        Fate::Wait { until, .. } => Why::OtherAction(format!(
            "planned as {planned}, but its grace period runs until {}",
            quarantine::date_text(*until)
        )),
        Fate::Restore { .. } => Why::OtherAction(format!(
            "planned as {planned}, but it is to be restored (taken out of this owner's quarantine)"
        )),
        Fate::Leave { why, .. } if planned == "a restore" => Why::OtherAction(format!(
            "planned as a restore, but it is not in vodplan's quarantine for this owner: {why}; vodplan never unblocks what it did not block"
        )),
        Fate::Leave { why, .. } => Why::OtherAction(format!(
            "planned as {planned}, but it is to be left alone: {why}"
        )),
    }
}

/// A fingerprint without what vodplan's own quarantine steps change (its tags, and the
/// modification time they bump), so that a half-done step of the same plan does not make it
/// stale: what a person or another system changed still does.
fn without_own_steps(f: &Fingerprint) -> Fingerprint {
    let mut f = f.clone();
    f.tags = f
        .tags
        .as_deref()
        .map(|t| quarantine::tags_without(&crate::manifest::Tags::parse(Some(t))).to_string())
        .filter(|t| !t.is_empty());
    f.modification_time = None;
    f
}

/// One video a saved plan acts on.
enum Planned<'p> {
    Delete(&'p Deletion),
    Quarantine(&'p Quarantine),
    Restore(&'p Restore),
}

impl Planned<'_> {
    fn id(&self) -> &VideoId {
        match self {
            Planned::Delete(d) => &d.video_id,
            Planned::Quarantine(q) => &q.video_id,
            Planned::Restore(r) => &r.video_id,
        }
    }
}

/// The findings of an approval, each with the position of its video in the plan: answers arrive
/// in any order, and everything is reported in the plan's. Judged by today's `rules` on `today`.
struct Findings<'p, 'r> {
    rules: Rules<'r>,
    owner: Option<&'r str>,
    today: time::Date,
    deletions: Vec<(usize, &'p Deletion)>,
    vanished: Vec<(usize, &'p Deletion)>,
    quarantines: Vec<(usize, Quarantine)>,
    restores: Vec<(usize, Restore)>,
    gone: Vec<(usize, VideoId)>,
    already_quarantined: Vec<(usize, VideoId)>,
    already_restored: Vec<(usize, VideoId)>,
    changed: Vec<(usize, Changed)>,
    unapproved: Vec<(usize, Unapproved)>,
    /// For each deletion judged, by position: today's entry selecting it, in `entries`.
    recorded: Vec<(usize, u32)>,
    entries: Vec<super::executor::RecordedEntry>,
    entry_index: HashMap<String, u32>,
}

/// In the plan's order, without the positions.
fn ordered<T>(mut v: Vec<(usize, T)>) -> Vec<T> {
    v.sort_unstable_by_key(|(n, _)| *n);
    v.into_iter().map(|(_, t)| t).collect()
}

impl<'p, 'r> Findings<'p, 'r> {
    fn refuse(&mut self, n: usize, id: &VideoId, why: Why) {
        self.unapproved.push((
            n,
            Unapproved {
                video_id: id.clone(),
                why,
            },
        ));
    }

    /// Records whether what was reviewed of the video changed since the plan was made.
    fn compare(&mut self, n: usize, id: &VideoId, before: &Fingerprint, now: &Fingerprint) {
        let changes = before.changes(now);
        if !changes.is_empty() {
            self.changed.push((
                n,
                Changed {
                    video_id: id.clone(),
                    changes,
                },
            ));
        }
    }

    /// Today's fate of a video.
    fn fate(&self, id: &VideoId, info: &Video, review: Option<&AuditRecord>) -> Fate<'r> {
        quarantine::fate(&self.rules, self.owner, id, info, review, self.today)
    }

    /// Judges one planned video on its state now (`None`: it no longer exists).
    fn judge(
        &mut self,
        n: usize,
        planned: &Planned<'p>,
        info: Option<&Video>,
        review: Option<&AuditRecord>,
    ) {
        match *planned {
            Planned::Delete(d) => self.deletion(n, d, info, review),
            Planned::Quarantine(q) => self.quarantine(n, q, info, review),
            Planned::Restore(r) => self.restore(n, r, info, review),
        }
    }

    /// Notes today's `entry` as the one the journal records for the deletion at `n`.
    fn record(&mut self, n: usize, entry: &crate::manifest::Entry) {
        let source = entry.location.to_string();
        let i = match self.entry_index.get(&source) {
            Some(i) => *i,
            None => {
                let i = self.entries.len() as u32;
                self.entries.push(super::executor::RecordedEntry {
                    source: source.clone(),
                    reason: entry.reason.clone(),
                    by_selector: matches!(entry.target, crate::manifest::Target::Match(_)),
                });
                self.entry_index.insert(source, i);
                i
            }
        };
        self.recorded.push((n, i));
    }

    fn deletion(
        &mut self,
        n: usize,
        d: &'p Deletion,
        info: Option<&Video>,
        review: Option<&AuditRecord>,
    ) {
        let Some(info) = info else {
            self.vanished.push((n, d));
            return;
        };
        let fate = self.fate(&d.video_id, info, review);
        if let Fate::Delete { entry } = &fate {
            self.record(n, entry);
        }
        if !matches!(fate, Fate::Delete { .. }) {
            let why = refusal(&fate, "a deletion");
            self.refuse(n, &d.video_id, why);
        }
        self.compare(n, &d.video_id, &d.observed, &Fingerprint::of(info));
        self.deletions.push((n, d));
    }

    fn quarantine(
        &mut self,
        n: usize,
        q: &Quarantine,
        info: Option<&Video>,
        review: Option<&AuditRecord>,
    ) {
        let Some(info) = info else {
            self.gone.push((n, q.video_id.clone()));
            return;
        };
        // The tag list, date and reason written are today's decision, never the file's: a plan
        // edited to carry a past date (deleted by the next apply), to drop the video's other
        // tags or to word the audit's reason is harmless.
        let mut q = q.clone();
        match self.fate(&q.video_id, info, review) {
            Fate::Quarantine {
                entry, until, tags, ..
            } => {
                q.reason.clone_from(&entry.reason);
                q.source = entry.location.clone();
                q.until = until;
                q.tags = tags;
            }
            // Already in this owner's quarantine, as planned (an earlier run of this plan was
            // interrupted after it): nothing to send, so nothing can go wrong.
            Fate::Wait { .. } => {
                self.already_quarantined.push((n, q.video_id));
                return;
            }
            other => {
                let why = refusal(&other, "a quarantine");
                self.refuse(n, &q.video_id, why);
            }
        }
        // A half-done quarantine of this plan (tagged, not blocked) is finished, not stale.
        self.compare(
            n,
            &q.video_id,
            &without_own_steps(&q.observed),
            &without_own_steps(&Fingerprint::of(info)),
        );
        self.quarantines.push((n, q));
    }

    fn restore(
        &mut self,
        n: usize,
        r: &Restore,
        info: Option<&Video>,
        review: Option<&AuditRecord>,
    ) {
        let Some(info) = info else {
            self.gone.push((n, r.video_id.clone()));
            return;
        };
        let mut r = r.clone();
        let mut now = without_own_steps(&Fingerprint::of(info));
        match self.fate(&r.video_id, info, review) {
            Fate::Restore {
                keeper,
                unblock,
                tags,
            } => {
                // Unblocked by an earlier, interrupted run of this plan: only the untag is left.
                if !unblock {
                    now.status.clone_from(&r.observed.status);
                }
                r.kept_by = keeper.map(|k| k.location.clone());
                r.unblock = unblock;
                r.tags = tags;
            }
            Fate::Nothing | Fate::Protected { .. }
                if !info.is_blocked() && !quarantine::has_vodplan_tag(&info.tags) =>
            {
                // Already restored, as planned (an earlier run of this plan was interrupted
                // after it): nothing to send.
                self.already_restored.push((n, r.video_id.clone()));
                return;
            }
            other => {
                let why = refusal(&other, "a restore");
                self.refuse(n, &r.video_id, why);
            }
        }
        self.compare(n, &r.video_id, &without_own_steps(&r.observed), &now);
        self.restores.push((n, r));
    }
}

/// Checks a saved plan against the live state and today's manifests, and says what may be
/// deleted. Every refusal lists every offending video, in the plan's order.
///
/// Each planned video is judged as its GetVideoInfos answer arrives, and the answer dropped:
/// what is held is the plan and the findings, never a copy of the catalogue's state (a million
/// deletions apply in well under 1 GB).
pub async fn approve<'p>(
    client: &Arc<Client>,
    file: &'p PlanFile,
    desired: &'p DesiredState,
    progress: &dyn ReadProgress,
) -> Result<Approval<'p>, Refusal> {
    approve_on(client, file, desired, progress, quarantine::today()).await
}

/// [`approve`] with grace periods measured on `today` (UTC) rather than the clock's date.
pub async fn approve_on<'p>(
    client: &Arc<Client>,
    file: &'p PlanFile,
    desired: &'p DesiredState,
    progress: &dyn ReadProgress,
    today: time::Date,
) -> Result<Approval<'p>, Refusal> {
    check_consistent(file)?;
    let plan = &file.plan;
    let planned: Vec<Planned<'p>> = plan
        .deletions
        .iter()
        .map(Planned::Delete)
        .chain(plan.quarantines.iter().map(Planned::Quarantine))
        .chain(plan.restores.iter().map(Planned::Restore))
        .collect();
    let owner_tag = desired
        .owner
        .as_ref()
        .map(|o| quarantine::owner_tag_for(&o.value));
    // Videos whose standing depends on their latest review are judged once it is read.
    let mut pending: Vec<(usize, &Planned<'p>, Video)> = Vec::new();
    let mut found = Findings {
        rules: Rules::new(desired),
        owner: desired.owner.as_ref().map(|o| o.value.as_str()),
        today,
        deletions: Vec::new(),
        vanished: Vec::new(),
        quarantines: Vec::new(),
        restores: Vec::new(),
        gone: Vec::new(),
        already_quarantined: Vec::new(),
        already_restored: Vec::new(),
        changed: Vec::new(),
        unapproved: Vec::new(),
        recorded: Vec::new(),
        entries: Vec::new(),
        entry_index: HashMap::new(),
    };
    crate::state::read_each(
        client,
        &planned,
        Planned::id,
        progress,
        |at, asked, videos| {
            let by_id: HashMap<&str, &Video> = videos.iter().map(|v| (v.id.as_str(), v)).collect();
            for (i, p) in asked.iter().enumerate() {
                let info = by_id.get(p.id().as_str()).copied();
                match (info, &owner_tag) {
                    (Some(v), Some(tag)) if crate::state::needs_review(v, tag) => {
                        pending.push((at + i, p, v.clone()));
                    }
                    _ => found.judge(at + i, p, info, None),
                }
            }
        },
    )
    .await?;
    let ids: Vec<VideoId> = pending.iter().map(|(_, p, _)| p.id().clone()).collect();
    let reviews: HashMap<VideoId, Option<AuditRecord>> = crate::state::latest_reviews(client, ids)
        .await?
        .into_iter()
        .collect();
    for (n, p, info) in &pending {
        let review = reviews.get(p.id()).and_then(Option::as_ref);
        found.judge(*n, p, Some(info), review);
    }
    // A video the manifests do not approve is the graver finding: it is reported first.
    if !found.unapproved.is_empty() {
        return Err(Refusal::NotApproved(ordered(found.unapproved)));
    }
    if !found.changed.is_empty() {
        return Err(Refusal::Stale(ordered(found.changed)));
    }
    Ok(Approval {
        digest: plan.digest(&file.region, &file.endpoint),
        deletions: ordered(found.deletions),
        vanished: ordered(found.vanished),
        absent: &plan.absent,
        quarantines: ordered(found.quarantines),
        restores: ordered(found.restores),
        gone: ordered(found.gone),
        already_quarantined: ordered(found.already_quarantined),
        already_restored: ordered(found.already_restored),
        recorded: super::executor::Recorded {
            entries: found.entries,
            of: ordered(found.recorded),
        },
        desired: Some(desired),
        today: Some(today),
    })
}
