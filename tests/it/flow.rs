//! The library's whole apply flow, as the property tests drive it: `apply::check`, `apply::approve`
//! and `apply::run` with a journal of their own, so the tests cover what `vodplan apply` does, not
//! a part of it. An `Approval` is only ever built by the library's approval.

use std::path::Path;
use std::sync::Arc;

use vodplan::apply::{
    self, Approval, Custody, Interrupt, JournalSpec, Outcome, Proposal, Refusal, RegionClaim,
};
use vodplan::manifest::DesiredState;
use vodplan::plan::file::PlanFile;
use vodplan::plan::guard::Guards;
use vodplan::plan::{Deletion, Plan};
use vodplan::vod::Client;

/// The region every test plan is made for.
pub const REGION: &str = "cn-shanghai";

/// Locks `journal` for a plan of `key` (`once`: a saved plan, applied once).
pub fn lock(journal: &Path, key: &str, once: bool) -> apply::Locked {
    apply::lock(&JournalSpec {
        path: journal,
        plan_key: key.into(),
        once,
    })
    .unwrap()
}

/// The context of an apply as a test gives it: no region named outside the manifests, the
/// client's endpoint, no guards.
pub struct Context<'a> {
    pub claims: &'a [RegionClaim],
    pub guards: &'a Guards,
    pub today: Option<time::Date>,
}

impl Context<'_> {
    pub const PLAIN: Context<'static> = Context {
        claims: &[],
        guards: &Guards {
            manifest_max: None,
            flag_max: None,
            flag_percent: None,
            manifest_max_quarantines: None,
        },
        today: None,
    };
}

/// Approves `plan` (one just made from `desired`) through the library's checks.
pub async fn approve<'p>(
    client: &Arc<Client>,
    plan: Proposal<'p>,
    desired: &'p DesiredState,
    ctx: &Context<'p>,
    journal: apply::Locked,
) -> Result<Approval<'p>, Refusal> {
    let checked = apply::check(Custody {
        plan,
        desired,
        claims: ctx.claims.to_vec(),
        endpoint: client.config().endpoint.clone(),
        guards: ctx.guards.clone(),
        journal,
        today: ctx.today,
    })?;
    apply::approve(client, checked, &()).await
}

/// Approves a plan just made in [`REGION`].
pub async fn approve_made<'p>(
    client: &Arc<Client>,
    plan: &'p Plan,
    desired: &'p DesiredState,
    today: Option<time::Date>,
    journal: apply::Locked,
) -> Approval<'p> {
    let ctx = Context {
        today,
        ..Context::PLAIN
    };
    let made = Proposal::Made {
        plan,
        region: REGION,
    };
    approve(client, made, desired, &ctx, journal).await.unwrap()
}

/// Approves a saved plan against today's `desired`.
pub async fn approve_saved<'p>(
    client: &Arc<Client>,
    file: &'p PlanFile,
    desired: &'p DesiredState,
    today: Option<time::Date>,
    journal: apply::Locked,
) -> Result<Approval<'p>, Refusal> {
    let ctx = Context {
        today,
        ..Context::PLAIN
    };
    approve(client, Proposal::Saved(file), desired, &ctx, journal).await
}

/// Applies `deletions` through `apply::run`, journaled in a fresh temporary directory.
pub async fn apply_deletions(client: Arc<Client>, deletions: &[Deletion]) -> Outcome {
    apply_interrupted(client, deletions, None).await
}

/// [`apply_deletions`], interrupted (as by SIGINT) after `after` when given.
pub async fn apply_interrupted(
    client: Arc<Client>,
    deletions: &[Deletion],
    after: Option<std::time::Duration>,
) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let plan = Plan {
        deletions: deletions.to_vec(),
        ..Plan::default()
    };
    let desired = DesiredState::default();
    let approval = approve_made(
        &client,
        &plan,
        &desired,
        None,
        lock(&journal, "test", false),
    )
    .await;
    let interrupt = Interrupt::new();
    if let Some(after) = after {
        let interrupt = interrupt.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            interrupt.trigger();
        });
    }
    apply::run(client, approval, &(), &interrupt).await.unwrap()
}
