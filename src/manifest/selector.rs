//! What a `match` entry says, and how one video is checked against it.
//!
//! Why here, in the manifest layer: a selector is part of what a team declares, and the check
//! needs nothing but the video's facts as plain values ([`VideoFacts`]), so the layers above
//! (`vod`, `state`, `selector`, `plan`) can all use it without the manifest knowing them.
//! [`VideoStatus`] is the one list of the API's video statuses: validation, the JSON Schema and
//! the selector's queries all read it. [`Status`] (a video's status as read, unknown ones kept)
//! and [`Tags`] (a video's tag list, cut once) are the typed facts a video is read into.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::Serialize;
use time::OffsetDateTime;

/// A video status as the VOD API reports it (GetVideoInfos, GetVideoList, SearchMedia). Source:
/// the `Status` field of <https://www.alibabacloud.com/help/en/vod/api-getvideoinfos> and
/// <https://www.alibabacloud.com/help/en/vod/api-getvideolist>.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema, Serialize)]
pub enum VideoStatus {
    Uploading,
    UploadFail,
    UploadSucc,
    Transcoding,
    TranscodeFail,
    Blocked,
    Normal,
    Checking,
    ProduceFail,
}

impl VideoStatus {
    /// Every status, in the API documentation's order.
    pub const ALL: [VideoStatus; 9] = [
        VideoStatus::Uploading,
        VideoStatus::UploadFail,
        VideoStatus::UploadSucc,
        VideoStatus::Transcoding,
        VideoStatus::TranscodeFail,
        VideoStatus::Blocked,
        VideoStatus::Normal,
        VideoStatus::Checking,
        VideoStatus::ProduceFail,
    ];

    /// The API's name for this status.
    pub fn as_str(self) -> &'static str {
        match self {
            VideoStatus::Uploading => "Uploading",
            VideoStatus::UploadFail => "UploadFail",
            VideoStatus::UploadSucc => "UploadSucc",
            VideoStatus::Transcoding => "Transcoding",
            VideoStatus::TranscodeFail => "TranscodeFail",
            VideoStatus::Blocked => "Blocked",
            VideoStatus::Normal => "Normal",
            VideoStatus::Checking => "Checking",
            VideoStatus::ProduceFail => "ProduceFail",
        }
    }
}

impl fmt::Display for VideoStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not one of the API's statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus;

impl FromStr for VideoStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VideoStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(UnknownStatus)
    }
}

/// A `match` entry: a set of conditions that must all hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selector {
    /// Any of these statuses (empty: any status).
    pub status: Vec<VideoStatus>,
    pub category_id: Option<i64>,
    pub created_before: Option<OffsetDateTime>,
    pub created_after: Option<OffsetDateTime>,
    pub title_prefix: Option<String>,
    /// The storage location (bucket) holds the source file.
    pub storage_location: Option<String>,
    /// The video carries every one of these tags.
    pub tags: Vec<String>,
    /// `olderThan` / `newerThan`, when given: `created_before` / `created_after` are then the
    /// bounds pinned at [`Relative::at`] (see [`Selector::pin`]).
    pub relative: Option<Box<Relative>>,
}

/// A selector's relative ages, and the time they were pinned at.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Relative {
    pub older_than_days: Option<u32>,
    pub newer_than_days: Option<u32>,
    /// The `createdBefore` / `createdAfter` the manifest gave besides.
    pub given_before: Option<OffsetDateTime>,
    pub given_after: Option<OffsetDateTime>,
    pub at: Option<OffsetDateTime>,
}

/// The longest age a selector takes, in days (`olderThan`, `newerThan`).
pub const MAX_AGE_DAYS: u32 = 36_500;

/// `90d` → 90 (1 to [`MAX_AGE_DAYS`] days).
pub fn parse_days(text: &str) -> Option<u32> {
    let n = text.strip_suffix('d')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || n.starts_with('0') {
        return None;
    }
    n.parse().ok().filter(|d| (1..=MAX_AGE_DAYS).contains(d))
}

/// A video's status as read: one of the API's statuses, or a name VOD may add later (kept as
/// given; it matches no `status` condition and is never restored to).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    Known(VideoStatus),
    Other(Box<str>),
}

impl Status {
    /// The status the API names `text` (parsed here, once per video read).
    pub fn parse(text: &str) -> Status {
        match text.parse() {
            Ok(s) => Status::Known(s),
            Err(UnknownStatus) => Status::Other(text.into()),
        }
    }

    /// The API's name for it.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Known(s) => s.as_str(),
            Status::Other(s) => s,
        }
    }

    /// The status, when it is one of the API's known ones.
    pub fn known(&self) -> Option<VideoStatus> {
        match self {
            Status::Known(s) => Some(*s),
            Status::Other(_) => None,
        }
    }

    pub fn is(&self, s: VideoStatus) -> bool {
        *self == Status::Known(s)
    }
}

impl Default for Status {
    fn default() -> Self {
        Status::Other("".into())
    }
}

impl From<VideoStatus> for Status {
    fn from(s: VideoStatus) -> Self {
        Status::Known(s)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A video's tags, in the order VOD gives them: the API's comma-separated list is cut here, once
/// (each tag trimmed, empty ones dropped), and held as that normalized text (`a,b,c`), so a
/// million videos cost one string each and every question about a tag is answered without
/// allocating.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Tags(String);

impl Tags {
    /// Reads the API's comma-separated list (`None`: no tags).
    pub fn parse(text: Option<&str>) -> Tags {
        let Some(text) = text else {
            return Tags::default();
        };
        let mut out = String::with_capacity(text.len());
        for t in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(t);
        }
        Tags(out)
    }

    /// [`Tags::parse`] of a list read from the API, keeping its buffer when it is normalized
    /// already (as VOD writes it: `a,b,c`), so reading a million videos allocates nothing more.
    pub fn read(text: Option<String>) -> Tags {
        match text {
            Some(t) if t.split(',').all(|x| !x.is_empty() && x.trim() == x) => Tags(t),
            Some(t) if t.is_empty() => Tags::default(),
            other => Tags::parse(other.as_deref()),
        }
    }

    /// The tags given as a list, in order (empty ones dropped; none may hold a comma).
    pub fn from_list<'a>(tags: impl IntoIterator<Item = &'a str>) -> Tags {
        let mut out = String::new();
        for t in tags.into_iter().filter(|t| !t.is_empty()) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(t);
        }
        Tags(out)
    }

    /// Each tag, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + Clone {
        self.0.split(',').filter(|t| !t.is_empty())
    }

    pub fn contains(&self, tag: &str) -> bool {
        self.iter().any(|t| t == tag)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// The list as the API takes it back (`a,b,c`; empty when there are none).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Saved as the API's list (`"a,b,c"`), read back through [`Tags::parse`].
impl Serialize for Tags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Tags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Tags::parse(Some(&text)))
    }
}

impl fmt::Display for Tags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a selector is checked against: one video's facts, already read into types (no text is
/// parsed while a selector is evaluated).
#[derive(Debug, Clone, Copy)]
pub struct VideoFacts<'a> {
    pub status: &'a Status,
    pub category_id: Option<i64>,
    pub created: Option<OffsetDateTime>,
    pub title: &'a str,
    pub storage_location: Option<&'a str>,
    pub tags: &'a Tags,
}

impl Selector {
    /// Resolves `olderThan` / `newerThan` against `at` (the time of the plan, whole seconds): the
    /// absolute bounds become the tighter of the given ones and `at` less the days. A plan pins
    /// its own time; `apply` of a saved plan pins the plan's time again, never its own.
    pub fn pin(&mut self, at: OffsetDateTime) {
        let Some(r) = self.relative.as_deref_mut() else {
            return;
        };
        let at = at.replace_nanosecond(0).unwrap_or(at);
        r.at = Some(at);
        let days = |d: u32| at - time::Duration::days(i64::from(d));
        self.created_before = match (r.given_before, r.older_than_days.map(days)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.created_after = match (r.given_after, r.newer_than_days.map(days)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// Whether a video satisfies every condition.
    pub fn matches(&self, v: &VideoFacts<'_>) -> bool {
        let has_tag = |t: &String| v.tags.contains(t);
        (self.status.is_empty() || v.status.known().is_some_and(|k| self.status.contains(&k)))
            && self.category_id.is_none_or(|c| v.category_id == Some(c))
            && self
                .created_before
                .is_none_or(|t| v.created.is_some_and(|c| c < t))
            && self
                .created_after
                .is_none_or(|t| v.created.is_some_and(|c| c >= t))
            && self
                .title_prefix
                .as_deref()
                .is_none_or(|p| v.title.starts_with(p))
            && self
                .storage_location
                .as_deref()
                .is_none_or(|l| v.storage_location == Some(l))
            && self.tags.iter().all(has_tag)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.status.is_empty() {
            let names: Vec<&str> = self.status.iter().map(|s| s.as_str()).collect();
            parts.push(format!("status in [{}]", names.join(", ")));
        }
        if let Some(c) = self.category_id {
            parts.push(format!("categoryId {c}"));
        }
        // A bound that a relative age pinned says so: "(90 days before this plan)".
        let relative = |bound: OffsetDateTime, days: Option<u32>| -> String {
            match (days, self.relative.as_deref().and_then(|r| r.at)) {
                (Some(d), Some(at)) if at - time::Duration::days(i64::from(d)) == bound => {
                    format!(
                        " ({d} day{} before this plan)",
                        if d == 1 { "" } else { "s" }
                    )
                }
                _ => String::new(),
            }
        };
        let r = self.relative.as_deref();
        if let Some(t) = self.created_after {
            parts.push(format!(
                "created at or after {}{}",
                crate::timefmt::format(t),
                relative(t, r.and_then(|r| r.newer_than_days))
            ));
        }
        if let Some(t) = self.created_before {
            parts.push(format!(
                "created before {}{}",
                crate::timefmt::format(t),
                relative(t, r.and_then(|r| r.older_than_days))
            ));
        }
        if let Some(p) = &self.title_prefix {
            parts.push(format!("title starts with {p:?}"));
        }
        if let Some(l) = &self.storage_location {
            parts.push(format!("storageLocation {l}"));
        }
        if !self.tags.is_empty() {
            parts.push(format!("tags include all of [{}]", self.tags.join(", ")));
        }
        write!(f, "match {{{}}}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_cut_once_trimmed_and_kept_in_order() {
        let t = Tags::parse(Some(" a, ,b ,a,"));
        assert_eq!(t.as_str(), "a,b,a");
        assert_eq!(t.iter().collect::<Vec<_>>(), ["a", "b", "a"]);
        assert!(t.contains("b") && !t.contains(" b"));
        assert_eq!(t.len(), 3);
        assert!(Tags::parse(None).is_empty() && Tags::parse(Some(" , ")).is_empty());
        assert_eq!(Tags::parse(None).iter().count(), 0);
        assert_eq!(Tags::from_list(["x", "", "y"]).as_str(), "x,y");
        for text in ["a,b", "", " a,b", "a,,b", "a, b", ",", "a"] {
            assert_eq!(
                Tags::read(Some(text.into())),
                Tags::parse(Some(text)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn statuses_round_trip_their_api_names() {
        for s in VideoStatus::ALL {
            assert_eq!(s.as_str().parse::<VideoStatus>(), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!("Deleted".parse::<VideoStatus>(), Err(UnknownStatus));
        let sel = Selector {
            status: vec![VideoStatus::Blocked],
            ..Selector::default()
        };
        let tags = Tags::default();
        let check = |status: &str| {
            sel.matches(&VideoFacts {
                status: &Status::parse(status),
                category_id: None,
                created: None,
                title: "",
                storage_location: None,
                tags: &tags,
            })
        };
        assert!(check("Blocked"));
        assert!(!check("Normal"));
        assert!(!check("Deleted"));
        assert_eq!(Status::parse("Deleted").as_str(), "Deleted");
        assert_eq!(Status::parse("Normal"), Status::Known(VideoStatus::Normal));
    }

    #[test]
    fn relative_ages_pin_to_the_plan_time_and_say_so() {
        assert_eq!(parse_days("90d"), Some(90));
        for bad in ["0d", "90", "d", "090d", "1.5d", "-1d", "36501d", "90D"] {
            assert_eq!(parse_days(bad), None, "{bad}");
        }
        let mut s = Selector {
            relative: Some(Box::new(Relative {
                older_than_days: Some(90),
                ..Relative::default()
            })),
            ..Selector::default()
        };
        s.pin(crate::timefmt::parse("2026-12-05T10:00:00Z").unwrap());
        assert_eq!(
            s.to_string(),
            "match {created before 2026-09-06T10:00:00Z (90 days before this plan)}"
        );
        // A tighter absolute bound given besides wins, and is not called relative.
        s.relative.as_mut().unwrap().given_before = crate::timefmt::parse("2026-01-01T00:00:00Z");
        s.pin(crate::timefmt::parse("2026-12-05T10:00:00Z").unwrap());
        assert_eq!(s.to_string(), "match {created before 2026-01-01T00:00:00Z}");
    }
}
