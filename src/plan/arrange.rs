//! Arranging a diffed plan for quarantine: which deletions become quarantines, waits or are left
//! alone, and which quarantined videos a keep entry now restores. Pure, like the diff. It sits
//! apart from `quarantine.rs` (the decisions and the types the plan model holds) so that the plan
//! model does not depend on the code that builds it (no file-level import cycle; checked by
//! `tests/it/layering.rs`).

use std::collections::HashSet;

use time::Date;

use super::quarantine::{
    Decision, Untouched, date_text, decide, quarantine_action, quarantined_until, restore,
    selecting_entry, waiting,
};
use super::rules::Rules;
use super::{Plan, diff};
use crate::ids::VideoId;

/// Turns the diff's deletions and protections into the four quarantine actions, and looks at
/// every observed video in vodplan's quarantine (those a `status` selector no longer lists).
/// Pure: `today` is the UTC date the grace periods are measured by.
pub fn arrange(
    desired: &crate::manifest::DesiredState,
    observed: &crate::state::Observed,
    mut plan: Plan,
    today: Date,
) -> Plan {
    let rules = Rules::new(desired);
    let mut decided: HashSet<VideoId> = HashSet::new();
    let deletions = std::mem::take(&mut plan.deletions);
    for d in deletions {
        decided.insert(d.video_id.clone());
        let Some(info) = observed.videos.get(&d.video_id) else {
            plan.deletions.push(d);
            continue;
        };
        let Some(entry) = selecting_entry(&rules, &d.video_id, info) else {
            plan.deletions.push(d);
            continue;
        };
        match decide(entry, info, today) {
            Decision::Delete => plan.deletions.push(d),
            Decision::Quarantine { until, tags } => {
                plan.quarantines
                    .push(quarantine_action(entry, &d.video_id, info, until, tags))
            }
            Decision::Wait { until } => plan.waiting.push(waiting(entry, &d.video_id, info, until)),
            Decision::Leave(why) => plan.untouched.push(Untouched {
                video_id: d.video_id.clone(),
                title: info.title.clone(),
                why,
                source: Some(entry.location.clone()),
            }),
        }
    }
    for p in &plan.protected {
        decided.insert(p.video_id.clone());
        if let Some(info) = observed.videos.get(&p.video_id)
            && quarantined_until(info).is_some()
            && let Some(keeper) = rules.keeper(&p.video_id, info)
        {
            plan.restores.push(restore(keeper, &p.video_id, info));
        }
    }
    // Videos in vodplan's quarantine the diff did not see as selected (a `status` selector no
    // longer matches the Blocked vodplan set, or no entry selects them any more).
    for (id, info) in &observed.videos {
        if decided.contains(id) {
            continue;
        }
        let Some(until) = quarantined_until(info) else {
            continue;
        };
        if let Some(keeper) = rules.keeper(id, info) {
            plan.restores.push(restore(keeper, id, info));
            continue;
        }
        match selecting_entry(&rules, id, info) {
            Some(entry) => match decide(entry, info, today) {
                Decision::Delete => plan.deletions.push(diff::deletion(entry, id, info)),
                Decision::Wait { until } => plan.waiting.push(waiting(entry, id, info, until)),
                // In quarantine, decide only deletes or waits.
                Decision::Quarantine { .. } | Decision::Leave(_) => {}
            },
            None => plan.untouched.push(Untouched {
                video_id: id.clone(),
                title: info.title.clone(),
                why: format!(
                    "in vodplan's quarantine until {}, but no entry of these manifests selects or keeps it (it may belong to another manifest set)",
                    date_text(until)
                ),
                source: None,
            }),
        }
    }
    plan
}
