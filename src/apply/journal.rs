//! The journal: an append-only JSON-lines record of every deletion batch, durable before the next
//! batch is counted. It is the audit log a reviewer reads afterwards, and what lets a killed run be
//! finished: the same command again reads it back and credits the videos the interrupted run
//! deleted (or sent for deletion without hearing back) as deleted, not as drift.
//!
//! Records of one run share a `run` ID; a run that ended writes `finish`. Runs are tied to what
//! they applied by `planKey` (the saved plan's digest, or the manifests' digest with region and
//! endpoint), so only interrupted runs of the same plan are credited.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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
    /// The videos of batches whose fate was unknown, read back: gone (deleted by this run) or
    /// still present (not deleted).
    #[serde(rename_all = "camelCase")]
    Verified {
        run: String,
        time: String,
        request_id: Option<String>,
        deleted: Vec<String>,
        still_present: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    Finish {
        run: String,
        time: String,
        deleted: usize,
        absent: usize,
        forbidden: usize,
        failed: usize,
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
#[error("journal {path}: {reason}")]
pub struct JournalError {
    pub path: String,
    pub reason: String,
}

/// An open journal, appending.
pub struct Journal {
    path: PathBuf,
    file: File,
    run: String,
}

/// What earlier, interrupted runs of the same plan did.
#[derive(Debug, Default, Clone)]
pub struct Earlier {
    /// Video IDs sent for deletion by interrupted runs of this plan (whatever came back).
    pub sent: HashSet<String>,
    /// Reference IDs behind those deletions, where the manifest named one.
    pub sent_references: HashSet<String>,
    /// When a run of this plan finished having settled every deletion, if one did.
    pub finished_at: Option<String>,
}

impl Journal {
    /// Opens (creating) the journal at `path` for a new run, and reads what interrupted earlier
    /// runs with the same `plan_key` sent.
    pub fn open(
        path: &Path,
        plan_key: &str,
        planned: usize,
    ) -> Result<(Journal, Earlier), JournalError> {
        let err = |e: std::io::Error| JournalError {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let earlier = read_earlier(path, plan_key)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        let run = format!("{:016x}", fastrand::u64(..));
        let mut journal = Journal {
            path: path.to_path_buf(),
            file,
            run: run.clone(),
        };
        journal.append(&Record::Start {
            run,
            time: crate::timefmt::now(),
            plan_key: plan_key.to_string(),
            planned,
            vodplan_version: env!("CARGO_PKG_VERSION").into(),
        })?;
        Ok((journal, earlier))
    }

    pub fn run(&self) -> &str {
        &self.run
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and makes it durable (fsync) before returning.
    pub fn append(&mut self, record: &Record) -> Result<(), JournalError> {
        let mut line = serde_json::to_string(record).expect("records always serialize");
        line.push('\n');
        let err = |e: std::io::Error| JournalError {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        };
        self.file.write_all(line.as_bytes()).map_err(err)?;
        self.file.sync_data().map_err(err)
    }
}

/// Reads the journal and collects what unfinished runs of `plan_key` sent. A torn last line (the
/// process was killed mid-write) is ignored.
fn read_earlier(path: &Path, plan_key: &str) -> Result<Earlier, JournalError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Earlier::default()),
        Err(e) => {
            return Err(JournalError {
                path: path.display().to_string(),
                reason: e.to_string(),
            });
        }
    };
    let mut runs_of_plan: HashSet<String> = HashSet::new();
    let mut finished: HashSet<String> = HashSet::new();
    let mut sent: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    for line in BufReader::new(file).lines() {
        let Ok(line) = line else { break };
        let Ok(record) = serde_json::from_str::<Record>(&line) else {
            continue;
        };
        match record {
            Record::Start {
                run, plan_key: k, ..
            } if k == plan_key => {
                runs_of_plan.insert(run);
            }
            Record::BatchSent {
                run,
                video_ids,
                reference_ids,
                ..
            } => sent.push((run, video_ids, reference_ids)),
            Record::Finish { run, .. } => {
                finished.insert(run);
            }
            _ => {}
        }
    }
    let mut earlier = Earlier::default();
    for (run, ids, refs) in sent {
        if runs_of_plan.contains(&run) && !finished.contains(&run) {
            earlier.sent.extend(ids);
            earlier.sent_references.extend(refs);
        }
    }
    Ok(earlier)
}
