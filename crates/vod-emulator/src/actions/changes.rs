//! Changing videos without deleting them: CreateAudit (a video's status becomes `Blocked` or
//! `Normal`) and UpdateVideoInfos (title, description, tags, category, cover).
//!
//! Both take a JSON array passed as a string, and the whole call is checked before anything
//! changes, so a refused call changes nothing.
//! - CreateAudit (https://help.aliyun.com/document_detail/89563.html; the SDK's
//!   `com.aliyun.vod20170321.models.CreateAuditRequest`): `AuditContent`, at most 100 items
//!   `{VideoId, Status: Blocked|Normal, Reason (required when Blocked, at most 128 bytes),
//!   Comment (at most 512 bytes)}`; the answer holds only `RequestId`. Not documented, so chosen
//!   here [unverified]: the error codes of a bad item (`InvalidParameter.AuditContent`) and of too
//!   many items (`CountExceededMax`, as UpdateVideoInfos); IDs that do not exist are skipped, and
//!   when none exists the answer is `InvalidVideo.NotFound` (404) like DeleteVideo.
//! - UpdateVideoInfos (https://www.alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-updatevideoinfos;
//!   the SDK's `UpdateVideoInfosRequest`: more than 20 items fail with `CountExceededMax`):
//!   `UpdateContent`, at most 20 items `{VideoId, Title, Description, Tags, CateId, CoverURL}`;
//!   only the fields given change; `Tags` (comma-separated) replaces all tags, at most 16 tags of
//!   at most 32 bytes each; the answer lists `NonExistVideoIds` and `ForbiddenVideoIds`. The
//!   code for a tag list out of bounds (`InvalidParameter.Tags`) is not documented [unverified].

use serde_json::{Map, Value, json};

use super::super::catalog::video::split_tags;
use super::super::catalog::{Catalog, Change, InfoUpdate};
use super::{Params, ServiceError};

/// Items per CreateAudit call.
pub const MAX_AUDITS_PER_CALL: usize = 100;
/// Items per UpdateVideoInfos call.
pub const MAX_UPDATES_PER_CALL: usize = 20;
/// Tags per video, and bytes per tag.
pub const MAX_TAGS: usize = 16;
pub const MAX_TAG_BYTES: usize = 32;
/// Bytes of a CreateAudit `Reason` and `Comment`.
pub const MAX_REASON_BYTES: usize = 128;
pub const MAX_COMMENT_BYTES: usize = 512;
/// Bytes of a title and a description (the UpdateVideoInfos page: Title ≤ 128, Description ≤ 1024).
pub const MAX_TITLE_BYTES: usize = 128;
pub const MAX_DESCRIPTION_BYTES: usize = 1024;

fn bad(param: &str, why: impl std::fmt::Display) -> ServiceError {
    ServiceError::new(
        400,
        &format!("InvalidParameter.{param}"),
        format!("The specified parameter {param} is not valid: {why}"),
    )
}

/// The items of a JSON-array-as-a-string parameter.
fn items(params: &Params, name: &str, max: usize) -> Result<Vec<Map<String, Value>>, ServiceError> {
    let text = params
        .get(name)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            ServiceError::new(
                400,
                &format!("Missing{name}"),
                format!("{name} is mandatory for this action."),
            )
        })?;
    let list: Vec<Value> = serde_json::from_str(text)
        .map_err(|e| bad(name, format!("a JSON array is expected ({e})")))?;
    if list.len() > max {
        return Err(ServiceError::new(
            400,
            "CountExceededMax",
            format!("The {name} exceeded maximum: at most {max} items."),
        ));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(m) => Ok(m),
            _ => Err(bad(name, format!("item {i} is not an object"))),
        })
        .collect()
}

/// A text field of an item: absent, or a string (a number is taken as its text).
fn text(
    item: &Map<String, Value>,
    field: &str,
    param: &str,
) -> Result<Option<String>, ServiceError> {
    match item.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(bad(param, format!("{field} must be text, not {other}"))),
    }
}

fn video_id(item: &Map<String, Value>, param: &str) -> Result<String, ServiceError> {
    text(item, "VideoId", param)?
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad(param, "every item needs a VideoId"))
}

/// CreateAudit: sets each video's status to `Blocked` or `Normal`.
pub fn create_audit(catalog: &mut Catalog, params: &Params) -> Result<Value, ServiceError> {
    const P: &str = "AuditContent";
    let mut changes = Vec::new();
    for item in items(params, P, MAX_AUDITS_PER_CALL)? {
        let video_id = video_id(&item, P)?;
        let status = text(&item, "Status", P)?.unwrap_or_default();
        if status != "Blocked" && status != "Normal" {
            return Err(bad(
                P,
                format!("{video_id}: Status must be Blocked or Normal, not `{status}`"),
            ));
        }
        let reason = text(&item, "Reason", P)?.unwrap_or_default();
        if status == "Blocked" && reason.is_empty() {
            return Err(bad(
                P,
                format!("{video_id}: Reason is required when Blocked"),
            ));
        }
        if reason.len() > MAX_REASON_BYTES {
            return Err(bad(
                P,
                format!("{video_id}: Reason is longer than {MAX_REASON_BYTES} bytes"),
            ));
        }
        let comment = text(&item, "Comment", P)?;
        if comment
            .as_ref()
            .is_some_and(|c| c.len() > MAX_COMMENT_BYTES)
        {
            return Err(bad(
                P,
                format!("{video_id}: Comment is longer than {MAX_COMMENT_BYTES} bytes"),
            ));
        }
        if catalog.get(&video_id).is_some() {
            changes.push(Change::Status {
                video_id,
                status,
                reason: Some(reason).filter(|r| !r.is_empty()),
                comment,
                auditor: params.get("AccessKeyId").cloned(),
                time: Some(crate::timefmt::format(time::OffsetDateTime::now_utc())),
            });
        }
    }
    if changes.is_empty() {
        return Err(ServiceError::new(
            404,
            "InvalidVideo.NotFound",
            "The video does not exist.",
        ));
    }
    catalog.change(&changes).map_err(write_failed)?;
    Ok(json!({}))
}

fn write_failed(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::new(
        503,
        "ServiceUnavailable",
        format!("The request has failed due to a temporary failure of the server. ({e})"),
    )
}

/// UpdateVideoInfos: changes the given fields of each video.
pub fn update_video_infos(catalog: &mut Catalog, params: &Params) -> Result<Value, ServiceError> {
    const P: &str = "UpdateContent";
    let mut updates = Vec::new();
    for item in items(params, P, MAX_UPDATES_PER_CALL)? {
        let video_id = video_id(&item, P)?;
        let title = text(&item, "Title", P)?;
        if title.as_ref().is_some_and(|t| t.len() > MAX_TITLE_BYTES) {
            return Err(bad(
                "Title",
                format!("{video_id}: longer than {MAX_TITLE_BYTES} bytes"),
            ));
        }
        let description = text(&item, "Description", P)?;
        if description
            .as_ref()
            .is_some_and(|d| d.len() > MAX_DESCRIPTION_BYTES)
        {
            return Err(bad(
                "Description",
                format!("{video_id}: longer than {MAX_DESCRIPTION_BYTES} bytes"),
            ));
        }
        let tags = text(&item, "Tags", P)?.map(|t| {
            let mut list: Vec<String> = Vec::new();
            for t in split_tags(&t) {
                if !list.iter().any(|have| have == t) {
                    list.push(t.to_string());
                }
            }
            list
        });
        if let Some(tags) = &tags
            && (tags.len() > MAX_TAGS || tags.iter().any(|t| t.len() > MAX_TAG_BYTES))
        {
            return Err(bad(
                "Tags",
                format!(
                    "{video_id}: at most {MAX_TAGS} tags of at most {MAX_TAG_BYTES} bytes each"
                ),
            ));
        }
        let cate_id = match text(&item, "CateId", P)? {
            None => None,
            Some(c) => Some(
                c.parse::<i64>()
                    .map_err(|_| bad("CateId", format!("{video_id}: `{c}` is not a number")))?,
            ),
        };
        updates.push(InfoUpdate {
            video_id,
            title,
            description,
            tags,
            cate_id,
            cover_url: text(&item, "CoverURL", P)?,
        });
    }
    let (mut missing, mut forbidden, mut changes) = (vec![], vec![], vec![]);
    for u in updates {
        match catalog.get(&u.video_id) {
            None => missing.push(u.video_id),
            Some(v) if v.forbidden() => forbidden.push(u.video_id),
            Some(_) => changes.push(Change::Info(u)),
        }
    }
    catalog.change(&changes).map_err(write_failed)?;
    Ok(json!({ "NonExistVideoIds": missing, "ForbiddenVideoIds": forbidden }))
}

/// GetAuditHistory (https://help.aliyun.com/document_detail/89515.html; the SDK's
/// `GetAuditHistoryResponseBody`): `VideoId` (required), `PageNo` (default 1), `PageSize` (default
/// 10, at most 100), `SortBy` `CreationTime:Desc` (default) or `CreationTime:Asc`. The answer:
/// `Status` (the latest review's result, left out when there is none), `Total` and `Histories[]`
/// of `{Status, CreationTime, Reason, Comment, Auditor}`. Records with the same second keep the
/// order they were written in (reversed for `Desc`). A video that does not exist:
/// `InvalidVideo.NotFound` (404), as DeleteVideo [unverified for this action].
pub fn get_audit_history(catalog: &Catalog, params: &Params) -> Result<Value, ServiceError> {
    let video_id = params
        .get("VideoId")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ServiceError::new(
                400,
                "MissingVideoId",
                "VideoId is mandatory for this action.",
            )
        })?;
    if catalog.get(video_id).is_none() {
        return Err(ServiceError::new(
            404,
            "InvalidVideo.NotFound",
            "The video does not exist.",
        ));
    }
    let number = |name: &str, default: usize, max: usize| -> Result<usize, ServiceError> {
        match params.get(name) {
            None => Ok(default),
            Some(t) => t
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| bad(name, format!("`{t}` is not a number from 1 to {max}"))),
        }
    };
    let page_no = number("PageNo", 1, usize::MAX)?;
    let page_size = number("PageSize", 10, 100)?;
    let desc = match params.get("SortBy").map(String::as_str) {
        None | Some("CreationTime:Desc") => true,
        Some("CreationTime:Asc") => false,
        Some(other) => return Err(bad("SortBy", format!("`{other}` is not a sort order"))),
    };
    let all = catalog.audit_history(video_id);
    let mut ordered: Vec<_> = all.iter().collect();
    ordered.sort_by(|a, b| a.creation_time.cmp(&b.creation_time));
    if desc {
        ordered.reverse();
    }
    let page: Vec<Value> = ordered
        .iter()
        .skip((page_no - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|r| {
            let mut v = json!({"Status": r.status});
            for (k, f) in [
                ("CreationTime", &r.creation_time),
                ("Reason", &r.reason),
                ("Comment", &r.comment),
                ("Auditor", &r.auditor),
            ] {
                if let Some(text) = f {
                    v[k] = json!(text);
                }
            }
            v
        })
        .collect();
    let mut out = json!({"Total": all.len(), "Histories": page});
    if let Some(latest) = all
        .iter()
        .max_by(|a, b| a.creation_time.cmp(&b.creation_time))
    {
        out["Status"] = json!(latest.status);
    }
    Ok(out)
}
