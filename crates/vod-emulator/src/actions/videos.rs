//! Reading and deleting videos by ID: DeleteVideo, GetVideoInfos, GetVideoInfo.

use serde_json::{Value, json};

use super::super::catalog::{Catalog, VideoView};
use super::{Params, ServiceError, id_list};

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
    let consider = |v: VideoView, delete: &mut Vec<String>, forbidden: &mut Vec<String>| {
        let id = v.id().to_string();
        if v.forbidden() {
            if !forbidden.contains(&id) {
                forbidden.push(id);
            }
        } else if !delete.contains(&id) {
            delete.push(id);
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
        json!(if video.status_name() == "Blocked" {
            "Blocked"
        } else {
            "Normal"
        }),
    );
    m.insert("RegionId".into(), json!("cn-shanghai"));
    Ok(json!({ "Video": v }))
}
