//! The diff: desired state × observed state → plan. Pure, so the safety rules can be tested
//! exhaustively without a network:
//! - keep always wins: a video any keep entry resolves to is never a deletion;
//! - only videos that a delete entry resolves to, and that were observed to exist, are deletions;
//! - each video is deleted once, credited to the first delete entry that selected it.

use rustc_hash::FxHashMap;

use crate::ids::{VideoId, VideoRef};
use crate::manifest::{DesiredState, Entry, Location, Target};
use crate::state::Observed;
use crate::vod::api::VideoInfo;

use super::{Absence, Deletion, Fingerprint, Plan, Protection, SelectedBy};

/// Computes the plan.
pub fn diff(desired: &DesiredState, observed: &Observed) -> Plan {
    // Every video any keep entry names, with the first keep entry naming it. Literal video IDs
    // are protected even when they were not observed, as a second line of defence.
    let mut kept: FxHashMap<&VideoId, &Location> = FxHashMap::default();
    for (i, entry) in desired.keep.iter().enumerate() {
        let ids: Vec<&VideoId> = match &entry.target {
            Target::Id(VideoRef::Video(v)) => vec![v],
            Target::Id(r) => observed.resolve(r).into_iter().collect(),
            Target::Match(_) => observed
                .keep_matches
                .get(&i)
                .map(|v| v.iter().collect())
                .unwrap_or_default(),
        };
        for id in ids {
            kept.entry(id).or_insert(&entry.location);
        }
    }
    // Entries are resolved on all cores, each part in manifest order; then one pass in order keeps
    // the first selection of each video (a bitmap over the live state's dense indices, no
    // hashing), so the result is the same as a one-core diff, whatever the parts.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts: Vec<Part> = if cores < 2 || desired.delete.len() < PARALLEL_FROM {
        vec![diff_entries(&desired.delete, 0, observed, &kept)]
    } else {
        let size = desired.delete.len().div_ceil(cores);
        std::thread::scope(|scope| {
            let kept = &kept;
            let handles: Vec<_> = desired
                .delete
                .chunks(size)
                .enumerate()
                .map(|(n, chunk)| {
                    scope.spawn(move || diff_entries(chunk, n * size, observed, kept))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("the diff never panics"))
                .collect()
        })
    };
    // A video is kept or not whichever entry selects it, so deletions and protections never share
    // a video and are deduplicated independently.
    let mut deleted = vec![false; observed.videos.len()];
    let mut protected = vec![false; observed.videos.len()];
    let mut plan = Plan {
        selector_seen: observed.selector_seen,
        ..Plan::default()
    };
    for mut part in parts {
        first_only(&mut part.deletions, &part.deletion_index, &mut deleted);
        first_only(&mut part.protected, &part.protected_index, &mut protected);
        if plan.deletions.is_empty() {
            plan.deletions = part.deletions;
        } else {
            plan.deletions.extend(part.deletions);
        }
        plan.protected.extend(part.protected);
        plan.absent.extend(part.absent);
    }
    plan
}

/// Keeps the first of `items` for each video index (`index[i]` belongs to `items[i]`).
fn first_only<T>(items: &mut Vec<T>, index: &[usize], taken: &mut [bool]) {
    let mut k = 0;
    items.retain(|_| {
        let first = !std::mem::replace(&mut taken[index[k]], true);
        k += 1;
        first
    });
}

/// Below this many delete entries the diff runs on one core.
const PARALLEL_FROM: usize = 50_000;

/// The videos a run of entries selected, before duplicates are removed, each with the video's
/// dense index in the live state.
#[derive(Default)]
struct Part {
    deletions: Vec<Deletion>,
    deletion_index: Vec<usize>,
    protected: Vec<Protection>,
    protected_index: Vec<usize>,
    absent: Vec<Absence>,
}

/// Resolves a run of delete entries; `first` is the index of the first one in `delete`.
fn diff_entries(
    entries: &[Entry],
    first: usize,
    observed: &Observed,
    kept: &FxHashMap<&VideoId, &Location>,
) -> Part {
    let mut part = Part::default();
    part.deletions.reserve(entries.len());
    part.deletion_index.reserve(entries.len());
    let consider =
        |entry: &Entry, index: usize, id: &VideoId, info: &VideoInfo, part: &mut Part| {
            if let Some(keeper) = kept.get(id) {
                part.protected.push(Protection {
                    video_id: id.clone(),
                    title: info.title.clone(),
                    kept_by: (*keeper).clone(),
                    selected_by: entry.location.clone(),
                });
                part.protected_index.push(index);
                return;
            }
            part.deletions.push(Deletion {
                video_id: id.clone(),
                selected_by: match &entry.target {
                    Target::Id(VideoRef::Video(_)) => SelectedBy::VideoId,
                    Target::Id(VideoRef::Reference(r)) => SelectedBy::ReferenceId(r.clone()),
                    Target::Match(s) => SelectedBy::Match(s.to_string()),
                },
                reason: entry.reason.clone(),
                source: entry.location.clone(),
                observed: Fingerprint::of(info),
            });
            part.deletion_index.push(index);
        };
    for (i, entry) in entries.iter().enumerate() {
        match &entry.target {
            Target::Id(r) => match observed.lookup_full(r) {
                Some((index, id, info)) => consider(entry, index, id, info, &mut part),
                None => part.absent.push(Absence {
                    target: r.into(),
                    source: entry.location.clone(),
                }),
            },
            Target::Match(_) => {
                for id in observed
                    .delete_matches
                    .get(&(first + i))
                    .into_iter()
                    .flatten()
                {
                    if let Some((index, id, info)) = observed.videos.get_full(id) {
                        consider(entry, index, id, info, &mut part);
                    }
                }
            }
        }
    }
    part
}
