//! The diff: desired state × observed state → plan. Pure, so the safety rules can be tested
//! exhaustively without a network. Each observed video's fate is decided by [`Rules`] from its
//! re-read state alone (the same decision the apply-time check makes):
//! - a video is a deletion iff a delete entry selects it and no keep entry protects it;
//! - it is protected iff both; keep always wins;
//! - only videos observed to exist are deletions, each once, credited to the first delete entry
//!   (manifest order) that selects it.
//!
//! The videos are decided on all cores (rayon); the result is sorted by (entry, video ID), so it
//! is the same whatever the number of cores.

use rayon::iter::Either;
use rayon::prelude::*;

use crate::ids::{VideoId, VideoRef};
use crate::manifest::{DesiredState, Entry, Target};
use crate::state::Observed;
use crate::vod::api::VideoInfo;

use super::rules::Rules;
use super::{Absence, Deletion, Fingerprint, Plan, Protection, SelectedBy};

/// A plan entry with the position of the delete entry that selected it (the plan's order).
type Ranked<T> = (usize, T);

/// Computes the plan.
pub fn diff(desired: &DesiredState, observed: &Observed) -> Plan {
    let rules = Rules::new(desired);
    // Each observed video's fate, straight into the two lists (no list of fates in between: at a
    // million deletions, every intermediate copy of them is ~300 MB).
    let (mut deletions, mut protected): (Vec<Ranked<Deletion>>, Vec<Ranked<Protection>>) = (0
        ..observed.videos.len())
        .into_par_iter()
        .filter_map(|i| {
            let (id, info) = observed.videos.get_index(i)?;
            let at = rules.selector_index(id, info)?;
            let entry = &desired.delete[at];
            Some(match rules.keeper(id, info) {
                Some(keeper) => Either::Right((
                    at,
                    Protection {
                        video_id: id.clone(),
                        title: info.title.clone(),
                        kept_by: keeper.location.clone(),
                        selected_by: entry.location.clone(),
                    },
                )),
                None => Either::Left((at, deletion(entry, id, info))),
            })
        })
        .partition_map(|fate| fate);
    deletions.par_sort_unstable_by(|a, b| (a.0, &a.1.video_id).cmp(&(b.0, &b.1.video_id)));
    protected.par_sort_unstable_by(|a, b| (a.0, &a.1.video_id).cmp(&(b.0, &b.1.video_id)));
    // A delete entry naming a video or reference ID that does not exist.
    let absent = desired
        .delete
        .iter()
        .filter_map(|entry| match &entry.target {
            Target::Id(r) if observed.resolve(r).is_none() => Some(Absence {
                target: r.into(),
                source: entry.location.clone(),
            }),
            _ => None,
        })
        .collect();
    Plan {
        deletions: deletions.into_iter().map(|(_, d)| d).collect(),
        protected: protected.into_iter().map(|(_, p)| p).collect(),
        absent,
        selector_seen: observed.selector_seen,
        ..Plan::default()
    }
}

/// The deletion of a video by the delete entry that selected it.
pub(crate) fn deletion(entry: &Entry, id: &VideoId, info: &VideoInfo) -> Deletion {
    Deletion {
        video_id: id.clone(),
        selected_by: match &entry.target {
            Target::Id(VideoRef::Video(_)) => SelectedBy::VideoId,
            Target::Id(VideoRef::Reference(r)) => SelectedBy::ReferenceId(r.clone()),
            Target::Match(s) => SelectedBy::Match(s.to_string().into()),
        },
        reason: entry.reason.clone(),
        source: entry.location.clone(),
        observed: Fingerprint::of(info),
    }
}
