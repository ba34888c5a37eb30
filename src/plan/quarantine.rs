//! Quarantine: a reversible grace period before the irreversible delete.
//!
//! vodplan keeps no state of its own: a video's quarantine is recorded on the video in VOD. It is
//! "in vodplan's quarantine" when its status is `Blocked` (set through CreateAudit: its play URLs
//! can no longer be obtained) **and** it carries the tag `vodplan-until-YYYY-MM-DD` (the UTC date
//! the grace period ends, set through UpdateVideoInfos). Either half alone is not a quarantine:
//! - the tag on a `Normal` video means a person restored it by hand: if still selected, a new
//!   grace period starts (the old tag is replaced);
//! - `Blocked` without the tag means someone else blocked it (moderation): vodplan leaves it
//!   exactly as it is under a quarantine entry, and says so.
//!
//! Order of the two calls, chosen so that a half-done action can never leave a video looking
//! like moderation's: to quarantine, tag first and then block (a failure leaves a tagged `Normal`
//! video: "restored by hand", harmless); to restore, unblock first and then untag (same).
//!
//! Deciding is pure (this module, and [`super::arrange`] which applies it to a diffed plan); the
//! API calls are made by `apply`.

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use super::fingerprint::Fingerprint;
use crate::ids::VideoId;
use crate::manifest::{Entry, Location, VideoStatus};
use crate::plan::rules::Rules;
use crate::vod::api::VideoInfo;

/// The tag that records vodplan's quarantine, followed by the date.
pub const TAG_PREFIX: &str = "vodplan-until-";
/// UpdateVideoInfos: at most 16 tags a video, each at most 32 bytes.
pub const MAX_TAGS: usize = 16;
pub const MAX_TAG_BYTES: usize = 32;
// vodplan's own tag (prefix + `YYYY-MM-DD`) always fits the service's tag limit.
const _: () = assert!(TAG_PREFIX.len() + "YYYY-MM-DD".len() <= MAX_TAG_BYTES);
/// CreateAudit: `Reason` at most 128 bytes.
pub const MAX_REASON_BYTES: usize = 128;

/// A video to put in quarantine: tag it, then block it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quarantine {
    pub video_id: VideoId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The delete entry that selected it.
    pub source: Location,
    /// The last day of the grace period (UTC): deleted by the first apply after it.
    pub until: String,
    pub days: u32,
    /// The video's whole tag list after tagging (its other tags kept).
    pub tags: String,
    pub observed: Fingerprint,
}

/// A video in vodplan's quarantine whose grace period has not ended: nothing to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Waiting {
    pub video_id: VideoId,
    pub title: String,
    pub until: String,
    pub source: Location,
}

/// A video in vodplan's quarantine that a keep entry now protects: unblock it, then untag it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Restore {
    pub video_id: VideoId,
    pub kept_by: Location,
    /// The video's tag list after untagging.
    pub tags: String,
    pub observed: Fingerprint,
}

/// A video vodplan reports and leaves exactly as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Untouched {
    pub video_id: VideoId,
    pub title: String,
    /// Why it is left alone.
    pub why: String,
    /// The entry involved, if any.
    pub source: Option<Location>,
}

/// The date a vodplan tag names, from a comma-separated tag list.
pub fn tag_date(tags: Option<&str>) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    tags?
        .split(',')
        .filter_map(|t| t.trim().strip_prefix(TAG_PREFIX))
        .find_map(|d| Date::parse(d, &format).ok())
}

pub fn tag_for(until: Date) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    format!(
        "{TAG_PREFIX}{}",
        until.format(&format).expect("dates format")
    )
}

/// A date as the plan and the tag write it (`YYYY-MM-DD`).
pub fn date_text(d: Date) -> String {
    tag_for(d)[TAG_PREFIX.len()..].to_string()
}

fn is_blocked(info: &VideoInfo) -> bool {
    info.status == VideoStatus::Blocked.as_str()
}

/// The end of vodplan's quarantine for this video, if it is in it (Blocked and tagged).
pub fn quarantined_until(info: &VideoInfo) -> Option<Date> {
    if is_blocked(info) {
        tag_date(info.tags.as_deref())
    } else {
        None
    }
}

fn other_tags(tags: Option<&str>) -> Vec<&str> {
    tags.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.starts_with(TAG_PREFIX))
        .collect()
}

/// The tag list with vodplan's tag for `until` (replacing any older one), or why there is no room.
pub fn tags_with(tags: Option<&str>, until: Date) -> Result<String, String> {
    let mut all = other_tags(tags);
    if all.len() >= MAX_TAGS {
        return Err(format!(
            "it has {} tags already, the most a video can carry, so vodplan's tag does not fit",
            all.len()
        ));
    }
    let tag = tag_for(until);
    all.push(&tag);
    Ok(all.join(","))
}

/// The tag list without vodplan's tags.
pub fn tags_without(tags: Option<&str>) -> String {
    other_tags(tags).join(",")
}

/// CreateAudit's `Reason`: says vodplan and the entry's reason, cut to 128 bytes at a character
/// boundary.
pub fn audit_reason(reason: Option<&str>) -> String {
    let mut text = match reason {
        Some(r) => format!("vodplan quarantine: {r}"),
        None => "vodplan quarantine".to_string(),
    };
    if text.len() > MAX_REASON_BYTES {
        let mut cut = MAX_REASON_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// The delete entry that selects a video. For a video in vodplan's quarantine, its status is the
/// `Blocked` vodplan set, so a selector's `status` condition is judged as it would be for any
/// status (the condition selected it before vodplan blocked it).
pub fn selecting_entry<'a>(rules: &Rules<'a>, id: &VideoId, info: &VideoInfo) -> Option<&'a Entry> {
    if let Some(e) = rules.selector(id, info) {
        return Some(e);
    }
    quarantined_until(info)?;
    VideoStatus::ALL.iter().find_map(|s| {
        let mut as_if = info.clone();
        as_if.status = s.as_str().to_string();
        rules.selector(id, &as_if)
    })
}

/// What vodplan does with a video a delete entry selects and no keep entry protects.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Delete,
    Quarantine {
        until: Date,
        tags: String,
    },
    Wait {
        until: Date,
    },
    /// Left exactly as it is, for the reason given.
    Leave(String),
}

/// Decides for a selected, unprotected video, given the selecting entry and today's UTC date.
pub fn decide(entry: &Entry, info: &VideoInfo, today: Date) -> Decision {
    if let Some(until) = quarantined_until(info) {
        return if entry.quarantine.is_none() || today > until {
            Decision::Delete
        } else {
            Decision::Wait { until }
        };
    }
    let Some(days) = entry.quarantine.as_ref().map(|q| q.value) else {
        return Decision::Delete;
    };
    if is_blocked(info) {
        return Decision::Leave(
            "blocked by someone else (no vodplan tag): vodplan does not tag, unblock or delete it under a quarantine entry".into(),
        );
    }
    let until = today
        .checked_add(Duration::days(i64::from(days)))
        .unwrap_or(Date::MAX);
    match tags_with(info.tags.as_deref(), until) {
        Ok(tags) => Decision::Quarantine { until, tags },
        Err(why) => Decision::Leave(format!("cannot be quarantined: {why}")),
    }
}

/// Builds the quarantine action for a decided video.
pub fn quarantine_action(
    entry: &Entry,
    id: &VideoId,
    info: &VideoInfo,
    until: Date,
    tags: String,
) -> Quarantine {
    Quarantine {
        video_id: id.clone(),
        reason: entry.reason.clone(),
        source: entry.location.clone(),
        until: date_text(until),
        days: entry.quarantine.as_ref().map_or(0, |q| q.value),
        tags,
        observed: Fingerprint::of(info),
    }
}

pub fn waiting(entry: &Entry, id: &VideoId, info: &VideoInfo, until: Date) -> Waiting {
    Waiting {
        video_id: id.clone(),
        title: info.title.clone(),
        until: date_text(until),
        source: entry.location.clone(),
    }
}

pub fn restore(keeper: &Entry, id: &VideoId, info: &VideoInfo) -> Restore {
    Restore {
        video_id: id.clone(),
        kept_by: keeper.location.clone(),
        tags: tags_without(info.tags.as_deref()),
        observed: Fingerprint::of(info),
    }
}

/// Today's date in UTC, the clock the grace periods are measured by.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// Whether any delete entry asks for a quarantine (then vodplan also reads the videos in its
/// quarantine, to find those to delete, keep waiting, restore or report).
pub fn in_use(desired: &crate::manifest::DesiredState) -> bool {
    desired.delete.iter().any(|e| e.quarantine.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Located;

    fn info(status: &str, tags: Option<&str>) -> VideoInfo {
        VideoInfo {
            video_id: "a".repeat(32),
            status: status.into(),
            tags: tags.map(str::to_string),
            ..VideoInfo::default()
        }
    }

    fn entry(days: Option<u32>) -> Entry {
        Entry {
            target: crate::manifest::Target::Id(crate::ids::VideoRef::Video(
                VideoId::new("a".repeat(32)).unwrap(),
            )),
            reason: Some("old".into()),
            quarantine: days.map(|d| Located {
                value: d,
                location: Location::new(&std::sync::Arc::from("m.yaml"), 1, 1),
            }),
            purge_cdn: false,
            location: Location::new(&std::sync::Arc::from("m.yaml"), 3, 5),
        }
    }

    fn d(s: &str) -> Date {
        Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
    }

    #[test]
    fn the_four_actions_and_the_two_halves() {
        let today = d("2026-11-24");
        assert_eq!(
            decide(&entry(Some(14)), &info("Normal", Some("a,b")), today),
            Decision::Quarantine {
                until: d("2026-12-08"),
                tags: "a,b,vodplan-until-2026-12-08".into()
            }
        );
        let q = info("Blocked", Some("a,vodplan-until-2026-12-08"));
        assert_eq!(
            decide(&entry(Some(14)), &q, today),
            Decision::Wait {
                until: d("2026-12-08")
            }
        );
        assert_eq!(
            decide(&entry(Some(14)), &q, d("2026-12-09")),
            Decision::Delete
        );
        assert_eq!(decide(&entry(None), &q, today), Decision::Delete);
        // Restored by hand: a new grace period, the old tag replaced.
        assert_eq!(
            decide(
                &entry(Some(1)),
                &info("Normal", Some("vodplan-until-2020-01-01,x")),
                today
            ),
            Decision::Quarantine {
                until: d("2026-11-25"),
                tags: "x,vodplan-until-2026-11-25".into()
            }
        );
        // Blocked by moderation: left alone under a quarantine entry.
        assert!(matches!(
            decide(&entry(Some(14)), &info("Blocked", Some("x")), today),
            Decision::Leave(_)
        ));
        assert_eq!(
            decide(&entry(None), &info("Blocked", None), today),
            Decision::Delete
        );
    }

    #[test]
    fn no_room_is_reported_not_truncated() {
        let sixteen: Vec<String> = (0..16).map(|i| format!("t{i}")).collect();
        let tags = sixteen.join(",");
        assert!(matches!(
            decide(&entry(Some(1)), &info("Normal", Some(&tags)), d("2026-01-01")),
            Decision::Leave(w) if w.contains("16 tags")
        ));
        assert_eq!(tags_without(Some("a, vodplan-until-2026-01-01 ,b")), "a,b");
    }

    #[test]
    fn the_audit_reason_fits_in_128_bytes() {
        let long = "é".repeat(100);
        let r = audit_reason(Some(&long));
        assert!(r.len() <= 128 && r.starts_with("vodplan quarantine: é"));
        assert_eq!(audit_reason(None), "vodplan quarantine");
    }
}
