//! Quarantine: a reversible grace period before the irreversible delete, and the one function
//! that decides every video's fate ([`fate`]).
//!
//! vodplan keeps no state of its own: a quarantine is recorded on the video in VOD, in two places
//! that must agree:
//! - its tags (human-visible, set through UpdateVideoInfos): `vodplan-until-YYYY-MM-DD` (the UTC
//!   date the grace period ends) and `vodplan-by-OWNER` (the manifest set's `owner:`);
//! - the audit record of the block (CreateAudit, returned by GetAuditHistory): its `Reason`
//!   starts with `vodplan:OWNER:YYYY-MM-DD:STATUS ` (owner, the date, and the video's status
//!   before blocking); its `Comment` says the same in words, with the entry.
//!
//! A video is *in this owner's quarantine* only when it is `Blocked`, the latest review on it is
//! vodplan's block for this owner, and its tags name the same owner and date. Anything else that
//! carries a vodplan tag belongs to someone else (another owner's set, or moderation that blocked
//! it after vodplan): it is listed with the reason and never unblocked, re-tagged or deleted. A
//! video that is not `Blocked` and carries this owner's tags is a stale marker (an interrupted
//! quarantine, a refused untag, a restore by hand): it is untagged, or starts a new grace period.
//!
//! Whether an entry still selects a quarantined video is judged on the facts recorded before
//! vodplan blocked it (its status before blocking, its tags without vodplan's), never on the
//! `Blocked` vodplan set. Order of the calls, chosen so that a half-done action is a stale marker:
//! to quarantine, tag first and then block; to restore, unblock first and then untag.
//!
//! Deciding is pure (this module, and [`super::arrange`] which applies it to a diffed plan); the
//! API calls are made by `apply`, which decides again with [`fate`] on fresh reads.

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use super::fingerprint::Fingerprint;
use crate::ids::VideoId;
use crate::manifest::{Entry, Location, Tags, VideoStatus};
use crate::plan::rules::Rules;
use crate::state::Video;
use crate::vod::api::AuditRecord;

/// The tag that records the end of vodplan's quarantine, followed by the date.
pub const TAG_PREFIX: &str = "vodplan-until-";
/// The tag that records whose quarantine it is, followed by the owner.
pub const OWNER_TAG_PREFIX: &str = "vodplan-by-";
/// How vodplan's block starts its audit `Reason`.
pub const REASON_PREFIX: &str = "vodplan:";
/// UpdateVideoInfos: at most 16 tags a video, each at most 32 bytes.
pub const MAX_TAGS: usize = 16;
pub const MAX_TAG_BYTES: usize = 32;
/// The most characters of an owner name.
pub const MAX_OWNER_LEN: usize = 12;
// vodplan's own tags always fit the service's tag limit.
const _: () = assert!(TAG_PREFIX.len() + "YYYY-MM-DD".len() <= MAX_TAG_BYTES);
const _: () = assert!(OWNER_TAG_PREFIX.len() + MAX_OWNER_LEN <= MAX_TAG_BYTES);
/// CreateAudit: `Reason` at most 128 bytes, `Comment` at most 512.
pub const MAX_REASON_BYTES: usize = 128;
pub const MAX_COMMENT_BYTES: usize = 512;

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
    pub tags: Tags,
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

/// A video of this owner's quarantine to take out of it: unblock it (when it is still Blocked),
/// then remove vodplan's tags, keeping its other tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Restore {
    pub video_id: VideoId,
    /// The keep entry that protects it; none when no entry of the owner selects it any more.
    #[serde(default)]
    pub kept_by: Option<Location>,
    /// Whether it is Blocked (unblock, then untag), or only carries a stale tag (untag).
    #[serde(default = "yes")]
    pub unblock: bool,
    /// The video's tag list after untagging.
    pub tags: Tags,
    pub observed: Fingerprint,
}

fn yes() -> bool {
    true
}

impl Restore {
    /// Why it is restored, for people.
    pub fn why(&self) -> String {
        let what = match &self.kept_by {
            Some(k) => format!("kept by {}", k.file_line()),
            None => "no entry of the manifests selects it any more".to_string(),
        };
        if self.unblock {
            what
        } else {
            format!("{what}; not Blocked, only vodplan's tags are removed")
        }
    }
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

const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn parse_date(text: &str) -> Option<Date> {
    // Exactly `YYYY-MM-DD`: a user tag that merely starts like vodplan's is not vodplan's.
    (text.len() == 10)
        .then(|| Date::parse(text, DATE).ok())
        .flatten()
        .filter(|d| date_text(*d) == text)
}

/// The date of vodplan's until tag, if `tag` is exactly one.
fn until_tag(tag: &str) -> Option<Date> {
    parse_date(tag.strip_prefix(TAG_PREFIX)?)
}

/// The owner of vodplan's owner tag, if `tag` is exactly one.
fn owner_tag(tag: &str) -> Option<&str> {
    tag.strip_prefix(OWNER_TAG_PREFIX)
        .filter(|o| crate::manifest::is_owner_name(o))
}

/// Whether `tag` is one of vodplan's own (an until or an owner tag, exactly).
pub fn is_vodplan_tag(tag: &str) -> bool {
    until_tag(tag).is_some() || owner_tag(tag).is_some()
}

/// The date a vodplan until tag names, from a tag list.
pub fn tag_date(tags: &Tags) -> Option<Date> {
    tags.iter().find_map(until_tag)
}

/// Whether a tag list carries any of vodplan's tags.
pub fn has_vodplan_tag(tags: &Tags) -> bool {
    tags.iter().any(is_vodplan_tag)
}

pub fn tag_for(until: Date) -> String {
    format!("{TAG_PREFIX}{}", date_text(until))
}

pub fn owner_tag_for(owner: &str) -> String {
    format!("{OWNER_TAG_PREFIX}{owner}")
}

/// A date as the plan and the tag write it (`YYYY-MM-DD`).
pub fn date_text(d: Date) -> String {
    d.format(DATE).expect("dates format")
}

/// The tags that are not vodplan's, in order.
fn other_tags(tags: &Tags) -> impl Iterator<Item = &str> + Clone {
    tags.iter().filter(|t| !is_vodplan_tag(t))
}

/// Whether a tag list can be written back by UpdateVideoInfos as it is: at most 16 tags, each at
/// most 32 bytes. Checked per video so that one bad video fails alone, never its batch.
pub fn check_tags(tags: &Tags) -> Result<(), String> {
    let count = tags.len();
    if count > MAX_TAGS {
        return Err(format!(
            "{count} tags, more than the {MAX_TAGS} a video can carry"
        ));
    }
    if let Some(long) = tags.iter().find(|t| t.len() > MAX_TAG_BYTES) {
        return Err(format!(
            "its tag `{long}` is longer than {MAX_TAG_BYTES} bytes, so its tag list cannot be written back without losing it"
        ));
    }
    Ok(())
}

/// The tag list with vodplan's tags for `owner` and `until` (replacing any older ones), or why
/// there is no room.
pub fn tags_with(tags: &Tags, owner: &str, until: Date) -> Result<Tags, String> {
    let others = other_tags(tags);
    let count = others.clone().count();
    if count + 2 > MAX_TAGS {
        return Err(format!(
            "it has {count} tags already and vodplan's two tags do not fit (at most {MAX_TAGS})"
        ));
    }
    let (until, owner) = (tag_for(until), owner_tag_for(owner));
    let mut list: Vec<&str> = others.collect();
    list.extend([until.as_str(), owner.as_str()]);
    let all = Tags::from_list(list);
    check_tags(&all)?;
    Ok(all)
}

/// The tag list without vodplan's tags.
pub fn tags_without(tags: &Tags) -> Tags {
    Tags::from_list(other_tags(tags))
}

/// What vodplan records in the audit record of its block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub owner: String,
    pub until: Date,
    /// The video's status before vodplan blocked it.
    pub was: VideoStatus,
}

impl Marker {
    /// CreateAudit's `Reason`: the marker, then the entry's reason, cut to 128 bytes at a
    /// character boundary (the marker itself is at most 45 bytes).
    pub fn reason(&self, reason: Option<&str>) -> String {
        let mut text = format!(
            "{REASON_PREFIX}{}:{}:{} quarantine",
            self.owner,
            date_text(self.until),
            self.was.as_str()
        );
        if let Some(r) = reason {
            text.push_str(": ");
            text.push_str(r);
        }
        cut(text, MAX_REASON_BYTES)
    }

    /// CreateAudit's `Comment`: the same, in words, with the entry.
    pub fn comment(&self, source: &Location) -> String {
        cut(
            format!(
                "vodplan quarantine of owner {} until {} (UTC), selected by {}; status before blocking: {}",
                self.owner,
                date_text(self.until),
                source.file_line(),
                self.was.as_str()
            ),
            MAX_COMMENT_BYTES,
        )
    }

    /// The marker a `Reason` starts with, if it is vodplan's.
    pub fn parse(reason: &str) -> Option<Marker> {
        let head = reason.strip_prefix(REASON_PREFIX)?;
        let head = head.split(' ').next()?;
        let mut parts = head.split(':');
        let owner = parts.next().filter(|o| crate::manifest::is_owner_name(o))?;
        let until = parse_date(parts.next()?)?;
        let was: VideoStatus = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Marker {
            owner: owner.to_string(),
            until,
            was,
        })
    }
}

fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut at = max;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
    }
    text
}

/// Where a video stands with respect to vodplan's quarantines, for one owner.
#[derive(Debug, Clone, PartialEq)]
pub enum Standing {
    /// No vodplan tag.
    Plain,
    /// In this owner's quarantine (Blocked, latest review vodplan's block for this owner, tags
    /// agree), until `until`; its status before blocking was `was`.
    Ours { until: Date, was: VideoStatus },
    /// Not Blocked, with this owner's tags: an interrupted quarantine, a refused untag, or a
    /// restore by hand.
    Stale,
    /// Carries a vodplan tag but is not this owner's: never unblocked, re-tagged or deleted.
    Foreign(String),
}

/// Where a video stands for `owner`, from its state and the latest review on it (read with
/// GetAuditHistory for a Blocked video with a vodplan tag; `None`: no review, or not read).
pub fn standing(owner: Option<&str>, info: &Video, latest: Option<&AuditRecord>) -> Standing {
    let dates: Vec<Date> = info.tags.iter().filter_map(until_tag).collect();
    let owners: Vec<&str> = info.tags.iter().filter_map(owner_tag).collect();
    if dates.is_empty() && owners.is_empty() {
        return Standing::Plain;
    }
    let others: Vec<&str> = owners
        .iter()
        .copied()
        .filter(|o| Some(*o) != owner)
        .collect();
    if let Some(other) = others.first() {
        return Standing::Foreign(format!(
            "carries the tag of owner `{other}`'s quarantine: vodplan leaves it to that manifest set"
        ));
    }
    if owners.is_empty() {
        return Standing::Foreign(
            "carries a vodplan-until tag without an owner tag (an older vodplan, or a person, wrote it): vodplan does not know whose it is and leaves it".into(),
        );
    }
    let owner = owner.expect("an owner tag equal to the owner");
    if !info.is_blocked() {
        return Standing::Stale;
    }
    let marker = latest
        .filter(|r| r.status == VideoStatus::Blocked.as_str())
        .and_then(|r| Marker::parse(r.reason.as_deref().unwrap_or("")));
    match marker {
        None => Standing::Foreign(
            "Blocked, but the latest review on it is not vodplan's block (moderation or a person blocked it): left to them".into(),
        ),
        Some(m) if m.owner != owner => Standing::Foreign(format!(
            "Blocked, and the latest review on it is vodplan's block for owner `{}`, not this one: left to that manifest set",
            m.owner
        )),
        Some(m) if dates != [m.until] => Standing::Foreign(format!(
            "Blocked by vodplan for this owner until {}, but its tags say otherwise: vodplan does not act on a quarantine whose records disagree",
            date_text(m.until)
        )),
        Some(m) => Standing::Ours {
            until: m.until,
            was: m.was,
        },
    }
}

/// Whether the standing of a video needs its latest review (GetAuditHistory) to be known: a
/// Blocked video carrying any vodplan tag.
pub fn needs_review(info: &Video) -> bool {
    info.is_blocked() && has_vodplan_tag(&info.tags)
}

/// What vodplan does with one video.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate<'a> {
    /// Nothing, and nothing to report.
    Nothing,
    /// A delete entry selects it and a keep entry protects it.
    Protected {
        keeper: &'a Entry,
        entry: &'a Entry,
    },
    Delete {
        entry: &'a Entry,
    },
    /// Tag it with `tags`, then block it until `until`.
    Quarantine {
        entry: &'a Entry,
        until: Date,
        tags: Tags,
        /// Its status now (recorded as the status before blocking).
        was: VideoStatus,
    },
    /// In this owner's quarantine, the grace period running.
    Wait {
        entry: &'a Entry,
        until: Date,
    },
    /// Take it out of this owner's quarantine (unblock when `unblock`), leaving `tags`.
    Restore {
        keeper: Option<&'a Entry>,
        unblock: bool,
        tags: Tags,
    },
    /// Left exactly as it is, for the reason given.
    Leave {
        why: String,
        entry: Option<&'a Entry>,
    },
}

/// The one decision: what vodplan does with a video, from today's rules, the owner, the date, and
/// the video's state with the latest review on it. `plan` makes its plan with it, `apply` approves
/// a planned action only when it is still this fate, and checks it again on fresh reads before
/// every write. Keep always wins; a video of someone else's (another owner's quarantine,
/// moderation's block) is never acted on.
pub fn fate<'a>(
    rules: &Rules<'a>,
    owner: Option<&str>,
    id: &VideoId,
    info: &Video,
    latest: Option<&AuditRecord>,
    today: Date,
) -> Fate<'a> {
    match standing(owner, info, latest) {
        Standing::Foreign(why) => {
            let entry = rules.keeper(id, info).or_else(|| rules.selector(id, info));
            match entry {
                Some(e) => Fate::Leave {
                    why,
                    entry: Some(e),
                },
                None => Fate::Nothing,
            }
        }
        Standing::Ours { until, was } => {
            // Judged on the facts before vodplan blocked it: its status then, its own tags.
            let mut before = info.clone();
            before.status = was.into();
            before.tags = tags_without(&info.tags);
            let tags = before.tags.clone();
            if let Some(keeper) = rules.keeper(id, &before) {
                return Fate::Restore {
                    keeper: Some(keeper),
                    unblock: true,
                    tags,
                };
            }
            match rules.selector(id, &before) {
                None => Fate::Restore {
                    keeper: None,
                    unblock: true,
                    tags,
                },
                Some(entry) if entry.quarantine.is_none() || today > until => {
                    Fate::Delete { entry }
                }
                Some(entry) => Fate::Wait { entry, until },
            }
        }
        Standing::Stale => {
            let mut before = info.clone();
            before.tags = tags_without(&info.tags);
            if let Some(keeper) = rules.keeper(id, &before) {
                return Fate::Restore {
                    keeper: Some(keeper),
                    unblock: false,
                    tags: before.tags,
                };
            }
            match rules.selector(id, &before) {
                None => Fate::Restore {
                    keeper: None,
                    unblock: false,
                    tags: before.tags,
                },
                Some(entry) => plain(entry, owner, info, today),
            }
        }
        Standing::Plain => {
            let Some(entry) = rules.selector(id, info) else {
                return Fate::Nothing;
            };
            if let Some(keeper) = rules.keeper(id, info) {
                return Fate::Protected { keeper, entry };
            }
            plain(entry, owner, info, today)
        }
    }
}

/// A video no quarantine holds, selected by `entry` and not kept.
fn plain<'a>(entry: &'a Entry, owner: Option<&str>, info: &Video, today: Date) -> Fate<'a> {
    let Some(days) = entry.quarantine.as_ref().map(|q| q.value) else {
        return Fate::Delete { entry };
    };
    let leave = |why: String| Fate::Leave {
        why,
        entry: Some(entry),
    };
    if info.is_blocked() {
        return leave(
            "blocked by someone else (no vodplan tag): vodplan does not tag, unblock or delete it under a quarantine entry".into(),
        );
    }
    let Some(owner) = owner else {
        return leave("a quarantine needs the manifests to name their owner".into());
    };
    let Some(was) = info.status.known() else {
        return leave(format!(
            "its status `{}` is not one vodplan knows, so it could not be restored to it",
            info.status
        ));
    };
    let until = today
        .checked_add(Duration::days(i64::from(days)))
        .unwrap_or(Date::MAX);
    match tags_with(&info.tags, owner, until) {
        Ok(tags) => Fate::Quarantine {
            entry,
            until,
            tags,
            was,
        },
        Err(why) => leave(format!("cannot be quarantined: {why}")),
    }
}

/// Builds the quarantine action for a decided video.
pub fn quarantine_action(
    entry: &Entry,
    id: &VideoId,
    info: &Video,
    until: Date,
    tags: Tags,
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

pub fn waiting(entry: &Entry, id: &VideoId, info: &Video, until: Date) -> Waiting {
    Waiting {
        video_id: id.clone(),
        title: info.title.clone(),
        until: date_text(until),
        source: entry.location.clone(),
    }
}

pub fn restore(
    keeper: Option<&Entry>,
    unblock: bool,
    tags: Tags,
    id: &VideoId,
    info: &Video,
) -> Restore {
    Restore {
        video_id: id.clone(),
        kept_by: keeper.map(|k| k.location.clone()),
        unblock,
        tags,
        observed: Fingerprint::of(info),
    }
}

/// Today's date in UTC, the clock the grace periods are measured by.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// Whether any delete entry asks for a quarantine.
pub fn in_use(desired: &crate::manifest::DesiredState) -> bool {
    desired.delete.iter().any(|e| e.quarantine.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Located;

    fn info(status: &str, tags: Option<&str>) -> Video {
        Video::read(crate::vod::api::VideoInfo {
            video_id: "a".repeat(32),
            status: status.into(),
            tags: tags.map(str::to_string),
            ..Default::default()
        })
        .unwrap()
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

    fn desired(days: Option<u32>) -> crate::manifest::DesiredState {
        crate::manifest::DesiredState {
            delete: vec![entry(days)],
            ..Default::default()
        }
    }

    fn vid() -> VideoId {
        VideoId::new("a".repeat(32)).unwrap()
    }

    fn ours(until: &str, was: &str) -> AuditRecord {
        AuditRecord {
            status: "Blocked".into(),
            reason: Some(format!("vodplan:team-a:{until}:{was} quarantine: old")),
            ..AuditRecord::default()
        }
    }

    /// The fate, as a short word and the date or tags it carries.
    fn decide(
        days: Option<u32>,
        info: &Video,
        review: Option<&AuditRecord>,
        today: Date,
    ) -> String {
        let d = desired(days);
        let rules = Rules::new(&d);
        match fate(&rules, Some("team-a"), &vid(), info, review, today) {
            Fate::Nothing => "nothing".into(),
            Fate::Protected { .. } => "protected".into(),
            Fate::Delete { .. } => "delete".into(),
            Fate::Quarantine { until, tags, .. } => {
                format!("quarantine {} {tags}", date_text(until))
            }
            Fate::Wait { until, .. } => format!("wait {}", date_text(until)),
            Fate::Restore {
                unblock,
                tags,
                keeper,
            } => {
                format!(
                    "restore unblock={unblock} kept={} [{tags}]",
                    keeper.is_some()
                )
            }
            Fate::Leave { why, .. } => format!("leave: {why}"),
        }
    }

    #[test]
    fn the_fates_of_plain_ours_stale_and_foreign_videos() {
        let today = d("2026-11-24");
        assert_eq!(
            decide(Some(14), &info("Normal", Some("a,b")), None, today),
            "quarantine 2026-12-08 a,b,vodplan-until-2026-12-08,vodplan-by-team-a"
        );
        let q = info(
            "Blocked",
            Some("a,vodplan-until-2026-12-08,vodplan-by-team-a"),
        );
        let review = ours("2026-12-08", "Normal");
        assert_eq!(
            decide(Some(14), &q, Some(&review), today),
            "wait 2026-12-08"
        );
        assert_eq!(
            decide(Some(14), &q, Some(&review), d("2026-12-09")),
            "delete"
        );
        assert_eq!(decide(None, &q, Some(&review), today), "delete");
        // Its latest review is someone else's block (moderation after vodplan): left alone.
        let moderation = AuditRecord {
            status: "Blocked".into(),
            reason: Some("takedown".into()),
            ..AuditRecord::default()
        };
        assert!(
            decide(None, &q, Some(&moderation), today)
                .starts_with("leave: Blocked, but the latest review")
        );
        assert!(decide(None, &q, None, today).starts_with("leave: "));
        // Another owner's.
        let other = info(
            "Blocked",
            Some("vodplan-until-2026-12-08,vodplan-by-team-b"),
        );
        assert!(
            decide(None, &other, Some(&review), today)
                .starts_with("leave: carries the tag of owner `team-b`")
        );
        // Restored by hand: a new grace period, the old tags replaced.
        assert_eq!(
            decide(
                Some(1),
                &info(
                    "Normal",
                    Some("vodplan-until-2020-01-01,x,vodplan-by-team-a")
                ),
                None,
                today
            ),
            "quarantine 2026-11-25 x,vodplan-until-2026-11-25,vodplan-by-team-a"
        );
        // Blocked by moderation: left alone under a quarantine entry, deleted by a plain one.
        assert!(
            decide(Some(14), &info("Blocked", Some("x")), None, today)
                .starts_with("leave: blocked by someone else")
        );
        assert_eq!(decide(None, &info("Blocked", None), None, today), "delete");
    }

    #[test]
    fn a_quarantined_video_is_judged_on_its_status_before_blocking() {
        let today = d("2026-11-24");
        let selector = |status: VideoStatus| crate::manifest::DesiredState {
            delete: vec![Entry {
                target: crate::manifest::Target::Match(Box::new(crate::manifest::Selector {
                    status: vec![status],
                    ..Default::default()
                })),
                ..entry(Some(14))
            }],
            ..Default::default()
        };
        let q = info(
            "Blocked",
            Some("vodplan-until-2026-12-08,vodplan-by-team-a"),
        );
        let was_normal = ours("2026-12-08", "Normal");
        for (status, expected) in [
            (VideoStatus::Normal, "wait"),
            // No "as if": an entry for another status does not claim it; no entry selects it
            // any more, so it is restored.
            (VideoStatus::UploadFail, "restore"),
            (VideoStatus::Blocked, "restore"),
        ] {
            let d = selector(status);
            let rules = Rules::new(&d);
            let got = fate(&rules, Some("team-a"), &vid(), &q, Some(&was_normal), today);
            let word = match got {
                Fate::Wait { .. } => "wait",
                Fate::Restore { .. } => "restore",
                _ => "other",
            };
            assert_eq!(word, expected, "{status:?}");
        }
    }

    #[test]
    fn no_room_is_reported_not_truncated_and_user_tags_that_look_like_ours_are_kept() {
        let fifteen: Vec<String> = (0..15).map(|i| format!("t{i}")).collect();
        let tags = fifteen.join(",");
        assert!(
            decide(Some(1), &info("Normal", Some(&tags)), None, d("2026-01-01"))
                .contains("vodplan's two tags do not fit")
        );
        let long = "x".repeat(33);
        assert!(
            decide(Some(1), &info("Normal", Some(&long)), None, d("2026-01-01"))
                .contains("longer than 32 bytes")
        );
        assert_eq!(
            tags_without(&Tags::parse(Some(
                "a, vodplan-until-2026-01-01 ,b,vodplan-until-later,vodplan-by-x"
            )))
            .as_str(),
            "a,b,vodplan-until-later"
        );
        assert_eq!(
            decide(
                Some(1),
                &info("Normal", Some("vodplan-until-later")),
                None,
                d("2026-01-01")
            ),
            "quarantine 2026-01-02 vodplan-until-later,vodplan-until-2026-01-02,vodplan-by-team-a"
        );
    }

    #[test]
    fn the_marker_round_trips_and_fits() {
        let m = Marker {
            owner: "abcdefghijkl".into(),
            until: d("2026-12-08"),
            was: VideoStatus::TranscodeFail,
        };
        let long = "é".repeat(100);
        let r = m.reason(Some(&long));
        assert!(r.len() <= MAX_REASON_BYTES);
        assert_eq!(Marker::parse(&r), Some(m.clone()));
        assert_eq!(Marker::parse("vodplan:Team:2026-12-08:Normal"), None);
        assert_eq!(Marker::parse("takedown"), None);
        let at = Location::new(&std::sync::Arc::from("m.yaml"), 3, 5);
        assert!(m.comment(&at).len() <= MAX_COMMENT_BYTES);
    }
}
