//! One video: as a catalogue file writes it ([`Video`]), and as the catalogue keeps it ([`Rec`]).
//!
//! Why two shapes: a file is written by people (strings, optional fields, tags as a list or a
//! comma string); the catalogue keeps ten million of them, so it keeps times as seconds, and
//! statuses, storage locations and tags as small numbers naming an entry of [`Names`] (the same
//! numbers its indexes are keyed by).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::query;

/// One video of the catalogue file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Video {
    pub video_id: String,
    #[serde(default)]
    pub reference_id: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default)]
    pub category_id: Option<i64>,
    #[serde(default = "default_time")]
    pub creation_time: String,
    #[serde(default)]
    pub modification_time: Option<String>,
    #[serde(default)]
    pub size: Option<i64>,
    #[serde(default)]
    pub duration: Option<f64>,
    /// Comma-separated, as the API shows them; the file may also give a list (`tags: [a, b]`).
    #[serde(default, deserialize_with = "tags_text")]
    pub tags: Option<String>,
    #[serde(default)]
    pub storage_location: Option<String>,
    /// `Standard` (the default), `IA`, `Archive`, `ColdArchive`...
    #[serde(default)]
    pub storage_class: Option<String>,
    /// The cover's URL (`CoverURL`).
    #[serde(default, rename = "coverURL", alias = "coverUrl")]
    pub cover_url: Option<String>,
    /// DeleteVideo reports this video in `ForbiddenVideoIds` and leaves it.
    #[serde(default)]
    pub forbidden: bool,
    /// Where its objects live on the CDN (`cdn: {streams: [{format: m3u8|mp4, definition: HD}],
    /// directory: media/shared, domain: ...}`); default: HLS HD + MP4 SD in a directory of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdn: Option<crate::cdn::Layout>,
}

/// A video's tags from a catalogue file: a comma-separated string or a list (whose items may be
/// plain YAML scalars, such as `2023`).
fn tags_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error;
    let scalar = |v: Value| match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(D::Error::custom(format!("a tag is text, not {other}"))),
    };
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .into_iter()
                .map(scalar)
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
        ),
        Some(other) => Some(scalar(other)?),
    })
}

fn default_status() -> String {
    "Normal".into()
}

fn default_time() -> String {
    "2024-01-01T00:00:00Z".into()
}

/// Where a video without one is stored.
pub const DEFAULT_LOCATION: &str = "outin-emulator.oss-cn-shanghai.aliyuncs.com";

/// Splits a comma-separated tag list (empty items dropped, spaces trimmed).
pub fn split_tags(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|t| !t.is_empty())
}

/// Strings numbered in order of first sight: statuses, storage locations, tags.
#[derive(Debug, Default)]
pub struct Names {
    names: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl Names {
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct names");
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    pub fn id(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// The interned vocabularies of a catalogue.
#[derive(Debug, Default)]
pub struct Vocabulary {
    pub statuses: Names,
    pub locations: Names,
    pub tags: Names,
    pub classes: Names,
}

/// One video as the catalogue keeps it.
#[derive(Debug, Clone)]
pub struct Rec {
    pub id: Box<str>,
    pub title: Box<str>,
    pub reference_id: Option<Box<str>>,
    /// Interned in [`Vocabulary::tags`], in the video's order.
    pub tags: Box<[u32]>,
    pub created: i64,
    pub modified: i64,
    pub category: Option<i64>,
    pub size: Option<i64>,
    pub duration: Option<f64>,
    /// Interned in [`Vocabulary::statuses`].
    pub status: u32,
    /// Interned in [`Vocabulary::locations`].
    pub location: u32,
    /// Interned in [`Vocabulary::classes`].
    pub class: u32,
    /// Position in the file, so that a later duplicate of an ID wins.
    pub seq: u32,
    pub forbidden: bool,
    /// Where its objects live on the CDN, when the file said (the defaults otherwise).
    pub cdn: Option<Box<crate::cdn::Layout>>,
}

/// A timestamp of a catalogue file that is not RFC 3339.
#[derive(Debug)]
pub struct BadTime {
    pub video_id: String,
    pub field: &'static str,
    pub value: String,
}

impl Rec {
    pub fn from_video(v: Video, seq: u32, words: &mut Vocabulary) -> Result<Rec, BadTime> {
        let created = query::seconds(&v.creation_time).ok_or_else(|| BadTime {
            video_id: v.video_id.clone(),
            field: "creationTime",
            value: v.creation_time.clone(),
        })?;
        let modified = match &v.modification_time {
            None => created,
            Some(m) => query::seconds(m).ok_or_else(|| BadTime {
                video_id: v.video_id.clone(),
                field: "modificationTime",
                value: m.clone(),
            })?,
        };
        let cdn = v.cdn.map(Box::new);
        Ok(Rec {
            cdn,
            tags: v
                .tags
                .as_deref()
                .map(|t| split_tags(t).map(|t| words.tags.intern(t)).collect())
                .unwrap_or_default(),
            status: words.statuses.intern(&v.status),
            location: words
                .locations
                .intern(v.storage_location.as_deref().unwrap_or(DEFAULT_LOCATION)),
            class: words
                .classes
                .intern(v.storage_class.as_deref().unwrap_or("Standard")),
            id: v.video_id.into(),
            title: v.title.into(),
            reference_id: v.reference_id.map(Into::into),
            created,
            modified,
            category: v.category_id,
            size: v.size,
            duration: v.duration,
            seq,
            forbidden: v.forbidden,
        })
    }
}

/// Formats Unix seconds the way the API shows times.
pub fn api_time(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .map(crate::timefmt::format)
        .unwrap_or_default()
}
