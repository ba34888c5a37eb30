//! Reading a journal back: what earlier runs of the same plan did.
//!
//! A journal is evidence written by processes that may have died mid-write, on disks that may have
//! filled up, and it can be any file a user names. So reading is bounded and forgiving:
//! - lines are read at most [`MAX_LINE`] bytes at a time; a longer line (a file that is not a
//!   journal, `/dev/zero` behind a symlink...) is skipped, never held in memory, so memory stays
//!   bounded whatever the file's size;
//! - a line that is not a record (invalid JSON, not UTF-8, torn by a crash) is skipped and
//!   counted, and reading goes on: one bad line never hides the records after it;
//! - only the records of this plan's runs are kept.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};

use serde::Deserialize;

use super::Record;

/// The longest journal line read (1 MiB). A record is one batch of at most 20 videos with their
/// manifest entries and reasons: a few KiB at most.
pub const MAX_LINE: usize = 1 << 20;

/// What earlier runs of the same plan (same `planKey`) did, as the journal shows it.
///
/// Runs of a plan form a chain: an interrupted or partial run is finished by the next one, until
/// a run *settles* the plan (see `Applied`). `sent`, `deleted` and `sent_references` cover the
/// runs of this plan since the last settled one (the "open" runs), whether they were interrupted
/// (no `finish` record) or ended partial; the settled run and everything before it are done and
/// credited to nothing.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Earlier {
    /// Every video ID an open run sent for deletion (`batch-sent`, whatever came back), selector-
    /// matched ones included.
    pub sent: HashSet<String>,
    /// The video IDs an open run saw confirmed deleted (a `batch-done` listing them as deleted).
    pub deleted: HashSet<String>,
    /// Sent by an open run with no outcome recorded for them (the run died with the call in
    /// flight): deleted or not, the journal cannot say; a caller that must know re-reads them.
    pub unsettled: HashSet<String>,
    /// Sent by an open run and reported failed (a timeout or error: maybe carried out), and not
    /// confirmed deleted by a later open run.
    pub failed: HashSet<String>,
    /// Reference IDs behind the open runs' deletions, where the manifest named one.
    pub sent_references: HashSet<String>,
    /// How many open runs there are, and how many of them were interrupted (no `finish`).
    pub open_runs: usize,
    pub interrupted_runs: usize,
    /// The latest run of this plan that settled it, if any.
    pub applied: Option<Applied>,
    /// Lines that are not records and were skipped: invalid JSON, not UTF-8, a torn write, or
    /// longer than `MAX_LINE`.
    pub skipped_lines: u64,
}

impl Earlier {
    /// What the open runs sent that this run will not settle itself: `planned` holds the video
    /// IDs this run deletes or reports absent. A manifests apply needs it: a video a selector
    /// matched and the killed run deleted is matched by nothing any more, so only the journal
    /// still knows it was this plan's. Returns the IDs confirmed deleted (credit them), and the
    /// IDs whose fate the journal does not know (in flight or failed: re-read them, and credit
    /// the ones that are gone), both sorted.
    pub fn sent_outside<'a>(&'a self, planned: &HashSet<&str>) -> (Vec<&'a str>, Vec<&'a str>) {
        let outside = |set: &'a HashSet<String>| {
            let mut ids: Vec<&str> = set
                .iter()
                .map(String::as_str)
                .filter(|id| !planned.contains(id))
                .collect();
            ids.sort_unstable();
            ids
        };
        let mut unknown = outside(&self.unsettled);
        unknown.extend(outside(&self.failed));
        unknown.sort_unstable();
        unknown.dedup();
        (outside(&self.deleted), unknown)
    }
}

/// A run that settled its plan: it wrote `finish` reporting no failed, no forbidden and no unsent
/// deletion, and at least as many deleted or absent as it planned (`start.planned`). After it,
/// nothing of the plan is left to do: applying the same saved plan again is a mistake (or a
/// replay), not a resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub run: String,
    /// When it started and when it wrote `finish` (UTC, as journaled).
    pub started: String,
    pub finished: String,
    pub deleted: usize,
    pub absent: usize,
}

/// The result of scanning a journal file.
pub(super) struct Scan {
    pub earlier: Earlier,
    /// The file is not empty and its last byte is not a newline: a torn last line.
    pub torn_end: bool,
}

/// One run of this plan, while scanning.
#[derive(Default)]
struct Run {
    started: String,
    planned: usize,
    finished: bool,
}

/// Reads a journal, keeping what the runs of `plan_key` did.
pub(super) fn scan(reader: impl Read, plan_key: &str) -> std::io::Result<Scan> {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut runs: HashMap<String, Run> = HashMap::new();
    let mut earlier = Earlier::default();
    // Per video: whether an open run recorded an outcome for it.
    let mut settled: HashSet<String> = HashSet::new();
    let mut line = Vec::new();
    let mut torn_end = false;
    while let Some(end) = next_line(&mut reader, &mut line, MAX_LINE)? {
        torn_end = !end.terminated;
        if end.too_long {
            earlier.skipped_lines += 1;
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // Most lines belong to other plans' runs: look at the event and run first, and decode the
        // whole record only when it matters.
        #[derive(Deserialize)]
        struct Head {
            event: String,
            run: String,
        }
        let Ok(head) = serde_json::from_slice::<Head>(&line) else {
            earlier.skipped_lines += 1;
            continue;
        };
        if head.event != "start" && !runs.contains_key(&head.run) {
            continue;
        }
        let Ok(record) = serde_json::from_slice::<Record>(&line) else {
            earlier.skipped_lines += 1;
            continue;
        };
        match record {
            Record::Start {
                run,
                time,
                plan_key: k,
                plan_digest: _,
                planned,
                ..
            } if k == plan_key => {
                runs.insert(
                    run,
                    Run {
                        started: time,
                        planned,
                        finished: false,
                    },
                );
            }
            Record::Start { .. } => {}
            Record::BatchSent {
                video_ids,
                reference_ids,
                ..
            } => {
                earlier.sent.extend(video_ids);
                earlier.sent_references.extend(reference_ids);
            }
            Record::BatchDone {
                deleted,
                non_exist,
                forbidden,
                failed,
                ..
            } => {
                settled.extend(non_exist.iter().chain(&forbidden).chain(&failed).cloned());
                settled.extend(deleted.iter().cloned());
                earlier.deleted.extend(deleted);
                earlier.failed.extend(failed);
            }
            Record::Audit { .. } => {}
            // Uncertain batches read back: gone ones were deleted, present ones were not.
            Record::Verified {
                deleted,
                still_present,
                ..
            } => {
                settled.extend(deleted.iter().chain(&still_present).cloned());
                earlier.deleted.extend(deleted);
            }
            Record::Finish {
                run,
                time,
                deleted,
                absent,
                forbidden,
                failed,
                not_sent,
            } => {
                let planned = runs.get(&run).map_or(usize::MAX, |r| r.planned);
                if failed == 0 && forbidden == 0 && not_sent == 0 && deleted + absent >= planned {
                    // Settled: this run and every earlier one of the plan are done.
                    let started = runs.remove(&run).map(|r| r.started).unwrap_or_default();
                    earlier = Earlier {
                        applied: Some(Applied {
                            run,
                            started,
                            finished: time,
                            deleted,
                            absent,
                        }),
                        skipped_lines: earlier.skipped_lines,
                        ..Earlier::default()
                    };
                    settled.clear();
                    runs.clear();
                } else if let Some(r) = runs.get_mut(&run) {
                    r.finished = true;
                }
            }
        }
    }
    earlier.open_runs = runs.len();
    earlier.interrupted_runs = runs.values().filter(|r| !r.finished).count();
    let confirmed = &earlier.deleted;
    earlier.failed.retain(|id| !confirmed.contains(id));
    earlier.unsettled = earlier
        .sent
        .iter()
        .filter(|id| !settled.contains(*id))
        .cloned()
        .collect();
    Ok(Scan { earlier, torn_end })
}

/// How a line ended.
#[derive(Debug, PartialEq)]
struct LineEnd {
    /// Longer than the limit: `line` is left empty and the rest was skipped.
    too_long: bool,
    /// Ended by a newline (not by the end of the file).
    terminated: bool,
}

/// Reads the next line (without its newline) into `line`, holding at most `max` bytes of it;
/// `None` at the end of the file. Scanning for the newline is std's `read_until` (memchr), so a
/// gigabyte reads at disk speed; the rest of an over-long line goes through a small scratch buffer.
fn next_line(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<LineEnd>> {
    line.clear();
    let n = (&mut *reader)
        .take(max as u64 + 1)
        .read_until(b'\n', line)?;
    if n == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        return Ok(Some(LineEnd {
            too_long: false,
            terminated: true,
        }));
    }
    if line.len() <= max {
        // The end of the file, with no newline: a torn line.
        return Ok(Some(LineEnd {
            too_long: false,
            terminated: false,
        }));
    }
    line.clear();
    let mut scratch = Vec::with_capacity(64 * 1024);
    loop {
        scratch.clear();
        let n = (&mut *reader)
            .take(64 * 1024)
            .read_until(b'\n', &mut scratch)?;
        if n == 0 || scratch.last() == Some(&b'\n') {
            return Ok(Some(LineEnd {
                too_long: true,
                terminated: n != 0,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<(Vec<u8>, LineEnd)> {
        let mut r = BufReader::with_capacity(4, input);
        let mut out = Vec::new();
        let mut line = Vec::new();
        while let Some(end) = next_line(&mut r, &mut line, max).unwrap() {
            out.push((line.clone(), end));
        }
        out
    }

    #[test]
    fn lines_are_bounded_and_the_last_one_may_be_torn() {
        let end = |too_long, terminated| LineEnd {
            too_long,
            terminated,
        };
        assert_eq!(
            lines(b"ab\n0123456789\n\ncd", 5),
            vec![
                (b"ab".to_vec(), end(false, true)),
                (vec![], end(true, true)),
                (vec![], end(false, true)),
                (b"cd".to_vec(), end(false, false)),
            ]
        );
        assert_eq!(lines(b"0123456789", 5), vec![(vec![], end(true, false))]);
        assert_eq!(lines(b"", 5), vec![]);
        assert_eq!(
            lines(b"12345\n", 5),
            vec![(b"12345".to_vec(), end(false, true))]
        );
    }

    /// A journal line from a small vocabulary: runs 0..3 (0 and 1 of plan `k`, 2 of another),
    /// videos `v0..v5`.
    fn record_line(kind: u8, run: u8, ids: &[u8]) -> String {
        let run_id = format!("r{run}");
        let v: Vec<String> = ids.iter().map(|i| format!("v{i}")).collect();
        let half = v.len() / 2;
        let record = match kind % 4 {
            0 => Record::Start {
                run: run_id,
                time: "t0".into(),
                plan_key: if run < 2 { "k" } else { "other" }.into(),
                plan_digest: None,
                planned: 3,
                vodplan_version: "0".into(),
            },
            1 => Record::BatchSent {
                run: run_id,
                time: "t1".into(),
                batch: 0,
                video_ids: v,
                reference_ids: vec![],
                entries: vec![],
            },
            2 => Record::BatchDone {
                run: run_id,
                time: "t2".into(),
                batch: 0,
                request_id: None,
                attempts: 1,
                deleted: v[..half].to_vec(),
                non_exist: vec![],
                forbidden: vec![],
                failed: v[half..].to_vec(),
                error: None,
            },
            _ => Record::Finish {
                run: run_id,
                time: "t3".into(),
                deleted: ids.len(),
                absent: 0,
                forbidden: 0,
                failed: usize::from(ids.len() % 2 == 1),
                not_sent: 0,
            },
        };
        let mut line = serde_json::to_string(&record).unwrap();
        line.push('\n');
        line
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Lines come back exactly as `split('\n')` cuts them, those over the limit as "too
        /// long" with nothing held, whatever the buffer boundaries.
        #[test]
        fn next_line_cuts_like_split(
            input in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'a'), any::<u8>()], 0..200),
            max in 0usize..20,
            capacity in 1usize..16,
        ) {
            let mut pieces: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
            let ends_with_newline = input.last() == Some(&b'\n');
            if ends_with_newline || input.is_empty() {
                pieces.pop();
            }
            let expected: Vec<(Vec<u8>, LineEnd)> = pieces
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let too_long = p.len() > max;
                    let line = if too_long { vec![] } else { p.to_vec() };
                    let terminated = i + 1 < pieces.len() || ends_with_newline;
                    (line, LineEnd { too_long, terminated })
                })
                .collect();
            let mut r = BufReader::with_capacity(capacity, input.as_slice());
            let mut got = Vec::new();
            let mut line = Vec::new();
            while let Some(end) = next_line(&mut r, &mut line, max).unwrap() {
                prop_assert!(line.len() <= max);
                got.push((line.clone(), end));
            }
            prop_assert_eq!(got, expected);
        }

        /// A bad line (not JSON, not UTF-8) anywhere, and a torn tail, change nothing but the
        /// count of skipped lines: they never hide a record.
        #[test]
        fn bad_lines_never_hide_records(
            records in proptest::collection::vec(
                (0u8..4, 0u8..3, proptest::collection::vec(0u8..6, 0..4)), 0..30),
            garbage in proptest::collection::vec(
                (any::<proptest::sample::Index>(), proptest::collection::vec(any::<u8>(), 0..30)), 0..8),
            torn in proptest::option::of(proptest::collection::vec(any::<u8>(), 1..30)),
        ) {
            let lines: Vec<Vec<u8>> = records
                .iter()
                .map(|(kind, run, ids)| record_line(*kind, *run, ids).into_bytes())
                .collect();
            let clean = scan(lines.concat().as_slice(), "k").unwrap();
            let mut dirty = lines.clone();
            for (at, bytes) in &garbage {
                // `#` first: never blank, never JSON.
                let mut bad = vec![b'#'];
                bad.extend(bytes.iter().filter(|&&b| b != b'\n'));
                bad.push(b'\n');
                dirty.insert(at.index(dirty.len() + 1), bad);
            }
            if let Some(tail) = &torn {
                dirty.push([b"{".as_slice(), tail.as_slice()].concat().into_iter().filter(|&b| b != b'\n').collect());
            }
            let read = scan(dirty.concat().as_slice(), "k").unwrap();
            let mut expected = clean.earlier.clone();
            expected.skipped_lines = (garbage.len() + usize::from(torn.is_some())) as u64;
            prop_assert_eq!(read.earlier, expected);
            prop_assert_eq!(read.torn_end, torn.is_some());
        }
    }
}
