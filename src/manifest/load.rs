//! Finding, reading and merging manifest files.
//!
//! A command line names files or directories; a directory stands for every `*.yaml`/`*.yml`
//! directly inside it, in sorted order, so that the merged result never depends on the file
//! system's listing order. Files are parsed in parallel (each file is independent), then validated
//! together, because some rules (an ID in `delete` of one file and `keep` of another) span files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::DesiredState;
use super::diagnostic::{Diagnostic, Location};
use super::raw::{self, RawManifest};
use super::validate;

/// One manifest file that was read: its name as shown in diagnostics and its content digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFile {
    pub name: Arc<str>,
    pub sha256: String,
}

/// The result of reading manifests: the desired state when there was no error, and every
/// diagnostic (errors and warnings) in file order.
#[derive(Debug)]
pub struct LoadedManifests {
    pub state: Option<DesiredState>,
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadedManifests {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }
}

/// Expands directories into their manifest files, sorted; files are kept as given.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| io_diag(path, &e))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                })
                .collect();
            if found.is_empty() {
                return Err(Diagnostic::error(
                    Location::new(&display_name(path), 1, 1),
                    "this directory holds no *.yaml or *.yml manifest",
                ));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn display_name(path: &Path) -> Arc<str> {
    let s = path.to_string_lossy();
    Arc::from(s.strip_prefix("./").unwrap_or(&s))
}

fn io_diag(path: &Path, e: &std::io::Error) -> Diagnostic {
    let hint = match e.kind() {
        std::io::ErrorKind::NotFound => "; check the path",
        std::io::ErrorKind::PermissionDenied => "; check the file's permissions",
        _ => "",
    };
    Diagnostic::error(
        Location::new(&display_name(path), 1, 1),
        format!("cannot read: {e}{hint}"),
    )
}

/// A file read and parsed, or the problem that stopped it.
pub(crate) struct ParsedFile {
    pub name: Arc<str>,
    pub sha256: String,
    pub result: Result<Option<RawManifest>, Diagnostic>,
}

fn parse_file(path: &Path, precise: bool) -> ParsedFile {
    let name = display_name(path);
    let bytes = match std::fs::read(path) {
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
        Ok(text) => parse_text(text, precise).map_err(|e| {
            Diagnostic::error(Location::new(&name, e.pos.line, e.pos.column), e.message)
        }),
    };
    ParsedFile {
        name,
        sha256,
        result,
    }
}

/// Parses one file's text, on all cores when it is large.
fn parse_text(text: &str, precise: bool) -> Result<Option<RawManifest>, raw::SyntaxError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match super::split::parse_split(text, precise, cores) {
        Some(parsed) => parsed,
        None => raw::parse(text, precise),
    }
}

/// Reads, parses and validates the manifests at `paths`.
pub fn load(paths: &[PathBuf]) -> LoadedManifests {
    let files = match expand(paths) {
        Ok(f) => f,
        Err(d) => {
            return LoadedManifests {
                state: None,
                diagnostics: vec![d],
            };
        }
    };
    // Fast first: entry positions only. Precise positions for every key and value are read only
    // when there is an error to point at.
    let loaded = validate::validate(parse_all(&files, false));
    if loaded.state.is_some() {
        return loaded;
    }
    drop(loaded);
    validate::validate(parse_all(&files, true))
}

/// Parses files on all cores; the order of the result is the order of `files`.
fn parse_all(files: &[PathBuf], precise: bool) -> Vec<ParsedFile> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len());
    if workers <= 1 {
        return files.iter().map(|f| parse_file(f, precise)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<ParsedFile>> = files.iter().map(|_| None).collect();
    let results = std::sync::Mutex::new(&mut slots);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let parsed = parse_file(path, precise);
                    results
                        .lock()
                        .expect("no worker panics while holding the lock")[i] = Some(parsed);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|s| s.expect("every file was parsed"))
        .collect()
}

/// The digest of a set of manifest files, as recorded in a saved plan.
pub fn digest_files(files: &[ManifestFile]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.name.as_bytes());
        h.update([0]);
        h.update(f.sha256.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}
