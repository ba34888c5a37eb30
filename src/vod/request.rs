//! The requests vodplan sends, one typed struct per action, each turning itself into the wire's
//! query parameters in one place ([`Request::params`]).
//!
//! Why: callers say what they mean (`&[VideoId]`, a [`VideoStatus`] list, a page number as a
//! number) and cannot misspell a parameter name, join a list with the wrong separator or send
//! the same action with a different shape from two places. The wire bytes are what the
//! documentation shows (https://help.aliyun.com/document_detail/52837.html
//! DeleteVideo, https://help.aliyun.com/document_detail/89742.html GetVideoInfos,
//! https://help.aliyun.com/document_detail/52838.html GetVideoList,
//! https://help.aliyun.com/document_detail/86044.html SearchMedia,
//! https://help.aliyun.com/document_detail/89563.html CreateAudit,
//! https://www.alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-updatevideoinfos
//! UpdateVideoInfos); [`super::Client::call`] signs and sends them.
//!
//! The STS calls of the credential providers (`AssumeRole`, `AssumeRoleWithOIDC`) do not go
//! through the VOD client (they are how it gets its key); they are built in
//! `credentials::sts` (typed there as `sts::RoleRequest`).

use serde::de::DeserializeOwned;
use serde_json::json;
use time::OffsetDateTime;

use super::api::{
    Action, CreateAuditResponse, DeleteVideoResponse, GetAuditHistoryResponse,
    GetVideoInfosResponse, GetVideoListResponse, SearchMediaResponse, UpdateVideoInfosResponse,
};
use crate::ids::{ReferenceId, VideoId};
use crate::manifest::VideoStatus;
use crate::timefmt;

/// One VOD API request: which action, its parameters on the wire, and the reply it gets.
pub trait Request {
    /// The action it calls (also chooses the pacer).
    const ACTION: Action;
    /// The reply's body.
    type Reply: DeserializeOwned;
    /// The query parameters, without the common ones (`Action`, `Version`, signature...) the
    /// client adds.
    fn params(&self) -> Vec<(&'static str, String)>;
}

/// DeleteVideo for up to [`super::MAX_IDS_PER_CALL`] videos.
#[derive(Debug, Clone, Copy)]
pub struct DeleteVideo<'a> {
    pub video_ids: &'a [VideoId],
}

impl Request for DeleteVideo<'_> {
    const ACTION: Action = Action::DeleteVideo;
    type Reply = DeleteVideoResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("VideoIds", join(self.video_ids.iter().map(VideoId::as_str)))]
    }
}

/// GetVideoInfos for up to [`super::MAX_IDS_PER_CALL`] video IDs and as many reference IDs; an
/// empty list is left out.
#[derive(Debug, Clone, Copy)]
pub struct GetVideoInfos<'a> {
    pub video_ids: &'a [VideoId],
    pub reference_ids: &'a [ReferenceId],
}

impl Request for GetVideoInfos<'_> {
    const ACTION: Action = Action::GetVideoInfos;
    type Reply = GetVideoInfosResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if !self.video_ids.is_empty() {
            params.push(("VideoIds", join(self.video_ids.iter().map(VideoId::as_str))));
        }
        if !self.reference_ids.is_empty() {
            params.push((
                "ReferenceIds",
                join(self.reference_ids.iter().map(ReferenceId::as_str)),
            ));
        }
        params
    }
}

/// How a listing is ordered (`SortBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// Oldest first: `CreationTime:Asc`.
    CreationTimeAsc,
}

impl SortBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::CreationTimeAsc => "CreationTime:Asc",
        }
    }
}

/// One page of GetVideoList over the creation times `[start_time, end_time]`, filtered by the
/// server (an empty status list or `None` filters nothing).
#[derive(Debug, Clone, Copy)]
pub struct GetVideoList<'a> {
    pub start_time: OffsetDateTime,
    pub end_time: OffsetDateTime,
    /// 1-based.
    pub page_no: u64,
    /// At most 100.
    pub page_size: u64,
    pub sort_by: SortBy,
    pub status: &'a [VideoStatus],
    pub cate_id: Option<i64>,
    pub storage_location: Option<&'a str>,
}

impl Request for GetVideoList<'_> {
    const ACTION: Action = Action::GetVideoList;
    type Reply = GetVideoListResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![
            ("StartTime", timefmt::format(self.start_time)),
            ("EndTime", timefmt::format(self.end_time)),
            ("PageNo", self.page_no.to_string()),
            ("PageSize", self.page_size.to_string()),
            ("SortBy", self.sort_by.as_str().to_string()),
        ];
        if !self.status.is_empty() {
            params.push(("Status", join(self.status.iter().map(|s| s.as_str()))));
        }
        if let Some(c) = self.cate_id {
            params.push(("CateId", c.to_string()));
        }
        if let Some(l) = self.storage_location {
            params.push(("StorageLocation", l.to_string()));
        }
        params
    }
}

/// What SearchMedia searches (`SearchType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchType {
    Video,
}

impl SearchType {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchType::Video => "video",
        }
    }
}

/// Which page of a SearchMedia result: by number, or the continuation of a ScrollToken
/// traversal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page<'a> {
    No(u64),
    Scroll(&'a str),
}

/// The video fields vodplan reads ([`super::api::VideoInfo`]), asked of SearchMedia (`Fields`).
pub const VIDEO_FIELDS: [&str; 10] = [
    "Title",
    "Status",
    "CateId",
    "Size",
    "Duration",
    "CreationTime",
    "ModificationTime",
    "ReferenceId",
    "StorageLocation",
    "Tags",
];

/// One page of SearchMedia: the videos created in `[created_from, created_to)` that match
/// `conditions` (a `Match` expression, empty for none).
#[derive(Debug, Clone, Copy)]
pub struct SearchMedia<'a> {
    pub search_type: SearchType,
    pub conditions: &'a str,
    pub created_from: OffsetDateTime,
    pub created_to: OffsetDateTime,
    pub sort_by: SortBy,
    /// At most 100.
    pub page_size: u64,
    pub fields: &'a [&'a str],
    pub page: Page<'a>,
}

impl SearchMedia<'_> {
    /// The `Match` expression: the conditions and the creation-time range. The media search
    /// protocol's range: `[` includes its bound, `)` excludes it
    /// (https://help.aliyun.com/document_detail/86991.html), so the window is half-open.
    pub fn match_expression(&self) -> String {
        let within = format!(
            "CreationTime = ['{}','{}')",
            timefmt::format(self.created_from),
            timefmt::format(self.created_to)
        );
        if self.conditions.is_empty() {
            within
        } else {
            format!("{} and {within}", self.conditions)
        }
    }
}

impl Request for SearchMedia<'_> {
    const ACTION: Action = Action::SearchMedia;
    type Reply = SearchMediaResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![
            ("SearchType", self.search_type.as_str().to_string()),
            ("Match", self.match_expression()),
            ("SortBy", self.sort_by.as_str().to_string()),
            ("PageSize", self.page_size.to_string()),
            ("Fields", self.fields.join(",")),
        ];
        match self.page {
            Page::Scroll(token) => params.push(("ScrollToken", token.to_string())),
            Page::No(n) => params.push(("PageNo", n.to_string())),
        }
        params
    }
}

/// The audit status CreateAudit sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditStatus {
    Blocked,
    Normal,
}

impl AuditStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditStatus::Blocked => "Blocked",
            AuditStatus::Normal => "Normal",
        }
    }
}

/// GetAuditHistory: the newest `page_size` (at most 100) manual review records of one video
/// (https://help.aliyun.com/document_detail/89515.html: `VideoId`, `PageNo`, `PageSize`,
/// `SortBy` `CreationTime:Desc` by default).
#[derive(Debug, Clone, Copy)]
pub struct GetAuditHistory<'a> {
    pub video_id: &'a VideoId,
    pub page_size: u32,
}

impl Request for GetAuditHistory<'_> {
    const ACTION: Action = Action::GetAuditHistory;
    type Reply = GetAuditHistoryResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("VideoId", self.video_id.as_str().to_string()),
            ("PageNo", "1".to_string()),
            ("PageSize", self.page_size.to_string()),
            ("SortBy", "CreationTime:Desc".to_string()),
        ]
    }
}

/// An audit item CreateAudit writes: the video, its reason and comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditItem {
    pub video_id: VideoId,
    /// Required when blocking (at most 128 bytes); not sent when empty.
    pub reason: String,
    /// At most 512 bytes; not sent when empty.
    pub comment: String,
}

/// CreateAudit for up to [`super::api::MAX_AUDIT_ITEMS`] videos, all set to `status`, each with
/// its reason (at most 128 bytes, required when blocking, not sent when unblocking). The list
/// goes as one JSON array in `AuditContent`.
#[derive(Debug, Clone, Copy)]
pub struct CreateAudit<'a> {
    pub items: &'a [AuditItem],
    pub status: AuditStatus,
}

impl Request for CreateAudit<'_> {
    const ACTION: Action = Action::CreateAudit;
    type Reply = CreateAuditResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        let status = self.status.as_str();
        let content: Vec<serde_json::Value> = self
            .items
            .iter()
            .map(|item| {
                let mut v = json!({"VideoId": item.video_id.as_str(), "Status": status});
                if self.status == AuditStatus::Blocked || !item.reason.is_empty() {
                    v["Reason"] = item.reason.clone().into();
                }
                if !item.comment.is_empty() {
                    v["Comment"] = item.comment.clone().into();
                }
                v
            })
            .collect();
        vec![("AuditContent", serde_json::Value::from(content).to_string())]
    }
}

/// UpdateVideoInfos setting the whole tag list (comma-separated) of up to
/// [`super::api::MAX_UPDATE_ITEMS`] videos. The list goes as one JSON array in `UpdateContent`.
#[derive(Debug, Clone, Copy)]
pub struct SetTags<'a> {
    pub items: &'a [(VideoId, String)],
}

impl Request for SetTags<'_> {
    const ACTION: Action = Action::UpdateVideoInfos;
    type Reply = UpdateVideoInfosResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        let content: Vec<serde_json::Value> = self
            .items
            .iter()
            .map(|(id, tags)| json!({"VideoId": id.as_str(), "Tags": tags}))
            .collect();
        vec![(
            "UpdateContent",
            serde_json::Value::from(content).to_string(),
        )]
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vids(ids: &[&str]) -> Vec<VideoId> {
        ids.iter().map(|s| VideoId::new(*s).unwrap()).collect()
    }

    fn at(s: &str) -> OffsetDateTime {
        timefmt::parse(s).unwrap()
    }

    #[test]
    fn delete_video_sends_the_ids_comma_separated() {
        let ids = vids(&["a1b2c3d4e5", "f6e5d4c3b2"]);
        let r = DeleteVideo { video_ids: &ids };
        assert_eq!(DeleteVideo::ACTION, Action::DeleteVideo);
        assert_eq!(
            r.params(),
            [("VideoIds", "a1b2c3d4e5,f6e5d4c3b2".to_string())]
        );
    }

    #[test]
    fn get_video_infos_sends_video_ids_and_reference_ids_apart_and_leaves_out_empty_lists() {
        let ids = vids(&["a1b2c3d4e5", "f6e5d4c3b2"]);
        let refs: Vec<ReferenceId> = ["ref-001", "ref_002"]
            .iter()
            .map(|s| ReferenceId::new(*s).unwrap())
            .collect();
        let both = GetVideoInfos {
            video_ids: &ids,
            reference_ids: &refs,
        };
        assert_eq!(
            both.params(),
            [
                ("VideoIds", "a1b2c3d4e5,f6e5d4c3b2".to_string()),
                ("ReferenceIds", "ref-001,ref_002".to_string()),
            ]
        );
        let only_videos = GetVideoInfos {
            video_ids: &ids[..1],
            reference_ids: &[],
        };
        assert_eq!(
            only_videos.params(),
            [("VideoIds", "a1b2c3d4e5".to_string())]
        );
        let only_refs = GetVideoInfos {
            video_ids: &[],
            reference_ids: &refs[1..],
        };
        assert_eq!(
            only_refs.params(),
            [("ReferenceIds", "ref_002".to_string())]
        );
    }

    #[test]
    fn search_media_puts_the_half_open_window_in_match_and_pages_by_number_or_token() {
        let first = SearchMedia {
            search_type: SearchType::Video,
            conditions: "Status in ('Normal','Blocked') and CateId = 7",
            created_from: at("2024-01-01T00:00:00Z"),
            created_to: at("2024-01-01T00:00:01Z"),
            sort_by: SortBy::CreationTimeAsc,
            page_size: 100,
            fields: &VIDEO_FIELDS,
            page: Page::No(1),
        };
        assert_eq!(SearchMedia::ACTION, Action::SearchMedia);
        assert_eq!(
            first.params(),
            [
                ("SearchType", "video".to_string()),
                (
                    "Match",
                    "Status in ('Normal','Blocked') and CateId = 7 and CreationTime = ['2024-01-01T00:00:00Z','2024-01-01T00:00:01Z')".to_string()
                ),
                ("SortBy", "CreationTime:Asc".to_string()),
                ("PageSize", "100".to_string()),
                (
                    "Fields",
                    "Title,Status,CateId,Size,Duration,CreationTime,ModificationTime,ReferenceId,StorageLocation,Tags".to_string()
                ),
                ("PageNo", "1".to_string()),
            ]
        );
        let next = SearchMedia {
            conditions: "",
            page: Page::Scroll("tok-1"),
            ..first
        };
        let params = next.params();
        assert_eq!(
            params[1],
            (
                "Match",
                "CreationTime = ['2024-01-01T00:00:00Z','2024-01-01T00:00:01Z')".to_string()
            )
        );
        assert_eq!(params[5], ("ScrollToken", "tok-1".to_string()));
        assert_eq!(params.len(), 6);
    }

    #[test]
    fn get_video_list_sends_only_the_filters_it_has() {
        let all = GetVideoList {
            start_time: at("2024-01-01T00:00:00Z"),
            end_time: at("2024-02-01T00:00:00Z"),
            page_no: 3,
            page_size: 100,
            sort_by: SortBy::CreationTimeAsc,
            status: &[VideoStatus::Normal, VideoStatus::UploadFail],
            cate_id: Some(42),
            storage_location: Some("out-1.oss-cn-shanghai.aliyuncs.com"),
        };
        assert_eq!(
            all.params(),
            [
                ("StartTime", "2024-01-01T00:00:00Z".to_string()),
                ("EndTime", "2024-02-01T00:00:00Z".to_string()),
                ("PageNo", "3".to_string()),
                ("PageSize", "100".to_string()),
                ("SortBy", "CreationTime:Asc".to_string()),
                ("Status", "Normal,UploadFail".to_string()),
                ("CateId", "42".to_string()),
                (
                    "StorageLocation",
                    "out-1.oss-cn-shanghai.aliyuncs.com".to_string()
                ),
            ]
        );
        let none = GetVideoList {
            status: &[],
            cate_id: None,
            storage_location: None,
            ..all
        };
        assert_eq!(none.params().len(), 5);
    }

    #[test]
    fn get_audit_history_asks_for_the_newest_records_first() {
        let id = vids(&["a1b2c3d4e5"])[0].clone();
        let r = GetAuditHistory {
            video_id: &id,
            page_size: 1,
        };
        assert_eq!(r.params().len(), 4);
        assert!(
            r.params()
                .contains(&("SortBy", "CreationTime:Desc".to_string()))
        );
        assert!(r.params().contains(&("PageSize", "1".to_string())));
        assert_eq!(GetAuditHistory::ACTION, Action::GetAuditHistory);
    }

    #[test]
    fn create_audit_sends_reasons_only_when_blocking_and_set_tags_sends_the_tag_list() {
        let items = vec![AuditItem {
            video_id: vids(&["a1b2c3d4e5"])[0].clone(),
            reason: "quarantine".to_string(),
            comment: String::new(),
        }];
        let block = CreateAudit {
            items: &items,
            status: AuditStatus::Blocked,
        };
        assert_eq!(
            block.params(),
            [(
                "AuditContent",
                r#"[{"Reason":"quarantine","Status":"Blocked","VideoId":"a1b2c3d4e5"}]"#
                    .to_string()
            )]
        );
        let unblock_items = vec![AuditItem {
            reason: String::new(),
            ..items[0].clone()
        }];
        let unblock = CreateAudit {
            status: AuditStatus::Normal,
            items: &unblock_items,
        };
        assert_eq!(
            unblock.params(),
            [(
                "AuditContent",
                r#"[{"Status":"Normal","VideoId":"a1b2c3d4e5"}]"#.to_string()
            )]
        );
        assert_eq!(SetTags::ACTION, Action::UpdateVideoInfos);
        assert_eq!(
            SetTags {
                items: &[(items[0].video_id.clone(), "quarantine".to_string())]
            }
            .params(),
            [(
                "UpdateContent",
                r#"[{"Tags":"quarantine","VideoId":"a1b2c3d4e5"}]"#.to_string()
            )]
        );
    }
}
