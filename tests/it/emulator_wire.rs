//! The emulator's wire behaviour, probed with hand-built signed requests over raw HTTP: the
//! rules a client can get wrong (replayed nonces, stale timestamps, too many IDs, throttling).

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::harness::{Dir, Emulator, catalog_of, vid};
use vodplan::vod::{encode, sign};

/// Sends a V1-signed POST with `params` and returns (status, body).
fn v1_call(
    emu: &Emulator,
    action: &str,
    params: &[(&str, String)],
    nonce: &str,
    timestamp: &str,
    secret: &str,
) -> (u16, serde_json::Value) {
    let mut all: Vec<(String, String)> = vec![
        ("Action".into(), action.into()),
        ("Version".into(), "2017-03-21".into()),
        ("Format".into(), "JSON".into()),
        ("AccessKeyId".into(), "testid".into()),
        ("SignatureMethod".into(), "HMAC-SHA1".into()),
        ("SignatureVersion".into(), "1.0".into()),
        ("SignatureNonce".into(), nonce.into()),
        ("Timestamp".into(), timestamp.into()),
        ("SignatureType".into(), String::new()),
    ];
    all.extend(params.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let signature = sign::v1_signature(secret, &sign::v1_string_to_sign("POST", &all));
    all.push(("Signature".into(), signature));
    let query = encode::canonical_query(&all);
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

fn now() -> String {
    vodplan::timefmt::now()
}

#[test]
fn replayed_nonces_stale_timestamps_and_wrong_secrets_are_refused() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(3, ""), &[]);
    let ids = [("VideoIds", vid(0))];
    let (status, body) = v1_call(&emu, "GetVideoInfos", &ids, "nonce-1", &now(), "testsecret");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["VideoList"][0]["VideoId"], vid(0));
    let (status, body) = v1_call(&emu, "GetVideoInfos", &ids, "nonce-1", &now(), "testsecret");
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "SignatureNonceUsed")
    );
    let (status, body) = v1_call(
        &emu,
        "GetVideoInfos",
        &ids,
        "nonce-2",
        "2020-01-01T00:00:00Z",
        "testsecret",
    );
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "InvalidTimeStamp.Expired")
    );
    let (status, body) = v1_call(
        &emu,
        "GetVideoInfos",
        &ids,
        "nonce-3",
        &now(),
        "nottherightone",
    );
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "SignatureDoesNotMatch")
    );
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("server string to sign is:POST&%2F&"),
        "{body}"
    );
    assert!(
        body["RequestId"].is_string()
            && body["HostId"].is_string()
            && body["Recommend"].is_string()
    );
}

#[test]
fn delete_video_speaks_the_apis_errors() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(30, ""), &[]);
    let too_many = (0..21).map(vid).collect::<Vec<_>>().join(",");
    let (status, body) = v1_call(
        &emu,
        "DeleteVideo",
        &[("VideoIds", too_many)],
        "n1",
        &now(),
        "testsecret",
    );
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "VideoIdsExceededMax")
    );
    let absent = format!("{},{}", "f".repeat(32), "e".repeat(32));
    let (status, body) = v1_call(
        &emu,
        "DeleteVideo",
        &[("VideoIds", absent)],
        "n2",
        &now(),
        "testsecret",
    );
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (404, "InvalidVideo.NotFound")
    );
    let partial = format!("{},{}", vid(1), "f".repeat(32));
    let (status, body) = v1_call(
        &emu,
        "DeleteVideo",
        &[("VideoIds", partial)],
        "n3",
        &now(),
        "testsecret",
    );
    assert_eq!(status, 200);
    assert_eq!(
        body["NonExistVideoIds"],
        serde_json::json!(["f".repeat(32)])
    );
    assert_eq!(body["ForbiddenVideoIds"], serde_json::json!([]));
    let (status, body) = v1_call(&emu, "DescribeRegions", &[], "n4", &now(), "testsecret");
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (404, "InvalidAction.NotFound")
    );
    assert_eq!(emu.videos(), 29);
}

#[test]
fn the_qps_limit_answers_with_throttling() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(10, ""), &["--qps", "2"]);
    let codes: Vec<u16> = (0..5)
        .map(|i| {
            v1_call(
                &emu,
                "DeleteVideo",
                &[("VideoIds", vid(i))],
                &format!("q{i}"),
                &now(),
                "testsecret",
            )
            .0
        })
        .collect();
    assert_eq!(&codes[..2], &[200, 200]);
    assert!(codes[2..].contains(&400), "{codes:?}");
    assert!(
        emu.stats()["actions"]["DeleteVideo"]["throttled"]
            .as_u64()
            .unwrap()
            >= 1
    );
}

#[test]
fn deletions_survive_an_emulator_restart_with_state() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(5, ""), &["--state", "emulator.state"]);
    let port = emu.port;
    let (status, _) = v1_call(
        &emu,
        "DeleteVideo",
        &[("VideoIds", format!("{},{}", vid(1), vid(2)))],
        "s1",
        &now(),
        "testsecret",
    );
    assert_eq!(status, 200);
    emu.stop();
    let emu = Emulator::start_on(
        &dir,
        &catalog_of(5, ""),
        &["--state", "emulator.state"],
        port,
    );
    assert_eq!(emu.videos(), 3);
    let (_, body) = v1_call(
        &emu,
        "GetVideoInfos",
        &[("VideoIds", format!("{},{}", vid(1), vid(3)))],
        "s2",
        &now(),
        "testsecret",
    );
    assert_eq!(body["NonExistVideoIds"], serde_json::json!([vid(1)]));
    // Without the state file, the catalogue is as written.
    emu.stop();
    let emu = Emulator::start_on(&dir, &catalog_of(5, ""), &[], port);
    assert_eq!(emu.videos(), 5);
}
