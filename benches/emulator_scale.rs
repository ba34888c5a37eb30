//! The emulator at the scale of the biggest accounts: loading a JSON catalogue of 1,000,000 and
//! 10,000,000 generated videos (time and peak memory), and the emulator's own time per
//! SearchMedia page, scroll continuation and GetVideoList page at that size, calling the action
//! functions directly in process (no HTTP, no signature: only the emulator's work).
//! Targets: load under 60 s and 8 GB at 10,000,000; every page under 2 ms.
//!
//! Run: `cargo bench --bench emulator_scale` (option: SIZES=1000000,10000000).
//!
//! Measured on the shared 2-core development machine (medians; worst cases there reach 5-10 ms
//! when other jobs run):
//! - 1,000,000 videos (221 MB JSON): load 2.5-4.4 s, peak RSS 437 MiB.
//! - 10,000,000 videos (2.2 GB JSON): load 25-30 s, peak RSS 4.36 GiB. SearchMedia first page,
//!   continuation and page 50: 0.7-1.4 ms for status+time, category, tag, all four combined and
//!   no filter; a first call of a new multi-clause combination ~1.7 ms (later calls reuse it);
//!   GetVideoList pages 0.45 ms. A fuzzy title match is not indexed: ~0.5 s over 10,000,000.

use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

use vod_emulator::Catalog;
use vod_emulator::actions::{self, Limits, Params, Scrolls};

mod support;
use support::peak_rss_mib;

/// Resets the peak to the current size (Linux: `5` into clear_refs).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// 2018-01-01T00:00:00Z
const T0: i64 = 1_514_764_800;

/// Writes `n` videos over 7 years in creation order (ties every few videos): 5% UploadFail,
/// 14% in category 1003 (a legal hold), a third tagged, two storage locations.
fn generate(path: &std::path::Path, n: usize) {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    w.write_all(b"{\"videos\":[\n").unwrap();
    let span = 7 * 365 * 86_400i64;
    for i in 0..n {
        let t = T0 + (i as i64 * span / n as i64) / 4 * 4;
        let created = time::OffsetDateTime::from_unix_timestamp(t).unwrap();
        let status = match rng.u8(..100) {
            0..5 => "UploadFail",
            5..8 => "Blocked",
            8..10 => "Transcoding",
            _ => "Normal",
        };
        let cate = if rng.u8(..100) < 14 {
            1003
        } else {
            1000 + rng.i64(0..10)
        };
        let tags = match rng.u8(..6) {
            0 => ",\"tags\":\"promo,2023\"",
            1 => ",\"tags\":[\"legal\"]",
            _ => "",
        };
        writeln!(
            w,
            "{}{{\"videoId\":\"{:032x}\",\"title\":\"clip {i}\",\"status\":\"{status}\",\"categoryId\":{cate},\"creationTime\":\"{}\",\"size\":{},\"storageLocation\":\"in-{}.oss-cn-shanghai.aliyuncs.com\"{tags}}}",
            if i == 0 { "" } else { "," },
            (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835),
            vodplan::timefmt::format(created),
            rng.u32(..1 << 30),
            ["a", "b"][rng.usize(..2)],
        )
        .unwrap();
    }
    w.write_all(b"]}\n").unwrap();
    w.flush().unwrap();
}

fn params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Median and worst of `runs` calls of `f`.
fn time_calls(runs: usize, mut f: impl FnMut(usize)) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[runs / 2], times[runs - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn bench(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.json");
    let start = Instant::now();
    generate(&path, n);
    let bytes = std::fs::metadata(&path).unwrap().len();
    println!(
        "\n{n} videos: generated {:.0} MB of JSON in {:.1} s",
        bytes as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    reset_peak();
    let before = peak_rss_mib();
    let start = Instant::now();
    let catalog = Catalog::load(&path).unwrap();
    let load = start.elapsed();
    println!(
        "  load: {:.1} s, peak RSS {:.0} MiB (before: {:.0} MiB), {} videos",
        load.as_secs_f64(),
        peak_rss_mib(),
        before,
        catalog.len()
    );
    let limits = Limits::default();
    let mut scrolls = Scrolls::default();
    let delete = "Status in ('UploadFail') and CreationTime = [,'2023-01-01T00:00:00Z')";
    let searches: [(&str, &str); 5] = [
        ("delete selector (status + time)", delete),
        ("keep selector (CateId = 1003)", "CateId = 1003"),
        ("tag", "Tags = 'legal'"),
        (
            "status + category + tag + time",
            "Status in ('Normal','Blocked') and CateId = 1003 and Tags in ('promo','legal') and CreationTime = ['2020-01-01T00:00:00Z','2021-01-01T00:00:00Z')",
        ),
        ("everything", ""),
    ];
    for (name, expression) in searches {
        let p = params(&[
            ("Match", expression),
            ("SortBy", "CreationTime:Asc"),
            ("PageSize", "100"),
        ]);
        let mut total = 0;
        let (first, first_worst) = time_calls(50, |_| {
            let r = actions::search_media(&catalog, &p, &mut scrolls, limits).unwrap();
            total = r["Total"].as_u64().unwrap();
        });
        // A traversal: 200 continuations in a row.
        let mut token =
            actions::search_media(&catalog, &p, &mut scrolls, limits).unwrap()["ScrollToken"]
                .as_str()
                .unwrap()
                .to_string();
        let mut next = p.clone();
        let (cont, cont_worst) = time_calls(200, |_| {
            if token.is_empty() {
                return;
            }
            next.insert("ScrollToken".into(), token.clone());
            let r = actions::search_media(&catalog, &next, &mut scrolls, limits).unwrap();
            token = r["ScrollToken"].as_str().unwrap().to_string();
        });
        // Page 50 of plain paging (the last one within 5,000), descending.
        let mut deep = p.clone();
        deep.insert("SortBy".into(), "CreationTime:Desc".into());
        deep.insert("PageNo".into(), "50".into());
        let (page50, _) = time_calls(50, |_| {
            actions::search_media(&catalog, &deep, &mut scrolls, limits).unwrap();
        });
        println!(
            "  SearchMedia {name} (Total {total}): first page {} (worst {}), continuation {} (worst {}), page 50 desc {}",
            ms(first),
            ms(first_worst),
            ms(cont),
            ms(cont_worst),
            ms(page50)
        );
    }
    let title = params(&[("Match", "Title = 'clip 12345'"), ("PageSize", "100")]);
    let (fuzzy, _) = time_calls(3, |_| {
        actions::search_media(&catalog, &title, &mut scrolls, limits).unwrap();
    });
    println!(
        "  SearchMedia fuzzy title (not indexed: scans every candidate): {}",
        ms(fuzzy)
    );
    let list: [(&str, Vec<(&str, &str)>); 2] = [
        (
            "Status=UploadFail, [2018, 2023)",
            vec![
                ("Status", "UploadFail"),
                ("StartTime", "2018-01-01T00:00:00Z"),
                ("EndTime", "2023-01-01T00:00:00Z"),
            ],
        ),
        ("CateId=1003", vec![("CateId", "1003")]),
    ];
    for (name, filters) in list {
        for page in ["1", "50"] {
            let mut p = params(&filters);
            p.extend(params(&[
                ("PageSize", "100"),
                ("PageNo", page),
                ("SortBy", "CreationTime:Asc"),
            ]));
            let mut total = 0;
            let (t, worst) = time_calls(50, |_| {
                let r = actions::get_video_list(&catalog, &p, limits).unwrap();
                total = r["Total"].as_u64().unwrap();
            });
            println!(
                "  GetVideoList {name} (Total {total}) page {page}: {} (worst {})",
                ms(t),
                ms(worst)
            );
        }
    }
    println!("  scroll cursors kept: {}", scrolls.len());
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SIZES")
        .unwrap_or_else(|_| "1000000,10000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    for n in sizes {
        bench(n);
    }
}
