//! Finding, reading and parsing manifest files, then handing them to `validate`.
//!
//! A command line names files or directories. A directory stands for every manifest under it,
//! subdirectories included, sorted by path, so that the merged result never depends on the file
//! system's listing order. Why so strict about directories: a keep file that is
//! silently not read is a deletion nobody reviewed. So a name ending in `.yaml` or `.yml` in any
//! case (`KEEP.YAML`) is a manifest; a manifest that cannot be read (a dangling symlink, no
//! permission) is an error, as is an entry whose kind cannot be found out and any error listing a
//! directory; everything else skipped (other files, hidden `.`-entries) is named in a warning.
//!
//! Files are parsed in parallel (rayon; each file is independent), then validated together,
//! because some rules (an ID in `delete` of one file and `keep` of another) span files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::diagnostic::{Diagnostic, Location};
use super::raw::{self, RawManifest};
use super::validate::{self, LoadedManifests, ParsedFile};

pub use super::desired::digest_files;

/// The manifest files that paths stand for, and what was noticed on the way (errors stop the
/// load; warnings name what was skipped).
#[derive(Debug, Default)]
pub(crate) struct Expanded {
    pub files: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether a file name says "manifest": `.yaml` or `.yml`, in any case.
fn is_manifest_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Expands directories into their manifest files (recursively, sorted); files are kept as given.
pub(crate) fn expand(paths: &[PathBuf]) -> Expanded {
    let mut out = Expanded::default();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            let mut visited = HashSet::new();
            walk(path, &mut found, &mut out.diagnostics, &mut visited);
            if found.is_empty() && !out.diagnostics.iter().any(Diagnostic::is_error) {
                out.diagnostics.push(Diagnostic::error(
                    Location::new(&display_name(path), 1, 1),
                    "this directory holds no *.yaml or *.yml manifest",
                ));
            }
            found.sort();
            out.files.extend(found);
        } else {
            // Named on the command line: the same checks as a file found in a directory (a
            // device would be read without end, a FIFO would block).
            match std::fs::metadata(path) {
                Ok(m) if !m.is_file() => out.diagnostics.push(Diagnostic::error(
                    Location::new(&display_name(path), 1, 1),
                    format!(
                        "cannot read: {}, not a regular file; a manifest must be a file",
                        kind_of(&m)
                    ),
                )),
                _ => out.files.push(path.clone()),
            }
        }
    }
    out
}

fn walk(
    dir: &Path,
    found: &mut Vec<PathBuf>,
    diagnostics: &mut Vec<Diagnostic>,
    visited: &mut HashSet<PathBuf>,
) {
    // A symlink back to an ancestor would make the walk endless.
    match std::fs::canonicalize(dir) {
        Ok(real) => {
            if !visited.insert(real) {
                diagnostics.push(Diagnostic::error(
                    Location::new(&display_name(dir), 1, 1),
                    "this directory is reached twice (a symlink loop or a second link to it); remove the link",
                ));
                return;
            }
        }
        Err(e) => {
            diagnostics.push(io_diag(dir, &e));
            return;
        }
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            diagnostics.push(io_diag(dir, &e));
            return;
        }
    };
    let mut children = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => children.push(e.path()),
            Err(e) => diagnostics.push(Diagnostic::error(
                Location::new(&display_name(dir), 1, 1),
                format!("cannot list every entry of this directory: {e}"),
            )),
        }
    }
    children.sort();
    for path in children {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.as_encoded_bytes().starts_with(b"."));
        if hidden {
            diagnostics.push(Diagnostic::warning(
                Location::new(&display_name(&path), 1, 1),
                "skipped: a hidden entry; rename it if it holds manifests",
            ));
            continue;
        }
        // Follows symlinks: a link to a manifest is a manifest, a dangling link is unreadable.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk(&path, found, diagnostics, visited),
            Ok(m) if is_manifest_name(&path) => {
                if m.is_file() {
                    found.push(path);
                } else {
                    diagnostics.push(Diagnostic::error(
                        Location::new(&display_name(&path), 1, 1),
                        "cannot read: not a regular file; a manifest must be a file",
                    ));
                }
            }
            Ok(_) => diagnostics.push(Diagnostic::warning(
                Location::new(&display_name(&path), 1, 1),
                "skipped: not a *.yaml or *.yml manifest",
            )),
            Err(e) => diagnostics.push(io_diag(&path, &e)),
        }
    }
}

/// What a path that is not a regular file is, for messages.
fn kind_of(m: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_fifo() {
            return "a pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    let _ = m;
    "a special file"
}

/// A manifest is at most this big (a million entries take about 60 MB).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 30;

/// Reads a manifest, bounded by [`MAX_MANIFEST_BYTES`].
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(std::io::Error::other(
            "larger than a manifest can be (1 GiB); split it into several files",
        ));
    }
    Ok(bytes)
}

fn display_name(path: &Path) -> Arc<str> {
    let s = path.to_string_lossy();
    Arc::from(s.strip_prefix("./").unwrap_or(&s))
}

fn io_diag(path: &Path, e: &std::io::Error) -> Diagnostic {
    let hint = match e.kind() {
        std::io::ErrorKind::NotFound => {
            "; check the path (a symlink must point to an existing file)"
        }
        std::io::ErrorKind::PermissionDenied => "; check the file's permissions",
        _ => "",
    };
    Diagnostic::error(
        Location::new(&display_name(path), 1, 1),
        format!("cannot read: {e}{hint}"),
    )
}

fn parse_file(path: &Path, precise: bool) -> ParsedFile {
    let name = display_name(path);
    let bytes = match read_bounded(path) {
        Ok(b) => b,
        Err(e) => {
            return ParsedFile {
                name,
                sha256: String::new(),
                result: Err(io_diag(path, &e)),
            };
        }
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let result = match std::str::from_utf8(&bytes) {
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u32
                + 1;
            Err(Diagnostic::error(
                Location::new(&name, line, 1),
                "not UTF-8 text; save the manifest as UTF-8",
            ))
        }
        Ok(text) if is_saved_plan(text) => Err(Diagnostic::error(
            Location::new(&name, 1, 1),
            "this is a saved plan (written by `vodplan plan --out`), not a manifest: apply it with `vodplan apply FILE`, or show it with `vodplan show FILE`",
        )),
        Ok(text) => {
            parse_text(text.strip_prefix('\u{feff}').unwrap_or(text), precise).map_err(|e| {
                Diagnostic::error(Location::new(&name, e.pos.line, e.pos.column), e.message)
            })
        }
    };
    ParsedFile {
        name,
        sha256,
        result,
    }
}

/// Whether `text` is a saved plan: a JSON object whose first key is `"kind": "vodplan-plan"`, as
/// the plan writer puts it (the plan layer's `PLAN_KIND`, which this layer cannot name).
fn is_saved_plan(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    let Some(rest) = text.strip_prefix('{') else {
        return false;
    };
    let head: String = rest
        .chars()
        .take(200)
        .filter(|c| !c.is_whitespace())
        .collect();
    head.starts_with("\"kind\":\"vodplan-plan\"")
}

/// Parses one file's text, on all cores when it is large and its shape allows (see `split`).
fn parse_text(text: &str, precise: bool) -> Result<Option<RawManifest>, raw::SyntaxError> {
    match super::split::parse_split(text, precise, rayon::current_num_threads()) {
        Some(parsed) => parsed,
        None => raw::parse(text, precise),
    }
}

/// Reads, parses and validates the manifests at `paths`.
pub fn load(paths: &[PathBuf]) -> LoadedManifests {
    let Expanded {
        files,
        diagnostics: found,
    } = expand(paths);
    if found.iter().any(Diagnostic::is_error) {
        return LoadedManifests {
            state: None,
            diagnostics: found,
        };
    }
    // Fast first: entry positions only. Precise positions for every key and value are read only
    // when there is an error to point at.
    let mut loaded = validate::validate(parse_all(&files, false));
    if loaded.state.is_none() {
        drop(loaded);
        loaded = validate::validate(parse_all(&files, true));
    }
    if !found.is_empty() {
        let mut diagnostics = found;
        diagnostics.append(&mut loaded.diagnostics);
        loaded.diagnostics = diagnostics;
    }
    loaded
}

/// Parses files on all cores; the order of the result is the order of `files`.
fn parse_all(files: &[PathBuf], precise: bool) -> Vec<ParsedFile> {
    files.par_iter().map(|f| parse_file(f, precise)).collect()
}
