//! Making a plan from manifests: observe the live state the desired state needs, diff, and check
//! the guards, as one library call that every front end (and the property tests) share.

use std::sync::Arc;

use super::guard::{GuardTripped, Guards};
use super::{Plan, diff};
use crate::listing::ListError;
use crate::manifest::DesiredState;
use crate::state::ReadProgress;
use crate::vod::{ApiError, Client};

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read the live catalogue: {0}")]
    Read(#[from] ApiError),
    #[error(transparent)]
    List(ListError),
    #[error("guard tripped: {0}; nothing was deleted")]
    Guard(GuardTripped),
}

/// Reads what `desired` needs of the live catalogue, diffs, and checks `guards`.
pub async fn make(
    client: &Arc<Client>,
    desired: &DesiredState,
    guards: &Guards,
    progress: &dyn ReadProgress,
) -> Result<Plan, PlanError> {
    make_on(
        client,
        desired,
        guards,
        progress,
        super::quarantine::today(),
    )
    .await
}

/// [`make`] with the grace periods measured on `today` (UTC) rather than the clock's date.
pub async fn make_on(
    client: &Arc<Client>,
    desired: &DesiredState,
    guards: &Guards,
    progress: &dyn ReadProgress,
    today: time::Date,
) -> Result<Plan, PlanError> {
    let mut observed = crate::state::observe(client, desired, progress)
        .await
        .map_err(|e| match e {
            ListError::Api(api) => PlanError::Read(api),
            other => PlanError::List(other),
        })?;
    // A set with an owner reads its quarantine on every plan, whatever its entries say now: a
    // video no entry selects any more is restored, never forgotten.
    if let Some(owner) = &desired.owner {
        read_quarantined(client, &mut observed, progress).await?;
        let tag = super::quarantine::owner_tag_for(&owner.value);
        // Stale markers (this owner's tags on a video no longer Blocked) that no entry lists:
        // found by a tag search, best effort, to be untagged.
        let tagged: Vec<_> = crate::state::search_tagged(client, &tag)
            .await
            .into_iter()
            .filter(|id| !observed.videos.contains_key(id))
            .collect();
        if !tagged.is_empty() {
            let fresh = crate::state::lookup(client, tagged, Vec::new(), progress).await?;
            for (id, info) in fresh.videos {
                observed.videos.insert(id, info);
            }
        }
        crate::state::read_reviews(client, &mut observed, &tag).await?;
    }
    let plan = diff(desired, &observed);
    let plan = super::quarantine::arrange::arrange(desired, &observed, plan, today);
    guards.check(&plan).map_err(PlanError::Guard)?;
    let mut plan = plan;
    plan_purge(client, desired, &mut plan).await?;
    Ok(plan)
}

/// Reads the CDN purge of the deletions whose delete entry says `purgeCdn`.
async fn plan_purge(
    client: &Arc<Client>,
    desired: &DesiredState,
    plan: &mut Plan,
) -> Result<(), PlanError> {
    let sources: std::collections::HashSet<&crate::manifest::Location> = desired
        .delete
        .iter()
        .filter(|e| e.purge_cdn)
        .map(|e| &e.location)
        .collect();
    if sources.is_empty() {
        return Ok(());
    }
    let ids: Vec<crate::ids::VideoId> = plan
        .deletions
        .iter()
        .filter(|d| sources.contains(&d.source))
        .map(|d| d.video_id.clone())
        .collect();
    plan.purge = Some(super::purge::make(client, &ids).await?);
    Ok(())
}

/// Adds every `Blocked` video to the observed state (re-read, for its tags): those in this owner's
/// quarantine are deleted, kept waiting or restored even when the selector that chose them lists
/// by a status they no longer have, or no entry selects them any more.
async fn read_quarantined(
    client: &Arc<Client>,
    observed: &mut crate::state::Observed,
    progress: &dyn ReadProgress,
) -> Result<(), PlanError> {
    use crate::manifest::{Entry, Location, Selector, Target, VideoStatus};
    let blocked = DesiredState {
        delete: vec![Entry {
            target: Target::Match(Box::new(Selector {
                status: vec![VideoStatus::Blocked],
                ..Selector::default()
            })),
            reason: None,
            quarantine: None,
            purge_cdn: false,
            location: Location::new(&std::sync::Arc::from("(videos in quarantine)"), 1, 1),
        }],
        ..DesiredState::default()
    };
    let listing = crate::listing::list_candidates(client, &blocked, progress)
        .await
        .map_err(|e| match e {
            ListError::Api(api) => PlanError::Read(api),
            other => PlanError::List(other),
        })?;
    let unread: Vec<_> = listing
        .candidates
        .into_iter()
        .filter(|id| !observed.videos.contains_key(id))
        .collect();
    if !unread.is_empty() {
        let fresh = crate::state::lookup(client, unread, Vec::new(), progress).await?;
        for (id, info) in fresh.videos {
            observed.videos.insert(id, info);
        }
    }
    Ok(())
}
