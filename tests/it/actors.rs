//! The safety invariants when the catalogue is shared, over random sequences of other actors'
//! moves, run by the library against the in-process emulator (real HTTP, real signatures):
//! - two manifest sets (owners `team-a` and `team-b`) plan and apply, sometimes interrupted at a
//!   random moment, against an emulator that fails some calls;
//! - moderation blocks videos (CreateAudit, a reason of its own);
//! - a person sets videos back to Normal and adds tags (`legal-hold`, which both sets keep);
//! - days pass, so quarantines fall due.
//!
//! After every apply of a set, compared with the state just before it:
//! - a video the set keeps is never blocked or deleted;
//! - nothing of the other set or of moderation is touched (status and tags unchanged);
//! - no tag other than vodplan's own is lost;
//! - a deletion is either the set's own due quarantine or its reviewed plain deletion;
//! - the same command run again finishes the run (a further plan has nothing to do).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use time::Date;
use vod_emulator::{self as emulator, Catalog, EmulatorConfig, Video};
use vodplan::apply::{self, Interrupt};
use vodplan::ids::{VideoId, VideoRef};
use vodplan::manifest::{DesiredState, Entry, Located, Location, Selector, Target, VideoStatus};
use vodplan::vod::Client;
use vodplan::vod::media::{AuditItem, AuditStatus};

use crate::safety::client_for;

const N: u8 = 8;

fn vid(i: u8) -> String {
    format!("{i:032x}")
}

fn at(line: u32) -> Location {
    Location {
        file: "m.yaml".into(),
        line,
        column: 5,
    }
}

fn entry(target: Target, quarantine: Option<u32>, line: u32) -> Entry {
    Entry {
        target,
        reason: Some("test".into()),
        quarantine: quarantine.map(|d| Located {
            value: d,
            location: at(line),
        }),
        location: at(line),
        purge_cdn: false,
    }
}

fn category(c: i64) -> Target {
    Target::Match(Box::new(Selector {
        category_id: Some(c),
        ..Selector::default()
    }))
}

fn by_id(i: u8) -> Target {
    Target::Id(VideoRef::Video(VideoId::new(vid(i)).unwrap()))
}

/// A set's manifest: quarantine entries by category and by video ID, a plain deletion of failed
/// uploads, and keep entries for `legal-hold` and some IDs.
#[derive(Debug, Clone)]
struct Set {
    owner: &'static str,
    categories: Vec<i64>,
    ids: Vec<u8>,
    plain_failed: bool,
    keep_ids: Vec<u8>,
}

impl Set {
    fn desired(&self) -> DesiredState {
        let mut delete = Vec::new();
        let mut line = 1;
        if self.plain_failed {
            delete.push(entry(
                Target::Match(Box::new(Selector {
                    status: vec![VideoStatus::UploadFail],
                    ..Selector::default()
                })),
                None,
                line,
            ));
            line += 1;
        }
        for c in &self.categories {
            delete.push(entry(category(*c), Some(14), line));
            line += 1;
        }
        for i in &self.ids {
            delete.push(entry(by_id(*i), Some(7), line));
            line += 1;
        }
        let mut keep = vec![entry(
            Target::Match(Box::new(Selector {
                tags: vec!["legal-hold".into()],
                ..Selector::default()
            })),
            None,
            100,
        )];
        for (n, i) in self.keep_ids.iter().enumerate() {
            if !self.ids.contains(i) {
                keep.push(entry(by_id(*i), None, 101 + n as u32));
            }
        }
        DesiredState {
            owner: Some(Located {
                value: self.owner.into(),
                location: at(1),
            }),
            delete,
            keep,
            ..DesiredState::default()
        }
    }

    fn keeps(&self, i: u8, v: &Seen) -> bool {
        (self.keep_ids.contains(&i) && !self.ids.contains(&i))
            || v.user_tags().contains("legal-hold")
    }
}

fn arb_set(owner: &'static str) -> impl Strategy<Value = Set> {
    (
        proptest::collection::vec(0i64..3, 0..3),
        proptest::collection::vec(0u8..N, 0..3),
        any::<bool>(),
        proptest::collection::vec(0u8..N, 0..3),
    )
        .prop_map(move |(categories, ids, plain_failed, keep_ids)| Set {
            owner,
            categories,
            ids,
            plain_failed,
            keep_ids,
        })
}

#[derive(Debug, Clone)]
enum Move {
    /// A set applies (0: team-a's first manifest, 1: team-a's manifest after review, 2:
    /// team-b's), through a saved plan or not, interrupted after this many milliseconds when
    /// given.
    Apply(usize, bool, Option<u64>),
    Moderate(u8),
    SetNormal(u8),
    Tag(u8, &'static str),
    /// Days pass.
    Later,
}

fn arb_move() -> impl Strategy<Value = Move> {
    prop_oneof![
        4 => (0usize..3, any::<bool>(), proptest::option::of(0u64..40)).prop_map(|(s, saved, i)| Move::Apply(s, saved, i)),
        2 => (0u8..N).prop_map(Move::Moderate),
        1 => (0u8..N).prop_map(Move::SetNormal),
        1 => (0u8..N, prop_oneof![Just("legal-hold"), Just("note")]).prop_map(|(i, t)| Move::Tag(i, t)),
        2 => Just(Move::Later),
    ]
}

/// A video as seen between moves.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    status: String,
    tags: Vec<String>,
}

impl Seen {
    fn user_tags(&self) -> BTreeSet<String> {
        self.tags
            .iter()
            .filter(|t| !t.starts_with("vodplan-until-2") && !t.starts_with("vodplan-by-"))
            .cloned()
            .collect()
    }

    fn has_owner_tag(&self, owner: &str) -> bool {
        self.tags
            .iter()
            .any(|t| *t == format!("vodplan-by-{owner}"))
    }

    fn until(&self) -> Option<String> {
        self.tags
            .iter()
            .find_map(|t| t.strip_prefix("vodplan-until-"))
            .map(String::from)
    }
}

async fn snapshot(client: &Client) -> HashMap<u8, Seen> {
    let ids: Vec<VideoId> = (0..N).map(|i| VideoId::new(vid(i)).unwrap()).collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(20) {
        let reply = client.get_video_infos(chunk, &[]).await.unwrap();
        for v in reply.video_list {
            let i = (0..N).find(|i| vid(*i) == v.video_id).unwrap();
            out.insert(
                i,
                Seen {
                    status: v.status,
                    tags: v
                        .tags
                        .unwrap_or_default()
                        .split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(String::from)
                        .collect(),
                },
            );
        }
    }
    out
}

/// Who last blocked each video: a set's owner, or moderation.
type Blockers = HashMap<u8, &'static str>;

/// Plans and applies `set` on `today` (through the saved plan `saved` when given: made by the
/// first run, applied again by the next), interrupted after `interrupt` ms when given. Whether the
/// run ended without failures (a failed plan or a refused saved plan is a refused run too).
async fn apply_set(
    client: &Arc<Client>,
    set: &Set,
    today: Date,
    interrupt: Option<u64>,
    journal: &std::path::Path,
    saved: Option<&mut Option<vodplan::plan::file::PlanFile>>,
) -> bool {
    let desired = set.desired();
    let guards = vodplan::plan::guard::Guards::default();
    let file;
    let made;
    let key = format!("set:{}", set.owner);
    let locked = crate::flow::lock(journal, &key, false);
    let approval = match saved {
        Some(slot) => {
            if slot.is_none() {
                let Ok(plan) =
                    vodplan::plan::make::make_on(client, &desired, &guards, &(), today).await
                else {
                    return false;
                };
                *slot = Some(vodplan::plan::file::PlanFile::new(
                    plan,
                    crate::flow::REGION,
                    &client.config().endpoint.to_string(),
                    &[],
                    &[],
                    None,
                ));
            }
            file = slot.as_ref().unwrap();
            match crate::flow::approve_saved(client, file, &desired, Some(today), locked).await {
                Ok(a) => a,
                Err(_) => return false,
            }
        }
        None => {
            let Ok(plan) =
                vodplan::plan::make::make_on(client, &desired, &guards, &(), today).await
            else {
                return false;
            };
            made = plan;
            crate::flow::approve_made(client, &made, &desired, Some(today), locked).await
        }
    };
    let stop = Interrupt::new();
    if let Some(ms) = interrupt {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            stop.trigger();
        });
    }
    match apply::run(client.clone(), approval, &(), &stop).await {
        Ok(outcome) => {
            !outcome.interrupted && outcome.failed.is_empty() && outcome.forbidden.is_empty()
        }
        Err(_) => false,
    }
}

fn date(days: i64) -> Date {
    Date::from_calendar_date(2026, time::Month::January, 1).unwrap() + time::Duration::days(days)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn other_actors_never_make_vodplan_touch_what_it_must_not(
        videos in proptest::collection::vec((0i64..3, prop_oneof![Just("Normal"), Just("UploadFail")], prop_oneof![Just(""), Just("promo"), Just("legal-hold")]), N as usize),
        a0 in arb_set("team-a"),
        a1 in arb_set("team-a"),
        b in arb_set("team-b"),
        moves in proptest::collection::vec(arb_move(), 2..14),
        faulty in any::<bool>(),
    ) {
        let sets = [a0, a1, b];
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let catalogue = videos.iter().enumerate().map(|(i, (c, s, t))| Video {
                video_id: vid(i as u8), reference_id: None, title: format!("v{i}"), status: (*s).into(),
                category_id: Some(*c), creation_time: "2024-01-01T00:00:00Z".into(), modification_time: None,
                size: Some(1), duration: None, tags: (!t.is_empty()).then(|| t.to_string()),
                storage_location: None, storage_class: None, cover_url: None, cdn: None, forbidden: false,
            });
            let config = EmulatorConfig {
                delete_qps: 10_000,
                latency: Duration::from_millis(1),
                fault_rate: if faulty { 0.05 } else { 0.0 },
                ..EmulatorConfig::default()
            };
            let emu = emulator::start("127.0.0.1:0".parse().unwrap(), Catalog::from_videos(catalogue), config).await.unwrap();
            let client = client_for(&emu.endpoint());
            let dir = tempfile::tempdir().unwrap();
            let mut today = date(0);
            let mut blockers: Blockers = HashMap::new();
            for m in &moves {
                let before = snapshot(&client).await;
                let mut actor = "person";
                let moderated = match m { Move::Moderate(i) => Some(*i), _ => None };
                match m {
                    Move::Apply(s, saved, interrupt) => {
                        let set = &sets[*s];
                        actor = set.owner;
                        let journal = dir.path().join(format!("{}.jsonl", set.owner));
                        let mut file = None;
                        let clean = apply_set(&client, set, today, *interrupt, &journal, saved.then_some(&mut file)).await;
                        let after = snapshot(&client).await;
                        check(set, &sets, &before, &after, &blockers, today)?;
                        // The same command finishes an interrupted or refused run: a few tries
                        // (the emulator may fail calls), then nothing is left to do.
                        let mut finished = clean;
                        for _ in 0..4 {
                            if finished { break; }
                            finished = apply_set(&client, set, today, None, &journal, saved.then_some(&mut file)).await;
                        }
                        // Without faults nothing refuses the same command: not the saved plan's
                        // own earlier, interrupted run, not a journal that says "applied".
                        prop_assert!(finished || faulty, "{} could not finish its run (saved plan: {saved})", set.owner);
                        let settled = snapshot(&client).await;
                        check(set, &sets, &before, &settled, &blockers, today)?;
                        if finished {
                            let desired = set.desired();
                            if let Ok(plan) = vodplan::plan::make::make_on(&client, &desired, &vodplan::plan::guard::Guards::default(), &(), today).await {
                                prop_assert!(plan.deletions.is_empty() && plan.quarantines.is_empty() && plan.restores.is_empty(),
                                    "{} has work left after a finished run: {plan:?}", set.owner);
                            }
                        }
                    }
                    Move::Moderate(i) => {
                        actor = "moderation";
                        let item = AuditItem { video_id: VideoId::new(vid(*i)).unwrap(), reason: "takedown".into(), comment: String::new() };
                        let _ = client.create_audit(&[item], AuditStatus::Blocked).await;
                    }
                    Move::SetNormal(i) => {
                        let item = AuditItem { video_id: VideoId::new(vid(*i)).unwrap(), reason: String::new(), comment: String::new() };
                        let _ = client.create_audit(&[item], AuditStatus::Normal).await;
                    }
                    Move::Tag(i, t) => {
                        if let Some(v) = before.get(i) && v.tags.len() < 14 && !v.tags.iter().any(|x| x == t) {
                            let mut tags = v.tags.clone();
                            tags.push((*t).to_string());
                            let _ = client.set_tags(&[(VideoId::new(vid(*i)).unwrap(), tags.join(","))]).await;
                        }
                    }
                    Move::Later => today += time::Duration::days(15),
                }
                // Who blocked what, as far as the moves say.
                let after = snapshot(&client).await;
                for (i, v) in &after {
                    let was_blocked = before.get(i).is_some_and(|b| b.status == "Blocked");
                    if v.status != "Blocked" {
                        blockers.remove(i);
                    } else if !was_blocked || moderated == Some(*i) {
                        blockers.insert(*i, actor);
                    }
                }
            }
            emu.stop().await;
            Ok(())
        })?;
    }
}

/// The invariants of one apply of `set`, from `before` to `after`.
fn check(
    set: &Set,
    sets: &[Set; 3],
    before: &HashMap<u8, Seen>,
    after: &HashMap<u8, Seen>,
    blockers: &Blockers,
    today: Date,
) -> Result<(), TestCaseError> {
    let other = sets
        .iter()
        .map(|s| s.owner)
        .find(|o| *o != set.owner)
        .unwrap();
    for (i, b) in before {
        let a = after.get(i);
        // Kept: never newly blocked, never deleted.
        if set.keeps(*i, b) {
            prop_assert!(
                a.is_some(),
                "{}: kept video {i} was deleted: {b:?}",
                set.owner
            );
            prop_assert!(
                b.status == "Blocked" || a.unwrap().status != "Blocked",
                "{}: kept video {i} was blocked: {b:?} -> {a:?}",
                set.owner
            );
        }
        // Someone else's: untouched.
        let blocker = blockers.get(i).copied();
        let foreign = b.has_owner_tag(other)
            || (b.status == "Blocked" && blocker.is_some_and(|x| x != set.owner));
        if foreign {
            prop_assert_eq!(
                a,
                Some(b),
                "{}: video {} of {:?}/{} was touched",
                set.owner,
                i,
                blocker,
                other
            );
        }
        // No user tag lost.
        if let Some(a) = a {
            prop_assert!(
                a.user_tags().is_superset(&b.user_tags()),
                "{}: video {i} lost tags: {b:?} -> {a:?}",
                set.owner
            );
        }
        // A deletion is the set's own due quarantine, or its plain deletion of a failed upload.
        if a.is_none() {
            let due = blocker == Some(set.owner)
                && b.status == "Blocked"
                && b.has_owner_tag(set.owner)
                && b.until()
                    .is_some_and(|u| u < vodplan::plan::quarantine::date_text(today));
            let plain = set.plain_failed && b.status == "UploadFail";
            let own_selected_plain = set.plain_failed && blocker == Some(set.owner);
            prop_assert!(
                due || plain || own_selected_plain,
                "{}: video {i} deleted: {b:?} (blocked by {blocker:?})",
                set.owner
            );
        }
    }
    Ok(())
}

/// Across UTC midnight: the date written is the apply's (and the outcome says it, so apply can
/// print it next to the reviewed plan's), never a date nobody was shown; a video gone between
/// the plan and the write is not counted quarantined.
#[test]
fn the_date_written_is_the_applys_and_only_confirmed_videos_count() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let catalogue = (0..3u8).map(|i| Video {
            video_id: vid(i),
            reference_id: None,
            title: format!("v{i}"),
            status: "Normal".into(),
            category_id: Some(1),
            creation_time: "2024-01-01T00:00:00Z".into(),
            modification_time: None,
            size: Some(1),
            duration: None,
            tags: None,
            storage_location: None,
            storage_class: None,
            cover_url: None,
            cdn: None,
            forbidden: false,
        });
        let emu = emulator::start(
            "127.0.0.1:0".parse().unwrap(),
            Catalog::from_videos(catalogue),
            EmulatorConfig::default(),
        )
        .await
        .unwrap();
        let client = client_for(&emu.endpoint());
        let set = Set {
            owner: "team-a",
            categories: vec![1],
            ids: vec![],
            plain_failed: false,
            keep_ids: vec![],
        };
        let desired = set.desired();
        let guards = vodplan::plan::guard::Guards::default();
        let plan = vodplan::plan::make::make_on(&client, &desired, &guards, &(), date(0))
            .await
            .unwrap();
        assert_eq!(plan.quarantines.len(), 3);
        assert_eq!(
            vodplan::plan::quarantine::date_text(plan.quarantines[0].until),
            "2026-01-15"
        );
        // Video 2 is deleted by someone else before the apply writes anything.
        client
            .delete_videos(&[VideoId::new(vid(2)).unwrap()])
            .await
            .result
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.jsonl");
        let locked = crate::flow::lock(&journal, "k", false);
        let approval =
            crate::flow::approve_made(&client, &plan, &desired, Some(date(1)), locked).await;
        let outcome = apply::run(client.clone(), approval, &(), &Interrupt::new())
            .await
            .unwrap();
        let written: Vec<(&str, String)> = outcome
            .until_written
            .iter()
            .map(|(k, v)| (k.as_str(), vodplan::plan::quarantine::date_text(*v)))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect();
        assert_eq!(
            written,
            [
                (vid(0).as_str(), "2026-01-16".to_string()),
                (vid(1).as_str(), "2026-01-16".to_string())
            ]
        );
        assert_eq!(
            outcome.quarantined,
            [VideoId::new(vid(0)).unwrap(), VideoId::new(vid(1)).unwrap()]
        );
        assert_eq!(outcome.non_exist_video_ids, [VideoId::new(vid(2)).unwrap()]);
        let journal = std::fs::read_to_string(&journal).unwrap();
        assert!(journal.contains("\"until\":\"2026-01-16\""), "{journal}");
        let after = snapshot(&client).await;
        assert_eq!(
            after[&0].tags,
            ["vodplan-until-2026-01-16", "vodplan-by-team-a"]
        );
        emu.stop().await;
    });
}

/// What an apply's context can get wrong: each must refuse the plan in `apply::check`, before
/// anything is read or sent.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    /// `--region` (or the environment, or the profile) names another region.
    Claim,
    /// Today's manifests name another region.
    ManifestsRegion,
    /// The saved plan was made against another endpoint.
    Endpoint,
    /// Today's guard (`--max-deletes`) allows fewer deletions than planned.
    Guard,
    /// The journal shows the saved plan applied already.
    Applied,
}

/// The emulator's count of each action's requests.
async fn calls(endpoint: &str) -> HashMap<String, u64> {
    let text = reqwest::get(format!("{endpoint}/_emulator/stats"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let stats: serde_json::Value = serde_json::from_str(&text).unwrap();
    stats["actions"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["requests"].as_u64().unwrap_or(0)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Through the library's approval, as `vodplan apply` goes: a plan (saved, or just made) in a
    /// wrong region, against a wrong endpoint, over today's guard, or already applied, is
    /// refused by `apply::check` naming that, and nothing is read or sent; in the right context
    /// it deletes exactly what it planned.
    #[test]
    fn the_context_is_checked_through_approve_and_a_refusal_reads_and_sends_nothing(
        ids in proptest::collection::btree_set(0..N, 1..N as usize),
        fault in prop_oneof![
            Just(Fault::None), Just(Fault::Claim), Just(Fault::ManifestsRegion),
            Just(Fault::Endpoint), Just(Fault::Guard), Just(Fault::Applied),
        ],
        made in any::<bool>(),
    ) {
        // A plan just made is never stale, nor applied once: those faults are a saved plan's.
        let made = made && !matches!(fault, Fault::Endpoint | Fault::Applied);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let catalogue = (0..N).map(|i| Video {
                video_id: vid(i), reference_id: None, title: format!("v{i}"), status: "Normal".into(),
                category_id: Some(1), creation_time: "2024-01-01T00:00:00Z".into(), modification_time: None,
                size: Some(1), duration: None, tags: None, storage_location: None, storage_class: None,
                cover_url: None, cdn: None, forbidden: false,
            });
            let emu = emulator::start("127.0.0.1:0".parse().unwrap(), Catalog::from_videos(catalogue), EmulatorConfig::default()).await.unwrap();
            let client = client_for(&emu.endpoint());
            let region = |value: &str| Some(Located { value: vodplan::ids::Region::new(value).unwrap(), location: at(1) });
            let mut desired = DesiredState {
                delete: ids.iter().enumerate().map(|(n, i)| entry(by_id(*i), None, n as u32 + 2)).collect(),
                region: region("cn-shanghai"),
                ..DesiredState::default()
            };
            let plan = vodplan::plan::make::make_on(&client, &desired, &Default::default(), &(), date(0)).await.unwrap();
            prop_assert_eq!(plan.deletions.len(), ids.len());
            let endpoint = if fault == Fault::Endpoint { "http://127.0.0.1:1".to_string() } else { client.config().endpoint.to_string() };
            let file = vodplan::plan::file::PlanFile::new(plan.clone(), crate::flow::REGION, &endpoint, &[], &[], None);
            let dir = tempfile::tempdir().unwrap();
            let journal = dir.path().join("j.jsonl");
            let key = format!("plan:{}", file.digest());
            if fault == Fault::Applied {
                let locked = crate::flow::lock(&journal, &key, true);
                let approval = crate::flow::approve_saved(&client, &file, &desired, None, locked).await.unwrap();
                let outcome = apply::run(client.clone(), approval, &(), &Interrupt::new()).await.unwrap();
                prop_assert_eq!(outcome.deleted.len(), ids.len());
            }
            if fault == Fault::ManifestsRegion {
                desired.region = region("cn-beijing");
            }
            let claims = if fault == Fault::Claim {
                vec![apply::RegionClaim { region: "cn-beijing".into(), by: "--region".into() }]
            } else {
                Vec::new()
            };
            let guards = vodplan::plan::guard::Guards {
                flag_max: (fault == Fault::Guard).then(|| ids.len() as u64 - 1),
                ..Default::default()
            };
            let ctx = crate::flow::Context { claims: &claims, guards: &guards, today: None };
            let proposal = if made {
                apply::Proposal::Made { plan: &plan, region: crate::flow::REGION }
            } else {
                apply::Proposal::Saved(&file)
            };
            let before = calls(&emu.endpoint()).await;
            let locked = crate::flow::lock(&journal, &key, !made);
            let approved = crate::flow::approve(&client, proposal, &desired, &ctx, locked).await;
            match (fault, approved) {
                (Fault::None, Ok(approval)) => {
                    let outcome = apply::run(client.clone(), approval, &(), &Interrupt::new()).await.unwrap();
                    let mut deleted: Vec<String> = outcome.deleted.iter().map(ToString::to_string).collect();
                    deleted.sort();
                    prop_assert_eq!(deleted, ids.iter().map(|i| vid(*i)).collect::<Vec<_>>());
                }
                (Fault::None, Err(r)) => prop_assert!(false, "refused in the right context: {r}"),
                (fault, Ok(_)) => prop_assert!(false, "{fault:?} was approved"),
                (fault, Err(r)) => {
                    let named = match fault {
                        Fault::Claim if made => matches!(r, apply::Refusal::RegionDisagrees { .. }),
                        Fault::Claim => matches!(r, apply::Refusal::ClaimedRegion { .. }),
                        Fault::ManifestsRegion => matches!(r, apply::Refusal::ManifestsRegion { .. }),
                        Fault::Endpoint => matches!(r, apply::Refusal::Endpoint { .. }),
                        Fault::Guard => matches!(r, apply::Refusal::Guard(_)),
                        Fault::Applied => matches!(r, apply::Refusal::AlreadyApplied { .. }),
                        Fault::None => unreachable!(),
                    };
                    prop_assert!(named, "{fault:?} refused as: {r}");
                    // Nothing read, nothing sent.
                    prop_assert_eq!(calls(&emu.endpoint()).await, before);
                }
            }
            emu.stop().await;
            Ok(())
        })?;
    }
}
