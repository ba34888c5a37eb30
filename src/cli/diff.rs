//! `vodplan diff OLD_PLAN NEW_PLAN`: what changed between two saved plans, no network. Exit 0
//! when they plan the same actions, 2 when they differ, 1 on error.

use std::path::Path;

use vodplan::plan::compare::compare;
use vodplan::plan::file::PlanFile;
use vodplan::render;

use super::exit::{Exit, Failure};
use super::output::Output;

pub fn diff(out: &Output, old: &Path, new: &Path) -> Result<Exit, Failure> {
    let read = |p: &Path| PlanFile::read(p).map_err(Failure::from);
    let (before, after) = (read(old)?, read(new)?);
    let c = compare(&before.plan, &after.plan);
    let names = render::compare::Names {
        old: old.display().to_string(),
        new: new.display().to_string(),
        old_digest: before.plan.digest(&before.region, &before.endpoint),
        new_digest: after.plan.digest(&after.region, &after.endpoint),
    };
    out.print(&render::compare::render(&c, &names, out.format));
    Ok(if c.same() {
        Exit::Success
    } else {
        Exit::Differ
    })
}
