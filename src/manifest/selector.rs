//! What a `match` entry says, and how one video is checked against it.
//!
//! Why here, in the manifest layer: a selector is part of what a team declares, and the check
//! needs nothing but the video's facts as plain values ([`VideoFacts`]), so the layers above
//! (`vod`, `state`, `selector`, `plan`) can all use it without the manifest knowing them.
//! [`VideoStatus`] is the one list of the API's video statuses: validation, the JSON Schema and
//! the selector's queries all read it.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::Serialize;
use time::OffsetDateTime;

/// A video status as the VOD API reports it (GetVideoInfos, GetVideoList, SearchMedia). Source:
/// the `Status` field of <https://www.alibabacloud.com/help/en/vod/api-getvideoinfos> and
/// <https://www.alibabacloud.com/help/en/vod/api-getvideolist>.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema, Serialize)]
pub enum VideoStatus {
    Uploading,
    UploadFail,
    UploadSucc,
    Transcoding,
    TranscodeFail,
    Blocked,
    Normal,
    Checking,
    ProduceFail,
}

impl VideoStatus {
    /// Every status, in the API documentation's order.
    pub const ALL: [VideoStatus; 9] = [
        VideoStatus::Uploading,
        VideoStatus::UploadFail,
        VideoStatus::UploadSucc,
        VideoStatus::Transcoding,
        VideoStatus::TranscodeFail,
        VideoStatus::Blocked,
        VideoStatus::Normal,
        VideoStatus::Checking,
        VideoStatus::ProduceFail,
    ];

    /// The API's name for this status.
    pub fn as_str(self) -> &'static str {
        match self {
            VideoStatus::Uploading => "Uploading",
            VideoStatus::UploadFail => "UploadFail",
            VideoStatus::UploadSucc => "UploadSucc",
            VideoStatus::Transcoding => "Transcoding",
            VideoStatus::TranscodeFail => "TranscodeFail",
            VideoStatus::Blocked => "Blocked",
            VideoStatus::Normal => "Normal",
            VideoStatus::Checking => "Checking",
            VideoStatus::ProduceFail => "ProduceFail",
        }
    }
}

impl fmt::Display for VideoStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not one of the API's statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus;

impl FromStr for VideoStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VideoStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(UnknownStatus)
    }
}

/// A `match` entry: a set of conditions that must all hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selector {
    /// Any of these statuses (empty: any status).
    pub status: Vec<VideoStatus>,
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
        (self.status.is_empty() || self.status.iter().any(|s| s.as_str() == v.status))
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
            let names: Vec<&str> = self.status.iter().map(|s| s.as_str()).collect();
            parts.push(format!("status in [{}]", names.join(", ")));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_their_api_names() {
        for s in VideoStatus::ALL {
            assert_eq!(s.as_str().parse::<VideoStatus>(), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!("Deleted".parse::<VideoStatus>(), Err(UnknownStatus));
        let sel = Selector {
            status: vec![VideoStatus::Blocked],
            ..Selector::default()
        };
        let facts = |status| VideoFacts {
            status,
            ..VideoFacts::default()
        };
        assert!(sel.matches(&facts("Blocked")));
        assert!(!sel.matches(&facts("Normal")));
    }
}
