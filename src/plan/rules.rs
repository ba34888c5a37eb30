//! PLACEHOLDER until the `selectors` branch lands its indexed version with the same interface.
//! The desired state's entries, for deciding one video's fate from its re-read state alone.

use crate::ids::{VideoId, VideoRef};
use crate::manifest::{DesiredState, Entry, Target};
use crate::vod::api::VideoInfo;

pub struct Rules<'a> {
    desired: &'a DesiredState,
}

fn selects(entry: &Entry, id: &VideoId, info: &VideoInfo) -> bool {
    match &entry.target {
        Target::Id(VideoRef::Video(v)) => v == id,
        Target::Id(VideoRef::Reference(r)) => info.reference_id.as_deref() == Some(r.as_str()),
        Target::Match(s) => s.matches(&info.facts()),
    }
}

impl<'a> Rules<'a> {
    pub fn new(desired: &'a DesiredState) -> Rules<'a> {
        Rules { desired }
    }

    pub fn keeper(&self, id: &VideoId, info: &VideoInfo) -> Option<&'a Entry> {
        self.desired.keep.iter().find(|e| selects(e, id, info))
    }

    pub fn selector(&self, id: &VideoId, info: &VideoInfo) -> Option<&'a Entry> {
        self.desired.delete.iter().find(|e| selects(e, id, info))
    }
}
