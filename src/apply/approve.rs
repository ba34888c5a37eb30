//! Approving a plan: the chain of custody from a reviewed plan to what an apply may send. Every
//! custody check lives here, and only this module builds an [`Approval`], which is all
//! [`crate::apply::run`] accepts.
//!
//! The caller (the CLI) gathers a [`Custody`]: the plan (saved, or just made from today's
//! manifests), today's manifests, the regions named outside them and the endpoint as it resolved
//! them, today's guards, and the journal, locked. Then:
//! - [`check`], with no API call: the plan does not contradict itself (no video both deleted and
//!   protected, none twice); a saved plan was not applied already (its journal shows no finished
//!   run that settled it); every region named by flag, environment or profile, and the manifests'
//!   own, is the plan's; a saved plan's endpoint is this apply's; today's guards hold (the
//!   manifests' limits, never the file's own copy);
//! - [`approve`], for a saved plan, re-reads every planned video and feeds the pure `Judge`: a
//!   video may be deleted only when nothing reviewed changed since the plan was made (its
//!   fingerprint), and today's manifests still select it with a delete entry, evaluated on the
//!   re-read state, and no keep entry protects it; the percentage guard is checked again on
//!   today's attribution. A plan just made is approved as made (its reads are today's).
//!
//! A saved plan is a file that passed through a CI artifact store, a runner and people's hands; it
//! is checked, not trusted. So a hand-edited or wrongly chosen plan can only delete what the
//! current manifests ask for, and keep always wins at apply time too. It costs no API call beyond
//! the re-read.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use super::locked::Locked;
use crate::ids::{Region, VideoId};
use crate::manifest::{DesiredState, Located, Location};
use crate::plan::file::PlanFile;
use crate::plan::guard::{GuardTripped, Guards};
use crate::plan::quarantine::{self, Fate, LeaveReason, Quarantine, Restore};
use crate::plan::rules::Rules;
use crate::plan::{Absence, Deletion, Fingerprint, Plan};
use crate::state::ReadProgress;
use crate::state::Video;
use crate::vod::api::AuditRecord;
use crate::vod::{ApiError, Client, Endpoint};

/// What an apply may do: deletions to send, and entries already settled before sending, with the
/// journal it is applied under. Only [`approve`] builds one, after every custody check, and
/// [`crate::apply::run`] accepts nothing else: holding an `Approval` proves the plan was approved.
///
/// It borrows the plan it approves (a saved plan of a million deletions is held once);
/// only quarantines and restores are copies, since their tags and dates are today's decision.
///
/// Outside this module it cannot be written by hand, nor defaulted:
///
/// ```compile_fail
/// let approval: vodplan::apply::Approval<'static> = vodplan::apply::Approval::default();
/// ```
///
/// ```compile_fail
/// let approval = vodplan::apply::Approval {
///     digest: String::new(),
///     deletions: Vec::new(),
/// };
/// ```
pub struct Approval<'p> {
    /// The plan's identity ([`crate::plan::Plan::digest`]).
    pub(super) digest: String,
    pub(super) deletions: Vec<&'p Deletion>,
    /// PlannedAction deletions whose videos are gone since the plan was made.
    pub(super) vanished: Vec<&'p Deletion>,
    /// Manifest entries whose video was already gone when the plan was made.
    pub(super) absent: &'p [Absence],
    /// Videos to put in vodplan's quarantine.
    pub(super) quarantines: Vec<Quarantine>,
    /// Videos to take out of vodplan's quarantine.
    pub(super) restores: Vec<Restore>,
    /// Videos of a planned quarantine or restore that are gone since the plan was made.
    pub(super) gone: Vec<VideoId>,
    /// PlannedAction quarantines found already in vodplan's quarantine (an earlier, interrupted run of
    /// the plan did them): nothing to send, credited as quarantined.
    pub(super) already_quarantined: Vec<VideoId>,
    /// PlannedAction restores found already restored (`Normal`, no vodplan tag): nothing to send,
    /// credited as restored.
    pub(super) already_restored: Vec<VideoId>,
    /// The reason and source the journal records for each deletion: today's entry that selects
    /// it (empty for a plan just made, whose deletions carry today's already).
    pub(super) recorded: super::executor::Recorded,
    /// Today's manifests: every quarantine and restore is decided by them again, on fresh
    /// reads, just before it is written.
    pub(super) desired: &'p DesiredState,
    /// The UTC date the run's grace periods are measured from (the clock's when it runs if
    /// `None`).
    pub(super) today: Option<time::Date>,
    /// The journal, locked, that the approval checked (applied once) and the run writes.
    pub(super) journal: Locked,
}

impl<'p> Approval<'p> {
    /// The plan's identity ([`crate::plan::Plan::digest`]).
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The deletions to send, in the plan's order.
    pub fn deletions(&self) -> &[&'p Deletion] {
        &self.deletions
    }

    /// The quarantines to write, with today's dates, tags and reasons.
    pub fn quarantines(&self) -> &[Quarantine] {
        &self.quarantines
    }

    /// The restores to write.
    pub fn restores(&self) -> &[Restore] {
        &self.restores
    }
}

/// A region named outside the manifests (`--region`, `ALIBABA_CLOUD_REGION_ID`, the aliyun CLI
/// profile's `region_id`), and who names it, for people (`--region`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionClaim {
    pub region: String,
    pub by: String,
}

/// The plan to approve.
#[derive(Debug, Clone, Copy)]
pub enum Proposal<'p> {
    /// A saved plan (`apply PLANFILE`): checked against its context and re-read.
    Saved(&'p PlanFile),
    /// A plan just made from today's manifests in `region` and confirmed (`apply MANIFEST...`):
    /// its reads are today's already.
    Made { plan: &'p Plan, region: &'p str },
}

impl<'p> Proposal<'p> {
    fn plan(&self) -> &'p Plan {
        match self {
            Proposal::Saved(file) => &file.plan,
            Proposal::Made { plan, .. } => plan,
        }
    }

    fn region(&self) -> &'p str {
        match self {
            Proposal::Saved(file) => &file.region,
            Proposal::Made { region, .. } => region,
        }
    }
}

/// Everything an approval is judged on: the plan, today's manifests, the context this apply
/// runs in (as the caller resolved it), the guards and the journal. The caller gathers it;
/// [`check`] and [`approve`] judge it.
pub struct Custody<'p> {
    pub plan: Proposal<'p>,
    /// Today's manifests (for a saved plan, the reviewed ones it was made from, loaded now).
    pub desired: &'p DesiredState,
    /// The regions named outside the manifests, strongest first.
    pub claims: Vec<RegionClaim>,
    /// The endpoint this apply would send to.
    pub endpoint: Endpoint,
    /// Today's guards (the manifests' limits and the flags), never the plan file's own copy.
    pub guards: Guards,
    /// The journal, locked ([`crate::apply::lock`]): what earlier runs of the plan did.
    pub journal: Locked,
    /// The UTC date grace periods are measured from; `None`: the clock's (for a plan just made,
    /// the clock's when it runs).
    pub today: Option<time::Date>,
}

/// A plan that passed every check that needs no API call ([`check`]); [`approve`] takes it on.
pub struct Checked<'p> {
    custody: Custody<'p>,
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
    OtherAction { planned: ActionKind, now: NowAction },
}

/// The kind of action a saved plan planned for a video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Deletion,
    Quarantine,
    Restore,
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActionKind::Deletion => "a deletion",
            ActionKind::Quarantine => "a quarantine",
            ActionKind::Restore => "a restore",
        })
    }
}

/// What today's manifests ask for a video instead of its planned action.
#[derive(Debug, Clone, PartialEq)]
pub enum NowAction {
    /// Its entry now asks for a deletion.
    Delete,
    /// Its entry asks for a quarantine first, until this date.
    Quarantine { until: time::Date },
    /// In this owner's quarantine, its grace period running until this date.
    Wait { until: time::Date },
    /// To be taken out of this owner's quarantine.
    Restore,
    /// To be left exactly as it is, for this reason.
    Leave(LeaveReason),
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
            Why::OtherAction { planned, now } => {
                write!(f, "{}: ", self.video_id)?;
                match now {
                    NowAction::Delete => {
                        write!(
                            f,
                            "planned as {planned}, but its entry now asks for a deletion"
                        )
                    }
                    NowAction::Quarantine { until } => write!(
                        f,
                        "planned as {planned}, but its entry asks for a quarantine first (until {})",
                        quarantine::date_text(*until)
                    ),
                    NowAction::Wait { until } => write!(
                        f,
                        "planned as {planned}, but its grace period runs until {}",
                        quarantine::date_text(*until)
                    ),
                    NowAction::Restore => write!(
                        f,
                        "planned as {planned}, but it is to be restored (taken out of this owner's quarantine)"
                    ),
                    NowAction::Leave(why) if *planned == ActionKind::Restore => write!(
                        f,
                        "planned as a restore, but it is not in vodplan's quarantine for this owner: {why}; vodplan never unblocks what it did not block"
                    ),
                    NowAction::Leave(why) => {
                        write!(f, "planned as {planned}, but it is to be left alone: {why}")
                    }
                }
            }
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
    /// The journal shows a finished run of this saved plan that settled everything.
    #[error("this plan was applied already, at {at} (journal {journal}); nothing was sent")]
    AlreadyApplied { at: String, journal: String },
    /// A region named outside the manifests is not the plan's.
    #[error(
        "the plan is for region {planned}, but {} says {}; nothing was sent to the API",
        claim.by, claim.region
    )]
    ClaimedRegion { planned: String, claim: RegionClaim },
    /// Today's manifests name another region than the saved plan's.
    #[error(
        "the plan is for region {planned}, but its manifests now name region {now} ({at}); nothing was sent to the API"
    )]
    ManifestsRegion {
        planned: String,
        now: Region,
        at: Location,
    },
    /// The manifests name a region, and a region named outside them disagrees.
    #[error(
        "the manifests name region {} ({}), but {} says {}; nothing was sent to the API",
        manifests.value, manifests.location, claim.by, claim.region
    )]
    RegionDisagrees {
        manifests: Located<Region>,
        claim: RegionClaim,
    },
    /// The saved plan was made against another endpoint.
    #[error(
        "the plan was made against {planned}, but this apply would use {now}; nothing was sent to the API"
    )]
    Endpoint { planned: String, now: String },
    /// One of today's guards trips on the plan.
    #[error("guard tripped: {0}; nothing was deleted")]
    Guard(GuardTripped),
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

/// The plan must not contradict itself: no video both deleted (or quarantined) and protected, none
/// in two actions.
fn check_consistent(plan: &Plan) -> Result<(), Refusal> {
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
fn refusal(fate: &Fate<'_>, planned: ActionKind) -> Why {
    let now = match fate {
        Fate::Protected { keeper, .. } => {
            return Why::Kept {
                by: keeper.location.clone(),
            };
        }
        Fate::Nothing if planned == ActionKind::Restore => return Why::NotQuarantined,
        Fate::Nothing => return Why::NotSelected,
        Fate::Delete { .. } => NowAction::Delete,
        Fate::Quarantine { until, .. } => NowAction::Quarantine { until: *until },
        Fate::Wait { until, .. } => NowAction::Wait { until: *until },
        Fate::Restore { .. } => NowAction::Restore,
        Fate::Leave { why, .. } => NowAction::Leave(why.clone()),
    };
    Why::OtherAction { planned, now }
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
enum PlannedAction<'p> {
    Delete(&'p Deletion),
    Quarantine(&'p Quarantine),
    Restore(&'p Restore),
}

impl PlannedAction<'_> {
    fn id(&self) -> &VideoId {
        match self {
            PlannedAction::Delete(d) => &d.video_id,
            PlannedAction::Quarantine(q) => &q.video_id,
            PlannedAction::Restore(r) => &r.video_id,
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
        planned: &PlannedAction<'p>,
        info: Option<&Video>,
        review: Option<&AuditRecord>,
    ) {
        match *planned {
            PlannedAction::Delete(d) => self.deletion(n, d, info, review),
            PlannedAction::Quarantine(q) => self.quarantine(n, q, info, review),
            PlannedAction::Restore(r) => self.restore(n, r, info, review),
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
            let why = refusal(&fate, ActionKind::Deletion);
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
                let why = refusal(&other, ActionKind::Quarantine);
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
                let why = refusal(&other, ActionKind::Restore);
                self.refuse(n, &r.video_id, why);
            }
        }
        self.compare(n, &r.video_id, &without_own_steps(&r.observed), &now);
        self.restores.push((n, r));
    }
}

/// The region rule (CONTRACT "Global options"): when the manifests name a region, every region
/// named outside them must agree; the first that does not is refused.
pub fn check_claims(
    manifests: Option<&Located<Region>>,
    claims: &[RegionClaim],
) -> Result<(), Refusal> {
    if let Some(m) = manifests
        && let Some(claim) = claims.iter().find(|c| c.region != m.value.as_str())
    {
        return Err(Refusal::RegionDisagrees {
            manifests: m.clone(),
            claim: claim.clone(),
        });
    }
    Ok(())
}

/// The context a saved plan is only valid in: every region claim is the plan's, and the
/// endpoint is the one it was made against. Also what continuing a finished plan's CDN purge
/// checks.
pub fn check_context(
    file: &PlanFile,
    claims: &[RegionClaim],
    endpoint: &Endpoint,
) -> Result<(), Refusal> {
    check_claimed_region(&file.region, claims)?;
    check_endpoint(file, endpoint)
}

fn check_claimed_region(planned: &str, claims: &[RegionClaim]) -> Result<(), Refusal> {
    match claims.iter().find(|c| c.region != planned) {
        Some(claim) => Err(Refusal::ClaimedRegion {
            planned: planned.to_string(),
            claim: claim.clone(),
        }),
        None => Ok(()),
    }
}

fn check_endpoint(file: &PlanFile, endpoint: &Endpoint) -> Result<(), Refusal> {
    let now = endpoint.to_string();
    if now != file.endpoint {
        return Err(Refusal::Endpoint {
            planned: file.endpoint.clone(),
            now,
        });
    }
    Ok(())
}

/// Every custody check that needs no API call, in this order: the plan does not contradict
/// itself; the journal shows no finished run of a saved plan (applied once); the regions named
/// outside the manifests and the manifests' own region are the plan's; a saved plan's endpoint is
/// this apply's; today's guards (the manifests' limits and the flags) hold. Nothing is read or
/// sent; [`approve`] re-reads and judges what passes.
pub fn check(custody: Custody<'_>) -> Result<Checked<'_>, Refusal> {
    let plan = custody.plan.plan();
    check_consistent(plan)?;
    if custody.journal.once
        && let Some(applied) = &custody.journal.earlier.applied
    {
        return Err(Refusal::AlreadyApplied {
            at: applied.finished.clone(),
            journal: custody.journal.journal.path().display().to_string(),
        });
    }
    let region = custody.plan.region();
    // Today's manifests must name the plan's region, if they name one.
    let manifests_agree = || match custody
        .desired
        .region
        .as_ref()
        .filter(|r| r.value.as_str() != region)
    {
        Some(r) => Err(Refusal::ManifestsRegion {
            planned: region.to_string(),
            now: r.value.clone(),
            at: r.location.clone(),
        }),
        None => Ok(()),
    };
    match custody.plan {
        Proposal::Saved(file) => {
            check_claimed_region(region, &custody.claims)?;
            manifests_agree()?;
            check_endpoint(file, &custody.endpoint)?;
        }
        Proposal::Made { .. } => {
            check_claims(custody.desired.region.as_ref(), &custody.claims)?;
            manifests_agree()?;
        }
    }
    custody.guards.check(plan).map_err(Refusal::Guard)?;
    Ok(Checked { custody })
}

/// Approves a checked plan, and alone builds an [`Approval`]. A plan just made is approved as
/// made (its reads are today's). A saved plan is re-read now and judged (`Judge`): every
/// refusal lists every offending video, in the plan's order; then the percentage guard again,
/// counting what today's manifests select by selectors (the file's own attribution is not
/// covered by its digest; the count it divides by is).
///
/// Each planned video is judged as its GetVideoInfos answer arrives, and the answer dropped:
/// what is held is the plan and the findings, never a copy of the catalogue's state (a million
/// deletions apply in well under 1 GB). This function only reads; the judging is pure.
pub async fn approve<'p>(
    client: &Arc<Client>,
    checked: Checked<'p>,
    progress: &dyn ReadProgress,
) -> Result<Approval<'p>, Refusal> {
    let Proposal::Saved(file) = checked.custody.plan else {
        return Judge::new(checked).conclude();
    };
    let planned = planned_of(&file.plan);
    let owner_tag = checked
        .custody
        .desired
        .owner
        .as_ref()
        .map(|o| quarantine::owner_tag_for(&o.value));
    let mut judge = Judge::new(checked);
    // Videos whose standing depends on their latest review are judged once it is read.
    let mut pending: Vec<(usize, Video)> = Vec::new();
    crate::state::read_each(
        client,
        &planned,
        PlannedAction::id,
        progress,
        |at, asked, videos| {
            let by_id: HashMap<&str, &Video> = videos.iter().map(|v| (v.id.as_str(), v)).collect();
            for (i, p) in asked.iter().enumerate() {
                let info = by_id.get(p.id().as_str()).copied();
                match (info, &owner_tag) {
                    (Some(v), Some(tag)) if crate::state::needs_review(v, tag) => {
                        pending.push((at + i, v.clone()));
                    }
                    _ => judge.video(at + i, info, None),
                }
            }
        },
    )
    .await?;
    let ids: Vec<VideoId> = pending
        .iter()
        .map(|(n, _)| planned[*n].id().clone())
        .collect();
    let reviews: HashMap<VideoId, Option<AuditRecord>> = crate::state::latest_reviews(client, ids)
        .await?
        .into_iter()
        .collect();
    for (n, info) in &pending {
        let review = reviews.get(planned[*n].id()).and_then(Option::as_ref);
        judge.video(*n, Some(info), review);
    }
    judge.conclude()
}

/// Every video a plan acts on, in the plan's order: deletions, quarantines, restores.
fn planned_of(plan: &Plan) -> Vec<PlannedAction<'_>> {
    plan.deletions
        .iter()
        .map(PlannedAction::Delete)
        .chain(plan.quarantines.iter().map(PlannedAction::Quarantine))
        .chain(plan.restores.iter().map(PlannedAction::Restore))
        .collect()
}

/// The pure judging of a checked plan on what was read now: fed each planned video's fresh
/// state (by its position in the plan), it concludes with an [`Approval`] or a [`Refusal`].
/// It reads nothing: [`approve`] reads and feeds it. Not public: outside the library, only
/// [`approve`]'s own reads may feed it, so an `Approval` of a saved plan always rests on a
/// re-read.
pub(crate) struct Judge<'p> {
    planned: Vec<PlannedAction<'p>>,
    findings: Findings<'p, 'p>,
    checked: Checked<'p>,
}

impl<'p> Judge<'p> {
    pub(crate) fn new(checked: Checked<'p>) -> Judge<'p> {
        let desired = checked.custody.desired;
        let today = checked.custody.today.unwrap_or_else(quarantine::today);
        Judge {
            planned: planned_of(checked.custody.plan.plan()),
            findings: Findings {
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
            },
            checked,
        }
    }

    /// Judges the planned video at `position` on its state now (`None`: it no longer exists)
    /// and its latest review, when its standing depends on it.
    pub(crate) fn video(
        &mut self,
        position: usize,
        info: Option<&Video>,
        review: Option<&AuditRecord>,
    ) {
        if let Some(p) = self.planned.get(position) {
            self.findings.judge(position, p, info, review);
        }
    }

    /// The approval, or the refusal. For a saved plan, every planned video must have been
    /// judged ([`Judge::video`]); one that was not is refused as not approved.
    pub(crate) fn conclude(self) -> Result<Approval<'p>, Refusal> {
        let Judge {
            planned,
            mut findings,
            checked,
        } = self;
        let custody = checked.custody;
        let plan = custody.plan.plan();
        let (digest, today) = match custody.plan {
            Proposal::Made { region, .. } => {
                let approval = Approval {
                    digest: plan.digest(region, &custody.endpoint.to_string()),
                    deletions: plan.deletions.iter().collect(),
                    vanished: Vec::new(),
                    absent: &plan.absent,
                    quarantines: plan.quarantines.clone(),
                    restores: plan.restores.clone(),
                    gone: Vec::new(),
                    already_quarantined: Vec::new(),
                    already_restored: Vec::new(),
                    recorded: super::executor::Recorded::default(),
                    desired: custody.desired,
                    today: custody.today,
                    journal: custody.journal,
                };
                return Ok(approval);
            }
            Proposal::Saved(file) => (plan.digest(&file.region, &file.endpoint), findings.today),
        };
        // A planned video that was not judged (not asked, or its answer lost) is not approved.
        let mut judged = vec![false; planned.len()];
        for n in findings
            .deletions
            .iter()
            .map(|(n, _)| *n)
            .chain(findings.vanished.iter().map(|(n, _)| *n))
            .chain(findings.quarantines.iter().map(|(n, _)| *n))
            .chain(findings.restores.iter().map(|(n, _)| *n))
            .chain(findings.gone.iter().map(|(n, _)| *n))
            .chain(findings.already_quarantined.iter().map(|(n, _)| *n))
            .chain(findings.already_restored.iter().map(|(n, _)| *n))
            .chain(findings.unapproved.iter().map(|(n, _)| *n))
        {
            judged[n] = true;
        }
        for (n, p) in planned.iter().enumerate().filter(|(n, _)| !judged[*n]) {
            findings.refuse(n, p.id(), Why::NotSelected);
        }
        // A video the manifests do not approve is the graver finding: it is reported first.
        if !findings.unapproved.is_empty() {
            return Err(Refusal::NotApproved(ordered(findings.unapproved)));
        }
        if !findings.changed.is_empty() {
            return Err(Refusal::Stale(ordered(findings.changed)));
        }
        let approval = Approval {
            digest,
            deletions: ordered(findings.deletions),
            vanished: ordered(findings.vanished),
            absent: &plan.absent,
            quarantines: ordered(findings.quarantines),
            restores: ordered(findings.restores),
            gone: ordered(findings.gone),
            already_quarantined: ordered(findings.already_quarantined),
            already_restored: ordered(findings.already_restored),
            recorded: super::executor::Recorded {
                entries: findings.entries,
                of: ordered(findings.recorded),
            },
            desired: custody.desired,
            today: Some(today),
            journal: custody.journal,
        };
        custody
            .guards
            .check_share(
                approval.recorded.by_selectors(&approval.deletions),
                plan.selector_seen,
            )
            .map_err(Refusal::Guard)?;
        Ok(approval)
    }
}

/// The judging, without the network: the checks on hand-made contexts, and the `Judge` fed
/// hand-made reads. (The re-reading half is covered against the emulator by the integration and
/// property tests, which approve through [`check`] and [`approve`] too.)
#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::apply::locked::{JournalSpec, lock};
    use crate::plan::SelectedBy;

    const A: &str = "a0000000000000000000000000000001";
    const B: &str = "b0000000000000000000000000000002";
    const C: &str = "c0000000000000000000000000000003";
    const ENDPOINT: &str = "http://127.0.0.1:9";

    /// Today's manifests, loaded from `yaml` as `vodplan` loads them.
    fn desired(dir: &Path, yaml: &str) -> DesiredState {
        let path = dir.join("m.yaml");
        std::fs::write(&path, yaml).unwrap();
        let loaded = crate::manifest::load(&[path]);
        loaded.state.unwrap_or_else(|| {
            panic!("{:?}", loaded.diagnostics);
        })
    }

    fn info(id: &str, title: &str) -> Video {
        Video::read(crate::vod::api::VideoInfo {
            video_id: id.into(),
            title: title.into(),
            status: "Normal".into(),
            cate_id: Some(7),
            ..crate::vod::api::VideoInfo::default()
        })
        .unwrap()
    }

    fn deletion(id: &str, line: u32, by: SelectedBy) -> Deletion {
        Deletion {
            video_id: VideoId::new(id).unwrap(),
            selected_by: by,
            reason: None,
            source: Location {
                file: "m.yaml".into(),
                line,
                column: 5,
            },
            observed: Fingerprint::of(&info(id, "t")),
        }
    }

    fn saved(deletions: Vec<Deletion>) -> PlanFile {
        let plan = Plan {
            deletions,
            ..Plan::default()
        };
        PlanFile::new(plan, "cn-shanghai", ENDPOINT, &[], &[], None)
    }

    fn journal(dir: &Path, once: bool) -> Locked {
        let path: PathBuf = dir.join("j.jsonl");
        lock(&JournalSpec {
            path: &path,
            plan_key: "plan:k".into(),
            once,
        })
        .unwrap()
    }

    fn custody<'p>(
        file: &'p PlanFile,
        desired: &'p DesiredState,
        journal: Locked,
        claims: Vec<RegionClaim>,
        endpoint: &str,
    ) -> Custody<'p> {
        Custody {
            plan: Proposal::Saved(file),
            desired,
            claims,
            endpoint: Endpoint::parse(endpoint).unwrap(),
            guards: Guards::default(),
            journal,
            today: Some(time::macros::date!(2026 - 01 - 01)),
        }
    }

    fn claim(region: &str, by: &str) -> RegionClaim {
        RegionClaim {
            region: region.into(),
            by: by.into(),
        }
    }

    const MANIFEST: &str = "version: 1\nregion: cn-shanghai\ndelete:\n  - videoId: a0000000000000000000000000000001\n    reason: licence expired\n  - match: { categoryId: 7 }\nkeep:\n  - videoId: c0000000000000000000000000000003\n";

    #[test]
    fn the_context_is_checked_before_anything_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let today = desired(dir.path(), MANIFEST);
        let file = saved(vec![deletion(A, 4, SelectedBy::VideoId)]);
        let refused = |c: Custody<'_>| check(c).err().map(|r| r.to_string());

        let c = custody(&file, &today, journal(dir.path(), true), vec![], ENDPOINT);
        assert!(check(c).is_ok());

        let c = custody(
            &file,
            &today,
            journal(dir.path(), true),
            vec![
                claim("cn-shanghai", "--region"),
                claim("cn-beijing", "ALIBABA_CLOUD_REGION_ID"),
            ],
            ENDPOINT,
        );
        assert_eq!(
            refused(c).as_deref(),
            Some(
                "the plan is for region cn-shanghai, but ALIBABA_CLOUD_REGION_ID says cn-beijing; nothing was sent to the API"
            )
        );

        let elsewhere = desired(dir.path(), &MANIFEST.replace("cn-shanghai", "cn-beijing"));
        let c = custody(
            &file,
            &elsewhere,
            journal(dir.path(), true),
            vec![],
            ENDPOINT,
        );
        assert_eq!(
            refused(c).as_deref(),
            Some(format!("the plan is for region cn-shanghai, but its manifests now name region cn-beijing ({}:2:9); nothing was sent to the API", dir.path().join("m.yaml").display()).as_str())
        );

        let c = custody(
            &file,
            &today,
            journal(dir.path(), true),
            vec![],
            "http://127.0.0.1:10",
        );
        assert_eq!(
            refused(c).as_deref(),
            Some(
                "the plan was made against http://127.0.0.1:9, but this apply would use http://127.0.0.1:10; nothing was sent to the API"
            )
        );

        let limited = desired(dir.path(), &format!("{MANIFEST}limits:\n  maxDeletes: 0\n"));
        let mut c = custody(&file, &limited, journal(dir.path(), true), vec![], ENDPOINT);
        c.guards = Guards {
            manifest_max: limited
                .max_deletes
                .as_ref()
                .map(|m| (m.value, m.location.to_string())),
            ..Guards::default()
        };
        assert!(matches!(check(c), Err(Refusal::Guard(t)) if t.planned == 1 && t.over_by == 1));

        // Deleted and protected at once.
        let mut contradictory = saved(vec![deletion(A, 4, SelectedBy::VideoId)]);
        let at = Location {
            file: "m.yaml".into(),
            line: 8,
            column: 5,
        };
        contradictory.plan.protected.push(crate::plan::Protection {
            video_id: VideoId::new(A).unwrap(),
            title: "t".into(),
            kept_by: at.clone(),
            selected_by: at,
        });
        let c = custody(
            &contradictory,
            &today,
            journal(dir.path(), true),
            vec![],
            ENDPOINT,
        );
        assert!(matches!(check(c), Err(Refusal::Contradictory { ids }) if ids.len() == 1));
    }

    #[test]
    fn a_saved_plan_the_journal_shows_applied_is_refused_and_a_manifests_apply_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let today = desired(dir.path(), MANIFEST);
        let file = saved(vec![deletion(A, 4, SelectedBy::VideoId)]);
        {
            let locked = journal(dir.path(), true);
            locked.journal.start("plan:k", 1, None).unwrap();
            locked
                .journal
                .append(&crate::apply::journal::Record::Finish {
                    run: locked.journal.run().to_string(),
                    time: "2026-01-01T00:00:00Z".into(),
                    deleted: 1,
                    absent: 0,
                    forbidden: 0,
                    failed: 0,
                    not_sent: 0,
                })
                .unwrap();
        }
        let c = custody(&file, &today, journal(dir.path(), true), vec![], ENDPOINT);
        assert!(matches!(
            check(c),
            Err(Refusal::AlreadyApplied { at, .. }) if at == "2026-01-01T00:00:00Z"
        ));
        // The same journal, for a plan that may run again (manifests applied directly).
        let c = custody(&file, &today, journal(dir.path(), false), vec![], ENDPOINT);
        assert!(check(c).is_ok());
    }

    #[test]
    fn a_made_plan_is_approved_as_made_once_the_claims_agree_with_the_manifests() {
        let dir = tempfile::tempdir().unwrap();
        let today = desired(dir.path(), MANIFEST);
        let plan = Plan {
            deletions: vec![deletion(A, 4, SelectedBy::VideoId)],
            ..Plan::default()
        };
        let made = |claims| Custody {
            plan: Proposal::Made {
                plan: &plan,
                region: "cn-shanghai",
            },
            desired: &today,
            claims,
            endpoint: Endpoint::parse(ENDPOINT).unwrap(),
            guards: Guards::default(),
            journal: journal(dir.path(), false),
            today: None,
        };
        let approval = Judge::new(check(made(vec![])).unwrap()).conclude().unwrap();
        assert_eq!(approval.deletions().len(), 1);
        assert_eq!(approval.digest(), plan.digest("cn-shanghai", ENDPOINT));
        assert!(
            approval.recorded.of.is_empty(),
            "a plan just made records its own entries"
        );
        drop(approval); // unlocks the journal
        assert!(matches!(
            check(made(vec![claim("cn-beijing", "--region")])),
            Err(Refusal::RegionDisagrees { .. })
        ));
    }

    /// Judges `file` on `reads` (by position; `None`: gone).
    fn judged<'p>(
        dir: &Path,
        file: &'p PlanFile,
        today: &'p DesiredState,
        reads: &[Option<Video>],
    ) -> Result<Approval<'p>, Refusal> {
        let c = custody(file, today, journal(dir, true), vec![], ENDPOINT);
        let mut judge = Judge::new(check(c)?);
        for (n, r) in reads.iter().enumerate() {
            judge.video(n, r.as_ref(), None);
        }
        judge.conclude()
    }

    #[test]
    fn the_judge_approves_what_today_s_manifests_select_on_fresh_reads() {
        let dir = tempfile::tempdir().unwrap();
        let today = desired(dir.path(), MANIFEST);
        let file = saved(vec![
            deletion(A, 4, SelectedBy::VideoId),
            deletion(B, 6, SelectedBy::Match("categoryId 7".into())),
        ]);
        let approval = judged(dir.path(), &file, &today, &[Some(info(A, "t")), None]).unwrap();
        let ids = |v: &[&Deletion]| v.iter().map(|d| d.video_id.to_string()).collect::<Vec<_>>();
        assert_eq!(ids(approval.deletions()), [A]);
        assert_eq!(ids(&approval.vanished), [B]);
        // The journal records today's entry and its reason, never the file's words.
        let entry = &approval.recorded.entries[approval.recorded.of[0] as usize];
        assert!(entry.source.ends_with("m.yaml:4:5"), "{}", entry.source);
        assert_eq!(entry.reason.as_deref(), Some("licence expired"));
        assert_eq!(approval.digest(), file.plan.digest("cn-shanghai", ENDPOINT));
    }

    #[test]
    fn the_judge_refuses_what_is_kept_unselected_changed_or_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let today = desired(dir.path(), MANIFEST);
        // Kept now, and selected by nothing (category 8).
        let file = saved(vec![
            deletion(C, 4, SelectedBy::VideoId),
            deletion(B, 6, SelectedBy::VideoId),
        ]);
        let other = Video {
            category_id: Some(8),
            ..info(B, "t")
        };
        let Err(Refusal::NotApproved(why)) = judged(
            dir.path(),
            &file,
            &today,
            &[Some(info(C, "t")), Some(other)],
        ) else {
            panic!("approved");
        };
        assert_eq!(
            why.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                format!(
                    "{C}: protected by the keep entry at {}:8:5",
                    dir.path().join("m.yaml").display()
                ),
                format!("{B}: no delete entry of the manifests selects it"),
            ]
        );
        // Retitled since the plan was made: stale.
        let file = saved(vec![deletion(A, 4, SelectedBy::VideoId)]);
        let Err(Refusal::Stale(changed)) =
            judged(dir.path(), &file, &today, &[Some(info(A, "recut"))])
        else {
            panic!("approved");
        };
        assert_eq!(
            changed[0].to_string(),
            format!("{A}: title \"t\" -> \"recut\"")
        );
        // A planned video the reads never answered for is not approved.
        assert!(matches!(
            judged(dir.path(), &file, &today, &[]),
            Err(Refusal::NotApproved(v)) if v[0].why == Why::NotSelected
        ));
    }

    #[test]
    fn the_percentage_guard_counts_today_s_selections_not_the_file_s() {
        let dir = tempfile::tempdir().unwrap();
        let today = desired(dir.path(), MANIFEST);
        // The file claims an ID entry chose B; today a selector does.
        let mut file = saved(vec![
            deletion(A, 4, SelectedBy::VideoId),
            deletion(B, 4, SelectedBy::VideoId),
        ]);
        file.plan.selector_seen = 2;
        let mut c = custody(&file, &today, journal(dir.path(), true), vec![], ENDPOINT);
        c.guards.flag_percent = Some(10.0);
        let mut judge = Judge::new(check(c).unwrap());
        judge.video(0, Some(&info(A, "t")), None);
        judge.video(1, Some(&info(B, "t")), None);
        assert!(matches!(
            judge.conclude(),
            Err(Refusal::Guard(t)) if t.planned == 1
        ));
    }
}
