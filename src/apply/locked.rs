//! The journal of one apply, locked: taken before the plan is re-read or shown, so that a second
//! apply refuses at once, and handed to the approval (which judges from it whether a saved plan
//! was applied already) and then to the run that writes it.

use std::path::Path;

use super::journal::{Earlier, Journal, JournalError};

/// Where and under which key an apply is journaled.
#[derive(Debug, Clone)]
pub struct JournalSpec<'a> {
    pub path: &'a Path,
    /// Ties runs to what they applied: only runs of the same key are credited.
    pub plan_key: String,
    /// Refuse when the journal shows a finished run of this key that settled everything (a saved
    /// plan is applied once).
    pub once: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// A journal locked for one apply, with what earlier runs of its plan did: taken before the plan
/// is re-read or shown, so that a second apply refuses before doing anything. The approval checks
/// it (a saved plan is applied once) and holds it until the run writes it.
pub struct Locked {
    pub(super) journal: Journal,
    pub(super) earlier: Earlier,
    pub(super) plan_key: String,
    /// Refuse the plan when `earlier` shows it applied (see [`JournalSpec::once`]).
    pub(super) once: bool,
}

/// Locks the journal of `spec`, failing at once when another apply holds it. Writes nothing;
/// whether the plan was applied already is for the approval to judge.
pub fn lock(spec: &JournalSpec<'_>) -> Result<Locked, ApplyError> {
    let (journal, earlier) = Journal::lock(spec.path, &spec.plan_key)?;
    Ok(Locked {
        journal,
        earlier,
        plan_key: spec.plan_key.clone(),
        once: spec.once,
    })
}
