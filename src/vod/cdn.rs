//! Play URLs and CDN purges: the typed requests and replies of GetPlayInfo,
//! DescribeVodUserDomains, RefreshVodObjectCaches, DescribeVodRefreshQuota and
//! DescribeVodRefreshTasks.
//!
//! Names are the official SDK models' (vod 2017-03-21: `GetPlayInfoRequest{VideoId, ResultType,
//! AuthTimeout, Formats, Definition, StreamType, OutputType}`,
//! `RefreshVodObjectCachesRequest{ObjectPath, ObjectType, Force}` with `ObjectPath` URLs separated
//! by `\n`, `DescribeVodRefreshTasksRequest{TaskId, ObjectPath, ObjectType, Status, DomainName,
//! StartTime, EndTime, PageNumber, PageSize}` (page size default 20, at most 50),
//! `DescribeVodRefreshQuotaResponseBody` whose values are strings) and the API references:
//! https://www.alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-getplayinfo,
//! https://help.aliyun.com/document_detail/69215.html (RefreshVodObjectCaches: cn-shanghai only,
//! 2,000 URLs and 100 directories a day), https://help.aliyun.com/document_detail/69221.html
//! (DescribeVodRefreshQuota),
//! https://alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-describevodrefreshtasks.

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

use super::api::Action;
use super::request::Request;
use crate::ids::VideoId;
use crate::timefmt;

/// A number the API may send as a string (the refresh quota's values are strings in the SDK
/// models) or as a number; anything else reads as 0.
fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(serde_json::Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

/// GetPlayInfo for one video, every stream (`ResultType=Multiple`: all definitions, formats
/// and stream types, not only the latest of each).
#[derive(Debug, Clone, Copy)]
pub struct GetPlayInfo<'a> {
    pub video_id: &'a VideoId,
}

impl Request for GetPlayInfo<'_> {
    const ACTION: Action = Action::GetPlayInfo;
    type Reply = GetPlayInfoResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("VideoId", self.video_id.as_str().to_string()),
            ("ResultType", "Multiple".to_string()),
        ]
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GetPlayInfoResponse {
    #[serde(default)]
    pub video_base: Option<VideoBase>,
    #[serde(default)]
    pub play_info_list: PlayInfoList,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VideoBase {
    #[serde(default)]
    pub video_id: String,
    #[serde(rename = "CoverURL", default)]
    pub cover_url: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct PlayInfoList {
    #[serde(rename = "PlayInfo", default)]
    pub play_info: Vec<PlayInfo>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct PlayInfo {
    #[serde(rename = "PlayURL", default)]
    pub play_url: String,
    #[serde(default)]
    pub definition: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub stream_type: Option<String>,
}

/// One page of DescribeVodUserDomains: the account's CDN domains.
#[derive(Debug, Clone, Copy)]
pub struct DescribeVodUserDomains {
    pub page_number: u64,
    /// At most 50.
    pub page_size: u64,
}

impl Request for DescribeVodUserDomains {
    const ACTION: Action = Action::DescribeVodUserDomains;
    type Reply = DescribeVodUserDomainsResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PageNumber", self.page_number.to_string()),
            ("PageSize", self.page_size.to_string()),
        ]
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVodUserDomainsResponse {
    #[serde(default, deserialize_with = "lenient_u64")]
    pub total_count: u64,
    #[serde(default)]
    pub domains: DomainPage,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct DomainPage {
    #[serde(rename = "PageData", default)]
    pub page_data: Vec<Domain>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Domain {
    #[serde(default)]
    pub domain_name: String,
    #[serde(default)]
    pub domain_status: Option<String>,
}

/// How a purge matches cached objects (`ObjectType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PurgeKind {
    /// Every cached variant of a URL, whatever its query string (`auth_key` signatures).
    IgnoreParams,
    /// Everything under a directory (a directory unit of the quota).
    Directory,
}

impl PurgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PurgeKind::IgnoreParams => "IgnoreParams",
            PurgeKind::Directory => "Directory",
        }
    }
}

/// RefreshVodObjectCaches for several paths of one kind (the API returns one task per path,
/// comma-separated in `RefreshTaskId`).
#[derive(Debug, Clone, Copy)]
pub struct RefreshVodObjectCaches<'a> {
    pub paths: &'a [String],
    pub kind: PurgeKind,
}

impl Request for RefreshVodObjectCaches<'_> {
    const ACTION: Action = Action::RefreshVodObjectCaches;
    type Reply = RefreshVodObjectCachesResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ObjectPath", self.paths.join("\n")),
            ("ObjectType", self.kind.as_str().to_string()),
        ]
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RefreshVodObjectCachesResponse {
    #[serde(default)]
    pub refresh_task_id: String,
}

impl RefreshVodObjectCachesResponse {
    pub fn task_ids(&self) -> Vec<String> {
        self.refresh_task_id
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }
}

/// DescribeVodRefreshQuota: today's purge quota and what remains.
#[derive(Debug, Clone, Copy)]
pub struct DescribeVodRefreshQuota;

impl Request for DescribeVodRefreshQuota {
    const ACTION: Action = Action::DescribeVodRefreshQuota;
    type Reply = RefreshQuota;

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct RefreshQuota {
    #[serde(default, deserialize_with = "lenient_u64")]
    pub url_quota: u64,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub url_remain: u64,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub dir_quota: u64,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub dir_remain: u64,
}

/// One page of DescribeVodRefreshTasks over the tasks created in `[start_time, end_time]`.
#[derive(Debug, Clone, Copy)]
pub struct DescribeVodRefreshTasks<'a> {
    pub task_id: Option<&'a str>,
    pub start_time: OffsetDateTime,
    pub end_time: OffsetDateTime,
    pub page_number: u64,
    /// At most 50.
    pub page_size: u64,
}

impl Request for DescribeVodRefreshTasks<'_> {
    const ACTION: Action = Action::DescribeVodRefreshTasks;
    type Reply = DescribeVodRefreshTasksResponse;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("StartTime", timefmt::format(self.start_time)),
            ("EndTime", timefmt::format(self.end_time)),
            ("PageNumber", self.page_number.to_string()),
            ("PageSize", self.page_size.to_string()),
        ];
        if let Some(t) = self.task_id {
            p.push(("TaskId", t.to_string()));
        }
        p
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVodRefreshTasksResponse {
    #[serde(default, deserialize_with = "lenient_u64")]
    pub total_count: u64,
    #[serde(default)]
    pub tasks: TaskList,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct TaskList {
    #[serde(rename = "Task", default)]
    pub task: Vec<RefreshTask>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RefreshTask {
    #[serde(default)]
    pub task_id: String,
    #[serde(default)]
    pub object_path: String,
    /// `Complete`, `Refreshing` or `Failed`.
    #[serde(default)]
    pub status: String,
}

/// The most URLs and directories one RefreshVodObjectCaches call carries: not stated for VOD;
/// DCDN's per-call limits (https://www.alibabacloud.com/help/doc-detail/130620.htm) [unverified],
/// and well under them, so that a refused call costs little.
pub const URLS_PER_CALL: usize = 100;
pub const DIRS_PER_CALL: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_values_read_as_strings_or_numbers() {
        let q: RefreshQuota = serde_json::from_str(
            r#"{"UrlQuota":"2000","UrlRemain":"1990","DirQuota":100,"DirRemain":"99","blockRemain":"1"}"#,
        )
        .unwrap();
        assert_eq!(
            (q.url_quota, q.url_remain, q.dir_quota, q.dir_remain),
            (2000, 1990, 100, 99)
        );
    }

    #[test]
    fn purge_paths_go_one_a_line() {
        let paths = ["https://a/x.mp4".to_string(), "https://a/y.mp4".to_string()];
        let r = RefreshVodObjectCaches {
            paths: &paths,
            kind: PurgeKind::IgnoreParams,
        };
        assert_eq!(
            r.params(),
            [
                ("ObjectPath", "https://a/x.mp4\nhttps://a/y.mp4".to_string()),
                ("ObjectType", "IgnoreParams".to_string())
            ]
        );
    }
}
