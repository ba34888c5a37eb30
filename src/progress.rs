//! How the library reports progress without printing: long phases (listing the catalogue,
//! reading videos, deleting) call a [`Progress`] the caller passes in; the CLI draws it (a bar on
//! a terminal, a plain line now and then in CI logs), tests pass `()`.
//!
//! Why a trait in its own module: the listing (`listing`), the reading (`state`) and the apply
//! loop all report through it, and none of them may depend on another for it.

/// A phase of work, named on the progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Listing the delete selectors' candidates (GetVideoList, SearchMedia).
    Listing,
    /// Reading videos with GetVideoInfos.
    Reading,
    /// Deleting videos.
    Deleting,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Listing => "listing",
            Phase::Reading => "reading",
            Phase::Deleting => "deleting",
        }
    }
}

/// Receives progress. Every method has a no-op default.
pub trait Progress: Send + Sync {
    /// A phase begins; `total` is how many items it will handle, when known.
    fn start(&self, _phase: Phase, _total: Option<u64>) {}
    /// `items` more found or done, with `calls` more API calls.
    fn advance(&self, _items: u64, _calls: u64) {}
}

impl Progress for () {}
