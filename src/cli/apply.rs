//! `vodplan apply`: a saved plan (the approval; re-checked against live state, applied exactly),
//! or manifests (planned, shown, confirmed with `yes`, applied).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use vodplan::apply::{self, Earlier, Journal, Outcome};
use vodplan::ids::VideoId;
use vodplan::plan::file::PlanFile;
use vodplan::plan::{Deletion, Fingerprint};
use vodplan::render::{self, Format, PlanContext};
use vodplan::vod::Client;

use super::args::GuardArgs;
use super::context::{Session, default_journal};
use super::exit::{Exit, Failure, Kind};
use super::output::Output;
use super::plan::{guards, make_plan};

pub async fn run(
    session: &Session,
    out: &Output,
    targets: &[PathBuf],
    auto_approve: bool,
    journal: Option<&PathBuf>,
    guard_args: &GuardArgs,
) -> Result<Exit, Failure> {
    // A saved plan is told from a manifest by its content; the file is read once.
    if let [single] = targets
        && single.is_file()
        && let Ok(bytes) = std::fs::read(single)
        && PlanFile::looks_like_plan(&bytes)
    {
        let file = PlanFile::from_bytes(&bytes, &single.display().to_string())
            .map_err(|e| Failure::new(Kind::Input, e.to_string()))?;
        return apply_saved(session, out, single, file, journal, guard_args).await;
    }
    apply_manifests(session, out, targets, auto_approve, journal, guard_args).await
}

fn confirm(count: usize) -> Result<(), Failure> {
    eprint!("\nDelete these {count} videos permanently? Only 'yes' will be accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::new(Kind::Input, format!("cannot read the answer: {e}")))?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Failure::new(
            Kind::Declined,
            "apply cancelled; nothing was deleted",
        ))
    }
}

async fn apply_manifests(
    session: &Session,
    out: &Output,
    manifests: &[PathBuf],
    auto_approve: bool,
    journal: Option<&PathBuf>,
    guard_args: &GuardArgs,
) -> Result<Exit, Failure> {
    if !auto_approve && !std::io::stdin().is_terminal() {
        return Err(Failure::new(Kind::Declined, "refusing to delete without confirmation: standard input is not a terminal")
            .hint("review `vodplan plan` and pass --auto-approve, or save a plan with `vodplan plan --out PLANFILE` and apply that"));
    }
    let planned = make_plan(session, out, manifests, guard_args).await?;
    show_plan(out, &planned.plan, &planned.context());
    if !planned.plan.is_empty() && !auto_approve {
        confirm(planned.plan.deletions.len())?;
    }
    let key = {
        let mut h = Sha256::new();
        h.update(planned.desired.digest());
        h.update(planned.region.as_bytes());
        h.update(planned.endpoint.to_string().as_bytes());
        format!("manifests:{}", hex::encode(h.finalize()))
    };
    let journal_path = journal
        .cloned()
        .unwrap_or_else(|| default_journal(&manifests[0]));
    let (mut journal, earlier) = open_journal(&journal_path, &key, planned.plan.deletions.len())?;
    let mut outcome = Outcome::default();
    apply::settle_absent(&mut outcome, &planned.plan.absent, &earlier);
    execute(
        out,
        planned.client,
        &planned.plan.deletions,
        &earlier,
        &mut journal,
        outcome,
    )
    .await
}

/// The plan goes to stdout for people; with `--format json` stdout holds only the result, so the
/// plan goes to stderr as text.
fn show_plan(out: &Output, plan: &vodplan::plan::Plan, ctx: &PlanContext) {
    match out.format {
        Format::Json => eprint!("{}", render::plan(plan, ctx, Format::Text, false)),
        f => out.print(&render::plan(plan, ctx, f, out.color)),
    }
}

fn open_journal(path: &Path, key: &str, planned: usize) -> Result<(Journal, Earlier), Failure> {
    let (journal, earlier) = Journal::open(path, key, planned).map_err(|e| {
        Failure::new(Kind::Input, e.to_string())
            .hint("choose a writable journal with --journal FILE")
    })?;
    if !earlier.sent.is_empty() {
        eprintln!(
            "Resuming: the journal {} shows an interrupted run of this plan that sent {} videos for deletion.",
            path.display(),
            earlier.sent.len()
        );
    }
    Ok((journal, earlier))
}

async fn execute(
    out: &Output,
    client: Arc<Client>,
    deletions: &[Deletion],
    earlier: &Earlier,
    journal: &mut Journal,
    mut outcome: Outcome,
) -> Result<Exit, Failure> {
    let bar = out.bar("deleting");
    let done = apply::execute(client, deletions, earlier, Some(journal), &bar).await;
    bar.finish();
    let done = done.map_err(|e| Failure::new(Kind::Input, e.to_string()).hint("the journal could not be written, so the run stopped; fix it and run the same command again"))?;
    outcome.deleted.extend(done.deleted);
    outcome.non_exist_video_ids.extend(done.non_exist_video_ids);
    outcome
        .non_exist_reference_ids
        .extend(done.non_exist_reference_ids);
    outcome.forbidden.extend(done.forbidden);
    outcome.failed.extend(done.failed);
    outcome.stopped_early = done.stopped_early;
    outcome.normalize();
    let _ = journal.append(&apply::journal::Record::Finish {
        run: journal.run().to_string(),
        time: vodplan::timefmt::now(),
        deleted: outcome.deleted_count(),
        absent: outcome.absent(),
        forbidden: outcome.forbidden.len(),
        failed: outcome.failed.len(),
    });
    out.print(&render::outcome(&outcome, out.format, out.color));
    eprintln!("Journal: {}", journal.path().display());
    if outcome.is_complete() {
        Ok(Exit::Success)
    } else if outcome.failed_before_deleting() {
        let reason = outcome
            .stopped_early
            .clone()
            .or_else(|| outcome.failed.first().map(|f| f.error.clone()))
            .unwrap_or_default();
        Err(Failure::new(Kind::Api, format!("nothing was deleted: {reason}"))
            .hint("fix the cause and run the same command again; the journal lets it pick up where it stopped"))
    } else {
        eprintln!(
            "Partial: some deletions failed or were forbidden; run the same command again to retry the failed ones."
        );
        Ok(Exit::Partial)
    }
}

async fn apply_saved(
    session: &Session,
    out: &Output,
    path: &Path,
    file: PlanFile,
    journal: Option<&PathBuf>,
    guard_args: &GuardArgs,
) -> Result<Exit, Failure> {
    let region = session.region(Some(&file.region));
    if region != file.region {
        return Err(Failure::new(
            Kind::StalePlan,
            format!(
                "the plan is for region {}, but this apply is for region {region}",
                file.region
            ),
        )
        .hint("apply it with the region it was made for, or make a new plan"));
    }
    let endpoint = session.endpoint(&region)?;
    if endpoint.to_string() != file.endpoint {
        return Err(Failure::new(Kind::StalePlan, format!("the plan was made against {}, but this apply would use {endpoint}", file.endpoint))
            .hint("apply it against the endpoint it was made for (--endpoint / VODPLAN_ENDPOINT), or make a new plan"));
    }
    let plan = &file.plan;
    guards(
        file.max_deletes
            .map(|m| (m, format!("the plan's manifests ({})", path.display()))),
        guard_args,
    )
    .check(plan)
    .map_err(|t| {
        Failure::new(
            Kind::Guard,
            format!("guard tripped: {t}; nothing was deleted"),
        )
    })?;
    let client = session.client(&region, endpoint).await?;
    // Re-read every planned video: refuse when any changed since the plan was reviewed.
    let ids: Vec<VideoId> = plan.deletions.iter().map(|d| d.video_id.clone()).collect();
    let bar = out.bar("checking the plan against live state");
    let observed = vodplan::state::lookup(&client, ids, Vec::new(), &bar).await;
    bar.finish();
    let observed = observed?;
    let mut changed = Vec::new();
    let mut vanished = Vec::new();
    let mut remaining = Vec::new();
    for d in &plan.deletions {
        match observed.videos.get(&d.video_id) {
            None => vanished.push(d),
            Some(info) => {
                let changes = d.observed.changes(&Fingerprint::of(info));
                if changes.is_empty() {
                    remaining.push(d.clone());
                } else {
                    changed.push(format!("  {}: {}", d.video_id, changes.join(", ")));
                }
            }
        }
    }
    if !changed.is_empty() {
        for line in &changed {
            eprintln!("{line}");
        }
        return Err(Failure::new(
            Kind::StalePlan,
            format!("the saved plan is stale: {} planned video{} changed since it was made (listed above); nothing was deleted", changed.len(), if changed.len() == 1 { "" } else { "s" }),
        )
        .hint("make and review a new plan with `vodplan plan --out`"));
    }
    show_plan(
        out,
        plan,
        &PlanContext {
            region: file.region.clone(),
            endpoint: file.endpoint.clone(),
        },
    );
    let journal_path = journal.cloned().unwrap_or_else(|| default_journal(path));
    let key = format!("plan:{}", file.digest());
    let (mut journal, earlier) = open_journal(&journal_path, &key, plan.deletions.len())?;
    let mut outcome = Outcome::default();
    apply::settle_absent(&mut outcome, &plan.absent, &earlier);
    apply::settle_vanished(&mut outcome, &vanished, &earlier);
    execute(out, client, &remaining, &earlier, &mut journal, outcome).await
}
