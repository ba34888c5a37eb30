//! The plan: what `apply` will delete, what keep protects, and what is already gone.
//!
//! A [`Plan`] is a plain value made by [`diff::diff`] from a desired state and an observed state;
//! it never calls the API. It is what reviewers read (rendered by `crate::render`) and what a
//! saved plan file carries (`file`).

pub mod compare;
pub mod diff;
pub mod file;
mod fingerprint;
pub mod guard;
pub mod make;
pub mod purge;
pub mod quarantine;
pub(crate) mod rules;

use serde::{Deserialize, Serialize};

use crate::ids::{ReferenceId, VideoId, VideoRef};
use crate::manifest::Location;

pub use diff::diff;
pub use fingerprint::{Change, Fingerprint, Was};
pub use make::{PlanError, make};
pub use rules::Rules;

/// How the manifest entry behind a deletion named the video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "by", content = "value")]
pub enum SelectedBy {
    VideoId,
    ReferenceId(ReferenceId),
    /// The selector's description, shared by every deletion it selected (a million deletions
    /// of one selector hold one copy).
    Match(std::sync::Arc<str>),
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
    /// The CDN purge of the deletions whose entry says `purgeCdn` (none without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge: Option<purge::PurgePlan>,
    /// The cover URLs of the videos to delete, where VOD reports one, sorted by video ID: for the
    /// HTML report's thumbnails only (not part of the digest: a signed URL changes and expires).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<Cover>,
}

/// The cover of a video to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cover {
    pub video_id: VideoId,
    pub url: String,
}

impl Plan {
    /// Nothing to do: no deletion, quarantine or restore (waiting alone is nothing to do).
    pub fn is_empty(&self) -> bool {
        self.deletions.is_empty() && self.quarantines.is_empty() && self.restores.is_empty()
    }
}

impl Plan {
    /// The plan's identity: a short digest of what it would do (every deletion, quarantine and
    /// restore with the state it was planned on) and where (region, endpoint). Shown in every rendering of the plan, printed
    /// by `apply` and recorded in its journal, so an auditor can match an apply to the reviewed
    /// pull-request comment. Independent of the order of entries and of when the plan was made.
    pub fn digest(&self, region: &str, endpoint: &str) -> String {
        use sha2::{Digest, Sha256};
        // One line per action, in the order of the video IDs.
        fn lines<T>(
            h: &mut Sha256,
            items: &[T],
            id: fn(&T) -> &VideoId,
            line: impl Fn(&mut Sha256, &T),
        ) {
            let mut sorted: Vec<&T> = items.iter().collect();
            sorted.sort_by(|a, b| id(a).cmp(id(b)));
            for item in sorted {
                line(h, item);
                h.update(b"\n");
            }
        }
        fn json(h: &mut Sha256, value: &impl Serialize) {
            h.update(serde_json::to_vec(value).expect("plans serialize"));
        }
        let mut h = Sha256::new();
        h.update(b"vodplan-plan-digest-1\n");
        h.update(region.as_bytes());
        h.update(b"\n");
        h.update(endpoint.as_bytes());
        h.update(b"\n");
        lines(
            &mut h,
            &self.deletions,
            |d| &d.video_id,
            |h, d| {
                h.update(d.video_id.as_str().as_bytes());
                h.update(b" ");
                json(h, &d.observed);
            },
        );
        // Quarantine actions, when there are any (a plan without them keeps the digest it had).
        lines(
            &mut h,
            &self.quarantines,
            |q| &q.video_id,
            |h, q| {
                h.update(b"quarantine ");
                h.update(q.video_id.as_str().as_bytes());
                h.update(b" ");
                h.update(quarantine::date_text(q.until).as_bytes());
                h.update(b" ");
                json(h, &q.observed);
            },
        );
        lines(
            &mut h,
            &self.restores,
            |r| &r.video_id,
            |h, r| {
                h.update(b"restore ");
                h.update(r.video_id.as_str().as_bytes());
                h.update(b" ");
                json(h, &r.observed);
            },
        );
        // The purge objects, when there are any (a plan without them keeps the digest it had).
        if let Some(p) = &self.purge {
            lines(
                &mut h,
                &p.videos,
                |v| &v.video_id,
                |h, v| {
                    h.update(b"purge ");
                    json(h, v);
                },
            );
        }
        // What the percentage guard divides by, when selectors ran (a plan without them keeps the
        // digest it had): a saved plan cannot lift the guard without changing its digest.
        if self.selector_seen > 0 {
            h.update(format!("selectors-seen {}\n", self.selector_seen).as_bytes());
        }
        hex::encode(h.finalize())[..12].to_string()
    }
}
