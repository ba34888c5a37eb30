//! The emulator's catalogue: the videos it serves, loaded from a YAML or JSON file, indexed for
//! listings at the scale of the biggest accounts (`index`), changed by DeleteVideo, CreateAudit
//! and UpdateVideoInfos, and the state log (`--state FILE`, `state`) that makes changes survive a
//! restart.
//!
//! A JSON catalogue (a file whose first character is `{`) is read as a stream, each video turned
//! into its compact record as it is parsed, so ten million videos load in seconds and in a few
//! GB; YAML is for small hand-written catalogues.

pub(crate) mod index;
pub(crate) mod query;
mod select;
pub(crate) mod state_log;
pub(crate) mod video;

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::path::Path;

use hashbrown::HashTable;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};

pub use select::Selection;
pub use state_log::{Change, InfoUpdate};

pub use video::Video;

use index::{Facet, Indexes};
use query::{Filter, Subject};
use state_log::{LogLine, StateLog};
use video::{BadTime, Rec, Vocabulary, api_time};

/// A catalogue file or state log that cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct CatalogError {
    pub path: String,
    pub reason: String,
}

/// What UpdateVideoInfos sets that a catalogue file does not carry.
#[derive(Debug, Default, Clone)]
struct Extra {
    description: Option<String>,
    cover_url: Option<String>,
}

/// One manual review record of a video, as GetAuditHistory returns it: written by CreateAudit, or
/// given in the catalogue file's `audits:` list (other reviewers' earlier records).
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditRecord {
    /// In the file's `audits:` list: the video it is about.
    #[serde(default, skip_serializing)]
    pub video_id: String,
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub auditor: Option<String>,
    /// UTC `yyyy-MM-ddTHH:mm:ssZ`.
    #[serde(default)]
    pub creation_time: Option<String>,
}

/// The videos the emulator holds now.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Sorted by (creation time, video ID); the index is the video's position.
    recs: Vec<Rec>,
    words: Vocabulary,
    indexes: Indexes,
    /// Positions of the live videos, found by video ID.
    by_id: HashTable<u32>,
    by_reference: HashMap<Box<str>, u32>,
    extras: HashMap<u32, Extra>,
    /// Each video's manual review records, oldest first.
    audits: HashMap<Box<str>, Vec<AuditRecord>>,
    state: Option<StateLog>,
    /// Bumped by every change, so that kept combinations of the indexes are not reused after it.
    generation: u64,
    combined: std::cell::RefCell<index::Combined>,
}

fn id_hash(id: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(id)
}

/// A video of the catalogue, as the actions see it.
#[derive(Clone, Copy)]
pub struct VideoView<'a> {
    catalog: &'a Catalog,
    pos: u32,
}

impl<'a> VideoView<'a> {
    fn rec(&self) -> &'a Rec {
        &self.catalog.recs[self.pos as usize]
    }

    pub fn position(&self) -> u32 {
        self.pos
    }

    pub fn id(&self) -> &'a str {
        &self.rec().id
    }

    pub fn forbidden(&self) -> bool {
        self.rec().forbidden
    }

    pub fn status_name(&self) -> &'a str {
        self.catalog.words.statuses.name(self.rec().status)
    }

    pub fn tag_names(&self) -> impl Iterator<Item = &'a str> + 'a {
        let words = &self.catalog.words.tags;
        self.rec().tags.iter().map(move |t| words.name(*t))
    }

    /// Where its objects live on the CDN, when its catalogue entry said.
    pub fn cdn_layout(&self) -> Option<&'a crate::cdn::Layout> {
        self.rec().cdn.as_deref()
    }

    pub fn title_text(&self) -> &'a str {
        &self.rec().title
    }

    pub fn duration(&self) -> Option<f64> {
        self.rec().duration
    }

    pub fn creation_time(&self) -> String {
        api_time(self.rec().created)
    }

    /// The video as GetVideoInfos and GetVideoList describe it.
    pub fn to_api(self) -> Value {
        let r = self.rec();
        let created = api_time(r.created);
        let mut v = json!({
            "VideoId": r.id,
            "Title": r.title,
            "Status": self.status_name(),
            "CreationTime": created,
            "ModificationTime": api_time(r.modified),
            "StorageLocation": self.catalog.words.locations.name(r.location),
            "StorageClass": self.catalog.words.classes.name(r.class),
            "AppId": "app-1000000",
            "DownloadSwitch": "on",
            "Snapshots": [],
        });
        let m = v.as_object_mut().expect("built as an object");
        if let Some(size) = r.size {
            m.insert("Size".into(), json!(size));
        }
        if let Some(d) = r.duration {
            m.insert("Duration".into(), json!(d));
        }
        if let Some(c) = r.category {
            m.insert("CateId".into(), json!(c));
            m.insert("CateName".into(), json!(format!("category {c}")));
        }
        if let Some(rid) = &r.reference_id {
            m.insert("ReferenceId".into(), json!(rid));
        }
        if !r.tags.is_empty() {
            let tags: Vec<&str> = self.tag_names().collect();
            m.insert("Tags".into(), json!(tags.join(",")));
        }
        if let Some(e) = self.catalog.extras.get(&self.pos) {
            if let Some(d) = &e.description {
                m.insert("Description".into(), json!(d));
            }
            if let Some(c) = &e.cover_url {
                m.insert("CoverURL".into(), json!(c));
            }
        }
        v
    }
}

impl Subject for VideoView<'_> {
    fn video_id(&self) -> &str {
        self.id()
    }
    fn title(&self) -> &str {
        &self.rec().title
    }
    fn has_tag(&self, tag: &str) -> bool {
        self.catalog
            .words
            .tags
            .id(tag)
            .is_some_and(|t| self.rec().tags.contains(&t))
    }
    fn status(&self) -> &str {
        self.status_name()
    }
    fn category(&self) -> Option<i64> {
        self.rec().category
    }
    fn storage_location(&self) -> &str {
        self.catalog.words.locations.name(self.rec().location)
    }
    fn created(&self) -> i64 {
        self.rec().created
    }
    fn modified(&self) -> i64 {
        self.rec().modified
    }
}

/// Records under construction, in file order.
#[derive(Default)]
struct Builder {
    recs: Vec<Rec>,
    words: Vocabulary,
    /// Covers given by the file, by the video's position in the file.
    covers: Vec<(u32, String)>,
    audits: Vec<AuditRecord>,
}

impl Builder {
    fn push(&mut self, v: Video) -> Result<(), BadTime> {
        let seq = u32::try_from(self.recs.len()).expect("fewer than 2^32 videos");
        if let Some(c) = &v.cover_url {
            self.covers.push((seq, c.clone()));
        }
        let rec = Rec::from_video(v, seq, &mut self.words)?;
        self.recs.push(rec);
        Ok(())
    }

    fn finish(self) -> Catalog {
        self.finish_noting_repeats().0
    }

    /// [`Builder::finish`], and the first video ID listed more than once, if any.
    fn finish_noting_repeats(self) -> (Catalog, Option<String>) {
        let mut repeated: Option<String> = None;
        let Builder {
            mut recs,
            words,
            covers,
            audits: given,
        } = self;
        let mut audits: HashMap<Box<str>, Vec<AuditRecord>> = HashMap::new();
        for a in given {
            audits
                .entry(a.video_id.as_str().into())
                .or_default()
                .push(a);
        }
        for list in audits.values_mut() {
            list.sort_by(|a, b| a.creation_time.cmp(&b.creation_time));
        }
        recs.sort_unstable_by(|a, b| (a.created, &a.id, a.seq).cmp(&(b.created, &b.id, b.seq)));
        // The live position of every ID: where an ID repeats, the later one in the file wins.
        let mut by_id: HashTable<u32> = HashTable::with_capacity(recs.len());
        for (pos, r) in recs.iter().enumerate() {
            let pos = pos as u32;
            let entry = by_id.entry(
                id_hash(&r.id),
                |p| recs[*p as usize].id == r.id,
                |p| id_hash(&recs[*p as usize].id),
            );
            match entry {
                hashbrown::hash_table::Entry::Occupied(mut o) => {
                    if repeated.is_none() {
                        repeated = Some(r.id.to_string());
                    }
                    if recs[*o.get() as usize].seq < r.seq {
                        *o.get_mut() = pos;
                    }
                }
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert(pos);
                }
            }
        }
        let mut live: Vec<u32> = by_id.iter().copied().collect();
        live.sort_unstable();
        let alive = roaring::RoaringBitmap::from_sorted_iter(live.iter().copied())
            .expect("positions ascend");
        let at = |p: &u32| &recs[*p as usize];
        let indexes = Indexes {
            status: Facet::build(live.iter().map(|p| (at(p).status, *p))),
            category: Facet::build(live.iter().filter_map(|p| at(p).category.map(|c| (c, *p)))),
            location: Facet::build(live.iter().map(|p| (at(p).location, *p))),
            tag: Facet::build(
                live.iter()
                    .flat_map(|p| at(p).tags.iter().map(move |t| (*t, *p))),
            ),
            alive,
        };
        let by_reference = live
            .iter()
            .filter_map(|p| at(p).reference_id.clone().map(|r| (r, *p)))
            .collect();
        let mut extras = HashMap::new();
        if !covers.is_empty() {
            let covers: HashMap<u32, String> = covers.into_iter().collect();
            for (pos, r) in recs.iter().enumerate() {
                if let Some(c) = covers.get(&r.seq) {
                    extras.insert(
                        pos as u32,
                        Extra {
                            description: None,
                            cover_url: Some(c.clone()),
                        },
                    );
                }
            }
        }
        let catalog = Catalog {
            recs,
            words,
            indexes,
            by_id,
            by_reference,
            extras,
            audits,
            state: None,
            generation: 0,
            combined: Default::default(),
        };
        (catalog, repeated)
    }
}

/// A catalogue file lists each video once: two entries of one `videoId` would otherwise be merged
/// silently (the later wins), and a test would run against a catalogue it did not write.
fn once_each((catalog, repeated): (Catalog, Option<String>)) -> Result<Catalog, String> {
    match repeated {
        Some(id) => Err(format!(
            "videoId {id} is listed more than once; list each video once"
        )),
        None => Ok(catalog),
    }
}

/// Reads `{"videos": [...]}` straight into a [`Builder`].
struct FileSeed<'a>(&'a mut Builder);

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a catalogue {\"videos\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "videos" => map.next_value_seed(VideosSeed(&mut *self.0))?,
                "audits" => self.0.audits.extend(map.next_value::<Vec<AuditRecord>>()?),
                _ => return Err(de::Error::unknown_field(&key, &["videos", "audits"])),
            }
        }
        Ok(())
    }
}

struct VideosSeed<'a>(&'a mut Builder);

impl<'de> DeserializeSeed<'de> for VideosSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for VideosSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of videos")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.recs.reserve(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element::<Video>()? {
            self.0.push(v).map_err(bad_time::<A::Error>)?;
        }
        Ok(())
    }
}

fn bad_time<E: de::Error>(b: BadTime) -> E {
    E::custom(format!(
        "video {}: {} `{}` is not an RFC 3339 time (yyyy-MM-ddTHH:mm:ssZ)",
        b.video_id, b.field, b.value
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlFile {
    #[serde(default)]
    videos: Vec<Video>,
    /// Manual review records written before the emulator started (other reviewers'), each
    /// naming its `videoId`.
    #[serde(default)]
    audits: Vec<AuditRecord>,
}

impl Catalog {
    /// A catalogue of in-memory videos (tests, benchmarks). Panics if a time is not RFC 3339:
    /// files go through [`Catalog::load`], which reports it.
    pub fn from_videos(videos: impl IntoIterator<Item = Video>) -> Catalog {
        Catalog::try_from_videos(videos)
            .unwrap_or_else(|b| panic!("{}", bad_time::<serde_json::Error>(b)))
    }

    fn try_from_videos(videos: impl IntoIterator<Item = Video>) -> Result<Catalog, BadTime> {
        let mut b = Builder::default();
        for v in videos {
            b.push(v)?;
        }
        Ok(b.finish())
    }

    /// Loads a catalogue file: JSON (streamed) when it starts with `{`, YAML otherwise.
    pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
        let err = |reason: String| CatalogError {
            path: path.display().to_string(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            let mut builder = Builder::default();
            let mut d = serde_json::Deserializer::from_slice(&bytes);
            FileSeed(&mut builder)
                .deserialize(&mut d)
                .and_then(|()| d.end())
                .map_err(|e| err(e.to_string()))?;
            drop(bytes);
            return once_each(builder.finish_noting_repeats()).map_err(err);
        }
        let text = String::from_utf8(bytes).map_err(|e| err(e.to_string()))?;
        let mut options = serde_saphyr::options! {};
        let mut budget = options.budget.take().unwrap_or_default();
        budget.max_nodes = 50_000_000;
        budget.max_events = 100_000_000;
        budget.max_total_scalar_bytes = 1 << 31;
        budget.max_reader_input_bytes = Some(1 << 31);
        options.budget = Some(budget);
        options.with_snippet = false;
        let file: YamlFile =
            serde_saphyr::from_str_with_options(&text, options).map_err(|e| err(e.to_string()))?;
        let mut b = Builder {
            audits: file.audits,
            ..Builder::default()
        };
        for v in file.videos {
            b.push(v)
                .map_err(|t| err(bad_time::<serde_json::Error>(t).to_string()))?;
        }
        once_each(b.finish_noting_repeats()).map_err(err)
    }

    /// Attaches a state log: changes recorded there earlier are replayed, later ones appended.
    pub fn attach_state(&mut self, path: &Path) -> Result<(), CatalogError> {
        let (log, entries) = StateLog::open(path)?;
        for entry in entries {
            match entry {
                LogLine::Deleted(ids) => {
                    for id in ids {
                        self.remove(&id);
                    }
                }
                LogLine::Changed(changes) => {
                    for c in &changes {
                        self.apply(c);
                    }
                }
            }
        }
        self.state = Some(log);
        Ok(())
    }

    /// Adds manual review records written before the emulator started (other reviewers'), each
    /// naming its video (tests, as the catalogue file's `audits:` list does).
    pub fn with_audits(mut self, records: impl IntoIterator<Item = AuditRecord>) -> Catalog {
        for r in records {
            let list = self.audits.entry(r.video_id.as_str().into()).or_default();
            list.push(r);
            list.sort_by(|a, b| a.creation_time.cmp(&b.creation_time));
        }
        self
    }

    /// A live video's manual review records, oldest first (empty when it has none).
    pub fn audit_history(&self, video_id: &str) -> &[AuditRecord] {
        self.audits.get(video_id).map_or(&[], Vec::as_slice)
    }

    /// How many videos exist.
    pub fn len(&self) -> usize {
        self.indexes.alive.len() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.indexes.alive.is_empty()
    }

    fn at(&self, pos: u32) -> VideoView<'_> {
        VideoView { catalog: self, pos }
    }

    /// The live position of a video ID.
    fn position(&self, video_id: &str) -> Option<u32> {
        self.by_id
            .find(id_hash(video_id), |p| {
                &*self.recs[*p as usize].id == video_id
            })
            .copied()
            .filter(|p| self.indexes.alive.contains(*p))
    }

    pub fn get(&self, video_id: &str) -> Option<VideoView<'_>> {
        self.position(video_id).map(|p| self.at(p))
    }

    pub fn by_reference(&self, reference_id: &str) -> Option<VideoView<'_>> {
        self.by_reference
            .get(reference_id)
            .copied()
            .filter(|p| self.indexes.alive.contains(*p))
            .map(|p| self.at(p))
    }

    /// The matches of `filter`, ready to count and page.
    pub fn select<'a>(&'a self, filter: &'a Filter) -> Selection<'a> {
        Selection::new(self, filter)
    }

    /// Every live video, in creation order.
    pub fn videos(&self) -> impl Iterator<Item = VideoView<'_>> {
        self.indexes.alive.iter().map(|p| self.at(p))
    }

    /// Every video the catalogue file named (the latest entry of a repeated ID), deleted or
    /// not, with whether it still exists: what the CDN edge may have cached.
    pub fn every_video(&self) -> impl Iterator<Item = (VideoView<'_>, bool)> {
        self.by_id
            .iter()
            .map(|p| (self.at(*p), self.indexes.alive.contains(*p)))
    }

    fn remove(&mut self, video_id: &str) {
        let Some(pos) = self.position(video_id) else {
            return;
        };
        self.generation += 1;
        let ix = &mut self.indexes;
        let r = &self.recs[pos as usize];
        ix.alive.remove(pos);
        ix.status.remove(r.status, pos);
        ix.location.remove(r.location, pos);
        if let Some(c) = r.category {
            ix.category.remove(c, pos);
        }
        for t in &r.tags {
            ix.tag.remove(*t, pos);
        }
        self.extras.remove(&pos);
        self.audits.remove(video_id);
    }

    /// Applies a change to a live video (a change to an unknown video does nothing).
    fn apply(&mut self, change: &Change) {
        self.generation += 1;
        match change {
            Change::Status {
                video_id,
                status,
                reason,
                comment,
                auditor,
                time,
            } => {
                let Some(pos) = self.position(video_id) else {
                    return;
                };
                self.audits
                    .entry(video_id.as_str().into())
                    .or_default()
                    .push(AuditRecord {
                        video_id: String::new(),
                        status: status.clone(),
                        reason: reason.clone().filter(|r| !r.is_empty()),
                        comment: comment.clone().filter(|c| !c.is_empty()),
                        auditor: auditor.clone(),
                        creation_time: time.clone(),
                    });
                let new = self.words.statuses.intern(status);
                let r = &mut self.recs[pos as usize];
                self.indexes.status.remove(r.status, pos);
                self.indexes.status.add(new, pos);
                r.status = new;
            }
            Change::Info(u) => {
                let Some(pos) = self.position(&u.video_id) else {
                    return;
                };
                let r = &mut self.recs[pos as usize];
                if let Some(t) = &u.title {
                    r.title = t.as_str().into();
                }
                if let Some(c) = u.cate_id {
                    if let Some(old) = r.category {
                        self.indexes.category.remove(old, pos);
                    }
                    self.indexes.category.add(c, pos);
                    r.category = Some(c);
                }
                if let Some(tags) = &u.tags {
                    for t in &r.tags {
                        self.indexes.tag.remove(*t, pos);
                    }
                    let mut new: Vec<u32> = Vec::with_capacity(tags.len());
                    for t in tags {
                        let id = self.words.tags.intern(t);
                        if !new.contains(&id) {
                            new.push(id);
                            self.indexes.tag.add(id, pos);
                        }
                    }
                    r.tags = new.into();
                }
                if u.description.is_some() || u.cover_url.is_some() {
                    let e = self.extras.entry(pos).or_default();
                    if let Some(d) = &u.description {
                        e.description = Some(d.clone());
                    }
                    if let Some(c) = &u.cover_url {
                        e.cover_url = Some(c.clone());
                    }
                }
            }
        }
    }

    fn log(&mut self, entry: &LogLine) -> Result<(), CatalogError> {
        match &mut self.state {
            Some(state) => state.append(entry),
            None => Ok(()),
        }
    }

    /// Deletes videos, recording them durably in the state log first.
    pub fn delete(&mut self, video_ids: &[String]) -> Result<(), CatalogError> {
        if video_ids.is_empty() {
            return Ok(());
        }
        self.log(&LogLine::Deleted(video_ids.to_vec()))?;
        for id in video_ids {
            self.remove(id);
        }
        Ok(())
    }

    /// Changes videos, recording the changes durably in the state log first.
    pub fn change(&mut self, changes: &[Change]) -> Result<(), CatalogError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.log(&LogLine::Changed(changes.to_vec()))?;
        for c in changes {
            self.apply(c);
        }
        Ok(())
    }
}
