//! The plan: what `apply` will delete, what keep protects, and what is already gone.
//!
//! A [`Plan`] is a plain value made by [`diff::diff`] from a desired state and an observed state;
//! it never calls the API. It is what reviewers read (rendered by `crate::render`) and what a
//! saved plan file carries (`file`).

pub mod diff;
pub mod file;
pub mod guard;
pub mod make;
pub mod quarantine;
pub mod rules;

use serde::{Deserialize, Serialize};

use crate::ids::{ReferenceId, VideoId, VideoRef};
use crate::manifest::Location;
use crate::vod::api::VideoInfo;

pub use diff::diff;
pub use make::{PlanError, make};
pub use rules::Rules;

/// How the manifest entry behind a deletion named the video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "by", content = "value")]
pub enum SelectedBy {
    VideoId,
    ReferenceId(ReferenceId),
    Match(String),
}

/// What was observed of a video when the plan was made. A saved plan is refused at apply time
/// when any of these changed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fingerprint {
    pub status: String,
    // Absent values are left out of the saved plan (a missing field reads as none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modification_time: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    /// The video's tags (quarantine state lives there); absent in plans made before quarantine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
}

impl Fingerprint {
    pub fn of(info: &VideoInfo) -> Fingerprint {
        Fingerprint {
            status: info.status.clone(),
            size: info.size,
            creation_time: info.creation_time.clone(),
            modification_time: info.modification_time.clone(),
            title: info.title.clone(),
            reference_id: info.reference_id.clone().filter(|r| !r.is_empty()),
            tags: info
                .tags
                .as_deref()
                .map(|t| {
                    t.split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|t| !t.is_empty()),
        }
    }

    /// What differs from `now`, as `field: before -> after` phrases.
    pub fn changes(&self, now: &Fingerprint) -> Vec<String> {
        fn opt<T: std::fmt::Debug>(v: &Option<T>) -> String {
            match v {
                Some(v) => format!("{v:?}"),
                None => "none".into(),
            }
        }
        let mut out = Vec::new();
        if self.status != now.status {
            out.push(format!("status {:?} -> {:?}", self.status, now.status));
        }
        if self.size != now.size {
            out.push(format!("size {} -> {}", opt(&self.size), opt(&now.size)));
        }
        if self.creation_time != now.creation_time {
            out.push(format!(
                "creationTime {} -> {}",
                opt(&self.creation_time),
                opt(&now.creation_time)
            ));
        }
        if self.modification_time != now.modification_time {
            out.push(format!(
                "modificationTime {} -> {}",
                opt(&self.modification_time),
                opt(&now.modification_time)
            ));
        }
        if self.title != now.title {
            out.push(format!("title {:?} -> {:?}", self.title, now.title));
        }
        if self.tags != now.tags {
            out.push(format!("tags {} -> {}", opt(&self.tags), opt(&now.tags)));
        }
        if self.reference_id != now.reference_id {
            out.push(format!(
                "referenceId {} -> {}",
                opt(&self.reference_id),
                opt(&now.reference_id)
            ));
        }
        out
    }
}

/// One video the plan deletes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deletion {
    pub video_id: VideoId,
    /// A `match` selection is saved once per manifest entry, in the plan file's `selectors`
    /// (keyed by `source`), not on each of its possibly millions of deletions (see `file`).
    #[serde(
        default = "file::unresolved_selection",
        skip_serializing_if = "file::selection_in_table"
    )]
    pub selected_by: SelectedBy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The manifest entry that selected it.
    pub source: Location,
    pub observed: Fingerprint,
}

/// A video that a delete entry selected and a keep entry protects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Protection {
    pub video_id: VideoId,
    pub title: String,
    pub kept_by: Location,
    pub selected_by: Location,
}

/// A delete entry whose video does not exist any more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Absence {
    pub target: AbsentTarget,
    pub source: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AbsentTarget {
    VideoId(VideoId),
    ReferenceId(ReferenceId),
}

impl From<&VideoRef> for AbsentTarget {
    fn from(r: &VideoRef) -> Self {
        match r {
            VideoRef::Video(v) => AbsentTarget::VideoId(v.clone()),
            VideoRef::Reference(r) => AbsentTarget::ReferenceId(r.clone()),
        }
    }
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub deletions: Vec<Deletion>,
    pub protected: Vec<Protection>,
    pub absent: Vec<Absence>,
    /// Videos to put in vodplan's quarantine (block and tag) instead of deleting now.
    #[serde(default)]
    pub quarantines: Vec<quarantine::Quarantine>,
    /// Videos in vodplan's quarantine whose grace period has not ended.
    #[serde(default)]
    pub waiting: Vec<quarantine::Waiting>,
    /// Videos in vodplan's quarantine that a keep entry now protects: unblock and untag.
    #[serde(default)]
    pub restores: Vec<quarantine::Restore>,
    /// Videos reported and left exactly as they are (blocked by someone else under a quarantine
    /// entry, no room for the tag, in a quarantine these manifests do not manage).
    #[serde(default)]
    pub untouched: Vec<quarantine::Untouched>,
    /// Videos the delete selectors saw, for the percentage guard.
    #[serde(default)]
    pub selector_seen: usize,
}

impl Plan {
    /// Nothing to do: no deletion, quarantine or restore (waiting alone is nothing to do).
    pub fn is_empty(&self) -> bool {
        self.deletions.is_empty() && self.quarantines.is_empty() && self.restores.is_empty()
    }
}

impl Plan {
    /// The plan's identity: a short digest of what it would do (every deletion with the state it
    /// was planned on) and where (region, endpoint). Shown in every rendering of the plan, printed
    /// by `apply` and recorded in its journal, so an auditor can match an apply to the reviewed
    /// pull-request comment. Independent of the order of entries and of when the plan was made.
    pub fn digest(&self, region: &str, endpoint: &str) -> String {
        use sha2::{Digest, Sha256};
        let mut deletions: Vec<&Deletion> = self.deletions.iter().collect();
        deletions.sort_by(|a, b| a.video_id.cmp(&b.video_id));
        let mut h = Sha256::new();
        h.update(b"vodplan-plan-digest-1\n");
        h.update(region.as_bytes());
        h.update(b"\n");
        h.update(endpoint.as_bytes());
        h.update(b"\n");
        for d in deletions {
            h.update(d.video_id.as_str().as_bytes());
            h.update(b" ");
            h.update(serde_json::to_vec(&d.observed).expect("fingerprints serialize"));
            h.update(b"\n");
        }
        hex::encode(h.finalize())[..12].to_string()
    }
}
