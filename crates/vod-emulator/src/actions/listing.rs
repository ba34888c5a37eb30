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
//! - A `ScrollToken` is a cursor (the position of the last video delivered, see
//!   `catalog::index`), not a result list: a continuation costs O(page) whatever the catalogue
//!   size, and deletions between pages shift nothing. A token stays valid (a retried continuation
//!   gets the same page) until it has been idle for `--scroll-idle` seconds (10 minutes by
//!   default) or 50,000 newer tokens were issued; then it is refused like an unknown token
//!   (`InvalidParameter.ScrollToken`; how long the real service keeps a token is not documented
//!   [unverified]).
//!
//! Both reaches can be lowered (`vodplan emulator --page-limit N --scroll-limit N`) so that tests
//! reach them with thousands of videos instead of millions.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::super::catalog::query::{self, Clause, Filter, TimeRange};
use super::super::catalog::{Catalog, Selection};
use super::{Params, ServiceError, int_param, invalid};

/// How far a query can be listed, and how long a scroll cursor lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Results reachable by plain paging (the real service: 5,000).
    pub page: usize,
    /// Results reachable by a ScrollToken traversal (the real service: 2,000,000).
    pub scroll: usize,
    /// A scroll token unused this long is forgotten.
    pub scroll_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            page: 5_000,
            scroll: 2_000_000,
            scroll_idle: Duration::from_secs(600),
        }
    }
}

/// Where a scroll traversal stands.
#[derive(Debug, Clone)]
struct Scroll {
    /// The query it belongs to (`Match`, sort order).
    query: String,
    /// Position of the last video delivered.
    last: u32,
    /// Videos delivered so far in this traversal.
    delivered: usize,
    /// `Total` when the traversal began.
    total: u64,
    touched: Instant,
}

/// The live scroll cursors, forgotten when idle or when too many were issued.
#[derive(Debug, Default)]
pub struct Scrolls {
    cursors: HashMap<String, Scroll>,
    /// Tokens by the time they were issued or last checked.
    queue: VecDeque<(Instant, String)>,
}

/// The most cursors kept: a 2,000,000-video traversal at 100 a page issues 20,000.
const MAX_SCROLLS: usize = 50_000;

impl Scrolls {
    fn purge(&mut self, now: Instant, idle: Duration) {
        while let Some((when, _)) = self.queue.front() {
            let over = self.cursors.len() > MAX_SCROLLS;
            if !over && now.duration_since(*when) < idle {
                break;
            }
            let (_, token) = self.queue.pop_front().expect("front exists");
            match self.cursors.get(&token) {
                // Used since it was queued: queue it again at its last use.
                Some(s) if !over && now.duration_since(s.touched) < idle => {
                    self.queue.push_back((s.touched, token));
                }
                _ => {
                    self.cursors.remove(&token);
                }
            }
        }
    }

    fn issue(&mut self, scroll: Scroll, idle: Duration) -> String {
        self.purge(scroll.touched, idle);
        let token = format!("{:032x}", fastrand::u128(..));
        self.queue.push_back((scroll.touched, token.clone()));
        self.cursors.insert(token.clone(), scroll);
        token
    }

    fn take(&mut self, token: &str, now: Instant, idle: Duration) -> Option<Scroll> {
        self.purge(now, idle);
        let s = self.cursors.get_mut(token)?;
        s.touched = now;
        Some(s.clone())
    }

    /// How many cursors are kept now.
    pub fn len(&self) -> usize {
        self.cursors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cursors.is_empty()
    }
}

/// `SortBy`: `CreationTime:Desc` (the default) or `CreationTime:Asc`.
fn sort_ascending(params: &Params) -> Result<bool, ServiceError> {
    match params.get("SortBy").map(String::as_str) {
        None | Some("CreationTime:Desc") => Ok(false),
        Some("CreationTime:Asc") => Ok(true),
        Some(_) => Err(invalid("SortBy")),
    }
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
    let selection = catalog.select(&filter);
    let page: Vec<Value> = selection
        .page(ascending, from, to - from)
        .into_iter()
        .map(|p| selection.video(p).to_api())
        .collect();
    Ok(json!({ "Total": selection.total(), "VideoList": { "Video": page } }))
}

fn media(selection: &Selection<'_>, positions: &[u32]) -> Vec<Value> {
    positions
        .iter()
        .map(|p| {
            let v = selection.video(*p);
            json!({ "MediaType": "video", "MediaId": v.id(), "CreationTime": v.creation_time(), "Video": v.to_api() })
        })
        .collect()
}

/// SearchMedia for videos: `Match` (see [`query`]), `SortBy` on CreationTime, `PageNo`/`PageSize`
/// within the paging reach, or a `ScrollToken` traversal within the scroll reach.
pub fn search_media(
    catalog: &Catalog,
    params: &Params,
    scrolls: &mut Scrolls,
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
    let selection = catalog.select(&filter);
    let now = Instant::now();
    let (total, from, page) = match params.get("ScrollToken").filter(|t| !t.is_empty()) {
        Some(token) => {
            let scroll = scrolls
                .take(token, now, limits.scroll_idle)
                .ok_or_else(|| invalid("ScrollToken"))?;
            if scroll.query != query {
                return Err(ServiceError::new(
                    400,
                    "InvalidParameter.ScrollToken",
                    "The ScrollToken belongs to another query.",
                ));
            }
            let total = if selection.counts_cheaply() {
                selection.total()
            } else {
                scroll.total
            };
            let room = limits.scroll.saturating_sub(scroll.delivered);
            let page = selection.after(ascending, scroll.last, page_size.min(room));
            (total, scroll.delivered, page)
        }
        None => {
            let (from, to) = plain_page(params, page_size, limits)?;
            (
                selection.total(),
                from,
                selection.page(ascending, from, to - from),
            )
        }
    };
    let delivered = from + page.len();
    let token = match page.last() {
        Some(last) if (delivered as u64) < total.min(limits.scroll as u64) => {
            let scroll = Scroll {
                query,
                last: *last,
                delivered,
                total,
                touched: now,
            };
            scrolls.issue(scroll, limits.scroll_idle)
        }
        _ => String::new(),
    };
    Ok(json!({ "Total": total, "MediaList": media(&selection, &page), "ScrollToken": token }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scroll(at: Instant) -> Scroll {
        Scroll {
            query: "q".into(),
            last: 0,
            delivered: 0,
            total: 0,
            touched: at,
        }
    }

    #[test]
    fn cursors_are_forgotten_when_idle_or_too_many() {
        let idle = Duration::from_secs(600);
        let t0 = Instant::now();
        let mut s = Scrolls::default();
        let first = s.issue(scroll(t0), idle);
        let used = s.issue(scroll(t0), idle);
        let unused = s.issue(scroll(t0), idle);
        // Using a cursor keeps it alive; idle ones go.
        assert!(s.take(&used, t0 + Duration::from_secs(500), idle).is_some());
        assert!(
            s.take(&first, t0 + Duration::from_secs(599), idle)
                .is_some()
        );
        let later = t0 + Duration::from_secs(1000);
        assert!(s.take(&unused, later, idle).is_none());
        assert!(s.take(&used, later, idle).is_some());
        // At most MAX_SCROLLS are kept, the oldest forgotten first.
        let tokens: Vec<String> = (0..MAX_SCROLLS + 10)
            .map(|_| s.issue(scroll(later), idle))
            .collect();
        assert!(s.len() <= MAX_SCROLLS + 1);
        assert!(s.take(&tokens[0], later, idle).is_none());
        assert!(s.take(tokens.last().unwrap(), later, idle).is_some());
    }
}
