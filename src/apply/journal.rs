//! The journal: an append-only JSON-lines record of every deletion batch, durable before the next
//! batch is counted. It is the audit log a reviewer reads afterwards, and what lets a killed run be
//! finished: the same command again reads it back and credits the videos the interrupted run
//! deleted (or sent for deletion without hearing back) as deleted, not as drift.
//!
//! Records of one run share a `run` ID; a run that ended writes `finish`. Runs are tied to what
//! they applied by `planKey` (the saved plan's digest, or the manifests' digest with region and
//! endpoint), so only runs of the same plan are credited: the interrupted or partial ones since
//! the last run that settled the plan (see [`Earlier`] and [`read::Applied`]). A settled run is what
//! lets `apply` refuse to replay a saved plan that was already carried out.
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

mod lock;
mod read;
mod record;

pub use lock::{Holder, note_path};
pub use read::Earlier;
#[cfg(test)]
use read::{Applied, MAX_LINE};
pub use record::{JournalEntry, Record, Step};

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

impl From<lock::LockError> for JournalError {
    fn from(e: lock::LockError) -> Self {
        match e {
            lock::LockError::Locked { path, holder } => JournalError::Locked { path, holder },
            lock::LockError::Io {
                path,
                action,
                source,
            } => JournalError::Io {
                path,
                action,
                source,
            },
        }
    }
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

/// The error of an I/O `action` on the journal at `display`.
fn io_error(display: &str, action: &'static str) -> impl FnOnce(std::io::Error) -> JournalError {
    let display = display.to_string();
    move |source| JournalError::Io {
        path: display,
        action,
        source,
    }
}

/// Opens the journal at `path` with `options`, refusing anything but a regular file: not a
/// symlink (a planted link would have the journal appended to whatever it points to), not a FIFO
/// (opening it would block), not a device (read without end). Checked before opening, and again
/// on what was opened, in case the path changed in between. `None`: it does not exist and
/// `options` do not create it.
fn open_regular(path: &Path, options: &OpenOptions) -> Result<Option<File>, JournalError> {
    let display = path.display().to_string();
    match std::fs::symlink_metadata(path) {
        Ok(m) => regular(&m, &display)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&display, "read its metadata")(e)),
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&display, "open it")(e)),
    };
    let opened = file
        .metadata()
        .map_err(io_error(&display, "read its metadata"))?;
    regular(&opened, &display)?;
    // The path may have been replaced by a symlink between the check and the open.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let now =
            std::fs::symlink_metadata(path).map_err(io_error(&display, "read its metadata"))?;
        regular(&now, &display)?;
        if (now.dev(), now.ino()) != (opened.dev(), opened.ino()) {
            return Err(io_error(&display, "open it")(std::io::Error::other(
                "it was replaced while being opened",
            )));
        }
    }
    Ok(Some(file))
}

impl Journal {
    /// What the journal at `path` holds about `plan_key`, read without locking or writing it (a
    /// missing journal holds nothing). For refusing early: a plan applied already is refused
    /// before anything is re-read or shown.
    pub fn peek(path: &Path, plan_key: &str) -> Result<Earlier, JournalError> {
        let Some(file) = open_regular(path, OpenOptions::new().read(true))? else {
            return Ok(Earlier::default());
        };
        let scan = read::scan(&file, plan_key)
            .map_err(io_error(&path.display().to_string(), "read it"))?;
        Ok(scan.earlier)
    }

    /// Opens the journal at `path` for a new run of `plan_key` ([`Journal::lock`]) and writes
    /// this run's `start` ([`Journal::start`]).
    #[cfg(test)]
    pub fn open(
        path: &Path,
        plan_key: &str,
        planned: usize,
    ) -> Result<(Journal, Earlier), JournalError> {
        let (journal, earlier) = Journal::lock(path, plan_key)?;
        journal.start(plan_key, planned, None)?;
        Ok((journal, earlier))
    }

    /// Opens (creating) the journal at `path`: takes its lock (failing at once, naming the
    /// holder, when another apply holds it) and reads what earlier runs of `plan_key` did. Nothing
    /// is written until [`Journal::start`].
    pub fn lock(path: &Path, plan_key: &str) -> Result<(Journal, Earlier), JournalError> {
        let display = path.display().to_string();
        let io = |action: &'static str| io_error(&display, action);
        let file = open_regular(
            path,
            OpenOptions::new().read(true).append(true).create(true),
        )?
        .ok_or_else(|| {
            io("open it for appending")(std::io::Error::from(std::io::ErrorKind::NotFound))
        })?;
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
            run,
        };
        Ok((journal, scan.earlier))
    }

    /// Writes this run's `start`: its plan key and digest, and how many deletions it plans.
    pub fn start(
        &self,
        plan_key: &str,
        planned: usize,
        plan_digest: Option<&str>,
    ) -> Result<(), JournalError> {
        self.append(&Record::Start {
            run: self.run.clone(),
            time: crate::timefmt::now(),
            plan_key: plan_key.to_string(),
            plan_digest: plan_digest.map(str::to_string),
            planned,
            vodplan_version: env!("CARGO_PKG_VERSION").into(),
        })
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
    ) -> impl Future<Output = Result<(), JournalError>> + Send + use<> {
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
    let mut w = writer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
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

/// Refuses anything but a regular file (a symlink too: `meta` is the link's own).
fn regular(meta: &std::fs::Metadata, path: &str) -> Result<(), JournalError> {
    let t = meta.file_type();
    if t.is_file() {
        return Ok(());
    }
    let kind = if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::{Duration, Instant};

    use super::*;

    const KEY: &str = "plan:abc";

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    fn line(record: &Record) -> String {
        String::from_utf8(encode(record)).unwrap()
    }

    fn start(run: &str, key: &str, planned: usize) -> String {
        line(&Record::Start {
            run: run.into(),
            time: format!("2026-01-01T00:00:0{}Z", run.len() % 10),
            plan_key: key.into(),
            plan_digest: None,
            planned,
            vodplan_version: "0.1.0".into(),
        })
    }

    fn sent(run: &str, batch: u64, ids: &[&str]) -> String {
        line(&Record::BatchSent {
            run: run.into(),
            time: "2026-01-01T00:00:01Z".into(),
            batch,
            video_ids: ids.iter().map(|s| s.to_string()).collect(),
            reference_ids: vec![],
            entries: vec![],
        })
    }

    fn done(run: &str, batch: u64, deleted: &[&str], failed: &[&str]) -> String {
        let v = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect();
        line(&Record::BatchDone {
            run: run.into(),
            time: "2026-01-01T00:00:02Z".into(),
            batch,
            request_id: None,
            attempts: 1,
            deleted: v(deleted),
            non_exist: vec![],
            forbidden: vec![],
            failed: v(failed),
            error: None,
        })
    }

    fn finish(run: &str, deleted: usize, failed: usize, not_sent: usize) -> String {
        line(&Record::Finish {
            run: run.into(),
            time: "2026-01-01T00:00:09Z".into(),
            deleted,
            absent: 0,
            forbidden: 0,
            failed,
            not_sent,
        })
    }

    fn set(ids: &[&str]) -> HashSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn earlier_of(content: &[u8]) -> Earlier {
        let d = dir();
        let path = d.path().join("j.jsonl");
        std::fs::write(&path, content).unwrap();
        Journal::open(&path, KEY, 3).unwrap().1
    }

    #[test]
    fn a_second_open_fails_at_once_naming_the_holder_until_the_first_is_dropped() {
        let d = dir();
        let path = d.path().join("j.jsonl");
        let (first, _) = Journal::open(&path, KEY, 1).unwrap();
        let t = Instant::now();
        let Err(JournalError::Locked { holder, .. }) = Journal::open(&path, KEY, 1) else {
            panic!("the second open must fail: the journal is locked");
        };
        assert!(
            t.elapsed() < Duration::from_millis(400),
            "{:?}",
            t.elapsed()
        );
        let holder = holder.expect("the holder is named");
        assert_eq!(holder.pid, std::process::id());
        assert_eq!(holder.host, lock::host_name());
        assert_eq!(holder.run, first.run());
        assert!(
            crate::timefmt::parse(&holder.started).is_some(),
            "{holder:?}"
        );
        // Another spelling of the same file is the same journal (a hard link; a symlink is
        // refused outright).
        let alias = d.path().join("alias.jsonl");
        std::fs::hard_link(&path, &alias).unwrap();
        let err = Journal::open(&alias, KEY, 1).err().unwrap();
        assert!(matches!(err, JournalError::Locked { .. }), "{err}");
        let link = d.path().join("link.jsonl");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let err = Journal::open(&link, KEY, 1).err().unwrap();
        assert!(
            matches!(
                err,
                JournalError::NotRegular {
                    kind: "a symbolic link",
                    ..
                }
            ),
            "{err}"
        );
        // Nothing was written by the refused opens: one start record.
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        drop(first);
        assert!(
            !note_path(&path).exists(),
            "the holder note goes with the lock"
        );
        let (_second, earlier) = Journal::open(&path, KEY, 1).unwrap();
        assert_eq!(earlier.interrupted_runs, 1);
    }

    #[test]
    fn the_locked_error_says_who_holds_it_and_what_to_do() {
        let err = JournalError::Locked {
            path: "p.journal.jsonl".into(),
            holder: Some(Holder {
                pid: 42,
                host: "ci-7\u{1b}[2J".into(),
                started: "2026-11-24T19:00:00Z".into(),
                run: "00ff".into(),
            }),
        };
        assert_eq!(
            err.to_string(),
            "journal p.journal.jsonl is in use by another apply (process 42 on host ci-7\\u{1b}[2J, started 2026-11-24T19:00:00Z (run 00ff)); nothing was sent: wait for that apply to end, or stop it, then run this command again"
        );
        let err = JournalError::Locked {
            path: "d/p.jsonl".into(),
            holder: None,
        };
        assert_eq!(
            err.to_string(),
            "journal d/p.jsonl is in use by another apply (holder unknown: d/p.jsonl.lock names none); nothing was sent: wait for that apply to end, or stop it, then run this command again"
        );
    }

    #[test]
    fn a_note_left_by_a_dead_process_is_not_a_holder() {
        let d = dir();
        let path = d.path().join("j.jsonl");
        let dead = Holder {
            pid: 0x3fff_fff0, // above Linux's pid_max: no such process
            host: lock::host_name(),
            started: "2026-01-01T00:00:00Z".into(),
            run: "dead".into(),
        };
        let stale = serde_json::to_string(&dead).unwrap();
        // No OS lock held: a note is not a lock, the open succeeds and replaces it.
        std::fs::write(note_path(&path), &stale).unwrap();
        let (first, _) = Journal::open(&path, KEY, 1).unwrap();
        let note = std::fs::read_to_string(note_path(&path)).unwrap();
        assert!(note.contains(first.run()), "{note}");
        // Locked, with a stale note: refused, holder unknown rather than the dead process.
        std::fs::write(note_path(&path), &stale).unwrap();
        let Err(JournalError::Locked { holder, .. }) = Journal::open(&path, KEY, 1) else {
            panic!("locked");
        };
        assert_eq!(holder, None);
        drop(first);
        assert!(
            note_path(&path).exists(),
            "a note that is not ours is left alone"
        );
    }

    #[test]
    fn a_torn_last_line_is_terminated_so_the_next_start_is_read() {
        let d = dir();
        let path = d.path().join("j.jsonl");
        let torn = r#"{"event":"batch-done","run":"r1","ba"#;
        let content = start("r1", KEY, 3) + &sent("r1", 0, &["a", "b"]) + torn;
        std::fs::write(&path, &content).unwrap();
        let (j, earlier) = Journal::open(&path, KEY, 3).unwrap();
        assert_eq!(earlier.sent, set(&["a", "b"]));
        assert_eq!(earlier.unsettled, set(&["a", "b"]));
        assert_eq!(earlier.skipped_lines, 1);
        assert_eq!(earlier.interrupted_runs, 1);
        let run2 = j.run().to_string();
        drop(j);
        let text = std::fs::read_to_string(&path).unwrap();
        let expected_tail = format!("{torn}\n{{\"event\":\"start\",\"run\":\"{run2}\"");
        assert!(text.contains(&expected_tail), "{text}");
        // The second run's start is a record: two interrupted runs now.
        let (_, earlier) = Journal::open(&path, KEY, 3).unwrap();
        assert_eq!(earlier.interrupted_runs, 2);
        assert_eq!(earlier.skipped_lines, 1);
    }

    #[test]
    fn bad_lines_are_skipped_and_reading_goes_on() {
        let mut content = (start("r1", KEY, 3) + &sent("r1", 0, &["a"])).into_bytes();
        content.extend_from_slice(b"\xff\xfe not utf-8 \x80\n");
        content.extend_from_slice(
            b"{\"event\":\"batch-sent\",\"run\":\"r1\",\"videoIds\":[\"\xff\"]}\n",
        );
        content.extend_from_slice(b"not json at all\n\n   \n");
        content.extend_from_slice(sent("r1", 1, &["b", "c"]).as_bytes());
        content.extend_from_slice(done("r1", 0, &["a"], &[]).as_bytes());
        content.extend_from_slice(done("r1", 1, &["b"], &["c"]).as_bytes());
        let earlier = earlier_of(&content);
        assert_eq!(earlier.sent, set(&["a", "b", "c"]));
        assert_eq!(earlier.deleted, set(&["a", "b"]));
        assert_eq!(earlier.unsettled, set(&[]));
        assert_eq!(earlier.skipped_lines, 3);
    }

    #[test]
    fn lines_longer_than_the_limit_are_skipped_without_holding_them() {
        let huge = vec![b'x'; 2 * MAX_LINE];
        // In the middle, then at the end with no newline.
        let mut content = (start("r1", KEY, 3) + &sent("r1", 0, &["a"])).into_bytes();
        content.extend_from_slice(&huge);
        content.push(b'\n');
        content.extend_from_slice(sent("r1", 1, &["b"]).as_bytes());
        content.extend_from_slice(&huge);
        let d = dir();
        let path = d.path().join("j.jsonl");
        std::fs::write(&path, &content).unwrap();
        let (j, earlier) = Journal::open(&path, KEY, 3).unwrap();
        assert_eq!(earlier.sent, set(&["a", "b"]));
        assert_eq!(earlier.skipped_lines, 2);
        let run = j.run().to_string();
        drop(j);
        let (_, earlier) = Journal::open(&path, KEY, 3).unwrap();
        assert_eq!(
            earlier.interrupted_runs, 2,
            "the start of run {run} was read"
        );
    }

    #[test]
    fn a_sparse_file_without_newline_is_skipped_as_one_line() {
        // 64 MiB of zero bytes (sparse: no disk used), 64 times the line limit: it is skipped as
        // one line, never held (the limit on a line is what keeps memory bounded whatever the
        // size; a 1 GiB one measured through the binary stays at the same resident size).
        let d = dir();
        let path = d.path().join("j.jsonl");
        let f = File::create(&path).unwrap();
        f.set_len(64 << 20).unwrap();
        drop(f);
        let (_, earlier) = Journal::open(&path, KEY, 3).unwrap();
        assert_eq!(earlier.skipped_lines, 1);
        assert_eq!(earlier.sent, set(&[]));
    }

    #[test]
    fn non_regular_files_are_refused_at_once() {
        let t = Instant::now();
        let err = Journal::open(Path::new("/dev/full"), KEY, 1).err().unwrap();
        assert_eq!(
            err.to_string(),
            "journal /dev/full is a device, not a regular file; a journal must be a regular file (name one with --journal FILE)"
        );
        let d = dir();
        let err = Journal::open(d.path(), KEY, 1).err().unwrap();
        assert!(
            matches!(
                err,
                JournalError::NotRegular {
                    kind: "a directory",
                    ..
                }
            ),
            "{err}"
        );
        let fifo = d.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let err = Journal::open(&fifo, KEY, 1).err().unwrap();
            assert!(
                matches!(err, JournalError::NotRegular { kind: "a pipe", .. }),
                "{err}"
            );
        }
        assert!(t.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_run_that_settled_its_plan_is_reported_as_applied_and_closes_the_chain() {
        // Interrupted run r1, then r22 finishes it all: applied, nothing open.
        let content = start("r1", KEY, 3)
            + &sent("r1", 0, &["a"])
            + &start("r22", KEY, 3)
            + &sent("r22", 0, &["b", "c"])
            + &done("r22", 0, &["b", "c"], &[])
            + &finish("r22", 3, 0, 0);
        let earlier = earlier_of(content.as_bytes());
        assert_eq!(
            earlier.applied,
            Some(Applied {
                run: "r22".into(),
                started: "2026-01-01T00:00:03Z".into(),
                finished: "2026-01-01T00:00:09Z".into(),
                deleted: 3,
                absent: 0,
            })
        );
        assert_eq!((earlier.open_runs, earlier.sent.len()), (0, 0));
        // A later interrupted run of the same plan (manifests applied again) is open again.
        let later = content.clone() + &start("r333", KEY, 1) + &sent("r333", 0, &["d"]);
        let earlier = earlier_of(later.as_bytes());
        assert_eq!(
            earlier.applied.as_ref().map(|a| a.run.as_str()),
            Some("r22")
        );
        assert_eq!(earlier.sent, set(&["d"]));
        assert_eq!((earlier.open_runs, earlier.interrupted_runs), (1, 1));
    }

    #[test]
    fn a_partial_or_short_finish_does_not_settle_the_plan() {
        for (deleted, failed, not_sent) in [(2, 1, 0), (2, 0, 1), (2, 0, 0)] {
            let content = start("r1", KEY, 3)
                + &sent("r1", 0, &["a", "b", "c"])
                + &done("r1", 0, &["a", "b"], &["c"])
                + &finish("r1", deleted, failed, not_sent);
            let earlier = earlier_of(content.as_bytes());
            assert_eq!(earlier.applied, None, "{deleted} {failed} {not_sent}");
            assert_eq!((earlier.open_runs, earlier.interrupted_runs), (1, 0));
            assert_eq!(earlier.sent, set(&["a", "b", "c"]));
            assert_eq!(earlier.deleted, set(&["a", "b"]));
        }
        // Another plan's settled run says nothing about this one.
        let other = start("r1", "plan:other", 1) + &finish("r1", 1, 0, 0);
        assert_eq!(earlier_of(other.as_bytes()), Earlier::default());
    }

    #[test]
    fn what_open_runs_sent_outside_this_plan_is_split_into_confirmed_and_unknown() {
        let drift = r#"{"event":"batch-done","run":"r1","time":"t","batch":1,"requestId":null,"attempts":1,"deleted":[],"nonExist":["d"],"forbidden":[],"failed":[],"error":null}"#;
        let content = start("r1", KEY, 6)
            + &sent("r1", 0, &["a", "b", "e"])
            + &sent("r1", 1, &["c", "d", "f"])
            + &done("r1", 0, &["a"], &["b", "e"])
            + drift
            + "\n"
            + &start("r22", KEY, 6)
            + &sent("r22", 0, &["e"])
            + &done("r22", 0, &["e"], &[]);
        let earlier = earlier_of(content.as_bytes());
        assert_eq!(earlier.deleted, set(&["a", "e"]));
        assert_eq!(earlier.failed, set(&["b"]));
        assert_eq!(earlier.unsettled, set(&["c", "f"]));
        // c is still planned: this run settles it itself; d was drift, not ours.
        let planned = HashSet::from(["c"]);
        assert_eq!(
            earlier.sent_outside(&planned),
            (vec!["a", "e"], vec!["b", "f"])
        );
    }

    #[test]
    fn a_finish_without_not_sent_from_an_older_version_reads_as_zero() {
        let old = r#"{"event":"finish","run":"r1","time":"t","deleted":3,"absent":0,"forbidden":0,"failed":0}"#;
        let content = start("r1", KEY, 3) + old + "\n";
        let earlier = earlier_of(content.as_bytes());
        assert_eq!(earlier.applied.map(|a| a.deleted), Some(3));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn async_appends_are_written_whole_and_in_order() {
        let d = dir();
        let path = d.path().join("j.jsonl");
        let (j, _) = Journal::open(&path, KEY, 3).unwrap();
        j.append_async(&Record::BatchSent {
            run: j.run().into(),
            time: "t".into(),
            batch: 0,
            video_ids: vec!["a".into()],
            reference_ids: vec![],
            entries: vec![],
        })
        .await
        .unwrap();
        let fin = Record::Finish {
            run: j.run().into(),
            time: "t".into(),
            deleted: 1,
            absent: 0,
            forbidden: 0,
            failed: 0,
            not_sent: 0,
        };
        j.append_async(&fin).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let events: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].to_string())
            .collect();
        assert_eq!(events, [r#""start""#, r#""batch-sent""#, r#""finish""#]);
    }

    #[test]
    fn a_failed_write_is_returned_and_the_next_record_starts_on_a_new_line() {
        let d = dir();
        let path = d.path().join("j.jsonl");
        std::fs::write(&path, "").unwrap();
        let writer = Mutex::new(Writer {
            file: File::open(&path).unwrap(), // read-only: every write fails
            torn: false,
        });
        let err = write_line(&writer, b"{}\n", &path).unwrap_err();
        assert!(
            matches!(
                err,
                JournalError::Io {
                    action: "append to it",
                    ..
                }
            ),
            "{err}"
        );
        assert!(writer.lock().unwrap().torn);
    }
}
