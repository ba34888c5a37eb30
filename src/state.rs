//! Reading the live state that a desired state needs, and nothing more.
//!
//! Every video and reference ID named in `delete` or `keep` is looked up with GetVideoInfos, 20 to
//! a call, many calls in flight under the client's pacer (100 calls/s). Video IDs and reference IDs
//! go in separate calls: whether the API accepts both lists in one call is not documented.
//! Selectors are resolved by [`crate::selector`]. The result is a plain value; the planner never
//! calls the API.

use indexmap::IndexMap;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};
use std::sync::Arc;

use tokio::task::JoinSet;

use crate::ids::{ReferenceId, VideoId, VideoRef};
use crate::manifest::{DesiredState, Target};
use crate::vod::api::VideoInfo;
use crate::vod::{ApiError, Client, MAX_IDS_PER_CALL};

/// Calls kept in flight while reading: enough to hold 100 calls/s at up to 300 ms a call.
const READ_CONCURRENCY: usize = 40;

/// What the catalogue holds for the IDs and selectors of a desired state.
#[derive(Debug, Default, Clone)]
pub struct Observed {
    /// The videos seen, densely stored (an index map: a million videos cost about half of what a
    /// plain hash map's power-of-two table of whole entries would).
    pub videos: IndexMap<VideoId, VideoInfo, FxBuildHasher>,
    pub by_reference: FxHashMap<ReferenceId, VideoId>,
    pub absent_videos: FxHashSet<VideoId>,
    pub absent_references: FxHashSet<ReferenceId>,
    /// For each selector entry (by its index in `delete` or `keep`), the videos it matched.
    pub delete_matches: FxHashMap<usize, Vec<VideoId>>,
    pub keep_matches: FxHashMap<usize, Vec<VideoId>>,
    /// Videos the delete selectors saw in all (for `--max-delete-percent`).
    pub selector_seen: usize,
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
        for info in list {
            let Ok(id) = VideoId::new(info.video_id.clone()) else {
                continue;
            };
            if let Some(r) = info
                .reference_id
                .as_deref()
                .and_then(|r| ReferenceId::new(r).ok())
            {
                self.by_reference.insert(r, id.clone());
            }
            seen.insert(id.clone());
            self.videos.insert(id, info);
        }
        // The videos returned are the truth: anything asked for and not returned is absent. (The
        // NonExist lists are not needed, and a contradictory answer can never make a returned
        // video, and so a kept one, look absent.)
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

    /// The video an ID names and what was observed of it, if it exists.
    pub fn lookup(&self, r: &VideoRef) -> Option<(&VideoId, &VideoInfo)> {
        match r {
            VideoRef::Video(v) => self.videos.get_key_value(v),
            VideoRef::Reference(r) => self
                .by_reference
                .get(r)
                .and_then(|v| self.videos.get_key_value(v)),
        }
    }

    /// Like [`Observed::lookup`], with the video's dense index in `videos`.
    pub fn lookup_full(&self, r: &VideoRef) -> Option<(usize, &VideoId, &VideoInfo)> {
        match r {
            VideoRef::Video(v) => self.videos.get_full(v),
            VideoRef::Reference(r) => self
                .by_reference
                .get(r)
                .and_then(|v| self.videos.get_full(v)),
        }
    }

    /// The video an ID names, if it exists.
    pub fn resolve(&self, r: &VideoRef) -> Option<&VideoId> {
        match r {
            VideoRef::Video(v) => self.videos.get_key_value(v).map(|(k, _)| k),
            VideoRef::Reference(r) => self.by_reference.get(r),
        }
    }
}

/// Progress of a read, for a progress bar.
pub trait ReadProgress: Send + Sync {
    fn total(&self, _ids: u64) {}
    fn advance(&self, _ids: u64) {}
}

impl ReadProgress for () {}

/// Looks up every ID the desired state names.
pub async fn observe(
    client: &Arc<Client>,
    desired: &DesiredState,
    progress: &dyn ReadProgress,
) -> Result<Observed, ApiError> {
    let mut videos: Vec<VideoId> = Vec::new();
    let mut refs: Vec<ReferenceId> = Vec::new();
    let mut seen: FxHashSet<&VideoRef> = FxHashSet::default();
    for entry in desired.delete.iter().chain(&desired.keep) {
        if let Target::Id(r) = &entry.target
            && seen.insert(r)
        {
            match r {
                VideoRef::Video(v) => videos.push(v.clone()),
                VideoRef::Reference(x) => refs.push(x.clone()),
            }
        }
    }
    let mut observed = lookup(client, videos, refs, progress).await?;
    crate::selector::resolve_all(client, desired, &mut observed).await?;
    refresh_selected(client, &mut observed).await?;
    Ok(observed)
}

/// Re-reads the videos selectors found through GetVideoInfos, the source `apply` re-checks a saved
/// plan against, so that their fingerprints compare like with like. A video gone meanwhile is
/// dropped from the matches.
async fn refresh_selected(client: &Arc<Client>, observed: &mut Observed) -> Result<(), ApiError> {
    let mut ids: Vec<VideoId> = observed
        .delete_matches
        .values()
        .chain(observed.keep_matches.values())
        .flatten()
        .cloned()
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let fresh = lookup(client, ids, Vec::new(), &()).await?;
    for matches in observed
        .delete_matches
        .values_mut()
        .chain(observed.keep_matches.values_mut())
    {
        matches.retain(|id| fresh.videos.contains_key(id));
    }
    for (id, info) in fresh.videos {
        observed.videos.insert(id, info);
    }
    Ok(())
}

/// GetVideoInfos for these IDs, 20 a call, concurrently under the pacer.
pub async fn lookup(
    client: &Arc<Client>,
    videos: Vec<VideoId>,
    refs: Vec<ReferenceId>,
    progress: &dyn ReadProgress,
) -> Result<Observed, ApiError> {
    progress.total((videos.len() + refs.len()) as u64);
    let mut batches: Vec<(Vec<VideoId>, Vec<ReferenceId>)> = Vec::new();
    for chunk in videos.chunks(MAX_IDS_PER_CALL) {
        batches.push((chunk.to_vec(), Vec::new()));
    }
    for chunk in refs.chunks(MAX_IDS_PER_CALL) {
        batches.push((Vec::new(), chunk.to_vec()));
    }
    let mut observed = Observed::default();
    observed.videos.reserve(videos.len() + refs.len());
    let mut pending = batches.into_iter();
    let mut running = JoinSet::new();
    loop {
        while running.len() < READ_CONCURRENCY {
            let Some((v, r)) = pending.next() else { break };
            let client = client.clone();
            running.spawn(async move {
                let reply = client.get_video_infos(&v, &r).await;
                (v, r, reply)
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (v, r, reply) = done.expect("a lookup task never panics");
        let reply = reply?;
        progress.advance((v.len() + r.len()) as u64);
        observed.record(&v, &r, reply.video_list);
    }
    Ok(observed)
}
