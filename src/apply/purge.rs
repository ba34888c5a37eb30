//! The CDN purge of an apply (`purgeCdn`): after the deletions, purge what the CDN may still
//! serve of every video that is gone from the origin, within the day's purge quota, and carry
//! what does not fit to a later run of the same command.
//!
//! Order and safety: a video's objects are purged only once VOD reports the video non-existent
//! (GetVideoInfos), read just before purging: purging earlier is no guarantee, since the origin
//! still serves and the next request fills the cache again
//! (https://www.alibabacloud.com/help/doc-detail/130620.htm); a video whose deletion was refused
//! or failed still exists and is never purged.
//!
//! Quota: today's remainder is read first (DescribeVodRefreshQuota) and never exceeded, so no
//! purge call is refused for quota. Units go first to the videos that need the fewest (weighed by
//! the day's quota of each kind), so the most videos finish soonest; what is left of the day's
//! units goes to the next videos' objects, so the purge takes no more days than the quota
//! allows.
//!
//! The purge journal (`<journal>.purge`, JSON lines beside the apply journal) records every video
//! planned for purge and its objects, which are confirmed gone, every purge call with its task
//! IDs, and every task that completed or failed. A later run of the same command replays it and
//! continues: tasks still refreshing are followed, objects not sent are sent.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::VideoId;
use crate::plan::purge::{Kind, PurgeObject, PurgePlan, QuotaSeen, VideoPurge};
use crate::vod::Client;
use crate::vod::cdn::{
    DIRS_PER_CALL, DescribeVodRefreshTasks, RefreshVodObjectCaches, URLS_PER_CALL,
};
use crate::vod::request::GetVideoInfos;

/// What the purge of an apply did, and what is left.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PurgeOutcome {
    /// Videos gone from the origin whose every purge object is purged (task complete).
    pub purged: Vec<VideoId>,
    /// Videos gone from the origin with objects not purged yet (quota, a refused call, a task
    /// still refreshing or failed): the same command continues them.
    pub pending: Vec<VideoId>,
    /// Videos with objects that cannot be purged (listed in the plan with the reason).
    pub unpurgeable: Vec<VideoId>,
    /// Purge tasks this run created.
    pub tasks_sent: usize,
    /// The quota left when this run stopped sending.
    pub quota_left: QuotaSeen,
    /// Why the purge stopped before it was done, if it did.
    pub stopped: Option<PurgeStop>,
}

/// Why a purge stopped before it was done: vodplan's decision, worded once (`Display`, also
/// how the JSON outcome shows it). The errors it carries are the API's or the disk's, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurgeStop {
    /// Interrupted (SIGINT/SIGTERM) before every call was sent.
    Interrupted,
    /// Which planned videos are gone could not be confirmed.
    Unconfirmed(String),
    /// The purge quota could not be read.
    NoQuota(String),
    /// A purge call was refused.
    Refused(String),
    /// This many tasks were still refreshing when the wait ended: the next run follows them.
    StillRefreshing(usize),
    /// The purge tasks could not be followed.
    Unfollowed(String),
    /// The purge journal could not be written.
    Journal(String),
}

impl std::fmt::Display for PurgeStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PurgeStop::Interrupted => f.write_str("interrupted"),
            PurgeStop::Unconfirmed(e) => write!(f, "cannot confirm the deletions: {e}"),
            PurgeStop::NoQuota(e) => write!(f, "cannot read the purge quota: {e}"),
            PurgeStop::Refused(e) => write!(f, "a purge call was refused: {e}"),
            PurgeStop::StillRefreshing(n) => {
                write!(
                    f,
                    "{n} purge tasks still refreshing; the next run follows them"
                )
            }
            PurgeStop::Unfollowed(e) => write!(f, "cannot follow the purge tasks: {e}"),
            PurgeStop::Journal(e) => f.write_str(e),
        }
    }
}

impl serde::Serialize for PurgeStop {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The purge journal beside an apply journal.
pub fn journal_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_os_string();
    name.push(".purge");
    PathBuf::from(name)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "rec", rename_all = "camelCase")]
enum Record {
    /// Planned for purge, with its objects (a later record's objects are added).
    Planned {
        #[serde(rename = "videoId")]
        video_id: VideoId,
        objects: Vec<PurgeObject>,
        unpurgeable: usize,
    },
    /// Reported non-existent by VOD: its objects may be purged.
    Gone {
        #[serde(rename = "videoIds")]
        video_ids: Vec<VideoId>,
    },
    /// Still exists after the deletions (refused or failed): not purged.
    Alive {
        #[serde(rename = "videoIds")]
        video_ids: Vec<VideoId>,
    },
    /// A purge call: its objects and the task of each.
    Sent {
        kind: Kind,
        paths: Vec<String>,
        #[serde(rename = "taskIds")]
        task_ids: Vec<String>,
        at: i64,
    },
    /// A purge call that was refused: its objects stay pending.
    Refused {
        kind: Kind,
        paths: Vec<String>,
        error: String,
    },
    /// Tasks that completed.
    Done {
        #[serde(rename = "taskIds")]
        task_ids: Vec<String>,
    },
    /// Tasks that failed: their objects are sent again.
    Failed {
        #[serde(rename = "taskIds")]
        task_ids: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ObjState {
    Unsent,
    Sent { task: String, at: i64 },
    Done,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Life {
    #[default]
    Planned,
    Gone,
    Alive,
}

/// The purge journal, replayed.
#[derive(Debug, Default)]
pub struct PurgeJournal {
    path: PathBuf,
    videos: BTreeMap<VideoId, (BTreeSet<PurgeObject>, usize, Life)>,
    objects: HashMap<PurgeObject, ObjState>,
}

/// A journal that cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} the purge journal {path}: {source}")]
pub struct PurgeJournalError {
    path: String,
    action: &'static str,
    source: std::io::Error,
}

impl PurgeJournal {
    /// Reads the purge journal at `path` (none yet: empty).
    pub fn open(path: &Path) -> Result<PurgeJournal, PurgeJournalError> {
        let mut j = PurgeJournal {
            path: path.to_path_buf(),
            ..PurgeJournal::default()
        };
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(j),
            Err(source) => {
                return Err(PurgeJournalError {
                    path: path.display().to_string(),
                    action: "read",
                    source,
                });
            }
        };
        for line in std::io::BufReader::new(file).lines() {
            let Ok(line) = line else { break };
            // A torn last line (a kill mid-write) is skipped: its call is sent again.
            if let Ok(r) = serde_json::from_str::<Record>(&line) {
                j.replay(r);
            }
        }
        Ok(j)
    }

    fn replay(&mut self, r: Record) {
        match r {
            Record::Planned {
                video_id,
                objects,
                unpurgeable,
            } => {
                let e = self.videos.entry(video_id).or_default();
                for o in objects {
                    self.objects.entry(o.clone()).or_insert(ObjState::Unsent);
                    e.0.insert(o);
                }
                e.1 = unpurgeable;
                if e.2 == Life::Alive {
                    e.2 = Life::Planned;
                }
            }
            Record::Gone { video_ids } => {
                for v in video_ids {
                    if let Some(e) = self.videos.get_mut(&v) {
                        e.2 = Life::Gone;
                    }
                }
            }
            Record::Alive { video_ids } => {
                for v in video_ids {
                    if let Some(e) = self.videos.get_mut(&v)
                        && e.2 == Life::Planned
                    {
                        e.2 = Life::Alive;
                    }
                }
            }
            Record::Sent {
                kind,
                paths,
                task_ids,
                at,
            } => {
                for (i, p) in paths.into_iter().enumerate() {
                    let task = task_ids
                        .get(i)
                        .or(task_ids.first())
                        .cloned()
                        .unwrap_or_default();
                    let o = PurgeObject { kind, path: p };
                    if self.objects.get(&o) != Some(&ObjState::Done) {
                        self.objects.insert(o, ObjState::Sent { task, at });
                    }
                }
            }
            Record::Refused { .. } => {}
            Record::Done { task_ids } => self.settle(&task_ids, ObjState::Done),
            Record::Failed { task_ids } => self.settle(&task_ids, ObjState::Unsent),
        }
    }

    fn settle(&mut self, task_ids: &[String], to: ObjState) {
        for s in self.objects.values_mut() {
            if let ObjState::Sent { task, .. } = s
                && task_ids.contains(task)
            {
                *s = to.clone();
            }
        }
    }

    fn append(&mut self, r: Record) -> Result<(), PurgeJournalError> {
        let err = |action, source| PurgeJournalError {
            path: self.path.display().to_string(),
            action,
            source,
        };
        let mut line = serde_json::to_string(&r).expect("records serialize");
        line.push('\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| err("open", e))?;
        f.write_all(line.as_bytes()).map_err(|e| err("write", e))?;
        f.sync_data().map_err(|e| err("write", e))?;
        self.replay(r);
        Ok(())
    }

    /// Whether anything is left to do: a video not known gone or alive, or a gone video with an
    /// object not purged.
    pub fn has_pending(&self) -> bool {
        self.videos.values().any(|(objs, _, life)| match life {
            Life::Planned => true,
            Life::Gone => objs
                .iter()
                .any(|o| self.objects.get(o) != Some(&ObjState::Done)),
            Life::Alive => false,
        })
    }

    /// Records the videos planned for purge (before they are deleted).
    pub fn plan(&mut self, videos: &[VideoPurge]) -> Result<(), PurgeJournalError> {
        for v in videos {
            self.append(Record::Planned {
                video_id: v.video_id.clone(),
                objects: v.objects.clone(),
                unpurgeable: v.unpurgeable.len(),
            })?;
        }
        Ok(())
    }

    fn outcome(
        &self,
        tasks_sent: usize,
        quota_left: QuotaSeen,
        stopped: Option<PurgeStop>,
    ) -> PurgeOutcome {
        let mut o = PurgeOutcome {
            tasks_sent,
            quota_left,
            stopped,
            ..PurgeOutcome::default()
        };
        for (id, (objs, unpurgeable, life)) in &self.videos {
            if *life != Life::Gone {
                continue;
            }
            if *unpurgeable > 0 {
                o.unpurgeable.push(id.clone());
            }
            if objs
                .iter()
                .all(|x| self.objects.get(x) == Some(&ObjState::Done))
            {
                if *unpurgeable == 0 {
                    o.purged.push(id.clone());
                }
            } else {
                o.pending.push(id.clone());
            }
        }
        o
    }
}

/// How long a run follows its purge tasks (`VODPLAN_PURGE_WAIT_SECONDS`, default 900: purges
/// take effect minutes after submission); what is still refreshing then is followed by the
/// next run.
fn wait_bound() -> Duration {
    std::env::var("VODPLAN_PURGE_WAIT_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(900))
}

/// Re-reads the planned videos' URLs just before the deletions (they are only given while a
/// video is Normal) and adds what is new to the planned objects.
pub async fn refresh(client: &Client, purge: &PurgePlan) -> Vec<VideoPurge> {
    let mut now: Vec<Option<VideoPurge>> = vec![None; purge.videos.len()];
    let Ok(()) = crate::vod::concurrency::bounded(
        purge.videos.iter().enumerate(),
        16,
        |(i, v)| async move {
            let read = crate::plan::purge::video(client, &v.video_id, &purge.domains).await;
            Ok::<_, std::convert::Infallible>((i, read))
        },
        |(i, read), _| {
            now[i] = Some(read);
            Ok(())
        },
    )
    .await;
    purge
        .videos
        .iter()
        .zip(now)
        .map(|(v, now)| {
            // A directory is purged only when it is the video's own (`.../<videoId>/`), whatever
            // a plan file says: a shared directory would purge other videos' objects.
            let own_dir = format!("/{}/", v.video_id.as_str());
            let objects: BTreeSet<PurgeObject> = v
                .objects
                .iter()
                .chain(now.iter().flat_map(|n| &n.objects))
                .filter(|o| o.kind != Kind::Directory || o.path.ends_with(&own_dir))
                .cloned()
                .collect();
            VideoPurge {
                video_id: v.video_id.clone(),
                objects: objects.into_iter().collect(),
                unpurgeable: v.unpurgeable.clone(),
            }
        })
        .collect()
}

/// Confirms which planned videos are gone from the origin (GetVideoInfos), and journals it.
async fn confirm_gone(client: &Client, j: &mut PurgeJournal) -> Result<(), String> {
    let unknown: Vec<VideoId> = j
        .videos
        .iter()
        .filter(|(_, (_, _, life))| *life == Life::Planned)
        .map(|(id, _)| id.clone())
        .collect();
    for chunk in unknown.chunks(crate::vod::MAX_IDS_PER_CALL) {
        let r = client
            .call(&GetVideoInfos {
                video_ids: chunk,
                reference_ids: &[],
            })
            .await
            .map_err(|e| e.to_string())?;
        let (gone, alive): (Vec<VideoId>, Vec<VideoId>) = chunk
            .iter()
            .cloned()
            .partition(|id| r.non_exist_video_ids.iter().any(|n| n == id.as_str()));
        if !gone.is_empty() {
            j.append(Record::Gone { video_ids: gone })
                .map_err(|e| e.to_string())?;
        }
        if !alive.is_empty() {
            j.append(Record::Alive { video_ids: alive })
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The objects to send today, within `quota`: videos needing the fewest units (weighed by the
/// day's quota of each kind) first; the day's last units go to the next videos' objects.
fn allocate(j: &PurgeJournal, quota: QuotaSeen) -> (Vec<String>, Vec<String>) {
    let weight = |n: usize, full: u64| n as f64 / full.max(1) as f64;
    let mut todo: Vec<(f64, &VideoId, Vec<&PurgeObject>)> = j
        .videos
        .iter()
        .filter(|(_, (_, _, life))| *life == Life::Gone)
        .map(|(id, (objs, _, _))| {
            let left: Vec<&PurgeObject> = objs
                .iter()
                .filter(|o| j.objects.get(*o) == Some(&ObjState::Unsent))
                .collect();
            let dirs = left.iter().filter(|o| o.kind == Kind::Directory).count();
            let urls = left.len() - dirs;
            (
                weight(dirs, quota.dir_quota) + weight(urls, quota.url_quota),
                id,
                left,
            )
        })
        .filter(|(_, _, left)| !left.is_empty())
        .collect();
    todo.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    let (mut dir_budget, mut url_budget) = (quota.dir_remain, quota.url_remain);
    let (mut dirs, mut urls) = (Vec::new(), Vec::new());
    let mut seen: BTreeSet<&PurgeObject> = BTreeSet::new();
    for (_, _, left) in todo {
        for o in left {
            if !seen.insert(o) {
                continue;
            }
            match o.kind {
                Kind::Directory if dir_budget > 0 => {
                    dir_budget -= 1;
                    dirs.push(o.path.clone());
                }
                Kind::IgnoreParams if url_budget > 0 => {
                    url_budget -= 1;
                    urls.push(o.path.clone());
                }
                _ => {}
            }
        }
    }
    (dirs, urls)
}

/// Runs the purge: confirms which videos are gone, sends what today's quota allows, follows the
/// tasks until done (bounded), and tells what is purged and what is pending.
pub async fn run(
    client: &Client,
    journal: &mut PurgeJournal,
    stop: &dyn Fn() -> bool,
) -> Result<PurgeOutcome, PurgeJournalError> {
    let mut tasks_sent = 0;
    if let Err(e) = confirm_gone(client, journal).await {
        return Ok(journal.outcome(0, QuotaSeen::default(), Some(PurgeStop::Unconfirmed(e))));
    }
    let mut quota: QuotaSeen = match crate::plan::purge::quota(client).await {
        Ok(q) => q,
        Err(e) => {
            return Ok(journal.outcome(
                0,
                QuotaSeen::default(),
                Some(PurgeStop::NoQuota(e.to_string())),
            ));
        }
    };
    let mut stopped = None;
    let (dirs, urls) = allocate(journal, quota);
    'send: for (kind, paths, per_call) in [
        (Kind::Directory, dirs, DIRS_PER_CALL),
        (Kind::IgnoreParams, urls, URLS_PER_CALL),
    ] {
        for chunk in paths.chunks(per_call) {
            if stop() {
                stopped = Some(PurgeStop::Interrupted);
                break 'send;
            }
            // The quota is read again before every call: a call retried after a lost reply, or
            // another purger on the account, may have spent some; the call is cut to what
            // remains, so it is never refused for quota.
            quota = match crate::plan::purge::quota(client).await {
                Ok(q) => q,
                Err(e) => {
                    stopped = Some(PurgeStop::NoQuota(e.to_string()));
                    break 'send;
                }
            };
            let room = match kind {
                Kind::Directory => quota.dir_remain,
                Kind::IgnoreParams => quota.url_remain,
            } as usize;
            if room == 0 {
                break;
            }
            let chunk = &chunk[..chunk.len().min(room)];
            let at = OffsetDateTime::now_utc().unix_timestamp();
            match client
                .call(&RefreshVodObjectCaches {
                    paths: chunk,
                    kind: kind.api(),
                })
                .await
            {
                Ok(r) => {
                    let ids = r.task_ids();
                    tasks_sent += ids.len();
                    let n = chunk.len() as u64;
                    match kind {
                        Kind::Directory => quota.dir_remain = quota.dir_remain.saturating_sub(n),
                        Kind::IgnoreParams => quota.url_remain = quota.url_remain.saturating_sub(n),
                    }
                    journal.append(Record::Sent {
                        kind,
                        paths: chunk.to_vec(),
                        task_ids: ids,
                        at,
                    })?;
                }
                Err(e) => {
                    journal.append(Record::Refused {
                        kind,
                        paths: chunk.to_vec(),
                        error: e.to_string(),
                    })?;
                    stopped = Some(PurgeStop::Refused(e.to_string()));
                    break 'send;
                }
            }
        }
    }
    if let Err(e) = follow(client, journal, stop).await {
        stopped.get_or_insert(e);
    }
    Ok(journal.outcome(tasks_sent, quota, stopped))
}

/// Follows the tasks still refreshing until they complete or fail, at most [`wait_bound`].
async fn follow(
    client: &Client,
    journal: &mut PurgeJournal,
    stop: &dyn Fn() -> bool,
) -> Result<(), PurgeStop> {
    let deadline = Instant::now() + wait_bound();
    let mut pause = Duration::from_millis(250);
    loop {
        let waiting: HashMap<String, i64> = journal
            .objects
            .values()
            .filter_map(|s| match s {
                ObjState::Sent { task, at } => Some((task.clone(), *at)),
                _ => None,
            })
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline || stop() {
            return Err(PurgeStop::StillRefreshing(waiting.len()));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
        let now = OffsetDateTime::now_utc();
        let earliest = waiting
            .values()
            .min()
            .copied()
            .unwrap_or(now.unix_timestamp());
        let start = OffsetDateTime::from_unix_timestamp(earliest - 60)
            .unwrap_or(now)
            .max(now - time::Duration::days(3) + time::Duration::minutes(1));
        let end = now + time::Duration::minutes(1);
        let (mut done, mut failed) = (Vec::new(), Vec::new());
        for page in 1.. {
            let r = client
                .call(&DescribeVodRefreshTasks {
                    task_id: None,
                    start_time: start,
                    end_time: end,
                    page_number: page,
                    page_size: 50,
                })
                .await
                .map_err(|e| PurgeStop::Unfollowed(e.to_string()))?;
            let n = r.tasks.task.len() as u64;
            for t in r.tasks.task {
                if !waiting.contains_key(&t.task_id) {
                    continue;
                }
                match t.status.as_str() {
                    "Complete" => done.push(t.task_id),
                    "Failed" => failed.push(t.task_id),
                    _ => {}
                }
            }
            if n < 50 || page * 50 >= r.total_count {
                break;
            }
        }
        // Tasks older than the three days the API reports are long complete.
        let three_days = now.unix_timestamp() - 3 * 86_400;
        done.extend(
            waiting
                .iter()
                .filter(|(_, at)| **at < three_days)
                .map(|(t, _)| t.clone()),
        );
        if !done.is_empty() {
            journal
                .append(Record::Done { task_ids: done })
                .map_err(|e| PurgeStop::Journal(e.to_string()))?;
        }
        if !failed.is_empty() {
            journal
                .append(Record::Failed { task_ids: failed })
                .map_err(|e| PurgeStop::Journal(e.to_string()))?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(kind: Kind, path: &str) -> PurgeObject {
        PurgeObject {
            kind,
            path: path.into(),
        }
    }

    fn planned(id: &str, objects: Vec<PurgeObject>) -> VideoPurge {
        VideoPurge {
            video_id: VideoId::new(id.to_string()).unwrap(),
            objects,
            unpurgeable: Vec::new(),
        }
    }

    #[test]
    fn units_go_to_the_cheapest_videos_first_and_the_rest_fills_the_day() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = PurgeJournal::open(&dir.path().join("j.purge")).unwrap();
        let urls = |v: &str, n: usize| -> Vec<PurgeObject> {
            (0..n)
                .map(|i| obj(Kind::IgnoreParams, &format!("https://d/{v}/{i}.mp4")))
                .collect()
        };
        j.plan(&[
            planned("big", urls("big", 3)),
            planned("small", urls("small", 1)),
            planned("alive", urls("alive", 1)),
            planned("hls", vec![obj(Kind::Directory, "https://d/hls/")]),
        ])
        .unwrap();
        let ids = |v: &[&str]| {
            v.iter()
                .map(|s| VideoId::new(s.to_string()).unwrap())
                .collect()
        };
        j.append(Record::Gone {
            video_ids: ids(&["big", "small", "hls"]),
        })
        .unwrap();
        j.append(Record::Alive {
            video_ids: ids(&["alive"]),
        })
        .unwrap();
        let quota = QuotaSeen {
            url_quota: 10,
            url_remain: 2,
            dir_quota: 5,
            dir_remain: 1,
        };
        let (dirs, urls) = allocate(&j, quota);
        assert_eq!(dirs, ["https://d/hls/"]);
        // The small video whole, then one unit of the big one; never the video still alive.
        assert_eq!(urls, ["https://d/small/0.mp4", "https://d/big/0.mp4"]);
        assert!(j.has_pending());

        // Replayed from the file, with a task done: the same state.
        j.append(Record::Sent {
            kind: Kind::IgnoreParams,
            paths: vec!["https://d/small/0.mp4".into()],
            task_ids: vec!["7".into()],
            at: 0,
        })
        .unwrap();
        j.append(Record::Done {
            task_ids: vec!["7".into()],
        })
        .unwrap();
        let again = PurgeJournal::open(&dir.path().join("j.purge")).unwrap();
        let o = again.outcome(0, quota, None);
        assert_eq!(o.purged, ids(&["small"]));
        assert_eq!(o.pending, ids(&["big", "hls"]));
    }

    proptest::proptest! {
        /// Whatever the videos and the quota: only objects of videos confirmed gone are sent,
        /// never more than the quota left of each kind, and the day is filled as far as the
        /// work allows (so the purge takes the fewest days).
        #[test]
        fn allocation_keeps_to_the_quota_and_to_gone_videos(
            videos in proptest::collection::vec((0usize..3, 0usize..5, 0u8..3), 0..12),
            dir_remain in 0u64..6,
            url_remain in 0u64..20,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut j = PurgeJournal::open(&dir.path().join("j.purge")).unwrap();
            let mut expect_dirs = 0u64;
            let mut expect_urls = 0u64;
            let mut gone_paths = BTreeSet::new();
            for (i, (dirs, urls, life)) in videos.iter().enumerate() {
                let id = format!("v{i}");
                let mut objects: Vec<PurgeObject> = (0..*dirs)
                    .map(|d| obj(Kind::Directory, &format!("https://d/{id}/{d}/")))
                    .collect();
                objects.extend((0..*urls).map(|u| obj(Kind::IgnoreParams, &format!("https://d/{id}/{u}.mp4"))));
                j.plan(&[planned(&id, objects.clone())]).unwrap();
                let vid = VideoId::new(id.clone()).unwrap();
                match life {
                    0 => {}
                    1 => j.append(Record::Alive { video_ids: vec![vid] }).unwrap(),
                    _ => {
                        j.append(Record::Gone { video_ids: vec![vid] }).unwrap();
                        expect_dirs += *dirs as u64;
                        expect_urls += *urls as u64;
                        gone_paths.extend(objects.into_iter().map(|o| o.path));
                    }
                }
            }
            let quota = QuotaSeen { url_quota: 20, url_remain, dir_quota: 6, dir_remain };
            let (dirs, urls) = allocate(&j, quota);
            proptest::prop_assert!(dirs.len() as u64 <= dir_remain);
            proptest::prop_assert!(urls.len() as u64 <= url_remain);
            proptest::prop_assert_eq!(dirs.len() as u64, expect_dirs.min(dir_remain));
            proptest::prop_assert_eq!(urls.len() as u64, expect_urls.min(url_remain));
            for p in dirs.iter().chain(&urls) {
                proptest::prop_assert!(gone_paths.contains(p), "{} is not of a gone video", p);
            }
        }
    }
}
