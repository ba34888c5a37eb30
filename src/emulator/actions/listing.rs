//! Listing: GetVideoList and SearchMedia, with the service's reach limits.
//!
//! - Plain paging (`PageNo` × `PageSize`, PageSize ≤ 100) reaches only the first 5,000 results of
//!   a query, for both actions (https://help.aliyun.com/document_detail/86044.html,
//!   https://help.aliyun.com/document_detail/52838.html). The docs do not say what a page past
//!   that reach returns [unverified]; the emulator takes the stricter reading and refuses it
//!   (`InvalidParameter.PageNo`, 400), so a client that pages past the reach fails loudly instead
//!   of silently losing results. A page that straddles the reach is cut at it.
//! - A SearchMedia `ScrollToken` traversal reaches at most 2,000,000 results ("if the results
//!   exceed 2 million, add filter conditions", same page). The traversal stops there: the page
//!   that reaches the limit is cut at it, and its reply carries an empty `ScrollToken`, as does
//!   the reply of the last page of the results; `Total` always counts every match. A continuation
//!   resumes after the page last delivered (the `PageNo` sent with a token is not used).
//!
//! Both reaches can be lowered (`vodplan emulator --page-limit N --scroll-limit N`) so that tests
//! reach them with thousands of videos instead of millions.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::super::catalog::query::{self, Clause, Filter, Subject, TimeRange};
use super::super::catalog::{Catalog, Video};
use super::{Params, ServiceError, int_param, invalid};

/// How far a query can be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Results reachable by plain paging (the real service: 5,000).
    pub page: usize,
    /// Results reachable by a ScrollToken traversal (the real service: 2,000,000).
    pub scroll: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            page: 5_000,
            scroll: 2_000_000,
        }
    }
}

/// Where a scroll traversal stands: the query it belongs to and the next offset.
#[derive(Debug, Clone)]
pub struct Scroll {
    pub query: String,
    pub offset: usize,
}

/// `SortBy`: `CreationTime:Desc` (the default) or `CreationTime:Asc`.
fn sort_ascending(params: &Params) -> Result<bool, ServiceError> {
    match params.get("SortBy").map(String::as_str) {
        None | Some("CreationTime:Desc") => Ok(false),
        Some("CreationTime:Asc") => Ok(true),
        Some(_) => Err(invalid("SortBy")),
    }
}

/// Every video matching `filter`, in creation order (ties by video ID).
fn matching<'a>(catalog: &'a Catalog, filter: &Filter, ascending: bool) -> Vec<&'a Video> {
    let mut matched: Vec<(i64, &Video)> = catalog
        .videos()
        .filter(|v| filter.matches(*v))
        .map(|v| (v.created(), v))
        .collect();
    matched.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.video_id.cmp(&b.1.video_id)));
    if !ascending {
        matched.reverse();
    }
    matched.into_iter().map(|(_, v)| v).collect()
}

/// The positions of a plain page, within the paging reach.
fn plain_page(
    params: &Params,
    page_size: usize,
    limits: Limits,
) -> Result<(usize, usize), ServiceError> {
    let page_no = int_param(params, "PageNo", 1, 1, i64::MAX)? as usize;
    let from = (page_no - 1).saturating_mul(page_size);
    if from >= limits.page {
        return Err(ServiceError::new(
            400,
            "InvalidParameter.PageNo",
            format!(
                "The specified parameter PageNo is not valid: paging reaches only the first {} results; narrow the query (for example by CreationTime) or traverse it with ScrollToken.",
                limits.page
            ),
        ));
    }
    Ok((from, from.saturating_add(page_size).min(limits.page)))
}

/// GetVideoList's filters: CateId, Status (comma-separated), StorageLocation and the
/// creation-time window [StartTime, EndTime).
fn list_filter(params: &Params) -> Result<Filter, ServiceError> {
    let mut clauses = Vec::new();
    if let Some(c) = params.get("CateId") {
        clauses.push(Clause::CateId(vec![
            c.parse::<i64>().map_err(|_| invalid("CateId"))?,
        ]));
    }
    if let Some(s) = params.get("Status") {
        let statuses: Vec<String> = s
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if !statuses.is_empty() {
            clauses.push(Clause::Status(statuses));
        }
    }
    if let Some(l) = params.get("StorageLocation") {
        clauses.push(Clause::StorageLocation(vec![l.clone()]));
    }
    let time = |name: &str| -> Result<Option<i64>, ServiceError> {
        params
            .get(name)
            .map(|t| query::seconds(t).ok_or_else(|| invalid(name)))
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
    if start.is_some() || end.is_some() {
        clauses.push(Clause::CreationTime(TimeRange::half_open(start, end)));
    }
    Ok(Filter { clauses })
}

/// GetVideoList: filters (see [`list_filter`]), pages within the paging reach, and reports the
/// full `Total`.
pub fn get_video_list(
    catalog: &Catalog,
    params: &Params,
    limits: Limits,
) -> Result<Value, ServiceError> {
    let page_size = int_param(params, "PageSize", 10, 1, 100)? as usize;
    let filter = list_filter(params)?;
    let ascending = sort_ascending(params)?;
    let (from, to) = plain_page(params, page_size, limits)?;
    let matched = matching(catalog, &filter, ascending);
    let total = matched.len();
    let page: Vec<Value> = matched
        .get(from..to.min(total))
        .unwrap_or_default()
        .iter()
        .map(|v| v.to_api())
        .collect();
    Ok(json!({ "Total": total, "VideoList": { "Video": page } }))
}

/// SearchMedia for videos: `Match` (see [`query`]), `SortBy` on CreationTime, `PageNo`/`PageSize`
/// within the paging reach, or a `ScrollToken` traversal within the scroll reach.
pub fn search_media(
    catalog: &Catalog,
    params: &Params,
    scrolls: &mut HashMap<String, Scroll>,
    limits: Limits,
) -> Result<Value, ServiceError> {
    let search_type = params
        .get("SearchType")
        .map(String::as_str)
        .unwrap_or("video");
    if search_type != "video" {
        return Ok(json!({ "Total": 0, "MediaList": [], "ScrollToken": "" }));
    }
    let filter = match params.get("Match") {
        Some(m) if !m.trim().is_empty() => query::parse_match(m)?,
        _ => Filter::default(),
    };
    let page_size = int_param(params, "PageSize", 10, 1, 100)? as usize;
    let ascending = sort_ascending(params)?;
    let query = format!(
        "{}|{}",
        params.get("Match").cloned().unwrap_or_default(),
        ascending
    );
    let (from, to) = match params.get("ScrollToken").filter(|t| !t.is_empty()) {
        Some(token) => {
            let scroll = scrolls.get(token).ok_or_else(|| invalid("ScrollToken"))?;
            if scroll.query != query {
                return Err(ServiceError::new(
                    400,
                    "InvalidParameter.ScrollToken",
                    "The ScrollToken belongs to another query.",
                ));
            }
            let from = scroll.offset.min(limits.scroll);
            (from, from.saturating_add(page_size).min(limits.scroll))
        }
        None => plain_page(params, page_size, limits)?,
    };
    let matched = matching(catalog, &filter, ascending);
    let total = matched.len();
    let to = to.min(total);
    let page: Vec<Value> = matched
        .get(from..to)
        .unwrap_or_default()
        .iter()
        .map(|v| json!({ "MediaType": "video", "MediaId": v.video_id, "CreationTime": v.creation_time, "Video": v.to_api() }))
        .collect();
    let token = if to < total.min(limits.scroll) {
        let token = format!("{:032x}", fastrand::u128(..));
        scrolls.insert(token.clone(), Scroll { query, offset: to });
        token
    } else {
        String::new()
    };
    Ok(json!({ "Total": total, "MediaList": page, "ScrollToken": token }))
}
