//! The diff: desired state × observed state → plan. Pure, so the safety rules can be tested
//! exhaustively without a network:
//! - keep always wins: a video any keep entry resolves to is never a deletion;
//! - only videos that a delete entry resolves to, and that were observed to exist, are deletions;
//! - each video is deleted once, credited to the first delete entry that selected it.

use rustc_hash::{FxHashMap, FxHashSet};

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
    // Validation already removed repeated literal video IDs; only a reference ID or a selector can
    // name a video a second time. Without those, entries are independent and the work is split
    // across cores, each part keeping manifest order.
    let may_repeat = desired
        .delete
        .iter()
        .any(|e| !matches!(e.target, Target::Id(VideoRef::Video(_))));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut plan = if may_repeat || cores < 2 || desired.delete.len() < PARALLEL_FROM {
        diff_entries(&desired.delete, 0, observed, &kept, may_repeat)
    } else {
        let size = desired.delete.len().div_ceil(cores);
        let parts: Vec<Plan> = std::thread::scope(|scope| {
            let kept = &kept;
            let handles: Vec<_> = desired
                .delete
                .chunks(size)
                .enumerate()
                .map(|(n, chunk)| {
                    scope.spawn(move || diff_entries(chunk, n * size, observed, kept, false))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("the diff never panics"))
                .collect()
        });
        let mut parts = parts.into_iter();
        let mut plan = parts.next().unwrap_or_default();
        for part in parts {
            plan.deletions.extend(part.deletions);
            plan.protected.extend(part.protected);
            plan.absent.extend(part.absent);
        }
        plan
    };
    plan.selector_seen = observed.selector_seen;
    plan
}

/// Below this many delete entries the diff runs on one core.
const PARALLEL_FROM: usize = 50_000;

/// The plan for a run of delete entries; `first` is the index of the first one in `delete`.
fn diff_entries(
    entries: &[Entry],
    first: usize,
    observed: &Observed,
    kept: &FxHashMap<&VideoId, &Location>,
    may_repeat: bool,
) -> Plan {
    let mut plan = Plan::default();
    plan.deletions.reserve(entries.len());
    let mut decided: FxHashSet<VideoId> = FxHashSet::default();
    let mut consider = |entry: &Entry, id: &VideoId, info: &VideoInfo, plan: &mut Plan| {
        if may_repeat && !decided.insert(id.clone()) {
            return;
        }
        let id = id.clone();
        if let Some(keeper) = kept.get(&id) {
            plan.protected.push(Protection {
                video_id: id,
                title: info.title.clone(),
                kept_by: (*keeper).clone(),
                selected_by: entry.location.clone(),
            });
            return;
        }
        plan.deletions.push(Deletion {
            video_id: id,
            selected_by: match &entry.target {
                Target::Id(VideoRef::Video(_)) => SelectedBy::VideoId,
                Target::Id(VideoRef::Reference(r)) => SelectedBy::ReferenceId(r.clone()),
                Target::Match(s) => SelectedBy::Match(s.to_string()),
            },
            reason: entry.reason.clone(),
            source: entry.location.clone(),
            observed: Fingerprint::of(info),
        });
    };
    for (i, entry) in entries.iter().enumerate() {
        match &entry.target {
            Target::Id(r) => match observed.lookup(r) {
                Some((id, info)) => consider(entry, id, info, &mut plan),
                None => plan.absent.push(Absence {
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
                    if let Some((id, info)) = observed.videos.get_key_value(id) {
                        consider(entry, id, info, &mut plan);
                    }
                }
            }
        }
    }
    plan
}
