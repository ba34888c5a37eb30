//! Resolving `match` selectors against the live catalogue.
//!
//! Whichever API fits: GetVideoList filters on status, category and creation time, but reaches
//! only the first 5,000 results of a query; when a query reports more, SearchMedia traverses it
//! completely with a ScrollToken (up to its 2,000,000 limit). Either way every result is checked
//! again here against the whole selector (the title prefix is only checked here), so an API that
//! matches too broadly can never widen a deletion. A selector is never silently truncated: a
//! traversal that cannot finish fails the plan.

use std::collections::HashSet;
use std::sync::Arc;

use time::{Duration as TimeDuration, OffsetDateTime};

use crate::ids::VideoId;
use crate::manifest::{DesiredState, Selector, Target, VideoFacts};
use crate::state::Observed;
use crate::timefmt;
use crate::vod::api::VideoInfo;
use crate::vod::{ApiError, ApiErrorKind, Client};

/// GetVideoList reaches at most this many results of one query.
pub const LIST_LIMIT: i64 = 5_000;
/// SearchMedia's ScrollToken traversal reaches at most this many.
pub const SCROLL_LIMIT: i64 = 2_000_000;
const PAGE_SIZE: i64 = 100;

/// The facts selectors are checked against, from one video as the API describes it. (It lives
/// here, not on [`VideoInfo`]: the API layer knows nothing of manifests.)
pub fn facts(info: &VideoInfo) -> VideoFacts<'_> {
    VideoFacts {
        status: &info.status,
        category_id: info.cate_id,
        created: info.creation_time.as_deref().and_then(timefmt::parse),
        title: &info.title,
        storage_location: info.storage_location.as_deref(),
        tags: info.tags.as_deref(),
    }
}

/// The videos a selector matched, and how many distinct videos its queries returned.
#[derive(Debug, Default)]
pub struct Resolved {
    pub matched: Vec<VideoInfo>,
    pub seen: Vec<String>,
}

/// Resolves every selector of the desired state into `observed`.
pub async fn resolve_all(
    client: &Arc<Client>,
    desired: &DesiredState,
    observed: &mut Observed,
) -> Result<(), ApiError> {
    let mut delete_seen: HashSet<String> = HashSet::new();
    for (i, entry) in desired.delete.iter().enumerate() {
        if let Target::Match(s) = &entry.target {
            let found = resolve(client, s).await?;
            delete_seen.extend(found.seen);
            let ids = remember(observed, found.matched);
            observed.delete_matches.insert(i, ids);
        }
    }
    observed.selector_seen = delete_seen.len();
    for (i, entry) in desired.keep.iter().enumerate() {
        if let Target::Match(s) = &entry.target {
            let found = resolve(client, s).await?;
            let ids = remember(observed, found.matched);
            observed.keep_matches.insert(i, ids);
        }
    }
    Ok(())
}

fn remember(observed: &mut Observed, found: Vec<VideoInfo>) -> Vec<VideoId> {
    let mut ids = Vec::with_capacity(found.len());
    for info in found {
        if let Ok(id) = VideoId::new(info.video_id.clone()) {
            ids.push(id.clone());
            observed.videos.entry(id).or_insert(info);
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

fn window(s: &Selector) -> (OffsetDateTime, OffsetDateTime) {
    // The API wants a time window; without one, all of time up to now (plus a margin).
    let start = s
        .created_after
        .unwrap_or(OffsetDateTime::UNIX_EPOCH + TimeDuration::days(365));
    let end = s
        .created_before
        .unwrap_or_else(|| OffsetDateTime::now_utc() + TimeDuration::days(1));
    (start, end)
}

/// Every video the selector matches.
pub async fn resolve(client: &Arc<Client>, s: &Selector) -> Result<Resolved, ApiError> {
    let (total, first) = list_page(client, s, 1).await?;
    let mut raw = first;
    if total <= LIST_LIMIT {
        let mut page = 2;
        while (page - 1) * PAGE_SIZE < total {
            let (_, more) = list_page(client, s, page).await?;
            if more.is_empty() {
                break;
            }
            raw.extend(more);
            page += 1;
        }
    } else {
        raw = scroll(client, s).await?;
    }
    let mut seen = HashSet::new();
    raw.retain(|v| seen.insert(v.video_id.clone()));
    let seen: Vec<String> = raw.iter().map(|v| v.video_id.clone()).collect();
    raw.retain(|v| s.matches(&facts(v)));
    Ok(Resolved { matched: raw, seen })
}

async fn list_page(
    client: &Arc<Client>,
    s: &Selector,
    page: i64,
) -> Result<(i64, Vec<VideoInfo>), ApiError> {
    let (from, to) = window(s);
    let mut params: Vec<(&str, String)> = vec![
        ("StartTime", timefmt::format(from)),
        ("EndTime", timefmt::format(to)),
        ("PageNo", page.to_string()),
        ("PageSize", PAGE_SIZE.to_string()),
        ("SortBy", "CreationTime:Asc".to_string()),
    ];
    if !s.status.is_empty() {
        params.push(("Status", s.status.join(",")));
    }
    if let Some(c) = s.category_id {
        params.push(("CateId", c.to_string()));
    }
    if let Some(l) = &s.storage_location {
        params.push(("StorageLocation", l.clone()));
    }
    let reply = client.get_video_list(&params).await?;
    Ok((reply.total, reply.video_list.video))
}

/// The SearchMedia `Match` expression for a selector. It may match more than the selector (a
/// title prefix becomes a fuzzy title match, or is left out when it holds a quote); the results
/// are filtered again by the caller.
pub fn match_expression(s: &Selector) -> String {
    let (from, to) = window(s);
    let mut clauses = Vec::new();
    if !s.status.is_empty() {
        let list: Vec<String> = s.status.iter().map(|v| format!("'{v}'")).collect();
        clauses.push(format!("Status in ({})", list.join(",")));
    }
    if let Some(c) = s.category_id {
        clauses.push(format!("CateId = {c}"));
    }
    clauses.push(format!(
        "CreationTime = ('{}','{}')",
        timefmt::format(from),
        timefmt::format(to)
    ));
    if let Some(p) = &s.title_prefix
        && !p.contains(['\'', '(', ')', '"'])
    {
        clauses.push(format!("Title = '{p}'"));
    }
    if let Some(l) = s
        .storage_location
        .as_ref()
        .filter(|l| !l.contains([' ', '\'', '(', ')', '"']))
    {
        clauses.push(format!("StorageLocation = {l}"));
    }
    for t in s.tags.iter().filter(|t| !t.contains(['\'', '(', ')', '"'])) {
        clauses.push(format!("Tags = '{t}'"));
    }
    clauses.join(" and ")
}

/// A complete SearchMedia traversal with a ScrollToken.
async fn scroll(client: &Arc<Client>, s: &Selector) -> Result<Vec<VideoInfo>, ApiError> {
    let expression = match_expression(s);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let mut total = 0;
    loop {
        let mut params: Vec<(&str, String)> = vec![
            ("SearchType", "video".into()),
            ("Match", expression.clone()),
            ("SortBy", "CreationTime:Asc".into()),
            ("PageSize", PAGE_SIZE.to_string()),
            ("Fields", "Title,Status,CateId,Size,Duration,CreationTime,ModificationTime,ReferenceId,StorageLocation".into()),
        ];
        match &token {
            Some(t) => params.push(("ScrollToken", t.clone())),
            None => params.push(("PageNo", "1".into())),
        }
        let reply = client.search_media(&params).await?;
        total = total.max(reply.total);
        if total > SCROLL_LIMIT {
            return Err(too_many(total));
        }
        let page: Vec<VideoInfo> = reply
            .media_list
            .into_iter()
            .filter_map(|m| {
                m.video.map(|mut v| {
                    if v.video_id.is_empty() {
                        v.video_id = m.media_id;
                    }
                    v
                })
            })
            .collect();
        let done = page.is_empty() || out.len() + page.len() >= total as usize;
        out.extend(page);
        token = reply.scroll_token.filter(|t| !t.is_empty());
        if done {
            break;
        }
        if token.is_none() {
            return Err(incomplete(out.len(), total));
        }
    }
    if (out.len() as i64) < total {
        return Err(incomplete(out.len(), total));
    }
    Ok(out)
}

fn too_many(total: i64) -> ApiError {
    ApiError {
        action: "SearchMedia",
        kind: ApiErrorKind::Invalid,
        status: None,
        code: "SelectorTooBroad".into(),
        message: format!(
            "the selector matches {total} videos, more than SearchMedia can traverse ({SCROLL_LIMIT}); narrow it"
        ),
        request_id: None,
        retry_after: None,
    }
}

fn incomplete(got: usize, total: i64) -> ApiError {
    ApiError {
        action: "SearchMedia",
        kind: ApiErrorKind::Transient,
        status: None,
        code: "IncompleteTraversal".into(),
        message: format!(
            "the traversal stopped after {got} of {total} videos; the plan would be incomplete, so it was not made"
        ),
        request_id: None,
        retry_after: None,
    }
}
