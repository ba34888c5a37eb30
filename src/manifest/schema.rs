//! The manifest's JSON Schema, for editors (`# yaml-language-server: $schema=...`) and reviewers.
//!
//! These types exist only to describe the format; reading goes through `raw` and `validate`, which
//! check more than a schema can say (duplicates, conflicts across files). A test keeps
//! `schemas/manifest.schema.json` equal to what [`manifest_schema`] prints.

use schemars::JsonSchema;
use serde::Serialize;

use super::selector::VideoStatus;

/// A vodplan manifest: which ApsaraVideo VOD videos to delete and which to keep.
#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
#[schemars(title = "vodplan manifest, version 1")]
#[allow(dead_code)]
struct Manifest {
    /// The manifest format version. Always 1.
    #[schemars(range(min = 1, max = 1))]
    version: u32,
    /// The VOD region, for example cn-shanghai. --region, ALIBABA_CLOUD_REGION_ID and the aliyun
    /// CLI profile's region_id must agree with it: a disagreement is an error.
    #[schemars(regex(pattern = r"^[a-z0-9-]+$"))]
    region: Option<String>,
    /// The manifest set's name: 1-12 characters of a-z, 0-9 and `-`, starting with a letter.
    /// Required when any delete entry uses a quarantine; every file of a set that names one names
    /// the same. vodplan acts on a quarantined video only for the owner that quarantined it.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{0,11}$"))]
    owner: Option<String>,
    /// The default grace period of this file's delete entries: blocked and tagged for this many
    /// days (1d to 3650d), then deleted.
    #[schemars(regex(
        pattern = r"^(0*([1-9][0-9]{0,2}|[12][0-9]{3}|3[0-5][0-9]{2}|36[0-4][0-9]|3650))d$"
    ))]
    quarantine: Option<String>,
    /// The default of this file's delete entries: after deleting a video, purge every object the
    /// CDN may still serve of it (play URLs, HLS segments, cover), within the daily purge quota.
    #[serde(rename = "purgeCdn")]
    purge_cdn: Option<bool>,
    /// Videos to delete.
    #[serde(default)]
    delete: Vec<DeleteEntry>,
    /// Videos never to delete. Keep always wins over delete.
    #[serde(default)]
    keep: Vec<KeepEntry>,
    /// Guard rails checked before anything is deleted.
    limits: Option<Limits>,
}

/// A grace period: `<N>d` (1d to 3650d), or `none` for no grace period despite the file's default.
#[derive(JsonSchema, Serialize)]
#[allow(dead_code)]
struct Quarantine(
    #[schemars(regex(
        pattern = r"^((0*([1-9][0-9]{0,2}|[12][0-9]{3}|3[0-5][0-9]{2}|36[0-4][0-9]|3650))d|none)$"
    ))]
    String,
);

/// One delete entry: exactly one of videoId, referenceId or match.
#[derive(JsonSchema, Serialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum DeleteEntry {
    VideoId(DeleteByVideoId),
    ReferenceId(DeleteByReferenceId),
    Match(DeleteByMatch),
}

/// One keep entry: exactly one of videoId, referenceId or match.
#[derive(JsonSchema, Serialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum KeepEntry {
    VideoId(ByVideoId),
    ReferenceId(ByReferenceId),
    Match(ByMatch),
}

/// A VOD video ID: printable ASCII, no commas or whitespace.
const VIDEO_ID: &str = r"^[!-+\--~]+$";
/// A custom ID (the API's ReferenceId): 6 to 64 of letters, digits, `_` and `-`.
const REFERENCE_ID: &str = r"^[A-Za-z0-9_-]{6,64}$";

#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct ByVideoId {
    /// A VOD video ID. Printable ASCII, no commas or whitespace.
    #[schemars(regex(pattern = VIDEO_ID), length(max = 256))]
    video_id: String,
    /// Why: shown in the plan and the journal.
    reason: Option<String>,
}

#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct ByReferenceId {
    /// A custom ID (the API's ReferenceId): 6 to 64 letters, digits, `_` or `-`.
    #[schemars(regex(pattern = REFERENCE_ID))]
    reference_id: String,
    /// Why: shown in the plan and the journal.
    reason: Option<String>,
}

#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ByMatch {
    /// A selector resolved against the live catalogue; every condition must hold.
    #[serde(rename = "match")]
    selector: Match,
    /// Why: shown in the plan and the journal.
    reason: Option<String>,
}

#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct DeleteByVideoId {
    /// A VOD video ID. Printable ASCII, no commas or whitespace.
    #[schemars(regex(pattern = VIDEO_ID), length(max = 256))]
    video_id: String,
    /// Why: shown in the plan and the journal.
    reason: Option<String>,
    /// Block and tag for this many days before deleting (overrides the file's default).
    quarantine: Option<Quarantine>,
    /// After deleting, purge its CDN objects (overrides the file's default).
    #[serde(rename = "purgeCdn")]
    purge_cdn: Option<bool>,
}

#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct DeleteByReferenceId {
    /// A custom ID (the API's ReferenceId): 6 to 64 letters, digits, `_` or `-`.
    #[schemars(regex(pattern = REFERENCE_ID))]
    reference_id: String,
    /// Why: shown in the plan and the journal.
    reason: Option<String>,
    /// Block and tag for this many days before deleting (overrides the file's default).
    quarantine: Option<Quarantine>,
    /// After deleting, purge its CDN objects (overrides the file's default).
    #[serde(rename = "purgeCdn")]
    purge_cdn: Option<bool>,
}

#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DeleteByMatch {
    /// A selector resolved against the live catalogue; every condition must hold.
    #[serde(rename = "match")]
    selector: Match,
    /// Why: shown in the plan and the journal.
    reason: Option<String>,
    /// Block and tag for this many days before deleting (overrides the file's default).
    quarantine: Option<Quarantine>,
    /// After deleting, purge its CDN objects (overrides the file's default).
    #[serde(rename = "purgeCdn")]
    purge_cdn: Option<bool>,
}

#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct Match {
    /// Any of these video statuses.
    status: Option<Vec<VideoStatus>>,
    /// The VOD category ID.
    category_id: Option<i64>,
    /// Created strictly before this RFC 3339 time.
    #[schemars(extend("format" = "date-time"))]
    created_before: Option<String>,
    /// Created at or after this RFC 3339 time.
    #[schemars(extend("format" = "date-time"))]
    created_after: Option<String>,
    /// Created more than this many days before the plan, such as `90d` (a saved plan pins the
    /// absolute time).
    #[schemars(regex(pattern = r"^[1-9][0-9]{0,4}d$"))]
    older_than: Option<String>,
    /// Created less than this many days before the plan, such as `30d` (a saved plan pins the
    /// absolute time).
    #[schemars(regex(pattern = r"^[1-9][0-9]{0,4}d$"))]
    newer_than: Option<String>,
    /// The title starts with this text.
    #[schemars(length(min = 1))]
    title_prefix: Option<String>,
    /// The storage location holding the source file, for example outin-xxx.oss-cn-shanghai.aliyuncs.com.
    storage_location: Option<String>,
    /// The video carries every one of these tags.
    #[schemars(length(min = 1))]
    tags: Option<Vec<String>>,
}

#[derive(JsonSchema, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct Limits {
    /// The plan fails when more videos than this would be deleted.
    #[schemars(range(min = 0))]
    max_deletes: Option<u64>,
    /// The plan fails when more videos than this would newly be quarantined.
    #[schemars(range(min = 0))]
    max_quarantines: Option<u64>,
}

/// The manifest's JSON Schema as pretty-printed JSON, ending in a newline.
pub fn manifest_schema() -> String {
    let schema = schemars::schema_for!(Manifest);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serializes");
    text.push('\n');
    text
}
