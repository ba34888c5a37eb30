//! One apply at a time per journal.
//!
//! Two applies of the same plan at once would each report the other's deletions as drift, and
//! their journals would interleave. So an open journal holds an exclusive OS lock (`flock`, via
//! [`std::fs::File::try_lock`]) on the journal file itself for the whole run. An OS lock, not a
//! lock file's existence, decides who holds it: the kernel drops it when the process ends however
//! it ends (`kill -9` included), so a crash never leaves a stale lock that blocks the next run.
//! Locking the journal's own inode also catches two spellings of one journal (a symlink, `./j`).
//!
//! Who holds it is written beside the journal, in `<journal>.lock` (process ID, host, start time,
//! run), only so that a refused apply can name the holder. That file is information, never the
//! lock: content left behind by a killed run is overwritten by the next holder, and a contender
//! that cannot read a current holder still refuses (holder unknown).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Why the lock was not taken. The journal turns it into its [`super::JournalError`]: this file
/// names no type of its parent, so the lock sits below the journal (no import cycle).
#[derive(Debug)]
pub(super) enum LockError {
    Locked {
        path: String,
        holder: Option<Holder>,
    },
    Io {
        path: String,
        action: &'static str,
        source: std::io::Error,
    },
}

/// The apply holding a journal, as written in its `.lock` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    /// When the holding run started (UTC).
    pub started: String,
    pub run: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The note is a file anyone could edit: control characters are escaped, not printed.
        write!(
            f,
            "process {} on host {}, started {} (run {})",
            self.pid,
            self.host.escape_debug(),
            self.started.escape_debug(),
            self.run.escape_debug()
        )
    }
}

/// The holder information of a locked journal; removed when the journal is closed. The OS lock
/// itself lives in the journal's open file, so it ends with that file (or the process).
#[derive(Debug)]
pub(super) struct HolderNote {
    path: PathBuf,
    ours: Vec<u8>,
}

impl Drop for HolderNote {
    fn drop(&mut self) {
        // Only ours: never remove a note another holder wrote. The OS lock is still held here (the
        // journal file closes after this), so no one else can have replaced it legitimately.
        if std::fs::read(&self.path).is_ok_and(|c| c == self.ours) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `<journal>.lock`, where the holder is named.
pub fn note_path(journal: &Path) -> PathBuf {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    journal.with_file_name(name)
}

/// Takes the exclusive lock on the open journal `file`, or fails at once naming the holder.
pub(super) fn acquire(file: &File, journal: &Path, run: &str) -> Result<HolderNote, LockError> {
    let path = journal.display().to_string();
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(LockError::Locked {
                path,
                holder: read_holder(journal, Duration::from_millis(500)),
            });
        }
        Err(std::fs::TryLockError::Error(source)) => {
            return Err(LockError::Io {
                path,
                action: "lock it (the file system may not support locks)",
                source,
            });
        }
    }
    let holder = Holder {
        pid: std::process::id(),
        host: host_name(),
        started: crate::timefmt::now(),
        run: run.to_string(),
    };
    let mut ours = serde_json::to_vec(&holder).expect("a holder always serializes");
    ours.push(b'\n');
    let note = note_path(journal);
    write_note(&note, &ours).map_err(|source| LockError::Io {
        path: note.display().to_string(),
        action: "write the lock holder's note",
        source,
    })?;
    Ok(HolderNote { path: note, ours })
}

/// Replaces the note atomically (a temporary file renamed over it), so a contender reads either
/// the old holder or the new one, never half of one.
fn write_note(note: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = match note.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".vodplan-lock-")
        .tempfile_in(dir)?;
    tmp.write_all(content)?;
    tmp.persist(note).map_err(|e| e.error)?;
    Ok(())
}

/// Reads who holds the journal. The holder writes its note just after taking the lock, so a
/// missing or stale note is re-read for up to `patience` before the holder is called unknown.
fn read_holder(journal: &Path, patience: Duration) -> Option<Holder> {
    let start = Instant::now();
    loop {
        let holder = std::fs::read(note_path(journal))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Holder>(&bytes).ok())
            .filter(|h| !is_dead(h));
        if holder.is_some() || start.elapsed() >= patience {
            return holder;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Whether the note names a process of this host that is known not to run any more (a note left
/// by a killed run). Only checked where `/proc` shows processes; elsewhere a note is believed.
fn is_dead(h: &Holder) -> bool {
    h.host == host_name()
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(h.pid.to_string()).exists()
}

/// This machine's name, for naming a holder to a person. Read from the kernel where it says
/// (Linux), else the `HOSTNAME` variable; "unknown host" when neither does.
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown host".into())
}
