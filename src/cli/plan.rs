//! `vodplan plan` and the planning half of `vodplan apply MANIFEST...`: load, choose the region,
//! call the library's [`vodplan::plan::make`], render.

use std::path::PathBuf;
use std::sync::Arc;

use vodplan::manifest::DesiredState;
use vodplan::plan::file::PlanFile;
use vodplan::plan::guard::Guards;
use vodplan::plan::{self, Plan};
use vodplan::render::{self, PlanContext};
use vodplan::vod::{Client, Endpoint};

use super::args::{GuardArgs, ReviewArgs};
use super::context::{RegionChoice, Session, load_manifests};
use super::exit::{Exit, Failure, Kind};
use super::output::Output;

/// A plan made from manifests, with what it was made against.
pub struct Planned {
    pub desired: DesiredState,
    pub plan: Plan,
    pub region: RegionChoice,
    pub endpoint: Endpoint,
    pub client: Arc<Client>,
    /// When the plan was made: relative ages are pinned at this time.
    pub created_at: String,
}

impl Planned {
    pub fn context(&self) -> PlanContext {
        let endpoint = self.endpoint.to_string();
        PlanContext {
            digest: self.plan.digest(&self.region.region, &endpoint),
            region: self.region.region.clone(),
            region_source: self.region.source.clone(),
            endpoint,
            created_at: self.created_at.clone(),
            ..PlanContext::default()
        }
    }
}

/// The guards of a desired state and the flags.
pub fn guards_of(desired: &DesiredState, args: &GuardArgs) -> Guards {
    Guards {
        manifest_max: desired
            .max_deletes
            .as_ref()
            .map(|m| (m.value, m.location.to_string())),
        flag_max: args.max_deletes,
        flag_percent: args.max_delete_percent,
        manifest_max_quarantines: desired
            .max_quarantines
            .as_ref()
            .map(|m| (m.value, m.location.to_string())),
    }
}

/// Plans already-loaded manifests.
pub async fn make_plan(
    session: &Session,
    out: &Output,
    mut desired: DesiredState,
    guard_args: &GuardArgs,
) -> Result<Planned, Failure> {
    // The plan's time, to the second: `olderThan` / `newerThan` are pinned at it, and the saved
    // plan records it.
    let created_at = vodplan::timefmt::now();
    if let Some(at) = vodplan::timefmt::parse(&created_at) {
        desired.pin_relative(at);
    }
    let region = session.region(desired.region.as_ref())?;
    let endpoint = session.endpoint(&region.region)?;
    let client = session.client(&region.region, endpoint.clone()).await?;
    eprintln!("Credentials: {}", client.credential_source());
    let bar = out.bar("reading live state");
    let made = plan::make(&client, &desired, &guards_of(&desired, guard_args), &bar).await;
    bar.finish();
    let plan = made?;
    Ok(Planned {
        desired,
        plan,
        region,
        endpoint,
        client,
        created_at,
    })
}

pub async fn run(
    session: &Session,
    out: &Output,
    manifests: &[PathBuf],
    save: Option<&PathBuf>,
    detailed: bool,
    guard_args: &GuardArgs,
    review: &ReviewArgs,
) -> Result<Exit, Failure> {
    if let Some(path) = save {
        super::context::refuse_overwriting_input(path, "--out", manifests)?;
    }
    let desired = load_manifests(manifests)?;
    // The review flags (a prices file) are checked before any API call.
    let shown = super::review::context(PlanContext::default(), review, save.map(|p| p.as_path()))?;
    let planned = make_plan(session, out, desired, guard_args).await?;
    let base = planned.context();
    let ctx = PlanContext {
        region: base.region,
        region_source: base.region_source,
        endpoint: base.endpoint,
        digest: base.digest,
        created_at: base.created_at,
        ..shown
    };
    out.print(&render::plan(&planned.plan, &ctx, out.format, out.color));
    if let Some(path) = save {
        let mut file = PlanFile::new(
            planned.plan.clone(),
            &planned.region.region,
            &ctx.endpoint,
            &planned.desired.files,
            manifests,
            planned.desired.max_deletes.as_ref().map(|m| m.value),
        );
        file.region_source = planned.region.source.clone();
        file.created_at = planned.created_at.clone();
        file.write(path).map_err(|e| Failure::of(Kind::Input, e))?;
        eprintln!(
            "Saved the plan (digest {}) to {}. Apply exactly this plan with: vodplan apply {}",
            ctx.digest,
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
