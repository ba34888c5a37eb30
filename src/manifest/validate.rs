//! Every manifest rule, checked in one pass that collects all problems.
//!
//! Rules (CONTRACT "Manifest, version 1"): `version: 1` is required; unknown keys are errors; an
//! entry names exactly one of `videoId`, `referenceId`, `match`; IDs are printable ASCII with no
//! comma or whitespace, reference IDs follow VOD's documented form (`crate::ids`); no scalar may
//! carry a YAML tag (`!!binary` would make the reviewed text differ from the value used);
//! timestamps are RFC 3339 with a UTC value in the years 0000-9999; the same literal ID in
//! `delete` and `keep` is an error naming both places; the same ID twice in one list is a warning
//! and counts once. Files are merged: regions must agree, and the tightest `maxDeletes` and
//! `maxQuarantines` win.
//!
//! Quarantine: a delete entry may say `quarantine: <N>d` (1 <= N <= 3650); a file's
//! top-level `quarantine: <N>d` is the default for that file's delete entries (files merged
//! together keep their own defaults, so adding a file never changes another file's entries); an
//! entry may say `quarantine: none` to be deleted without a grace period despite the default.
//! `quarantine` on a keep entry is an error: keep entries are never deleted.
//!
//! This module takes the files as read ([`ParsedFile`]) and gives the result
//! ([`LoadedManifests`]); `load` does the reading, so the two never import each other.

use std::collections::HashMap;
use std::collections::hash_map::Entry as MapEntry;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::sync::Arc;

use super::desired::{DesiredState, Entry, Located, ManifestFile, Target};
use super::diagnostic::{Diagnostic, Location};
use super::raw::{
    Field, Item, ListField, Pos, RawEntry, RawLimits, RawManifest, RawMatch, Text, UnknownKey,
};
use super::selector::{Selector, VideoStatus};
use crate::ids::{ReferenceId, VideoId, VideoRef};
use crate::timefmt::TimeError;

/// The one manifest format version this vodplan reads.
pub const MANIFEST_VERSION: u32 = 1;

/// The longest quarantine, in days (ten years).
pub const MAX_QUARANTINE_DAYS: u32 = 3650;

/// A file read and parsed, or the problem that stopped it.
pub(crate) struct ParsedFile {
    pub name: Arc<str>,
    pub sha256: String,
    pub result: Result<Option<RawManifest>, Diagnostic>,
}

/// The result of reading manifests: the desired state when there was no error, and every
/// diagnostic (errors and warnings) in file order.
#[derive(Debug)]
pub struct LoadedManifests {
    pub state: Option<DesiredState>,
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadedManifests {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }
}

/// YAML's own tags, as serde-saphyr resolves them, shown in their short `!!` form.
const YAML_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// Why a scalar's tag is refused, or None for no tag (or the harmless `!!str`).
fn tag_problem(name: &str, tag: Option<&str>) -> Option<String> {
    let tag = tag?;
    if tag == "tag:yaml.org,2002:str" {
        return None;
    }
    let shown = match tag.strip_prefix(YAML_TAG_PREFIX) {
        Some(short) => format!("!!{short}"),
        None => tag.to_string(),
    };
    Some(format!(
        "{name} has the YAML tag `{shown}`; vodplan uses every value exactly as written, so remove the tag"
    ))
}

/// `<N>d` with 1 <= N <= [`MAX_QUARANTINE_DAYS`].
pub(crate) fn quarantine_days(text: &str) -> Option<u32> {
    let digits = text.strip_suffix('d')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_QUARANTINE_DAYS).contains(n))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Delete,
    Keep,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Delete => "delete",
            Side::Keep => "keep",
        }
    }
}

struct Validator {
    diagnostics: Vec<Diagnostic>,
    state: DesiredState,
    seen: FxHashMap<VideoRef, (Side, Location)>,
}

/// What an entry's `quarantine:` said.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Quarantine {
    /// No `quarantine:` key: the file's default applies.
    Unsaid,
    /// `quarantine: none`.
    Off,
    Days(u32, Location),
}

pub(crate) fn validate(files: Vec<ParsedFile>) -> LoadedManifests {
    let mut v = Validator::new();
    for file in files {
        v.state.files.push(ManifestFile {
            name: file.name.clone(),
            sha256: file.sha256,
        });
        match file.result {
            Err(d) => v.diagnostics.push(d),
            Ok(None) => v.error(
                Location::new(&file.name, 1, 1),
                "the manifest is empty; start it with `version: 1`",
            ),
            Ok(Some(raw)) => v.manifest(&file.name, raw),
        }
    }
    v.owner_required();
    let order: HashMap<Arc<str>, usize> = v
        .state
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.clone(), i))
        .collect();
    v.diagnostics.sort_by_key(|d| {
        (
            order.get(&d.location.file).copied().unwrap_or(usize::MAX),
            d.location.line,
            d.location.column,
        )
    });
    let failed = v.diagnostics.iter().any(Diagnostic::is_error);
    LoadedManifests {
        state: (!failed).then_some(v.state),
        diagnostics: v.diagnostics,
    }
}

fn at(file: &Arc<str>, pos: Pos) -> Location {
    Location::new(file, pos.line, pos.column)
}

fn item_at<T>(file: &Arc<str>, item: &Item<T>) -> Location {
    at(file, item.pos)
}

/// Lists shorter than this are checked on one core.
const PARALLEL_FROM: usize = 50_000;

/// Entries per parallel validation task.
const PARALLEL_CHUNK: usize = 16_384;

/// Whether `text` is an owner name: 1-12 characters of `[a-z0-9-]`, starting with a letter.
pub fn is_owner_name(text: &str) -> bool {
    (1..=12).contains(&text.len())
        && text.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Validator {
    /// A set whose delete entries use a quarantine must name its owner: the quarantine is
    /// recorded on the videos under that name, and only that owner acts on them.
    fn owner_required(&mut self) {
        if self.state.owner.is_some() {
            return;
        }
        let Some(q) = self
            .state
            .delete
            .iter()
            .find_map(|e| e.quarantine.as_ref())
            .map(|q| q.location.clone())
        else {
            return;
        };
        self.error(
            q,
            "a quarantine needs the manifest set to name its owner: add a top-level `owner: NAME` (1 to 12 characters of a-z, 0-9 and `-`, starting with a letter, such as team-a); vodplan records it on every video it quarantines and acts only on its own",
        );
    }

    fn new() -> Validator {
        Validator {
            diagnostics: Vec::new(),
            state: DesiredState::default(),
            seen: FxHashMap::default(),
        }
    }

    fn error(&mut self, location: Location, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(location, message));
    }

    fn unknown_keys(&mut self, file: &Arc<str>, keys: &[UnknownKey], place: &str, expected: &str) {
        for k in keys {
            self.error(
                at(file, k.pos),
                format!("unknown key `{}` in {place}; expected {expected}", k.name),
            );
        }
    }

    /// A scalar's text and location, or an error when it was left empty.
    fn scalar(&mut self, file: &Arc<str>, field: &Field, name: &str) -> Option<(String, Location)> {
        self.take_scalar(file, field.clone(), name)
    }

    /// Like [`Self::scalar`], taking the field so that its text is moved, not copied.
    fn take_scalar(
        &mut self,
        file: &Arc<str>,
        field: Field,
        name: &str,
    ) -> Option<(String, Location)> {
        match field.value {
            Some(v) => {
                let loc = at(file, v.pos);
                if let Some(problem) = tag_problem(name, v.tag.as_deref()) {
                    self.error(loc, problem);
                    return None;
                }
                Some((v.text, loc))
            }
            None => {
                self.error(at(file, field.key), format!("`{name}` has no value"));
                None
            }
        }
    }

    fn manifest(&mut self, file: &Arc<str>, raw: RawManifest) {
        self.unknown_keys(
            file,
            &raw.unknown,
            "the manifest",
            "version, region, owner, quarantine, purgeCdn, delete, keep or limits",
        );
        match &raw.version {
            None => self.error(
                Location::new(file, 1, 1),
                "missing `version`; add `version: 1` at the top of the manifest",
            ),
            Some(field) => {
                if let Some((text, loc)) = self.scalar(file, field, "version")
                    && text.trim() != MANIFEST_VERSION.to_string()
                {
                    self.error(loc, format!("unsupported manifest version `{text}`; this vodplan reads version {MANIFEST_VERSION}"));
                }
            }
        }
        if let Some(field) = &raw.region {
            self.region(file, field);
        }
        if let Some(field) = &raw.owner {
            self.owner(file, field);
        }
        let default = match &raw.quarantine {
            None => None,
            Some(field) => match self.scalar(file, field, "quarantine") {
                None => None,
                Some((text, loc)) => match quarantine_days(&text) {
                    Some(days) => Some(Located {
                        value: days,
                        location: loc,
                    }),
                    None => {
                        self.error(loc, format!("quarantine `{text}` is not a number of days from 1d to {MAX_QUARANTINE_DAYS}d such as 14d; the top-level quarantine is the default for this file's delete entries"));
                        None
                    }
                },
            },
        };
        let purge_default = match &raw.purge_cdn {
            None => false,
            Some(field) => self.purge_flag(file, field).unwrap_or(false),
        };
        if let Some(limits) = &raw.limits {
            match &limits.value {
                Some(l) => self.limits(file, &l.value),
                None => self.error(
                    at(file, limits.key),
                    "`limits` has no value; remove it or add `maxDeletes` or `maxQuarantines`",
                ),
            }
        }
        if let Some(list) = raw.delete {
            self.entries(file, list, Side::Delete, default.as_ref(), purge_default);
        }
        if let Some(list) = raw.keep {
            self.entries(file, list, Side::Keep, None, false);
        }
    }

    /// `owner:`: 1-12 characters of `[a-z0-9-]` starting with a letter, the same in every file
    /// that names one (it is written on every video the set quarantines).
    fn owner(&mut self, file: &Arc<str>, field: &Field) {
        let Some((owner, loc)) = self.scalar(file, field, "owner") else {
            return;
        };
        if !is_owner_name(&owner) {
            self.error(
                loc,
                format!("owner `{owner}` is not a name of 1 to 12 characters of a-z, 0-9 and `-` starting with a letter, such as team-a"),
            );
            return;
        }
        match &self.state.owner {
            Some(existing) if existing.value != owner => {
                let message = format!(
                    "owner `{owner}` disagrees with owner `{}` at {}; the files of one manifest set name one owner",
                    existing.value, existing.location
                );
                self.error(loc, message);
            }
            Some(_) => {}
            None => {
                self.state.owner = Some(Located {
                    value: owner,
                    location: loc,
                })
            }
        }
    }

    fn region(&mut self, file: &Arc<str>, field: &Field) {
        let Some((region, loc)) = self.scalar(file, field, "region") else {
            return;
        };
        let checked = match crate::ids::Region::new(region.as_str()) {
            Err(e @ crate::ids::RegionError::Malformed(_)) => {
                self.error(loc, e.to_string());
                return;
            }
            Err(e @ crate::ids::RegionError::Typo { .. }) => {
                self.error(loc.clone(), e.to_string());
                None
            }
            Ok(r) => {
                if !r.is_known() {
                    self.diagnostics.push(Diagnostic::warning(
                        loc.clone(),
                        format!(
                            "region `{region}` is not one VOD is known to serve ({}); check it",
                            crate::ids::VOD_REGIONS.join(", ")
                        ),
                    ));
                }
                Some(r)
            }
        };
        match &self.state.region {
            Some(existing) if existing.value != *region.as_str() => {
                let message = format!(
                    "region `{region}` disagrees with region `{}` at {}; manifests applied together must name one region",
                    existing.value, existing.location
                );
                self.error(loc, message);
            }
            Some(_) => {}
            None => {
                if let Some(value) = checked {
                    self.state.region = Some(Located {
                        value,
                        location: loc,
                    })
                }
            }
        }
    }

    fn limits(&mut self, file: &Arc<str>, limits: &RawLimits) {
        self.unknown_keys(
            file,
            &limits.unknown,
            "limits",
            "maxDeletes or maxQuarantines",
        );
        if let Some(field) = &limits.max_deletes
            && let Some(n) = self.limit(file, field, "maxDeletes")
            && self
                .state
                .max_deletes
                .as_ref()
                .is_none_or(|m| n.value < m.value)
        {
            self.state.max_deletes = Some(n);
        }
        if let Some(field) = &limits.max_quarantines
            && let Some(n) = self.limit(file, field, "maxQuarantines")
            && self
                .state
                .max_quarantines
                .as_ref()
                .is_none_or(|m| n.value < m.value)
        {
            self.state.max_quarantines = Some(n);
        }
    }

    fn limit(&mut self, file: &Arc<str>, field: &Field, name: &str) -> Option<Located<u64>> {
        let (text, loc) = self.scalar(file, field, name)?;
        match text.parse::<u64>() {
            Ok(n) => Some(Located {
                value: n,
                location: loc,
            }),
            Err(_) => {
                self.error(
                    loc,
                    format!("{name} `{text}` is not a whole number of 0 or more"),
                );
                None
            }
        }
    }

    fn entries(
        &mut self,
        file: &Arc<str>,
        list: ListField<RawEntry>,
        side: Side,
        default: Option<&Located<u32>>,
        purge_default: bool,
    ) {
        let Some(mut items) = list.items else { return };
        let list = match side {
            Side::Delete => &mut self.state.delete,
            Side::Keep => &mut self.state.keep,
        };
        list.reserve(items.len());
        self.seen.reserve(items.len());
        // Checking one entry needs nothing of the others, so long lists are checked on all cores
        // (rayon keeps the order); duplicates and conflicts, which span entries, are then found
        // in order on one.
        let checked: Vec<Option<Entry>> = if items.len() < PARALLEL_FROM {
            items
                .into_iter()
                .map(|item| {
                    self.entry(
                        file,
                        item.value,
                        at(file, item.pos),
                        side,
                        default,
                        purge_default,
                    )
                })
                .collect()
        } else {
            // Entries are taken out of the list in place: no second copy of a million raw entries.
            let parts: Vec<(Vec<Option<Entry>>, Vec<Diagnostic>)> = items
                .par_chunks_mut(PARALLEL_CHUNK)
                .map(|chunk| {
                    let mut part = Validator::new();
                    let checked = chunk
                        .iter_mut()
                        .map(|item| {
                            let raw = std::mem::take(&mut item.value);
                            part.entry(file, raw, at(file, item.pos), side, default, purge_default)
                        })
                        .collect();
                    (checked, part.diagnostics)
                })
                .collect();
            drop(items);
            let mut checked = Vec::with_capacity(parts.iter().map(|p| p.0.len()).sum());
            for (part, diagnostics) in parts {
                checked.extend(part);
                self.diagnostics.extend(diagnostics);
            }
            checked
        };
        for entry in checked.into_iter().flatten() {
            self.add(entry, side);
        }
    }

    fn entry(
        &mut self,
        file: &Arc<str>,
        mut raw: RawEntry,
        location: Location,
        side: Side,
        default: Option<&Located<u32>>,
        purge_default: bool,
    ) -> Option<Entry> {
        let place = || format!("a {} entry", side.name());
        if !raw.unknown.is_empty() {
            let expected = match side {
                Side::Delete => "videoId, referenceId, match, reason, quarantine or purgeCdn",
                Side::Keep => "videoId, referenceId, match or reason",
            };
            self.unknown_keys(file, &raw.unknown, &place(), expected);
        }
        // A bad quarantine does not stop the entry's other checks: every problem is reported.
        let mut quarantine_failed = false;
        let quarantine = match raw.quarantine.take() {
            None => Quarantine::Unsaid,
            Some(field) => match self.take_scalar(file, *field, "quarantine") {
                None => {
                    quarantine_failed = true;
                    Quarantine::Unsaid
                }
                Some((text, loc)) => {
                    if side == Side::Keep {
                        self.error(loc, "`quarantine` on a keep entry: keep entries are never deleted or quarantined; remove it");
                        quarantine_failed = true;
                        Quarantine::Unsaid
                    } else if text == "none" {
                        Quarantine::Off
                    } else if let Some(days) = quarantine_days(&text) {
                        Quarantine::Days(days, loc)
                    } else {
                        self.error(loc, format!("quarantine `{text}` is not a number of days from 1d to {MAX_QUARANTINE_DAYS}d such as 14d, or `none`"));
                        quarantine_failed = true;
                        Quarantine::Unsaid
                    }
                }
            },
        };
        let mut purge_failed = false;
        let purge_cdn = match raw.purge_cdn.take() {
            None => purge_default,
            Some(field) if side == Side::Keep => {
                if let Some((_, loc)) = self.take_scalar(file, *field, "purgeCdn") {
                    self.error(loc, "`purgeCdn` on a keep entry: keep entries are never deleted or purged; remove it");
                }
                purge_failed = true;
                false
            }
            Some(field) => match self.purge_flag(file, &field) {
                Some(b) => b,
                None => {
                    purge_failed = true;
                    false
                }
            },
        };
        let given = [
            raw.video_id.is_some(),
            raw.reference_id.is_some(),
            raw.selector.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            let names: Vec<&str> = given
                .iter()
                .zip(["videoId", "referenceId", "match"])
                .filter(|(g, _)| **g)
                .map(|(_, n)| n)
                .collect();
            let message = if names.is_empty() {
                format!("{} needs one of videoId, referenceId or match", place())
            } else {
                format!(
                    "{} has {}; give exactly one per entry",
                    place(),
                    names.join(" and ")
                )
            };
            self.error(location, message);
            return None;
        }
        let reason = match raw.reason.take() {
            Some(f) => Some(self.take_scalar(file, f, "reason")?.0),
            None => None,
        };
        let target = if let Some(f) = raw.video_id.take() {
            let (id, loc) = self.take_scalar(file, f, "videoId")?;
            Target::Id(VideoRef::Video(self.id(
                id,
                loc,
                "videoId",
                VideoId::new,
            )?))
        } else if let Some(f) = raw.reference_id.take() {
            let (id, loc) = self.take_scalar(file, f, "referenceId")?;
            Target::Id(VideoRef::Reference(self.id(
                id,
                loc,
                "referenceId",
                ReferenceId::new,
            )?))
        } else {
            let field = raw.selector.as_ref().expect("one key was given");
            match &field.value {
                Some(m) => {
                    Target::Match(Box::new(self.selector(file, &m.value, item_at(file, m))?))
                }
                None => {
                    self.error(
                        at(file, field.key),
                        "`match` has no conditions; a selector needs at least one",
                    );
                    return None;
                }
            }
        };
        if quarantine_failed || purge_failed {
            return None;
        }
        let quarantine = match quarantine {
            Quarantine::Unsaid => default.cloned(),
            Quarantine::Off => None,
            Quarantine::Days(days, location) => Some(Located {
                value: days,
                location,
            }),
        };
        Some(Entry {
            target,
            reason,
            quarantine,
            purge_cdn,
            location,
        })
    }

    /// A `purgeCdn:` value: `true` or `false`.
    fn purge_flag(&mut self, file: &Arc<str>, field: &Field) -> Option<bool> {
        let (text, loc) = self.scalar(file, field, "purgeCdn")?;
        match text.trim() {
            "true" => Some(true),
            "false" => Some(false),
            other => {
                self.error(loc, format!("purgeCdn `{other}` is not true or false"));
                None
            }
        }
    }

    fn id<T>(
        &mut self,
        text: String,
        loc: Location,
        what: &str,
        build: fn(String) -> Result<T, crate::ids::IdError>,
    ) -> Option<T> {
        match build(text.clone()) {
            Ok(id) => Some(id),
            Err(e) => {
                self.error(loc, format!("{what} {text:?} {e}"));
                None
            }
        }
    }

    fn selector(
        &mut self,
        file: &Arc<str>,
        raw: &RawMatch,
        location: Location,
    ) -> Option<Selector> {
        let errors_before = self.diagnostics.len();
        self.unknown_keys(
            file,
            &raw.unknown,
            "match",
            "status, categoryId, createdBefore, createdAfter, olderThan, newerThan, titlePrefix, storageLocation or tags",
        );
        let mut s = Selector::default();
        if let Some(list) = &raw.status {
            self.statuses(file, list, &mut s.status);
        }
        if let Some(f) = &raw.category_id
            && let Some((text, loc)) = self.scalar(file, f, "categoryId")
        {
            match text.parse::<i64>() {
                Ok(c) => s.category_id = Some(c),
                Err(_) => self.error(loc, format!("categoryId `{text}` is not a whole number")),
            }
        }
        self.times(file, raw, &location, &mut s);
        if let Some(f) = &raw.title_prefix
            && let Some((text, loc)) = self.scalar(file, f, "titlePrefix")
        {
            if text.is_empty() {
                self.error(loc, "titlePrefix is empty; it would match every title");
            } else {
                s.title_prefix = Some(text);
            }
        }
        if let Some(f) = &raw.storage_location
            && let Some((text, loc)) = self.scalar(file, f, "storageLocation")
        {
            if text.is_empty() || text.contains(char::is_whitespace) {
                self.error(loc, format!("storageLocation {text:?} is not a storage location such as outin-xxx.oss-cn-shanghai.aliyuncs.com"));
            } else {
                s.storage_location = Some(text);
            }
        }
        if let Some(list) = &raw.tags {
            self.tags(file, list, &mut s.tags);
        }
        if s == Selector::default() && self.diagnostics.len() == errors_before {
            self.error(
                location,
                "`match` has no conditions; a selector needs at least one",
            );
        }
        (self.diagnostics.len() == errors_before).then_some(s)
    }

    /// A selector's `status` list: known statuses, each once.
    fn statuses(
        &mut self,
        file: &Arc<str>,
        list: &ListField<Text>,
        statuses: &mut Vec<VideoStatus>,
    ) {
        match &list.items {
            None => self.error(
                at(file, list.key),
                "`status` has no value; list one or more statuses",
            ),
            Some(items) => {
                if items.is_empty() {
                    self.error(
                        at(file, list.key),
                        "`status` is an empty list; list one or more statuses",
                    );
                }
                for item in items {
                    if let Some(problem) = tag_problem("status", item.value.tag.as_deref()) {
                        self.error(item_at(file, item), problem);
                        continue;
                    }
                    match item.value.text.parse::<VideoStatus>() {
                        Ok(status) => {
                            if !statuses.contains(&status) {
                                statuses.push(status);
                            }
                        }
                        Err(_) => {
                            let all: Vec<&str> =
                                VideoStatus::ALL.iter().map(|v| v.as_str()).collect();
                            self.error(
                                item_at(file, item),
                                format!(
                                    "unknown video status `{}`; expected one of {}",
                                    item.value.text,
                                    all.join(", ")
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    /// A selector's `createdBefore` and `createdAfter`: RFC 3339 times the API can carry, in order.
    fn times(&mut self, file: &Arc<str>, raw: &RawMatch, location: &Location, s: &mut Selector) {
        for (field, name, slot) in [
            (&raw.created_before, "createdBefore", &mut s.created_before),
            (&raw.created_after, "createdAfter", &mut s.created_after),
        ] {
            if let Some(f) = field
                && let Some((text, loc)) = self.scalar(file, f, name)
            {
                match crate::timefmt::parse_utc(&text) {
                    // Listed in whole seconds: a fraction in the last second rounds out of range.
                    Ok(t) if t.unix_timestamp() + i64::from(t.nanosecond() > 0) > crate::timefmt::LATEST_UNIX => {
                        self.diagnostics.push(Diagnostic::error(
                            loc,
                            format!("{name} `{text}` rounds up past 9999-12-31T23:59:59Z, the latest time the VOD API can carry; give whole seconds, such as 9999-12-31T23:59:59Z"),
                        ))
                    }
                    Ok(t) => *slot = Some(t),
                    Err(TimeError::Format) => self.diagnostics.push(Diagnostic::error(
                        loc,
                        format!("{name} `{text}` is not an RFC 3339 timestamp such as 2024-01-01T00:00:00Z"),
                    )),
                    Err(TimeError::Range) => self.diagnostics.push(Diagnostic::error(
                        loc,
                        format!("{name} `{text}` is outside the years 0000 to 9999 in UTC, which the VOD API cannot carry; give a time such as 2024-01-01T00:00:00Z"),
                    )),
                }
            }
        }
        if let (Some(before), Some(after)) = (s.created_before, s.created_after)
            && after >= before
        {
            self.error(location.clone(), "createdAfter is not earlier than createdBefore, so this selector can match nothing");
        }
        self.ages(file, raw, location, s);
    }

    /// A selector's `olderThan` and `newerThan`: whole days (`90d`), pinned against the time of
    /// the plan (here against now, until the plan pins them again).
    fn ages(&mut self, file: &Arc<str>, raw: &RawMatch, location: &Location, s: &mut Selector) {
        let mut relative = crate::manifest::selector::Relative {
            given_before: s.created_before,
            given_after: s.created_after,
            ..Default::default()
        };
        for (field, name, slot) in [
            (&raw.older_than, "olderThan", &mut relative.older_than_days),
            (&raw.newer_than, "newerThan", &mut relative.newer_than_days),
        ] {
            if let Some(f) = field
                && let Some((text, loc)) = self.scalar(file, f, name)
            {
                match crate::manifest::selector::parse_days(&text) {
                    Some(days) => *slot = Some(days),
                    None => self.error(
                        loc,
                        format!("{name} `{text}` is not an age in days such as 90d (1d to 36500d)"),
                    ),
                }
            }
        }
        if let (Some(older), Some(newer)) = (relative.older_than_days, relative.newer_than_days)
            && newer <= older
        {
            self.error(
                location.clone(),
                "newerThan is not more days than olderThan, so this selector can match nothing",
            );
        }
        if relative.older_than_days.is_some() || relative.newer_than_days.is_some() {
            s.relative = Some(Box::new(relative));
            s.pin(time::OffsetDateTime::now_utc());
        }
    }

    /// A selector's `tags` list: non-empty tags without commas, each once.
    fn tags(&mut self, file: &Arc<str>, list: &ListField<Text>, tags: &mut Vec<String>) {
        match &list.items {
            Some(items) if !items.is_empty() => {
                for item in items {
                    let text = &item.value.text;
                    if let Some(problem) = tag_problem("tags", item.value.tag.as_deref()) {
                        self.error(item_at(file, item), problem);
                    } else if text.is_empty() || text.contains(',') {
                        self.error(
                            item_at(file, item),
                            format!("tag {text:?} is empty or contains a comma"),
                        );
                    } else if !tags.contains(text) {
                        tags.push(text.clone());
                    }
                }
            }
            _ => self.error(
                at(file, list.key),
                "`tags` has no values; list one or more tags",
            ),
        }
    }

    fn add(&mut self, entry: Entry, side: Side) {
        let Target::Id(id) = &entry.target else {
            self.push(entry, side);
            return;
        };
        match self.seen.entry(id.clone()) {
            MapEntry::Vacant(v) => {
                v.insert((side, entry.location.clone()));
                self.push(entry, side);
            }
            MapEntry::Occupied(o) => {
                let (first_side, first) = o.get().clone();
                if first_side == side {
                    self.diagnostics.push(Diagnostic::warning(
                        entry.location,
                        format!(
                            "{id} is already listed in {} at {first}; it counts once",
                            side.name()
                        ),
                    ));
                } else {
                    let message = format!(
                        "{id} is in both {} (here) and {} at {first}; keep always wins, so remove it from one of the lists",
                        side.name(),
                        first_side.name()
                    );
                    self.error(entry.location, message);
                }
            }
        }
    }

    fn push(&mut self, entry: Entry, side: Side) {
        match side {
            Side::Delete => self.state.delete.push(entry),
            Side::Keep => self.state.keep.push(entry),
        }
    }
}

#[cfg(test)]
mod tests;
