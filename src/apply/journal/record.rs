//! The journal's line format: one JSON [`Record`] per line. Its own file so that the writer
//! (`journal.rs`) and the reader (`read.rs`) both use it without a file-level import cycle.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Record {
    #[serde(rename_all = "camelCase")]
    Start {
        run: String,
        time: String,
        plan_key: String,
        /// The digest of the plan this run applies, as `plan`, `show` and `apply` print it: what
        /// ties the journal to the reviewed plan. Absent in journals of older versions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan_digest: Option<String>,
        planned: usize,
        vodplan_version: String,
    },
    #[serde(rename_all = "camelCase")]
    BatchSent {
        run: String,
        time: String,
        batch: u64,
        video_ids: Vec<String>,
        /// Reference IDs of the manifest entries behind the batch, where they named one.
        #[serde(default)]
        reference_ids: Vec<String>,
        /// Why each video is deleted, and which manifest entry says so (videos without a
        /// reason are listed with their source only).
        #[serde(default)]
        entries: Vec<JournalEntry>,
    },
    #[serde(rename_all = "camelCase")]
    BatchDone {
        run: String,
        time: String,
        batch: u64,
        request_id: Option<String>,
        attempts: u32,
        deleted: Vec<String>,
        non_exist: Vec<String>,
        forbidden: Vec<String>,
        failed: Vec<String>,
        error: Option<String>,
    },
    /// The videos of batches whose fate was unknown, read back: gone (deleted by this run) or
    /// still present (not deleted).
    #[serde(rename_all = "camelCase")]
    Verified {
        run: String,
        time: String,
        request_id: Option<String>,
        deleted: Vec<String>,
        still_present: Vec<String>,
    },
    /// One call of a quarantine or a restore: `step` is `tag`, `block`, `unblock` or `untag`.
    #[serde(rename_all = "camelCase")]
    Audit {
        run: String,
        time: String,
        step: String,
        video_ids: Vec<String>,
        done: Vec<String>,
        failed: Vec<String>,
        request_id: Option<String>,
        error: Option<String>,
        /// The grace period's last day written by a `tag` or `block` step (UTC `YYYY-MM-DD`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Finish {
        run: String,
        time: String,
        deleted: usize,
        absent: usize,
        forbidden: usize,
        failed: usize,
        /// Planned deletions this run never sent (it was interrupted or stopped). A run is only
        /// settled (see [`super::read::Applied`]) when this is 0; absent in journals of older versions.
        #[serde(default)]
        not_sent: usize,
    },
}

/// The manifest entry behind one deleted video, as recorded for auditors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub video_id: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
