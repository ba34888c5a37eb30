//! `vodplan apply`: a saved plan (the approval: checked against itself, today's manifests and the
//! live state, then applied exactly), or manifests (planned, shown, confirmed with `yes`, applied).
//!
//! Input first, then confirmation: whatever was given is read and checked before vodplan asks, or
//! refuses for lack of a terminal, so a typo is reported as a typo.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use vodplan::apply::purge::{self, PurgeJournal};
use vodplan::apply::{
    self, Approval, Custody, Interrupt, JournalSpec, Outcome, Proposal, Refusal, RegionClaim,
};
use vodplan::ids::VideoId;
use vodplan::manifest::DesiredState;
use vodplan::plan::file::PlanFile;
use vodplan::render::{self, Format, PlanContext};

use super::args::GuardArgs;
use super::context::{Session, journal_beside, journal_for_manifests, load_manifests};
use super::exit::{Exit, Failure, Kind, failures};
use super::output::Output;
use super::plan::{guards_of, make_plan};
use super::signals;

/// What `vodplan apply` was asked.
pub struct Request<'a> {
    pub targets: &'a [PathBuf],
    pub auto_approve: bool,
    pub journal: Option<&'a PathBuf>,
    /// `--manifests`: what to check a saved plan against.
    pub manifests: &'a [PathBuf],
    pub guards: &'a GuardArgs,
    /// Print the plan before applying it (`demo` has just printed it).
    pub show_plan: bool,
}

/// Signals are handled from the start: one that arrives before the first deletion is sent
/// (while reading, re-reading, showing or confirming the plan) stops the apply with nothing sent.
pub async fn run(session: &Session, out: &Output, req: &Request<'_>) -> Result<Exit, Failure> {
    if let Some(journal) = req.journal {
        let inputs: Vec<PathBuf> = req.targets.iter().chain(req.manifests).cloned().collect();
        super::context::refuse_overwriting_input(journal, "--journal", &inputs)?;
    }
    let interrupt = Interrupt::new();
    let _signals = signals::on_interrupt(interrupt.clone());
    let stop = Stop {
        interrupt: &interrupt,
        out,
    };
    match stop.unless(async { read_input(req.targets) }).await? {
        Input::Plan(path, file) => apply_saved(session, &stop, &path, *file, req).await,
        Input::Manifests(desired) => apply_manifests(session, &stop, desired, req).await,
    }
}

/// What stops an apply before it sends anything.
struct Stop<'a> {
    interrupt: &'a Interrupt,
    out: &'a Output,
}

impl Stop<'_> {
    /// `work`, unless a signal arrives first (or arrived already): then "interrupted, nothing
    /// sent" (exit 1), with the summary document in `--format json`.
    async fn unless<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, Failure>>,
    ) -> Result<T, Failure> {
        let result = tokio::select! {
            biased;
            _ = self.interrupt.wait() => None,
            r = work => Some(r),
        };
        match result {
            Some(r) if !self.interrupt.is_set() => r,
            _ => Err(self.nothing_sent()),
        }
    }

    fn nothing_sent(&self) -> Failure {
        if self.out.format == Format::Json {
            let outcome = Outcome {
                interrupted: true,
                ..Outcome::default()
            };
            self.out
                .print(&render::outcome(&outcome, self.out.format, self.out.color));
        }
        failures::interrupted_nothing_sent()
    }
}

enum Input {
    Plan(PathBuf, Box<PlanFile>),
    Manifests(DesiredState),
}

/// Reads what `apply` was given: one saved plan (told by content), or manifests.
fn read_input(targets: &[PathBuf]) -> Result<Input, Failure> {
    if let [single] = targets
        && !single.is_dir()
        && let Some(file) = PlanFile::read_if_plan(single)?
    {
        return Ok(Input::Plan(single.clone(), Box::new(file)));
    }
    load_manifests(targets).map(Input::Manifests)
}

async fn confirm(plan: &vodplan::plan::Plan) -> Result<(), Failure> {
    let mut what = Vec::new();
    if !plan.deletions.is_empty() {
        what.push(format!(
            "delete {} video{} permanently",
            vodplan::render::thousands(plan.deletions.len()),
            if plan.deletions.len() == 1 { "" } else { "s" }
        ));
    }
    if !plan.quarantines.is_empty() {
        what.push(format!(
            "quarantine {}",
            vodplan::render::thousands(plan.quarantines.len())
        ));
    }
    if !plan.restores.is_empty() {
        what.push(format!(
            "restore {}",
            vodplan::render::thousands(plan.restores.len())
        ));
    }
    eprint!(
        "\n{}? Only 'yes' will be accepted: ",
        capitalise(&what.join(", "))
    );
    let _ = std::io::stderr().flush();
    // Read on a thread of its own, so that a signal can end the wait (the thread ends with the
    // process).
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut answer = String::new();
        let read = std::io::stdin().lock().read_line(&mut answer);
        let _ = tx.send(read.map(|_| answer));
    });
    let answer = rx
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("the reader stopped")))
        .map_err(|e| {
            Failure::new(Kind::Input, format!("cannot read the answer: {e}")).caused_by(e)
        })?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Failure::new(
            Kind::Declined,
            "apply cancelled; nothing was deleted",
        ))
    }
}

/// The plan goes to stdout for people; with `--format json` stdout holds only the result, so the
/// plan goes to stderr as text.
fn show_plan(out: &Output, plan: &vodplan::plan::Plan, ctx: &PlanContext) {
    match out.format {
        Format::Json => eprint!("{}", render::plan(plan, ctx, Format::Text, false)),
        f => out.print(&render::plan(plan, ctx, f, out.color)),
    }
}

async fn apply_manifests(
    session: &Session,
    stop: &Stop<'_>,
    desired: DesiredState,
    req: &Request<'_>,
) -> Result<Exit, Failure> {
    let out = stop.out;
    if !req.auto_approve && !std::io::stdin().is_terminal() {
        return Err(failures::no_terminal_to_confirm());
    }
    let planned = stop
        .unless(make_plan(session, out, desired, req.guards))
        .await?;
    let ctx = planned.context();
    let key = {
        let mut h = Sha256::new();
        h.update(planned.desired.digest());
        h.update(planned.region.region.as_bytes());
        h.update(ctx.endpoint.as_bytes());
        format!("manifests:{}", hex::encode(h.finalize()))
    };
    let journal = req
        .journal
        .cloned()
        .unwrap_or_else(|| journal_for_manifests(&req.targets[0]));
    let spec = JournalSpec {
        path: &journal,
        plan_key: key,
        once: false,
    };
    // The journal is locked before the plan is shown: a second apply refuses before printing it.
    let locked = apply::lock(&spec)?;
    let _plan_lock = plan_lock(&spec)?;
    let checked = apply::check(Custody {
        plan: Proposal::Made {
            plan: &planned.plan,
            region: &planned.region.region,
        },
        desired: &planned.desired,
        claims: session.region_claims(),
        endpoint: planned.endpoint.clone(),
        guards: guards_of(&planned.desired, req.guards),
        journal: locked,
        today: None,
    })
    .map_err(refusal)?;
    // A plan just made is approved as made: no call.
    let approval = apply::approve(&planned.client, checked, &())
        .await
        .map_err(refusal)?;
    show_plan(out, &planned.plan, &ctx);
    if !planned.plan.is_empty() && !req.auto_approve {
        stop.unless(confirm(&planned.plan)).await?;
    }
    stop.unless(async { Ok(()) }).await?;
    execute(
        out,
        stop.interrupt,
        planned.client.clone(),
        approval,
        &spec,
        planned.plan.purge.as_ref(),
    )
    .await
}

async fn apply_saved(
    session: &Session,
    stop: &Stop<'_>,
    path: &Path,
    file: PlanFile,
    req: &Request<'_>,
) -> Result<Exit, Failure> {
    let out = stop.out;
    let journal = req.journal.cloned().unwrap_or_else(|| journal_beside(path));
    let spec = JournalSpec {
        path: &journal,
        plan_key: format!("plan:{}", file.digest()),
        once: true,
    };
    // Locked first: a second apply refuses before re-reading or showing anything.
    let locked = apply::lock(&spec)?;
    let _plan_lock = plan_lock(&spec)?;
    let claims = session.region_claims();
    let mut desired = load_manifests(&manifests_of(&file, req.manifests)?)?;
    // Relative ages (`olderThan`, `newerThan`) are judged at the plan's time, never at apply's.
    if let Some(at) = vodplan::timefmt::parse(&file.created_at) {
        desired.pin_relative(at);
    }
    let endpoint = session.endpoint(&file.region)?;
    let checked = match apply::check(Custody {
        plan: Proposal::Saved(&file),
        desired: &desired,
        claims: claims.clone(),
        endpoint: endpoint.clone(),
        // The limits are today's manifests', never the plan file's own copy.
        guards: guards_of(&desired, req.guards),
        journal: locked,
        today: None,
    }) {
        Ok(checked) => checked,
        // Applied already: only a CDN purge still pending is continued (no DeleteVideo).
        Err(e @ Refusal::AlreadyApplied { .. }) => {
            let purge = PurgeJournal::open(&purge::journal_path(&journal))?;
            if !(file.plan.purge.is_some() && purge.has_pending()) {
                return Err(refusal(e));
            }
            return continue_purge(session, stop, &file, &claims, endpoint, purge).await;
        }
        Err(e) => return Err(refusal(e)),
    };
    let client = stop.unless(session.client(&file.region, endpoint)).await?;
    eprintln!("Credentials: {}", client.credential_source());
    let bar = out.bar("checking the plan against live state and its manifests");
    let approved = stop
        .unless(async { Ok(apply::approve(&client, checked, &bar).await) })
        .await;
    bar.finish();
    let approval = approved?.map_err(refusal)?;
    let ctx = PlanContext {
        region: file.region.clone(),
        region_source: file.region_source.clone(),
        endpoint: file.endpoint.clone(),
        digest: approval.digest().to_string(),
        created_at: file.created_at.clone(),
        ..PlanContext::default()
    };
    if req.show_plan {
        show_plan(out, &file.plan, &ctx);
    }
    stop.unless(async { Ok(()) }).await?;
    execute(
        out,
        stop.interrupt,
        client,
        approval,
        &spec,
        file.plan.purge.as_ref(),
    )
    .await
}

/// A saved plan whose deletions are done and whose CDN purge is not: continues the purge (a
/// later day's quota), sending no DeleteVideo.
async fn continue_purge(
    session: &Session,
    stop: &Stop<'_>,
    file: &PlanFile,
    claims: &[RegionClaim],
    endpoint: vodplan::vod::Endpoint,
    mut journal: PurgeJournal,
) -> Result<Exit, Failure> {
    apply::approve::check_context(file, claims, &endpoint).map_err(|r| {
        show_details(&r);
        super::exit::refused_continuing_purge(r)
    })?;
    let out = stop.out;
    let client = stop.unless(session.client(&file.region, endpoint)).await?;
    let digest = file.plan.digest(&file.region, &file.endpoint);
    eprintln!("Plan {digest}: its deletions are done; continuing its CDN purge.");
    stop.interrupt.begin_sending();
    let purged = purge::run(&client, &mut journal, &|| stop.interrupt.is_set()).await?;
    let outcome = Outcome {
        plan_digest: digest,
        purge: Some(purged),
        ..Outcome::default()
    };
    out.print(&render::outcome(&outcome, out.format, out.color));
    finish(&outcome, out.format)
}

/// The manifests a saved plan is checked against: `--manifests`, else the paths it records.
fn manifests_of(file: &PlanFile, given: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let recorded: Vec<PathBuf> = if file.manifest_paths.is_empty() {
        file.manifests
            .iter()
            .map(|m| PathBuf::from(&m.name))
            .collect()
    } else {
        file.manifest_paths.iter().map(PathBuf::from).collect()
    };
    let missing: Vec<String> = recorded
        .iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if recorded.is_empty() || !missing.is_empty() {
        return Err(failures::plan_manifests_missing(&missing));
    }
    Ok(recorded)
}

/// A refusal, its per-video lines printed above it.
fn refusal(r: Refusal) -> Failure {
    show_details(&r);
    Failure::from(r)
}

fn show_details(r: &Refusal) {
    for line in r.details() {
        eprintln!("  {line}");
    }
}

async fn execute(
    out: &Output,
    interrupt: &Interrupt,
    client: std::sync::Arc<vodplan::vod::Client>,
    approval: Approval<'_>,
    spec: &JournalSpec<'_>,
    purge_plan: Option<&vodplan::plan::purge::PurgePlan>,
) -> Result<Exit, Failure> {
    eprintln!("Applying plan {}.", approval.digest());
    interrupt.begin_sending();
    // The URLs are read again just before the deletions (only a Normal video has them) and
    // journaled with the planned objects, so that a later run can finish the purge.
    let mut purge_journal = match purge_plan {
        Some(p) => {
            let mut j = PurgeJournal::open(&purge::journal_path(spec.path))?;
            let objects = purge::refresh(&client, p).await;
            j.plan(&objects)?;
            Some(j)
        }
        None => None,
    };
    let planned_until: Vec<(VideoId, time::Date)> = approval
        .quarantines()
        .iter()
        .map(|q| (q.video_id.clone(), q.until))
        .collect();
    let bar = out.bar("deleting");
    let done = apply::run(client.clone(), approval, &bar, interrupt).await;
    bar.finish();
    let mut outcome = done?;
    if let Some(j) = purge_journal.as_mut() {
        outcome.purge = Some(purge::run(&client, j, &|| interrupt.is_set()).await?);
    }
    note_dates(&planned_until, &outcome);
    out.print(&render::outcome(&outcome, out.format, out.color));
    eprintln!("Journal: {}", spec.path.display());
    finish(&outcome, out.format)
}

/// The machine-wide lock of the plan, whatever the journal (see `apply::plan_lock`).
fn plan_lock(spec: &JournalSpec<'_>) -> Result<Option<apply::plan_lock::PlanLock>, Failure> {
    Ok(apply::plan_lock::acquire(&spec.plan_key, spec.path)?)
}

/// Says which grace-period date was written when it differs from the reviewed plan's (the day
/// changed, UTC, between plan and apply): the date written is the one journaled.
fn note_dates(planned_until: &[(VideoId, time::Date)], outcome: &Outcome) {
    let mut differ: Vec<(time::Date, time::Date)> = planned_until
        .iter()
        .filter_map(|(id, until)| {
            let written = outcome.until_written.get(id)?;
            (written != until).then_some((*until, *written))
        })
        .collect();
    differ.sort();
    differ.dedup();
    for (planned, written) in differ {
        let (planned, written) = (
            vodplan::plan::quarantine::date_text(planned),
            vodplan::plan::quarantine::date_text(written),
        );
        eprintln!(
            "Note: the plan showed the grace period ending {planned}; the date written (and journaled) is {written}, counted from today (UTC)."
        );
    }
}

/// The exit of an apply, from its outcome (CONTRACT "Exit codes").
/// `format`: where the printed outcome (stdout) lists the videos the summary refers to.
fn finish(outcome: &Outcome, format: Format) -> Result<Exit, Failure> {
    let again = std::env::args()
        .map(|a| shell_quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    if outcome.interrupted {
        let left =
            outcome.not_sent.len() + outcome.failed.len() + outcome.quarantine_not_sent.len();
        eprintln!(
            "Interrupted: {} planned videos are left. To finish, run the same command again: {again}",
            vodplan::render::thousands(left)
        );
        return super::exit::interrupted(outcome.anything_done(), &again);
    }
    let purge_pending = outcome.purge.as_ref().map_or(0, |p| p.pending.len());
    if outcome.is_complete() {
        if purge_pending > 0 {
            eprintln!(
                "CDN purge pending: {purge_pending} deleted videos still have objects to purge (the day's quota, a refused call or a task still refreshing). Run the same command again (on a later day when the quota is spent) to continue: {again}"
            );
            return Ok(Exit::Partial);
        }
        return Ok(Exit::Success);
    }
    if outcome.failed_before_deleting() {
        let reason = outcome
            .stopped_early
            .as_ref()
            .map(ToString::to_string)
            .or_else(|| outcome.failed.first().map(|f| f.error.to_string()))
            .unwrap_or_default();
        return Err(failures::nothing_deleted(&reason));
    }
    if let Some(why) = &outcome.stopped_early {
        eprintln!("Stopped early: {why}.");
    }
    eprintln!("{}", partial_summary(outcome, format));
    Ok(Exit::Partial)
}

/// What a partial apply did and the ways out, naming only what happened.
fn partial_summary(outcome: &Outcome, format: Format) -> String {
    let n = |n: usize| super::output::thousands(n as u64);
    let (forbidden, failed, not_sent) = (
        outcome.forbidden.len(),
        outcome.failed.len(),
        outcome.not_sent.len(),
    );
    let mut done = vec![format!("{} deleted", n(outcome.deleted_count()))];
    for (count, what) in [
        (forbidden, "forbidden"),
        (failed, "failed"),
        (not_sent, "not sent"),
    ] {
        if count > 0 {
            done.push(format!("{} {what}", n(count)));
        }
    }
    let mut text = format!("Partial: {}.", done.join(", "));
    let retry: Vec<String> = [(failed, "retry the failed"), (not_sent, "send the rest")]
        .into_iter()
        .filter(|(c, _)| *c > 0)
        .map(|(_, w)| w.to_string())
        .collect();
    if !retry.is_empty() {
        text.push_str(&format!(
            " Run the same command again to {}.",
            retry.join(" and ")
        ));
    }
    if forbidden > 0 {
        text.push_str(&format!(
            "\nForbidden: VOD refused to delete {} (ForbiddenVideoIds, {}), which usually means the RAM identity vodplan runs as may not delete {}. Two ways out: grant it vod:DeleteVideo on {} (examples/ram/apply-policy.json) and run the same command again; or accept {} as {}: add {} to `keep` in the manifests (and remove any delete entry naming {} by ID), so that {} no longer planned.",
            if forbidden == 1 { "1 video".to_string() } else { format!("{} videos", n(forbidden)) },
            if format == Format::Json { "listed in the output's `forbiddenVideoIds`" } else { "listed above" },
            if forbidden == 1 { "it" } else { "them" },
            if forbidden == 1 { "it" } else { "them" },
            if forbidden == 1 { "it" } else { "them" },
            if forbidden == 1 { "it is" } else { "they are" },
            if forbidden == 1 { "it" } else { "them" },
            if forbidden == 1 { "it" } else { "them" },
            if forbidden == 1 { "it is" } else { "they are" },
        ));
    }
    text
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@,+".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
