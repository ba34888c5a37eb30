//! The library's whole apply flow, as the property tests drive it: `apply::run` with a journal of
//! its own, so the tests cover what `vodplan apply` does, not a part of it.

use std::sync::Arc;

use vodplan::apply::{self, Approval, Interrupt, JournalSpec, Outcome};
use vodplan::plan::Deletion;
use vodplan::vod::Client;

/// Applies `deletions` through `apply::run`, journaled in a fresh temporary directory.
pub async fn apply_deletions(client: Arc<Client>, deletions: &[Deletion]) -> Outcome {
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
    apply::run(client, &approval, &spec, &(), &Interrupt::new())
        .await
        .unwrap()
}
