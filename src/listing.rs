//! Listing the deletion candidates of `match` selectors, completely or not at all.
//!
//! Only `delete` selectors are listed: a `keep` selector is a predicate evaluated on every
//! candidate's re-read state ([`crate::plan::Rules`]), so it costs no API call and cannot be
//! undone by a listing that is stale or short.
//!
//! A listing must prove itself complete. GetVideoList and SearchMedia page through only the first
//! 5,000 results of a query; a SearchMedia ScrollToken traversal reaches 2,000,000
//! (https://help.aliyun.com/document_detail/52838.html,
//! https://help.aliyun.com/document_detail/86044.html). So each selector's CreationTime range is
//! cut into half-open windows `[from, to)` of whole seconds, and a window is listed by pages only
//! when its `Total` fits in what paging reaches; a window too big (by its `Total`, or because its
//! paging ended before its `Total`: the reach is learned, a server may list less than documented)
//! is split into smaller windows, down to one second, which is traversed with a ScrollToken. A
//! window counts as listed only when it returned exactly `Total` distinct videos with the same
//! `Total` on every page; half-open windows partition the range, so the merged result has no gap,
//! and a video returned twice (ties at a window's edge) is counted once. Anything else fails the
//! plan with a [`ListError`]: a selector is never silently truncated.
//!
//! The range a selector without `createdAfter`/`createdBefore` is listed over is 1971-01-01 to
//! now + 1 day. A video created outside it (a pre-1971, future or unreadable creation time) is
//! not a deletion candidate of such a selector: missing a delete candidate is safe (nothing is
//! deleted that was not reviewed), and keep entries never depend on a listing.
//!
//! Windows are paged with GetVideoList (status, category, storage location and time filtered by
//! the server); only a one-second window too big to page is traversed with SearchMedia. Every
//! listed video is checked again against the whole selector (the title prefix and the tags are
//! only checked here); the plan then re-checks it on the video's GetVideoInfos state. All windows of all selectors are listed concurrently through
//! [`crate::vod::concurrency::bounded`], paced by the client's per-action pacers.

use std::collections::{HashSet, VecDeque};
use std::fmt;

use rustc_hash::FxHashSet;
use time::{Duration as TimeDuration, OffsetDateTime};

use crate::ids::VideoId;
use crate::manifest::{DesiredState, Location, Selector, Target};
use crate::progress::{Phase, Progress};
use crate::state::Video;
use crate::timefmt;
use crate::vod::api::VideoInfo;
use crate::vod::concurrency::bounded;
use crate::vod::request::{GetVideoList, Page, SearchMedia, SearchType, SortBy, VIDEO_FIELDS};
use crate::vod::{ApiError, Client};

/// GetVideoList and SearchMedia page through at most this many results of one query.
pub const PAGE_LIMIT: u64 = 5_000;
/// SearchMedia's ScrollToken traversal reaches at most this many.
pub const SCROLL_LIMIT: u64 = 2_000_000;
/// The most rows one page holds (PageSize ≤ 100).
const PAGE_SIZE: u64 = 100;
/// Listing calls kept in flight: the pacers (50 calls/s each) set the pace; this only has to
/// cover the latency (16 calls at 300 ms is 53 calls/s).
const LIST_CONCURRENCY: usize = 16;
/// A window too big is cut into parts expected to hold this fraction of the reach each.
const FILL: f64 = 0.8;
/// The most parts one window is cut into at once (a skewed window is cut again).
const MAX_PARTS: u64 = 64;

/// A CreationTime window `[from, to)`, in whole seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
}

impl Window {
    fn seconds(self) -> i64 {
        self.to - self.from
    }

    fn time(t: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The window cut into `parts` half-open windows that cover it exactly.
    fn split(self, parts: u64) -> Vec<Window> {
        let parts = (parts as i64).clamp(2, self.seconds().max(2));
        let mut edges: Vec<i64> = (0..=parts)
            .map(|j| self.from + ((self.seconds() as i128 * j as i128) / parts as i128) as i64)
            .collect();
        edges.dedup();
        edges
            .windows(2)
            .map(|w| Window {
                from: w[0],
                to: w[1],
            })
            .collect()
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}, {})",
            timefmt::format(Window::time(self.from)),
            timefmt::format(Window::time(self.to))
        )
    }
}

/// Why a selector's listing could not be proven complete.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(
        "{location}: the listing of `{selector}` for videos created in {window} ended after {got} of its {total} videos; a plan from it could be incomplete, so none was made (run the plan again; if it persists, narrow the selector's createdAfter/createdBefore)"
    )]
    Incomplete {
        location: Location,
        selector: String,
        window: Window,
        got: u64,
        total: u64,
    },
    #[error(
        "{location}: the number of videos `{selector}` matches in {window} changed from {before} to {after} while it was listed; the catalogue changed under the plan, so none was made (run the plan again)"
    )]
    TotalChanged {
        location: Location,
        selector: String,
        window: Window,
        before: u64,
        after: u64,
    },
    #[error(
        "{location}: `{selector}` matches {total} videos created within the one second {window}, more than SearchMedia can traverse ({limit}); no plan was made (narrow the selector)"
    )]
    TooBroad {
        location: Location,
        selector: String,
        window: Window,
        total: u64,
        limit: u64,
    },
}

/// The deletion candidates the delete selectors listed.
#[derive(Debug, Default)]
pub struct Listing {
    /// The videos some delete selector matched on their listed state (distinct, sorted).
    pub candidates: Vec<VideoId>,
    /// Distinct videos the delete selectors' queries returned (for `--max-delete-percent`).
    pub seen: usize,
    /// Listing calls made.
    pub calls: u64,
}

/// One delete selector being listed.
struct Query<'a> {
    location: &'a Location,
    selector: &'a Selector,
}

enum Task {
    /// The first page of a window: its `Total` decides how it is listed. `parent`: the split
    /// window it is a part of.
    Probe {
        query: usize,
        window: Window,
        parent: Option<usize>,
    },
    /// A further page of a window that fits (`slot`: the window's state).
    Page {
        slot: usize,
        query: usize,
        window: Window,
        total: u64,
        page: u64,
    },
    /// A one-second window too big to page: a ScrollToken traversal, which must find the
    /// window's `Total` as GetVideoList reported it.
    Scroll {
        query: usize,
        window: Window,
        total: u64,
    },
}

enum Answer {
    Probe {
        query: usize,
        window: Window,
        parent: Option<usize>,
        total: u64,
        rows: Vec<VideoInfo>,
    },
    Page {
        slot: usize,
        page: u64,
        total: u64,
        rows: Vec<VideoInfo>,
    },
    Scrolled {
        query: usize,
        rows: Vec<VideoInfo>,
    },
}

/// A window split into parts: the parts' `Total`s must add up to its own, or the catalogue
/// changed under the listing (or the server's sort or filter is not what it says).
struct Split {
    query: usize,
    window: Window,
    total: u64,
    parts_left: usize,
    sum: u64,
}

/// A window being listed by pages.
struct Slot {
    query: usize,
    window: Window,
    total: u64,
    pages_left: u64,
    rows: Vec<VideoInfo>,
    /// Split after a short page: later pages are ignored.
    abandoned: bool,
}

/// Lists every delete selector of the desired state, completely.
pub async fn list_candidates(
    client: &Client,
    desired: &DesiredState,
    progress: &dyn Progress,
) -> Result<Listing, ListError> {
    let queries: Vec<Query> = desired
        .delete
        .iter()
        .filter_map(|e| match &e.target {
            Target::Match(s) => Some(Query {
                location: &e.location,
                selector: s,
            }),
            Target::Id(_) => None,
        })
        .collect();
    let work: Vec<Task> = queries
        .iter()
        .enumerate()
        .filter_map(|(query, q)| {
            range(q.selector, OffsetDateTime::now_utc()).map(|window| Task::Probe {
                query,
                window,
                parent: None,
            })
        })
        .collect();
    if work.is_empty() {
        return Ok(Listing::default());
    }
    progress.start(Phase::Listing, None);
    let mut lister = Lister {
        queries: &queries,
        progress,
        reach: PAGE_LIMIT,
        splits: Vec::new(),
        slots: Vec::new(),
        seen: FxHashSet::default(),
        unnamed: 0,
        candidates: FxHashSet::default(),
        calls: 0,
    };
    let queries = &queries;
    bounded(
        work,
        LIST_CONCURRENCY,
        |task| fetch(client, queries, task, progress),
        |answer, queue| lister.on_answer(answer, queue),
    )
    .await?;
    let mut candidates: Vec<VideoId> = lister.candidates.into_iter().collect();
    candidates.sort();
    Ok(Listing {
        candidates,
        seen: lister.seen.len() + lister.unnamed,
        calls: lister.calls,
    })
}

/// Carries out one task: one API call, or a whole traversal.
async fn fetch(
    client: &Client,
    queries: &[Query<'_>],
    task: Task,
    progress: &dyn Progress,
) -> Result<Answer, ListError> {
    Ok(match task {
        Task::Probe {
            query,
            window,
            parent,
        } => {
            let (total, rows) = page(client, &queries[query], window, 1).await?;
            Answer::Probe {
                query,
                window,
                parent,
                total,
                rows,
            }
        }
        Task::Page {
            slot,
            query,
            window,
            total: expected,
            page: n,
        } => {
            let (total, rows) = match page(client, &queries[query], window, n).await {
                // A page past what paging reaches may be refused rather than cut short: the
                // same thing, a window too big to page.
                Err(e) if e.code == "InvalidParameter.PageNo" => (expected, Vec::new()),
                other => other?,
            };
            Answer::Page {
                slot,
                page: n,
                total,
                rows,
            }
        }
        Task::Scroll {
            query,
            window,
            total,
        } => {
            let rows = scroll(client, &queries[query], window, total, progress).await?;
            Answer::Scrolled { query, rows }
        }
    })
}

/// What the listing knows so far; decides what each answer means and what to list next.
struct Lister<'a> {
    queries: &'a [Query<'a>],
    progress: &'a dyn Progress,
    /// How many results paging reaches: 5,000 as documented, lowered when a server lists less.
    reach: u64,
    splits: Vec<Split>,
    slots: Vec<Slot>,
    seen: FxHashSet<VideoId>,
    /// Rows whose ID is not a video ID (seen, never candidates).
    unnamed: usize,
    candidates: FxHashSet<VideoId>,
    calls: u64,
}

impl Lister<'_> {
    fn on_answer(&mut self, answer: Answer, queue: &mut VecDeque<Task>) -> Result<(), ListError> {
        let listed = match answer {
            Answer::Probe {
                query,
                window,
                parent,
                total,
                rows,
            } => self.on_probe(query, window, parent, total, rows, queue)?,
            Answer::Page {
                slot,
                page,
                total,
                rows,
            } => self.on_page(slot, page, total, rows, queue)?,
            Answer::Scrolled { query, rows } => Some((query, rows)),
        };
        if let Some((query, rows)) = listed {
            self.found(query, rows);
        }
        Ok(())
    }

    /// The rows of a window proven complete, each read into a [`Video`] (once) and checked
    /// against its selector.
    fn found(&mut self, query: usize, rows: Vec<VideoInfo>) {
        self.progress.advance(rows.len() as u64, 0);
        let s = self.queries[query].selector;
        for row in rows {
            // A row whose ID is not a video ID is seen, never a candidate.
            let Some(video) = Video::read(row) else {
                self.unnamed += 1;
                continue;
            };
            if s.matches(&video.facts()) {
                self.candidates.insert(video.id.clone());
            }
            self.seen.insert(video.id);
        }
    }

    /// The first page of a window: list it by pages, or split it.
    fn on_probe(
        &mut self,
        query: usize,
        mut window: Window,
        parent: Option<usize>,
        total: u64,
        rows: Vec<VideoInfo>,
        queue: &mut VecDeque<Task>,
    ) -> Result<Option<(usize, Vec<VideoInfo>)>, ListError> {
        self.calls += 1;
        self.progress.advance(0, 1);
        if let Some(p) = parent {
            self.add_part(p, total)?;
        }
        if total == 0 {
            return Ok(None);
        }
        if total > self.reach {
            // Sorted by creation time, the first row is the window's earliest video: nothing
            // to split before it (the parts' totals check this).
            if let Some(first) = rows
                .first()
                .and_then(|r| r.creation_time.as_deref())
                .and_then(timefmt::parse)
                .map(|t| t.unix_timestamp())
                .filter(|t| *t > window.from && *t < window.to)
            {
                window.from = first;
            }
            self.too_big(query, window, total, queue)?;
            return Ok(None);
        }
        let got = rows.len() as u64;
        if got < total.min(PAGE_SIZE) {
            self.reach = self.reach.min(got.max(1));
            self.too_big(query, window, total, queue)?;
            return Ok(None);
        }
        let pages = total.div_ceil(PAGE_SIZE);
        if pages == 1 {
            return self.complete_or_split(query, window, total, rows, queue);
        }
        let slot = self.slots.len();
        self.slots.push(Slot {
            query,
            window,
            total,
            pages_left: pages - 1,
            rows,
            abandoned: false,
        });
        queue.extend((2..=pages).map(|page| Task::Page {
            slot,
            query,
            window,
            total,
            page,
        }));
        Ok(None)
    }

    /// A further page of a window listed by pages.
    fn on_page(
        &mut self,
        slot: usize,
        page: u64,
        total: u64,
        rows: Vec<VideoInfo>,
        queue: &mut VecDeque<Task>,
    ) -> Result<Option<(usize, Vec<VideoInfo>)>, ListError> {
        self.calls += 1;
        self.progress.advance(0, 1);
        let s = &mut self.slots[slot];
        let (query, window, expected_total) = (s.query, s.window, s.total);
        if s.abandoned {
            return Ok(None);
        }
        if total != expected_total {
            let q = &self.queries[query];
            return Err(ListError::TotalChanged {
                location: q.location.clone(),
                selector: q.selector.to_string(),
                window,
                before: expected_total,
                after: total,
            });
        }
        let offset = (page - 1) * PAGE_SIZE;
        if (rows.len() as u64) < (expected_total - offset).min(PAGE_SIZE) {
            // Paging ended before the window's `Total`: it reaches less than thought.
            s.abandoned = true;
            self.reach = self.reach.min((offset + rows.len() as u64).max(1));
            self.too_big(query, window, expected_total, queue)?;
            return Ok(None);
        }
        s.rows.extend(rows);
        s.pages_left -= 1;
        if s.pages_left > 0 {
            return Ok(None);
        }
        let rows = std::mem::take(&mut s.rows);
        self.complete_or_split(query, window, expected_total, rows, queue)
    }

    /// A window's rows if they prove it complete; otherwise (the right count with a video
    /// twice: the order of ties moved between pages) the window is listed again in smaller
    /// windows, down to one second traversed with a ScrollToken, which have fewer ties to move.
    fn complete_or_split(
        &mut self,
        query: usize,
        window: Window,
        total: u64,
        rows: Vec<VideoInfo>,
        queue: &mut VecDeque<Task>,
    ) -> Result<Option<(usize, Vec<VideoInfo>)>, ListError> {
        match complete(&self.queries[query], window, total, rows) {
            Ok(rows) => Ok(Some((query, rows))),
            Err(_) => {
                self.too_big(query, window, total, queue)?;
                Ok(None)
            }
        }
    }

    /// Counts one part's `Total` towards its split window's.
    fn add_part(&mut self, p: usize, total: u64) -> Result<(), ListError> {
        let split = &mut self.splits[p];
        split.sum += total;
        split.parts_left -= 1;
        if split.parts_left == 0 && split.sum != split.total {
            let q = &self.queries[split.query];
            return Err(ListError::TotalChanged {
                location: q.location.clone(),
                selector: q.selector.to_string(),
                window: split.window,
                before: split.total,
                after: split.sum,
            });
        }
        Ok(())
    }

    /// Queues what lists a window whose `Total` does not fit in what paging reaches: its
    /// parts, or a traversal when it is one second long.
    fn too_big(
        &mut self,
        query: usize,
        window: Window,
        total: u64,
        queue: &mut VecDeque<Task>,
    ) -> Result<(), ListError> {
        if window.seconds() > 1 {
            let parts = ((total as f64) / (self.reach as f64 * FILL)).ceil() as u64;
            let parts = window.split(parts.clamp(2, MAX_PARTS));
            let parent = Some(self.splits.len());
            self.splits.push(Split {
                query,
                window,
                total,
                parts_left: parts.len(),
                sum: 0,
            });
            queue.extend(parts.into_iter().map(|window| Task::Probe {
                query,
                window,
                parent,
            }));
            Ok(())
        } else if total > SCROLL_LIMIT {
            let q = &self.queries[query];
            Err(ListError::TooBroad {
                location: q.location.clone(),
                selector: q.selector.to_string(),
                window,
                total,
                limit: SCROLL_LIMIT,
            })
        } else {
            queue.push_back(Task::Scroll {
                query,
                window,
                total,
            });
            Ok(())
        }
    }
}

/// The window a selector is listed over (`None`: it cannot match anything).
fn range(s: &Selector, now: OffsetDateTime) -> Option<Window> {
    let from = s
        .created_after
        .unwrap_or(OffsetDateTime::UNIX_EPOCH + TimeDuration::days(365))
        .unix_timestamp();
    // Whole seconds: `createdBefore` with a fraction rounds up (a superset, filtered again).
    // Bounded by the latest time the API can carry, whatever the clock says.
    let to = s
        .created_before
        .map(|t| t.unix_timestamp() + i64::from(t.nanosecond() > 0))
        .unwrap_or_else(|| {
            now.checked_add(TimeDuration::days(1))
                .map_or(crate::timefmt::LATEST_UNIX, OffsetDateTime::unix_timestamp)
        })
        .min(crate::timefmt::LATEST_UNIX);
    (to > from).then_some(Window { from, to })
}

/// A window's rows, once they prove it listed completely: exactly `total` distinct videos.
fn complete(
    q: &Query,
    window: Window,
    total: u64,
    rows: Vec<VideoInfo>,
) -> Result<Vec<VideoInfo>, ListError> {
    let distinct: HashSet<&str> = rows.iter().map(|r| r.video_id.as_str()).collect();
    if distinct.len() as u64 != total {
        return Err(ListError::Incomplete {
            location: q.location.clone(),
            selector: q.selector.to_string(),
            window,
            got: distinct.len() as u64,
            total,
        });
    }
    Ok(rows)
}

/// One page of a window: `Total` and the rows.
async fn page(
    client: &Client,
    q: &Query<'_>,
    window: Window,
    page: u64,
) -> Result<(u64, Vec<VideoInfo>), ApiError> {
    let s = q.selector;
    let request = GetVideoList {
        start_time: Window::time(window.from),
        end_time: Window::time(window.to),
        page_no: page,
        page_size: PAGE_SIZE,
        sort_by: SortBy::CreationTimeAsc,
        status: &s.status,
        cate_id: s.category_id,
        storage_location: s.storage_location.as_deref(),
    };
    let reply = client.call(&request).await?;
    Ok((reply.total.max(0) as u64, reply.video_list.video))
}

fn media_videos(list: Vec<crate::vod::api::Media>) -> Vec<VideoInfo> {
    list.into_iter()
        .filter_map(|m| {
            m.video.map(|mut v| {
                if v.video_id.is_empty() {
                    v.video_id = m.media_id;
                }
                v
            })
        })
        .collect()
}

/// The SearchMedia `Match` conditions for a selector, without the time window. It may match more
/// than the selector (a value holding a quote or bracket is left out; the title prefix and the
/// tags are only checked locally: what a search index makes of them is not documented precisely
/// enough to narrow a listing by); the results are filtered again.
pub fn match_expression(s: &Selector) -> String {
    let mut clauses = Vec::new();
    if !s.status.is_empty() {
        let list: Vec<String> = s.status.iter().map(|v| format!("'{v}'")).collect();
        clauses.push(format!("Status in ({})", list.join(",")));
    }
    if let Some(c) = s.category_id {
        clauses.push(format!("CateId = {c}"));
    }
    if let Some(l) = s
        .storage_location
        .as_ref()
        .filter(|l| !l.contains([' ', '\'', '(', ')', '"']))
    {
        clauses.push(format!("StorageLocation = {l}"));
    }
    clauses.join(" and ")
}

/// A complete ScrollToken traversal of a one-second window.
async fn scroll(
    client: &Client,
    q: &Query<'_>,
    window: Window,
    listed: u64,
    progress: &dyn Progress,
) -> Result<Vec<VideoInfo>, ListError> {
    let expression = match_expression(q.selector);
    let mut out: Vec<VideoInfo> = Vec::new();
    let mut token: Option<String> = None;
    let mut total: Option<u64> = Some(listed);
    let incomplete = |got: u64, total: u64| ListError::Incomplete {
        location: q.location.clone(),
        selector: q.selector.to_string(),
        window,
        got,
        total,
    };
    loop {
        let request = SearchMedia {
            search_type: SearchType::Video,
            conditions: &expression,
            created_from: Window::time(window.from),
            created_to: Window::time(window.to),
            sort_by: SortBy::CreationTimeAsc,
            page_size: PAGE_SIZE,
            fields: &VIDEO_FIELDS,
            page: match &token {
                Some(t) => Page::Scroll(t),
                None => Page::No(1),
            },
        };
        let reply = client.call(&request).await?;
        let now = reply.total.max(0) as u64;
        let expected = *total.get_or_insert(now);
        if now != expected {
            return Err(ListError::TotalChanged {
                location: q.location.clone(),
                selector: q.selector.to_string(),
                window,
                before: expected,
                after: now,
            });
        }
        if expected > SCROLL_LIMIT {
            return Err(ListError::TooBroad {
                location: q.location.clone(),
                selector: q.selector.to_string(),
                window,
                total: expected,
                limit: SCROLL_LIMIT,
            });
        }
        let rows = media_videos(reply.media_list);
        progress.advance(0, 1);
        let empty = rows.is_empty();
        out.extend(rows);
        if out.len() as u64 >= expected {
            break;
        }
        token = reply.scroll_token.filter(|t| !t.is_empty());
        if empty || token.is_none() {
            return Err(incomplete(out.len() as u64, expected));
        }
    }
    let total = total.unwrap_or(0);
    complete(q, window, total, out).map_err(|e| match e {
        ListError::Incomplete { got, .. } => incomplete(got, total),
        e => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_end_is_bounded_whatever_the_clock_says() {
        let s = Selector::default();
        let end_of_time = crate::timefmt::parse("9999-12-31T23:30:00Z").unwrap();
        let w = range(&s, end_of_time).unwrap();
        assert_eq!(w.to, crate::timefmt::LATEST_UNIX);
    }

    #[test]
    fn windows_split_into_half_open_parts_that_cover_exactly() {
        let w = Window { from: 10, to: 110 };
        for parts in [2, 3, 7, 64, 1000] {
            let split = w.split(parts);
            assert_eq!(split.first().unwrap().from, 10);
            assert_eq!(split.last().unwrap().to, 110);
            assert!(split.windows(2).all(|p| p[0].to == p[1].from));
            assert!(split.iter().all(|p| p.to > p.from));
            assert!(split.len() as u64 <= parts.min(100));
        }
        assert_eq!(
            Window { from: 0, to: 2 }.split(5),
            [Window { from: 0, to: 1 }, Window { from: 1, to: 2 }]
        );
    }
}
