//! `vodplan validate` and the manifest rules, through the real binary.

use crate::harness::{Dir, vodplan};

#[test]
fn a_valid_manifest_passes() {
    let dir = Dir::new();
    dir.write(
        "m.yaml",
        include_str!("../../examples/manifests/cleanup.yaml"),
    );
    let r = vodplan(&dir).args(["validate", "m.yaml"]).run();
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "Valid: 1 file, 4 delete entries, 1 keep entry.\n", "")
    );
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
    let r = vodplan(&dir).args(["validate", "bad.yaml"]).run();
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    insta::assert_snapshot!("validate_every_problem", r.stderr);
}

#[test]
fn missing_version_and_bad_yaml() {
    let dir = Dir::new();
    dir.write("a.yaml", "delete: []\n");
    dir.write("b.yaml", "version: 1\ndelete: [\n");
    dir.write("c.yaml", "version: 2\n");
    dir.write("d.yaml", "");
    let r = vodplan(&dir)
        .args(["validate", "a.yaml", "b.yaml", "c.yaml", "d.yaml"])
        .run();
    assert_eq!(r.code, 1);
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
    let r = vodplan(&dir).args(["validate", "m"]).run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "m/20-keep.yml:3:5: videoId v1 is in both keep (here) and delete at m/10-delete.yaml:3:5; keep always wins, so remove it from one of the lists\n\
         m/20-keep.yml:5:5: warning: videoId v2 is already listed in delete at m/10-delete.yaml:4:5; it counts once\n\
         error: the manifests have 1 problem; nothing was sent to the API\n\
         hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n"
    );
}

#[test]
fn duplicates_are_warnings_and_count_once() {
    let dir = Dir::new();
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - videoId: v1\n  - videoId: v1\n",
    );
    let r = vodplan(&dir).args(["validate", "m.yaml"]).run();
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stderr,
        "m.yaml:4:5: warning: videoId v1 is already listed in delete at m.yaml:3:5; it counts once\n"
    );
    assert_eq!(r.stdout, "Valid: 1 file, 1 delete entry, 0 keep entries.\n");
}

#[test]
fn unreadable_paths_are_reported() {
    let dir = Dir::new();
    let r = vodplan(&dir).args(["validate", "nope.yaml"]).run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("nope.yaml:1:1: cannot read: "),
        "{}",
        r.stderr
    );
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
    let r = vodplan(&dir).args(["validate", "big.yaml"]).run();
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "Valid: 1 file, 100000 delete entries, 0 keep entries.\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn schema_file_is_current() {
    let dir = Dir::new();
    let r = vodplan(&dir).args(["schema"]).run();
    assert_eq!(r.code, 0);
    let committed = include_str!("../../schemas/manifest.schema.json");
    assert_eq!(
        r.stdout, committed,
        "schemas/manifest.schema.json is stale: run `cargo run -- schema > schemas/manifest.schema.json`"
    );
}
