//! A video's fingerprint: what was observed of it when the plan was made, compared again at apply
//! time. Its own file so that the plan model (`mod.rs`) and the quarantine decisions can both use
//! it without a file-level import cycle (checked by `tests/it/layering.rs`).

use serde::{Deserialize, Serialize};

use crate::state::Video;
use crate::timefmt;

/// What was observed of a video when the plan was made. A saved plan is refused at apply time
/// when any of these changed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fingerprint {
    pub status: String,
    // Absent values are left out of the saved plan (a missing field reads as none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modification_time: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    /// The video's tags (quarantine state lives there); absent in plans made before quarantine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
    /// The video's category (`CateId`); absent in plans made before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<i64>,
    /// The storage class (`StorageClass`); absent in plans made before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

impl Fingerprint {
    /// The record of a video as read (times in the API's format, tags as the API's list).
    pub fn of(video: &Video) -> Fingerprint {
        Fingerprint {
            status: video.status.as_str().to_string(),
            size: video.size,
            creation_time: video.created.map(timefmt::format),
            modification_time: video.modified.map(timefmt::format),
            title: video.title.clone(),
            reference_id: video.reference_id.clone(),
            tags: Some(video.tags.as_str().to_string()).filter(|t| !t.is_empty()),
            category_id: video.category_id,
            storage_class: video.storage_class.clone(),
        }
    }

    /// The tags as a list.
    pub fn tag_list(&self) -> Vec<&str> {
        self.tags
            .as_deref()
            .map(|t| t.split(',').filter(|t| !t.is_empty()).collect())
            .unwrap_or_default()
    }

    /// What differs from `now`, as `field: before -> after` phrases.
    pub fn changes(&self, now: &Fingerprint) -> Vec<String> {
        fn opt<T: std::fmt::Debug>(v: &Option<T>) -> String {
            match v {
                Some(v) => format!("{v:?}"),
                None => "none".into(),
            }
        }
        let mut out = Vec::new();
        if self.status != now.status {
            out.push(format!("status {:?} -> {:?}", self.status, now.status));
        }
        if self.size != now.size {
            out.push(format!("size {} -> {}", opt(&self.size), opt(&now.size)));
        }
        if self.creation_time != now.creation_time {
            out.push(format!(
                "creationTime {} -> {}",
                opt(&self.creation_time),
                opt(&now.creation_time)
            ));
        }
        if self.modification_time != now.modification_time {
            out.push(format!(
                "modificationTime {} -> {}",
                opt(&self.modification_time),
                opt(&now.modification_time)
            ));
        }
        if self.title != now.title {
            out.push(format!("title {:?} -> {:?}", self.title, now.title));
        }
        if self.tags != now.tags {
            out.push(format!("tags {} -> {}", opt(&self.tags), opt(&now.tags)));
        }
        // Category and storage class are compared only where the plan recorded them (a plan
        // made before they were recorded is judged on what it has).
        if self.category_id.is_some() && self.category_id != now.category_id {
            out.push(format!(
                "categoryId {} -> {}",
                opt(&self.category_id),
                opt(&now.category_id)
            ));
        }
        if self.storage_class.is_some() && self.storage_class != now.storage_class {
            out.push(format!(
                "storageClass {} -> {}",
                opt(&self.storage_class),
                opt(&now.storage_class)
            ));
        }
        if self.reference_id != now.reference_id {
            out.push(format!(
                "referenceId {} -> {}",
                opt(&self.reference_id),
                opt(&now.reference_id)
            ));
        }
        out
    }
}
