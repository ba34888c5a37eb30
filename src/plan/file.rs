//! The saved plan file (`plan --out`): the reviewed plan, and the context it is only valid in.
//!
//! JSON, versioned with `formatVersion`, and recognisable by its `kind` so that `apply` can tell a
//! plan from a manifest by content. It records the region and endpoint (a plan is refused against
//! another one), the manifests' digest, vodplan's version and the time, and for every deletion
//! the fingerprint of what was observed. It never holds a credential: nothing in [`PlanFile`] can
//! carry one.
//!
//! Written for a million deletions: a plan must stay reviewable at that size, and small enough to
//! hold twice in memory (at most 300 bytes a deletion). So the header is pretty-printed
//! and every entry of the plan's lists is compact JSON on a line of its own (a reviewer reads and
//! diffs it line by line), absent values are left out, and what is the same for many deletions
//! is written once: the description of a `match` selector goes into the top-level `selectors`
//! object, keyed by the entry's `source`, instead of onto each of the deletions it selected. It
//! is still format version 1: every file written before reads (their deletions carry their
//! `selectedBy` themselves); a deletion without one must find its source in `selectors`, or the
//! plan is refused as damaged.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Plan, SelectedBy};
use crate::manifest::ManifestFile;

pub const PLAN_KIND: &str = "vodplan-plan";
pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanManifest {
    pub name: String,
    pub sha256: String,
}

impl From<&ManifestFile> for PlanManifest {
    fn from(f: &ManifestFile) -> Self {
        PlanManifest {
            name: f.name.to_string(),
            sha256: f.sha256.clone(),
        }
    }
}

/// The saved plan. Written only by [`PlanFile::write_to`] (never by serde alone: the deletions'
/// `match` selections are written in the header's `selectors`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanFile {
    pub kind: String,
    pub format_version: u32,
    pub vodplan_version: String,
    pub created_at: String,
    pub region: String,
    /// Why that region ("from the manifests, cleanup.yaml:2", "from --region"...).
    #[serde(default)]
    pub region_source: String,
    pub endpoint: String,
    pub manifests: Vec<PlanManifest>,
    /// The manifest paths as given to `plan` (files or directories, relative to its working
    /// directory): `apply` loads them again to check the plan against them.
    #[serde(default)]
    pub manifest_paths: Vec<String>,
    pub manifest_digest: String,
    /// `limits.maxDeletes` as reviewed, re-checked at apply time.
    pub max_deletes: Option<u64>,
    /// Read only: the `match` selectors of the deletions by their source (see the module doc);
    /// [`PlanFile::from_bytes`] moves them onto the deletions and leaves this empty.
    #[serde(default, skip_serializing)]
    selectors: BTreeMap<String, String>,
    pub plan: Plan,
}

/// A deletion without `selectedBy` in the file, until its source is looked up in `selectors`.
pub(super) fn unresolved_selection() -> SelectedBy {
    SelectedBy::Match("".into())
}

/// A `match` selection is written to `selectors`, not onto the deletion.
pub(super) fn selection_in_table(s: &SelectedBy) -> bool {
    matches!(s, SelectedBy::Match(m) if !m.is_empty())
}

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read plan file {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("cannot read plan file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a vodplan plan file ({reason})")]
    NotAPlan { path: String, reason: String },
    #[error("{path} is not a vodplan plan file ({source})")]
    NotJson {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{path} is a plan of format version {found}, and this vodplan (version {ours}) reads format version {PLAN_FORMAT_VERSION}"
    )]
    Version {
        path: String,
        found: u32,
        ours: &'static str,
    },
    #[error("cannot write plan file {path}: {source}")]
    Unwritable {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl PlanFile {
    pub fn new(
        plan: Plan,
        region: &str,
        endpoint: &str,
        manifests: &[ManifestFile],
        manifest_paths: &[std::path::PathBuf],
        max_deletes: Option<u64>,
    ) -> PlanFile {
        PlanFile {
            kind: PLAN_KIND.into(),
            format_version: PLAN_FORMAT_VERSION,
            vodplan_version: env!("CARGO_PKG_VERSION").into(),
            created_at: crate::timefmt::now(),
            region: region.into(),
            region_source: String::new(),
            endpoint: endpoint.into(),
            manifests: manifests.iter().map(PlanManifest::from).collect(),
            manifest_paths: manifest_paths
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            manifest_digest: crate::manifest::load::digest_files(manifests),
            max_deletes,
            selectors: BTreeMap::new(),
            plan,
        }
    }

    /// A digest of the whole plan file as written, identifying this plan in journals. Hashed as
    /// it is serialized, without a copy of the file in memory.
    pub fn digest(&self) -> String {
        struct Hasher(Sha256);
        impl Write for Hasher {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.update(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut h = Hasher(Sha256::new());
        self.write_to(&mut h).expect("hashing never fails");
        hex::encode(h.0.finalize())
    }

    /// The file's text (see the module doc): the header pretty-printed, then each entry of the
    /// plan's lists on a line of its own ([`Layout`]).
    pub fn write_to<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        let mut selectors = BTreeMap::new();
        for d in &self.plan.deletions {
            if let SelectedBy::Match(m) = &d.selected_by
                && !m.is_empty()
            {
                selectors.entry(d.source.to_string()).or_insert(&**m);
            }
        }
        let p = &self.plan;
        let document = Written {
            kind: &self.kind,
            format_version: self.format_version,
            vodplan_version: &self.vodplan_version,
            created_at: &self.created_at,
            region: &self.region,
            region_source: &self.region_source,
            endpoint: &self.endpoint,
            manifests: &self.manifests,
            manifest_paths: &self.manifest_paths,
            manifest_digest: &self.manifest_digest,
            max_deletes: self.max_deletes,
            selectors,
            plan: WrittenPlan {
                deletions: &p.deletions,
                protected: &p.protected,
                absent: &p.absent,
                quarantines: &p.quarantines,
                waiting: &p.waiting,
                restores: &p.restores,
                untouched: &p.untouched,
                purge: p.purge.as_ref(),
                covers: &p.covers,
                selector_seen: p.selector_seen,
            },
        };
        let mut ser = serde_json::Serializer::with_formatter(&mut *w, Layout::default());
        document
            .serialize(&mut ser)
            .map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    }

    /// Whether a file's content is a saved plan rather than a manifest (by content, not name).
    /// Saved plans are JSON objects with a plan file's keys (`kind`, `formatVersion`, `plan`); a
    /// JSON object with any of them is read as a plan, so a damaged plan is reported as one.
    /// Anything else is a manifest, including a flow-style YAML mapping (`{version: 1, ...}`, not
    /// JSON) and a manifest written as JSON.
    pub fn looks_like_plan(bytes: &[u8]) -> bool {
        let bytes = without_bom(bytes);
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return false;
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Keys {
            kind: Option<serde::de::IgnoredAny>,
            format_version: Option<serde::de::IgnoredAny>,
            plan: Option<serde::de::IgnoredAny>,
        }
        match serde_json::from_slice::<Keys>(bytes) {
            Ok(k) => k.kind.is_some() || k.format_version.is_some() || k.plan.is_some(),
            // Not JSON: YAML in flow style. JSON cut short or damaged in the middle is still a
            // plan.
            Err(e) => !e.is_syntax() || bytes.windows(6).any(|w| w == b"\"kind\""),
        }
    }

    pub fn read(path: &Path) -> Result<PlanFile, PlanFileError> {
        let bytes = PlanFile::read_bytes(path)?;
        PlanFile::from_bytes(&bytes, &path.display().to_string())
    }

    /// Reads a file that may be a plan, bounded: only a regular file (a device or a pipe could
    /// be read without end), of at most [`MAX_PLAN_BYTES`].
    pub fn read_bytes(path: &Path) -> Result<Vec<u8>, PlanFileError> {
        let unreadable = |reason: String| PlanFileError::Unreadable {
            path: path.display().to_string(),
            reason,
        };
        match read_bounded(path, true) {
            Ok(bytes) if bytes.len() as u64 > MAX_PLAN_BYTES => Err(too_large(path)),
            Ok(bytes) => Ok(bytes),
            Err(Bounded::NotRegular) => Err(unreadable(
                "it is not a regular file (a directory, device or pipe); name the plan file `vodplan plan --out` wrote".into(),
            )),
            Err(Bounded::TooLarge) => Err(too_large(path)),
            Err(Bounded::Io(source)) => Err(PlanFileError::Read {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// Reads what `apply` was given as one file: a saved plan (told by content, see
    /// [`PlanFile::looks_like_plan`]), or `None` for anything else (a manifest, which the
    /// manifest loader reads). Read as [`PlanFile::read_bytes`] reads, except that a file larger
    /// than any plan is only refused once its content shows it is a plan.
    pub fn read_if_plan(path: &Path) -> Result<Option<PlanFile>, InputError> {
        let shown = path.display().to_string();
        let bytes = read_bounded(path, false).map_err(|e| match e {
            Bounded::Io(source) => InputError::Unreadable {
                path: shown.clone(),
                source,
            },
            Bounded::NotRegular | Bounded::TooLarge => InputError::NotRegular {
                path: shown.clone(),
            },
        })?;
        if !PlanFile::looks_like_plan(&bytes) {
            return Ok(None);
        }
        if bytes.len() as u64 > MAX_PLAN_BYTES {
            return Err(InputError::TooLarge { path: shown });
        }
        PlanFile::from_bytes(&bytes, &shown)
            .map(Some)
            .map_err(InputError::Damaged)
    }

    /// Parses a plan file once, straight from its bytes; only a file that does not parse as a
    /// plan is parsed again, for its header, to say why.
    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<PlanFile, PlanFileError> {
        let bytes = without_bom(bytes);
        let parsed = serde_json::from_slice::<PlanFile>(bytes);
        if let Ok(file) = parsed
            && file.kind == PLAN_KIND
            && file.format_version == PLAN_FORMAT_VERSION
        {
            return file.resolved(path);
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Header {
            kind: Option<String>,
            format_version: Option<u32>,
        }
        let header: Header =
            serde_json::from_slice(bytes).map_err(|source| PlanFileError::NotJson {
                path: path.into(),
                source,
            })?;
        if header.kind.as_deref() != Some(PLAN_KIND) {
            return Err(PlanFileError::NotAPlan {
                path: path.into(),
                reason: format!("its kind is not {PLAN_KIND:?}"),
            });
        }
        match header.format_version {
            Some(PLAN_FORMAT_VERSION) => {}
            found => {
                return Err(PlanFileError::Version {
                    path: path.into(),
                    found: found.unwrap_or(0),
                    ours: env!("CARGO_PKG_VERSION"),
                });
            }
        }
        serde_json::from_slice::<PlanFile>(bytes)
            .map_err(|source| PlanFileError::NotJson {
                path: path.into(),
                source,
            })?
            .resolved(path)
    }

    /// Moves the `selectors` onto the deletions that were written without their selection.
    fn resolved(mut self, path: &str) -> Result<PlanFile, PlanFileError> {
        let selectors: BTreeMap<String, std::sync::Arc<str>> = std::mem::take(&mut self.selectors)
            .into_iter()
            .map(|(source, m)| (source, m.into()))
            .collect();
        // Every deletion's source was read into its own copy of the manifest's name; they share
        // one (a million deletions name a handful of files).
        let mut names: std::collections::HashSet<std::sync::Arc<str>> =
            std::collections::HashSet::new();
        for d in &mut self.plan.deletions {
            match names.get(&d.source.file) {
                Some(shared) => d.source.file = shared.clone(),
                None => {
                    names.insert(d.source.file.clone());
                }
            }
            if let SelectedBy::Match(m) = &mut d.selected_by
                && m.is_empty()
            {
                match selectors.get(&d.source.to_string()) {
                    Some(s) if !s.is_empty() => *m = s.clone(),
                    _ => {
                        return Err(PlanFileError::NotAPlan {
                            path: path.into(),
                            reason: format!(
                                "the deletion of {} has no selectedBy, and its source {} is not in selectors",
                                d.video_id, d.source
                            ),
                        });
                    }
                }
            }
        }
        Ok(self)
    }

    /// Writes the plan atomically, so a reader never sees a half-written plan: into a new
    /// temporary file of a random name in the same directory (created exclusively, so a symlink
    /// planted there cannot redirect the write), made durable, then renamed over `path` (which
    /// replaces a symlink at `path` rather than writing through it).
    pub fn write(&self, path: &Path) -> Result<(), PlanFileError> {
        let p = path.display().to_string();
        let err = |source: std::io::Error| PlanFileError::Unwritable {
            path: p.clone(),
            source,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".vodplan-plan-").suffix(".tmp");
        #[cfg(unix)]
        {
            // As `std::fs::write` would create it (0666 less the umask); tempfile's own default
            // is owner-only, which would make the plan artifact unreadable to a CI's other users.
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut tmp = builder.tempfile_in(dir).map_err(err)?;
        {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
            self.write_to(&mut w).map_err(err)?;
            w.flush().map_err(err)?;
        }
        tmp.as_file().sync_all().map_err(err)?;
        tmp.persist(path).map_err(|e| err(e.error))?;
        Ok(())
    }
}

/// The saved plan as written: the [`PlanFile`]'s header, the `match` selections in `selectors`,
/// and the plan's lists in the order a reviewer reads them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Written<'a> {
    kind: &'a str,
    format_version: u32,
    vodplan_version: &'a str,
    created_at: &'a str,
    region: &'a str,
    region_source: &'a str,
    endpoint: &'a str,
    manifests: &'a [PlanManifest],
    manifest_paths: &'a [String],
    manifest_digest: &'a str,
    max_deletes: Option<u64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    selectors: BTreeMap<String, &'a str>,
    plan: WrittenPlan<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WrittenPlan<'a> {
    deletions: &'a [super::Deletion],
    protected: &'a [super::Protection],
    absent: &'a [super::Absence],
    quarantines: &'a [super::quarantine::Quarantine],
    waiting: &'a [super::quarantine::Waiting],
    restores: &'a [super::quarantine::Restore],
    untouched: &'a [super::quarantine::Untouched],
    #[serde(skip_serializing_if = "Option::is_none")]
    purge: Option<&'a super::purge::PurgePlan>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    covers: &'a [super::Cover],
    selector_seen: usize,
}

/// The plan file's layout: pretty-printed, except inside `plan`, where each list has one compact
/// entry a line and every other value is compact.
#[derive(Default)]
struct Layout {
    pretty: serde_json::ser::PrettyFormatter<'static>,
    /// Per open object or array: whether it is written compact.
    open: Vec<bool>,
    /// The top-level key being read, and whether the value being written is `plan`'s.
    key: Option<String>,
    in_plan: bool,
}

impl Layout {
    fn compact(&self) -> bool {
        self.open.last().copied().unwrap_or(false)
    }

    /// Opens an object or array: compact inside a compact one, or inside `plan` below its lists.
    fn open(&mut self, object: bool) -> bool {
        let depth = self.open.len();
        let compact = self.compact() || (self.in_plan && (depth >= 3 || (depth == 2 && object)));
        self.open.push(compact);
        compact
    }
}

use serde_json::ser::{CompactFormatter, Formatter};

impl Formatter for Layout {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.open(false) {
            CompactFormatter.begin_array(w)
        } else {
            self.pretty.begin_array(w)
        }
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.open.pop().unwrap_or(false) {
            CompactFormatter.end_array(w)
        } else {
            self.pretty.end_array(w)
        }
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if self.compact() {
            CompactFormatter.begin_array_value(w, first)
        } else {
            self.pretty.begin_array_value(w, first)
        }
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.compact() {
            CompactFormatter.end_array_value(w)
        } else {
            self.pretty.end_array_value(w)
        }
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.open(true) {
            CompactFormatter.begin_object(w)
        } else {
            self.pretty.begin_object(w)
        }
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.open.pop().unwrap_or(false) {
            CompactFormatter.end_object(w)
        } else {
            self.pretty.end_object(w)
        }
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if self.open.len() == 1 {
            self.key = Some(String::new());
        }
        if self.compact() {
            CompactFormatter.begin_object_key(w, first)
        } else {
            self.pretty.begin_object_key(w, first)
        }
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if let Some(key) = self.key.take() {
            self.in_plan = key == "plan";
        }
        if self.compact() {
            CompactFormatter.end_object_key(w)
        } else {
            self.pretty.end_object_key(w)
        }
    }
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        if let Some(key) = &mut self.key {
            key.push_str(fragment);
        }
        w.write_all(fragment.as_bytes())
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.compact() {
            CompactFormatter.begin_object_value(w)
        } else {
            self.pretty.begin_object_value(w)
        }
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.compact() {
            CompactFormatter.end_object_value(w)
        } else {
            self.pretty.end_object_value(w)
        }
    }
}

/// Why [`read_bounded`] read nothing.
enum Bounded {
    /// A directory, device or pipe.
    NotRegular,
    /// Larger than [`MAX_PLAN_BYTES`], by its metadata (only when asked to check it first).
    TooLarge,
    Io(std::io::Error),
}

/// The one bounded read of a file that may be a saved plan: only a regular file (checked before
/// opening, since opening a pipe blocks, and again on what was opened), and at most
/// [`MAX_PLAN_BYTES`] + 1 bytes, so that a caller tells a file too large by its length. With
/// `size_first`, a file whose metadata is too large already is refused without reading.
fn read_bounded(path: &Path, size_first: bool) -> Result<Vec<u8>, Bounded> {
    use std::io::Read;
    let check = |meta: std::fs::Metadata| {
        if !meta.is_file() {
            return Err(Bounded::NotRegular);
        }
        if size_first && meta.len() > MAX_PLAN_BYTES {
            return Err(Bounded::TooLarge);
        }
        Ok(())
    };
    check(std::fs::metadata(path).map_err(Bounded::Io)?)?;
    let file = std::fs::File::open(path).map_err(Bounded::Io)?;
    check(file.metadata().map_err(Bounded::Io)?)?;
    let mut bytes = Vec::new();
    file.take(MAX_PLAN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Bounded::Io)?;
    Ok(bytes)
}

/// Why what `apply` was given could not be read ([`PlanFile::read_if_plan`]).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {path}: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a regular file")]
    NotRegular { path: String },
    #[error("{path} is larger than a saved plan can be ({} GiB)", MAX_PLAN_BYTES >> 30)]
    TooLarge { path: String },
    /// A plan (by its content) that cannot be used: the error names the file.
    #[error(transparent)]
    Damaged(PlanFileError),
}

/// The largest plan file read (2 GiB): far above any plan (a million deletions is a few
/// hundred MiB), low enough that a wrong file is refused instead of filling memory.
pub const MAX_PLAN_BYTES: u64 = 2 << 30;

fn too_large(path: &Path) -> PlanFileError {
    PlanFileError::Unreadable {
        path: path.display().to_string(),
        reason: format!(
            "it is larger than {} GiB, more than any plan vodplan writes; is it the right file?",
            MAX_PLAN_BYTES >> 30
        ),
    }
}

/// `bytes` without a leading UTF-8 byte order mark (an editor may add one when a plan is saved
/// again); JSON parsers refuse it.
pub fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::time::{Duration, Instant};

    use super::*;

    fn plan_file() -> PlanFile {
        PlanFile::new(
            Plan::default(),
            "cn-shanghai",
            "https://vod.example",
            &[],
            &[],
            Some(10),
        )
    }

    fn deletion(id: &str, by: SelectedBy) -> super::super::Deletion {
        super::super::Deletion {
            video_id: crate::ids::VideoId::new(id).unwrap(),
            selected_by: by,
            reason: None,
            source: crate::manifest::Location::new(&"m.yaml".into(), 3, 5),
            observed: super::super::Fingerprint {
                status: "UploadFail".into(),
                title: "t".into(),
                ..Default::default()
            },
        }
    }

    #[test]
    fn a_plan_written_before_the_compact_form_reads_the_same() {
        // As vodplan wrote plans before: pretty-printed, nulls written, selectedBy on each.
        let old = r#"{
  "kind": "vodplan-plan",
  "formatVersion": 1,
  "vodplanVersion": "0.1.0",
  "createdAt": "2026-01-01T00:00:00Z",
  "region": "cn-shanghai",
  "endpoint": "https://vod.example",
  "manifests": [],
  "manifestDigest": "00",
  "maxDeletes": 10,
  "plan": {
    "deletions": [
      {
        "videoId": "v1",
        "selectedBy": {
          "by": "match",
          "value": "match {status in [UploadFail]}"
        },
        "reason": null,
        "source": "m.yaml:3:5",
        "observed": {
          "status": "UploadFail",
          "size": null,
          "creationTime": null,
          "modificationTime": null,
          "title": "t",
          "referenceId": null
        }
      }
    ],
    "protected": [],
    "absent": []
  }
}"#;
        let file = PlanFile::from_bytes(old.as_bytes(), "plan.json").unwrap();
        assert_eq!(
            file.plan.deletions,
            [deletion(
                "v1",
                SelectedBy::Match("match {status in [UploadFail]}".into())
            )]
        );
        // Written again in the compact form, it reads back equal.
        let mut text = Vec::new();
        file.write_to(&mut text).unwrap();
        assert_eq!(PlanFile::from_bytes(&text, "plan.json").unwrap(), file);
    }

    #[test]
    fn match_selections_are_written_once_and_a_deletion_must_find_its_own() {
        let mut plan = Plan::default();
        let m = SelectedBy::Match("match {status in [UploadFail]}".into());
        plan.deletions = vec![
            deletion("v1", m.clone()),
            deletion("v2", m.clone()),
            deletion("v3", SelectedBy::VideoId),
        ];
        let file = PlanFile::new(plan, "cn-shanghai", "https://vod.example", &[], &[], None);
        let mut text = Vec::new();
        file.write_to(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(text.matches("status in [UploadFail]").count(), 1, "{text}");
        let lines: Vec<&str> = text.lines().filter(|l| l.contains("videoId")).collect();
        assert_eq!(
            lines,
            [
                r#"      {"videoId":"v1","source":"m.yaml:3:5","observed":{"status":"UploadFail","title":"t"}},"#,
                r#"      {"videoId":"v2","source":"m.yaml:3:5","observed":{"status":"UploadFail","title":"t"}},"#,
                r#"      {"videoId":"v3","selectedBy":{"by":"videoId"},"source":"m.yaml:3:5","observed":{"status":"UploadFail","title":"t"}}"#,
            ]
        );
        assert_eq!(PlanFile::from_bytes(text.as_bytes(), "p").unwrap(), file);
        // A deletion moved to a source the selectors do not name is refused, not guessed.
        let moved = text.replacen(
            r#""v2","source":"m.yaml:3:5""#,
            r#""v2","source":"m.yaml:9:5""#,
            1,
        );
        let err = PlanFile::from_bytes(moved.as_bytes(), "p").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p is not a vodplan plan file (the deletion of v2 has no selectedBy, and its source m.yaml:9:5 is not in selectors)"
        );
    }

    #[test]
    fn writing_follows_no_symlink_and_leaves_no_temporary_file() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        // The old predictable temporary name, and the plan's own name, both planted as symlinks.
        symlink(&victim, d.path().join("plan.tmp-vodplan")).unwrap();
        symlink(&victim, d.path().join("plan.json")).unwrap();
        let path = d.path().join("plan.json");
        let plan = plan_file();
        plan.write(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_file(), "the symlink was replaced");
        assert_eq!(meta.permissions().mode() & 0o600, 0o600);
        assert_eq!(PlanFile::read(&path).unwrap(), plan);
        let mut names: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["plan.json", "plan.tmp-vodplan", "victim"]);
    }

    #[test]
    fn writing_to_a_missing_directory_is_a_typed_error() {
        let err = plan_file()
            .write(Path::new("/nonexistent-vodplan-dir/plan.json"))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot write plan file /nonexistent-vodplan-dir/plan.json: "),
            "{err}"
        );
    }

    #[test]
    fn reading_and_parsing_errors_keep_their_source() {
        use std::error::Error as _;
        let err = PlanFile::read(Path::new("/nonexistent-vodplan-dir/plan.json")).unwrap_err();
        let io = err
            .source()
            .and_then(|e| e.downcast_ref::<std::io::Error>());
        assert_eq!(
            io.map(std::io::Error::kind),
            Some(std::io::ErrorKind::NotFound)
        );
        assert!(
            err.to_string()
                .starts_with("cannot read plan file /nonexistent-vodplan-dir/plan.json: "),
            "{err}"
        );
        let err = PlanFile::from_bytes(b"{not json", "p").unwrap_err();
        assert!(
            err.source().is_some_and(|e| e.is::<serde_json::Error>()),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("p is not a vodplan plan file (key must be a string"),
            "{err}"
        );
    }

    #[test]
    fn reading_refuses_devices_directories_and_oversized_files_at_once() {
        let t = Instant::now();
        for p in ["/dev/zero", "/dev/full", "/"] {
            let err = PlanFile::read(Path::new(p)).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "cannot read plan file {p}: it is not a regular file (a directory, device or pipe); name the plan file `vodplan plan --out` wrote"
                )
            );
        }
        let d = tempfile::tempdir().unwrap();
        let big = d.path().join("big.json");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_PLAN_BYTES + 1).unwrap(); // sparse: no disk used, nothing read
        let err = PlanFile::read(&big).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot read plan file {}: it is larger than 2 GiB, more than any plan vodplan writes; is it the right file?",
                big.display()
            )
        );
        assert!(t.elapsed() < Duration::from_secs(2));
    }
}
