//! The API's actions and replies, with the wire's field names (the requests are in
//! [`super::request`]).
//!
//! Lists that the documentation shows both as JSON arrays and (in one old page) as plain
//! comma-separated strings are read either way; a missing list is an empty one.

use serde::{Deserialize, Deserializer, Serialize};

/// The VOD API version every call names.
pub const API_VERSION: &str = "2017-03-21";

/// The most IDs DeleteVideo and GetVideoInfos accept in one call.
pub const MAX_IDS_PER_CALL: usize = 20;

/// The operations vodplan calls, with their per-account QPS limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    DeleteVideo,
    GetVideoInfos,
    GetVideoList,
    SearchMedia,
    CreateAudit,
    UpdateVideoInfos,
    GetAuditHistory,
    GetPlayInfo,
    DescribeVodUserDomains,
    RefreshVodObjectCaches,
    DescribeVodRefreshQuota,
    DescribeVodRefreshTasks,
}

impl Action {
    /// Every operation vodplan calls.
    pub const ALL: [Action; 12] = [
        Action::DeleteVideo,
        Action::GetVideoInfos,
        Action::GetVideoList,
        Action::SearchMedia,
        Action::CreateAudit,
        Action::UpdateVideoInfos,
        Action::GetAuditHistory,
        Action::GetPlayInfo,
        Action::DescribeVodUserDomains,
        Action::RefreshVodObjectCaches,
        Action::DescribeVodRefreshQuota,
        Action::DescribeVodRefreshTasks,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::DeleteVideo => "DeleteVideo",
            Action::GetVideoInfos => "GetVideoInfos",
            Action::GetVideoList => "GetVideoList",
            Action::SearchMedia => "SearchMedia",
            Action::CreateAudit => "CreateAudit",
            Action::UpdateVideoInfos => "UpdateVideoInfos",
            Action::GetAuditHistory => "GetAuditHistory",
            Action::GetPlayInfo => "GetPlayInfo",
            Action::DescribeVodUserDomains => "DescribeVodUserDomains",
            Action::RefreshVodObjectCaches => "RefreshVodObjectCaches",
            Action::DescribeVodRefreshQuota => "DescribeVodRefreshQuota",
            Action::DescribeVodRefreshTasks => "DescribeVodRefreshTasks",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The documented per-account QPS limit. GetVideoList may now be 50 (unverified), so 50.
    pub fn qps_limit(self) -> f64 {
        match self {
            Action::DeleteVideo => 30.0,
            Action::GetVideoInfos => 100.0,
            Action::GetVideoList | Action::SearchMedia => 50.0,
            // UpdateVideoInfos: 30/s (QPS table). CreateAudit: not documented; the same as the
            // other write operations, 30/s.
            Action::UpdateVideoInfos | Action::CreateAudit => 30.0,
            // GetAuditHistory: not documented [unverified]; kept with the listing calls.
            Action::GetAuditHistory => 50.0,
            // GetPlayInfo: 360/s (QPS table). The CDN actions are not in it [unverified]: DCDN's
            // purge allows 30/s and its quota query 20/s
            // (https://www.alibabacloud.com/help/doc-detail/130620.htm, /131402.htm); the
            // stricter 20/s for the other reads too.
            Action::GetPlayInfo => 360.0,
            Action::RefreshVodObjectCaches => 30.0,
            Action::DescribeVodUserDomains
            | Action::DescribeVodRefreshQuota
            | Action::DescribeVodRefreshTasks => 20.0,
        }
    }

    /// Served only at the China (Shanghai) endpoint, whatever the videos' region
    /// (https://help.aliyun.com/document_detail/69215.html).
    pub fn shanghai_only(self) -> bool {
        matches!(
            self,
            Action::RefreshVodObjectCaches
                | Action::DescribeVodRefreshQuota
                | Action::DescribeVodRefreshTasks
        )
    }
}

/// Reads an ID list given as a JSON array, a comma-separated string, or nothing.
pub fn id_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        None => Vec::new(),
        Some(Either::List(v)) => v,
        Some(Either::Text(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
    })
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteVideoResponse {
    #[serde(default)]
    pub request_id: String,
    #[serde(default, deserialize_with = "id_list")]
    pub forbidden_video_ids: Vec<String>,
    #[serde(default, deserialize_with = "id_list")]
    pub non_exist_video_ids: Vec<String>,
    #[serde(default, deserialize_with = "id_list")]
    pub non_exist_reference_ids: Vec<String>,
}

/// One video as GetVideoInfos, GetVideoList and SearchMedia describe it (the fields vodplan uses).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VideoInfo {
    pub video_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub size: Option<i64>,
    #[serde(default)]
    pub duration: Option<f64>,
    #[serde(default)]
    pub creation_time: Option<String>,
    #[serde(default)]
    pub modification_time: Option<String>,
    #[serde(default)]
    pub cate_id: Option<i64>,
    #[serde(default)]
    pub reference_id: Option<String>,
    #[serde(default)]
    pub storage_location: Option<String>,
    #[serde(default)]
    pub tags: Option<String>,
    /// `Standard`, `IA`, `Archive`, `ColdArchive`, `SourceIA`... (GetVideoInfos, GetVideoList and
    /// SearchMedia: <https://www.alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-getvideoinfos>).
    #[serde(default)]
    pub storage_class: Option<String>,
    /// The cover's URL (a signed URL expires when URL signing is on).
    #[serde(default, rename = "CoverURL")]
    pub cover_url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetVideoInfosResponse {
    #[serde(default)]
    pub request_id: String,
    #[serde(default)]
    pub video_list: Vec<VideoInfo>,
    #[serde(default, deserialize_with = "id_list")]
    pub non_exist_video_ids: Vec<String>,
    #[serde(default, deserialize_with = "id_list")]
    pub non_exist_reference_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetVideoListResponse {
    #[serde(default)]
    pub request_id: String,
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub video_list: VideoListWrapper,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct VideoListWrapper {
    #[serde(rename = "Video", default)]
    pub video: Vec<VideoInfo>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchMediaResponse {
    #[serde(default)]
    pub request_id: String,
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub scroll_token: Option<String>,
    #[serde(default)]
    pub media_list: Vec<Media>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Media {
    #[serde(default)]
    pub media_type: String,
    #[serde(default)]
    pub media_id: String,
    #[serde(default)]
    pub video: Option<VideoInfo>,
}

/// The body of an error response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "Code", alias = "code", default)]
    pub code: String,
    #[serde(rename = "Message", alias = "message", default)]
    pub message: String,
    #[serde(rename = "RequestId", alias = "requestId", default)]
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lists_as_arrays_strings_or_nothing() {
        let r: DeleteVideoResponse = serde_json::from_str(
            r#"{"RequestId":"r","ForbiddenVideoIds":["a"],"NonExistVideoIds":"b, c","NonExistReferenceIds":null}"#,
        )
        .unwrap();
        assert_eq!(r.forbidden_video_ids, ["a"]);
        assert_eq!(r.non_exist_video_ids, ["b", "c"]);
        assert!(r.non_exist_reference_ids.is_empty());
        let r: GetAuditHistoryResponse = serde_json::from_str(
            r#"{"RequestId":"r","Status":"Blocked","Total":2,"Histories":[{"Status":"Blocked","Reason":"x","CreationTime":"2025-01-01T00:00:00Z"}]}"#,
        )
        .unwrap();
        assert_eq!((r.total, r.histories[0].reason.as_deref()), (2, Some("x")));
        let r: GetAuditHistoryResponse = serde_json::from_str(
            r#"{"RequestId":"r","Histories":{"History":[{"Status":"Normal","Comment":"c"}]}}"#,
        )
        .unwrap();
        assert_eq!(r.histories[0].comment.as_deref(), Some("c"));
        let r: DeleteVideoResponse = serde_json::from_str(r#"{"RequestId":"r"}"#).unwrap();
        assert_eq!(
            r,
            DeleteVideoResponse {
                request_id: "r".into(),
                ..Default::default()
            }
        );
    }
}

/// CreateAudit takes at most this many videos a call (`AuditContent`).
pub const MAX_AUDIT_ITEMS: usize = 100;
/// UpdateVideoInfos takes at most this many videos a call (`UpdateContent`).
pub const MAX_UPDATE_ITEMS: usize = 20;

/// CreateAudit's reply: only a RequestId
/// (https://help.aliyun.com/document_detail/89563.html).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAuditResponse {
    #[serde(default)]
    pub request_id: String,
}

/// UpdateVideoInfos' reply
/// (https://www.alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-updatevideoinfos).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateVideoInfosResponse {
    #[serde(default)]
    pub request_id: String,
    #[serde(default, deserialize_with = "id_list")]
    pub non_exist_video_ids: Vec<String>,
    #[serde(default, deserialize_with = "id_list")]
    pub forbidden_video_ids: Vec<String>,
}

/// GetAuditHistory's reply: the video's manual review records, newest first by default
/// (https://help.aliyun.com/document_detail/89515.html; the official SDKs' model
/// `GetAuditHistoryResponseBody`: `Status`, `Total`, `Histories[]` of `{Status, CreationTime,
/// Reason, Comment, Auditor}`). `Histories` is read as a plain list or as `{"History": [...]}`,
/// the shape older RPC replies wrap lists in.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GetAuditHistoryResponse {
    #[serde(default)]
    pub request_id: String,
    /// The current manual review result (`Normal` | `Blocked`), when there is one.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub total: i64,
    #[serde(default, deserialize_with = "audit_records")]
    pub histories: Vec<AuditRecord>,
}

/// One manual review record.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AuditRecord {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub creation_time: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub auditor: Option<String>,
}

fn audit_records<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<AuditRecord>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<AuditRecord>),
        Wrapped {
            #[serde(rename = "History", default)]
            history: Vec<AuditRecord>,
        },
    }
    Ok(match Option::<Either>::deserialize(d)? {
        None => Vec::new(),
        Some(Either::List(v)) => v,
        Some(Either::Wrapped { history }) => history,
    })
}
