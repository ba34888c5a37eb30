//! `vodplan plan` and the planning half of `vodplan apply MANIFEST...`.

use std::path::PathBuf;
use std::sync::Arc;

use vodplan::manifest::DesiredState;
use vodplan::plan::file::PlanFile;
use vodplan::plan::guard::Guards;
use vodplan::plan::{self, Plan};
use vodplan::render::{self, PlanContext};
use vodplan::vod::{Client, Endpoint};

use super::args::GuardArgs;
use super::context::{Session, load_manifests};
use super::exit::{Exit, Failure, Kind};
use super::output::Output;

/// A plan made from manifests, with what it was made against.
pub struct Planned {
    pub desired: DesiredState,
    pub plan: Plan,
    pub region: String,
    pub endpoint: Endpoint,
    pub client: Arc<Client>,
}

impl Planned {
    pub fn context(&self) -> PlanContext {
        PlanContext {
            region: self.region.clone(),
            endpoint: self.endpoint.to_string(),
        }
    }
}

pub fn guards(desired_max: Option<(u64, String)>, args: &GuardArgs) -> Guards {
    Guards {
        manifest_max: desired_max,
        flag_max: args.max_deletes,
        flag_percent: args.max_delete_percent,
    }
}

/// Loads, observes, diffs and checks the guards.
pub async fn make_plan(
    session: &Session,
    out: &Output,
    manifests: &[PathBuf],
    guard_args: &GuardArgs,
) -> Result<Planned, Failure> {
    let desired = load_manifests(manifests)?;
    let region = session.region(desired.region.as_ref().map(|r| r.value.as_str()));
    let endpoint = session.endpoint(&region)?;
    let client = session.client(&region, endpoint.clone()).await?;
    eprintln!("Credentials: {}", client.credential_source());
    let bar = out.bar("reading live state");
    let observed = vodplan::state::observe(&client, &desired, &bar).await;
    bar.finish();
    let observed = observed?;
    let plan = plan::diff(&desired, &observed);
    let manifest_max = desired
        .max_deletes
        .as_ref()
        .map(|m| (m.value, m.location.to_string()));
    guards(manifest_max, guard_args).check(&plan).map_err(|t| {
        Failure::new(Kind::Guard, format!("guard tripped: {t}; nothing was deleted"))
            .hint("review the selectors and IDs; raise limits.maxDeletes in the manifest only if this many deletions is intended")
    })?;
    Ok(Planned {
        desired,
        plan,
        region,
        endpoint,
        client,
    })
}

pub async fn run(
    session: &Session,
    out: &Output,
    manifests: &[PathBuf],
    save: Option<&PathBuf>,
    detailed: bool,
    guard_args: &GuardArgs,
) -> Result<Exit, Failure> {
    let planned = make_plan(session, out, manifests, guard_args).await?;
    out.print(&render::plan(
        &planned.plan,
        &planned.context(),
        out.format,
        out.color,
    ));
    if let Some(path) = save {
        let file = PlanFile::new(
            planned.plan.clone(),
            &planned.region,
            &planned.endpoint.to_string(),
            &planned.desired.files,
            planned.desired.max_deletes.as_ref().map(|m| m.value),
        );
        file.write(path)
            .map_err(|e| Failure::new(Kind::Input, e.to_string()))?;
        eprintln!(
            "Saved the plan to {}. Apply exactly this plan with: vodplan apply {}",
            path.display(),
            path.display()
        );
    }
    Ok(if detailed && !planned.plan.is_empty() {
        Exit::ChangesPending
    } else {
        Exit::Success
    })
}
