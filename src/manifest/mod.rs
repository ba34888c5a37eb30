//! The manifest: what a team wants deleted and kept, as reviewed in git.
//!
//! Reading goes in three steps, one file each, and each only looks down: [`load()`] expands
//! paths, reads files and hands them to [`validate`], which checks every rule on the span-carrying
//! values [`raw`] read from the YAML (on all cores for a large list: [`split`]) and builds the
//! [`DesiredState`] ([`desired`]) that the rest of vodplan works from. Nothing downstream ever
//! sees an unchecked string: IDs are [`VideoId`](crate::ids::VideoId) /
//! [`ReferenceId`](crate::ids::ReferenceId), times are parsed, statuses are [`VideoStatus`],
//! limits and quarantine periods are numbers. This file only declares and re-exports.

pub(crate) mod desired;
pub(crate) mod diagnostic;
pub mod load;
pub mod raw;
pub mod schema;
pub(crate) mod selector;
pub mod split;
pub(crate) mod validate;

pub use desired::{DesiredState, Entry, Located, ManifestFile, Target, digest_files};
pub use diagnostic::{Diagnostic, Location, Severity};
pub use load::load;
pub use selector::{Selector, Status, Tags, VideoFacts, VideoStatus};
pub use validate::{LoadedManifests, MANIFEST_VERSION, MAX_QUARANTINE_DAYS, is_owner_name};
