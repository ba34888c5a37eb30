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
//! Deciding is pure (this module, and [`arrange`] which applies it to a diffed plan); the
//! API calls are made by `apply`, which decides again with [`fate`] on fresh reads.

pub(crate) mod arrange;

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
    #[serde(serialize_with = "save_day", deserialize_with = "read_day")]
    pub until: Date,
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
    #[serde(serialize_with = "save_day", deserialize_with = "read_day")]
    pub until: Date,
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
    /// Why it is restored: decided by the fields the plan records, worded by [`RestoreReason`]'s
    /// `Display`.
    pub fn why(&self) -> RestoreReason<'_> {
        RestoreReason {
            because: match &self.kept_by {
                Some(by) => RestoredBecause::Kept(by),
                None => RestoredBecause::NotSelected,
            },
            untag_only: !self.unblock,
        }
    }
}

/// Why a video is taken out of this owner's quarantine. Shown to people as one sentence
/// (`Display`, the one place it is worded); a saved plan records its fields, not the sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreReason<'a> {
    pub because: RestoredBecause<'a>,
    /// It is not Blocked (only vodplan's tags are left to remove).
    pub untag_only: bool,
}

/// What takes a video out of this owner's quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoredBecause<'a> {
    /// A keep entry protects it.
    Kept(&'a Location),
    /// No entry of the manifests selects it any more.
    NotSelected,
}

impl std::fmt::Display for RestoreReason<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.because {
            RestoredBecause::Kept(by) => write!(f, "kept by {}", by.file_line())?,
            RestoredBecause::NotSelected => {
                f.write_str("no entry of the manifests selects it any more")?;
            }
        }
        if self.untag_only {
            f.write_str("; not Blocked, only vodplan's tags are removed")?;
        }
        Ok(())
    }
}

/// A video vodplan reports and leaves exactly as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Untouched {
    pub video_id: VideoId,
    pub title: String,
    /// Why it is left alone (saved as its sentence).
    pub why: LeaveReason,
    /// The entry involved, if any.
    pub source: Option<Location>,
}

/// Why vodplan leaves a video exactly as it is. Shown to people as one sentence ([`Display`],
/// the one place it is worded), which is also how a saved plan records it.
///
/// [`Display`]: std::fmt::Display
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaveReason {
    /// It carries the owner tag of another owner's quarantine.
    OtherOwnersTag(String),
    /// It carries a vodplan-until tag without an owner tag.
    NoOwnerTag,
    /// Blocked, and the latest review on it is not vodplan's block.
    BlockedByOthers,
    /// Blocked, and the latest review on it is vodplan's block for another owner.
    BlockedForOtherOwner(String),
    /// Blocked by vodplan for this owner until this date, but its tags say otherwise.
    RecordsDisagree(Date),
    /// Blocked without a vodplan tag, under a quarantine entry.
    BlockedWithoutTag,
    /// A quarantine entry, and the manifests name no owner.
    NoOwner,
    /// Its status is not one vodplan knows, so it could not be restored to it.
    UnknownStatus(String),
    /// vodplan's tags cannot be written.
    NoRoom(TagProblem),
    /// A sentence a saved plan records that this version does not word (an older or newer
    /// vodplan wrote it): shown as it is.
    Recorded(String),
}

impl std::fmt::Display for LeaveReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeaveReason::OtherOwnersTag(owner) => write!(
                f,
                "carries the tag of owner `{owner}`'s quarantine: vodplan leaves it to that manifest set"
            ),
            LeaveReason::NoOwnerTag => f.write_str(
                "carries a vodplan-until tag without an owner tag (an older vodplan, or a person, wrote it): vodplan does not know whose it is and leaves it",
            ),
            LeaveReason::BlockedByOthers => f.write_str(
                "Blocked, but the latest review on it is not vodplan's block (moderation or a person blocked it): left to them",
            ),
            LeaveReason::BlockedForOtherOwner(owner) => write!(
                f,
                "Blocked, and the latest review on it is vodplan's block for owner `{owner}`, not this one: left to that manifest set"
            ),
            LeaveReason::RecordsDisagree(until) => write!(
                f,
                "Blocked by vodplan for this owner until {}, but its tags say otherwise: vodplan does not act on a quarantine whose records disagree",
                date_text(*until)
            ),
            LeaveReason::BlockedWithoutTag => f.write_str(
                "blocked by someone else (no vodplan tag): vodplan does not tag, unblock or delete it under a quarantine entry",
            ),
            LeaveReason::NoOwner => {
                f.write_str("a quarantine needs the manifests to name their owner")
            }
            LeaveReason::UnknownStatus(status) => write!(
                f,
                "its status `{status}` is not one vodplan knows, so it could not be restored to it"
            ),
            LeaveReason::NoRoom(why) => write!(f, "cannot be quarantined: {why}"),
            LeaveReason::Recorded(text) => f.write_str(text),
        }
    }
}

impl LeaveReason {
    /// The reason a saved plan's sentence words, exactly; [`LeaveReason::Recorded`] when it is
    /// none of this version's.
    pub fn read(text: &str) -> LeaveReason {
        /// The part of `text` between `head` and `tail`.
        fn between<'t>(text: &'t str, head: &str, tail: &str) -> Option<&'t str> {
            text.strip_prefix(head)?.strip_suffix(tail)
        }
        let fixed = [
            LeaveReason::NoOwnerTag,
            LeaveReason::BlockedByOthers,
            LeaveReason::BlockedWithoutTag,
            LeaveReason::NoOwner,
        ];
        let candidates = fixed.into_iter().chain(
            [
                between(text, "carries the tag of owner `", "`'s quarantine: vodplan leaves it to that manifest set")
                    .map(|o| LeaveReason::OtherOwnersTag(o.into())),
                between(text, "Blocked, and the latest review on it is vodplan's block for owner `", "`, not this one: left to that manifest set")
                    .map(|o| LeaveReason::BlockedForOtherOwner(o.into())),
                between(text, "Blocked by vodplan for this owner until ", ", but its tags say otherwise: vodplan does not act on a quarantine whose records disagree")
                    .and_then(parse_date)
                    .map(LeaveReason::RecordsDisagree),
                between(text, "its status `", "` is not one vodplan knows, so it could not be restored to it")
                    .map(|s| LeaveReason::UnknownStatus(s.into())),
                text.strip_prefix("cannot be quarantined: ")
                    .and_then(TagProblem::read)
                    .map(LeaveReason::NoRoom),
            ]
            .into_iter()
            .flatten(),
        );
        // Only a reason that words the text exactly stands for it.
        let mut candidates = candidates;
        candidates
            .find(|r| r.to_string() == text)
            .unwrap_or_else(|| LeaveReason::Recorded(text.into()))
    }
}

impl Serialize for LeaveReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LeaveReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(LeaveReason::read(&String::deserialize(d)?))
    }
}

/// Why a tag list cannot be written back by UpdateVideoInfos.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagProblem {
    /// It has this many tags (not vodplan's) already: vodplan's two do not fit.
    Full(usize),
    /// This many tags, more than a video can carry.
    TooMany(usize),
    /// This tag is longer than a tag can be.
    TooLong(String),
}

impl std::fmt::Display for TagProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TagProblem::Full(n) => write!(
                f,
                "it has {n} tags already and vodplan's two tags do not fit (at most {MAX_TAGS})"
            ),
            TagProblem::TooMany(n) => {
                write!(f, "{n} tags, more than the {MAX_TAGS} a video can carry")
            }
            TagProblem::TooLong(tag) => write!(
                f,
                "its tag `{tag}` is longer than {MAX_TAG_BYTES} bytes, so its tag list cannot be written back without losing it"
            ),
        }
    }
}

impl TagProblem {
    /// The problem a sentence words (checked exactly by [`LeaveReason::read`]).
    fn read(text: &str) -> Option<TagProblem> {
        if let Some(n) = text.strip_prefix("it has ") {
            return n.split(' ').next()?.parse().ok().map(TagProblem::Full);
        }
        if let Some(tag) = text.strip_prefix("its tag `") {
            return tag
                .split_once("` is longer than ")
                .map(|(t, _)| TagProblem::TooLong(t.into()));
        }
        text.split(' ')
            .next()?
            .parse()
            .ok()
            .map(TagProblem::TooMany)
    }
}

const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Serde: a date saved as `YYYY-MM-DD` (the plan file's and the journal's form).
pub fn save_day<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&date_text(*d))
}

/// Serde: reads a date saved by [`save_day`].
pub fn read_day<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let text = String::deserialize(d)?;
    parse_date(&text)
        .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a date (YYYY-MM-DD)")))
}

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
pub fn check_tags(tags: &Tags) -> Result<(), TagProblem> {
    let count = tags.len();
    if count > MAX_TAGS {
        return Err(TagProblem::TooMany(count));
    }
    if let Some(long) = tags.iter().find(|t| t.len() > MAX_TAG_BYTES) {
        return Err(TagProblem::TooLong(long.to_string()));
    }
    Ok(())
}

/// The tag list with vodplan's tags for `owner` and `until` (replacing any older ones), or why
/// there is no room.
pub fn tags_with(tags: &Tags, owner: &str, until: Date) -> Result<Tags, TagProblem> {
    let others = other_tags(tags);
    let count = others.clone().count();
    if count + 2 > MAX_TAGS {
        return Err(TagProblem::Full(count));
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
    Foreign(LeaveReason),
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
        return Standing::Foreign(LeaveReason::OtherOwnersTag(other.to_string()));
    }
    if owners.is_empty() {
        return Standing::Foreign(LeaveReason::NoOwnerTag);
    }
    let owner = owner.expect("an owner tag equal to the owner");
    if !info.is_blocked() {
        return Standing::Stale;
    }
    let marker = latest
        .filter(|r| r.status == VideoStatus::Blocked.as_str())
        .and_then(|r| Marker::parse(r.reason.as_deref().unwrap_or("")));
    match marker {
        None => Standing::Foreign(LeaveReason::BlockedByOthers),
        Some(m) if m.owner != owner => {
            Standing::Foreign(LeaveReason::BlockedForOtherOwner(m.owner))
        }
        Some(m) if dates != [m.until] => Standing::Foreign(LeaveReason::RecordsDisagree(m.until)),
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
        why: LeaveReason,
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
    let leave = |why: LeaveReason| Fate::Leave {
        why,
        entry: Some(entry),
    };
    if info.is_blocked() {
        return leave(LeaveReason::BlockedWithoutTag);
    }
    let Some(owner) = owner else {
        return leave(LeaveReason::NoOwner);
    };
    let Some(was) = info.status.known() else {
        return leave(LeaveReason::UnknownStatus(info.status.to_string()));
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
        Err(why) => leave(LeaveReason::NoRoom(why)),
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
        until,
        days: entry.quarantine.as_ref().map_or(0, |q| q.value),
        tags,
        observed: Fingerprint::of(info),
    }
}

pub fn waiting(entry: &Entry, id: &VideoId, info: &Video, until: Date) -> Waiting {
    Waiting {
        video_id: id.clone(),
        title: info.title.clone(),
        until,
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
        // A status VOD added after this version: kept as read, never quarantined (it could not
        // be restored to), deleted by a plain entry.
        assert_eq!(
            decide(Some(14), &info("Archived", None), None, today),
            "leave: its status `Archived` is not one vodplan knows, so it could not be restored to it"
        );
        assert_eq!(decide(None, &info("Archived", None), None, today), "delete");
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
    fn every_leave_reason_is_read_back_from_its_sentence() {
        let all = [
            LeaveReason::OtherOwnersTag("team-b".into()),
            LeaveReason::NoOwnerTag,
            LeaveReason::BlockedByOthers,
            LeaveReason::BlockedForOtherOwner("team-b".into()),
            LeaveReason::RecordsDisagree(d("2026-12-08")),
            LeaveReason::BlockedWithoutTag,
            LeaveReason::NoOwner,
            LeaveReason::UnknownStatus("Archived".into()),
            LeaveReason::NoRoom(TagProblem::Full(15)),
            LeaveReason::NoRoom(TagProblem::TooMany(17)),
            LeaveReason::NoRoom(TagProblem::TooLong("x".repeat(33))),
            LeaveReason::Recorded("left for a reason of another version".into()),
        ];
        for r in all {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, serde_json::to_string(&r.to_string()).unwrap());
            assert_eq!(
                serde_json::from_str::<LeaveReason>(&json).unwrap(),
                r,
                "{r}"
            );
        }
        assert_eq!(
            LeaveReason::NoRoom(TagProblem::Full(15)).to_string(),
            "cannot be quarantined: it has 15 tags already and vodplan's two tags do not fit (at most 16)"
        );
        // A near miss is kept as written, never read as another reason.
        let near = "cannot be quarantined: it has 15 tags already";
        assert_eq!(LeaveReason::read(near), LeaveReason::Recorded(near.into()));
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
