//! Rendering a plan of 1,000,000 deletions in every format (text, JSON, Markdown, CSV, HTML):
//! the time to render and the memory it takes, each format in a process of its own (the bench
//! runs itself once per format), so one format's peak does not hide another's.
//!
//! The plan is built in memory as `plan` would make it: one `match` selector and 20 video IDs,
//! realistic titles, statuses, sizes, times, categories, tags and storage classes, 10,000
//! protected videos, covers on every other video.
//!
//! Run: `cargo bench --bench render_scale` (option: DELETIONS=1000000). Reported per format: the
//! render time, the output's size, and the peak resident memory of the process before and after
//! rendering (the difference is what rendering took). Figures are in BENCHMARKS.md.
//!
//! Measured 2026-12-05 (2 shared cores, release), 1,000,000 deletions, 725 MiB before rendering:
//! text 3.13 s (+294 MiB), json 1.80 s (+551 MiB), markdown 0.62 s (+8 MiB), csv 2.50 s
//! (+292 MiB), html 1.23 s (+228 MiB): each about its output's size.

use std::sync::Arc;
use std::time::Instant;

use vodplan::ids::VideoId;
use vodplan::manifest::Location;
use vodplan::plan::{Cover, Deletion, Fingerprint, Plan, Protection, SelectedBy};
use vodplan::render::{self, Format, PlanContext};

mod support;
use support::{env_or, peak_rss_mib};

const FORMATS: [(&str, Format); 5] = [
    ("text", Format::Text),
    ("json", Format::Json),
    ("markdown", Format::Markdown),
    ("csv", Format::Csv),
    ("html", Format::Html),
];

fn plan(n: usize) -> Plan {
    let file: Arc<str> = "manifests/cleanup.yaml".into();
    let selector = SelectedBy::Match(
        "match {status in [UploadFail], created before 2026-09-06T10:00:00Z (90 days before this plan)}"
            .into(),
    );
    let classes = ["Standard", "Standard", "IA", "Archive", "ColdArchive"];
    let deletions = (0..n)
        .map(|i| {
            let created = format!(
                "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                2019 + i % 7,
                1 + i % 12,
                1 + i % 28,
                i % 24,
                i % 60,
                (i / 60) % 60
            );
            let by_id = i < 20;
            Deletion {
                video_id: VideoId::new(format!("{i:032x}")).unwrap(),
                selected_by: if by_id {
                    SelectedBy::VideoId
                } else {
                    selector.clone()
                },
                reason: by_id.then(|| "licence expired (LEGAL-1234)".to_string()),
                source: Location::new(&file, if by_id { 10 + i as u32 } else { 4 }, 5),
                observed: Fingerprint {
                    status: if i % 9 == 0 {
                        "TranscodeFail"
                    } else {
                        "UploadFail"
                    }
                    .into(),
                    size: Some(10_485_760 + (i as i64 * 7919) % 2_000_000_000),
                    creation_time: Some(created.clone()),
                    modification_time: Some(created),
                    title: format!("campaign upload {i} (retry, final cut)"),
                    reference_id: None,
                    tags: Some(format!("batch-{},imported", i % 40)),
                    category_id: Some(1000 + (i % 25) as i64),
                    storage_class: Some(classes[i % classes.len()].into()),
                },
            }
        })
        .collect();
    let protected = (0..10_000)
        .map(|i| Protection {
            video_id: VideoId::new(format!("f{i:031x}")).unwrap(),
            title: format!("legal hold {i}"),
            kept_by: Location::new(&file, 30, 5),
            selected_by: Location::new(&file, 4, 5),
        })
        .collect();
    let covers = (0..n)
        .step_by(2)
        .map(|i| Cover {
            video_id: VideoId::new(format!("{i:032x}")).unwrap(),
            url: format!("https://cdn.example.com/cover/{i:032x}.jpg?auth_key=1733390000-0-0-0123456789abcdef"),
        })
        .collect();
    Plan {
        deletions,
        protected,
        covers,
        selector_seen: n + 10_000,
        ..Plan::default()
    }
}

/// One format, in this process: build, render, report one line.
fn child(name: &str, n: usize) {
    let format = FORMATS.iter().find(|(f, _)| *f == name).unwrap().1;
    let plan = plan(n);
    let ctx = PlanContext {
        region: "cn-shanghai".into(),
        region_source: "from the manifests".into(),
        endpoint: "https://vod.cn-shanghai.aliyuncs.com".into(),
        digest: "0123456789ab".into(),
        created_at: "2026-12-05T10:00:00Z".into(),
        full_report: vec!["plan.html".into(), "plan.csv".into()],
        thumbnails: true,
        ..PlanContext::default()
    };
    let before = peak_rss_mib();
    let t = Instant::now();
    let out = render::plan(&plan, &ctx, format, false);
    let took = t.elapsed();
    let after = peak_rss_mib();
    println!(
        "{name:<9} {:>8.2} s {:>9.1} MiB out {:>9.1} MiB peak before {:>9.1} MiB peak after (+{:.1})",
        took.as_secs_f64(),
        out.len() as f64 / (1 << 20) as f64,
        before,
        after,
        after - before
    );
}

fn main() {
    let n = env_or("DELETIONS", 1_000_000) as usize;
    if let Ok(name) = std::env::var("RENDER_SCALE_FORMAT") {
        child(&name, n);
        return;
    }
    println!("render_scale: a plan of {n} deletions, each format in its own process");
    let exe = std::env::current_exe().unwrap();
    for (name, _) in FORMATS {
        let status = std::process::Command::new(&exe)
            .env("RENDER_SCALE_FORMAT", name)
            .env("DELETIONS", n.to_string())
            .status()
            .unwrap();
        assert!(status.success(), "{name}: {status}");
    }
}
