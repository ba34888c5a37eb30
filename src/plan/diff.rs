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

use rayon::prelude::*;

use crate::ids::{VideoId, VideoRef};
use crate::manifest::{DesiredState, Entry, Target};
use crate::state::Observed;
use crate::state::Video;

use super::rules::Rules;
use super::{Absence, Deletion, Fingerprint, Plan, Protection, SelectedBy};

/// An observed video a delete entry selects: the entry's position (the plan's order), the
/// video's position in the observed state, and the keep entry that protects it, if any.
type Fate<'a> = (usize, usize, Option<&'a Entry>);

/// Computes the plan.
///
/// Memory is what a million deletions are about: the fates are decided first, as small tuples,
/// and sorted; then each deletion is built once, in place, in its final list (an indexed
/// parallel collect writes straight into a list of the exact size).
pub fn diff(desired: &DesiredState, observed: &Observed) -> Plan {
    let rules = Rules::new(desired);
    let video = |i: usize| observed.videos.get_index(i).expect("an observed index");
    let fates: Vec<Fate<'_>> = (0..observed.videos.len())
        .into_par_iter()
        .filter_map(|i| {
            let (id, info) = video(i);
            let at = rules.selector_index(id, info)?;
            Some((at, i, rules.keeper(id, info)))
        })
        .collect();
    let (mut deleted, mut protected): (Vec<Fate<'_>>, Vec<Fate<'_>>) = fates
        .into_iter()
        .partition(|(_, _, keeper)| keeper.is_none());
    let order = |a: &Fate<'_>, b: &Fate<'_>| (a.0, video(a.1).0).cmp(&(b.0, video(b.1).0));
    for fates in [&mut deleted, &mut protected] {
        // Fates of videos named by ID come in manifest order already.
        if !fates.is_sorted_by(|a, b| order(a, b).is_le()) {
            fates.par_sort_unstable_by(order);
        }
    }
    let deletions: Vec<Deletion> = deleted
        .par_iter()
        .map(|&(at, i, _)| {
            let (id, info) = video(i);
            deletion(&desired.delete[at], id, info)
        })
        .collect();
    drop(deleted);
    let protected: Vec<Protection> = protected
        .par_iter()
        .filter_map(|&(at, i, keeper)| {
            let (id, info) = video(i);
            Some(Protection {
                video_id: id.clone(),
                title: info.title.clone(),
                kept_by: keeper?.location.clone(),
                selected_by: desired.delete[at].location.clone(),
            })
        })
        .collect();
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
    let mut covers: Vec<super::Cover> = deletions
        .iter()
        .filter_map(|d| {
            let url = observed.videos.get(&d.video_id)?.cover_url.as_ref()?;
            (!url.is_empty()).then(|| super::Cover {
                video_id: d.video_id.clone(),
                url: url.clone(),
            })
        })
        .collect();
    covers.sort_by(|a, b| a.video_id.cmp(&b.video_id));
    Plan {
        deletions,
        protected,
        absent,
        selector_seen: observed.selector_seen,
        covers,
        ..Plan::default()
    }
}

/// The deletion of a video by the delete entry that selected it.
pub(crate) fn deletion(entry: &Entry, id: &VideoId, info: &Video) -> Deletion {
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
