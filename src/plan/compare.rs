//! What changed between two plans (`vodplan diff OLD NEW`): for each action (delete, quarantine,
//! restore), the videos the new plan adds to it and those it drops. Two plans "plan the same
//! actions" when every action holds the same videos in both; what was observed of a video may
//! differ (apply re-checks it anyway).

use rustc_hash::FxHashSet;

use super::{Plan, quarantine};
use crate::ids::VideoId;

/// One video named in a change: its ID, title and the entry that put it there.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub video_id: VideoId,
    pub title: String,
    pub source: String,
}

/// The change of one action.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionChange {
    /// `delete`, `quarantine` or `restore`.
    pub action: &'static str,
    pub old_count: usize,
    pub new_count: usize,
    /// In the new plan, not in the old, in the new plan's order.
    pub added: Vec<Changed>,
    /// In the old plan, not in the new, in the old plan's order.
    pub dropped: Vec<Changed>,
}

/// The changes between two plans, one per action, always all three.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub actions: Vec<ActionChange>,
}

impl Comparison {
    /// Whether both plans plan the same actions.
    pub fn same(&self) -> bool {
        self.actions
            .iter()
            .all(|a| a.added.is_empty() && a.dropped.is_empty())
    }
}

fn rows(plan: &Plan, action: &str) -> Vec<Changed> {
    let c = |video_id: &VideoId, title: &str, source: String| Changed {
        video_id: video_id.clone(),
        title: title.to_string(),
        source,
    };
    match action {
        "delete" => plan
            .deletions
            .iter()
            .map(|d| c(&d.video_id, &d.observed.title, d.source.file_line()))
            .collect(),
        "quarantine" => plan
            .quarantines
            .iter()
            .map(|q: &quarantine::Quarantine| {
                c(&q.video_id, &q.observed.title, q.source.file_line())
            })
            .collect(),
        _ => plan
            .restores
            .iter()
            .map(|r| c(&r.video_id, &r.observed.title, r.kept_by.file_line()))
            .collect(),
    }
}

fn minus(a: &[Changed], b: &[Changed]) -> Vec<Changed> {
    let ids: FxHashSet<&VideoId> = b.iter().map(|c| &c.video_id).collect();
    a.iter()
        .filter(|c| !ids.contains(&c.video_id))
        .cloned()
        .collect()
}

pub fn compare(old: &Plan, new: &Plan) -> Comparison {
    let actions = ["delete", "quarantine", "restore"]
        .into_iter()
        .map(|action| {
            let before = rows(old, action);
            let after = rows(new, action);
            ActionChange {
                action,
                old_count: before.len(),
                new_count: after.len(),
                added: minus(&after, &before),
                dropped: minus(&before, &after),
            }
        })
        .collect();
    Comparison { actions }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Location;
    use crate::plan::{Deletion, Fingerprint, SelectedBy};

    fn d(id: &str, title: &str) -> Deletion {
        Deletion {
            video_id: VideoId::new(id).unwrap(),
            selected_by: SelectedBy::VideoId,
            reason: None,
            source: Location::new(&"m.yaml".into(), 3, 5),
            observed: Fingerprint {
                title: title.into(),
                ..Fingerprint::default()
            },
        }
    }

    #[test]
    fn names_what_each_action_gains_and_loses() {
        let old = Plan {
            deletions: vec![d("a1", "one"), d("b2", "two")],
            ..Plan::default()
        };
        let mut new = Plan {
            deletions: vec![d("b2", "two, renamed"), d("c3", "three")],
            ..Plan::default()
        };
        let c = compare(&old, &new);
        assert!(!c.same());
        let del = &c.actions[0];
        assert_eq!((del.old_count, del.new_count), (2, 2));
        assert_eq!(del.added.len(), 1);
        assert_eq!(del.added[0].video_id.as_str(), "c3");
        assert_eq!(del.dropped[0].video_id.as_str(), "a1");
        // The same videos, observed differently, are the same actions.
        new.deletions = vec![d("b2", "x"), d("a1", "y")];
        assert!(compare(&old, &new).same());
    }
}
