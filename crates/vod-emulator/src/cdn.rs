//! The CDN edge in front of the emulator's videos, and the daily purge quota.
//!
//! What the edge caches: every object of every video the catalogue file named, deleted or not:
//! each stream's play URL (an HLS playlist, or one MP4 file), the segments of every HLS stream
//! (URLs GetPlayInfo never names) and the cover. Cached play objects are keyed by a signed URL
//! (`?auth_key=...`) that differs from the one GetPlayInfo hands out now, as on the real edge,
//! where every viewer's signature is another cache key; covers are cached unsigned.
//!
//! Purges (`RefreshVodObjectCaches`) become tasks that complete after a delay
//! ([`CdnConfig::refresh_delay`]); a completed task removes the objects it matches only if their
//! video is gone from the origin: while the video exists the next request fills the cache again
//! (https://www.alibabacloud.com/help/doc-detail/130620.htm, "Precautions"), and the emulator
//! counts such a purge in `purgedBeforeDelete` so that tests can assert none happened.
//!
//! A video's layout comes from its catalogue entry (`streams`, `cdnDirectory`, `cdnDomain`):
//! without them, an HLS HD stream and an MP4 SD stream in a directory of its own
//! (`/<videoId>/`) on the account's domain.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The account's CDN domain when none is configured.
pub const DEFAULT_DOMAIN: &str = "vod.emulator.test";

/// HLS segments per stream the edge caches.
pub const SEGMENTS: usize = 3;

/// The signature of the cached copies (an earlier viewer's `auth_key`).
const CACHED_AUTH_KEY: &str = "auth_key=1700000000-0-0-0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/// One stream of a catalogue video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StreamSpec {
    /// `m3u8` (HLS: a playlist plus segments) or `mp4` (one file).
    pub format: StreamFormat,
    #[serde(default = "default_definition")]
    pub definition: String,
}

fn default_definition() -> String {
    "HD".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamFormat {
    M3u8,
    Mp4,
}

impl StreamFormat {
    fn ext(self) -> &'static str {
        match self {
            StreamFormat::M3u8 => "m3u8",
            StreamFormat::Mp4 => "mp4",
        }
    }
}

/// Where a video's objects live on the CDN (a catalogue video's `cdn` key).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Layout {
    /// None: the defaults (HLS HD + MP4 SD).
    #[serde(default)]
    pub streams: Option<Vec<StreamSpec>>,
    /// A directory shared with other videos (`media/shared`); None: `/<videoId>/`, its own.
    #[serde(default)]
    pub directory: Option<String>,
    /// None: the account's first domain.
    #[serde(default)]
    pub domain: Option<String>,
}

/// What an object is, for the edge report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Play,
    Segment,
    Cover,
}

/// One object of a video on the CDN.
#[derive(Debug, Clone)]
pub struct Object {
    /// `https://domain/path` without query.
    pub url: String,
    pub kind: Kind,
    pub format: Option<StreamFormat>,
    pub definition: Option<String>,
}

impl Object {
    /// The key the edge caches it under.
    pub fn cache_key(&self) -> String {
        match self.kind {
            Kind::Cover => self.url.clone(),
            _ => format!("{}?{CACHED_AUTH_KEY}", self.url),
        }
    }
}

fn short_hash(text: &str) -> String {
    // FNV-1a: stable across runs and builds, unlike the std hasher.
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// Every object of a video on the CDN.
pub fn objects(video_id: &str, layout: Option<&Layout>, account_domain: &str) -> Vec<Object> {
    let default_streams = [
        StreamSpec {
            format: StreamFormat::M3u8,
            definition: "HD".into(),
        },
        StreamSpec {
            format: StreamFormat::Mp4,
            definition: "SD".into(),
        },
    ];
    let streams: &[StreamSpec] = layout
        .and_then(|l| l.streams.as_deref())
        .unwrap_or(&default_streams);
    let domain = layout
        .and_then(|l| l.domain.as_deref())
        .unwrap_or(account_domain);
    let shared = layout.and_then(|l| l.directory.as_deref());
    let mut out = Vec::new();
    for s in streams {
        let def = &s.definition;
        let base = match shared {
            None => format!(
                "https://{domain}/{video_id}/{}-{}",
                short_hash(&format!("{video_id}{def}{}", s.format.ext())),
                def.to_lowercase()
            ),
            Some(dir) => format!(
                "https://{domain}/{}/{video_id}-{}",
                dir.trim_matches('/'),
                def.to_lowercase()
            ),
        };
        out.push(Object {
            url: format!("{base}.{}", s.format.ext()),
            kind: Kind::Play,
            format: Some(s.format),
            definition: Some(def.clone()),
        });
        if s.format == StreamFormat::M3u8 {
            for n in 1..=SEGMENTS {
                out.push(Object {
                    url: format!("{base}-{n:05}.ts"),
                    kind: Kind::Segment,
                    format: None,
                    definition: Some(def.clone()),
                });
            }
        }
    }
    out.push(Object {
        url: match shared {
            None => format!(
                "https://{domain}/{video_id}/snapshots/{}-00001.jpg",
                short_hash(video_id)
            ),
            Some(dir) => format!(
                "https://{domain}/{}/{video_id}-cover.jpg",
                dir.trim_matches('/')
            ),
        },
        kind: Kind::Cover,
        format: None,
        definition: None,
    });
    out
}

/// How the CDN side behaves.
#[derive(Debug, Clone)]
pub struct CdnConfig {
    /// The account's CDN domains (DescribeVodUserDomains); only these can be purged.
    pub domains: Vec<String>,
    /// URLs (File, IgnoreParams) a day (the real quota: 2,000).
    pub url_quota: u64,
    /// Directories a day (the real quota: 100).
    pub dir_quota: u64,
    /// How long a purge task stays `Refreshing`.
    pub refresh_delay: Duration,
}

impl Default for CdnConfig {
    fn default() -> Self {
        CdnConfig {
            domains: vec![DEFAULT_DOMAIN.into()],
            url_quota: 2_000,
            dir_quota: 100,
            refresh_delay: Duration::from_millis(200),
        }
    }
}

/// How a purge matches cached objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeType {
    File,
    IgnoreParams,
    Directory,
}

impl PurgeType {
    /// The task's `ObjectType` as DescribeVodRefreshTasks reports it.
    pub fn task_type(self) -> &'static str {
        match self {
            PurgeType::Directory => "directory",
            _ => "file",
        }
    }
}

/// One purge task.
#[derive(Debug, Clone)]
pub struct Task {
    pub id: u64,
    pub path: String,
    pub purge: PurgeType,
    pub created: time::OffsetDateTime,
    due: Instant,
    settled: bool,
}

impl Task {
    pub fn complete(&self, now: Instant) -> bool {
        now >= self.due
    }

    pub fn to_api(&self, now: Instant) -> Value {
        let done = self.complete(now);
        json!({
            "TaskId": self.id.to_string(),
            "ObjectPath": self.path,
            "ObjectType": self.purge.task_type(),
            "Status": if done { "Complete" } else { "Refreshing" },
            "Process": if done { "100%" } else { "0%" },
            "CreationTime": crate::timefmt::format(self.created),
            "Description": "",
        })
    }
}

/// The edge and the quota.
#[derive(Debug)]
pub struct Edge {
    pub config: CdnConfig,
    pub url_remain: u64,
    pub dir_remain: u64,
    pub tasks: Vec<Task>,
    next_task: u64,
    /// Cache keys purged after their video was deleted: no longer served.
    pub gone: HashSet<String>,
    /// Purge tasks that matched objects of a video that still existed (refilled at once).
    pub purged_before_delete: u64,
    /// RefreshVodObjectCaches calls refused because the day's quota was spent.
    pub refused_for_quota: u64,
    /// The next RefreshVodObjectCaches calls to refuse (for tests: `POST /_emulator/cdn/refuse-next`).
    pub refuse_next: u64,
}

impl Edge {
    pub fn new(config: CdnConfig) -> Edge {
        Edge {
            url_remain: config.url_quota,
            dir_remain: config.dir_quota,
            config,
            tasks: Vec::new(),
            next_task: 10_000_001,
            gone: HashSet::new(),
            purged_before_delete: 0,
            refused_for_quota: 0,
            refuse_next: 0,
        }
    }

    /// The account's first domain: where videos without a `cdnDomain` are served.
    pub fn account_domain(&self) -> &str {
        self.config
            .domains
            .first()
            .map(String::as_str)
            .unwrap_or(DEFAULT_DOMAIN)
    }

    /// A new day: the quota is whole again.
    pub fn next_day(&mut self) {
        self.url_remain = self.config.url_quota;
        self.dir_remain = self.config.dir_quota;
    }

    pub fn add_task(&mut self, path: String, purge: PurgeType) -> u64 {
        let id = self.next_task;
        self.next_task += 1;
        self.tasks.push(Task {
            id,
            path,
            purge,
            created: time::OffsetDateTime::now_utc(),
            due: Instant::now() + self.config.refresh_delay,
            settled: false,
        });
        id
    }

    /// The tasks that completed and have not taken effect yet; marks them settled.
    pub fn take_completed(&mut self, now: Instant) -> Vec<Task> {
        let mut out = Vec::new();
        for t in &mut self.tasks {
            if !t.settled && t.complete(now) {
                t.settled = true;
                out.push(t.clone());
            }
        }
        out
    }
}

/// Strips `http://` or `https://`: the API takes paths with or without a scheme
/// (https://help.aliyun.com/document_detail/69215.html gives `abc.com/image/1.png`).
pub fn without_scheme(path: &str) -> &str {
    path.strip_prefix("https://")
        .or_else(|| path.strip_prefix("http://"))
        .unwrap_or(path)
}

/// The domain of an object path.
pub fn domain_of(path: &str) -> &str {
    let rest = without_scheme(path);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

/// Whether a purge of `path` matches the cached key `key`.
pub fn matches(purge: PurgeType, path: &str, key: &str) -> bool {
    let path = without_scheme(path.trim());
    let key = without_scheme(key);
    let bare = |s: &str| s.split('?').next().unwrap_or(s).to_string();
    match purge {
        PurgeType::File => path == key,
        PurgeType::IgnoreParams => bare(path) == bare(key),
        PurgeType::Directory => {
            let dir = if path.ends_with('/') {
                path.to_string()
            } else {
                format!("{path}/")
            };
            bare(key).starts_with(&dir)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hls_in_its_own_directory_has_segments_under_it() {
        let objs = objects("v1", None, DEFAULT_DOMAIN);
        assert_eq!(objs.len(), 1 + SEGMENTS + 1 + 1);
        assert!(
            objs.iter()
                .all(|o| o.url.starts_with("https://vod.emulator.test/v1/"))
        );
        let dir = "https://vod.emulator.test/v1/";
        assert!(
            objs.iter()
                .all(|o| matches(PurgeType::Directory, dir, &o.cache_key()))
        );
    }

    #[test]
    fn file_purges_miss_other_signatures_and_ignore_params_does_not() {
        let objs = objects("v1", None, DEFAULT_DOMAIN);
        let play = &objs[0];
        let handed_out = format!("{}?auth_key=1800000000-0-0-ffff", play.url);
        assert!(!matches(PurgeType::File, &handed_out, &play.cache_key()));
        assert!(matches(
            PurgeType::IgnoreParams,
            &handed_out,
            &play.cache_key()
        ));
        assert!(!matches(
            PurgeType::Directory,
            "https://vod.emulator.test/v",
            &play.cache_key()
        ));
    }
}
