//! Applying a plan: the executor that deletes, the journal that records, the outcome it reports.
//!
//! The executor never re-plans: it is handed the deletions (already checked against live state by
//! the caller) and deletes exactly those.

pub mod executor;
pub mod journal;
pub mod outcome;

pub use executor::{ApplyProgress, execute, settle_absent, settle_vanished};
pub use journal::{Earlier, Journal};
pub use outcome::{FailedDeletion, Outcome};
