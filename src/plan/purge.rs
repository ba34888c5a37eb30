//! The CDN purge of a takedown (`purgeCdn`): what to purge for each video the plan deletes, with
//! the fewest quota units, and what cannot be purged and why.
//!
//! What the platform allows (RefreshVodObjectCaches, https://help.aliyun.com/document_detail/69215.html):
//! RefreshVodObjectCaches purges URLs (`IgnoreParams`: every cached variant whatever its query,
//! so every signed `auth_key`) or directories, 2,000 URLs and 100 directories per account per
//! day. GetPlayInfo (`ResultType=Multiple`) names every stream's play URL, and `VideoBase.CoverURL`
//! the cover, but only for a `Normal` video, and never the segments of an HLS stream: only a
//! directory purge of a directory that holds that video alone (its path is `/<videoId>/...`)
//! reaches them. So, per video and CDN domain:
//! - its objects under `/<videoId>/` that include an HLS playlist: one directory;
//! - any other object: its URL with `IgnoreParams` (one URL unit each);
//! - an HLS playlist outside a directory of its own: the playlist's URL, and its segments are
//!   listed as not purgeable (a shared directory is never purged for one video);
//! - a URL on a domain that is not the account's (DescribeVodUserDomains): not purgeable;
//! - no URL known (GetPlayInfo refused, e.g. a Blocked video): not purgeable.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::VideoId;
use crate::vod::cdn::{
    DescribeVodRefreshQuota, DescribeVodUserDomains, GetPlayInfo, PurgeKind, RefreshQuota,
};
use crate::vod::{ApiError, Client};

/// The purge part of a plan.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurgePlan {
    /// The account's CDN domains when the plan was made.
    pub domains: Vec<String>,
    /// The day's purge quota and what remained of it when the plan was made.
    pub quota: QuotaSeen,
    /// One per deletion with `purgeCdn`, in the plan's order.
    pub videos: Vec<VideoPurge>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaSeen {
    pub url_quota: u64,
    pub url_remain: u64,
    pub dir_quota: u64,
    pub dir_remain: u64,
}

impl From<RefreshQuota> for QuotaSeen {
    fn from(q: RefreshQuota) -> Self {
        QuotaSeen {
            url_quota: q.url_quota,
            url_remain: q.url_remain,
            dir_quota: q.dir_quota,
            dir_remain: q.dir_remain,
        }
    }
}

/// What will be purged of one video, and what cannot be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoPurge {
    pub video_id: VideoId,
    pub objects: Vec<PurgeObject>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unpurgeable: Vec<Unpurgeable>,
}

/// One RefreshVodObjectCaches object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurgeObject {
    pub kind: Kind,
    pub path: String,
}

/// A purge object's kind (the API's `ObjectType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    Directory,
    IgnoreParams,
}

impl Kind {
    pub fn api(self) -> PurgeKind {
        match self {
            Kind::Directory => PurgeKind::Directory,
            Kind::IgnoreParams => PurgeKind::IgnoreParams,
        }
    }
}

/// Something the CDN may serve that cannot be purged, and why: vodplan's finding, worded once
/// ([`Unpurgeable::what`], [`Unpurgeable::reason`]), which is also how a saved plan and the purge
/// journal record it (`{"what": ..., "reason": ...}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unpurgeable {
    /// A play URL that is not http(s).
    NotHttp { url: String },
    /// A play URL (without its query) on a domain that is not one of the account's CDN domains.
    ForeignDomain { url: String, domain: String },
    /// The HLS segments of this playlist, which is not in a directory of the video's own.
    HlsSegments { playlist: String },
    /// GetPlayInfo named no URL.
    NoUrl,
    /// GetPlayInfo named no URL: it gives them only for a Normal video (the API's error code).
    NotNormal { code: String },
    /// A pair a saved plan or journal records that this version does not word (an older or
    /// newer vodplan wrote it): shown as it is.
    Recorded { what: String, reason: String },
}

const EVERY_OBJECT: &str = "every object of the video";
const HLS_OF: &str = "the HLS segments of ";
const FOREIGN: &str = " is not one of the account's CDN domains";
const NOT_NORMAL: &str = "no URL known: GetPlayInfo gives URLs only for a Normal video (";

impl Unpurgeable {
    /// What cannot be purged, for people.
    pub fn what(&self) -> String {
        match self {
            Unpurgeable::NotHttp { url } | Unpurgeable::ForeignDomain { url, .. } => url.clone(),
            Unpurgeable::HlsSegments { playlist } => format!("{HLS_OF}{playlist}"),
            Unpurgeable::NoUrl | Unpurgeable::NotNormal { .. } => EVERY_OBJECT.to_string(),
            Unpurgeable::Recorded { what, .. } => what.clone(),
        }
    }

    /// Why it cannot be purged, for people.
    pub fn reason(&self) -> String {
        match self {
            Unpurgeable::NotHttp { .. } => "not an http(s) URL".to_string(),
            Unpurgeable::ForeignDomain { domain, .. } => format!("{domain}{FOREIGN}"),
            Unpurgeable::HlsSegments { .. } => "the playlist is not in a directory of the video's own and GetPlayInfo does not name segments; a shared directory is never purged for one video".to_string(),
            Unpurgeable::NoUrl => "no URL known: GetPlayInfo named none".to_string(),
            Unpurgeable::NotNormal { code } => format!("{NOT_NORMAL}{code})"),
            Unpurgeable::Recorded { reason, .. } => reason.clone(),
        }
    }

    /// The finding a recorded pair words, exactly; [`Unpurgeable::Recorded`] when it is none of
    /// this version's.
    pub fn read(what: &str, reason: &str) -> Unpurgeable {
        let candidates = [
            Some(Unpurgeable::NotHttp { url: what.into() }),
            reason
                .strip_suffix(FOREIGN)
                .map(|domain| Unpurgeable::ForeignDomain {
                    url: what.into(),
                    domain: domain.into(),
                }),
            what.strip_prefix(HLS_OF)
                .map(|playlist| Unpurgeable::HlsSegments {
                    playlist: playlist.into(),
                }),
            Some(Unpurgeable::NoUrl),
            reason
                .strip_prefix(NOT_NORMAL)
                .and_then(|r| r.strip_suffix(')'))
                .map(|code| Unpurgeable::NotNormal { code: code.into() }),
        ];
        // Only a finding that words both texts exactly stands for them.
        candidates
            .into_iter()
            .flatten()
            .find(|u| u.what() == what && u.reason() == reason)
            .unwrap_or_else(|| Unpurgeable::Recorded {
                what: what.into(),
                reason: reason.into(),
            })
    }
}

/// How an [`Unpurgeable`] is recorded.
#[derive(Serialize, Deserialize)]
struct UnpurgeableRecord {
    what: String,
    reason: String,
}

impl Serialize for Unpurgeable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        UnpurgeableRecord {
            what: self.what(),
            reason: self.reason(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Unpurgeable {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = UnpurgeableRecord::deserialize(d)?;
        Ok(Unpurgeable::read(&r.what, &r.reason))
    }
}

/// Quota units: directories and URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Units {
    pub dirs: u64,
    pub urls: u64,
}

impl VideoPurge {
    pub fn units(&self) -> Units {
        let dirs = self
            .objects
            .iter()
            .filter(|o| o.kind == Kind::Directory)
            .count() as u64;
        Units {
            dirs,
            urls: self.objects.len() as u64 - dirs,
        }
    }
}

impl PurgePlan {
    pub fn units(&self) -> Units {
        self.videos.iter().fold(Units::default(), |a, v| {
            let u = v.units();
            Units {
                dirs: a.dirs + u.dirs,
                urls: a.urls + u.urls,
            }
        })
    }

    /// Days the purge needs: today's remaining quota, then a whole quota each further day.
    /// None when the quota is zero but units are needed.
    pub fn days_needed(&self) -> Option<u64> {
        days_needed(self.units(), self.quota)
    }

    /// The purge of a video, if planned.
    pub fn of(&self, id: &VideoId) -> Option<&VideoPurge> {
        self.videos.iter().find(|v| &v.video_id == id)
    }
}

/// Days `need` takes at `quota` (today's remainder first): the least `d` such that
/// `remain + (d - 1) * quota` covers both directories and URLs.
pub fn days_needed(need: Units, quota: QuotaSeen) -> Option<u64> {
    fn one(need: u64, remain: u64, full: u64) -> Option<u64> {
        if need == 0 {
            return Some(0);
        }
        if need <= remain {
            return Some(1);
        }
        if full == 0 {
            return None;
        }
        Some(1 + (need - remain).div_ceil(full))
    }
    Some(one(need.dirs, quota.dir_remain, quota.dir_quota)?.max(one(
        need.urls,
        quota.url_remain,
        quota.url_quota,
    )?))
}

/// One URL GetPlayInfo named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownUrl {
    pub url: String,
    /// An HLS playlist (its segments are not named).
    pub hls: bool,
}

/// Splits `https://domain/path?query` into the domain and the path without query.
fn split_url(url: &str) -> Option<(String, String)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (domain, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    (!domain.is_empty()).then(|| (domain.to_ascii_lowercase(), path.to_string()))
}

/// The purge objects of one video from the URLs known of it (pure; see the module doc).
pub fn derive(video_id: &VideoId, urls: &[KnownUrl], domains: &[String]) -> VideoPurge {
    let mut unpurgeable = Vec::new();
    let mut objects: BTreeSet<PurgeObject> = BTreeSet::new();
    // Per domain: the paths under the video's own directory, and whether they include HLS.
    let mut own: BTreeMap<String, (Vec<String>, bool)> = BTreeMap::new();
    let mut others: Vec<(String, String, bool)> = Vec::new();
    let prefix = format!("/{}/", video_id.as_str());
    for u in urls {
        let Some((domain, path)) = split_url(&u.url) else {
            unpurgeable.push(Unpurgeable::NotHttp { url: u.url.clone() });
            continue;
        };
        if !domains.iter().any(|d| d.eq_ignore_ascii_case(&domain)) {
            unpurgeable.push(Unpurgeable::ForeignDomain {
                url: u.url.split('?').next().unwrap_or(&u.url).to_string(),
                domain,
            });
            continue;
        }
        if path.starts_with(&prefix) {
            let e = own.entry(domain).or_default();
            e.0.push(path);
            e.1 |= u.hls;
        } else {
            others.push((domain, path, u.hls));
        }
    }
    for (domain, (paths, hls)) in own {
        if hls {
            objects.insert(PurgeObject {
                kind: Kind::Directory,
                path: format!("https://{domain}{prefix}"),
            });
        } else {
            for p in paths {
                objects.insert(PurgeObject {
                    kind: Kind::IgnoreParams,
                    path: format!("https://{domain}{p}"),
                });
            }
        }
    }
    for (domain, path, hls) in others {
        let url = format!("https://{domain}{path}");
        if hls {
            unpurgeable.push(Unpurgeable::HlsSegments {
                playlist: url.clone(),
            });
        }
        objects.insert(PurgeObject {
            kind: Kind::IgnoreParams,
            path: url,
        });
    }
    VideoPurge {
        video_id: video_id.clone(),
        objects: objects.into_iter().collect(),
        unpurgeable,
    }
}

/// The URLs GetPlayInfo names for a video: every stream's play URL and the cover.
pub async fn known_urls(client: &Client, id: &VideoId) -> Result<Vec<KnownUrl>, ApiError> {
    let r = client.call(&GetPlayInfo { video_id: id }).await?;
    let mut urls: Vec<KnownUrl> = r
        .play_info_list
        .play_info
        .iter()
        .filter(|p| !p.play_url.is_empty())
        .map(|p| KnownUrl {
            hls: p
                .format
                .as_deref()
                .is_some_and(|f| f.eq_ignore_ascii_case("m3u8"))
                || p.play_url
                    .split('?')
                    .next()
                    .is_some_and(|u| u.ends_with(".m3u8")),
            url: p.play_url.clone(),
        })
        .collect();
    if let Some(cover) = r
        .video_base
        .and_then(|b| b.cover_url)
        .filter(|c| !c.is_empty())
    {
        urls.push(KnownUrl {
            url: cover,
            hls: false,
        });
    }
    Ok(urls)
}

/// The account's CDN domains, every page.
pub async fn account_domains(client: &Client) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for page in 1..=200 {
        let r = client
            .call(&DescribeVodUserDomains {
                page_number: page,
                page_size: 50,
            })
            .await?;
        let n = r.domains.page_data.len();
        out.extend(
            r.domains
                .page_data
                .into_iter()
                .map(|d| d.domain_name.to_ascii_lowercase()),
        );
        if n < 50 || out.len() as u64 >= r.total_count {
            break;
        }
    }
    Ok(out)
}

/// Today's purge quota.
pub async fn quota(client: &Client) -> Result<QuotaSeen, ApiError> {
    client.call(&DescribeVodRefreshQuota).await.map(Into::into)
}

/// The purge of one video: from the URLs GetPlayInfo names now, or, when it names none, the
/// reason listed.
pub async fn video(client: &Client, id: &VideoId, domains: &[String]) -> VideoPurge {
    match known_urls(client, id).await {
        Ok(urls) if !urls.is_empty() => derive(id, &urls, domains),
        Ok(_) => VideoPurge {
            video_id: id.clone(),
            objects: Vec::new(),
            unpurgeable: vec![Unpurgeable::NoUrl],
        },
        Err(e) => VideoPurge {
            video_id: id.clone(),
            objects: Vec::new(),
            unpurgeable: vec![Unpurgeable::NotNormal {
                code: e.code.to_string(),
            }],
        },
    }
}

/// Reads the purge of `ids`: the account's domains, today's quota and each video's URLs.
pub async fn make(client: &Arc<Client>, ids: &[VideoId]) -> Result<PurgePlan, ApiError> {
    let domains = account_domains(client).await?;
    let quota = quota(client).await?;
    let mut videos: Vec<Option<VideoPurge>> = vec![None; ids.len()];
    crate::vod::concurrency::bounded(
        ids.iter().enumerate(),
        16,
        |(i, id)| {
            let client = client.clone();
            let domains = &domains;
            async move { Ok::<_, ApiError>((i, video(&client, id, domains).await)) }
        },
        |(i, v), _| {
            videos[i] = Some(v);
            Ok(())
        },
    )
    .await?;
    Ok(PurgePlan {
        domains,
        quota,
        videos: videos.into_iter().flatten().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> VideoId {
        VideoId::new(s.to_string()).unwrap()
    }

    #[test]
    fn unpurgeable_findings_are_recorded_as_their_words_and_read_back() {
        let all = [
            Unpurgeable::NotHttp {
                url: "rtmp://d.test/v1/a.mp4".into(),
            },
            Unpurgeable::ForeignDomain {
                url: "https://other.example.org/v1/a.mp4".into(),
                domain: "other.example.org".into(),
            },
            Unpurgeable::HlsSegments {
                playlist: "https://d.test/shared/a.m3u8".into(),
            },
            Unpurgeable::NoUrl,
            Unpurgeable::NotNormal {
                code: "Forbidden.IllegalStatus".into(),
            },
        ];
        for u in all {
            let json = serde_json::to_string(&u).unwrap();
            // The same two fields as ever, in the same order.
            assert_eq!(
                json,
                format!(
                    "{{\"what\":{},\"reason\":{}}}",
                    serde_json::to_string(&u.what()).unwrap(),
                    serde_json::to_string(&u.reason()).unwrap()
                )
            );
            assert_eq!(serde_json::from_str::<Unpurgeable>(&json).unwrap(), u);
        }
        // A pair this version does not word is kept as it is, and written back the same.
        let json = r#"{"what":"every object of the video","reason":"something newer"}"#;
        let u: Unpurgeable = serde_json::from_str(json).unwrap();
        assert!(matches!(u, Unpurgeable::Recorded { .. }));
        assert_eq!(serde_json::to_string(&u).unwrap(), json);
    }

    fn url(u: &str, hls: bool) -> KnownUrl {
        KnownUrl { url: u.into(), hls }
    }

    #[test]
    fn hls_in_its_own_directory_is_one_directory() {
        let p = derive(
            &id("v1"),
            &[
                url("https://cdn.example.com/v1/a-hd.m3u8?auth_key=1", true),
                url("https://cdn.example.com/v1/b-sd.mp4?auth_key=2", false),
                url("https://cdn.example.com/v1/snapshots/c.jpg", false),
            ],
            &["cdn.example.com".into()],
        );
        assert_eq!(
            p.objects,
            [PurgeObject {
                kind: Kind::Directory,
                path: "https://cdn.example.com/v1/".into()
            }]
        );
        assert!(p.unpurgeable.is_empty());
    }

    #[test]
    fn mp4_and_shared_directories_are_urls_and_foreign_domains_are_listed() {
        let p = derive(
            &id("v1"),
            &[
                url("https://cdn.example.com/v1/b-sd.mp4?auth_key=2", false),
                url("https://cdn.example.com/shared/v1-hd.m3u8?auth_key=2", true),
                url("https://other.example.org/v1/c.jpg", false),
            ],
            &["cdn.example.com".into()],
        );
        assert_eq!(p.units(), Units { dirs: 0, urls: 2 });
        assert_eq!(p.unpurgeable.len(), 2);
        assert!(p.unpurgeable[0].reason().contains("other.example.org"));
        assert!(p.unpurgeable[1].what().contains("HLS segments"));
    }

    #[test]
    fn days_are_the_least_the_quota_allows() {
        let q = QuotaSeen {
            url_quota: 10,
            url_remain: 4,
            dir_quota: 2,
            dir_remain: 2,
        };
        assert_eq!(days_needed(Units { dirs: 0, urls: 0 }, q), Some(0));
        assert_eq!(days_needed(Units { dirs: 2, urls: 4 }, q), Some(1));
        assert_eq!(days_needed(Units { dirs: 3, urls: 4 }, q), Some(2));
        assert_eq!(days_needed(Units { dirs: 1, urls: 25 }, q), Some(4));
        let none = QuotaSeen::default();
        assert_eq!(days_needed(Units { dirs: 1, urls: 0 }, none), None);
    }
}
