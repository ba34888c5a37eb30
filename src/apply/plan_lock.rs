//! One apply of a plan at a time on this machine, whatever journal each names.
//!
//! The journal's own lock (see `journal/lock.rs`) stops two applies that share a journal. Two
//! applies of one plan with different `--journal` paths would each send the same deletions and
//! report the other's as drift; so `apply` also takes an exclusive OS lock (`flock`, released by
//! the kernel however the process ends) on a file keyed by the plan: `<dir>/plan-<hash>.lock`,
//! where `dir` is `$XDG_RUNTIME_DIR/vodplan`, else `$HOME/.cache/vodplan/locks`, else the temporary
//! directory's `vodplan-locks`. The file also says which process and journal hold it. Across
//! machines, the CI examples' concurrency groups do the same.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Held for the whole apply; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct PlanLock {
    _file: std::fs::File,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanLockError {
    #[error(
        "another apply of this plan is running on this machine ({holder}); nothing was sent: wait for it to end, or stop it, then run this command again"
    )]
    Held { holder: String },
}

/// Where plan locks live, first choice first.
fn dirs() -> Vec<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut dirs = Vec::new();
    if let Some(d) = var("XDG_RUNTIME_DIR") {
        dirs.push(d.join("vodplan"));
    }
    if let Some(h) = var("HOME") {
        dirs.push(h.join(".cache").join("vodplan").join("locks"));
    }
    dirs.push(std::env::temp_dir().join("vodplan-locks"));
    dirs
}

/// Takes the lock of `plan_key` for an apply writing `journal`. `Ok(None)`: no directory could
/// hold a lock file (the journal's lock still applies).
pub fn acquire(plan_key: &str, journal: &Path) -> Result<Option<PlanLock>, PlanLockError> {
    let name = format!(
        "plan-{}.lock",
        &hex::encode(Sha256::digest(plan_key.as_bytes()))[..24]
    );
    for dir in dirs() {
        if std::fs::create_dir_all(&dir).is_err() {
            continue;
        }
        let Ok(mut file) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(&name))
        else {
            continue;
        };
        match file.try_lock() {
            Ok(()) => {
                let shown =
                    std::fs::canonicalize(journal).unwrap_or_else(|_| journal.to_path_buf());
                let note = format!(
                    "process {}, journal {}",
                    std::process::id(),
                    shown.display()
                );
                let _ = file.set_len(0);
                let _ = file.rewind();
                let _ = file.write_all(note.as_bytes());
                return Ok(Some(PlanLock { _file: file }));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.take(4096).read_to_string(&mut holder);
                let holder = holder.escape_debug().to_string();
                return Err(PlanLockError::Held {
                    holder: if holder.is_empty() {
                        "holder unknown".into()
                    } else {
                        holder
                    },
                });
            }
            Err(std::fs::TryLockError::Error(_)) => continue,
        }
    }
    Ok(None)
}
