//! A video's fingerprint: what was observed of it when the plan was made, compared again at apply
//! time. Its own file so that the plan model (`mod.rs`) and the quarantine decisions can both use
//! it without a file-level import cycle.

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

    /// What differs from `now`, field by field, in this order.
    pub fn changes(&self, now: &Fingerprint) -> Vec<Change> {
        fn pair<T: Clone>(a: &T, b: &T) -> Was<T> {
            Was {
                before: a.clone(),
                after: b.clone(),
            }
        }
        let mut out = Vec::new();
        if self.status != now.status {
            out.push(Change::Status(pair(&self.status, &now.status)));
        }
        if self.size != now.size {
            out.push(Change::Size(pair(&self.size, &now.size)));
        }
        if self.creation_time != now.creation_time {
            out.push(Change::CreationTime(pair(
                &self.creation_time,
                &now.creation_time,
            )));
        }
        if self.modification_time != now.modification_time {
            out.push(Change::ModificationTime(pair(
                &self.modification_time,
                &now.modification_time,
            )));
        }
        if self.title != now.title {
            out.push(Change::Title(pair(&self.title, &now.title)));
        }
        if self.tags != now.tags {
            out.push(Change::Tags(pair(&self.tags, &now.tags)));
        }
        // Category and storage class are compared only where the plan recorded them (a plan
        // made before they were recorded is judged on what it has).
        if self.category_id.is_some() && self.category_id != now.category_id {
            out.push(Change::CategoryId(pair(
                &self.category_id,
                &now.category_id,
            )));
        }
        if self.storage_class.is_some() && self.storage_class != now.storage_class {
            out.push(Change::StorageClass(pair(
                &self.storage_class,
                &now.storage_class,
            )));
        }
        if self.reference_id != now.reference_id {
            out.push(Change::ReferenceId(pair(
                &self.reference_id,
                &now.reference_id,
            )));
        }
        out
    }
}

/// A value as planned and as read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Was<T> {
    pub before: T,
    pub after: T,
}

/// One field of a video that changed since the plan was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Status(Was<String>),
    Size(Was<Option<i64>>),
    CreationTime(Was<Option<String>>),
    ModificationTime(Was<Option<String>>),
    Title(Was<String>),
    Tags(Was<Option<String>>),
    CategoryId(Was<Option<i64>>),
    StorageClass(Was<Option<String>>),
    ReferenceId(Was<Option<String>>),
}

/// For people: `field before -> after`, text quoted, an absent value `none`.
impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Opt<'a, T>(&'a Option<T>);
        impl<T: std::fmt::Debug> std::fmt::Display for Opt<'_, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.0 {
                    Some(v) => write!(f, "{v:?}"),
                    None => f.write_str("none"),
                }
            }
        }
        fn opt<T: std::fmt::Debug>(
            f: &mut std::fmt::Formatter<'_>,
            name: &str,
            w: &Was<Option<T>>,
        ) -> std::fmt::Result {
            write!(f, "{name} {} -> {}", Opt(&w.before), Opt(&w.after))
        }
        match self {
            Change::Status(w) => write!(f, "status {:?} -> {:?}", w.before, w.after),
            Change::Size(w) => opt(f, "size", w),
            Change::CreationTime(w) => opt(f, "creationTime", w),
            Change::ModificationTime(w) => opt(f, "modificationTime", w),
            Change::Title(w) => write!(f, "title {:?} -> {:?}", w.before, w.after),
            Change::Tags(w) => opt(f, "tags", w),
            Change::CategoryId(w) => opt(f, "categoryId", w),
            Change::StorageClass(w) => opt(f, "storageClass", w),
            Change::ReferenceId(w) => opt(f, "referenceId", w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_field_before_and_after() {
        let before = Fingerprint {
            status: "Normal".into(),
            size: Some(10),
            tags: Some("a".into()),
            category_id: Some(1),
            ..Fingerprint::default()
        };
        let now = Fingerprint {
            status: "Blocked".into(),
            size: None,
            title: "t".into(),
            tags: Some("a,b".into()),
            category_id: Some(2),
            reference_id: Some("ref-001".into()),
            ..Fingerprint::default()
        };
        let text: Vec<String> = before.changes(&now).iter().map(|c| c.to_string()).collect();
        assert_eq!(
            text,
            [
                r#"status "Normal" -> "Blocked""#,
                "size 10 -> none",
                r#"title "" -> "t""#,
                r#"tags "a" -> "a,b""#,
                "categoryId 1 -> 2",
                r#"referenceId none -> "ref-001""#,
            ]
        );
        assert!(now.changes(&now).is_empty());
    }
}
