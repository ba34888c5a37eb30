//! The operations the emulator serves, with the real response shapes, error codes and statuses:
//! one file per family (`videos`: reading and deleting by ID; `listing`: GetVideoList and
//! SearchMedia).

mod listing;
mod videos;

use std::collections::HashMap;

pub use listing::{Limits, Scrolls, get_video_list, search_media};
pub use videos::{delete_video, get_video_info, get_video_infos};

use super::ServiceError;

pub type Params = HashMap<String, String>;

/// IDs per call of DeleteVideo and GetVideoInfos (https://www.alibabacloud.com/help/en/vod/api-getvideoinfos).
pub const MAX_IDS_PER_CALL: usize = 20;

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

fn invalid(name: &str) -> ServiceError {
    ServiceError::new(
        400,
        &format!("InvalidParameter.{name}"),
        format!("The specified parameter {name} is not valid."),
    )
}

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
            .ok_or_else(|| invalid(name)),
    }
}
