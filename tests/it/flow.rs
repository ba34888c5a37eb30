//! The library's whole apply flow, as the property tests drive it: `apply::run` with a journal of
//! its own, so the tests cover what `vodplan apply` does, not a part of it.

use std::sync::Arc;

use vodplan::apply::{self, Approval, Interrupt, JournalSpec, Outcome};
use vodplan::plan::Deletion;
use vodplan::vod::Client;

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
    let approval = Approval {
        digest: "test".into(),
        deletions: deletions.iter().collect(),
        ..Approval::default()
    };
    let spec = JournalSpec {
        path: &journal,
        plan_key: "test".into(),
        once: false,
    };
    let interrupt = Interrupt::new();
    if let Some(after) = after {
        let interrupt = interrupt.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            interrupt.trigger();
        });
    }
    apply::run(client, &approval, &spec, &(), &interrupt)
        .await
        .unwrap()
}
