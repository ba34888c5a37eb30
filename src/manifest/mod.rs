//! The manifest: what a team wants deleted and kept, as reviewed in git.
//!
//! Reading goes in three steps, one file each: [`load()`] expands paths and reads files, [`raw`]
//! turns YAML into span-carrying raw values, [`validate`] checks every rule and builds the
//! [`DesiredState`] that the rest of vodplan works from. Nothing downstream ever sees an unchecked
//! string: IDs are [`VideoId`]/[`ReferenceId`], times are parsed, limits are numbers.

pub mod diagnostic;
pub mod load;
pub mod raw;
pub mod schema;
pub mod split;
pub mod validate;

use std::fmt;

use time::OffsetDateTime;

pub use diagnostic::{Diagnostic, Location, Severity};
pub use load::{LoadedManifests, ManifestFile, load};

use crate::ids::{ReferenceId, VideoId, VideoRef};

/// The one manifest format version this vodplan reads.
pub const MANIFEST_VERSION: u32 = 1;

/// Every manifest given on the command line, merged and checked.
#[derive(Debug, Clone, Default)]
pub struct DesiredState {
    /// The region the manifests name, if any.
    pub region: Option<Located<String>>,
    pub delete: Vec<Entry>,
    pub keep: Vec<Entry>,
    /// The tightest `limits.maxDeletes` of all files.
    pub max_deletes: Option<Located<u64>>,
    /// The files read, in order, with a digest of their bytes.
    pub files: Vec<ManifestFile>,
}

impl DesiredState {
    /// A digest over all manifest files (names and bytes), recorded in saved plans.
    pub fn digest(&self) -> String {
        load::digest_files(&self.files)
    }
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

/// The video statuses the VOD API reports (GetVideoInfos, GetVideoList, SearchMedia).
pub const VIDEO_STATUSES: &[&str] = &[
    "Uploading",
    "UploadFail",
    "UploadSucc",
    "Transcoding",
    "TranscodeFail",
    "Blocked",
    "Normal",
    "Checking",
    "ProduceFail",
];

/// A `match` entry: a set of conditions that must all hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selector {
    /// Any of these statuses (empty: any status).
    pub status: Vec<String>,
    pub category_id: Option<i64>,
    pub created_before: Option<OffsetDateTime>,
    pub created_after: Option<OffsetDateTime>,
    pub title_prefix: Option<String>,
    /// The storage location (bucket) holds the source file.
    pub storage_location: Option<String>,
    /// The video carries every one of these tags.
    pub tags: Vec<String>,
}

/// What a selector is checked against: one video as the API describes it.
#[derive(Debug, Clone, Copy, Default)]
pub struct VideoFacts<'a> {
    pub status: &'a str,
    pub category_id: Option<i64>,
    pub created: Option<OffsetDateTime>,
    pub title: &'a str,
    pub storage_location: Option<&'a str>,
    /// Comma-separated, as the API gives them.
    pub tags: Option<&'a str>,
}

impl Selector {
    /// Whether a video satisfies every condition.
    pub fn matches(&self, v: &VideoFacts<'_>) -> bool {
        let has_tag = |t: &String| {
            v.tags
                .is_some_and(|all| all.split(',').any(|x| x.trim() == t))
        };
        (self.status.is_empty() || self.status.iter().any(|s| s == v.status))
            && self.category_id.is_none_or(|c| v.category_id == Some(c))
            && self
                .created_before
                .is_none_or(|t| v.created.is_some_and(|c| c < t))
            && self
                .created_after
                .is_none_or(|t| v.created.is_some_and(|c| c >= t))
            && self
                .title_prefix
                .as_deref()
                .is_none_or(|p| v.title.starts_with(p))
            && self
                .storage_location
                .as_deref()
                .is_none_or(|l| v.storage_location == Some(l))
            && self.tags.iter().all(has_tag)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.status.is_empty() {
            parts.push(format!("status in [{}]", self.status.join(", ")));
        }
        if let Some(c) = self.category_id {
            parts.push(format!("categoryId {c}"));
        }
        if let Some(t) = self.created_after {
            parts.push(format!("created at or after {}", crate::timefmt::format(t)));
        }
        if let Some(t) = self.created_before {
            parts.push(format!("created before {}", crate::timefmt::format(t)));
        }
        if let Some(p) = &self.title_prefix {
            parts.push(format!("title starts with {p:?}"));
        }
        if let Some(l) = &self.storage_location {
            parts.push(format!("storageLocation {l}"));
        }
        if !self.tags.is_empty() {
            parts.push(format!("tags include all of [{}]", self.tags.join(", ")));
        }
        write!(f, "match {{{}}}", parts.join(", "))
    }
}
