//! CDN purge quota efficiency (`purgeCdn`): how many deleted videos one day's purge quota
//! (2,000 URLs and 100 directories, the API's default) purges completely, for catalogues of HLS
//! videos (one directory each), MP4 videos in directories of their own (their URLs), MP4 videos
//! in a shared directory (their URLs; the directory is never purged) and a mix, with the same
//! library flow `vodplan plan` and `vodplan apply` run (purge objects derived from GetPlayInfo,
//! deletion, quota-bounded purge, tasks followed to completion) against the in-process emulator.
//!
//! The bound for each catalogue: HLS 100 a day (directories), MP4 with two streams and a cover
//! 2,000 / 3 = 666, MP4 with one stream and a cover 2,000 / 2 = 1,000; a mix uses both pools.
//!
//! Run: `cargo bench --bench purge_quota` (option: VIDEOS=1500 per catalogue). A few seconds.

use std::time::{Duration, Instant};

use vod_emulator::cdn::{CdnConfig, Layout, StreamFormat, StreamSpec};
use vod_emulator::{self as emulator, Catalog, EmulatorConfig, Video};
use vodplan::apply::purge::{PurgeJournal, run as purge_run};
use vodplan::ids::VideoId;
use vodplan::vod::request::DeleteVideo;

mod support;
use support::env_or;

fn mp4(definitions: &[&str], directory: Option<&str>) -> Option<Layout> {
    Some(Layout {
        streams: Some(
            definitions
                .iter()
                .map(|d| StreamSpec {
                    format: StreamFormat::Mp4,
                    definition: (*d).into(),
                })
                .collect(),
        ),
        directory: directory.map(String::from),
        domain: None,
    })
}

fn video(id: String, cdn: Option<Layout>) -> Video {
    Video {
        category_id: None,
        cdn,
        ..support::video(id)
    }
}

/// One catalogue: its videos all deleted, then one day's purge. Returns (videos fully purged,
/// directories and URLs spent, seconds).
async fn one_day(videos: Vec<Video>) -> (usize, u64, u64, f64) {
    let ids: Vec<VideoId> = videos
        .iter()
        .map(|v| VideoId::new(v.video_id.clone()).unwrap())
        .collect();
    let config = EmulatorConfig {
        delete_qps: 10_000,
        cdn: CdnConfig {
            refresh_delay: Duration::from_millis(50),
            ..CdnConfig::default()
        },
        ..EmulatorConfig::default()
    };
    let emu = emulator::start(
        "127.0.0.1:0".parse().unwrap(),
        Catalog::from_videos(videos),
        config,
    )
    .await
    .unwrap();
    let client = support::client(&emu.endpoint(), 1_000.0);
    let start = Instant::now();
    let plan = vodplan::plan::purge::make(&client, &ids).await.unwrap();
    for chunk in ids.chunks(20) {
        client
            .call(&DeleteVideo { video_ids: chunk })
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let mut journal = PurgeJournal::open(&dir.path().join("bench.purge")).unwrap();
    journal.plan(&plan.videos).unwrap();
    let outcome = purge_run(&client, &mut journal, &|| false).await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    let left = outcome.quota_left;
    emu.stop().await;
    (
        outcome.purged.len(),
        100 - left.dir_remain,
        2_000 - left.url_remain,
        secs,
    )
}

/// Makes the `i`th video of a catalogue.
type MakeVideo = Box<dyn Fn(usize) -> Video>;

fn main() {
    let n = env_or("VIDEOS", 1_500) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let catalogues: [(&str, MakeVideo); 4] = [
        (
            "HLS (HD + MP4 SD, own directory)",
            Box::new(|i| video(format!("hls{i:029}"), None)),
        ),
        (
            "MP4 x2 + cover, own directory",
            Box::new(|i| video(format!("own{i:029}"), mp4(&["SD", "HD"], None))),
        ),
        (
            "MP4 x1 + cover, shared directory",
            Box::new(|i| video(format!("shr{i:029}"), mp4(&["SD"], Some("media/shared")))),
        ),
        (
            "mix: 1 HLS to 4 MP4 x2 (own)",
            Box::new(|i| {
                if i % 5 == 0 {
                    video(format!("hls{i:029}"), None)
                } else {
                    video(format!("own{i:029}"), mp4(&["SD", "HD"], None))
                }
            }),
        ),
    ];
    println!(
        "purge_quota: {n} deleted videos per catalogue, one day's quota (2,000 URLs, 100 directories)"
    );
    for (name, make) in catalogues {
        let videos: Vec<Video> = (0..n).map(&make).collect();
        let (purged, dirs, urls, secs) = rt.block_on(one_day(videos));
        println!(
            "  {name:<36} {purged:>5} videos fully purged per day ({dirs} directories, {urls} URLs spent) in {secs:.1} s"
        );
    }
}
