//! The checked result of reading manifests: what the rest of vodplan works from.
//!
//! Nothing here is unchecked: IDs are [`VideoId`]/[`ReferenceId`], selectors are parsed, limits
//! and quarantine periods are numbers, and every value remembers where it was written, so a plan
//! can cite it.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::diagnostic::Location;
use super::selector::Selector;
use crate::ids::{ReferenceId, VideoId, VideoRef};

/// Every manifest given on the command line, merged and checked.
#[derive(Debug, Clone, Default)]
pub struct DesiredState {
    /// The region the manifests name, if any.
    pub region: Option<Located<crate::ids::Region>>,
    /// The manifest set's owner (`owner:`), if any file names one: whose quarantine this is.
    pub owner: Option<Located<String>>,
    pub delete: Vec<Entry>,
    pub keep: Vec<Entry>,
    /// The tightest `limits.maxDeletes` of all files.
    pub max_deletes: Option<Located<u64>>,
    /// The tightest `limits.maxQuarantines` of all files (new quarantines a plan may start).
    pub max_quarantines: Option<Located<u64>>,
    /// The files read, in order, with a digest of their bytes.
    pub files: Vec<ManifestFile>,
}

impl DesiredState {
    /// A digest over all manifest files (names and bytes), recorded in saved plans.
    pub fn digest(&self) -> String {
        digest_files(&self.files)
    }

    /// Pins every selector's `olderThan` / `newerThan` at `at`: the time of the plan being made,
    /// or, for a saved plan, the time it was made (so `apply` never resolves them again).
    pub fn pin_relative(&mut self, at: time::OffsetDateTime) {
        for e in self.delete.iter_mut().chain(self.keep.iter_mut()) {
            if let Target::Match(s) = &mut e.target {
                s.pin(at);
            }
        }
    }
}

/// One manifest file that was read: its name as shown in diagnostics and its content digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFile {
    pub name: Arc<str>,
    pub sha256: String,
}

/// The digest of a set of manifest files, as recorded in a saved plan.
pub fn digest_files(files: &[ManifestFile]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.name.as_bytes());
        h.update([0]);
        h.update(f.sha256.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// A value and the place in a manifest it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub location: Location,
}

/// One `delete` or `keep` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub target: Target,
    pub reason: Option<String>,
    /// Delete entries only: the grace period in days before the deletion (the entry's own
    /// `quarantine:` or its file's top-level default), and where that was said. None: delete
    /// without a grace period (also for `quarantine: none`).
    pub quarantine: Option<Located<u32>>,
    /// Delete entries only: purge the video's CDN objects after deleting it (the entry's own
    /// `purgeCdn:` or its file's top-level default).
    pub purge_cdn: bool,
    pub location: Location,
}

/// What an entry names.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Id(VideoRef),
    Match(Box<Selector>),
}

impl Entry {
    pub fn video_id(&self) -> Option<&VideoId> {
        match &self.target {
            Target::Id(VideoRef::Video(id)) => Some(id),
            _ => None,
        }
    }

    pub fn reference_id(&self) -> Option<&ReferenceId> {
        match &self.target {
            Target::Id(VideoRef::Reference(id)) => Some(id),
            _ => None,
        }
    }
}
