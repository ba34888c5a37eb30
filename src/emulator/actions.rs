//! The operations the emulator serves, with the real response shapes, error codes and statuses.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::ServiceError;
use super::catalog::{Catalog, Video};
use crate::timefmt;
use crate::vod::MAX_IDS_PER_CALL;

type Params = HashMap<String, String>;

fn id_list(params: &Params, name: &str) -> Result<Vec<String>, ServiceError> {
    let ids: Vec<String> = params
        .get(name)
        .map(|v| {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if ids.len() > MAX_IDS_PER_CALL {
        return Err(ServiceError::new(
            400,
            &format!("{name}ExceededMax"),
            format!("The {name} exceeded maximum."),
        ));
    }
    Ok(ids)
}

/// DeleteVideo: 404 `InvalidVideo.NotFound` when none of the IDs exist; otherwise deletes what
/// exists and is not forbidden, and lists the rest.
pub fn delete_video(catalog: &mut Catalog, params: &Params) -> Result<Value, ServiceError> {
    // The API's error for too many IDs is VideoIdsExceededMax, whichever list was too long.
    let too_many = |e: ServiceError| ServiceError {
        code: "VideoIdsExceededMax".into(),
        message: "The VideoIds exceeded maximum.".into(),
        ..e
    };
    let video_ids = id_list(params, "VideoIds").map_err(too_many)?;
    let reference_ids = id_list(params, "ReferenceIds").map_err(too_many)?;
    if video_ids.is_empty() && reference_ids.is_empty() {
        return Err(ServiceError::new(
            400,
            "MissingVideoIds",
            "VideoIds is mandatory for this action.",
        ));
    }
    let (mut delete, mut forbidden, mut missing, mut missing_refs) =
        (vec![], vec![], vec![], vec![]);
    let consider = |v: &Video, delete: &mut Vec<String>, forbidden: &mut Vec<String>| {
        if v.forbidden {
            if !forbidden.contains(&v.video_id) {
                forbidden.push(v.video_id.clone());
            }
        } else if !delete.contains(&v.video_id) {
            delete.push(v.video_id.clone());
        }
    };
    for id in &video_ids {
        match catalog.get(id) {
            Some(v) => consider(v, &mut delete, &mut forbidden),
            None => missing.push(id.clone()),
        }
    }
    for r in &reference_ids {
        match catalog.by_reference(r) {
            Some(v) => consider(v, &mut delete, &mut forbidden),
            None => missing_refs.push(r.clone()),
        }
    }
    if delete.is_empty() && forbidden.is_empty() {
        return Err(ServiceError::new(
            404,
            "InvalidVideo.NotFound",
            "The video does not exist.",
        ));
    }
    catalog.delete(&delete).map_err(|e| {
        ServiceError::new(
            503,
            "DeleteVideoFailed",
            format!("Deleting video has failed due to some unknown error. ({e})"),
        )
    })?;
    Ok(json!({
        "ForbiddenVideoIds": forbidden,
        "NonExistVideoIds": missing,
        "NonExistReferenceIds": missing_refs,
    }))
}

/// GetVideoInfos: a flat `VideoList` plus the IDs that do not exist.
pub fn get_video_infos(catalog: &Catalog, params: &Params) -> Result<Value, ServiceError> {
    let video_ids = id_list(params, "VideoIds")?;
    let reference_ids = id_list(params, "ReferenceIds")?;
    if video_ids.is_empty() && reference_ids.is_empty() {
        return Err(ServiceError::new(
            400,
            "MissingVideoIds",
            "VideoIds is mandatory for this action.",
        ));
    }
    let mut list = Vec::new();
    let (mut missing, mut missing_refs) = (vec![], vec![]);
    for id in &video_ids {
        match catalog.get(id) {
            Some(v) => list.push(v.to_api()),
            None => missing.push(id.clone()),
        }
    }
    for r in &reference_ids {
        match catalog.by_reference(r) {
            Some(v) => list.push(v.to_api()),
            None => missing_refs.push(r.clone()),
        }
    }
    Ok(
        json!({ "VideoList": list, "NonExistVideoIds": missing, "NonExistReferenceIds": missing_refs }),
    )
}

/// GetVideoInfo: one video, with `Snapshots` as an object; 404 when unknown.
pub fn get_video_info(catalog: &Catalog, params: &Params) -> Result<Value, ServiceError> {
    let video = match (params.get("VideoId"), params.get("ReferenceId")) {
        (Some(id), _) => catalog.get(id),
        (None, Some(r)) => catalog.by_reference(r),
        (None, None) => {
            return Err(ServiceError::new(
                400,
                "MissingVideoId",
                "VideoId is mandatory for this action.",
            ));
        }
    };
    let video = video.ok_or_else(|| {
        ServiceError::new(404, "InvalidVideo.NotFound", "The video does not exist.")
    })?;
    let mut v = video.to_api();
    let m = v.as_object_mut().expect("videos are objects");
    m.insert("Snapshots".into(), json!({ "Snapshot": [] }));
    m.insert(
        "AuditStatus".into(),
        json!(if video.status == "Blocked" {
            "Blocked"
        } else {
            "Normal"
        }),
    );
    m.insert("RegionId".into(), json!("cn-shanghai"));
    Ok(json!({ "Video": v }))
}

/// GetVideoList reaches only the first 5,000 matches of a query.
pub const LIST_CAP: usize = 5_000;

fn int_param(
    params: &Params,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ServiceError> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                ServiceError::new(
                    400,
                    &format!("InvalidParameter.{name}"),
                    format!("The specified parameter {name} is not valid."),
                )
            }),
    }
}

/// GetVideoList: filters by CateId, Status and the creation-time window [StartTime, EndTime),
/// pages through the first 5,000 matches, and reports the full `Total`.
pub fn get_video_list(catalog: &Catalog, params: &Params) -> Result<Value, ServiceError> {
    let page_no = int_param(params, "PageNo", 1, 1, i64::MAX)?;
    let page_size = int_param(params, "PageSize", 10, 1, 100)?;
    let cate = params
        .get("CateId")
        .map(|c| c.parse::<i64>())
        .transpose()
        .map_err(|_| {
            ServiceError::new(
                400,
                "InvalidParameter.CateId",
                "The specified parameter CateId is not valid.",
            )
        })?;
    let statuses: Vec<&str> = params
        .get("Status")
        .map(|s| s.split(',').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let time = |name: &str| -> Result<Option<time::OffsetDateTime>, ServiceError> {
        params
            .get(name)
            .map(|t| {
                timefmt::parse(t).ok_or_else(|| {
                    ServiceError::new(
                        400,
                        &format!("InvalidParameter.{name}"),
                        format!("The specified parameter {name} is not valid."),
                    )
                })
            })
            .transpose()
    };
    let (start, end) = (time("StartTime")?, time("EndTime")?);
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        return Err(ServiceError::new(
            400,
            "InvalidParameter.EndTime",
            "EndTime must be later than StartTime.",
        ));
    }
    let ascending = match params.get("SortBy").map(String::as_str) {
        None | Some("CreationTime:Desc") => false,
        Some("CreationTime:Asc") => true,
        Some(_) => {
            return Err(ServiceError::new(
                400,
                "InvalidParameter.SortBy",
                "The specified parameter SortBy is not valid.",
            ));
        }
    };
    let mut matched: Vec<(time::OffsetDateTime, &Video)> = catalog
        .videos()
        .filter_map(|v| {
            let created = timefmt::parse(&v.creation_time)?;
            let ok = cate.is_none_or(|c| v.category_id == Some(c))
                && (statuses.is_empty() || statuses.contains(&v.status.as_str()))
                && start.is_none_or(|s| created >= s)
                && end.is_none_or(|e| created < e);
            ok.then_some((created, v))
        })
        .collect();
    matched.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.video_id.cmp(&b.1.video_id)));
    if !ascending {
        matched.reverse();
    }
    let total = matched.len();
    let from = ((page_no - 1).saturating_mul(page_size)) as usize;
    let to = (from + page_size as usize).min(total).min(LIST_CAP);
    let page: Vec<Value> = if from < to {
        matched[from..to].iter().map(|(_, v)| v.to_api()).collect()
    } else {
        Vec::new()
    };
    Ok(json!({ "Total": total, "VideoList": { "Video": page } }))
}
