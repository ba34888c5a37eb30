//! Applying a plan: approving a saved plan ([`approve`]), running it ([`flow`]): the executor that
//! deletes, the pure settlement of each reply, the journal that records, the outcome it reports.
//!
//! The executor never re-plans: it is handed an [`Approval`], which only [`approve`] builds after
//! every custody check, and deletes exactly that.

pub mod approve;
pub mod executor;
pub mod flow;
pub(crate) mod journal;
mod locked;
pub(crate) mod outcome;
pub mod plan_lock;
pub mod purge;
pub(crate) mod quarantine;
pub(crate) mod settle;

pub use approve::{Approval, Checked, Custody, Proposal, Refusal, RegionClaim, approve, check};
pub use executor::{ApplyProgress, Interrupt};
pub use flow::run;
pub use journal::{Earlier, Journal};
pub use locked::{ApplyError, JournalSpec, Locked, lock};
pub use outcome::{FailReason, FailedDeletion, Outcome, StoppedEarly};
