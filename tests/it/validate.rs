//! `vodplan validate` and the manifest rules, through the real binary.

use crate::harness::Dir;
use crate::test::Test;

#[test]
fn a_valid_manifest_passes() {
    Test::new()
        .write(
            "m.yaml",
            include_str!("../../examples/manifests/cleanup.yaml"),
        )
        .args(["validate", "m.yaml"])
        .stdout("Valid: 1 file, 4 delete entries, 1 keep entry.\n")
        .run();
}

#[test]
fn every_problem_is_reported_with_its_place() {
    let dir = Dir::new();
    dir.write(
        "bad.yaml",
        r#"region: cn-shanghai
colour: red
delete:
  - videoId: "a,b"
  - videoId: "has space"
  - videoId: ""
  - referenceId: ok-ref-1
    videoId: abc
  - reason: nothing else
  - videoId: good1
    extra: 1
  - match:
      status: [Normal, Deleted]
      createdBefore: yesterday
      createdAfter: 2024-01-01T00:00:00Z
  - match: {}
  - videoId: shared1
keep:
  - videoId: shared1
limits:
  maxDeletes: many
"#,
    );
    // stderr is checked exactly by the snapshot.
    let r = Test::in_dir(&dir)
        .args(["validate", "bad.yaml"])
        .status(1)
        .ignore_stderr()
        .run();
    insta::assert_snapshot!("validate_every_problem", r.stderr);
}

#[test]
fn missing_version_and_bad_yaml() {
    let dir = Dir::new();
    dir.write("a.yaml", "delete: []\n");
    dir.write("b.yaml", "version: 1\ndelete: [\n");
    dir.write("c.yaml", "version: 2\n");
    dir.write("d.yaml", "");
    // stderr is checked exactly by the snapshot.
    let r = Test::in_dir(&dir)
        .args(["validate", "a.yaml", "b.yaml", "c.yaml", "d.yaml"])
        .status(1)
        .ignore_stderr()
        .run();
    insta::assert_snapshot!("validate_version_and_syntax", r.stderr);
}

#[test]
fn directories_merge_and_conflicts_name_both_files() {
    let dir = Dir::new();
    dir.write(
        "m/10-delete.yaml",
        "version: 1\ndelete:\n  - videoId: v1\n  - videoId: v2\n",
    );
    dir.write(
        "m/20-keep.yml",
        "version: 1\nkeep:\n  - videoId: v1\ndelete:\n  - videoId: v2\n",
    );
    dir.write("m/notes.txt", "not a manifest");
    Test::in_dir(&dir)
        .args(["validate", "m"])
        .status(1)
        .stderr(
        "m/notes.txt:1:1: warning: skipped: not a *.yaml or *.yml manifest\n\
         m/20-keep.yml:3:5: videoId v1 is in both keep (here) and delete at m/10-delete.yaml:3:5; keep always wins, so remove it from one of the lists\n\
         m/20-keep.yml:5:5: warning: videoId v2 is already listed in delete at m/10-delete.yaml:4:5; it counts once\n\
         error: the manifests have 1 problem; nothing was sent to the API\n\
         hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n"
        )
        .run();
}

#[test]
fn duplicates_are_warnings_and_count_once() {
    Test::new()
        .write(
            "m.yaml",
            "version: 1\ndelete:\n  - videoId: v1\n  - videoId: v1\n",
        )
        .args(["validate", "m.yaml"])
        .stdout("Valid: 1 file, 1 delete entry, 0 keep entries.\n")
        .stderr("m.yaml:4:5: warning: videoId v1 is already listed in delete at m.yaml:3:5; it counts once\n")
        .run();
}

#[test]
fn unreadable_paths_are_reported() {
    Test::new()
        .args(["validate", "nope.yaml"])
        .status(1)
        .stderr(
            "nope.yaml:1:1: cannot read: No such file or directory (os error 2); check the path (a symlink must point to an existing file)\n\
             error: the manifests have 1 problem; nothing was sent to the API\n\
             hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n",
        )
        .run();
}

#[test]
fn a_manifest_past_the_default_yaml_node_budget_loads() {
    // serde-saphyr's default budget stops at 250,000 nodes (about 80,000 entries).
    let dir = Dir::new();
    let mut text = String::from("version: 1\ndelete:\n");
    for i in 0..100_000 {
        text.push_str(&format!("  - videoId: {i:032x}\n"));
    }
    dir.write("big.yaml", &text);
    Test::in_dir(&dir)
        .args(["validate", "big.yaml"])
        .stdout("Valid: 1 file, 100000 delete entries, 0 keep entries.\n")
        .run();
}

#[test]
fn schema_file_is_current() {
    // On a mismatch: schemas/manifest.schema.json is stale; run
    // `cargo run -- schema > schemas/manifest.schema.json`.
    Test::new()
        .args(["schema"])
        .stdout(include_str!("../../schemas/manifest.schema.json"))
        .run();
}

/// A keep file in a directory is never silently skipped.
#[test]
fn directories_never_silently_skip_a_keep_file() {
    let dir = Dir::new();
    dir.write(
        "m/10-delete.yaml",
        "version: 1\ndelete:\n  - videoId: v1\n  - videoId: v2\n",
    );
    dir.write("m/KEEP.YAML", "version: 1\nkeep:\n  - videoId: v1\n");
    dir.write("m/legal/holds.yaml", "version: 1\nkeep:\n  - videoId: v2\n");
    dir.write("m/.hidden.yaml", "version: 1\n");
    dir.write("m/README.md", "notes\n");
    Test::in_dir(&dir)
        .args(["validate", "m"])
        .status(1)
        .stderr(
        "m/.hidden.yaml:1:1: warning: skipped: a hidden entry; rename it if it holds manifests\n\
         m/README.md:1:1: warning: skipped: not a *.yaml or *.yml manifest\n\
         m/KEEP.YAML:3:5: videoId v1 is in both keep (here) and delete at m/10-delete.yaml:3:5; keep always wins, so remove it from one of the lists\n\
         m/legal/holds.yaml:3:5: videoId v2 is in both keep (here) and delete at m/10-delete.yaml:4:5; keep always wins, so remove it from one of the lists\n\
         error: the manifests have 2 problems; nothing was sent to the API\n\
         hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n"
        )
        .run();

    // A dangling symlink that looks like a manifest is an error, not a skip.
    let dir = Dir::new();
    dir.write("m/10-delete.yaml", "version: 1\ndelete:\n  - videoId: v1\n");
    std::os::unix::fs::symlink("gone.yaml", dir.path().join("m/keep.yaml")).unwrap();
    Test::in_dir(&dir)
        .args(["validate", "m"])
        .status(1)
        .stderr(
            "m/keep.yaml:1:1: cannot read: No such file or directory (os error 2); check the path (a symlink must point to an existing file)\n\
             error: the manifests have 1 problem; nothing was sent to the API\n\
             hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n"
        )
        .run();
}

/// An unreadable subdirectory is an error (only checkable when not running as root).
#[test]
fn an_unreadable_subdirectory_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    dir.write("m/10-delete.yaml", "version: 1\ndelete:\n  - videoId: v1\n");
    dir.write("m/legal/holds.yaml", "version: 1\nkeep:\n  - videoId: v1\n");
    let legal = dir.path().join("m/legal");
    std::fs::set_permissions(&legal, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&legal).is_ok() {
        std::fs::set_permissions(&legal, std::fs::Permissions::from_mode(0o755)).unwrap();
        return; // root reads everything
    }
    let test = Test::in_dir(&dir)
        .args(["validate", "m"])
        .status(1)
        .stderr(
            "m/legal:1:1: cannot read: Permission denied (os error 13); check the file's permissions\n\
             error: the manifests have 1 problem; nothing was sent to the API\n\
             hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n",
        );
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test.run()));
    std::fs::set_permissions(&legal, std::fs::Permissions::from_mode(0o755)).unwrap();
    if let Err(panic) = run {
        std::panic::resume_unwind(panic);
    }
}

/// Tags, non-ASCII IDs, reference IDs, out-of-range times.
#[test]
fn tags_unicode_ids_and_out_of_range_times_are_errors() {
    let dir = Dir::new();
    dir.write(
        "m.yaml",
        "version: 1\n\
         delete:\n  \
         - videoId: !!binary YWJjZGVm\n  \
         - videoId: !custom abc\n  \
         - videoId: \"ab\\u202Ecd\"\n  \
         - videoId: \"ab\\u200Bcd\"\n  \
         - referenceId: short\n  \
         - referenceId: has.dots.in.it\n  \
         - videoId: !!str fine-str-tag\n  \
         - match:\n      \
             status: [!!binary Tm9ybWFs]\n      \
             tags: [!x a]\n  \
         - match:\n      \
             createdBefore: 9999-12-31T23:59:59-23:59\n",
    );
    // stderr is checked exactly by the snapshot.
    let r = Test::in_dir(&dir)
        .args(["validate", "m.yaml"])
        .status(1)
        .ignore_stderr()
        .run();
    insta::assert_snapshot!(r.stderr, @r#"
    m.yaml:3:23: videoId has the YAML tag `!!binary`; vodplan uses every value exactly as written, so remove the tag
    m.yaml:4:22: videoId has the YAML tag `!custom`; vodplan uses every value exactly as written, so remove the tag
    m.yaml:5:14: videoId "ab\u{202e}cd" contains '\u{202e}' (U+202E), which is not printable ASCII; IDs are ASCII, and an invisible or look-alike character would make the reviewed text differ from the ID deleted
    m.yaml:6:14: videoId "ab\u{200b}cd" contains '\u{200b}' (U+200B), which is not printable ASCII; IDs are ASCII, and an invisible or look-alike character would make the reviewed text differ from the ID deleted
    m.yaml:7:18: referenceId "short" is 5 characters long; a reference ID is 6 to 64 characters (VOD's ReferenceId rule)
    m.yaml:8:18: referenceId "has.dots.in.it" contains '.'; a reference ID holds only letters, digits, `_` and `-` (VOD's ReferenceId rule)
    m.yaml:11:25: status has the YAML tag `!!binary`; vodplan uses every value exactly as written, so remove the tag
    m.yaml:12:17: tags has the YAML tag `!x`; vodplan uses every value exactly as written, so remove the tag
    m.yaml:14:22: createdBefore `9999-12-31T23:59:59-23:59` is outside the years 0000 to 9999 in UTC, which the VOD API cannot carry; give a time such as 2024-01-01T00:00:00Z
    error: the manifests have 9 problems; nothing was sent to the API
    hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again
    "#);
}

/// Quarantine periods and limits, validated offline with their places.
#[test]
fn quarantine_is_validated() {
    let dir = Dir::new();
    dir.write(
        "m.yaml",
        "version: 1\n\
         quarantine: 2w\n\
         delete:\n  \
         - videoId: v1\n    quarantine: 0d\n  \
         - videoId: v2\n    quarantine: 3651d\n  \
         - videoId: v3\n    quarantine: 14\n  \
         - videoId: v4\n    quarantine: none\n  \
         - videoId: v5\n    quarantine: 3650d\n\
         keep:\n  \
         - videoId: k 1\n    quarantine: 14d\n\
         limits:\n  maxQuarantines: -1\n",
    );
    // stderr is checked exactly by the snapshot.
    let r = Test::in_dir(&dir)
        .args(["validate", "m.yaml"])
        .status(1)
        .ignore_stderr()
        .run();
    insta::assert_snapshot!(r.stderr, @r#"
    m.yaml:2:13: quarantine `2w` is not a number of days from 1d to 3650d such as 14d; the top-level quarantine is the default for this file's delete entries
    m.yaml:5:17: quarantine `0d` is not a number of days from 1d to 3650d such as 14d, or `none`
    m.yaml:7:17: quarantine `3651d` is not a number of days from 1d to 3650d such as 14d, or `none`
    m.yaml:9:17: quarantine `14` is not a number of days from 1d to 3650d such as 14d, or `none`
    m.yaml:13:17: a quarantine needs the manifest set to name its owner: add a top-level `owner: NAME` (1 to 12 characters of a-z, 0-9 and `-`, starting with a letter, such as team-a); vodplan records it on every video it quarantines and acts only on its own
    m.yaml:15:14: videoId "k 1" contains whitespace
    m.yaml:16:17: `quarantine` on a keep entry: keep entries are never deleted or quarantined; remove it
    m.yaml:18:19: maxQuarantines `-1` is not a whole number of 0 or more
    error: the manifests have 8 problems; nothing was sent to the API
    hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again
    "#);
}

/// The owner of a manifest set: a name of its own, the same in every file that names one, and
/// required as soon as an entry uses a quarantine; all checked offline.
#[test]
fn owner_is_validated() {
    let dir = Dir::new();
    dir.write(
        "a.yaml",
        "version: 1\nowner: Team_A\ndelete:\n  - videoId: v1\n",
    );
    dir.write(
        "b.yaml",
        "version: 1\nowner: team-a\ndelete:\n  - videoId: v2\n",
    );
    dir.write(
        "c.yaml",
        "version: 1\nowner: team-b\ndelete:\n  - videoId: v3\n",
    );
    dir.write("d.yaml", "version: 1\nowner: abcdefghijklm\n");
    dir.write("e.yaml", "version: 1\nowner: 1team\n");
    // stderr is checked exactly by the snapshot.
    let r = Test::in_dir(&dir)
        .args(["validate", "a.yaml", "b.yaml", "c.yaml", "d.yaml", "e.yaml"])
        .status(1)
        .ignore_stderr()
        .run();
    insta::assert_snapshot!(r.stderr, @r#"
    a.yaml:2:8: owner `Team_A` is not a name of 1 to 12 characters of a-z, 0-9 and `-` starting with a letter, such as team-a
    c.yaml:2:8: owner `team-b` disagrees with owner `team-a` at b.yaml:2:8; the files of one manifest set name one owner
    d.yaml:2:8: owner `abcdefghijklm` is not a name of 1 to 12 characters of a-z, 0-9 and `-` starting with a letter, such as team-a
    e.yaml:2:8: owner `1team` is not a name of 1 to 12 characters of a-z, 0-9 and `-` starting with a letter, such as team-a
    error: the manifests have 4 problems; nothing was sent to the API
    hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again
    "#);
    // A quarantine without an owner anywhere in the set; with one in another file of the set,
    // it is valid.
    dir.write(
        "q.yaml",
        "version: 1\ndelete:\n  - videoId: v1\n    quarantine: 14d\n",
    );
    Test::in_dir(&dir)
        .args(["validate", "q.yaml"])
        .status(1)
        .stderr(
            "q.yaml:4:17: a quarantine needs the manifest set to name its owner: add a top-level `owner: NAME` (1 to 12 characters of a-z, 0-9 and `-`, starting with a letter, such as team-a); vodplan records it on every video it quarantines and acts only on its own\n\
             error: the manifests have 1 problem; nothing was sent to the API\n\
             hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n",
        )
        .run();
    Test::in_dir(&dir)
        .args(["validate", "q.yaml", "b.yaml"])
        .stdout("Valid: 2 files, 2 delete entries, 0 keep entries.\n")
        .run();
}

/// The effective quarantine of every entry, with where it was said.
#[test]
fn quarantine_defaults_reach_the_desired_state() {
    let dir = Dir::new();
    let a = dir.write(
        "a.yaml",
        "version: 1\n\
         quarantine: 14d\n\
         delete:\n  \
         - videoId: v1\n  \
         - videoId: v2\n    quarantine: 3d\n  \
         - videoId: v3\n    quarantine: none\n  \
         - match: {categoryId: 7}\n\
         limits:\n  maxQuarantines: 9\n\
         owner: team-a\n",
    );
    let b = dir.write(
        "b.yaml",
        "version: 1\ndelete:\n  - videoId: v4\nlimits:\n  maxQuarantines: 4\n  maxDeletes: 2\n",
    );
    let loaded = vodplan::manifest::load(&[a, b]);
    let state = loaded.state.expect("valid");
    let q: Vec<Option<String>> = state
        .delete
        .iter()
        .map(|e| {
            e.quarantine.as_ref().map(|q| {
                let file = q.location.file.rsplit('/').next().unwrap().to_string();
                format!(
                    "{}d at {file}:{}:{}",
                    q.value, q.location.line, q.location.column
                )
            })
        })
        .collect();
    assert_eq!(
        q,
        [
            Some("14d at a.yaml:2:13".to_string()),
            Some("3d at a.yaml:6:17".to_string()),
            None,
            Some("14d at a.yaml:2:13".to_string()),
            None,
        ]
    );
    let mq = state.max_quarantines.expect("set");
    assert_eq!((mq.value, mq.location.line, mq.location.column), (4, 5, 19));
    assert_eq!(state.max_deletes.map(|m| m.value), Some(2));
}

/// The schema's top-level keys are exactly the manifest's (the validator's list of expected keys):
/// an editor must not flag a key vodplan accepts, nor offer one it refuses.
#[test]
fn the_schema_names_exactly_the_top_level_keys_the_validator_accepts() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schemas/manifest.schema.json")).unwrap();
    let mut keys: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "delete",
            "keep",
            "limits",
            "owner",
            "purgeCdn",
            "quarantine",
            "region",
            "version"
        ]
    );
}
