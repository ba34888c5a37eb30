//! The emulator's catalogue over the wire: listing reaches (lowered with `--page-limit` and
//! `--scroll-limit`), every `Match` field against a brute-force filter of the catalogue, scroll
//! traversals, and the write actions. Requests are signed here with a few lines of V1 signing
//! written from the documentation, independent of vodplan's client.

use std::io::{Read, Write};
use std::net::TcpStream;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;

use crate::harness::{Dir, Emulator};
use crate::test::{Test, unindent};

/// RFC 3986: everything but `A-Za-z0-9-_.~` is %XX (https://help.aliyun.com/document_detail/315526.html).
fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Calls `action` with a V1-signed POST and returns (HTTP status, body); waits out throttling.
fn call(emu: &Emulator, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
    loop {
        let (status, body) = call_once(emu, action, params);
        if body["Code"] != "Throttling.User" {
            return (status, body);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn call_once(emu: &Emulator, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let nonce = NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let now = vodplan::timefmt::now();
    let mut all: Vec<(String, String)> = vec![
        ("Action".into(), action.into()),
        ("Version".into(), "2017-03-21".into()),
        ("Format".into(), "JSON".into()),
        ("AccessKeyId".into(), "testid".into()),
        ("SignatureMethod".into(), "HMAC-SHA1".into()),
        ("SignatureVersion".into(), "1.0".into()),
        (
            "SignatureNonce".into(),
            format!("catalog-{}-{nonce}", std::process::id()),
        ),
        ("Timestamp".into(), now),
    ];
    all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    all.sort();
    let canonical: Vec<String> = all
        .iter()
        .map(|(k, v)| format!("{}={}", pct(k), pct(v)))
        .collect();
    let canonical = canonical.join("&");
    let to_sign = format!("POST&{}&{}", pct("/"), pct(&canonical));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"testsecret&").unwrap();
    mac.update(to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let query = format!("{canonical}&Signature={}", pct(&signature));
    let mut s = TcpStream::connect(("127.0.0.1", emu.port)).unwrap();
    write!(
        s,
        "POST /?{query} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\n\r\n",
        emu.port
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    (status, serde_json::from_str(body).unwrap())
}

fn ok(emu: &Emulator, action: &str, params: &[(&str, &str)]) -> Value {
    let (status, body) = call(emu, action, params);
    assert_eq!(status, 200, "{action} {params:?}: {body}");
    body
}

fn error(emu: &Emulator, action: &str, params: &[(&str, &str)]) -> (u16, String) {
    let (status, body) = call(emu, action, params);
    (
        status,
        body["Code"].as_str().unwrap_or_default().to_string(),
    )
}

/// One generated video, as the brute-force filter sees it.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    title: String,
    status: &'static str,
    cate: Option<i64>,
    created: i64,
    tags: Vec<String>,
    location: String,
}

const STATUSES: [&str; 4] = ["Normal", "UploadFail", "Blocked", "Transcoding"];
const LOCATIONS: [&str; 2] = [
    "in-a.oss-cn-shanghai.aliyuncs.com",
    "in-b.oss-cn-shanghai.aliyuncs.com",
];
const TAGS: [&str; 4] = ["promo", "2023", "legal", "promo-old"];
/// 2023-01-01T00:00:00Z
const T0: i64 = 1_672_531_200;

fn time(t: i64) -> String {
    vodplan::timefmt::format(time::OffsetDateTime::from_unix_timestamp(t).unwrap())
}

/// `n` videos with few distinct creation times (many ties), mixed statuses, categories, tags and
/// locations; tags alternate between the list and the comma-string forms of the file.
fn generate(n: usize, seed: u64) -> (Vec<Row>, String) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut rows = Vec::new();
    let mut yaml = String::from("videos:\n");
    for i in 0..n {
        let tags: Vec<String> = TAGS
            .iter()
            .filter(|_| rng.u8(..4) == 0)
            .map(|t| t.to_string())
            .collect();
        let row = Row {
            id: format!("{:032x}", i * 7919 % 100_003),
            title: format!("{} clip {i}", ["tmp", "final", "raw"][rng.usize(..3)]),
            status: STATUSES[rng.usize(..STATUSES.len())],
            cate: [None, Some(1000), Some(1003)][rng.usize(..3)],
            created: T0 + 3600 * rng.i64(0..40),
            tags,
            location: LOCATIONS[rng.usize(..2)].to_string(),
        };
        yaml += &format!(
            "  - videoId: {}\n    title: {}\n    status: {}\n    creationTime: {}\n    storageLocation: {}\n",
            row.id,
            row.title,
            row.status,
            time(row.created),
            row.location
        );
        if let Some(c) = row.cate {
            yaml += &format!("    categoryId: {c}\n");
        }
        if !row.tags.is_empty() {
            if i % 2 == 0 {
                yaml += &format!("    tags: [{}]\n", row.tags.join(", "));
            } else {
                yaml += &format!("    tags: \"{}\"\n", row.tags.join(","));
            }
        }
        rows.push(row);
    }
    (rows, yaml)
}

/// What a listing must return: the rows `keep` selects, by creation time then ID.
fn expected(rows: &[Row], ascending: bool, keep: impl Fn(&Row) -> bool) -> Vec<String> {
    let mut m: Vec<&Row> = rows.iter().filter(|r| keep(r)).collect();
    m.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    if !ascending {
        m.reverse();
    }
    m.into_iter().map(|r| r.id.clone()).collect()
}

/// A complete SearchMedia traversal: (Total, IDs in order).
fn traverse(emu: &Emulator, expression: &str, sort: &str, page: usize) -> (u64, Vec<String>) {
    let page = page.to_string();
    let mut token = String::new();
    let mut ids = Vec::new();
    loop {
        let mut params = vec![
            ("Match", expression),
            ("SortBy", sort),
            ("PageSize", page.as_str()),
        ];
        if !token.is_empty() {
            params.push(("ScrollToken", token.as_str()));
        }
        let body = ok(emu, "SearchMedia", &params);
        let total = body["Total"].as_u64().unwrap();
        for m in body["MediaList"].as_array().unwrap() {
            assert_eq!(m["MediaId"], m["Video"]["VideoId"]);
            ids.push(m["MediaId"].as_str().unwrap().to_string());
        }
        token = body["ScrollToken"].as_str().unwrap().to_string();
        if token.is_empty() {
            return (total, ids);
        }
    }
}

fn ids_of_list(body: &Value) -> Vec<String> {
    body["VideoList"]["Video"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["VideoId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn lowered_page_limit_cuts_and_then_refuses_plain_paging() {
    let dir = Dir::new();
    let (rows, yaml) = generate(30, 1);
    let emu = Emulator::start(&dir, &yaml, &["--page-limit", "10"]);
    let all = expected(&rows, true, |_| true);
    let asc = [("SortBy", "CreationTime:Asc"), ("PageSize", "4")];
    for (page, want) in [("1", &all[0..4]), ("2", &all[4..8]), ("3", &all[8..10])] {
        let body = ok(&emu, "GetVideoList", &[asc[0], asc[1], ("PageNo", page)]);
        assert_eq!(body["Total"], 30);
        assert_eq!(ids_of_list(&body), want, "page {page}");
        let body = ok(&emu, "SearchMedia", &[asc[0], asc[1], ("PageNo", page)]);
        assert_eq!(body["Total"], 30);
        let got: Vec<&str> = body["MediaList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["MediaId"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "page {page}");
    }
    for action in ["GetVideoList", "SearchMedia"] {
        assert_eq!(
            error(&emu, action, &[asc[0], asc[1], ("PageNo", "4")]),
            (400, "InvalidParameter.PageNo".into()),
            "{action}"
        );
    }
}

#[test]
fn lowered_scroll_limit_stops_the_traversal_there() {
    let dir = Dir::new();
    let (rows, yaml) = generate(30, 2);
    let emu = Emulator::start(&dir, &yaml, &["--scroll-limit", "25", "--page-limit", "5"]);
    let all = expected(&rows, false, |_| true);
    // A traversal is not bound by the paging reach, only by the scroll reach.
    let (total, ids) = traverse(&emu, "", "CreationTime:Desc", 10);
    assert_eq!(total, 30);
    assert_eq!(ids, all[..25]);
    let (total, ids) = traverse(&emu, "Status = 'Normal'", "CreationTime:Asc", 3);
    let want = expected(&rows, true, |r| r.status == "Normal");
    assert_eq!((total as usize, ids), (want.len(), want));
}

#[test]
fn every_match_field_agrees_with_a_brute_force_filter() {
    let dir = Dir::new();
    let (rows, yaml) = generate(400, 3);
    let emu = Emulator::start(&dir, &yaml, &[]);
    let t = |h: i64| time(T0 + 3600 * h);
    let (t5, t20) = (t(5), t(20));
    type Keep = Box<dyn Fn(&Row) -> bool>;
    let cases: Vec<(String, Keep)> = vec![
        ("".into(), Box::new(|_| true)),
        ("Status = Normal".into(), Box::new(|r| r.status == "Normal")),
        (
            "Status in ('UploadFail','Blocked')".into(),
            Box::new(|r| ["UploadFail", "Blocked"].contains(&r.status)),
        ),
        ("CateId = 1003".into(), Box::new(|r| r.cate == Some(1003))),
        (
            "CateId in ('1000','1003')".into(),
            Box::new(|r| r.cate.is_some()),
        ),
        (
            "Tags = 'promo'".into(),
            Box::new(|r| r.tags.iter().any(|t| t == "promo")),
        ),
        (
            "Tags in ('legal','2023')".into(),
            Box::new(|r| r.tags.iter().any(|t| t == "legal" || t == "2023")),
        ),
        (
            "Title = 'tmp'".into(),
            Box::new(|r| r.title.contains("tmp")),
        ),
        (
            format!("StorageLocation = {}", LOCATIONS[1]),
            Box::new(|r| r.location == LOCATIONS[1]),
        ),
        (
            format!("CreationTime = ('{t5}','{t20}')"),
            Box::new(|r| r.created > T0 + 5 * 3600 && r.created < T0 + 20 * 3600),
        ),
        (
            format!("CreationTime = ['{t5}','{t20}')"),
            Box::new(|r| r.created >= T0 + 5 * 3600 && r.created < T0 + 20 * 3600),
        ),
        (
            // The same instant written in another offset is the same time.
            format!(
                "CreationTime = ['{}',] and Status = 'UploadFail'",
                time::OffsetDateTime::from_unix_timestamp(T0 + 30 * 3600)
                    .unwrap()
                    .to_offset(time::macros::offset!(+8))
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap()
            ),
            Box::new(|r| r.created >= T0 + 30 * 3600 && r.status == "UploadFail"),
        ),
        (
            format!(
                "Status = 'Normal' and CateId = 1000 and Tags = 'promo' and CreationTime = [,'{t20}']"
            ),
            Box::new(|r| {
                r.status == "Normal"
                    && r.cate == Some(1000)
                    && r.tags.iter().any(|t| t == "promo")
                    && r.created <= T0 + 20 * 3600
            }),
        ),
    ];
    for (expression, keep) in &cases {
        for (sort, ascending) in [("CreationTime:Asc", true), ("CreationTime:Desc", false)] {
            let want = expected(&rows, ascending, keep);
            let (total, ids) = traverse(&emu, expression, sort, 37);
            assert_eq!(total as usize, want.len(), "{expression} {sort}");
            assert_eq!(ids, want, "{expression} {sort}");
        }
    }
    // One pick to show that the video ID filter works too.
    let id = rows[17].id.clone();
    let (total, ids) = traverse(&emu, &format!("VideoId = {id}"), "CreationTime:Asc", 10);
    assert_eq!((total, ids), (1, vec![id]));
    // GetVideoList's filters, the same way.
    let (from, to) = (t(5), t(20));
    let list_cases: Vec<(Vec<(&str, &str)>, Keep)> = vec![
        (
            vec![("Status", "Normal,Blocked")],
            Box::new(|r| ["Normal", "Blocked"].contains(&r.status)),
        ),
        (vec![("CateId", "1003")], Box::new(|r| r.cate == Some(1003))),
        (
            vec![("StorageLocation", LOCATIONS[0])],
            Box::new(|r| r.location == LOCATIONS[0]),
        ),
        (
            vec![
                ("StartTime", &from),
                ("EndTime", &to),
                ("Status", "UploadFail"),
            ],
            Box::new(|r| {
                r.created >= T0 + 5 * 3600 && r.created < T0 + 20 * 3600 && r.status == "UploadFail"
            }),
        ),
    ];
    for (filters, keep) in &list_cases {
        let want = expected(&rows, true, keep);
        let mut got = Vec::new();
        for page in 1.. {
            let page = page.to_string();
            let mut params = filters.clone();
            params.extend([
                ("SortBy", "CreationTime:Asc"),
                ("PageSize", "100"),
                ("PageNo", page.as_str()),
            ]);
            let body = ok(&emu, "GetVideoList", &params);
            assert_eq!(body["Total"].as_u64().unwrap() as usize, want.len());
            let ids = ids_of_list(&body);
            if ids.is_empty() {
                break;
            }
            got.extend(ids);
        }
        assert_eq!(got, want, "{filters:?}");
    }
}

#[test]
fn match_expressions_the_service_refuses() {
    let dir = Dir::new();
    let (_, yaml) = generate(3, 4);
    let emu = Emulator::start(&dir, &yaml, &[]);
    for bad in [
        "Description = 'x'",
        "CateId = abc",
        "CreationTime = '2023-01-01T00:00:00Z'",
        "CreationTime = ('2023-01-01','2024-01-01T00:00:00Z')",
        "Status = 'Normal' or CateId = 1",
        "Tags = ('a','b')",
    ] {
        assert_eq!(
            error(&emu, "SearchMedia", &[("Match", bad)]),
            (400, "InvalidParameter.Match".into()),
            "{bad}"
        );
    }
}

/// One SearchMedia page: (IDs, next token).
fn search_page(emu: &Emulator, params: &[(&str, &str)]) -> (Vec<String>, String) {
    let body = ok(emu, "SearchMedia", params);
    let ids = body["MediaList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["MediaId"].as_str().unwrap().to_string())
        .collect();
    (ids, body["ScrollToken"].as_str().unwrap().to_string())
}

#[test]
fn scroll_continuations_survive_deletions_and_retries_and_expire_when_idle() {
    let dir = Dir::new();
    let (rows, yaml) = generate(120, 5);
    let emu = Emulator::start(&dir, &yaml, &["--scroll-idle", "2", "--qps", "1000"]);
    let all = expected(&rows, true, |_| true);
    let q = [
        ("Match", ""),
        ("SortBy", "CreationTime:Asc"),
        ("PageSize", "10"),
    ];
    let (first, token) = search_page(&emu, &q);
    assert_eq!(first, all[..10]);
    // A retried continuation gets the same page.
    let with = |t: &str| {
        let mut p = q.to_vec();
        p.push(("ScrollToken", t));
        search_page(&emu, &p)
    };
    let t1 = token.clone();
    let (second, t2) = with(&token);
    assert_eq!(second, all[10..20]);
    assert_eq!(with(&t1).0, second);
    // Deleting videos already delivered and videos ahead shifts nothing: no duplicate, no gap.
    let gone: Vec<String> = [3, 15, 25, 26, 80]
        .iter()
        .map(|i| all[*i].clone())
        .collect();
    let body = ok(&emu, "DeleteVideo", &[("VideoIds", &gone.join(","))]);
    assert_eq!(body["NonExistVideoIds"], serde_json::json!([]));
    let mut rest = Vec::new();
    let mut token = t2;
    while !token.is_empty() {
        let (ids, next) = with(&token);
        rest.extend(ids);
        token = next;
    }
    let want: Vec<String> = all[20..]
        .iter()
        .filter(|id| !gone.contains(id))
        .cloned()
        .collect();
    assert_eq!(rest, want);
    // A token idle past --scroll-idle is forgotten.
    let (_, token) = search_page(&emu, &q);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let mut p = q.to_vec();
    p.push(("ScrollToken", &token));
    assert_eq!(
        error(&emu, "SearchMedia", &p),
        (400, "InvalidParameter.ScrollToken".into())
    );
    // A token of another query is refused.
    let (_, token) = search_page(&emu, &q);
    assert_eq!(
        error(
            &emu,
            "SearchMedia",
            &[
                ("Match", "Status = 'Normal'"),
                ("SortBy", "CreationTime:Asc"),
                ("ScrollToken", &token)
            ]
        ),
        (400, "InvalidParameter.ScrollToken".into())
    );
}

#[test]
fn deletions_keep_every_index_consistent() {
    let dir = Dir::new();
    let (rows, yaml) = generate(300, 6);
    let emu = Emulator::start(&dir, &yaml, &["--qps", "1000"]);
    // Delete every third video, 20 at a time.
    let doomed: Vec<String> = rows.iter().step_by(3).map(|r| r.id.clone()).collect();
    for chunk in doomed.chunks(20) {
        ok(&emu, "DeleteVideo", &[("VideoIds", &chunk.join(","))]);
    }
    assert_eq!(emu.videos() as usize, rows.len() - doomed.len());
    let left: Vec<Row> = rows
        .iter()
        .filter(|r| !doomed.contains(&r.id))
        .cloned()
        .collect();
    type Keep = Box<dyn Fn(&Row) -> bool>;
    let cases: Vec<(&str, Keep)> = vec![
        ("", Box::new(|_| true)),
        (
            "Status in ('Normal','Blocked')",
            Box::new(|r| ["Normal", "Blocked"].contains(&r.status)),
        ),
        ("CateId = 1000", Box::new(|r| r.cate == Some(1000))),
        (
            "Tags = 'promo'",
            Box::new(|r| r.tags.iter().any(|t| t == "promo")),
        ),
        ("Title = 'raw'", Box::new(|r| r.title.contains("raw"))),
    ];
    for (expression, keep) in &cases {
        let want = expected(&left, false, keep);
        let (total, ids) = traverse(&emu, expression, "CreationTime:Desc", 50);
        assert_eq!((total as usize, &ids), (want.len(), &want), "{expression}");
    }
    // Deleted videos are gone from reads by ID too.
    let body = ok(
        &emu,
        "GetVideoInfos",
        &[("VideoIds", &doomed[..5].join(","))],
    );
    assert_eq!(body["VideoList"], serde_json::json!([]));
    assert_eq!(body["NonExistVideoIds"].as_array().unwrap().len(), 5);
}

/// (Status, Tags) of a video in every read action.
fn seen_everywhere(emu: &Emulator, id: &str) -> Vec<(String, String)> {
    let pick = |v: &Value| {
        (
            v["Status"].as_str().unwrap_or_default().to_string(),
            v["Tags"].as_str().unwrap_or_default().to_string(),
        )
    };
    let infos = ok(emu, "GetVideoInfos", &[("VideoIds", id)]);
    let info = ok(emu, "GetVideoInfo", &[("VideoId", id)]);
    let created = info["Video"]["CreationTime"].as_str().unwrap();
    let after = time(vodplan::timefmt::parse(created).unwrap().unix_timestamp() + 1);
    let list = ok(
        emu,
        "GetVideoList",
        &[
            ("PageSize", "100"),
            ("StartTime", created),
            ("EndTime", &after),
        ],
    );
    let search = ok(emu, "SearchMedia", &[("Match", &format!("VideoId = {id}"))]);
    let listed = list["VideoList"]["Video"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["VideoId"] == id)
        .unwrap();
    vec![
        pick(&infos["VideoList"][0]),
        pick(&info["Video"]),
        pick(listed),
        pick(&search["MediaList"][0]["Video"]),
    ]
}

#[test]
fn create_audit_blocks_and_restores_with_the_real_shapes_and_errors() {
    let dir = Dir::new();
    let (rows, yaml) = generate(150, 7);
    let state = dir.path().join("state.jsonl");
    let state_arg = state.to_str().unwrap().to_string();
    let emu = Emulator::start(&dir, &yaml, &["--state", &state_arg]);
    let id = rows[0].id.clone();
    let item = |status: &str, reason: &str| {
        serde_json::json!([{ "VideoId": id, "Status": status, "Reason": reason, "Comment": "c" }])
            .to_string()
    };
    let body = ok(
        &emu,
        "CreateAudit",
        &[("AuditContent", &item("Blocked", "vodplan: quarantine"))],
    );
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["RequestId"]
    );
    assert!(
        seen_everywhere(&emu, &id)
            .iter()
            .all(|(s, _)| s == "Blocked")
    );
    assert_eq!(
        ok(&emu, "GetVideoInfo", &[("VideoId", &id)])["Video"]["AuditStatus"],
        "Blocked"
    );
    let blocked = traverse(&emu, "Status = 'Blocked'", "CreationTime:Asc", 100).1;
    assert!(blocked.contains(&id));
    // Every refusal changes nothing.
    let long = "x".repeat(129);
    let too_many: Vec<Value> = rows
        .iter()
        .take(101)
        .map(|r| serde_json::json!({ "VideoId": r.id, "Status": "Normal" }))
        .collect();
    let too_many = serde_json::to_string(&too_many).unwrap();
    for (content, want) in [
        (
            item("Normal", "").replace("Normal", "Gone"),
            (400, "InvalidParameter.AuditContent"),
        ),
        (item("Blocked", ""), (400, "InvalidParameter.AuditContent")),
        (
            item("Blocked", &long),
            (400, "InvalidParameter.AuditContent"),
        ),
        ("not json".into(), (400, "InvalidParameter.AuditContent")),
        (
            "[{\"Status\":\"Normal\"}]".into(),
            (400, "InvalidParameter.AuditContent"),
        ),
        (too_many, (400, "CountExceededMax")),
        (
            "[{\"VideoId\":\"ffffffffffffffffffffffffffffffff\",\"Status\":\"Normal\"}]".into(),
            (404, "InvalidVideo.NotFound"),
        ),
    ] {
        assert_eq!(
            error(&emu, "CreateAudit", &[("AuditContent", &content)]),
            (want.0, want.1.to_string()),
            "{content}"
        );
    }
    assert_eq!(
        error(&emu, "CreateAudit", &[]),
        (400, "MissingAuditContent".into())
    );
    assert_eq!(seen_everywhere(&emu, &id)[0].0, "Blocked");
    // The state survives a restart.
    emu.stop();
    let emu = Emulator::start(&dir, &yaml, &["--state", &state_arg]);
    assert_eq!(seen_everywhere(&emu, &id)[0].0, "Blocked");
    ok(
        &emu,
        "CreateAudit",
        &[("AuditContent", &item("Normal", ""))],
    );
    assert!(
        seen_everywhere(&emu, &id)
            .iter()
            .all(|(s, _)| s == "Normal")
    );
    assert!(
        !traverse(&emu, "Status = 'Blocked'", "CreationTime:Asc", 100)
            .1
            .contains(&id)
    );
}

#[test]
fn update_video_infos_replaces_only_the_given_fields_within_the_limits() {
    let dir = Dir::new();
    let extra =
        "  - videoId: fbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfb\n    title: held\n    forbidden: true\n";
    let (rows, yaml) = generate(30, 8);
    let state = dir.path().join("state.jsonl");
    let state_arg = state.to_str().unwrap().to_string();
    let emu = Emulator::start(&dir, &format!("{yaml}{extra}"), &["--state", &state_arg]);
    let id = rows[1].id.clone();
    let content = serde_json::json!([
        { "VideoId": id, "Tags": "keep-me,vodplan-until-2030-01-01", "CateId": 1003 },
        { "VideoId": "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "Title": "x" },
        { "VideoId": "fbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfb", "Tags": "a" },
    ])
    .to_string();
    let body = ok(&emu, "UpdateVideoInfos", &[("UpdateContent", &content)]);
    assert_eq!(
        body["NonExistVideoIds"],
        serde_json::json!(["eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"])
    );
    assert_eq!(
        body["ForbiddenVideoIds"],
        serde_json::json!(["fbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfb"])
    );
    let seen = seen_everywhere(&emu, &id);
    assert!(
        seen.iter()
            .all(|(s, t)| s == rows[1].status && t == "keep-me,vodplan-until-2030-01-01"),
        "{seen:?}"
    );
    let info = ok(&emu, "GetVideoInfo", &[("VideoId", &id)])["Video"].clone();
    assert_eq!(
        (info["Title"].as_str(), info["CateId"].as_i64()),
        (Some(rows[1].title.as_str()), Some(1003))
    );
    // The indexes follow: the new tag and category match, the old tags no longer do.
    assert_eq!(
        traverse(
            &emu,
            "Tags = 'vodplan-until-2030-01-01'",
            "CreationTime:Asc",
            10
        )
        .1,
        std::slice::from_ref(&id)
    );
    assert!(
        traverse(&emu, "CateId = 1003", "CreationTime:Asc", 100)
            .1
            .contains(&id)
    );
    for old in &rows[1].tags {
        assert!(
            !traverse(&emu, &format!("Tags = '{old}'"), "CreationTime:Asc", 100)
                .1
                .contains(&id)
        );
    }
    // Limits: 20 items, 16 tags of 32 bytes.
    let item = |tags: &str| serde_json::json!([{ "VideoId": id, "Tags": tags }]).to_string();
    let seventeen: Vec<String> = (0..17).map(|i| format!("t{i}")).collect();
    let too_many: Vec<Value> = (0..21)
        .map(|_| serde_json::json!({ "VideoId": id, "Title": "t" }))
        .collect();
    for (content, want) in [
        (item(&seventeen.join(",")), (400, "InvalidParameter.Tags")),
        (item(&"x".repeat(33)), (400, "InvalidParameter.Tags")),
        (
            serde_json::to_string(&too_many).unwrap(),
            (400, "CountExceededMax"),
        ),
        ("{}".into(), (400, "InvalidParameter.UpdateContent")),
    ] {
        assert_eq!(
            error(&emu, "UpdateVideoInfos", &[("UpdateContent", &content)]),
            (want.0, want.1.to_string()),
            "{content}"
        );
    }
    assert_eq!(
        error(&emu, "UpdateVideoInfos", &[]),
        (400, "MissingUpdateContent".into())
    );
    ok(
        &emu,
        "UpdateVideoInfos",
        &[("UpdateContent", &item(&seventeen[..16].join(",")))],
    );
    assert_eq!(seen_everywhere(&emu, &id)[0].1, seventeen[..16].join(","));
    // An empty Tags removes every tag; the state survives a restart.
    ok(&emu, "UpdateVideoInfos", &[("UpdateContent", &item(""))]);
    emu.stop();
    let emu = Emulator::start(&dir, &format!("{yaml}{extra}"), &["--state", &state_arg]);
    assert!(seen_everywhere(&emu, &id).iter().all(|(_, t)| t.is_empty()));
    assert_eq!(
        ok(&emu, "GetVideoInfo", &[("VideoId", &id)])["Video"]["CateId"],
        1003
    );
}

#[test]
fn the_write_actions_have_their_own_qps_limits() {
    let dir = Dir::new();
    let (rows, yaml) = generate(3, 9);
    let emu = Emulator::start(&dir, &yaml, &[]);
    let content = serde_json::json!([{ "VideoId": rows[0].id, "Title": "t" }]).to_string();
    let audit = serde_json::json!([{ "VideoId": rows[0].id, "Status": "Normal" }]).to_string();
    for (action, param, value) in [
        ("UpdateVideoInfos", "UpdateContent", &content),
        ("CreateAudit", "AuditContent", &audit),
    ] {
        let throttled = (0..45)
            .filter(|_| call_once(&emu, action, &[(param, value)]).1["Code"] == "Throttling.User")
            .count();
        assert!(
            (1..=15).contains(&throttled),
            "{action}: {throttled} of 45 throttled"
        );
    }
    assert_eq!(
        emu.stats()["actions"]["CreateAudit"]["ok"]
            .as_u64()
            .unwrap()
            + emu.stats()["actions"]["CreateAudit"]["throttled"]
                .as_u64()
                .unwrap(),
        45
    );
}

#[test]
fn json_catalogues_are_streamed_with_the_same_fields_and_checks() {
    let dir = Dir::new();
    // (A repeated videoId is refused: see hostile::a_catalogue_listing_a_video_twice_is_refused.)
    let json = r#"{"videos": [
        {"videoId": "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2", "status": "UploadFail", "categoryId": 7, "tags": "y, z"},
        {"videoId": "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "title": "new", "creationTime": "2023-01-01T08:00:00+08:00", "tags": ["x", 2023]}
    ]}"#;
    let emu = Emulator::start(&dir, json, &[]);
    assert_eq!(emu.videos(), 2);
    let v = ok(
        &emu,
        "GetVideoInfo",
        &[("VideoId", "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1")],
    )["Video"]
        .clone();
    assert_eq!(
        (
            v["Title"].as_str(),
            v["Tags"].as_str(),
            v["CreationTime"].as_str(),
            v["Status"].as_str()
        ),
        (
            Some("new"),
            Some("x,2023"),
            Some("2023-01-01T00:00:00Z"),
            Some("Normal")
        )
    );
    let (_, ids) = traverse(&emu, "Tags in ('z','2023')", "CreationTime:Asc", 10);
    assert_eq!(
        ids,
        [
            "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
            "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
        ]
    );
    // A time that is not RFC 3339 stops the emulator with the video and the field named.
    dir.write(
        "bad.json",
        r#"{"videos": [{"videoId": "c3", "creationTime": "2023-01-01"}]}"#,
    );
    Test::in_dir(&dir)
        .args(["emulator", "--listen", "127.0.0.1:0", "--catalog", "bad.json"])
        .status(1)
        .stderr(unindent(
            "
            error: cannot load the catalogue bad.json: video c3: creationTime `2023-01-01` is not an RFC 3339 time (yyyy-MM-ddTHH:mm:ssZ) at line 1 column 60
            hint: see the catalogue format in the README (videos: [{videoId, title, status, ...}])
            ",
        ))
        .run();
}
