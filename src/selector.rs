//! Resolving `match` selectors against the live catalogue.
//!
//! GetVideoList filters on status, category and creation time server-side; a title prefix is
//! checked here. GetVideoList only reaches the first 5,000 results of a query, so a query that
//! reports more is split by creation-time windows (halving the window until each part fits), and
//! the traversal is complete or the plan fails: a selector is never silently truncated.

use std::collections::HashSet;
use std::sync::Arc;

use time::{Duration as TimeDuration, OffsetDateTime};

use crate::ids::VideoId;
use crate::manifest::{DesiredState, Selector, Target};
use crate::state::Observed;
use crate::timefmt;
use crate::vod::api::VideoInfo;
use crate::vod::{ApiError, ApiErrorKind, Client};

/// GetVideoList reaches at most this many results of one query.
pub const LIST_WINDOW_LIMIT: i64 = 5_000;
const PAGE_SIZE: i64 = 100;

/// Resolves every selector of the desired state into `observed`.
pub async fn resolve_all(
    client: &Arc<Client>,
    desired: &DesiredState,
    observed: &mut Observed,
) -> Result<(), ApiError> {
    let mut delete_seen: HashSet<VideoId> = HashSet::new();
    for (i, entry) in desired.delete.iter().enumerate() {
        if let Target::Match(s) = &entry.target {
            let found = resolve(client, s).await?;
            let ids = remember(observed, found);
            delete_seen.extend(ids.iter().cloned());
            observed.delete_matches.insert(i, ids);
        }
    }
    observed.selector_seen = delete_seen.len();
    for (i, entry) in desired.keep.iter().enumerate() {
        if let Target::Match(s) = &entry.target {
            let found = resolve(client, s).await?;
            let ids = remember(observed, found);
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

/// Every video the selector matches.
pub async fn resolve(client: &Arc<Client>, s: &Selector) -> Result<Vec<VideoInfo>, ApiError> {
    // The API wants a time window; without one, use all of time up to now (plus a margin).
    let start = s
        .created_after
        .unwrap_or(OffsetDateTime::UNIX_EPOCH + TimeDuration::days(365));
    let end = s
        .created_before
        .unwrap_or_else(|| OffsetDateTime::now_utc() + TimeDuration::days(1));
    let mut out = Vec::new();
    let mut windows = vec![(start, end)];
    while let Some((from, to)) = windows.pop() {
        let (total, videos) = list_window(client, s, from, to, 1).await?;
        if total <= LIST_WINDOW_LIMIT {
            out.extend(videos);
            let mut page = 2;
            while (page - 1) * PAGE_SIZE < total {
                let (_, more) = list_window(client, s, from, to, page).await?;
                if more.is_empty() {
                    break;
                }
                out.extend(more);
                page += 1;
            }
        } else {
            let span = to - from;
            if span <= TimeDuration::seconds(1) {
                return Err(ApiError {
                    action: "GetVideoList",
                    kind: ApiErrorKind::Invalid,
                    status: None,
                    code: "SelectorTooDense".into(),
                    message: format!(
                        "more than {LIST_WINDOW_LIMIT} videos were created within one second at {}; the selector cannot be traversed completely",
                        timefmt::format(from)
                    ),
                    request_id: None,
                    retry_after: None,
                });
            }
            let mid = from + span / 2;
            windows.push((mid, to));
            windows.push((from, mid));
        }
    }
    out.retain(|v| {
        let created = v.creation_time.as_deref().and_then(timefmt::parse);
        s.matches(&v.status, v.cate_id, created, &v.title)
    });
    let mut seen = HashSet::new();
    out.retain(|v| seen.insert(v.video_id.clone()));
    Ok(out)
}

async fn list_window(
    client: &Arc<Client>,
    s: &Selector,
    from: OffsetDateTime,
    to: OffsetDateTime,
    page: i64,
) -> Result<(i64, Vec<VideoInfo>), ApiError> {
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
    let reply = client.get_video_list(&params).await?;
    Ok((reply.total, reply.video_list.video))
}
