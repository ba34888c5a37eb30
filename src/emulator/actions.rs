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

/// `SortBy`: `CreationTime:Desc` (the default) or `CreationTime:Asc`.
fn sort_ascending(params: &Params) -> Result<bool, ServiceError> {
    match params.get("SortBy").map(String::as_str) {
        None | Some("CreationTime:Desc") => Ok(false),
        Some("CreationTime:Asc") => Ok(true),
        Some(_) => Err(ServiceError::new(
            400,
            "InvalidParameter.SortBy",
            "The specified parameter SortBy is not valid.",
        )),
    }
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
    let location = params.get("StorageLocation");
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        return Err(ServiceError::new(
            400,
            "InvalidParameter.EndTime",
            "EndTime must be later than StartTime.",
        ));
    }
    let ascending = sort_ascending(params)?;
    let mut matched: Vec<(time::OffsetDateTime, &Video)> = catalog
        .videos()
        .filter_map(|v| {
            let created = timefmt::parse(&v.creation_time)?;
            let ok = cate.is_none_or(|c| v.category_id == Some(c))
                && (statuses.is_empty() || statuses.contains(&v.status.as_str()))
                && start.is_none_or(|s| created >= s)
                && end.is_none_or(|e| created < e)
                && location.is_none_or(|l| v.storage_location.as_ref() == Some(l));
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

/// One condition of a SearchMedia `Match` expression.
#[derive(Debug, Clone, PartialEq)]
enum Condition {
    /// `Field = value` (exact) or `Field = 'value'` (fuzzy: contains).
    Equals {
        field: String,
        value: String,
        fuzzy: bool,
    },
    /// `Field in ('a','b')`.
    In { field: String, values: Vec<String> },
    /// `Field = ('lo','hi')`, both ends included.
    Range {
        field: String,
        low: String,
        high: String,
    },
}

fn bad_match(why: &str) -> ServiceError {
    ServiceError::new(
        400,
        "InvalidParameter.Match",
        format!("The specified parameter Match is not valid: {why}"),
    )
}

/// Parses the subset of the `Match` syntax the emulator supports: clauses joined by `and`.
fn parse_match(text: &str) -> Result<Vec<Condition>, ServiceError> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (field, after) = rest
            .split_once([' ', '='])
            .ok_or_else(|| bad_match("expected `Field = value`"))?;
        let field = field.trim().to_string();
        let after = after.trim_start();
        let (cond, tail) = if let Some(list) = after
            .strip_prefix("in")
            .map(str::trim_start)
            .and_then(|a| a.strip_prefix('('))
        {
            let (inner, tail) = list
                .split_once(')')
                .ok_or_else(|| bad_match("unclosed ("))?;
            (
                Condition::In {
                    field,
                    values: quoted_list(inner)?,
                },
                tail,
            )
        } else {
            let after = after.strip_prefix('=').unwrap_or(after).trim_start();
            if let Some(range) = after.strip_prefix('(') {
                let (inner, tail) = range
                    .split_once(')')
                    .ok_or_else(|| bad_match("unclosed ("))?;
                let values = quoted_list(inner)?;
                let [low, high] = <[String; 2]>::try_from(values)
                    .map_err(|_| bad_match("a range has two ends"))?;
                (Condition::Range { field, low, high }, tail)
            } else if let Some(q) = after.strip_prefix('\'') {
                let (value, tail) = q
                    .split_once('\'')
                    .ok_or_else(|| bad_match("unclosed quote"))?;
                (
                    Condition::Equals {
                        field,
                        value: value.to_string(),
                        fuzzy: true,
                    },
                    tail,
                )
            } else {
                let end = after.find(' ').unwrap_or(after.len());
                (
                    Condition::Equals {
                        field,
                        value: after[..end].to_string(),
                        fuzzy: false,
                    },
                    &after[end..],
                )
            }
        };
        out.push(cond);
        let tail = tail.trim_start();
        rest = match tail.get(..3) {
            Some(a) if a.eq_ignore_ascii_case("and") => tail[3..].trim_start(),
            _ if tail.is_empty() => "",
            _ => return Err(bad_match("clauses are joined with `and`")),
        };
    }
    Ok(out)
}

fn quoted_list(inner: &str) -> Result<Vec<String>, ServiceError> {
    inner
        .split(',')
        .map(|v| {
            let v = v.trim();
            v.strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .map(String::from)
                .ok_or_else(|| bad_match("values are quoted"))
        })
        .collect()
}

fn field_value(v: &Video, field: &str) -> Option<String> {
    match field {
        "Status" => Some(v.status.clone()),
        "CateId" => v.category_id.map(|c| c.to_string()),
        "Title" => Some(v.title.clone()),
        "VideoId" => Some(v.video_id.clone()),
        "StorageLocation" => v.storage_location.clone(),
        "CreationTime" => Some(v.creation_time.clone()),
        _ => None,
    }
}

fn satisfies(v: &Video, c: &Condition) -> bool {
    match c {
        Condition::Equals {
            field,
            value,
            fuzzy,
        } => field_value(v, field).is_some_and(|f| {
            if *fuzzy {
                f.contains(value.as_str())
            } else {
                f == *value
            }
        }),
        Condition::In { field, values } => {
            field_value(v, field).is_some_and(|f| values.contains(&f))
        }
        Condition::Range { field, low, high } => {
            let Some(f) = field_value(v, field) else {
                return false;
            };
            match (
                timefmt::parse(&f),
                timefmt::parse(low),
                timefmt::parse(high),
            ) {
                (Some(t), Some(lo), Some(hi)) => t >= lo && t <= hi,
                _ => f.as_str() >= low.as_str() && f.as_str() <= high.as_str(),
            }
        }
    }
}

/// SearchMedia reaches the first 5,000 results by page; a ScrollToken traversal reaches up to
/// 2,000,000.
pub const SEARCH_PAGE_CAP: usize = 5_000;
pub const SEARCH_SCROLL_CAP: usize = 2_000_000;

/// Where a scroll traversal stands: the query it belongs to and the next offset.
#[derive(Debug, Clone)]
pub struct Scroll {
    pub query: String,
    pub offset: usize,
}

/// SearchMedia for videos: `Match` (the subset above), `SortBy` on CreationTime, `PageNo`/`PageSize`
/// within the first 5,000 results, or a `ScrollToken` traversal.
pub fn search_media(
    catalog: &Catalog,
    params: &Params,
    scrolls: &mut HashMap<String, Scroll>,
) -> Result<Value, ServiceError> {
    let search_type = params
        .get("SearchType")
        .map(String::as_str)
        .unwrap_or("video");
    if search_type != "video" {
        return Ok(json!({ "Total": 0, "MediaList": [], "ScrollToken": "" }));
    }
    let conditions = match params.get("Match") {
        Some(m) if !m.trim().is_empty() => parse_match(m)?,
        _ => Vec::new(),
    };
    for c in &conditions {
        let (Condition::Equals { field, .. }
        | Condition::In { field, .. }
        | Condition::Range { field, .. }) = c;
        if ![
            "Status",
            "CateId",
            "Title",
            "VideoId",
            "StorageLocation",
            "CreationTime",
            "Tags",
        ]
        .contains(&field.as_str())
        {
            return Err(bad_match(&format!("field {field} is not searchable here")));
        }
    }
    let page_size = int_param(params, "PageSize", 10, 1, 100)? as usize;
    let ascending = sort_ascending(params)?;
    let mut matched: Vec<&Video> = catalog
        .videos()
        .filter(|v| conditions.iter().all(|c| satisfies(v, c)))
        .collect();
    matched.sort_by(|a, b| {
        a.creation_time
            .cmp(&b.creation_time)
            .then_with(|| a.video_id.cmp(&b.video_id))
    });
    if !ascending {
        matched.reverse();
    }
    let total = matched.len();
    let query = format!(
        "{}|{}",
        params.get("Match").cloned().unwrap_or_default(),
        ascending
    );
    let (from, cap) = match params.get("ScrollToken").filter(|t| !t.is_empty()) {
        Some(token) => {
            let scroll = scrolls.get(token).ok_or_else(|| {
                ServiceError::new(
                    400,
                    "InvalidParameter.ScrollToken",
                    "The specified parameter ScrollToken is not valid.",
                )
            })?;
            if scroll.query != query {
                return Err(ServiceError::new(
                    400,
                    "InvalidParameter.ScrollToken",
                    "The ScrollToken belongs to another query.",
                ));
            }
            (scroll.offset, SEARCH_SCROLL_CAP)
        }
        None => {
            let page_no = int_param(params, "PageNo", 1, 1, i64::MAX)? as usize;
            ((page_no - 1).saturating_mul(page_size), SEARCH_PAGE_CAP)
        }
    };
    let to = (from + page_size).min(total).min(cap);
    let page: Vec<Value> = if from < to {
        matched[from..to]
            .iter()
            .map(|v| json!({ "MediaType": "video", "MediaId": v.video_id, "CreationTime": v.creation_time, "Video": v.to_api() }))
            .collect()
    } else {
        Vec::new()
    };
    let token = format!("{:032x}", fastrand::u128(..));
    scrolls.insert(token.clone(), Scroll { query, offset: to });
    Ok(json!({ "Total": total, "MediaList": page, "ScrollToken": token }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_match_subset() {
        let m = parse_match("Status in ('Normal','Checking') and CreationTime = ('2018-07-01T08:00:00Z','2018-08-01T08:00:00Z') and CateId = 1000 and Title = 'tmp'").unwrap();
        assert_eq!(
            m,
            vec![
                Condition::In {
                    field: "Status".into(),
                    values: vec!["Normal".into(), "Checking".into()]
                },
                Condition::Range {
                    field: "CreationTime".into(),
                    low: "2018-07-01T08:00:00Z".into(),
                    high: "2018-08-01T08:00:00Z".into()
                },
                Condition::Equals {
                    field: "CateId".into(),
                    value: "1000".into(),
                    fuzzy: false
                },
                Condition::Equals {
                    field: "Title".into(),
                    value: "tmp".into(),
                    fuzzy: true
                },
            ]
        );
        assert!(parse_match("Status in ('Normal'").is_err());
        assert!(parse_match("Status = 'a' or CateId = 1").is_err());
    }
}
