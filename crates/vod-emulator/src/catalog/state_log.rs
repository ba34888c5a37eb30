//! The state log (`--state FILE`): every change the emulator acknowledged, one JSON line each,
//! written and synced before the answer, replayed on start, so that a restart loses nothing.
//!
//! A deletion is a JSON array of video IDs (the format of earlier versions, still read); an audit
//! or an info update is an object (`{"status": ...}`, `{"info": ...}`). A torn last line (killed
//! mid-write) holds nothing that was acknowledged, and is skipped.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::CatalogError;

/// A change to a video's audit status or information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Change {
    /// CreateAudit: the video's status becomes `status`, and the review is recorded in its audit
    /// history (older logs carry no reason, comment, auditor or time).
    #[serde(rename_all = "camelCase")]
    Status {
        video_id: String,
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auditor: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time: Option<String>,
    },
    /// UpdateVideoInfos: the given fields replace the video's.
    Info(InfoUpdate),
}

/// The fields UpdateVideoInfos changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InfoUpdate {
    pub video_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Replaces all tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cate_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_url: Option<String>,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LogLine {
    Deleted(Vec<String>),
    Changed(Vec<Change>),
}

#[derive(Debug)]
pub struct StateLog {
    path: PathBuf,
    file: File,
}

impl StateLog {
    /// Opens (creating) the log for appending, and returns what it held.
    pub fn open(path: &Path) -> Result<(StateLog, Vec<LogLine>), CatalogError> {
        let err = |e: std::io::Error| CatalogError {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut entries = Vec::new();
        if let Ok(f) = File::open(path) {
            for line in BufReader::new(f).lines() {
                if let Ok(entry) = serde_json::from_str::<LogLine>(&line.map_err(err)?) {
                    entries.push(entry);
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        let log = StateLog {
            path: path.to_path_buf(),
            file,
        };
        Ok((log, entries))
    }

    /// Appends `entry` durably.
    pub fn append(&mut self, entry: &LogLine) -> Result<(), CatalogError> {
        let err = |e: std::io::Error| CatalogError {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        };
        let mut line = serde_json::to_string(entry).expect("entries serialize");
        line.push('\n');
        self.file.write_all(line.as_bytes()).map_err(err)?;
        self.file.sync_data().map_err(err)
    }
}
