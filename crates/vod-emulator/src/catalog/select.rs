//! How a listing uses the catalogue's indexes (`index.rs` explains their shape): the candidates
//! of a filter, counts, pages and scroll cursors.

use std::borrow::Cow;
use std::ops::{Bound, Range};
use std::sync::Arc;

use roaring::RoaringBitmap;

use super::index::KEPT_COMBINATIONS;
use super::query::{Clause, Filter, TimeRange};
use super::{Catalog, VideoView};

enum Candidates<'a> {
    Index(&'a RoaringBitmap),
    Combined(Arc<RoaringBitmap>),
}

impl std::ops::Deref for Candidates<'_> {
    type Target = RoaringBitmap;
    fn deref(&self) -> &RoaringBitmap {
        match self {
            Candidates::Index(b) => b,
            Candidates::Combined(b) => b,
        }
    }
}

/// The matches of one filter: counted and paged through the indexes.
pub struct Selection<'a> {
    catalog: &'a Catalog,
    /// Matches of the indexed clauses (a subset of the live videos).
    candidates: Candidates<'a>,
    /// Positions within the creation-time range.
    range: Range<u32>,
    /// Clauses checked video by video.
    residual: Vec<&'a Clause>,
}

impl<'a> Selection<'a> {
    pub(super) fn new(catalog: &'a Catalog, filter: &'a Filter) -> Selection<'a> {
        let (residual, indexed): (Vec<&Clause>, Vec<&Clause>) = filter
            .clauses
            .iter()
            .filter(|c| !matches!(c, Clause::CreationTime(_)))
            .partition(|c| matches!(c, Clause::Title(_) | Clause::ModificationTime(_)));
        Selection {
            catalog,
            candidates: catalog.candidates(&indexed),
            range: catalog.positions(filter.created()),
            residual,
        }
    }

    fn keep(&self, pos: u32) -> bool {
        let v = self.catalog.at(pos);
        self.residual.iter().all(|c| c.matches(&v))
    }

    /// Whether [`Selection::total`] costs O(log n) (no clause is checked video by video).
    pub fn counts_cheaply(&self) -> bool {
        self.residual.is_empty()
    }

    /// How many videos match.
    pub fn total(&self) -> u64 {
        if self.range.is_empty() {
            return 0;
        }
        if self.residual.is_empty() {
            self.candidates.range_cardinality(self.range.clone())
        } else {
            self.iter(true, None).count() as u64
        }
    }

    /// Matches in order, starting after position `after` (from the start when `None`).
    fn iter(&self, ascending: bool, after: Option<u32>) -> Box<dyn Iterator<Item = u32> + '_> {
        let Range { start, end } = self.range;
        let (lo, hi) = match (ascending, after) {
            (_, None) => (start, end),
            (true, Some(p)) => (start.max(p.saturating_add(1)), end),
            (false, Some(p)) => (start, end.min(p)),
        };
        if lo >= hi {
            return Box::new(std::iter::empty());
        }
        let it = self.candidates.range(lo..hi);
        let it: Box<dyn Iterator<Item = u32>> = if ascending {
            Box::new(it)
        } else {
            Box::new(it.rev())
        };
        if self.residual.is_empty() {
            it
        } else {
            Box::new(it.filter(|p| self.keep(*p)))
        }
    }

    /// Up to `n` matches from the `skip`-th on, in order.
    pub fn page(&self, ascending: bool, skip: usize, n: usize) -> Vec<u32> {
        if !self.residual.is_empty() || self.range.is_empty() {
            return self.iter(ascending, None).skip(skip).take(n).collect();
        }
        // Without per-video checks the k-th match is found by rank and select, in O(log n).
        let c: &RoaringBitmap = &self.candidates;
        let Range { start, end } = self.range;
        let before = if start == 0 { 0 } else { c.rank(start - 1) };
        let upto = c.rank(end - 1);
        let skip = skip as u64;
        if before + skip >= upto {
            return Vec::new();
        }
        let first = if ascending {
            before + skip
        } else {
            upto - 1 - skip
        };
        let Some(at) = u32::try_from(first).ok().and_then(|k| c.select(k)) else {
            return Vec::new();
        };
        if ascending {
            c.range(at..end).take(n).collect()
        } else {
            c.range(start..=at).rev().take(n).collect()
        }
    }

    /// Up to `n` matches after position `after`, in order: a scroll continuation.
    pub fn after(&self, ascending: bool, after: u32, n: usize) -> Vec<u32> {
        self.iter(ascending, Some(after)).take(n).collect()
    }

    pub fn video(&self, pos: u32) -> VideoView<'a> {
        self.catalog.at(pos)
    }
}

impl Catalog {
    /// The live videos the indexed clauses all match: an index itself, or a kept combination.
    fn candidates<'a>(&'a self, indexed: &[&Clause]) -> Candidates<'a> {
        if indexed.is_empty() {
            return Candidates::Index(&self.indexes.alive);
        }
        let key = format!("{indexed:?}");
        let found = self
            .combined
            .borrow()
            .kept
            .iter()
            .find(|(k, g, _)| *k == key && *g == self.generation)
            .map(|(_, _, b)| Arc::clone(b));
        if let Some(b) = found {
            return Candidates::Combined(b);
        }
        let mut sets: Vec<Cow<'a, RoaringBitmap>> =
            indexed.iter().map(|c| self.clause_set(c)).collect();
        if let [Cow::Borrowed(one)] = sets.as_slice() {
            return Candidates::Index(one);
        }
        // Smallest first, so that each intersection is as cheap as it can be.
        sets.sort_by_key(|s| s.len());
        let mut sets = sets.into_iter();
        let mut acc = sets.next().expect("not empty").into_owned();
        for s in sets {
            acc &= s.as_ref();
        }
        let acc = Arc::new(acc);
        let mut combined = self.combined.borrow_mut();
        combined.kept.retain(|(_, g, _)| *g == self.generation);
        if combined.kept.len() >= KEPT_COMBINATIONS {
            combined.kept.remove(0);
        }
        combined.kept.push((key, self.generation, Arc::clone(&acc)));
        Candidates::Combined(acc)
    }

    /// The live videos one indexed clause matches: the union of its values' bitmaps.
    fn clause_set<'a>(&'a self, clause: &Clause) -> Cow<'a, RoaringBitmap> {
        let (ix, words) = (&self.indexes, &self.words);
        let union = |found: Vec<&'a RoaringBitmap>| -> Cow<'a, RoaringBitmap> {
            match found.as_slice() {
                [] => Cow::Owned(RoaringBitmap::new()),
                [one] => Cow::Borrowed(*one),
                many => Cow::Owned(many.iter().fold(RoaringBitmap::new(), |acc, s| acc | *s)),
            }
        };
        match clause {
            Clause::Status(values) => union(
                values
                    .iter()
                    .filter_map(|v| words.statuses.id(v).and_then(|id| ix.status.get(&id)))
                    .collect(),
            ),
            Clause::StorageLocation(values) => union(
                values
                    .iter()
                    .filter_map(|v| words.locations.id(v).and_then(|id| ix.location.get(&id)))
                    .collect(),
            ),
            Clause::Tags(values) => union(
                values
                    .iter()
                    .filter_map(|v| words.tags.id(v).and_then(|id| ix.tag.get(&id)))
                    .collect(),
            ),
            Clause::CateId(values) => {
                union(values.iter().filter_map(|c| ix.category.get(c)).collect())
            }
            Clause::VideoId(ids) => Cow::Owned(
                ids.iter()
                    .filter_map(|id| self.position(id))
                    .collect::<RoaringBitmap>(),
            ),
            // Not indexed: checked video by video (see `Selection::new`).
            Clause::Title(_) | Clause::ModificationTime(_) | Clause::CreationTime(_) => {
                Cow::Borrowed(&ix.alive)
            }
        }
    }

    /// The positions whose creation time lies in `range`.
    pub(super) fn positions(&self, range: TimeRange) -> Range<u32> {
        let start = match range.low {
            Bound::Unbounded => 0,
            Bound::Included(t) => self.recs.partition_point(|r| r.created < t),
            Bound::Excluded(t) => self.recs.partition_point(|r| r.created <= t),
        };
        let end = match range.high {
            Bound::Unbounded => self.recs.len(),
            Bound::Included(t) => self.recs.partition_point(|r| r.created <= t),
            Bound::Excluded(t) => self.recs.partition_point(|r| r.created < t),
        };
        start as u32..(end.max(start)) as u32
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::query::{Clause, Filter, Subject, TimeRange};
    use super::super::{Catalog, Video};

    fn video(i: usize, created: u8, status: u8, tag: u8) -> Video {
        Video {
            video_id: format!("{i:032x}"),
            reference_id: None,
            title: format!("t{}", i % 3),
            status: ["Normal", "Blocked", "UploadFail"][status as usize % 3].into(),
            category_id: Some(1000 + i64::from(status % 2)),
            creation_time: super::super::video::api_time(1_700_000_000 + i64::from(created) * 60),
            modification_time: None,
            size: None,
            duration: None,
            tags: (!tag.is_multiple_of(3)).then(|| ["a", "a,b", "b"][tag as usize % 3].to_string()),
            storage_location: None,
            storage_class: None,
            cover_url: None,
            forbidden: false,
            cdn: None,
        }
    }

    proptest! {
        /// Counting, paging (both orders, any offset) and continuing after a position agree
        /// with a plain filter and sort of the live videos, after deletions.
        #[test]
        fn selections_agree_with_brute_force(
            spec in prop::collection::vec((0u8..8, 0u8..6, 0u8..6), 0..60),
            doomed in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
            which in 0usize..6,
            skip in 0usize..70,
            n in 1usize..20,
            lo in 0u8..8,
        ) {
            let videos: Vec<Video> = spec.iter().enumerate().map(|(i, (c, s, t))| video(i, *c, *s, *t)).collect();
            let mut catalog = Catalog::from_videos(videos.clone());
            let doomed: Vec<String> = if videos.is_empty() { vec![] } else {
                doomed.iter().map(|ix| videos[ix.index(videos.len())].video_id.clone()).collect()
            };
            let low = 1_700_000_000 + i64::from(lo) * 60;
            let clauses = match which {
                0 => vec![],
                1 => vec![Clause::Status(vec!["Normal".into(), "UploadFail".into()])],
                2 => vec![Clause::Tags(vec!["b".into()]), Clause::CreationTime(TimeRange::half_open(Some(low), None))],
                3 => vec![Clause::Title(vec!["t1".into()]), Clause::CateId(vec![1000])],
                4 => vec![Clause::Status(vec!["Normal".into(), "Blocked".into()]), Clause::Tags(vec!["a".into()])],
                _ => vec![Clause::CreationTime(TimeRange { low: std::ops::Bound::Excluded(low), high: std::ops::Bound::Included(low + 180) })],
            };
            let filter = Filter { clauses };
            // Combinations kept from before the deletions must not be reused after them.
            let _ = catalog.select(&filter).total();
            catalog.delete(&doomed).unwrap();
            let mut want: Vec<(i64, String)> = catalog.videos()
                .filter(|v| filter.matches(v))
                .map(|v| (v.created(), v.id().to_string()))
                .collect();
            want.sort();
            let sel = catalog.select(&filter);
            prop_assert_eq!(sel.total() as usize, want.len());
            for ascending in [true, false] {
                let mut ordered: Vec<String> = want.iter().map(|(_, id)| id.clone()).collect();
                if !ascending { ordered.reverse(); }
                let page: Vec<String> = sel.page(ascending, skip, n).into_iter().map(|p| sel.video(p).id().to_string()).collect();
                let expect: Vec<String> = ordered.iter().skip(skip).take(n).cloned().collect();
                prop_assert_eq!(&page, &expect);
                // Walking with `after` from the first page visits everything once, in order.
                let mut walked: Vec<String> = Vec::new();
                let mut next = sel.page(ascending, 0, n);
                while let Some(last) = next.last().copied() {
                    walked.extend(next.iter().map(|p| sel.video(*p).id().to_string()));
                    next = sel.after(ascending, last, n);
                }
                prop_assert_eq!(&walked, &ordered);
            }
        }
    }
}
