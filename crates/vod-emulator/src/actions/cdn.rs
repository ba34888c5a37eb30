//! Play URLs and CDN purges: GetPlayInfo, DescribeVodUserDomains, RefreshVodObjectCaches,
//! DescribeVodRefreshQuota and DescribeVodRefreshTasks, over the edge model of `emulator::cdn`.
//!
//! Parameter and field names follow the official SDK models (vod 2017-03-21:
//! `RefreshVodObjectCachesRequest{ObjectPath, ObjectType, Force}`,
//! `DescribeVodRefreshTasksRequest{TaskId, ObjectPath, ObjectType, Status, DomainName, StartTime,
//! EndTime, PageNumber, PageSize (default 20, max 50)}`, `DescribeVodRefreshQuotaResponseBody`
//! with every value a string and `blockRemain` in lower case) and the API references:
//! https://help.aliyun.com/document_detail/69215.html (RefreshVodObjectCaches),
//! https://help.aliyun.com/document_detail/69221.html (DescribeVodRefreshQuota),
//! https://alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-describevodrefreshtasks,
//! https://www.alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-getplayinfo.

use std::time::Instant;

use serde_json::{Value, json};

use super::super::catalog::Catalog;
use super::super::cdn::{self, Edge, Kind, PurgeType};
use super::{Params, ServiceError, int_param, invalid};

/// URLs a RefreshVodObjectCaches call may carry; directories: [`MAX_DIRS_PER_CALL`]. Not stated
/// for VOD; DCDN's limits (https://www.alibabacloud.com/help/doc-detail/130620.htm) [unverified].
pub const MAX_URLS_PER_CALL: usize = 1_000;
pub const MAX_DIRS_PER_CALL: usize = 100;

/// Lets the tasks that completed take effect: each removes the cached objects it matches of
/// videos that no longer exist; a match on a video that still exists is refilled from the origin.
pub fn settle(catalog: &Catalog, edge: &mut Edge) {
    let done = edge.take_completed(Instant::now());
    if done.is_empty() {
        return;
    }
    let domain = edge.account_domain().to_string();
    for (video, alive) in catalog.every_video() {
        for o in cdn::objects(video.id(), video.cdn_layout(), &domain) {
            let key = o.cache_key();
            for t in &done {
                if cdn::matches(t.purge, &t.path, &key) {
                    if alive {
                        edge.purged_before_delete += 1;
                    } else {
                        edge.gone.insert(key.clone());
                    }
                }
            }
        }
    }
}

/// What the edge still serves, per video (`GET /_emulator/cdn`).
pub fn report(catalog: &Catalog, edge: &mut Edge) -> Value {
    settle(catalog, edge);
    let domain = edge.account_domain().to_string();
    let mut serving = serde_json::Map::new();
    for (video, alive) in catalog.every_video() {
        let keys: Vec<String> = cdn::objects(video.id(), video.cdn_layout(), &domain)
            .into_iter()
            .map(|o| o.cache_key())
            .filter(|k| !edge.gone.contains(k))
            .collect();
        serving.insert(
            video.id().to_string(),
            json!({"exists": alive, "serving": keys}),
        );
    }
    let pending = edge
        .tasks
        .iter()
        .filter(|t| !t.complete(Instant::now()))
        .count();
    json!({
        "videos": serving,
        "urlRemain": edge.url_remain,
        "dirRemain": edge.dir_remain,
        "tasks": edge.tasks.len(),
        "tasksRefreshing": pending,
        "purgedBeforeDelete": edge.purged_before_delete,
        "refusedForQuota": edge.refused_for_quota,
    })
}

fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, ServiceError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| {
            ServiceError::new(
                400,
                &format!("MissingParameter.{name}"),
                format!("The input parameter \"{name}\" that is mandatory for processing this request is not supplied."),
            )
        })
}

/// GetPlayInfo: every stream's play URL and the cover, for a Normal video only.
pub fn get_play_info(
    catalog: &Catalog,
    edge: &Edge,
    params: &Params,
) -> Result<Value, ServiceError> {
    let id = required(params, "VideoId")?;
    let video = catalog.get(id).ok_or_else(|| {
        ServiceError::new(404, "InvalidVideo.NotExist", "The video does not exist.")
    })?;
    // Checking and Blocked videos get no play URLs (https://www.alibabacloud.com/help/doc-detail/57290.html);
    // the exact code is not documented [unverified].
    if video.status_name() != "Normal" {
        return Err(ServiceError::new(
            403,
            "Forbidden.IllegalStatus",
            format!(
                "Status of the video is not allowed to perform this operation: {}.",
                video.status_name()
            ),
        ));
    }
    let result_type = params
        .get("ResultType")
        .map(String::as_str)
        .unwrap_or("Single");
    if !matches!(result_type, "Single" | "Multiple") {
        return Err(invalid("ResultType"));
    }
    let timeout = int_param(params, "AuthTimeout", 1800, 1, 2_592_000)?;
    let formats: Option<Vec<String>> = params
        .get("Formats")
        .map(|f| f.split(',').map(|s| s.trim().to_lowercase()).collect());
    let definitions: Option<Vec<String>> = params
        .get("Definition")
        .map(|f| f.split(',').map(|s| s.trim().to_uppercase()).collect());
    let expires = time::OffsetDateTime::now_utc().unix_timestamp() + timeout;
    let objects = cdn::objects(video.id(), video.cdn_layout(), edge.account_domain());
    let duration = video.duration().unwrap_or(60.0);
    let plays: Vec<Value> = objects
        .iter()
        .filter(|o| o.kind == Kind::Play)
        .filter(|o| {
            let ext = o.url.rsplit('.').next().unwrap_or_default();
            formats.as_ref().is_none_or(|f| f.iter().any(|x| x == ext))
        })
        .filter(|o| {
            definitions.as_ref().is_none_or(|d| {
                d.iter()
                    .any(|x| Some(x.as_str()) == o.definition.as_deref())
            })
        })
        .map(|o| {
            let ext = o.url.rsplit('.').next().unwrap_or_default();
            json!({
                "PlayURL": format!("{}?auth_key={expires}-0-0-{}", o.url, "5f2a6c0d9e8b7a6f5e4d3c2b1a098765"),
                "Definition": o.definition,
                "Format": ext,
                "Size": 1_048_576,
                "Bitrate": "1200",
                "Duration": format!("{duration:.3}"),
                "Width": 1280,
                "Height": 720,
                "Fps": "25",
                "StreamType": "video",
                "JobId": format!("job{}", &o.url.len()),
                "Status": "Normal",
                "Encrypt": 0,
                "NarrowBandType": "0",
                "CreationTime": video.creation_time(),
                "ModificationTime": video.creation_time(),
            })
        })
        .collect();
    if plays.is_empty() {
        return Err(ServiceError::new(
            404,
            "InvalidVideo.NoneStream",
            "The video has no stream that matches the query.",
        ));
    }
    let cover = objects
        .iter()
        .find(|o| o.kind == Kind::Cover)
        .map(|o| o.url.clone());
    Ok(json!({
        "VideoBase": {
            "VideoId": video.id(),
            "Title": video.title_text(),
            "CoverURL": cover,
            "Duration": format!("{duration:.3}"),
            "Status": video.status_name(),
            "CreationTime": video.creation_time(),
            "MediaType": "video",
            "OutputType": "cdn",
        },
        "PlayInfoList": {"PlayInfo": plays},
    }))
}

/// DescribeVodUserDomains: the account's CDN domains, paged (`PageSize` at most 50).
pub fn describe_vod_user_domains(edge: &Edge, params: &Params) -> Result<Value, ServiceError> {
    let page = int_param(params, "PageNumber", 1, 1, 100_000)? as usize;
    let size = int_param(params, "PageSize", 20, 1, 50)? as usize;
    let filter = params.get("DomainName").map(String::as_str);
    let all: Vec<&String> = edge
        .config
        .domains
        .iter()
        .filter(|d| filter.is_none_or(|f| d.contains(f)))
        .collect();
    let data: Vec<Value> = all
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|d| {
            json!({
                "DomainName": d,
                "Cname": format!("{d}.w.alikunlun.com"),
                "DomainStatus": "online",
                "CdnType": "video",
                "GmtCreated": "2023-01-01T00:00:00Z",
                "GmtModified": "2023-01-01T00:00:00Z",
                "Description": "",
                "SslProtocol": "on",
                "Sandbox": "",
                "Sources": {"Source": []},
            })
        })
        .collect();
    Ok(json!({
        "PageNumber": page,
        "PageSize": size,
        "TotalCount": all.len(),
        "Domains": {"PageData": data},
    }))
}

/// RefreshVodObjectCaches: one task per object path, within the day's quota.
pub fn refresh_vod_object_caches(
    catalog: &Catalog,
    edge: &mut Edge,
    params: &Params,
) -> Result<Value, ServiceError> {
    settle(catalog, edge);
    if edge.refuse_next > 0 {
        // A refusal that is not about the quota, asked for by a test.
        edge.refuse_next -= 1;
        return Err(ServiceError::new(
            403,
            "IllegalOperation",
            "Illegal domain operate is not permitted.",
        ));
    }
    let text = required(params, "ObjectPath")?;
    let purge = match params
        .get("ObjectType")
        .map(String::as_str)
        .unwrap_or("File")
    {
        "File" => PurgeType::File,
        "IgnoreParams" => PurgeType::IgnoreParams,
        "Directory" => PurgeType::Directory,
        // Regex purges exist but are not modelled here.
        _ => return Err(invalid("ObjectType")),
    };
    let paths: Vec<&str> = text
        .split('\n')
        .map(|p| p.trim_end_matches('\r').trim())
        .filter(|p| !p.is_empty())
        .collect();
    let max = if purge == PurgeType::Directory {
        MAX_DIRS_PER_CALL
    } else {
        MAX_URLS_PER_CALL
    };
    if paths.len() > max {
        return Err(ServiceError::new(
            400,
            "InvalidObjectPath.ExceedLimit",
            format!("At most {max} object paths may be refreshed in one request."),
        ));
    }
    for p in &paths {
        let domain = cdn::domain_of(p);
        if domain.is_empty() || !edge.config.domains.iter().any(|d| d == domain) {
            // https://help.aliyun.com/document_detail/69215.html (error codes)
            return Err(ServiceError::new(
                403,
                "IllegalOperation",
                "Illegal domain operate is not permitted.",
            ));
        }
    }
    let n = paths.len() as u64;
    let remain = if purge == PurgeType::Directory {
        edge.dir_remain
    } else {
        edge.url_remain
    };
    if n > remain {
        edge.refused_for_quota += 1;
        // The code for a spent quota is not documented for VOD [unverified]; CDN's is this one.
        return Err(ServiceError::new(
            400,
            "QuotaExceeded.Refresh",
            "Your refresh quota has been exceeded.",
        ));
    }
    if purge == PurgeType::Directory {
        edge.dir_remain -= n;
    } else {
        edge.url_remain -= n;
    }
    let ids: Vec<String> = paths
        .iter()
        .map(|p| edge.add_task((*p).to_string(), purge).to_string())
        .collect();
    Ok(json!({"RefreshTaskId": ids.join(",")}))
}

/// DescribeVodRefreshQuota: the day's quota and what remains, every value a string.
pub fn describe_vod_refresh_quota(catalog: &Catalog, edge: &mut Edge) -> Value {
    settle(catalog, edge);
    json!({
        "UrlQuota": edge.config.url_quota.to_string(),
        "UrlRemain": edge.url_remain.to_string(),
        "DirQuota": edge.config.dir_quota.to_string(),
        "DirRemain": edge.dir_remain.to_string(),
        "PreloadQuota": "500",
        "PreloadRemain": "500",
        "BlockQuota": "100",
        "blockRemain": "100",
    })
}

/// DescribeVodRefreshTasks: tasks by ID, path, type or status, newest first, paged.
pub fn describe_vod_refresh_tasks(
    catalog: &Catalog,
    edge: &mut Edge,
    params: &Params,
) -> Result<Value, ServiceError> {
    settle(catalog, edge);
    let page = int_param(params, "PageNumber", 1, 1, 100_000)? as usize;
    let size = int_param(params, "PageSize", 20, 1, 50)? as usize;
    let ids: Option<Vec<&str>> = params
        .get("TaskId")
        .map(|t| t.split(',').map(str::trim).collect());
    let path = params.get("ObjectPath").map(String::as_str);
    let kind = params.get("ObjectType").map(|s| s.to_lowercase());
    if let Some(k) = &kind
        && !matches!(k.as_str(), "file" | "directory" | "preload")
    {
        return Err(invalid("ObjectType"));
    }
    let status = params.get("Status").map(String::as_str);
    let bound = |name: &str| -> Result<Option<time::OffsetDateTime>, ServiceError> {
        params
            .get(name)
            .map(|v| {
                time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| invalid(name))
            })
            .transpose()
    };
    let (start, end) = (bound("StartTime")?, bound("EndTime")?);
    let now = Instant::now();
    let three_days = time::OffsetDateTime::now_utc() - time::Duration::days(3);
    let found: Vec<Value> = edge
        .tasks
        .iter()
        .rev()
        .filter(|t| t.created >= three_days)
        .filter(|t| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&t.id.to_string().as_str()))
        })
        .filter(|t| path.is_none_or(|p| p == t.path))
        .filter(|t| kind.as_deref().is_none_or(|k| k == t.purge.task_type()))
        .filter(|t| start.is_none_or(|s| t.created >= s))
        .filter(|t| end.is_none_or(|e| t.created <= e))
        .map(|t| t.to_api(now))
        .filter(|v| status.is_none_or(|s| v["Status"] == s))
        .collect();
    let total = found.len();
    let tasks: Vec<Value> = found
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    Ok(json!({
        "PageNumber": page,
        "PageSize": size,
        "TotalCount": total,
        "Tasks": {"Task": tasks},
    }))
}
