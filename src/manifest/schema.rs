//! The manifest's JSON Schema, for editors (`# yaml-language-server: $schema=...`) and reviewers.
//!
//! These types exist only to describe the format; reading goes through `raw` and `validate`, which
//! check more than a schema can say (duplicates, conflicts across files). A test keeps
//! `schemas/manifest.schema.json` equal to what [`manifest_schema`] prints, and a property test
//! checks that every pattern of the schema accepts exactly what validation accepts.

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

/// An age in days, 1d to [`super::selector::MAX_AGE_DAYS`] (36500d), no leading zero.
const AGE: &str = r"^([1-9][0-9]{0,3}|[12][0-9]{4}|3[0-5][0-9]{3}|36[0-4][0-9]{2}|36500)d$";

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
    #[schemars(regex(pattern = AGE))]
    older_than: Option<String>,
    /// Created less than this many days before the plan, such as `30d` (a saved plan pins the
    /// absolute time).
    #[schemars(regex(pattern = AGE))]
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

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use proptest::prelude::*;
    use regex_automata::nfa::thompson::pikevm::PikeVM;
    use serde_json::Value;

    use super::super::{selector, validate};

    /// What validation accepts where the schema has a pattern, by the property (or definition)
    /// the pattern constrains.
    fn validation(name: &str) -> fn(&str) -> bool {
        match name {
            "videoId" => |s| crate::ids::check_id(s).is_ok(),
            "referenceId" => |s| crate::ids::check_reference_id(s).is_ok(),
            "owner" => validate::is_owner_name,
            "region" => crate::ids::Region::is_well_formed,
            "quarantine" => |s| validate::quarantine_days(s).is_some(),
            "Quarantine" => |s| s == "none" || validate::quarantine_days(s).is_some(),
            "olderThan" | "newerThan" => |s| selector::parse_days(s).is_some(),
            other => panic!(
                "the schema's pattern for {other} is checked against nothing: name the validation that decides it here"
            ),
        }
    }

    struct Pattern {
        name: String,
        regex: PikeVM,
        max_length: Option<usize>,
    }

    impl Pattern {
        fn accepts(&self, s: &str) -> bool {
            let mut cache = self.regex.create_cache();
            self.regex.is_match(&mut cache, s)
                && self.max_length.is_none_or(|n| s.chars().count() <= n)
        }
    }

    /// Every string pattern of the printed schema.
    static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
        fn walk(v: &Value, out: &mut Vec<Pattern>) {
            match v {
                Value::Object(m) => {
                    for key in ["properties", "$defs"] {
                        for (name, p) in m.get(key).and_then(Value::as_object).into_iter().flatten()
                        {
                            if let Some(pattern) = p.get("pattern").and_then(Value::as_str) {
                                out.push(Pattern {
                                    name: name.clone(),
                                    regex: PikeVM::new(pattern).unwrap(),
                                    max_length: p
                                        .get("maxLength")
                                        .and_then(Value::as_u64)
                                        .map(|n| n as usize),
                                });
                            }
                        }
                    }
                    m.values().for_each(|v| walk(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let schema: Value = serde_json::from_str(&super::manifest_schema()).unwrap();
        let mut out = Vec::new();
        walk(&schema, &mut out);
        out
    });

    fn agree(s: &str) -> Result<(), TestCaseError> {
        for p in PATTERNS.iter() {
            prop_assert_eq!(
                p.accepts(s),
                validation(&p.name)(s),
                "the schema's {} and validation disagree on {:?}",
                &p.name,
                s
            );
        }
        Ok(())
    }

    #[test]
    fn every_pattern_is_checked_and_every_property_with_a_rule_has_one() {
        let mut names: Vec<&str> = PATTERNS.iter().map(|p| p.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(
            names,
            [
                "Quarantine",
                "newerThan",
                "olderThan",
                "owner",
                "quarantine",
                "referenceId",
                "region",
                "videoId"
            ]
        );
    }

    #[test]
    fn every_number_of_days_is_judged_alike() {
        for n in 0..=40_000u32 {
            for s in [
                format!("{n}d"),
                format!("0{n}d"),
                format!("00{n}d"),
                n.to_string(),
            ] {
                agree(&s).unwrap();
            }
        }
    }

    fn strings() -> impl Strategy<Value = String> {
        let from = |r: &str| proptest::string::string_regex(r).unwrap();
        prop_oneof![
            any::<String>(),
            from("0{0,3}[0-9]{1,6}[dD]?"),
            from("(none|None|nonе|)"),
            from("[a-z][a-z0-9-]{0,13}"),
            from("[a-zA-Z0-9_, ~\\-]{0,70}"),
            from("[!-~ \t\u{a0}é]{0,12}"),
            from("[A-Za-z0-9]{250,260}"),
            from("[!-~]{250,260}"),
        ]
    }

    proptest! {
        #[test]
        fn the_schema_accepts_exactly_what_validation_accepts(s in strings()) {
            agree(&s)?;
        }
    }
}
