//! What an apply did: the `Outcome` that is rendered and that decides the exit code.

use crate::ids::{ReferenceId, VideoId};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// The identity of the plan applied (see [`crate::plan::Plan::digest`]).
    pub plan_digest: String,
    /// Deleted by this run, or by an earlier run of the same plan.
    pub deleted: Vec<VideoId>,
    /// Manifest entries whose video did not exist (drift), by video ID.
    pub non_exist_video_ids: Vec<VideoId>,
    /// Manifest entries whose video did not exist (drift), by reference ID.
    pub non_exist_reference_ids: Vec<ReferenceId>,
    pub forbidden: Vec<VideoId>,
    pub failed: Vec<FailedDeletion>,
    /// Reference IDs whose videos an earlier run of this plan deleted (their video IDs are not
    /// known any more); counted as deleted.
    pub credited_references: Vec<ReferenceId>,
    /// Why the run stopped early (an error that retrying cannot fix), leaving some unsent.
    pub stopped_early: Option<StoppedEarly>,
    /// The run was interrupted (SIGINT/SIGTERM): `not_sent` were never sent.
    pub interrupted: bool,
    /// Planned deletions never sent (interrupted, or stopped early).
    pub not_sent: Vec<VideoId>,
    /// Put in vodplan's quarantine (tagged and blocked) by this run.
    pub quarantined: Vec<VideoId>,
    /// Taken out of vodplan's quarantine (set Normal, tag removed) by this run.
    pub restored: Vec<VideoId>,
    /// Some planned quarantine or restore failed or was not sent: the run is not finished, and
    /// the same command again finishes it.
    pub quarantine_unfinished: bool,
    /// Planned quarantines and restores never started (interrupted).
    pub quarantine_not_sent: Vec<VideoId>,
    /// The grace period's last day written on each video quarantined by this run.
    pub until_written: std::collections::HashMap<VideoId, time::Date>,
    /// The CDN purge (`purgeCdn`), when the plan has one.
    pub purge: Option<super::purge::PurgeOutcome>,
}

/// Why a run stopped sending deletions early: vodplan's decision, worded once (`Display`). The
/// errors it carries are the API's or the disk's, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoppedEarly {
    /// The API refused a call with an error that retrying cannot fix (credentials, permission).
    Refused(String),
    /// The journal could not be written, so nothing more was sent.
    Journal(String),
}

impl std::fmt::Display for StoppedEarly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoppedEarly::Refused(e) => f.write_str(e),
            StoppedEarly::Journal(e) => write!(
                f,
                "the journal could not be written ({e}), so nothing more was sent"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FailedDeletion {
    pub video_id: VideoId,
    pub error: FailReason,
    /// Whether the service may have deleted it all the same (the call's outcome is unknown and
    /// could not be verified): such a failure never counts as "nothing was deleted".
    pub possibly_deleted: bool,
}

/// Why a planned action failed: vodplan's finding, worded once (`Display`). The errors it
/// carries are the API's, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailReason {
    /// The call failed with this error.
    Api(String),
    /// Interrupted while the call was in flight: unknown whether deleted.
    InFlight,
    /// The call failed with this error, and the check by GetVideoInfos failed too.
    Unverified(String),
    /// The call failed with this error, and the video still exists.
    StillExists(String),
    /// A step of a quarantine or a restore.
    Step(super::quarantine::StepFailure),
}

impl std::fmt::Display for FailReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FailReason::Api(e) => f.write_str(e),
            FailReason::InFlight => f.write_str(
                "interrupted while the call was in flight: unknown whether deleted; run the same command again to finish",
            ),
            FailReason::Unverified(e) => write!(
                f,
                "{e}; unknown whether deleted (the check by GetVideoInfos failed); run the same command again to finish"
            ),
            FailReason::StillExists(e) => write!(f, "{e}; the video still exists"),
            FailReason::Step(s) => s.fmt(f),
        }
    }
}

impl Outcome {
    /// Deleted by this run or an earlier run of the same plan.
    pub fn deleted_count(&self) -> usize {
        self.deleted.len() + self.credited_references.len()
    }

    pub fn absent(&self) -> usize {
        self.non_exist_video_ids.len() + self.non_exist_reference_ids.len()
    }

    /// Every planned deletion is confirmed: deleted or found already absent.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty() && self.forbidden.is_empty() && self.not_sent.is_empty()
    }

    /// Whether something may have been deleted by this run (confirmed or not).
    pub fn anything_deleted(&self) -> bool {
        self.deleted_count() > 0 || self.failed.iter().any(|f| f.possibly_deleted)
    }

    /// Whether this run changed anything in VOD (deleted, quarantined or restored).
    pub fn anything_done(&self) -> bool {
        self.anything_deleted() || !self.quarantined.is_empty() || !self.restored.is_empty()
    }

    /// Nothing was deleted and something went wrong: an error before any deletion.
    pub fn failed_before_deleting(&self) -> bool {
        !self.is_complete() && !self.anything_done() && self.forbidden.is_empty()
    }

    /// Whether the journal may record this run as finished: every deletion settled, so a later
    /// run of the same plan has nothing to finish.
    pub fn settled(&self) -> bool {
        !self.interrupted
            && !self.quarantine_unfinished
            && self.not_sent.is_empty()
            && self.failed.iter().all(|f| !f.possibly_deleted)
    }

    /// Sorts every list, so that output does not depend on the order replies arrived in.
    pub fn normalize(&mut self) {
        self.deleted.sort();
        self.deleted.dedup();
        self.non_exist_video_ids.sort();
        self.non_exist_video_ids.dedup();
        self.non_exist_reference_ids.sort();
        self.non_exist_reference_ids.dedup();
        self.forbidden.sort();
        self.forbidden.dedup();
        self.failed.sort_by(|a, b| a.video_id.cmp(&b.video_id));
        self.not_sent.sort();
        self.quarantined.sort();
        self.restored.sort();
    }
}
