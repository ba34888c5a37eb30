//! The house's layering: crate boundaries keep the emulator and the client apart, and this test
//! keeps the two rules the compiler cannot see.
//!
//! - The library's modules are layers, each using only those below it (see `CONTRIBUTING.md`):
//!   an upward `crate::` path compiles fine, and makes the next change harder to reason about
//!   (the planner that reaches into the executor). [`LAYERS`] is the order; renaming a module is
//!   a one-line change there.
//! - The emulator depends on nothing of vodplan, not even in its tests, so that the client's
//!   signer and the emulator's verifier share no code.
//! - The library stays free of the emulator and of its HTTP server: only the binary (`src/main.rs`,
//!   `src/cli/`) names `vod_emulator`, and `vodplan` without its default `emulator` feature has no
//!   HTTP server in its dependency tree.
//!
//! The scan is deliberately small: it reads the `crate::` paths (including `use crate::{a, b}`
//! groups) of each library file outside comments and unit-test modules (unit tests may reach
//! anywhere) and looks up the top-level module each one names.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The library's top-level modules, bottom up: each may use its own row and the rows below it.
const LAYERS: &[&[&str]] = &[
    &["ids", "timefmt", "progress"], // shared utilities
    &["manifest"],
    &["vod"],
    &["state", "listing"],
    &["plan"],
    &["apply"],
    &["render"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file of the library (not `src/lib.rs`, `src/main.rs` or `src/cli/`), with the
/// top-level module it belongs to.
fn library_files() -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = src();
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(&src)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            let top = rel.split('/').next().unwrap().trim_end_matches(".rs");
            (!matches!(top, "lib" | "main" | "cli")).then(|| (top.to_owned(), path))
        })
        .collect()
}

/// The code of a file: comments removed, and nothing from its first `#[cfg(test)]` module on.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let next = lines.peek().map_or("", |l| l.trim_start());
        if line.trim() == "#[cfg(test)]" && next.starts_with("mod ") {
            break;
        }
        out.push_str(line.split("//").next().unwrap());
        out.push('\n');
    }
    out
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules named by the `crate::` paths of `code`.
fn crate_references(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::`, `other_crate::`
        }
        let rest = code[at + "crate::".len()..].trim_start();
        match rest.strip_prefix('{') {
            Some(group) => {
                // `crate::{a::b, c, d::{e, f}}`: the first name of each top-level item.
                let (mut depth, mut start) = (0, true);
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => start = true,
                        c if start && !c.is_whitespace() => {
                            found.push(ident(&group[i..]).to_owned());
                            start = false;
                        }
                        _ => {}
                    }
                }
            }
            None => found.push(ident(rest).to_owned()),
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

/// What is wrong with a file of top-level module `module`: upward or unknown `crate::` paths,
/// and any mention of the emulator crate.
fn violations(module: &str, rel: &str, text: &str) -> Vec<String> {
    let Some(own) = rank(module) else {
        return vec![format!(
            "{rel}: module `{module}` has no row in LAYERS (tests/it/layering.rs)"
        )];
    };
    let code = code(text);
    let mut out: Vec<String> = crate_references(&code)
        .into_iter()
        .filter_map(|used| match rank(&used) {
            Some(r) if r <= own => None,
            Some(_) => Some(format!(
                "{rel}: `{module}` uses `crate::{used}`, a layer above it"
            )),
            None => Some(format!("{rel}: `crate::{used}` is not a module in LAYERS")),
        })
        .collect();
    if code.contains("vod_emulator") {
        out.push(format!(
            "{rel}: the library names `vod_emulator`; only the binary may use the emulator"
        ));
    }
    out.dedup();
    out
}

#[test]
fn every_library_layer_only_looks_down_and_none_names_the_emulator() {
    let mut problems = Vec::new();
    for (module, path) in library_files() {
        let rel = path.strip_prefix(src().parent().unwrap()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        problems.extend(violations(&module, &rel.display().to_string(), &text));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn layers_name_exactly_the_librarys_modules() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let mut declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    declared.sort_unstable();
    let mut layered: Vec<&str> = LAYERS.iter().flat_map(|row| row.iter().copied()).collect();
    layered.sort_unstable();
    assert_eq!(declared, layered, "src/lib.rs's modules and LAYERS differ");
}

#[test]
fn the_scan_sees_upward_paths_groups_and_the_emulator_but_not_comments_or_unit_tests() {
    let text = "use crate::{ids::VideoId, manifest::{Desired, load}};\n\
                // crate::apply::run in a comment is no use\n\
                fn f() -> crate::vod::Client { vod_emulator::start() }\n\
                #[cfg(test)]\nmod tests { use crate::render::x; }\n";
    assert_eq!(crate_references(&code(text)), ["ids", "manifest", "vod"]);
    assert_eq!(
        violations("manifest", "src/manifest/x.rs", text),
        [
            "src/manifest/x.rs: `manifest` uses `crate::vod`, a layer above it",
            "src/manifest/x.rs: the library names `vod_emulator`; only the binary may use the emulator",
        ]
    );
    assert!(violations("plan", "src/plan/x.rs", "use crate::{vod, ids};").is_empty());
}

#[test]
fn the_emulator_depends_on_nothing_of_vodplan() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/vod-emulator/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let named: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("vodplan"))
        .collect();
    assert_eq!(named, Vec::<&str>::new(), "{}", manifest.display());
}

/// `cargo tree` of vodplan's normal dependencies, offline (the lock file and the local registry
/// cache are enough): one `name version features` line per package.
fn tree(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-p",
            "vodplan",
            "-e",
            "normal",
        ])
        .args(["--prefix", "none", "-f", "{p} [{f}]"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The packages and features that make an HTTP server, as `cargo tree` lines show them.
fn servers(tree: &str) -> Vec<&str> {
    let mut found: Vec<&str> = tree
        .lines()
        .map(|line| line.trim_end_matches(" (*)"))
        .filter(|line| {
            let name = line.split(' ').next().unwrap_or("");
            let features = line.split_once('[').map_or("", |(_, f)| f);
            matches!(name, "vod-emulator" | "axum" | "roaring")
                || (matches!(name, "hyper" | "hyper-util")
                    && features.split([',', ']']).any(|f| f.starts_with("server")))
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

#[test]
fn the_librarys_dependency_tree_has_no_http_server() {
    // The check can see one: the binary's tree (default features) has the emulator's.
    let with_binary = tree(&[]);
    assert!(
        servers(&with_binary)
            .iter()
            .any(|l| l.starts_with("vod-emulator ")),
        "{with_binary}"
    );
    assert!(
        servers(&with_binary)
            .iter()
            .any(|l| l.starts_with("hyper "))
    );
    let library = tree(&["--no-default-features"]);
    assert_eq!(servers(&library), Vec::<&str>::new(), "{library}");
}
