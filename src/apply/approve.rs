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

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use crate::ids::VideoId;
use crate::manifest::{DesiredState, Location};
use crate::plan::file::PlanFile;
use crate::plan::quarantine::{self, Decision, Quarantine, Restore};
use crate::plan::rules::Rules;
use crate::plan::{Absence, Deletion, Fingerprint};
use crate::state::ReadProgress;
use crate::vod::api::VideoInfo;
use crate::vod::{ApiError, Client};

/// What an apply may do: deletions to send, and entries already settled before sending.
#[derive(Debug, Clone, Default)]
pub struct Approval {
    /// The plan's identity ([`crate::plan::Plan::digest`]).
    pub digest: String,
    pub deletions: Vec<Deletion>,
    /// Planned deletions whose videos are gone since the plan was made.
    pub vanished: Vec<Deletion>,
    /// Manifest entries whose video was already gone when the plan was made.
    pub absent: Vec<Absence>,
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
    /// A planned restore that no keep entry protects any more.
    NotKept,
    /// A planned restore of a video that is not in vodplan's quarantine (not `Blocked` with
    /// vodplan's tag): vodplan never unblocks what it did not block.
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
            Why::NotKept => write!(
                f,
                "{}: planned as a restore, but no keep entry protects it",
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
    /// `field before -> after` phrases.
    pub changes: Vec<String>,
}

impl fmt::Display for Changed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.video_id, self.changes.join(", "))
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

/// What today's manifests decide for a video a saved plan acts on: refused when a keep entry
/// protects it or no delete entry selects it.
fn judge(
    rules: &Rules<'_>,
    id: &VideoId,
    info: &VideoInfo,
    today: time::Date,
) -> Result<Decision, Why> {
    if let Some(keeper) = rules.keeper(id, info) {
        return Err(Why::Kept {
            by: keeper.location.clone(),
        });
    }
    let entry = quarantine::selecting_entry(rules, id, info).ok_or(Why::NotSelected)?;
    Ok(quarantine::decide(entry, info, today))
}

/// Checks a saved plan against the live state and today's manifests, and says what may be
/// deleted. Every refusal lists every offending video.
pub async fn approve(
    client: &Arc<Client>,
    file: &PlanFile,
    desired: &DesiredState,
    progress: &dyn ReadProgress,
) -> Result<Approval, Refusal> {
    check_consistent(file)?;
    let plan = &file.plan;
    let ids: Vec<VideoId> = plan
        .deletions
        .iter()
        .map(|d| d.video_id.clone())
        .chain(plan.quarantines.iter().map(|q| q.video_id.clone()))
        .chain(plan.restores.iter().map(|r| r.video_id.clone()))
        .collect();
    let observed = crate::state::lookup(client, ids, Vec::new(), progress).await?;
    let rules = Rules::new(desired);
    let today = quarantine::today();
    let mut approval = Approval {
        digest: plan.digest(&file.region, &file.endpoint),
        absent: plan.absent.clone(),
        ..Approval::default()
    };
    let (mut changed, mut unapproved) = (Vec::new(), Vec::new());
    let mut stale = |id: &VideoId, before: &Fingerprint, info: &VideoInfo| {
        let changes = before.changes(&Fingerprint::of(info));
        if !changes.is_empty() {
            changed.push(Changed {
                video_id: id.clone(),
                changes,
            });
        }
    };
    let mut refuse = |id: &VideoId, why: Why| {
        unapproved.push(Unapproved {
            video_id: id.clone(),
            why,
        })
    };
    for d in &plan.deletions {
        let Some(info) = observed.videos.get(&d.video_id) else {
            approval.vanished.push(d.clone());
            continue;
        };
        match judge(&rules, &d.video_id, info, today) {
            Ok(Decision::Delete) => {}
            Ok(Decision::Quarantine { until, .. }) => refuse(
                &d.video_id,
                Why::OtherAction(format!(
                    "planned as a deletion, but its entry asks for a quarantine first (until {until})"
                )),
            ),
            Ok(Decision::Wait { until }) => refuse(
                &d.video_id,
                Why::OtherAction(format!(
                    "planned as a deletion, but its grace period runs until {until}"
                )),
            ),
            Ok(Decision::Leave(why)) => refuse(
                &d.video_id,
                Why::OtherAction(format!(
                    "planned as a deletion, but it is to be left alone: {why}"
                )),
            ),
            Err(why) => refuse(&d.video_id, why),
        }
        stale(&d.video_id, &d.observed, info);
        approval.deletions.push(d.clone());
    }
    for q in &plan.quarantines {
        let Some(info) = observed.videos.get(&q.video_id) else {
            approval.gone.push(q.video_id.clone());
            continue;
        };
        // The tag list and date written are today's decision, never the file's: a plan edited
        // to carry a past date (deleted by the next apply) or to drop the video's other tags is
        // harmless.
        let mut q = q.clone();
        match judge(&rules, &q.video_id, info, today) {
            Ok(Decision::Quarantine { until, tags }) => {
                q.until = quarantine::date_text(until);
                q.tags = tags;
            }
            // Already in vodplan's quarantine, as planned (an earlier run of this plan was
            // interrupted after it): nothing to send, so nothing can go wrong.
            Ok(Decision::Wait { .. }) => {
                approval.already_quarantined.push(q.video_id.clone());
                continue;
            }
            Ok(Decision::Delete) => refuse(
                &q.video_id,
                Why::OtherAction(
                    "planned as a quarantine, but its entry now asks for a deletion".into(),
                ),
            ),
            Ok(Decision::Leave(why)) => refuse(
                &q.video_id,
                Why::OtherAction(format!(
                    "planned as a quarantine, but it is to be left alone: {why}"
                )),
            ),
            Err(why) => refuse(&q.video_id, why),
        }
        stale(&q.video_id, &q.observed, info);
        approval.quarantines.push(q);
    }
    for r in &plan.restores {
        let Some(info) = observed.videos.get(&r.video_id) else {
            approval.gone.push(r.video_id.clone());
            continue;
        };
        // Only vodplan's own quarantine is undone: a video blocked by someone else (no vodplan
        // tag) is never set Normal, whatever the file says.
        let kept = rules.keeper(&r.video_id, info).is_some();
        let tagged = quarantine::tag_date(info.tags.as_deref()).is_some();
        if kept && info.status != crate::manifest::VideoStatus::Blocked.as_str() && !tagged {
            // Already restored, as planned (an earlier run of this plan was interrupted after
            // it): nothing to send.
            approval.already_restored.push(r.video_id.clone());
            continue;
        }
        if !kept {
            refuse(&r.video_id, Why::NotKept);
        } else if quarantine::quarantined_until(info).is_none() {
            refuse(&r.video_id, Why::NotQuarantined);
        }
        stale(&r.video_id, &r.observed, info);
        let mut r = r.clone();
        r.tags = quarantine::tags_without(info.tags.as_deref());
        approval.restores.push(r);
    }
    // A video the manifests do not approve is the graver finding: it is reported first.
    if !unapproved.is_empty() {
        return Err(Refusal::NotApproved(unapproved));
    }
    if !changed.is_empty() {
        return Err(Refusal::Stale(changed));
    }
    Ok(approval)
}
