//! The documentation holds together: the README stays a guide (under 30 KB), every relative link of
//! the repository's Markdown resolves (file and heading), and nothing the repository tracks cites a
//! file outside it or an issue number instead of saying the fact or linking the public source.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's files, relative to its root: what git tracks, or, outside a git checkout,
/// every file but the build output.
fn tracked_files() -> Vec<PathBuf> {
    let root = root();
    if let Ok(out) = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&root)
        .output()
        && out.status.success()
        && !out.stdout.is_empty()
    {
        return out
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .filter(|p| root.join(p).is_file())
            .collect();
    }
    let mut files = vec![];
    let mut dirs = vec![PathBuf::new()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(root.join(&dir)).unwrap() {
            let entry = entry.unwrap();
            let rel = dir.join(entry.file_name());
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().unwrap().is_dir() {
                if name != "target" && name != ".git" {
                    dirs.push(rel);
                }
            } else {
                files.push(rel);
            }
        }
    }
    files
}

/// The text of a file, or `None` for binary files.
fn text(rel: &Path) -> Option<String> {
    String::from_utf8(std::fs::read(root().join(rel)).ok()?).ok()
}

/// `path` joined to `base` and normalised, or `None` when it climbs above the repository's root.
fn resolve(base: &Path, path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in base.join(path).components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

#[test]
fn the_readme_is_a_guide_under_30_kb() {
    let size = std::fs::metadata(root().join("README.md")).unwrap().len();
    assert!(
        size < 30_000,
        "README.md is {size} bytes: keep it the guide and move reference material to docs/"
    );
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The lines of a Markdown file outside fenced code blocks, with their numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

fn anchors(text: &str) -> BTreeSet<String> {
    prose_lines(text)
        .into_iter()
        .filter(|(_, l)| l.starts_with('#'))
        .map(|(_, l)| slug(l.trim_start_matches('#')))
        .collect()
}

/// The targets of the inline links `[text](target)` of a line.
fn link_targets(line: &str) -> Vec<&str> {
    line.match_indices("](")
        .filter_map(|(i, _)| {
            let rest = &line[i + 2..];
            let end = rest.find(')')?;
            Some(rest[..end].split_whitespace().next().unwrap_or(""))
        })
        .collect()
}

#[test]
fn every_relative_link_of_the_markdown_resolves() {
    let mut broken = vec![];
    let mut checked = 0;
    for file in tracked_files() {
        if file.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let Some(body) = text(&file) else { continue };
        let base = file.parent().unwrap_or(Path::new(""));
        for (n, line) in prose_lines(&body) {
            for target in link_targets(line) {
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
                let resolved = if path.is_empty() {
                    Some(file.clone())
                } else {
                    resolve(base, path)
                };
                let Some(resolved) = resolved.filter(|p| root().join(p).exists()) else {
                    broken.push(format!("{}:{n}: {target}: no such file", file.display()));
                    continue;
                };
                if anchor.is_empty() || resolved.extension().is_none_or(|e| e != "md") {
                    continue;
                }
                let target_text = text(&resolved).unwrap_or_default();
                if !anchors(&target_text).contains(anchor) {
                    broken.push(format!(
                        "{}:{n}: {target}: no heading #{anchor} in {}",
                        file.display(),
                        resolved.display()
                    ));
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} relative links found");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// Words that cite a file outside the repository. Built from parts so that this file does not
/// cite them itself.
fn outside_citations() -> Vec<String> {
    [
        ["../", "shared"],
        ["/wo", "rk/"],
        ["vod-api", ".md"],
        ["sdk-wire", ".md"],
        ["CONTRACT", ".md"],
        ["/bri", "efs/"],
    ]
    .iter()
    .map(|p| p.concat())
    .collect()
}

/// Places where a needle above is checked for, not cited: (file, needle).
const ALLOWED: &[(&str, &str)] = &[
    // Asserts that `vodplan schema` prints no path of a build machine.
    ("tests/it/honest.rs", "/wo"),
];

/// "issue 17", "issues 9 and 13", "task 4", "ticket #21", "(#21)": the number stands for an
/// explanation the reader cannot follow.
fn cites_an_issue(line: &str) -> Option<String> {
    let lower = line.to_lowercase();
    let bytes = lower.as_bytes();
    for word in ["issue", "task", "ticket"] {
        for (i, _) in lower.match_indices(word) {
            if i > 0 && bytes[i - 1].is_ascii_alphanumeric() {
                continue;
            }
            let rest = lower[i + word.len()..].trim_start_matches('s');
            let rest = rest.strip_prefix(' ').unwrap_or("");
            let rest = rest.strip_prefix('#').unwrap_or(rest);
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            // A count ("issues 20,000 tokens") is not a citation.
            let count = rest[digits..].starts_with([',', '.'])
                && rest[digits + 1..].starts_with(|c: char| c.is_ascii_digit());
            if digits > 0 && !count {
                return Some(line[i..].chars().take(word.len() + 6).collect());
            }
        }
    }
    for (i, _) in lower.match_indices("(#") {
        let rest = &lower[i + 2..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with(')') {
            return Some(rest[..digits + 1].to_string());
        }
    }
    None
}

#[test]
fn nothing_cites_a_file_outside_the_repository_or_an_issue_number() {
    let this_file = Path::new(file!());
    let needles = outside_citations();
    let mut found = vec![];
    for file in tracked_files() {
        if this_file.ends_with(&file) || file.ends_with("Cargo.lock") {
            continue;
        }
        let Some(body) = text(&file) else { continue };
        let name = file.to_string_lossy().replace('\\', "/");
        for (n, line) in body.lines().enumerate() {
            for needle in &needles {
                let allowed = ALLOWED
                    .iter()
                    .any(|(f, start)| *f == name && needle.starts_with(start));
                if line.contains(needle.as_str()) && !allowed {
                    found.push(format!("{name}:{}: cites {needle:?}", n + 1));
                }
            }
            if let Some(cite) = cites_an_issue(line) {
                found.push(format!("{name}:{}: cites {cite:?}", n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "say the fact, or link the public documentation it comes from:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_issue_citation_finder_finds_citations_and_nothing_else() {
    for cited in [
        "the safety work of issues 9 and 13",
        "is issue 10's selector",
        "see task 4",
        "Ticket #21 says",
        "fixed (#21).",
    ] {
        assert!(cites_an_issue(cited).is_some(), "{cited}");
    }
    for plain in [
        "the temporary keys it issues, to rehearse",
        "GitHub issue and pull-request comments",
        "the purge tasks until done",
        "Applied the plan reviewed on #7",
        "&#39;",
        "multitask 4",
        "a traversal at 100 a page issues 20,000.",
    ] {
        assert_eq!(cites_an_issue(plain), None, "{plain}");
    }
}
