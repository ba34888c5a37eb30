//! `vodplan show`: a saved plan rendered, no network.

use std::path::Path;

use vodplan::plan::file::PlanFile;
use vodplan::render::{self, PlanContext};

use super::args::ReviewArgs;
use super::exit::{Exit, Failure};
use super::output::Output;

pub fn show(out: &Output, path: &Path, review: &ReviewArgs) -> Result<Exit, Failure> {
    let file = PlanFile::read(path).map_err(Failure::from)?;
    let ctx = PlanContext {
        region: file.region.clone(),
        region_source: file.region_source.clone(),
        endpoint: file.endpoint.clone(),
        digest: file.plan.digest(&file.region, &file.endpoint),
        created_at: file.created_at.clone(),
        ..PlanContext::default()
    };
    let ctx = super::review::context(ctx, review, Some(path))?;
    out.print(&render::plan(&file.plan, &ctx, out.format, out.color));
    if out.format == render::Format::Text {
        out.print(&format!(
            "Saved {} by vodplan {} from {} manifest file(s).\n",
            file.created_at,
            file.vodplan_version,
            file.manifests.len()
        ));
    }
    Ok(Exit::Success)
}
