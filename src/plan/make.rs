//! Making a plan from manifests: observe the live state the desired state needs, diff, and check
//! the guards, as one library call that every front end (and the property tests) share.

use std::sync::Arc;

use super::guard::{GuardTripped, Guards};
use super::{Plan, diff};
use crate::manifest::DesiredState;
use crate::state::ReadProgress;
use crate::selector::ListError;
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
    let observed = crate::state::observe(client, desired, progress)
        .await
        .map_err(|e| match e {
            ListError::Api(api) => PlanError::Read(api),
            other => PlanError::List(other),
        })?;
    let plan = diff(desired, &observed);
    guards.check(&plan).map_err(PlanError::Guard)?;
    Ok(plan)
}
