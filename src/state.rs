//! Reading the live state that a plan needs, and nothing more.
//!
//! What is read: the videos and reference IDs that `delete` entries name (GetVideoInfos), and the
//! candidates the delete selectors list ([`crate::listing`]), each re-read once with
//! GetVideoInfos: that re-read is the state the plan decides on and fingerprints, the same source
//! `apply` re-checks a saved plan against. `keep` entries are not read at all: they are
//! predicates on the candidates' re-read state ([`crate::plan::Rules`]), so the API calls of a
//! plan grow with its deletion candidates, never with the size of a keep set or the catalogue.
//!
//! GetVideoInfos takes 20 IDs a call, many calls in flight ([`crate::vod::concurrency`]) under
//! the client's pacer (100 calls/s). Video IDs and reference IDs go in separate calls: whether
//! the API accepts both lists in one call is not documented. The result is a plain value; the
//! planner never calls the API.
//!
//! Every reply is read into a domain [`Video`] here (and in the listing), once: the wire type
//! `vod::api::VideoInfo` goes no further, and nothing above parses a status, a tag list or a time.

use indexmap::IndexMap;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};
use std::sync::Arc;

use crate::ids::{ReferenceId, VideoId, VideoRef};
use crate::listing::{self, ListError};
use crate::manifest::{DesiredState, Target};
/// The name the read and apply loops have always used for [`Progress`].
pub use crate::progress::Progress as ReadProgress;
pub use crate::progress::{Phase, Progress};
use crate::vod::api::{AuditRecord, VideoInfo};

mod video;
use crate::vod::concurrency::bounded;
use crate::vod::{ApiError, Client, MAX_IDS_PER_CALL};
pub use video::Video;

/// Calls kept in flight while reading: enough to hold 100 calls/s at up to 300 ms a call.
const READ_CONCURRENCY: usize = 40;

/// What the catalogue holds for the deletion candidates of a desired state.
#[derive(Debug, Default, Clone)]
pub struct Observed {
    /// The videos read with GetVideoInfos, densely stored (an index map: a million videos cost
    /// about half of what a plain hash map's power-of-two table of whole entries would).
    pub videos: IndexMap<VideoId, Video, FxBuildHasher>,
    pub by_reference: FxHashMap<ReferenceId, VideoId>,
    pub absent_videos: FxHashSet<VideoId>,
    pub absent_references: FxHashSet<ReferenceId>,
    /// Videos the delete selectors saw in all (for `--max-delete-percent`).
    pub selector_seen: usize,
    /// The latest manual review (GetAuditHistory) of the videos whose quarantine standing depends
    /// on it (`None`: the video has no review).
    pub reviews: FxHashMap<VideoId, Option<AuditRecord>>,
}

impl Observed {
    /// Records one GetVideoInfos answer to a question about these IDs.
    pub fn record(
        &mut self,
        asked_videos: &[VideoId],
        asked_refs: &[ReferenceId],
        list: Vec<VideoInfo>,
    ) {
        let mut seen = FxHashSet::default();
        for video in list.into_iter().filter_map(Video::read) {
            if let Some(r) = video
                .reference_id
                .as_deref()
                .and_then(|r| ReferenceId::new(r).ok())
            {
                self.by_reference.insert(r, video.id.clone());
            }
            seen.insert(video.id.clone());
            self.videos.insert(video.id.clone(), video);
        }
        // The videos returned are the truth: anything asked for and not returned is absent. (The
        // NonExist lists are not needed, and a contradictory answer can never make a returned
        // video look absent.)
        for v in asked_videos {
            if !seen.contains(v) {
                self.absent_videos.insert(v.clone());
            }
        }
        for r in asked_refs {
            if !self.by_reference.contains_key(r) {
                self.absent_references.insert(r.clone());
            }
        }
    }

    /// The latest review read for a video, if one was read and there is one.
    pub fn latest_review(&self, id: &VideoId) -> Option<&AuditRecord> {
        self.reviews.get(id).and_then(Option::as_ref)
    }

    /// The video an ID names, if it exists.
    pub fn resolve(&self, r: &VideoRef) -> Option<&VideoId> {
        match r {
            VideoRef::Video(v) => self.videos.get_key_value(v).map(|(k, _)| k),
            VideoRef::Reference(r) => self.by_reference.get(r),
        }
    }
}

/// Reads every deletion candidate of the desired state: the IDs `delete` names, then the
/// selectors' candidates not read yet, each once.
pub async fn observe(
    client: &Arc<Client>,
    desired: &DesiredState,
    progress: &dyn Progress,
) -> Result<Observed, ListError> {
    let mut videos: Vec<VideoId> = Vec::new();
    let mut refs: Vec<ReferenceId> = Vec::new();
    let mut named: FxHashSet<&VideoRef> = FxHashSet::default();
    for entry in &desired.delete {
        if let Target::Id(r) = &entry.target
            && named.insert(r)
        {
            match r {
                VideoRef::Video(v) => videos.push(v.clone()),
                VideoRef::Reference(x) => refs.push(x.clone()),
            }
        }
    }
    let mut observed = if videos.is_empty() && refs.is_empty() {
        Observed::default()
    } else {
        lookup(client, videos, refs, progress).await?
    };
    let listing = listing::list_candidates(client, desired, progress).await?;
    observed.selector_seen = listing.seen;
    let unread: Vec<VideoId> = listing
        .candidates
        .into_iter()
        .filter(|id| !observed.videos.contains_key(id) && !observed.absent_videos.contains(id))
        .collect();
    if !unread.is_empty() {
        // A candidate gone since it was listed is simply not observed: nothing to delete.
        let fresh = lookup(client, unread, Vec::new(), progress).await?;
        observed.videos.reserve(fresh.videos.len());
        for (id, info) in fresh.videos {
            observed.videos.insert(id, info);
        }
        observed.by_reference.extend(fresh.by_reference);
    }
    Ok(observed)
}

/// GetVideoInfos for the videos of `items`, 20 a call, concurrently under the pacer, handing
/// each answer to `each` as it arrives, with the offset in `items` of the 20 asked about and the
/// videos returned, read into [`Video`]s (a video asked for and not returned does not exist). Nothing is kept: a
/// million videos are judged without a million held (`apply` of a saved plan).
pub async fn read_each<'a, T: Sync>(
    client: &Arc<Client>,
    items: &'a [T],
    id: fn(&T) -> &VideoId,
    progress: &dyn Progress,
    mut each: impl FnMut(usize, &'a [T], Vec<Video>),
) -> Result<(), ApiError> {
    progress.start(Phase::Reading, Some(items.len() as u64));
    bounded(
        items.chunks(MAX_IDS_PER_CALL).enumerate(),
        READ_CONCURRENCY,
        |(n, chunk)| async move {
            let ids: Vec<VideoId> = chunk.iter().map(|t| id(t).clone()).collect();
            let reply = client.get_video_infos(&ids, &[]).await?;
            Ok::<_, ApiError>((n, chunk, reply.video_list))
        },
        |(n, chunk, videos), _| {
            progress.advance(chunk.len() as u64, 1);
            let videos = videos.into_iter().filter_map(Video::read).collect();
            each(n * MAX_IDS_PER_CALL, chunk, videos);
            Ok(())
        },
    )
    .await
}

/// GetVideoInfos for these IDs, 20 a call, concurrently under the pacer.
pub async fn lookup(
    client: &Arc<Client>,
    videos: Vec<VideoId>,
    refs: Vec<ReferenceId>,
    progress: &dyn Progress,
) -> Result<Observed, ApiError> {
    progress.start(Phase::Reading, Some((videos.len() + refs.len()) as u64));
    let mut batches: Vec<(&[VideoId], &[ReferenceId])> = Vec::new();
    for chunk in videos.chunks(MAX_IDS_PER_CALL) {
        batches.push((chunk, &[]));
    }
    for chunk in refs.chunks(MAX_IDS_PER_CALL) {
        batches.push((&[], chunk));
    }
    let mut observed = Observed::default();
    observed.videos.reserve(videos.len() + refs.len());
    bounded(
        batches,
        READ_CONCURRENCY,
        |(v, r)| async move {
            let reply = client.get_video_infos(v, r).await?;
            Ok::<_, ApiError>((v, r, reply))
        },
        |(v, r, reply), _| {
            progress.advance((v.len() + r.len()) as u64, 1);
            observed.record(v, r, reply.video_list);
            Ok(())
        },
    )
    .await?;
    Ok(observed)
}

/// Calls of GetAuditHistory kept in flight.
const REVIEW_CONCURRENCY: usize = 16;

/// Whether a video's latest review is needed to know whether it is in the quarantine that
/// `owner_tag` names: it is Blocked and carries that tag.
pub fn needs_review(video: &Video, owner_tag: &str) -> bool {
    video.is_blocked() && video.tags.contains(owner_tag)
}

/// The latest review (GetAuditHistory, newest first, one record) of each video.
pub async fn latest_reviews(
    client: &Client,
    ids: Vec<VideoId>,
) -> Result<Vec<(VideoId, Option<AuditRecord>)>, ApiError> {
    let mut out = Vec::with_capacity(ids.len());
    bounded(
        ids,
        REVIEW_CONCURRENCY,
        |id| async move {
            let reply = client.audit_history(&id, 1).await?;
            Ok::<_, ApiError>((id, reply.histories.into_iter().next()))
        },
        |got, _| {
            out.push(got);
            Ok(())
        },
    )
    .await?;
    Ok(out)
}

/// Reads the latest review of every observed video that needs it (see [`needs_review`]).
pub async fn read_reviews(
    client: &Client,
    observed: &mut Observed,
    owner_tag: &str,
) -> Result<(), ApiError> {
    let ids: Vec<VideoId> = observed
        .videos
        .iter()
        .filter(|(id, info)| needs_review(info, owner_tag) && !observed.reviews.contains_key(*id))
        .map(|(id, _)| id.clone())
        .collect();
    for (id, review) in latest_reviews(client, ids).await? {
        observed.reviews.insert(id, review);
    }
    Ok(())
}

/// Pages of a tag search, at most (100 videos a page).
const TAG_SEARCH_PAGES: usize = 100;

/// The videos SearchMedia finds carrying `tag` exactly (`Match` `Tags in ('TAG')`, ScrollToken
/// pages over every creation time), as candidates to re-read; best effort: the search index may
/// lag and how it matches tags is not documented precisely
/// (https://help.aliyun.com/document_detail/86044.html), so the result only adds videos to read,
/// never stands for the complete set, and a failed search finds nothing. A tag holding a quote
/// is not searched.
pub async fn search_tagged(client: &Client, tag: &str) -> Vec<VideoId> {
    use crate::vod::request::{Page, SearchMedia, SearchType, SortBy, VIDEO_FIELDS};
    if tag.contains(['\'', '"', '(', ')']) {
        return Vec::new();
    }
    let conditions = format!("Tags in ('{tag}')");
    let from = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(366);
    let to = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..TAG_SEARCH_PAGES {
        let request = SearchMedia {
            search_type: SearchType::Video,
            conditions: &conditions,
            created_from: from,
            created_to: to,
            sort_by: SortBy::CreationTimeAsc,
            page_size: 100,
            fields: &VIDEO_FIELDS,
            page: match &token {
                Some(t) => Page::Scroll(t),
                None => Page::No(1),
            },
        };
        let Ok(reply) = client.call(&request).await else {
            break;
        };
        let before = found.len();
        found.extend(reply.media_list.into_iter().filter_map(|m| {
            let id = m
                .video
                .map(|v| v.video_id)
                .filter(|v| !v.is_empty())
                .unwrap_or(m.media_id);
            VideoId::new(id).ok()
        }));
        token = reply.scroll_token.filter(|t| !t.is_empty());
        if found.len() == before || token.is_none() {
            break;
        }
    }
    found
}
