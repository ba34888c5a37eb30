//! The desired state's rules, indexed so that one video's fate is decided from its re-read state
//! alone: which keep entry protects it, and which delete entry selects it.
//!
//! Why a predicate and not a listing: a keep entry that is only as good as a server-side query
//! protects only what that query returns (a search index that lags, a creation time outside the
//! query's window, a listing cut short). Evaluated on every deletion candidate's GetVideoInfos
//! state, the same state the plan fingerprints and `apply` re-reads, a keep entry costs no API
//! call and cannot miss a candidate. The planner ([`super::diff`]) and the apply-time check both
//! decide with this one module, so the two can never disagree.
//!
//! Cost per video: O(1) for ID entries (hash lookups on the video ID and on the reference ID the
//! video carries) plus O(#selectors) for `match` entries.

use rustc_hash::FxHashMap;

use crate::ids::VideoId;
use crate::ids::VideoRef;
use crate::manifest::{DesiredState, Entry, Selector, Target, VideoFacts};
use crate::state::Video;

/// The desired state's entries, indexed for deciding one video's fate from its re-read state alone.
pub struct Rules<'a> {
    keep: Side<'a>,
    delete: Side<'a>,
}

/// One list (`keep` or `delete`), indexed. Each value is the entry's position in its list, so
/// that "the first entry in manifest order" is the smallest position among the hits.
#[derive(Default)]
struct Side<'a> {
    entries: &'a [Entry],
    by_video: FxHashMap<&'a str, usize>,
    by_reference: FxHashMap<&'a str, usize>,
    /// `match` entries in manifest order, each with its position and, for keep, a relaxed
    /// selector used when the video's creation time is unknown.
    selectors: Vec<(usize, &'a Selector, Option<Selector>)>,
}

impl<'a> Side<'a> {
    fn new(entries: &'a [Entry], keep: bool) -> Side<'a> {
        let mut side = Side {
            entries,
            ..Side::default()
        };
        // A million IDs: one table of the right size, never grown and rehashed on the way.
        side.by_video.reserve(entries.len());
        for (i, e) in entries.iter().enumerate() {
            match &e.target {
                Target::Id(VideoRef::Video(v)) => {
                    side.by_video.entry(v.as_str()).or_insert(i);
                }
                Target::Id(VideoRef::Reference(r)) => {
                    side.by_reference.entry(r.as_str()).or_insert(i);
                }
                Target::Match(s) => {
                    // Keep wins when in doubt: a video whose creation time is missing or cannot
                    // be read satisfies a keep selector's time bounds (for a delete selector it
                    // satisfies none, so it is never deleted by one).
                    let relaxed = (keep
                        && (s.created_before.is_some() || s.created_after.is_some()))
                    .then(|| Selector {
                        created_before: None,
                        created_after: None,
                        ..(**s).clone()
                    });
                    side.selectors.push((i, s, relaxed));
                }
            }
        }
        side
    }

    /// The position of the first entry that names or matches this video.
    fn first(&self, id: &VideoId, info: &Video) -> Option<usize> {
        let by_id = self.by_video.get(id.as_str()).copied();
        let by_ref = info
            .reference_id
            .as_deref()
            .filter(|r| !r.is_empty())
            .and_then(|r| self.by_reference.get(r).copied());
        let by_ids = match (by_id, by_ref) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if self.selectors.is_empty() {
            return by_ids;
        }
        // The video's facts, read into types when the state was read: nothing is parsed here.
        let facts: VideoFacts<'_> = info.facts();
        let facts = &facts;
        let limit = by_ids.unwrap_or(usize::MAX);
        let by_selector = self
            .selectors
            .iter()
            .take_while(|(i, _, _)| *i < limit)
            .find(|(_, s, relaxed)| match (facts.created, relaxed) {
                (None, Some(r)) => r.matches(facts),
                _ => s.matches(facts),
            })
            .map(|(i, _, _)| *i);
        by_selector.or(by_ids)
    }
}

impl<'a> Rules<'a> {
    pub fn new(desired: &'a DesiredState) -> Rules<'a> {
        Rules {
            keep: Side::new(&desired.keep, true),
            delete: Side::new(&desired.delete, false),
        }
    }

    /// The first keep entry (manifest order) that protects this video, if any.
    pub fn keeper(&self, id: &VideoId, info: &Video) -> Option<&'a Entry> {
        self.keeper_index(id, info).map(|i| &self.keep.entries[i])
    }

    /// The first delete entry (manifest order) that selects this video, if any.
    pub fn selector(&self, id: &VideoId, info: &Video) -> Option<&'a Entry> {
        self.selector_index(id, info)
            .map(|i| &self.delete.entries[i])
    }

    /// Like [`Rules::keeper`], as the entry's position in `keep`.
    pub fn keeper_index(&self, id: &VideoId, info: &Video) -> Option<usize> {
        self.keep.first(id, info)
    }

    /// Like [`Rules::selector`], as the entry's position in `delete`.
    pub fn selector_index(&self, id: &VideoId, info: &Video) -> Option<usize> {
        self.delete.first(id, info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ReferenceId;
    use crate::manifest::Location;

    fn at(line: u32) -> Location {
        Location {
            file: "m.yaml".into(),
            line,
            column: 5,
        }
    }

    fn id_entry(line: u32, r: VideoRef) -> Entry {
        Entry {
            target: Target::Id(r),
            reason: None,
            quarantine: None,
            purge_cdn: false,
            location: at(line),
        }
    }

    fn match_entry(line: u32, s: Selector) -> Entry {
        Entry {
            target: Target::Match(Box::new(s)),
            reason: None,
            quarantine: None,
            purge_cdn: false,
            location: at(line),
        }
    }

    fn vid(i: u32) -> VideoId {
        VideoId::new(format!("{i:032x}")).unwrap()
    }

    fn info(i: u32, cate: i64, created: Option<&str>, reference: Option<&str>) -> Video {
        Video::read(crate::vod::api::VideoInfo {
            video_id: format!("{i:032x}"),
            status: "Normal".into(),
            cate_id: Some(cate),
            creation_time: created.map(String::from),
            reference_id: reference.map(String::from),
            ..Default::default()
        })
        .unwrap()
    }

    fn desired() -> DesiredState {
        let cate = |c| Selector {
            category_id: Some(c),
            ..Selector::default()
        };
        DesiredState {
            delete: vec![
                match_entry(1, cate(7)),
                id_entry(2, VideoRef::Video(vid(1))),
                id_entry(
                    3,
                    VideoRef::Reference(ReferenceId::new("ref-0002").unwrap()),
                ),
                match_entry(4, cate(8)),
            ],
            keep: vec![
                match_entry(
                    10,
                    Selector {
                        category_id: Some(9),
                        created_before: crate::timefmt::parse("2020-01-01T00:00:00Z"),
                        ..Selector::default()
                    },
                ),
                id_entry(
                    11,
                    VideoRef::Reference(ReferenceId::new("hold-01").unwrap()),
                ),
                id_entry(12, VideoRef::Video(vid(3))),
            ],
            ..DesiredState::default()
        }
    }

    #[test]
    fn the_first_entry_in_manifest_order_wins_whichever_index_finds_it() {
        let d = desired();
        let rules = Rules::new(&d);
        let line = |e: Option<&Entry>| e.map(|e| e.location.line);
        // Video 1 is named by ID (line 2) and in category 7 (line 1): line 1 comes first.
        let v1 = info(1, 7, Some("2023-01-01T00:00:00Z"), None);
        assert_eq!(line(rules.selector(&vid(1), &v1)), Some(1));
        // In category 8 (line 4), the ID entry (line 2) comes first.
        let v1 = info(1, 8, Some("2023-01-01T00:00:00Z"), None);
        assert_eq!(line(rules.selector(&vid(1), &v1)), Some(2));
        // By the reference ID the re-read state carries.
        let v2 = info(2, 8, Some("2023-01-01T00:00:00Z"), Some("ref-0002"));
        assert_eq!(line(rules.selector(&vid(2), &v2)), Some(3));
        assert_eq!(line(rules.keeper(&vid(2), &v2)), None);
        // Nothing selects an unnamed video in another category.
        let v5 = info(5, 1, Some("2023-01-01T00:00:00Z"), Some("ref-0005"));
        assert_eq!(line(rules.selector(&vid(5), &v5)), None);
    }

    #[test]
    fn keep_protects_by_id_reference_and_selector_and_when_in_doubt() {
        let d = desired();
        let rules = Rules::new(&d);
        let line = |e: Option<&Entry>| e.map(|e| e.location.line);
        let held = info(4, 7, Some("2023-01-01T00:00:00Z"), Some("hold-01"));
        assert_eq!(line(rules.keeper(&vid(4), &held)), Some(11));
        let literal = info(3, 7, Some("2023-01-01T00:00:00Z"), None);
        assert_eq!(line(rules.keeper(&vid(3), &literal)), Some(12));
        let old = info(6, 9, Some("2019-01-01T00:00:00Z"), None);
        assert_eq!(line(rules.keeper(&vid(6), &old)), Some(10));
        let new = info(6, 9, Some("2021-01-01T00:00:00Z"), None);
        assert_eq!(line(rules.keeper(&vid(6), &new)), None);
        // An unknown or unreadable creation time satisfies a keep selector's time bounds.
        for created in [None, Some("not a time")] {
            let unknown = info(6, 9, created, None);
            assert_eq!(line(rules.keeper(&vid(6), &unknown)), Some(10));
            assert_eq!(line(rules.selector(&vid(6), &unknown)), None);
        }
    }
}
