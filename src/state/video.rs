//! The domain video: one video as vodplan reasons about it, read from the API's reply
//! ([`VideoInfo`], the wire type, which stays in `vod::api`) once, where the state is read.
//!
//! Statuses are an enum, tags a set cut once, times are times: selectors, the quarantine
//! decisions, the fingerprint and `apply`'s re-reads all use these values, and none of them parses
//! text again.

use time::OffsetDateTime;

use crate::ids::VideoId;
use crate::manifest::{Status, Tags, VideoFacts, VideoStatus};
use crate::timefmt;
use crate::vod::api::VideoInfo;

/// One video as read from GetVideoInfos, GetVideoList or SearchMedia.
#[derive(Debug, Clone, PartialEq)]
pub struct Video {
    pub id: VideoId,
    pub title: String,
    pub status: Status,
    /// Bytes of the source file.
    pub size: Option<i64>,
    /// `None`: not reported, or not a time the API's format can carry.
    pub created: Option<OffsetDateTime>,
    pub modified: Option<OffsetDateTime>,
    pub category_id: Option<i64>,
    /// The custom ID (`ReferenceId`), when it has a non-empty one.
    pub reference_id: Option<String>,
    /// The bucket holding the source file.
    pub storage_location: Option<String>,
    /// `Standard`, `IA`, `Archive`... when reported and non-empty.
    pub storage_class: Option<String>,
    pub tags: Tags,
    /// The cover's URL (a signed URL expires when URL signing is on).
    pub cover_url: Option<String>,
}

impl Video {
    /// Reads the API's description of a video; `None` when its ID is not a valid video ID (such
    /// a video cannot be named in any call, so it is not part of any plan).
    pub fn read(info: VideoInfo) -> Option<Video> {
        let id = VideoId::new(info.video_id).ok()?;
        Some(Video {
            id,
            title: info.title,
            status: Status::parse(&info.status),
            size: info.size,
            created: info.creation_time.as_deref().and_then(timefmt::parse),
            modified: info.modification_time.as_deref().and_then(timefmt::parse),
            category_id: info.cate_id,
            reference_id: info.reference_id.filter(|r| !r.is_empty()),
            storage_location: info.storage_location,
            storage_class: info.storage_class.filter(|c| !c.is_empty()),
            tags: Tags::read(info.tags),
            cover_url: info.cover_url,
        })
    }

    /// A video with this ID and nothing else known (for tests and benchmarks).
    pub fn new(id: VideoId) -> Video {
        Video {
            id,
            title: String::new(),
            status: Status::default(),
            size: None,
            created: None,
            modified: None,
            category_id: None,
            reference_id: None,
            storage_location: None,
            storage_class: None,
            tags: Tags::default(),
            cover_url: None,
        }
    }

    /// The facts selectors are checked against: borrowed, nothing parsed or allocated.
    pub fn facts(&self) -> VideoFacts<'_> {
        VideoFacts {
            status: &self.status,
            category_id: self.category_id,
            created: self.created,
            title: &self.title,
            storage_location: self.storage_location.as_deref(),
            tags: &self.tags,
        }
    }

    pub fn is_blocked(&self) -> bool {
        self.status.is(VideoStatus::Blocked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_read_into_types_once() {
        let v = Video::read(VideoInfo {
            video_id: "a".repeat(32),
            status: "Blocked".into(),
            creation_time: Some("2024-01-01T08:00:00+08:00".into()),
            modification_time: Some("not a time".into()),
            tags: Some(" x,, y ".into()),
            reference_id: Some(String::new()),
            storage_class: Some(String::new()),
            ..VideoInfo::default()
        })
        .unwrap();
        assert!(v.is_blocked());
        assert_eq!(
            v.created.map(timefmt::format).as_deref(),
            Some("2024-01-01T00:00:00Z")
        );
        assert_eq!(v.modified, None);
        assert_eq!(v.tags.as_str(), "x,y");
        assert_eq!((v.reference_id, v.storage_class), (None, None));
        let unknown = Video::read(VideoInfo {
            video_id: "b".repeat(32),
            status: "Archived".into(),
            ..VideoInfo::default()
        })
        .unwrap();
        assert_eq!(unknown.status, Status::Other("Archived".into()));
        assert!(Video::read(VideoInfo::default()).is_none());
    }
}
