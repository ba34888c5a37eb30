//! The safety invariants, over random manifests, catalogues and faults:
//! - a video that any keep entry names is never deleted;
//! - nothing outside the plan is deleted, and every planned video ends deleted, absent or reported.
//!
//! The diff is checked as a pure function over many cases; the executor is checked against the
//! real emulator (in-process, over loopback HTTP with real signatures) with random faults.

use std::collections::HashSet;
use std::sync::Arc;

use proptest::prelude::*;
use vod_emulator::{self as emulator, Catalog, EmulatorConfig, Video};
use vodplan::apply::{self, Interrupt};
use vodplan::ids::{ReferenceId, VideoId, VideoRef};
use vodplan::manifest::{DesiredState, Entry, Location, Selector, Target};
use vodplan::state::Observed;
use vodplan::vod::api::VideoInfo;
use vodplan::vod::{Client, ClientConfig, Credentials, Endpoint, RetryPolicy, SignatureVersion};

fn vid(i: u8) -> String {
    format!("{i:032x}")
}

fn rid(i: u8) -> String {
    format!("ref-{i:04}")
}

fn loc(line: u32) -> Location {
    Location {
        file: "m.yaml".into(),
        line,
        column: 5,
    }
}

#[derive(Debug, Clone)]
enum E {
    Video(u8),
    Reference(u8),
    Category(i64),
}

fn entry(e: &E, line: u32) -> Entry {
    let target = match e {
        E::Video(i) => Target::Id(VideoRef::Video(VideoId::new(vid(*i)).unwrap())),
        E::Reference(i) => Target::Id(VideoRef::Reference(ReferenceId::new(rid(*i)).unwrap())),
        E::Category(c) => Target::Match(Box::new(Selector {
            category_id: Some(*c),
            ..Selector::default()
        })),
    };
    Entry {
        target,
        reason: None,
        quarantine: None,
        purge_cdn: false,
        location: loc(line),
    }
}

fn arb_entry() -> impl Strategy<Value = E> {
    prop_oneof![
        (0u8..40).prop_map(E::Video),
        (0u8..40).prop_map(E::Reference),
        (0i64..4).prop_map(E::Category)
    ]
}

/// A catalogue of some of videos 0..40: (id, has reference, category).
fn arb_catalog() -> impl Strategy<Value = Vec<(u8, bool, i64)>> {
    proptest::collection::vec((0u8..40, any::<bool>(), 0i64..4), 0..40)
}

/// What `state::observe` reads for this desired state: the videos and references `delete` names
/// (asked with GetVideoInfos), plus every catalogue video (a superset of the selectors' candidates:
/// the diff must decide correctly whatever else was observed).
fn observe(catalog: &[(u8, bool, i64)], desired: &DesiredState) -> Observed {
    let infos: Vec<VideoInfo> = catalog
        .iter()
        .map(|(i, has_ref, cat)| VideoInfo {
            video_id: vid(*i),
            reference_id: has_ref.then(|| rid(*i)),
            cate_id: Some(*cat),
            status: "Normal".into(),
            ..VideoInfo::default()
        })
        .collect();
    let mut asked_v = Vec::new();
    let mut asked_r = Vec::new();
    for e in &desired.delete {
        match &e.target {
            Target::Id(VideoRef::Video(v)) => asked_v.push(v.clone()),
            Target::Id(VideoRef::Reference(r)) => asked_r.push(r.clone()),
            Target::Match(_) => {}
        }
    }
    let mut o = Observed::default();
    o.record(&asked_v, &asked_r, infos.clone());
    o
}

/// One row per video ID (the last wins), as a catalogue holds it.
fn one_row_each(catalog: &[(u8, bool, i64)]) -> Vec<(u8, bool, i64)> {
    let mut rows: std::collections::BTreeMap<u8, (bool, i64)> = Default::default();
    for (i, has_ref, cat) in catalog {
        rows.insert(*i, (*has_ref, *cat));
    }
    rows.iter().map(|(i, (r, c))| (*i, *r, *c)).collect()
}

/// Every video a keep entry names, resolved against the whole catalogue.
fn kept_ids(catalog: &[(u8, bool, i64)], keep: &[E]) -> HashSet<String> {
    let mut out = HashSet::new();
    for k in keep {
        match k {
            E::Video(i) => {
                out.insert(vid(*i));
            }
            E::Reference(i) => {
                // The last catalogue row for an ID wins (as in the observed map).
                if let Some((id, _, _)) = catalog.iter().rev().find(|(id, has, _)| *has && id == i)
                {
                    out.insert(vid(*id));
                }
            }
            E::Category(c) => out.extend(
                catalog
                    .iter()
                    .filter(|(_, _, cat)| cat == c)
                    .map(|(id, _, _)| vid(*id)),
            ),
        }
    }
    out
}

fn wanted_ids(catalog: &[(u8, bool, i64)], delete: &[E]) -> HashSet<String> {
    kept_ids(catalog, delete)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn keep_always_wins_and_nothing_outside_delete_is_planned(
        catalog in arb_catalog(),
        delete in proptest::collection::vec(arb_entry(), 0..12),
        keep in proptest::collection::vec(arb_entry(), 0..6),
    ) {
        let desired = DesiredState {
            delete: delete.iter().enumerate().map(|(i, e)| entry(e, i as u32 + 1)).collect(),
            keep: keep.iter().enumerate().map(|(i, e)| entry(e, i as u32 + 100)).collect(),
            ..DesiredState::default()
        };
        let catalog = one_row_each(&catalog);
        let observed = observe(&catalog, &desired);
        let plan = vodplan::plan::diff(&desired, &observed);
        let kept = kept_ids(&catalog, &keep);
        let wanted = wanted_ids(&catalog, &delete);
        let existing: HashSet<String> = catalog.iter().map(|(i, _, _)| vid(*i)).collect();
        let mut seen = HashSet::new();
        for d in &plan.deletions {
            prop_assert!(!kept.contains(d.video_id.as_str()), "kept video {} planned for deletion", d.video_id);
            prop_assert!(wanted.contains(d.video_id.as_str()), "{} was not asked for", d.video_id);
            prop_assert!(existing.contains(d.video_id.as_str()));
            prop_assert!(seen.insert(d.video_id.clone()), "{} planned twice", d.video_id);
        }
        // Everything asked for, existing and not kept, is planned.
        for w in wanted.iter().filter(|w| existing.contains(*w) && !kept.contains(*w)) {
            prop_assert!(seen.iter().any(|s| s.as_str() == w), "{w} was asked for but not planned");
        }
    }
}

pub fn client_for(endpoint: &str) -> Arc<Client> {
    client_with_secret(endpoint, "testsecret", 1000.0)
}

/// A client signing with `secret` (the emulator accepts `testsecret`; any other is refused as an
/// authentication error, which stops an apply).
pub fn client_with_secret(endpoint: &str, secret: &str, delete_qps: f64) -> Arc<Client> {
    Arc::new(
        Client::new(ClientConfig {
            endpoint: Endpoint::parse(endpoint).unwrap(),
            region: "cn-shanghai".into(),
            credentials: Credentials {
                access_key_id: "testid".into(),
                access_key_secret: vodplan::vod::Secret::new(secret),
                security_token: None,
                source: "test".into(),
            },
            signature: SignatureVersion::V3,
            delete_qps,
            timeout: std::time::Duration::from_secs(10),
            retry: RetryPolicy {
                base_delay: std::time::Duration::from_millis(5),
                max_delay: std::time::Duration::from_millis(50),
                ..RetryPolicy::default()
            },
        })
        .unwrap(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn the_executor_deletes_exactly_the_plan_under_faults(
        present in proptest::collection::btree_set(0u8..=255, 0..200),
        planned in proptest::collection::btree_set(0u8..=255, 0..160),
        fault_rate in prop_oneof![Just(0.0f64), 0.0f64..0.3],
        lost_reply_rate in prop_oneof![Just(0.0f64), 0.0f64..0.3],
        seed in any::<u64>(),
        // The run stops early: every call refused as unauthenticated...
        wrong_key in proptest::bool::weighted(0.2),
        // ...or interrupted (SIGINT) after this many milliseconds.
        interrupt_ms in proptest::option::weighted(0.3, 0u64..40),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let videos = present.iter().map(|i| Video {
                video_id: vid(*i), reference_id: None, title: format!("v{i}"), status: "Normal".into(), category_id: None,
                creation_time: "2024-01-01T00:00:00Z".into(), modification_time: None, size: None, duration: None,
                tags: None, storage_location: None, storage_class: None, cover_url: None, forbidden: false, cdn: None,
            });
            let config = EmulatorConfig { fault_rate, lost_reply_rate, seed: Some(seed), delete_qps: 10_000, ..EmulatorConfig::default() };
            let emu = emulator::start("127.0.0.1:0".parse().unwrap(), Catalog::from_videos(videos), config).await.unwrap();
            let client = client_for(&emu.endpoint());
            // Few calls in flight (4 at 4 calls/s), so that batches are still queued when it stops.
            let sender = if wrong_key { client_with_secret(&emu.endpoint(), "wrong", 4.0) } else { client.clone() };
            let deletions: Vec<vodplan::plan::Deletion> = planned.iter().map(|i| vodplan::plan::Deletion {
                video_id: VideoId::new(vid(*i)).unwrap(),
                selected_by: vodplan::plan::SelectedBy::VideoId,
                reason: None,
                source: loc(1),
                observed: vodplan::plan::Fingerprint { status: "Normal".into(), size: None, creation_time: None, modification_time: None, title: String::new(), reference_id: None, tags: None, category_id: None, storage_class: None },
            }).collect();
            let interrupt = interrupt_ms.map(std::time::Duration::from_millis);
            let outcome = crate::flow::apply_interrupted(sender, &deletions, interrupt).await;
            // What is left: every video not planned, plus planned ones reported failed or not sent.
            let failed: HashSet<String> = outcome.failed.iter().map(|f| f.video_id.to_string())
                .chain(outcome.not_sent.iter().map(ToString::to_string)).collect();
            let everything: Vec<VideoId> = present.iter().map(|i| VideoId::new(vid(*i)).unwrap()).collect();
            let left = loop {
                // The check itself reads through the injected faults: retry until it gets an answer.
                if let Ok(o) = vodplan::state::lookup(&client, everything.clone(), vec![], &()).await {
                    break o;
                }
            };
            for i in &present {
                let id = vid(*i);
                let still_there = left.videos.keys().any(|k| k.as_str() == id);
                if planned.contains(i) {
                    prop_assert!(!still_there || failed.contains(&id), "planned {id} neither deleted nor reported failed");
                } else {
                    prop_assert!(still_there, "{id} was not planned but is gone");
                }
            }
            // Every planned video is accounted for exactly once.
            let mut accounted: Vec<String> = outcome.deleted.iter().chain(&outcome.non_exist_video_ids).chain(&outcome.forbidden)
                .chain(outcome.failed.iter().map(|f| &f.video_id)).chain(&outcome.not_sent).map(ToString::to_string).collect();
            accounted.sort();
            let mut expected: Vec<String> = planned.iter().map(|i| vid(*i)).collect();
            expected.sort();
            prop_assert_eq!(accounted, expected);
            if wrong_key && !planned.is_empty() {
                // Stopped by the refusal, unless an interrupt came before any call was answered.
                prop_assert!(outcome.deleted.is_empty() && (outcome.stopped_early.is_some() || outcome.interrupted), "{outcome:?}");
            }
            // Without faults or a stop, a planned video that never existed is drift, never "deleted". (With
            // lost replies it may be credited as deleted: a real plan only lists videos observed
            // to exist, so the one who removed it after an unanswered call is this run.)
            if fault_rate == 0.0 && lost_reply_rate == 0.0 && !wrong_key && interrupt_ms.is_none() {
                for i in planned.iter().filter(|i| !present.contains(i)) {
                    prop_assert!(outcome.non_exist_video_ids.iter().any(|v| v.as_str() == vid(*i)), "{} should be drift", vid(*i));
                }
            }
            emu.stop().await;
            Ok(())
        })?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The whole pipeline at once: random manifest, random catalogue, random faults; live state read
    /// through the emulator, planned, executed. Whatever happens, no kept video and no video that
    /// no delete entry names is gone afterwards.
    #[test]
    fn the_pipeline_never_deletes_a_kept_or_unselected_video_under_faults(
        catalog in arb_catalog(),
        delete in proptest::collection::vec(arb_entry(), 0..10),
        keep in proptest::collection::vec(arb_entry(), 0..5),
        fault_rate in prop_oneof![Just(0.0f64), 0.0f64..0.3],
        lost_reply_rate in prop_oneof![Just(0.0f64), 0.0f64..0.3],
        seed in any::<u64>(),
    ) {
        let catalog = one_row_each(&catalog);
        let desired = DesiredState {
            delete: delete.iter().enumerate().map(|(i, e)| entry(e, i as u32 + 1)).collect(),
            keep: keep.iter().enumerate().map(|(i, e)| entry(e, i as u32 + 100)).collect(),
            ..DesiredState::default()
        };
        let kept = kept_ids(&catalog, &keep);
        let wanted = wanted_ids(&catalog, &delete);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let videos = catalog.iter().map(|(i, has_ref, cat)| Video {
                video_id: vid(*i), reference_id: has_ref.then(|| rid(*i)), title: format!("v{i}"), status: "Normal".into(),
                category_id: Some(*cat), creation_time: "2024-01-01T00:00:00Z".into(), modification_time: None, size: Some(1),
                duration: None, tags: None, storage_location: None, storage_class: None, cover_url: None, forbidden: false, cdn: None,
            });
            let config = EmulatorConfig { fault_rate, lost_reply_rate, seed: Some(seed), delete_qps: 10_000, ..EmulatorConfig::default() };
            let emu = emulator::start("127.0.0.1:0".parse().unwrap(), Catalog::from_videos(videos), config).await.unwrap();
            let client = client_for(&emu.endpoint());
            // Reading may fail after its retries under heavy faults: then nothing is planned.
            if let Ok(observed) = vodplan::state::observe(&client, &desired, &()).await {
                let plan = vodplan::plan::diff(&desired, &observed);
                crate::flow::apply_deletions(client.clone(), &plan.deletions).await;
            }
            let everything: Vec<VideoId> = catalog.iter().map(|(i, _, _)| VideoId::new(vid(*i)).unwrap()).collect();
            let left = loop {
                // The check itself reads through faults: retry until it gets an answer.
                if let Ok(o) = vodplan::state::lookup(&client, everything.clone(), vec![], &()).await {
                    break o;
                }
            };
            for (i, _, _) in &catalog {
                let id = vid(*i);
                let gone = !left.videos.keys().any(|k| k.as_str() == id);
                prop_assert!(!gone || !kept.contains(&id), "kept video {id} was deleted");
                prop_assert!(!gone || wanted.contains(&id), "{id} was deleted but no delete entry names it");
            }
            emu.stop().await;
            Ok(())
        })?;
    }
}

/// A generated video with every field a selector can test.
#[derive(Debug, Clone)]
struct V {
    id: u8,
    status: &'static str,
    category: Option<i64>,
    /// Seconds after 2022-01-01T00:00:00Z (negative: before; some before 1971, some far future).
    created: i64,
    title: &'static str,
    bucket: Option<&'static str>,
    tags: &'static str,
}

/// A generated selector: each condition present or not.
#[derive(Debug, Clone)]
struct S {
    status: Vec<&'static str>,
    category: Option<i64>,
    before: Option<i64>,
    after: Option<i64>,
    prefix: Option<&'static str>,
    bucket: Option<&'static str>,
    tags: Vec<&'static str>,
}

const STATUS: [&str; 3] = ["Normal", "UploadFail", "Blocked"];
const TITLES: [&str; 4] = ["tmp-a", "tmp", "final", "Tmp-b"];
const BUCKETS: [&str; 2] = [
    "in-a.oss-cn-shanghai.aliyuncs.com",
    "in-b.oss-cn-shanghai.aliyuncs.com",
];
const TAG_SETS: [&str; 4] = ["", "promo", "promo,2023", "2023"];
/// 1965, a few crowded seconds in 2022, 2035.
const SECONDS: [i64; 7] = [-1_798_761_600, -5, 0, 1, 2, 86_400, 410_227_200];

fn at(secs: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_640_995_200 + secs).unwrap()
}

fn arb_v() -> impl Strategy<Value = V> {
    (
        any::<u8>(),
        0usize..3,
        proptest::option::of(0i64..3),
        prop_oneof![(0usize..7).prop_map(|i| SECONDS[i]), -100i64..100],
        0usize..4,
        proptest::option::of(0usize..2),
        0usize..4,
    )
        .prop_map(|(id, s, category, created, t, b, tags)| V {
            id,
            status: STATUS[s],
            category,
            created,
            title: TITLES[t],
            bucket: b.map(|b| BUCKETS[b]),
            tags: TAG_SETS[tags],
        })
}

fn arb_s() -> impl Strategy<Value = S> {
    (
        proptest::sample::subsequence(STATUS.to_vec(), 0..=2),
        proptest::option::of(0i64..3),
        proptest::option::of(-50i64..50),
        proptest::option::of(-50i64..50),
        proptest::option::of(prop_oneof![Just("tmp"), Just("tmp-"), Just("f")]),
        proptest::option::of((0usize..2).prop_map(|b| BUCKETS[b])),
        proptest::sample::subsequence(vec!["promo", "2023"], 0..=2),
    )
        .prop_map(
            |(status, category, before, after, prefix, bucket, tags)| S {
                status,
                category,
                before,
                after,
                prefix,
                bucket,
                tags,
            },
        )
        // A selector has at least one condition (as validation demands).
        .prop_filter("empty selector", |s| {
            !s.status.is_empty()
                || s.category.is_some()
                || s.before.is_some()
                || s.after.is_some()
                || s.prefix.is_some()
                || s.bucket.is_some()
                || !s.tags.is_empty()
        })
}

/// The selector semantics, written out independently of vodplan.
fn brute(s: &S, v: &V) -> bool {
    (s.status.is_empty() || s.status.contains(&v.status))
        && s.category.is_none_or(|c| v.category == Some(c))
        && s.before.is_none_or(|b| v.created < b)
        && s.after.is_none_or(|a| v.created >= a)
        && s.prefix.is_none_or(|p| v.title.starts_with(p))
        && s.bucket.is_none_or(|b| v.bucket == Some(b))
        && s.tags.iter().all(|t| v.tags.split(',').any(|x| x == *t))
}

fn selector_entry(s: &S, line: u32) -> Entry {
    Entry {
        target: Target::Match(Box::new(Selector {
            status: s.status.iter().map(|x| x.parse().unwrap()).collect(),
            category_id: s.category,
            created_before: s.before.map(at),
            created_after: s.after.map(at),
            title_prefix: s.prefix.map(String::from),
            storage_location: s.bucket.map(String::from),
            tags: s.tags.iter().map(|x| x.to_string()).collect(),
            relative: None,
        })),
        reason: None,
        quarantine: None,
        purge_cdn: false,
        location: loc(line),
    }
}

fn info_of(v: &V) -> VideoInfo {
    VideoInfo {
        video_id: vid(v.id),
        title: v.title.into(),
        status: v.status.into(),
        cate_id: v.category,
        creation_time: Some(vodplan::timefmt::format(at(v.created))),
        storage_location: v.bucket.map(String::from),
        tags: (!v.tags.is_empty()).then(|| v.tags.to_string()),
        ..VideoInfo::default()
    }
}

fn dedup_videos(videos: Vec<V>) -> Vec<V> {
    let mut by_id: std::collections::BTreeMap<u8, V> = Default::default();
    for v in videos {
        by_id.insert(v.id, v);
    }
    by_id.into_values().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Keep selectors over every field, evaluated on the observed (re-read) state: a video any
    /// keep selector matches is never a deletion; every deletion is matched by a delete entry;
    /// every video a delete entry matches and no keep entry does is a deletion.
    #[test]
    fn keep_selectors_over_every_field_always_win(
        videos in proptest::collection::vec(arb_v(), 0..60),
        delete in proptest::collection::vec(arb_s(), 1..5),
        keep in proptest::collection::vec(arb_s(), 0..4),
        keep_ids in proptest::collection::vec(any::<u8>(), 0..3),
    ) {
        let videos = dedup_videos(videos);
        let mut keep_entries: Vec<Entry> = keep.iter().enumerate().map(|(i, s)| selector_entry(s, i as u32 + 100)).collect();
        keep_entries.extend(keep_ids.iter().map(|i| entry(&E::Video(*i), 200)));
        let desired = DesiredState {
            delete: delete.iter().enumerate().map(|(i, s)| selector_entry(s, i as u32 + 1)).collect(),
            keep: keep_entries,
            ..DesiredState::default()
        };
        let mut observed = Observed::default();
        observed.record(&[], &[], videos.iter().map(info_of).collect());
        let plan = vodplan::plan::diff(&desired, &observed);
        let kept = |v: &V| keep.iter().any(|s| brute(s, v)) || keep_ids.contains(&v.id);
        let wanted = |v: &V| delete.iter().any(|s| brute(s, v));
        let planned: HashSet<&str> = plan.deletions.iter().map(|d| d.video_id.as_str()).collect();
        prop_assert_eq!(planned.len(), plan.deletions.len(), "a video planned twice");
        for v in &videos {
            let id = vid(v.id);
            let is_planned = planned.contains(id.as_str());
            prop_assert_eq!(is_planned, wanted(v) && !kept(v), "{:?}", v);
            let is_protected = plan.protected.iter().any(|p| p.video_id.as_str() == id);
            prop_assert_eq!(is_protected, wanted(v) && kept(v), "{:?}", v);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// The whole pipeline against the emulator with its listing limits lowered (paging reaches
    /// 7 results, a traversal 25), catalogues past both, crowded seconds, pre-1971 and future
    /// creation times: no kept video and no unselected video is ever deleted, and when the
    /// listing succeeds, every selected, unkept video in the listed range is.
    #[test]
    fn the_pipeline_past_the_listing_limits_never_deletes_a_kept_or_unselected_video(
        videos in proptest::collection::vec(arb_v(), 0..120),
        delete in proptest::collection::vec(arb_s(), 1..4),
        keep in proptest::collection::vec(arb_s(), 0..4),
    ) {
        let videos = dedup_videos(videos);
        let desired = DesiredState {
            delete: delete.iter().enumerate().map(|(i, s)| selector_entry(s, i as u32 + 1)).collect(),
            keep: keep.iter().enumerate().map(|(i, s)| selector_entry(s, i as u32 + 100)).collect(),
            ..DesiredState::default()
        };
        let kept = |v: &V| keep.iter().any(|s| brute(s, v));
        let wanted = |v: &V| delete.iter().any(|s| brute(s, v));
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let catalogue = videos.iter().map(|v| Video {
                video_id: vid(v.id), reference_id: None, title: v.title.into(), status: v.status.into(),
                category_id: v.category, creation_time: vodplan::timefmt::format(at(v.created)),
                modification_time: None, size: Some(1), duration: None,
                tags: (!v.tags.is_empty()).then(|| v.tags.to_string()),
                storage_location: v.bucket.map(String::from), storage_class: None, cover_url: None, forbidden: false, cdn: None,
            });
            let config = EmulatorConfig {
                delete_qps: 10_000,
                limits: emulator::Limits { page: 7, scroll: 25, ..emulator::Limits::default() },
                ..EmulatorConfig::default()
            };
            let emu = emulator::start("127.0.0.1:0".parse().unwrap(), Catalog::from_videos(catalogue), config).await.unwrap();
            let client = client_for(&emu.endpoint());
            let listed = match vodplan::state::observe(&client, &desired, &()).await {
                Ok(observed) => {
                    let plan = vodplan::plan::diff(&desired, &observed);
                    crate::flow::apply_deletions(client.clone(), &plan.deletions).await;
                    true
                }
                // Only a second too crowded to traverse may fail the listing here.
                Err(e) => {
                    prop_assert!(matches!(e, vodplan::listing::ListError::Incomplete { .. }), "{e}");
                    false
                }
            };
            let everything: Vec<VideoId> = videos.iter().map(|v| VideoId::new(vid(v.id)).unwrap()).collect();
            let left = vodplan::state::lookup(&client, everything, vec![], &()).await.unwrap();
            // The implicit range of a selector without time bounds: 1971 to now + 1 day.
            let in_range = |v: &V| (-1_640_995_200 + 365 * 86_400..410_227_200).contains(&v.created);
            for v in &videos {
                let id = vid(v.id);
                let gone = !left.videos.keys().any(|k| k.as_str() == id);
                prop_assert!(!gone || !kept(v), "kept video {:?} was deleted", v);
                prop_assert!(!gone || wanted(v), "{:?} was deleted but no delete entry selects it", v);
                if listed && wanted(v) && !kept(v) && in_range(v) {
                    prop_assert!(gone, "{:?} was selected, not kept, and not deleted", v);
                }
            }
            emu.stop().await;
            Ok(())
        })?;
    }
}

// ---------------------------------------------------------------------------------------------
// Over the whole library flow: quarantines, restores and the saved-plan
// checks, against the in-process emulator.

/// Tag lists a generated video may carry: none, its own, this owner's past and future dates,
/// another owner's, and a vodplan tag without an owner.
const Q_TAGS: [Option<&str>; 7] = [
    None,
    Some("promo"),
    Some("vodplan-until-2020-01-01,vodplan-by-team-a"),
    Some("promo,vodplan-until-2099-01-01,vodplan-by-team-a"),
    Some("vodplan-until-2099-01-01,vodplan-by-team-a"),
    Some("vodplan-until-2020-01-01,vodplan-by-team-b"),
    Some("vodplan-until-2020-01-01"),
];
const Q_STATUS: [&str; 3] = ["Normal", "Blocked", "UploadFail"];

/// A generated video: id, has a reference ID, category, status, tags.
type QRow = (u8, bool, i64, &'static str, Option<&'static str>);

fn arb_q_catalog() -> impl Strategy<Value = Vec<QRow>> {
    proptest::collection::btree_map(
        0u8..24,
        (
            any::<bool>(),
            0i64..4,
            (0usize..3).prop_map(|i| Q_STATUS[i]),
            (0usize..7).prop_map(|i| Q_TAGS[i]),
        ),
        0..24,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(i, (r, c, s, t))| (i, r, c, s, t))
            .collect()
    })
}

/// A delete entry with or without a quarantine of some days (0 days: due tomorrow).
fn arb_q_entry() -> impl Strategy<Value = (E, Option<u32>)> {
    (arb_entry(), proptest::option::of(0u32..30))
}

/// How a saved plan is tampered with before apply.
#[derive(Debug, Clone)]
enum Tamper {
    /// Add a deletion of this video, with its real fingerprint copied in.
    Delete(u8),
    /// Add a restore of this video, with its real fingerprint copied in.
    Restore(u8),
    /// Turn the first quarantine into a deletion.
    QuarantineToDelete,
    /// Drop every protected entry.
    DropProtected,
    /// Move every quarantine's tag date into the past.
    PastTag,
}

fn arb_tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        (0u8..24).prop_map(Tamper::Delete),
        (0u8..24).prop_map(Tamper::Restore),
        Just(Tamper::QuarantineToDelete),
        Just(Tamper::DropProtected),
        Just(Tamper::PastTag),
    ]
}

/// In team-a's quarantine: Blocked, team-a's tags, and its latest review team-a's block. The
/// catalogue gives even-numbered videos that review; odd ones were blocked again by moderation.
fn in_quarantine(i: u8, status: &str, tags: Option<&str>) -> bool {
    status == "Blocked"
        && tags.is_some_and(|t| t.contains("vodplan-by-team-a"))
        && i.is_multiple_of(2)
}

fn has_vodplan_tag(tags: Option<&str>) -> bool {
    tags.is_some_and(|t| t.contains("vodplan-"))
}

/// The reviews of the catalogue: team-a's block for the even-numbered videos with its tags,
/// moderation's for the odd ones.
fn q_reviews(catalog: &[QRow]) -> Vec<emulator::AuditRecord> {
    catalog
        .iter()
        .filter(|(_, _, _, status, tags)| *status == "Blocked" && has_vodplan_tag(*tags))
        .map(|(i, _, _, _, tags)| {
            let until = tags
                .unwrap()
                .split(',')
                .find_map(|t| t.strip_prefix("vodplan-until-"))
                .unwrap_or("2020-01-01");
            emulator::AuditRecord {
                video_id: vid(*i),
                status: "Blocked".into(),
                reason: Some(if i.is_multiple_of(2) {
                    format!("vodplan:team-a:{until}:Normal quarantine")
                } else {
                    "takedown".into()
                }),
                comment: None,
                auditor: None,
                creation_time: Some("2025-01-01T00:00:00Z".into()),
            }
        })
        .collect()
}

fn due(tags: Option<&str>) -> bool {
    tags.is_some_and(|t| t.contains("vodplan-until-2020-01-01"))
}

/// The video IDs a list of entries selects, each with the entries' quarantine days.
fn selecting(catalog: &[QRow], entries: &[(E, Option<u32>)]) -> Vec<(String, Option<u32>)> {
    let rows: Vec<(u8, bool, i64)> = catalog.iter().map(|(i, r, c, _, _)| (*i, *r, *c)).collect();
    entries
        .iter()
        .flat_map(|(e, q)| {
            kept_ids(&rows, std::slice::from_ref(e))
                .into_iter()
                .map(move |id| (id, *q))
        })
        .collect()
}

fn fingerprint_of(observed: &Observed, i: u8) -> Option<vodplan::plan::Fingerprint> {
    let id = VideoId::new(vid(i)).unwrap();
    observed.videos.get(&id).map(vodplan::plan::Fingerprint::of)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random manifests (some delete entries with a quarantine) over a random catalogue (statuses
    /// incl. Blocked, vodplan tags with past and future dates), planned and applied by the
    /// library, directly or through a saved plan tampered with. Whatever happens: a kept video is
    /// never deleted, blocked or tagged; nothing outside the delete entries is touched; a video
    /// blocked by someone else is never unblocked (nor deleted under a quarantine entry alone);
    /// and a saved plan only ever deletes what the manifests select now.
    #[test]
    fn quarantine_and_saved_plans_never_touch_what_they_must_not(
        catalog in arb_q_catalog(),
        delete in proptest::collection::vec(arb_q_entry(), 0..8),
        keep in proptest::collection::vec(arb_entry(), 0..4),
        tamper in proptest::collection::vec(arb_tamper(), 0..4),
    ) {
        let desired = DesiredState {
            owner: Some(vodplan::manifest::Located { value: "team-a".into(), location: loc(1) }),
            delete: delete.iter().enumerate().map(|(i, (e, q))| Entry {
                quarantine: q.map(|d| vodplan::manifest::Located { value: d, location: loc(i as u32 + 1) }),
                ..entry(e, i as u32 + 1)
            }).collect(),
            keep: keep.iter().enumerate().map(|(i, e)| entry(e, i as u32 + 100)).collect(),
            ..DesiredState::default()
        };
        let rows: Vec<(u8, bool, i64)> = catalog.iter().map(|(i, r, c, _, _)| (*i, *r, *c)).collect();
        let kept = kept_ids(&rows, &keep);
        let selected = selecting(&catalog, &delete);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let videos = catalog.iter().map(|(i, has_ref, cat, status, tags)| Video {
                video_id: vid(*i), reference_id: has_ref.then(|| rid(*i)), title: format!("v{i}"), status: (*status).into(),
                category_id: Some(*cat), creation_time: "2024-01-01T00:00:00Z".into(), modification_time: None, size: Some(1),
                duration: None, tags: tags.map(str::to_string), storage_location: None, storage_class: None, cover_url: None, forbidden: false, cdn: None,
            });
            let config = EmulatorConfig { delete_qps: 10_000, ..EmulatorConfig::default() };
            let emu = emulator::start("127.0.0.1:0".parse().unwrap(), Catalog::from_videos(videos).with_audits(q_reviews(&catalog)), config).await.unwrap();
            let client = client_for(&emu.endpoint());
            let everything: Vec<VideoId> = catalog.iter().map(|(i, ..)| VideoId::new(vid(*i)).unwrap()).collect();
            let before = vodplan::state::lookup(&client, everything.clone(), vec![], &()).await.unwrap();
            let plan = vodplan::plan::make::make(&client, &desired, &vodplan::plan::guard::Guards::default(), &()).await.unwrap();
            let honest: HashSet<String> = plan.deletions.iter().map(|d| d.video_id.to_string()).collect();
            let read_back;
            let dir = tempfile::tempdir().unwrap();
            let journal = dir.path().join("journal.jsonl");
            let locked = crate::flow::lock(&journal, "test", false);
            let approval = if tamper.is_empty() {
                Some(crate::flow::approve_made(&client, &plan, &desired, None, locked).await)
            } else {
                let mut file = vodplan::plan::file::PlanFile::new(plan.clone(), "cn-shanghai", &emu.endpoint(), &[], &[], None);
                for t in &tamper {
                    let p = &mut file.plan;
                    match t {
                        Tamper::Delete(i) => if let Some(observed) = fingerprint_of(&before, *i) {
                            p.deletions.push(vodplan::plan::Deletion {
                                video_id: VideoId::new(vid(*i)).unwrap(),
                                selected_by: vodplan::plan::SelectedBy::VideoId,
                                reason: None, source: loc(1), observed,
                            });
                        },
                        Tamper::Restore(i) => if let Some(observed) = fingerprint_of(&before, *i) {
                            p.restores.push(vodplan::plan::quarantine::Restore {
                                video_id: VideoId::new(vid(*i)).unwrap(),
                                kept_by: Some(loc(100)), unblock: true, tags: Default::default(), observed,
                            });
                        },
                        Tamper::QuarantineToDelete => if !p.quarantines.is_empty() {
                            let q = p.quarantines.remove(0);
                            p.deletions.push(vodplan::plan::Deletion {
                                video_id: q.video_id, selected_by: vodplan::plan::SelectedBy::VideoId,
                                reason: q.reason, source: q.source, observed: q.observed,
                            });
                        },
                        Tamper::DropProtected => p.protected.clear(),
                        Tamper::PastTag => for q in &mut p.quarantines {
                            q.until = time::macros::date!(2020 - 01 - 01);
                            q.tags = vodplan::manifest::Tags::parse(Some("vodplan-until-2020-01-01"));
                        },
                    }
                }
                // Round-trip through JSON, as a file would.
                let mut bytes = Vec::new();
                file.write_to(&mut bytes).unwrap();
                read_back = vodplan::plan::file::PlanFile::from_bytes(&bytes, "plan.json").unwrap();
                crate::flow::approve_saved(&client, &read_back, &desired, None, locked).await.ok()
            };
            if let Some(approval) = approval {
                apply::run(client.clone(), approval, &(), &Interrupt::new()).await.unwrap();
            }
            let after = vodplan::state::lookup(&client, everything, vec![], &()).await.unwrap();
            for (i, _, _, status0, tags0) in &catalog {
                let id = vid(*i);
                let key = VideoId::new(id.clone()).unwrap();
                let was = &before.videos[&key];
                let now = after.videos.get(&key);
                let unchanged = now.is_some_and(|v| v.status == was.status && v.tags == was.tags);
                let selectors: Vec<Option<u32>> = selected.iter().filter(|(s, _)| *s == id).map(|(_, q)| *q).collect();
                let q0 = in_quarantine(*i, status0, *tags0);
                // Someone else's: another owner's tags, a tag without an owner, or blocked again
                // by moderation after team-a's quarantine.
                let foreign = has_vodplan_tag(*tags0) && !tags0.unwrap().contains("vodplan-by-team-a")
                    || (has_vodplan_tag(*tags0) && *status0 == "Blocked" && !q0);
                prop_assert!(now.is_some() || honest.contains(&id), "{id} deleted but the manifests do not plan its deletion now");
                if foreign {
                    prop_assert!(now.is_some() && unchanged, "{id} is someone else's but was touched: {was:?} -> {now:?}");
                }
                if kept.contains(&id) {
                    prop_assert!(now.is_some(), "kept video {id} was deleted");
                    let v = now.unwrap();
                    prop_assert!(unchanged || was.status.as_str() == "Blocked" || v.status.as_str() != "Blocked",
                        "kept video {id} was blocked: {was:?} -> {v:?}");
                    if q0 {
                        prop_assert!(unchanged || (v.status.as_str() == "Normal" && !has_vodplan_tag(Some(v.tags.as_str()))),
                            "kept {id} in quarantine neither left nor restored: {v:?}");
                    }
                } else if selectors.is_empty() && !q0 && !has_vodplan_tag(*tags0) {
                    prop_assert!(unchanged, "{id} is outside every entry but was touched: {was:?} -> {now:?}");
                }
                if *status0 == "Blocked" && !q0 && !has_vodplan_tag(*tags0) {
                    prop_assert!(now.is_none() || unchanged, "{id} blocked by someone else was changed: {now:?}");
                    prop_assert!(now.is_some() || selectors.contains(&None), "{id} blocked by someone else deleted under a quarantine entry");
                }
                if now.is_none() {
                    prop_assert!(selectors.contains(&None) || (q0 && due(*tags0)),
                        "{id} deleted without its grace period: {was:?}");
                }
                if let Some(v) = now && !unchanged && v.status.as_str() == "Blocked" {
                    // Newly quarantined: its tag's date is in the future, never the file's.
                    let tags = v.tags.as_str();
                    prop_assert!(!tags.contains("vodplan-until-2020-01-01"), "{id} quarantined with a past date: {tags}");
                    prop_assert!(tags.contains("vodplan-until-") && tags.contains("vodplan-by-team-a"), "{id} blocked without vodplan's tags");
                    if let Some(t) = tags0.filter(|t| t.starts_with("promo")) {
                        prop_assert!(tags.starts_with("promo"), "{id} lost its tags {t}: {tags}");
                    }
                }
            }
            emu.stop().await;
            Ok(())
        })?;
    }
}

/// A saved plan's quarantine is written with today's decision, never the file's: a date moved
/// into the past, another reason for the audit, or another source are all replaced by what the
/// manifests say now.
#[test]
fn a_saved_quarantine_is_written_as_the_manifests_decide_today() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let video = Video {
            video_id: vid(1),
            reference_id: None,
            title: "v1".into(),
            status: "Normal".into(),
            category_id: Some(7),
            creation_time: "2024-01-01T00:00:00Z".into(),
            modification_time: None,
            size: Some(1),
            duration: None,
            tags: None,
            storage_location: None, storage_class: None, cover_url: None,
            forbidden: false,
            cdn: None,
        };
        let emu = emulator::start(
            "127.0.0.1:0".parse().unwrap(),
            Catalog::from_videos([video]),
            EmulatorConfig::default(),
        )
        .await
        .unwrap();
        let client = client_for(&emu.endpoint());
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("m.yaml");
        std::fs::write(
            &manifest,
            format!(
                "version: 1\nowner: team-a\ndelete:\n  - videoId: {}\n    reason: licence expired\n    quarantine: 14d\n",
                vid(1)
            ),
        )
        .unwrap();
        let desired = vodplan::manifest::load(std::slice::from_ref(&manifest))
            .state
            .unwrap();
        let guards = vodplan::plan::guard::Guards::default();
        let plan = vodplan::plan::make(&client, &desired, &guards, &())
            .await
            .unwrap();
        assert_eq!(plan.quarantines.len(), 1);
        let fair = plan.quarantines[0].clone();
        let mut file =
            vodplan::plan::file::PlanFile::new(plan, "cn-shanghai", &emu.endpoint(), &[], &[], None);
        let q = &mut file.plan.quarantines[0];
        q.until = time::macros::date!(2020 - 01 - 01);
        q.reason = Some("edited by hand".into());
        q.source = loc(99);
        let mut bytes = Vec::new();
        file.write_to(&mut bytes).unwrap();
        let file = vodplan::plan::file::PlanFile::from_bytes(&bytes, "plan.json").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let locked = crate::flow::lock(&dir.path().join("j.jsonl"), "test", true);
        let approval = crate::flow::approve_saved(&client, &file, &desired, None, locked)
            .await
            .unwrap();
        let written = &approval.quarantines()[0];
        assert_eq!(
            (&written.until, &written.reason, &written.source),
            (&fair.until, &Some("licence expired".to_string()), &fair.source)
        );
        emu.stop().await;
    });
}
