//! The emulator's catalogue: the videos it serves, loaded from a YAML or JSON file, and the
//! deletion log (`--state FILE`) that makes deletions survive a restart.

pub mod query;

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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
    /// DeleteVideo reports this video in `ForbiddenVideoIds` and leaves it.
    #[serde(default)]
    pub forbidden: bool,
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

/// Where a video without one is stored.
pub const DEFAULT_LOCATION: &str = "outin-emulator.oss-cn-shanghai.aliyuncs.com";

impl query::Subject for Video {
    fn video_id(&self) -> &str {
        &self.video_id
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn has_tag(&self, tag: &str) -> bool {
        self.tags
            .as_deref()
            .is_some_and(|t| t.split(',').any(|own| own.trim() == tag))
    }
    fn status(&self) -> &str {
        &self.status
    }
    fn category(&self) -> Option<i64> {
        self.category_id
    }
    fn storage_location(&self) -> &str {
        self.storage_location.as_deref().unwrap_or(DEFAULT_LOCATION)
    }
    fn created(&self) -> i64 {
        query::seconds(&self.creation_time).unwrap_or(i64::MIN)
    }
    fn modified(&self) -> i64 {
        self.modification_time
            .as_deref()
            .and_then(query::seconds)
            .unwrap_or_else(|| self.created())
    }
}

fn default_status() -> String {
    "Normal".into()
}

fn default_time() -> String {
    "2024-01-01T00:00:00Z".into()
}

impl Video {
    /// The video as GetVideoInfos and GetVideoList describe it.
    pub fn to_api(&self) -> Value {
        let mut v = json!({
            "VideoId": self.video_id,
            "Title": self.title,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "ModificationTime": self.modification_time.as_deref().unwrap_or(&self.creation_time),
            "StorageLocation": self.storage_location.as_deref().unwrap_or(DEFAULT_LOCATION),
            "StorageClass": "Standard",
            "AppId": "app-1000000",
            "DownloadSwitch": "on",
            "Snapshots": [],
        });
        let m = v.as_object_mut().expect("built as an object");
        if let Some(size) = self.size {
            m.insert("Size".into(), json!(size));
        }
        if let Some(d) = self.duration {
            m.insert("Duration".into(), json!(d));
        }
        if let Some(c) = self.category_id {
            m.insert("CateId".into(), json!(c));
            m.insert("CateName".into(), json!(format!("category {c}")));
        }
        if let Some(r) = &self.reference_id {
            m.insert("ReferenceId".into(), json!(r));
        }
        if let Some(t) = &self.tags {
            m.insert("Tags".into(), json!(t));
        }
        v
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    videos: Vec<Video>,
}

/// The videos the emulator holds now.
#[derive(Debug, Default)]
pub struct Catalog {
    videos: BTreeMap<String, Video>,
    by_reference: HashMap<String, String>,
    state: Option<StateLog>,
}

#[derive(Debug)]
struct StateLog {
    path: PathBuf,
    file: File,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct CatalogError {
    pub path: String,
    pub reason: String,
}

impl Catalog {
    pub fn from_videos(videos: impl IntoIterator<Item = Video>) -> Catalog {
        let mut c = Catalog::default();
        for v in videos {
            c.insert(v);
        }
        c
    }

    fn insert(&mut self, v: Video) {
        if let Some(r) = &v.reference_id {
            self.by_reference.insert(r.clone(), v.video_id.clone());
        }
        self.videos.insert(v.video_id.clone(), v);
    }

    /// Loads a catalogue file (YAML or JSON).
    pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
        let err = |reason: String| CatalogError {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let mut options = serde_saphyr::options! {};
        let mut budget = options.budget.take().unwrap_or_default();
        budget.max_nodes = 50_000_000;
        budget.max_events = 100_000_000;
        budget.max_total_scalar_bytes = 1 << 31;
        budget.max_reader_input_bytes = Some(1 << 31);
        options.budget = Some(budget);
        options.with_snippet = false;
        let file: CatalogFile =
            serde_saphyr::from_str_with_options(&text, options).map_err(|e| err(e.to_string()))?;
        Ok(Catalog::from_videos(file.videos))
    }

    /// Attaches a deletion log: deletions recorded there earlier are replayed, later ones appended.
    pub fn attach_state(&mut self, path: &Path) -> Result<(), CatalogError> {
        let err = |e: std::io::Error| CatalogError {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        if let Ok(f) = File::open(path) {
            for line in BufReader::new(f).lines() {
                let line = line.map_err(err)?;
                // A torn last line (killed mid-write) holds nothing that was acknowledged.
                if let Ok(ids) = serde_json::from_str::<Vec<String>>(&line) {
                    for id in ids {
                        self.remove(&id);
                    }
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        self.state = Some(StateLog {
            path: path.to_path_buf(),
            file,
        });
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.videos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.videos.is_empty()
    }

    pub fn get(&self, video_id: &str) -> Option<&Video> {
        self.videos.get(video_id)
    }

    pub fn by_reference(&self, reference_id: &str) -> Option<&Video> {
        self.by_reference
            .get(reference_id)
            .and_then(|v| self.videos.get(v))
    }

    pub fn videos(&self) -> impl Iterator<Item = &Video> {
        self.videos.values()
    }

    fn remove(&mut self, video_id: &str) -> Option<Video> {
        let v = self.videos.remove(video_id)?;
        if let Some(r) = &v.reference_id {
            self.by_reference.remove(r);
        }
        Some(v)
    }

    /// Deletes videos, recording them durably in the state log first.
    pub fn delete(&mut self, video_ids: &[String]) -> Result<(), CatalogError> {
        if video_ids.is_empty() {
            return Ok(());
        }
        if let Some(state) = &mut self.state {
            let err = |e: std::io::Error| CatalogError {
                path: state.path.display().to_string(),
                reason: e.to_string(),
            };
            let mut line = serde_json::to_string(video_ids).expect("strings serialize");
            line.push('\n');
            state.file.write_all(line.as_bytes()).map_err(err)?;
            state.file.sync_data().map_err(err)?;
        }
        for id in video_ids {
            self.remove(id);
        }
        Ok(())
    }
}
