//! The journal: an append-only JSON-lines record of every deletion batch, durable before the next
//! batch is counted. It is the audit log a reviewer reads afterwards, and what lets a killed run be
//! finished: the same command again reads it back and credits the videos the interrupted run
//! deleted (or sent for deletion without hearing back) as deleted, not as drift.
//!
//! Records of one run share a `run` ID; a run that ended writes `finish`. Runs are tied to what
//! they applied by `planKey` (the saved plan's digest, or the manifests' digest with region and
//! endpoint), so only interrupted runs of the same plan are credited.
//!
//! The journal file is also the apply's lock (see [`lock`]): one apply at a time per journal. It
//! is read back bounded and forgiving (see [`read`]); a torn last line is terminated before this
//! run writes, so a crash's half record never swallows the next run's `start`. Writes are durable
//! (fsync) before they return; [`Journal::append_async`] does the blocking write on tokio's
//! blocking pool, never on an async worker.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

mod lock;
mod read;

pub use lock::{Holder, note_path};
pub use read::{Applied, Earlier, MAX_LINE};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Record {
    #[serde(rename_all = "camelCase")]
    Start {
        run: String,
        time: String,
        plan_key: String,
        planned: usize,
        vodplan_version: String,
    },
    #[serde(rename_all = "camelCase")]
    BatchSent {
        run: String,
        time: String,
        batch: u64,
        video_ids: Vec<String>,
        /// Reference IDs of the manifest entries behind the batch, where they named one.
        #[serde(default)]
        reference_ids: Vec<String>,
        /// Why each video is deleted, and which manifest entry says so (videos without a
        /// reason are listed with their source only).
        #[serde(default)]
        entries: Vec<JournalEntry>,
    },
    #[serde(rename_all = "camelCase")]
    BatchDone {
        run: String,
        time: String,
        batch: u64,
        request_id: Option<String>,
        attempts: u32,
        deleted: Vec<String>,
        non_exist: Vec<String>,
        forbidden: Vec<String>,
        failed: Vec<String>,
        error: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Finish {
        run: String,
        time: String,
        deleted: usize,
        absent: usize,
        forbidden: usize,
        failed: usize,
        /// Planned deletions this run never sent (it was interrupted or stopped). A run is only
        /// settled (see [`Applied`]) when this is 0; absent in journals of older versions.
        #[serde(default)]
        not_sent: usize,
    },
}

/// The manifest entry behind one deleted video, as recorded for auditors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub video_id: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: cannot {action}: {source}")]
    Io {
        path: String,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "journal {path} is {kind}, not a regular file; a journal must be a regular file (name one with --journal FILE)"
    )]
    NotRegular { path: String, kind: &'static str },
    #[error(
        "journal {path} is in use by another apply ({}); nothing was sent: wait for that apply to end, or stop it, then run this command again",
        holder.as_ref().map_or_else(|| format!("holder unknown: {} names none", note_path(Path::new(path)).display()), |h| h.to_string())
    )]
    Locked {
        path: String,
        /// The holder as its `.lock` note names it; `None` when the note is missing or stale.
        holder: Option<Holder>,
    },
}

/// An open journal, appending. It holds the journal's lock until it is dropped.
pub struct Journal {
    // Dropped first: the holder note is removed while the lock (in `writer`'s file) is still held.
    _note: lock::HolderNote,
    writer: Arc<Mutex<Writer>>,
    path: PathBuf,
    run: String,
}

struct Writer {
    file: File,
    /// A write failed part-way: the file may end in a torn line, so the next write starts with a
    /// newline to keep its record whole.
    torn: bool,
}

impl Journal {
    /// Opens (creating) the journal at `path` for a new run of `plan_key`: takes its lock (failing
    /// at once, naming the holder, when another apply holds it), reads what earlier runs of the
    /// same plan did, and writes this run's `start`.
    pub fn open(
        path: &Path,
        plan_key: &str,
        planned: usize,
    ) -> Result<(Journal, Earlier), JournalError> {
        let display = path.display().to_string();
        let io = |action: &'static str| {
            let display = display.clone();
            move |source: std::io::Error| JournalError::Io {
                path: display,
                action,
                source,
            }
        };
        // Before opening: opening a FIFO would block, a device would be read without end.
        match std::fs::metadata(path) {
            Ok(m) => regular(&m, &display)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("read its metadata")(e)),
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io("open it for appending"))?;
        // Again on what was opened, in case the path changed in between.
        regular(&file.metadata().map_err(io("read its metadata"))?, &display)?;
        let run = format!("{:016x}", fastrand::u64(..));
        let note = lock::acquire(&file, path, &run)?;
        let scan = read::scan(&file, plan_key).map_err(io("read it"))?;
        let journal = Journal {
            _note: note,
            writer: Arc::new(Mutex::new(Writer {
                file,
                torn: scan.torn_end,
            })),
            path: path.to_path_buf(),
            run: run.clone(),
        };
        journal.append(&Record::Start {
            run,
            time: crate::timefmt::now(),
            plan_key: plan_key.to_string(),
            planned,
            vodplan_version: env!("CARGO_PKG_VERSION").into(),
        })?;
        Ok((journal, scan.earlier))
    }

    pub fn run(&self) -> &str {
        &self.run
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and makes it durable (fsync) before returning. Blocking: from async
    /// code use [`Journal::append_async`].
    pub fn append(&self, record: &Record) -> Result<(), JournalError> {
        write_line(&self.writer, &encode(record), &self.path)
    }

    /// Appends one record durably, doing the blocking write and fsync on tokio's blocking pool.
    /// The record is encoded at the call; lines are written whole, in the order the futures run.
    pub fn append_async(
        &self,
        record: &Record,
    ) -> impl Future<Output = Result<(), JournalError>> + Send + 'static {
        let line = encode(record);
        let writer = self.writer.clone();
        let path = self.path.clone();
        async move {
            let display = path.display().to_string();
            tokio::task::spawn_blocking(move || write_line(&writer, &line, &path))
                .await
                .map_err(|e| JournalError::Io {
                    path: display,
                    action: "append to it",
                    source: std::io::Error::other(e),
                })?
        }
    }
}

fn encode(record: &Record) -> Vec<u8> {
    let mut line = serde_json::to_vec(record).expect("records always serialize");
    line.push(b'\n');
    line
}

fn write_line(writer: &Mutex<Writer>, line: &[u8], path: &Path) -> Result<(), JournalError> {
    let mut w = writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let result = (|| {
        if w.torn {
            w.file.write_all(b"\n")?;
            w.torn = false;
        }
        if let Err(e) = w.file.write_all(line) {
            w.torn = true;
            return Err(e);
        }
        w.file.sync_data()
    })();
    result.map_err(|source| JournalError::Io {
        path: path.display().to_string(),
        action: "append to it",
        source,
    })
}

/// Refuses anything but a regular file (a symlink to one is fine).
fn regular(meta: &std::fs::Metadata, path: &str) -> Result<(), JournalError> {
    let t = meta.file_type();
    if t.is_file() {
        return Ok(());
    }
    let kind = if t.is_dir() {
        "a directory"
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_char_device() || t.is_block_device() {
                "a device"
            } else if t.is_fifo() {
                "a pipe"
            } else if t.is_socket() {
                "a socket"
            } else {
                "not a file"
            }
        }
        #[cfg(not(unix))]
        "not a file"
    };
    Err(JournalError::NotRegular {
        path: path.into(),
        kind,
    })
}
