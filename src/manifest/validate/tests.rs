//! Each rule of [`validate`](super::validate), on manifests parsed in memory: the exact
//! diagnostics (as printed, `FILE:LINE:COL: message`) and, when there is no error, the desired
//! state it builds.

use std::sync::Arc;

use super::{ParsedFile, validate};
use crate::manifest::desired::{DesiredState, Target};
use crate::manifest::diagnostic::{Diagnostic, Location};
use crate::manifest::raw;

/// Validates `files` (name, text), parsed with precise positions as `load` does when there is
/// an error to point at.
fn check(files: &[(&str, &str)]) -> (Vec<String>, Option<DesiredState>) {
    let parsed = files
        .iter()
        .map(|(name, text)| {
            let name: Arc<str> = Arc::from(*name);
            let result = raw::parse(text, true).map_err(|e| {
                Diagnostic::error(Location::new(&name, e.pos.line, e.pos.column), e.message)
            });
            ParsedFile {
                name,
                sha256: String::new(),
                result,
            }
        })
        .collect();
    let loaded = validate(parsed);
    assert_eq!(
        loaded.state.is_some(),
        loaded.errors().next().is_none(),
        "a state exactly when there is no error"
    );
    let shown = loaded.diagnostics.iter().map(ToString::to_string).collect();
    (shown, loaded.state)
}

/// The diagnostics of one file `m.yaml`.
fn problems(text: &str) -> Vec<String> {
    check(&[("m.yaml", text)]).0
}

/// The desired state of one valid file `m.yaml`, which must have no diagnostic at all.
fn state(text: &str) -> DesiredState {
    let (shown, state) = check(&[("m.yaml", text)]);
    assert_eq!(shown, Vec::<String>::new());
    state.expect("valid")
}

#[test]
fn a_valid_manifest_builds_its_state() {
    let s = state(
        "version: 1\nregion: cn-beijing\nowner: team-a\ndelete:\n  - videoId: v1\n    reason: old\n  - referenceId: promo-2023-001\n  - match: {status: [UploadFail]}\nkeep:\n  - videoId: k1\nlimits:\n  maxDeletes: 10\n",
    );
    assert_eq!(s.delete.len(), 3);
    assert_eq!(s.keep.len(), 1);
    assert_eq!(s.delete[0].reason.as_deref(), Some("old"));
    assert_eq!(
        s.region.as_ref().map(|r| r.value.as_str()),
        Some("cn-beijing")
    );
    assert_eq!(s.owner.as_ref().map(|o| o.value.as_str()), Some("team-a"));
    assert_eq!(s.max_deletes.as_ref().map(|m| m.value), Some(10));
    assert!(matches!(s.delete[2].target, Target::Match(_)));
    assert_eq!(s.files.len(), 1);
}

#[test]
fn an_empty_file_and_a_missing_or_other_version() {
    assert_eq!(
        check(&[
            ("a.yaml", ""),
            ("b.yaml", "delete: []\n"),
            ("c.yaml", "version: 2\n")
        ])
        .0,
        [
            "a.yaml:1:1: the manifest is empty; start it with `version: 1`",
            "b.yaml:1:1: missing `version`; add `version: 1` at the top of the manifest",
            "c.yaml:1:10: unsupported manifest version `2`; this vodplan reads version 1",
        ]
    );
}

#[test]
fn unknown_keys_are_errors_naming_what_is_expected() {
    assert_eq!(
        problems(
            "version: 1\ncolour: red\ndelete:\n  - videoId: v1\n    extra: 1\nkeep:\n  - videoId: k1\n    quarantine2: 1\n  - match: {color: red}\nlimits:\n  maxDelete: 1\n"
        ),
        [
            "m.yaml:2:1: unknown key `colour` in the manifest; expected version, region, owner, quarantine, purgeCdn, delete, keep or limits",
            "m.yaml:5:5: unknown key `extra` in a delete entry; expected videoId, referenceId, match, reason, quarantine or purgeCdn",
            "m.yaml:8:5: unknown key `quarantine2` in a keep entry; expected videoId, referenceId, match or reason",
            "m.yaml:9:13: unknown key `color` in match; expected status, categoryId, createdBefore, createdAfter, olderThan, newerThan, titlePrefix, storageLocation or tags",
            "m.yaml:11:3: unknown key `maxDelete` in limits; expected maxDeletes or maxQuarantines",
        ]
    );
}

#[test]
fn an_entry_names_exactly_one_target() {
    assert_eq!(
        problems(
            "version: 1\ndelete:\n  - reason: nothing else\n  - videoId: v1\n    referenceId: ref-0001\n  - videoId: v2\n    referenceId: ref-0002\n    match: {categoryId: 1}\n"
        ),
        [
            "m.yaml:3:5: a delete entry needs one of videoId, referenceId or match",
            "m.yaml:4:5: a delete entry has videoId and referenceId; give exactly one per entry",
            "m.yaml:6:5: a delete entry has videoId and referenceId and match; give exactly one per entry",
        ]
    );
}

#[test]
fn ids_are_checked() {
    assert_eq!(
        problems(
            "version: 1\ndelete:\n  - videoId: \"a,b\"\n  - videoId: \"has space\"\n  - videoId: \"\"\n  - referenceId: short\n  - referenceId: has.dots.in.it\n  - videoId:\n"
        ),
        [
            "m.yaml:3:14: videoId \"a,b\" contains a comma, which would split it into two IDs in the API's comma-separated list",
            "m.yaml:4:14: videoId \"has space\" contains whitespace",
            "m.yaml:5:14: videoId \"\" is empty",
            "m.yaml:6:18: referenceId \"short\" is 5 characters long; a reference ID is 6 to 64 characters (VOD's ReferenceId rule)",
            "m.yaml:7:18: referenceId \"has.dots.in.it\" contains '.'; a reference ID holds only letters, digits, `_` and `-` (VOD's ReferenceId rule)",
            "m.yaml:8:5: `videoId` has no value",
        ]
    );
}

#[test]
fn yaml_tags_are_refused_except_str() {
    assert_eq!(
        problems(
            "version: 1\ndelete:\n  - videoId: !!binary YWJjZGVm\n  - videoId: !custom abc\n  - videoId: !!str fine\n  - match:\n      status: [!!binary Tm9ybWFs]\n      tags: [!x a]\n"
        ),
        [
            "m.yaml:3:23: videoId has the YAML tag `!!binary`; vodplan uses every value exactly as written, so remove the tag",
            "m.yaml:4:22: videoId has the YAML tag `!custom`; vodplan uses every value exactly as written, so remove the tag",
            "m.yaml:7:25: status has the YAML tag `!!binary`; vodplan uses every value exactly as written, so remove the tag",
            "m.yaml:8:17: tags has the YAML tag `!x`; vodplan uses every value exactly as written, so remove the tag",
        ]
    );
}

#[test]
fn the_same_id_twice_is_a_warning_and_in_both_lists_an_error() {
    let (shown, state) = check(&[(
        "m.yaml",
        "version: 1\ndelete:\n  - videoId: v1\n  - videoId: v1\n",
    )]);
    assert_eq!(
        shown,
        [
            "m.yaml:4:5: warning: videoId v1 is already listed in delete at m.yaml:3:5; it counts once"
        ]
    );
    assert_eq!(state.expect("a warning only").delete.len(), 1);
    assert_eq!(
        check(&[
            ("a.yaml", "version: 1\ndelete:\n  - videoId: v1\n"),
            ("b.yaml", "version: 1\nkeep:\n  - videoId: v1\n"),
        ])
        .0,
        [
            "b.yaml:3:5: videoId v1 is in both keep (here) and delete at a.yaml:3:5; keep always wins, so remove it from one of the lists"
        ]
    );
}

#[test]
fn regions_are_checked_and_agree() {
    assert_eq!(
        problems("version: 1\nregion: CN_Shanghai\n"),
        ["m.yaml:2:9: region `CN_Shanghai` is not a region ID such as cn-shanghai"]
    );
    assert_eq!(
        problems("version: 1\nregion: cn-shangai\n"),
        ["m.yaml:2:9: region `cn-shangai` has no VOD endpoint; did you mean `cn-shanghai`?"]
    );
    let (shown, state) = check(&[("m.yaml", "version: 1\nregion: xx-nowhere-9\n")]);
    assert_eq!(
        shown,
        [
            "m.yaml:2:9: warning: region `xx-nowhere-9` is not one VOD is known to serve (cn-shanghai, cn-beijing, cn-shenzhen, cn-hongkong, ap-southeast-1, ap-northeast-1, ap-southeast-5, eu-central-1, us-west-1, me-central-1, cn-north-2-gov-1, ap-south-1); check it"
        ]
    );
    assert!(state.is_some(), "an unknown region is a warning");
    assert_eq!(
        check(&[
            ("a.yaml", "version: 1\nregion: cn-shanghai\n"),
            ("b.yaml", "version: 1\nregion: cn-beijing\n"),
            ("c.yaml", "version: 1\nregion: cn-shanghai\n"),
        ])
        .0,
        [
            "b.yaml:2:9: region `cn-beijing` disagrees with region `cn-shanghai` at a.yaml:2:9; manifests applied together must name one region"
        ]
    );
}

#[test]
fn owners_are_names_and_agree() {
    assert_eq!(
        check(&[
            ("a.yaml", "version: 1\nowner: Team_A\n"),
            ("b.yaml", "version: 1\nowner: team-a\n"),
            ("c.yaml", "version: 1\nowner: team-b\n"),
            ("d.yaml", "version: 1\nowner: team-a\n"),
        ])
        .0,
        [
            "a.yaml:2:8: owner `Team_A` is not a name of 1 to 12 characters of a-z, 0-9 and `-` starting with a letter, such as team-a",
            "c.yaml:2:8: owner `team-b` disagrees with owner `team-a` at b.yaml:2:8; the files of one manifest set name one owner",
        ]
    );
    for (name, ok) in [
        ("a", true),
        ("team-a", true),
        ("abcdefghijkl", true),
        ("abcdefghijklm", false),
        ("1team", false),
        ("-team", false),
        ("", false),
        ("team_a", false),
    ] {
        assert_eq!(super::is_owner_name(name), ok, "{name:?}");
    }
}

#[test]
fn quarantines_have_a_default_an_off_switch_and_need_an_owner() {
    let s = state(
        "version: 1\nowner: team-a\nquarantine: 14d\ndelete:\n  - videoId: v1\n  - videoId: v2\n    quarantine: 3d\n  - videoId: v3\n    quarantine: none\n",
    );
    let q: Vec<Option<(u32, u32)>> = s
        .delete
        .iter()
        .map(|e| e.quarantine.as_ref().map(|q| (q.value, q.location.line)))
        .collect();
    assert_eq!(q, [Some((14, 3)), Some((3, 7)), None]);
    // A file's default is its own: another file's entries keep theirs.
    let (_, s) = check(&[
        ("a.yaml", "version: 1\nowner: team-a\nquarantine: 14d\n"),
        ("b.yaml", "version: 1\ndelete:\n  - videoId: v1\n"),
    ]);
    assert_eq!(s.expect("valid").delete[0].quarantine, None);
    assert_eq!(
        problems(
            "version: 1\nquarantine: 2w\ndelete:\n  - videoId: v1\n    quarantine: 0d\n  - videoId: v2\n    quarantine: 3651d\n  - videoId: v3\n    quarantine: 14\n  - videoId: v4\n    quarantine: 3650d\nkeep:\n  - videoId: k1\n    quarantine: 14d\n"
        ),
        [
            "m.yaml:2:13: quarantine `2w` is not a number of days from 1d to 3650d such as 14d; the top-level quarantine is the default for this file's delete entries",
            "m.yaml:5:17: quarantine `0d` is not a number of days from 1d to 3650d such as 14d, or `none`",
            "m.yaml:7:17: quarantine `3651d` is not a number of days from 1d to 3650d such as 14d, or `none`",
            "m.yaml:9:17: quarantine `14` is not a number of days from 1d to 3650d such as 14d, or `none`",
            "m.yaml:11:17: a quarantine needs the manifest set to name its owner: add a top-level `owner: NAME` (1 to 12 characters of a-z, 0-9 and `-`, starting with a letter, such as team-a); vodplan records it on every video it quarantines and acts only on its own",
            "m.yaml:14:17: `quarantine` on a keep entry: keep entries are never deleted or quarantined; remove it",
        ]
    );
    for (text, days) in [
        ("1d", Some(1)),
        ("3650d", Some(3650)),
        ("0d", None),
        ("d", None),
        ("+1d", None),
        ("1D", None),
        (" 1d", None),
    ] {
        assert_eq!(super::quarantine_days(text), days, "{text:?}");
    }
}

#[test]
fn purge_cdn_is_a_boolean_with_a_file_default_and_not_on_keep() {
    let s = state(
        "version: 1\npurgeCdn: true\ndelete:\n  - videoId: v1\n  - videoId: v2\n    purgeCdn: false\n",
    );
    let purge: Vec<bool> = s.delete.iter().map(|e| e.purge_cdn).collect();
    assert_eq!(purge, [true, false]);
    assert_eq!(
        problems(
            "version: 1\npurgeCdn: yes\ndelete:\n  - videoId: v1\n    purgeCdn: 1\nkeep:\n  - videoId: k1\n    purgeCdn: true\n"
        ),
        [
            "m.yaml:2:11: purgeCdn `yes` is not true or false",
            "m.yaml:5:15: purgeCdn `1` is not true or false",
            "m.yaml:8:15: `purgeCdn` on a keep entry: keep entries are never deleted or purged; remove it",
        ]
    );
}

#[test]
fn limits_are_whole_numbers_and_the_tightest_wins() {
    let (shown, s) = check(&[
        (
            "a.yaml",
            "version: 1\nlimits:\n  maxDeletes: 9\n  maxQuarantines: 2\n",
        ),
        (
            "b.yaml",
            "version: 1\nlimits:\n  maxDeletes: 4\n  maxQuarantines: 3\n",
        ),
    ]);
    assert_eq!(shown, Vec::<String>::new());
    let s = s.expect("valid");
    let d = s.max_deletes.expect("set");
    let q = s.max_quarantines.expect("set");
    assert_eq!(
        (d.value, d.location.to_string()),
        (4, "b.yaml:3:15".to_string())
    );
    assert_eq!(
        (q.value, q.location.to_string()),
        (2, "a.yaml:4:19".to_string())
    );
    assert_eq!(
        problems("version: 1\nlimits:\n  maxDeletes: many\n  maxQuarantines: -1\n"),
        [
            "m.yaml:3:15: maxDeletes `many` is not a whole number of 0 or more",
            "m.yaml:4:19: maxQuarantines `-1` is not a whole number of 0 or more",
        ]
    );
    assert_eq!(
        problems("version: 1\nlimits:\n"),
        ["m.yaml:2:1: `limits` has no value; remove it or add `maxDeletes` or `maxQuarantines`"]
    );
}

#[test]
fn a_selector_needs_a_condition() {
    assert_eq!(
        problems("version: 1\ndelete:\n  - match: {}\n  - match:\n"),
        [
            "m.yaml:3:12: `match` has no conditions; a selector needs at least one",
            "m.yaml:4:5: `match` has no conditions; a selector needs at least one",
        ]
    );
}

#[test]
fn selector_statuses_are_known_and_listed() {
    assert_eq!(
        problems(
            "version: 1\ndelete:\n  - match: {status: [Normal, Gone]}\n  - match: {status: []}\n  - match:\n      status:\n"
        ),
        [
            "m.yaml:3:30: unknown video status `Gone`; expected one of Uploading, UploadFail, UploadSucc, Transcoding, TranscodeFail, Blocked, Normal, Checking, ProduceFail",
            "m.yaml:4:13: `status` is an empty list; list one or more statuses",
            "m.yaml:6:7: `status` has no value; list one or more statuses",
        ]
    );
    let s = state("version: 1\ndelete:\n  - match: {status: [Normal, Normal, Blocked]}\n");
    let Target::Match(m) = &s.delete[0].target else {
        panic!("a selector")
    };
    assert_eq!(m.status.len(), 2, "each status once");
}

#[test]
fn selector_category_title_and_storage() {
    assert_eq!(
        problems(
            "version: 1\ndelete:\n  - match: {categoryId: ten}\n  - match: {titlePrefix: \"\"}\n  - match: {storageLocation: \"a b\"}\n"
        ),
        [
            "m.yaml:3:25: categoryId `ten` is not a whole number",
            "m.yaml:4:26: titlePrefix is empty; it would match every title",
            "m.yaml:5:30: storageLocation \"a b\" is not a storage location such as outin-xxx.oss-cn-shanghai.aliyuncs.com",
        ]
    );
}

#[test]
fn selector_times_are_rfc3339_in_range_and_in_order() {
    assert_eq!(
        problems(
            "version: 1\ndelete:\n  - match: {createdBefore: yesterday}\n  - match: {createdBefore: 9999-12-31T23:59:59-23:59}\n  - match: {createdBefore: 9999-12-31T23:59:59.5Z}\n  - match: {createdBefore: 2024-01-01T00:00:00Z, createdAfter: 2024-01-01T00:00:00Z}\n"
        ),
        [
            "m.yaml:3:28: createdBefore `yesterday` is not an RFC 3339 timestamp such as 2024-01-01T00:00:00Z",
            "m.yaml:4:28: createdBefore `9999-12-31T23:59:59-23:59` is outside the years 0000 to 9999 in UTC, which the VOD API cannot carry; give a time such as 2024-01-01T00:00:00Z",
            "m.yaml:5:28: createdBefore `9999-12-31T23:59:59.5Z` rounds up past 9999-12-31T23:59:59Z, the latest time the VOD API can carry; give whole seconds, such as 9999-12-31T23:59:59Z",
            "m.yaml:6:12: createdAfter is not earlier than createdBefore, so this selector can match nothing",
        ]
    );
}

#[test]
fn selector_ages_are_days_and_in_order() {
    assert_eq!(
        problems(
            "version: 1\ndelete:\n  - match: {olderThan: 3 months}\n  - match: {olderThan: 90d, newerThan: 30d}\n"
        ),
        [
            "m.yaml:3:24: olderThan `3 months` is not an age in days such as 90d (1d to 36500d)",
            "m.yaml:4:12: newerThan is not more days than olderThan, so this selector can match nothing",
        ]
    );
    let s = state("version: 1\ndelete:\n  - match: {olderThan: 90d}\n");
    let Target::Match(m) = &s.delete[0].target else {
        panic!("a selector")
    };
    assert!(m.created_before.is_some(), "pinned against now");
}

#[test]
fn selector_tags_are_non_empty_without_commas() {
    assert_eq!(
        problems(
            "version: 1\ndelete:\n  - match: {tags: [a, \"\", \"b,c\"]}\n  - match: {tags: []}\n"
        ),
        [
            "m.yaml:3:23: tag \"\" is empty or contains a comma",
            "m.yaml:3:27: tag \"b,c\" is empty or contains a comma",
            "m.yaml:4:13: `tags` has no values; list one or more tags",
        ]
    );
    let s = state("version: 1\ndelete:\n  - match: {tags: [a, b, a]}\n");
    let Target::Match(m) = &s.delete[0].target else {
        panic!("a selector")
    };
    assert_eq!(m.tags, ["a", "b"], "each tag once");
}

#[test]
fn diagnostics_come_in_file_then_position_order() {
    assert_eq!(
        check(&[
            (
                "b.yaml",
                "version: 1\ndelete:\n  - videoId: \"x y\"\nowner: BAD\n"
            ),
            ("a.yaml", "version: 2\n"),
        ])
        .0,
        [
            "b.yaml:3:14: videoId \"x y\" contains whitespace",
            "b.yaml:4:8: owner `BAD` is not a name of 1 to 12 characters of a-z, 0-9 and `-` starting with a letter, such as team-a",
            "a.yaml:1:10: unsupported manifest version `2`; this vodplan reads version 1",
        ]
    );
}

#[test]
fn a_file_that_did_not_parse_is_reported_and_yields_no_state() {
    let (shown, state) = check(&[("m.yaml", "version: 1\ndelete: [\n")]);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].starts_with("m.yaml:"), "{shown:?}");
    assert!(state.is_none());
}
