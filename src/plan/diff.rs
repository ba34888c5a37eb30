//! The diff: desired state × observed state → plan. Pure, so the safety rules can be tested
//! exhaustively without a network:
//! - keep always wins: a video any keep entry resolves to is never a deletion;
//! - only videos that a delete entry resolves to, and that were observed to exist, are deletions;
//! - each video is deleted once, credited to the first delete entry that selected it.

use std::collections::{HashMap, HashSet};

use crate::ids::{VideoId, VideoRef};
use crate::manifest::{DesiredState, Entry, Location, Target};
use crate::state::Observed;

use super::{Absence, Deletion, Fingerprint, Plan, Protection, SelectedBy};

/// Computes the plan.
pub fn diff(desired: &DesiredState, observed: &Observed) -> Plan {
    // Every video any keep entry names, with the first keep entry naming it. Literal video IDs
    // are protected even when they were not observed, as a second line of defence.
    let mut kept: HashMap<&VideoId, &Location> = HashMap::new();
    for (i, entry) in desired.keep.iter().enumerate() {
        for id in resolve(entry, i, observed, &observed.keep_matches, true) {
            kept.entry(id).or_insert(&entry.location);
        }
    }
    let mut plan = Plan {
        selector_seen: observed.selector_seen,
        ..Plan::default()
    };
    let mut decided: HashSet<&VideoId> = HashSet::new();
    for (i, entry) in desired.delete.iter().enumerate() {
        if let Target::Id(r) = &entry.target
            && observed.resolve(r).is_none()
        {
            plan.absent.push(Absence {
                target: r.into(),
                source: entry.location.clone(),
            });
            continue;
        }
        for id in resolve(entry, i, observed, &observed.delete_matches, false) {
            if !decided.insert(id) {
                continue;
            }
            let Some(info) = observed.videos.get(id) else {
                continue;
            };
            if let Some(keeper) = kept.get(id) {
                plan.protected.push(Protection {
                    video_id: id.clone(),
                    title: info.title.clone(),
                    kept_by: (*keeper).clone(),
                    selected_by: entry.location.clone(),
                });
                continue;
            }
            plan.deletions.push(Deletion {
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
        }
    }
    plan
}

/// The videos one entry names. `literal` also yields a video ID that was not observed.
fn resolve<'a>(
    entry: &'a Entry,
    index: usize,
    observed: &'a Observed,
    matches: &'a HashMap<usize, Vec<VideoId>>,
    literal: bool,
) -> Vec<&'a VideoId> {
    match &entry.target {
        Target::Id(VideoRef::Video(v)) if literal => vec![v],
        Target::Id(r) => observed.resolve(r).into_iter().collect(),
        Target::Match(_) => matches
            .get(&index)
            .map(|v| v.iter().collect())
            .unwrap_or_default(),
    }
}
