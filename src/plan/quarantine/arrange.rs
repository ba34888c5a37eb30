//! Arranging a diffed plan for quarantine: every video the diff selected or protected, and every
//! observed video carrying a vodplan tag, is given its [`fate`] (the one decision `apply` checks
//! again), and put in the plan's list for it. Pure, like the diff. It sits apart from
//! `quarantine.rs` (the decisions and the types the plan model holds) so that the plan model does
//! not depend on the code that builds it.

use std::collections::HashSet;

use time::Date;

use super::{Fate, Untouched, fate, has_vodplan_tag, quarantine_action, restore, waiting};
use crate::ids::VideoId;
use crate::plan::rules::Rules;
use crate::plan::{Plan, Protection, diff};
use crate::state::Video;

/// Turns the diff's deletions and protections into their fates, and looks at every other
/// observed video with a vodplan tag (those in a quarantine, read whatever the entries say).
/// Pure: `today` is the UTC date the grace periods are measured by.
pub fn arrange(
    desired: &crate::manifest::DesiredState,
    observed: &crate::state::Observed,
    mut plan: Plan,
    today: Date,
) -> Plan {
    let rules = Rules::new(desired);
    let owner = desired.owner.as_ref().map(|o| o.value.as_str());
    let deletions = std::mem::take(&mut plan.deletions);
    let protected = std::mem::take(&mut plan.protected);
    // Videos the diff did not decide on its own terms (plain videos, the vast majority) keep
    // the diff's deletion as it is: only a video with a vodplan tag, or under a quarantine entry,
    // needs its fate computed again.
    let quarantining = super::in_use(desired);
    let mut decided: HashSet<VideoId> = HashSet::new();
    let place = |plan: &mut Plan, id: &VideoId, info: &Video| {
        let latest = observed.latest_review(id);
        match fate(&rules, owner, id, info, latest, today) {
            Fate::Nothing => {}
            Fate::Protected { keeper, entry } => plan.protected.push(Protection {
                video_id: id.clone(),
                title: info.title.clone(),
                kept_by: keeper.location.clone(),
                selected_by: entry.location.clone(),
            }),
            Fate::Delete { entry } => plan.deletions.push(diff::deletion(entry, id, info)),
            Fate::Quarantine {
                entry, until, tags, ..
            } => plan
                .quarantines
                .push(quarantine_action(entry, id, info, until, tags)),
            Fate::Wait { entry, until } => plan.waiting.push(waiting(entry, id, info, until)),
            Fate::Restore {
                keeper,
                unblock,
                tags,
            } => plan.restores.push(restore(keeper, unblock, tags, id, info)),
            Fate::Leave { why, entry } => plan.untouched.push(Untouched {
                video_id: id.clone(),
                title: info.title.clone(),
                why,
                source: entry.map(|e| e.location.clone()),
            }),
        }
    };
    for d in deletions {
        decided.insert(d.video_id.clone());
        match observed.videos.get(&d.video_id) {
            Some(info) if quarantining || has_vodplan_tag(&info.tags) => {
                place(&mut plan, &d.video_id, info)
            }
            _ => plan.deletions.push(d),
        }
    }
    for p in protected {
        decided.insert(p.video_id.clone());
        match observed.videos.get(&p.video_id) {
            Some(info) if has_vodplan_tag(&info.tags) => place(&mut plan, &p.video_id, info),
            _ => plan.protected.push(p),
        }
    }
    // Videos with a vodplan tag the diff did not see as selected (a `status` selector does not
    // list the Blocked vodplan set, or no entry selects them any more).
    for (id, info) in &observed.videos {
        if !decided.contains(id) && has_vodplan_tag(&info.tags) {
            place(&mut plan, id, info);
        }
    }
    plan
}
