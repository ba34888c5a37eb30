//! The catalogue's indexes (how a listing uses them: `select.rs`).
//!
//! Why this shape: a listing is "the matches of a filter, in creation order, page N", asked
//! thousands of times of catalogues of millions. The catalogue keeps its videos sorted by
//! (creation time, video ID), so a video's *position* is its rank in that order and never changes
//! (the emulator never adds videos; a deletion only clears the position). Then:
//! - a creation-time range is a contiguous range of positions (two binary searches);
//! - every value of an indexed field (status, category, storage location, tag) has a bitmap of
//!   positions (roaring), and a clause is the union of its values' bitmaps, a filter the
//!   intersection of its clauses: counts (`Total`), the k-th match and "the next page after
//!   position p" cost O(log n) or O(page), not O(catalogue);
//! - a scroll cursor is a position: a traversal resumes in O(page), and deletions between pages
//!   cannot shift it (no duplicate, no gap).
//!
//! Clauses on fields without an index (title, modification time) are checked video by video on
//! the candidates the indexed clauses leave; only then do count and page cost O(candidates).
//!
//! Combining big bitmaps (a union of statuses, an intersection with a category) costs O(n/65536)
//! container operations, about a millisecond at ten million videos; the last few combinations are
//! kept (until the catalogue changes), so the continuations of a traversal do not pay it again.

use std::collections::HashMap;
use std::sync::Arc;

use roaring::RoaringBitmap;

/// Positions by value for one field, the values numbered by the field's [`super::video::Names`]
/// (or, for categories, the category itself).
#[derive(Debug, Default)]
pub struct Facet<K: std::hash::Hash + Eq> {
    sets: HashMap<K, RoaringBitmap>,
}

impl<K: std::hash::Hash + Eq + Copy> Facet<K> {
    pub fn add(&mut self, key: K, pos: u32) {
        self.sets.entry(key).or_default().insert(pos);
    }

    pub fn remove(&mut self, key: K, pos: u32) {
        if let Some(s) = self.sets.get_mut(&key) {
            s.remove(pos);
        }
    }

    pub fn get(&self, key: &K) -> Option<&RoaringBitmap> {
        self.sets.get(key)
    }

    /// Builds from (key, position) pairs in ascending position order.
    pub fn build(pairs: impl Iterator<Item = (K, u32)>) -> Facet<K> {
        let mut sorted: HashMap<K, Vec<u32>> = HashMap::new();
        for (k, p) in pairs {
            sorted.entry(k).or_default().push(p);
        }
        Facet {
            sets: sorted
                .into_iter()
                .map(|(k, ps)| {
                    let set = RoaringBitmap::from_sorted_iter(ps).expect("positions ascend");
                    (k, set)
                })
                .collect(),
        }
    }
}

/// Every index of the catalogue.
#[derive(Debug, Default)]
pub struct Indexes {
    /// Positions of the videos that exist.
    pub alive: RoaringBitmap,
    pub status: Facet<u32>,
    pub category: Facet<i64>,
    pub location: Facet<u32>,
    pub tag: Facet<u32>,
}

/// Combined bitmaps kept for reuse: (indexed clauses, catalogue generation, bitmap).
#[derive(Debug, Default)]
pub struct Combined {
    pub(super) kept: Vec<(String, u64, Arc<RoaringBitmap>)>,
}

/// How many combinations are kept.
pub(super) const KEPT_COMBINATIONS: usize = 8;
