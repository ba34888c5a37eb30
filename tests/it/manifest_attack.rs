//! The manifest reader under attack:
//! - the parallel list splitter gives exactly the whole-file parse's result for adversarial
//!   inputs (CR, CRLF, quoted, flow and block scalars across lines, comments, anchors, aliases,
//!   tags, `- ` inside strings, several documents), with the split path forced on small files;
//! - a bounded fuzzer (random and mutated YAML) drives manifest loading and validation, and the
//!   plan-file reader, and asserts that nothing panics.

use proptest::prelude::*;
use vodplan::manifest::raw;
use vodplan::manifest::split::parse_split_from;

/// Lines of a manifest, ordinary and adversarial.
const PIECES: &[&str] = &[
    "  - videoId: 0123456789abcdef0123456789abcdef",
    "  - videoId: aaaa",
    "  - referenceId: promo-2023-001",
    "    reason: licence expired (LEGAL-1234)",
    "    quarantine: 14d",
    "  # - videoId: in-a-comment",
    "# top comment",
    "",
    "  - videoId: \"starts a quoted string",
    "  - videoId: ends it\"",
    "    reason: 'it''s single",
    "  - videoId: still-single'",
    "    reason: |",
    "    reason: >-",
    "      - videoId: in-a-block",
    "  - videoId: &a anchored",
    "  - videoId: *a",
    "  - videoId: !!binary YWJjZGVm",
    "  - videoId: !custom tagged",
    "  - videoId: [flow,",
    "  - videoId: flow-end]",
    "    reason: {a: b",
    "\t- videoId: tab",
    "---",
    "...",
    "keep:",
    "delete:",
    "- videoId: column-zero",
    "    plain continuation line",
    "  - match:",
    "      status: [Normal]",
    "  -",
    "  - videoId: a: b",
    "  - videoId: x # trailing comment",
    "  - videoId: \u{feff}bom",
    "  - videoId: \u{2028}ls",
    "  - reason: \u{85}nel",
    "limits:",
    "  maxDeletes: 5",
    "version: 1",
];

const ENDINGS: &[&str] = &["\n", "\n", "\n", "\n", "\n", "\r\n", "\r", ""];

fn document() -> impl Strategy<Value = String> {
    let line = (0..PIECES.len(), 0..ENDINGS.len());
    (
        any::<bool>(),
        proptest::collection::vec(line, 0..120),
        proptest::collection::vec(0usize..4, 0..120),
    )
        .prop_map(|(keep_first, lines, clean)| {
            let mut t = String::from("version: 1\n");
            t.push_str(if keep_first { "keep:\n" } else { "delete:\n" });
            for (i, (p, e)) in lines.into_iter().enumerate() {
                // Mostly ordinary items, so that the split path is taken often.
                if clean.get(i).is_some_and(|c| *c > 0) {
                    t.push_str(&format!("  - videoId: v{i:04}\n"));
                    continue;
                }
                t.push_str(PIECES[p]);
                t.push_str(ENDINGS[e]);
            }
            t
        })
}

fn whole(text: &str, precise: bool) -> String {
    format!(
        "{:?}",
        raw::parse(text, precise).map_err(|e| (e.pos, e.message))
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn split_parse_equals_whole_parse(text in document(), parts in 2usize..6, precise in any::<bool>()) {
        if let Some(split) = parse_split_from(&text, precise, parts, 0) {
            let split = format!("{:?}", split.map_err(|e| (e.pos, e.message)));
            prop_assert_eq!(split, whole(&text, precise), "{:?}", text);
        }
    }
}

#[test]
fn the_split_path_is_taken_on_clean_documents() {
    // A check that the property above exercises the split path, not only the fallback.
    let mut t = String::from("version: 1\ndelete:\n");
    for i in 0..50 {
        t.push_str(&format!("  - videoId: v{i}\n    reason: r (x)\n"));
    }
    t.push_str("keep:\n  - videoId: k\n");
    let split = parse_split_from(&t, true, 3, 0).expect("a clean document splits");
    assert_eq!(
        format!("{:?}", split.map_err(|e| (e.pos, e.message))),
        whole(&t, true)
    );
}

#[test]
fn issue_9_reproductions_give_the_whole_file_result() {
    // A lone CR before `keep:` (a line break to YAML), and a quoted string spanning lines that
    // look like items: both once changed keep into delete on 2 cores.
    let mut items = String::from("version: 1\ndelete:\n");
    for i in 0..40 {
        items.push_str(&format!("  - videoId: d{i}\n"));
    }
    let cr = format!("{items}  - videoId: last\rkeep:\r  - videoId: kept1\r  - videoId: kept2\n");
    let quoted = format!(
        "{items}  - videoId: q\n    reason: \"starts\n{}  ends\"\n",
        "  - videoId: in-the-string\n".repeat(40)
    );
    for text in [cr, quoted] {
        for parts in 2..5 {
            match parse_split_from(&text, false, parts, 0) {
                None => {}
                Some(split) => assert_eq!(
                    format!("{:?}", split.map_err(|e| (e.pos, e.message))),
                    whole(&text, false)
                ),
            }
        }
        // And through `load`, with the real splitter on all cores: the keeps stay keeps.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.yaml");
        std::fs::write(&path, &text).unwrap();
        let loaded = vodplan::manifest::load(&[path]);
        let whole_raw = raw::parse(&text, false).unwrap().unwrap();
        let state = loaded.state.expect("valid");
        assert_eq!(
            state.keep.len(),
            whole_raw.keep.as_ref().map_or(0, |k| k.items().len())
        );
        assert_eq!(
            state.delete.len(),
            whole_raw.delete.as_ref().map_or(0, |k| k.items().len())
        );
    }
}

/// Fragments a mutation inserts.
const TOKENS: &[&str] = &[
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\"",
    "'",
    "- ",
    ": ",
    "#",
    "&a ",
    "*a",
    "!!binary ",
    "!t ",
    "[",
    "]",
    "{",
    "}",
    "|",
    ">-",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "? ",
    "<<: *a\n",
    "\u{feff}",
    "\u{202e}",
    "\u{85}",
    "\0",
    "quarantine: ",
    "0d",
    "3651d",
    "none",
    "9999-12-31T23:59:59-23:59",
    "-0001-01-01T00:00:00Z",
    "createdBefore: ",
    "status: [",
    "match:",
    "videoId: ",
    "referenceId: ",
    "limits:\n  maxQuarantines: ",
    "18446744073709551616",
    "~",
    "null",
];

const SEEDS: &[&str] = &[
    "version: 1\nquarantine: 14d\ndelete:\n  - videoId: 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910\n    reason: licence expired\n    quarantine: 30d\n  - referenceId: promo-2023-001\n  - match:\n      status: [UploadFail, Blocked]\n      categoryId: 1000\n      createdBefore: 2024-01-01T00:00:00Z\n      createdAfter: 2020-01-01T00:00:00+08:00\n      titlePrefix: \"tmp-\"\n      tags: [a, b]\n    quarantine: none\nkeep:\n  - videoId: 7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b\n  - match: { categoryId: 42 }\nlimits:\n  maxDeletes: 1000\n  maxQuarantines: 10\nowner: team-a\n",
    "version: 1\ndelete: [{videoId: a}, {videoId: &x b}, {videoId: *x}]\nkeep:\n- videoId: a\n",
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, usize),
    Delete(usize, usize),
    Byte(usize, u8),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, t)| Edit::Insert(at, t)),
        (any::<usize>(), 0usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Byte(at, b)),
        (any::<usize>(), 0usize..200).prop_map(|(at, n)| Edit::Duplicate(at, n)),
    ]
}

fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for e in edits {
        let len = b.len().max(1);
        match *e {
            Edit::Insert(at, t) => {
                let at = at % len;
                let at = at.min(b.len());
                b.splice(at..at, TOKENS[t].bytes());
            }
            Edit::Delete(at, n) => {
                let at = (at % len).min(b.len());
                let end = (at + n).min(b.len());
                b.drain(at..end);
            }
            Edit::Byte(at, v) => {
                if !b.is_empty() {
                    let at = at % b.len();
                    b[at] = v;
                }
            }
            Edit::Duplicate(at, n) => {
                let at = (at % len).min(b.len());
                let end = (at + n).min(b.len());
                let copy = b[at..end].to_vec();
                b.splice(end..end, copy);
            }
        }
    }
    b
}

fn input(seeds: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..400),
        6 => (0..seeds.len(), proptest::collection::vec(edit(), 0..12))
            .prop_map(move |(s, edits)| mutate(seeds[s].as_bytes(), &edits)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Loading and validating never panics, and an invalid manifest never yields a state.
    #[test]
    fn fuzz_manifest_loading_never_panics(bytes in input(SEEDS)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.yaml");
        std::fs::write(&path, &bytes).unwrap();
        let loaded = vodplan::manifest::load(std::slice::from_ref(&path));
        prop_assert_eq!(loaded.state.is_some(), loaded.errors().next().is_none());
        for d in &loaded.diagnostics {
            prop_assert!(d.location.line >= 1 && d.location.column >= 1, "{}", d);
        }
        if let Some(state) = loaded.state {
            for e in state.delete.iter().chain(&state.keep) {
                if let Some(q) = &e.quarantine {
                    prop_assert!((1..=3650).contains(&q.value));
                }
                if let vodplan::manifest::Target::Match(s) = &e.target {
                    // Selectors format (timestamps included) without panicking.
                    let _ = s.to_string();
                }
            }
        }
    }

    /// The split parse on mutated documents never panics either.
    #[test]
    fn fuzz_split_never_panics(bytes in input(SEEDS), parts in 2usize..5) {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = parse_split_from(text, false, parts, 0);
        }
    }
}

const PLAN_SEEDS: &[&str] = &[
    r#"{"kind":"vodplan-plan","formatVersion":1,"vodplanVersion":"0.1.0","createdAt":"2026-01-01T00:00:00Z","region":"cn-shanghai","endpoint":"http://127.0.0.1:1","manifests":[{"name":"m.yaml","sha256":"00"}],"manifestDigest":"00","maxDeletes":5,"plan":{"deletions":[{"videoId":"v1","selectedBy":{"kind":"videoId"},"reason":null,"source":"m.yaml:3:5","observed":{"status":"Normal","title":"t","size":1,"creationTime":"2024-01-01T00:00:00Z"}}],"protected":[],"absent":[],"selectorSeen":0}}"#,
    r#"{"kind":"vodplan-plan","formatVersion":2}"#,
    r#"{"kind":"other"}"#,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// The plan-file reader never panics on random or mutated input.
    #[test]
    fn fuzz_plan_file_reader_never_panics(bytes in input(PLAN_SEEDS)) {
        let _ = vodplan::plan::file::PlanFile::from_bytes(&bytes, "plan.json");
    }
}
