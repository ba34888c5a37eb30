//! The emulator's wire behaviour, probed with hand-built signed requests over raw HTTP: the
//! rules a client can get wrong (replayed nonces, stale timestamps, too many IDs, throttling).

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::harness::{Dir, Emulator, catalog_of, vid, vodplan};
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
    v1_call_on(emu.port, action, params, nonce, timestamp, secret)
}

/// [`v1_call`] to the emulator on `port`.
pub(crate) fn v1_call_on(
    port: u16,
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
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST /?{query} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    (status, serde_json::from_str(body).unwrap())
}

pub(crate) fn now() -> String {
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
fn the_strict_quota_counts_any_second_by_arrival_and_fixed_buckets_reset() {
    let dir = Dir::new();
    let delete = |emu: &Emulator, i: usize| {
        let (status, body) = v1_call(
            emu,
            "DeleteVideo",
            &[("VideoIds", vid(i))],
            &format!("s{i}"),
            &now(),
            "testsecret",
        );
        (status, body["Code"].as_str().unwrap_or("").to_string())
    };
    let emu = Emulator::start(
        &dir,
        &catalog_of(20, ""),
        &["--quota-mode", "sliding", "--qps", "3"],
    );
    let start = std::time::Instant::now();
    let first: Vec<_> = (0..4).map(|i| delete(&emu, i)).collect();
    assert_eq!(
        first[..3].iter().map(|r| r.0).collect::<Vec<_>>(),
        [200, 200, 200]
    );
    if start.elapsed() < std::time::Duration::from_millis(900) {
        assert_eq!(first[3], (400, "Throttling.User".to_string()));
    }
    // A second after the first three arrived, there is room again; refusals were not counted.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again: Vec<u16> = (4..7).map(|i| delete(&emu, i).0).collect();
    assert_eq!(again, [200, 200, 200]);
    assert_eq!(emu.stats()["actions"]["DeleteVideo"]["ok"], 6);
    emu.stop();

    // `bucket` is the same as `fixed`.
    let emu = Emulator::start(
        &dir,
        &catalog_of(20, ""),
        &["--quota-mode", "bucket", "--qps", "2", "--jitter-ms", "3"],
    );
    let codes: Vec<u16> = (0..3).map(|i| delete(&emu, i).0).collect();
    assert_eq!(&codes[..2], &[200, 200]);
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

// ---- the identity side: STS, the ECS metadata service, the credentials URI -------------------

const ROLE: &str = "acs:ram::1234567890123456:role/vodplan";
const OIDC_PROVIDER: &str = "acs:ram::1234567890123456:oidc-provider/vodplan";

/// A raw HTTP/1.0 exchange: (status, body).
fn http(
    emu: &Emulator,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", emu.port)).unwrap();
    let mut head = format!(
        "{method} {target} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n",
        emu.port
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    (
        status,
        text.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A key pair (and token) to sign with.
struct Key {
    id: String,
    secret: String,
    token: Option<String>,
}

impl Key {
    fn long_term() -> Key {
        Key {
            id: "testid".into(),
            secret: "testsecret".into(),
            token: None,
        }
    }

    fn from(credentials: &serde_json::Value) -> Key {
        Key {
            id: credentials["AccessKeyId"].as_str().unwrap().into(),
            secret: credentials["AccessKeySecret"].as_str().unwrap().into(),
            token: Some(credentials["SecurityToken"].as_str().unwrap().into()),
        }
    }
}

/// A V1-signed POST the way credentials-go's RAM-role provider sends it: common parameters in
/// the query, the action's own in a form body, the signature over both.
fn v1_form_call(
    emu: &Emulator,
    key: &Key,
    action: &str,
    version: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut query: Vec<(String, String)> = vec![
        ("Action".into(), action.into()),
        ("Version".into(), version.into()),
        ("Format".into(), "JSON".into()),
        ("AccessKeyId".into(), key.id.clone()),
        ("SignatureMethod".into(), "HMAC-SHA1".into()),
        ("SignatureVersion".into(), "1.0".into()),
        ("SignatureNonce".into(), format!("{:032x}", fastrand_u128())),
        ("Timestamp".into(), now()),
    ];
    if let Some(t) = &key.token {
        query.push(("SecurityToken".into(), t.clone()));
    }
    let form: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let all: Vec<(String, String)> = query.iter().chain(&form).cloned().collect();
    let signature = sign::v1_signature(&key.secret, &sign::v1_string_to_sign("POST", &all));
    query.push(("Signature".into(), signature));
    let (status, body) = http(
        emu,
        "POST",
        &format!("/?{}", encode::canonical_query(&query)),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &encode::canonical_query(&form),
    );
    (status, json(&body))
}

fn fastrand_u128() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    t ^ (u128::from(N.fetch_add(1, Ordering::Relaxed)) << 64)
}

fn assume_role(emu: &Emulator, key: &Key, role: &str, duration: &str) -> (u16, serde_json::Value) {
    v1_form_call(
        emu,
        key,
        "AssumeRole",
        "2015-04-01",
        &[
            ("RoleArn", role),
            ("RoleSessionName", "vodplan-test"),
            ("DurationSeconds", duration),
        ],
    )
}

fn get_video_infos(emu: &Emulator, key: &Key, id: &str) -> (u16, serde_json::Value) {
    v1_form_call(emu, key, "GetVideoInfos", "2017-03-21", &[("VideoIds", id)])
}

fn code(reply: &(u16, serde_json::Value)) -> (u16, &str) {
    (reply.0, reply.1["Code"].as_str().unwrap_or("<none>"))
}

fn seconds_until(expiration: &serde_json::Value) -> i64 {
    let t = vodplan::timefmt::parse(expiration.as_str().unwrap()).unwrap();
    (t - time::OffsetDateTime::now_utc()).whole_seconds()
}

#[test]
fn assume_role_issues_keys_that_sign_vod_calls_until_they_expire() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(3, ""), &["--sts-ttl", "2s"]);
    let (status, body) = assume_role(&emu, &Key::long_term(), ROLE, "900");
    assert_eq!(status, 200, "{body}");
    let creds = &body["Credentials"];
    assert!(
        creds["AccessKeyId"].as_str().unwrap().starts_with("STS."),
        "{body}"
    );
    assert!(
        (0..=2).contains(&seconds_until(&creds["Expiration"])),
        "{body}"
    );
    assert_eq!(
        body["AssumedRoleUser"]["Arn"],
        "acs:ram::1234567890123456:role/vodplan/vodplan-test"
    );
    assert!(body["RequestId"].is_string());
    let temp = Key::from(creds);

    let reply = get_video_infos(&emu, &temp, &vid(0));
    assert_eq!(reply.0, 200, "{}", reply.1);
    assert_eq!(reply.1["VideoList"][0]["VideoId"], vid(0));
    // Chaining: a temporary key (with its token) may assume a role too.
    let (status, body) = assume_role(&emu, &temp, ROLE, "3600");
    assert_eq!(status, 200, "{body}");

    let other_token = Key {
        token: Some("CAISnotthetoken".into()),
        ..Key::from(creds)
    };
    assert_eq!(
        code(&get_video_infos(&emu, &other_token, &vid(0))),
        (400, "InvalidSecurityToken.MismatchWithAccessKey")
    );
    let no_token = Key {
        token: None,
        ..Key::from(creds)
    };
    assert_eq!(
        code(&get_video_infos(&emu, &no_token, &vid(0))),
        (400, "MissingSecurityToken")
    );
    let unknown = Key {
        id: "STS.neverissued".into(),
        ..Key::from(creds)
    };
    assert_eq!(
        code(&get_video_infos(&emu, &unknown, &vid(0))),
        (404, "InvalidAccessKeyId.NotFound")
    );

    std::thread::sleep(std::time::Duration::from_millis(3100));
    let reply = get_video_infos(&emu, &temp, &vid(0));
    assert_eq!(code(&reply), (400, "InvalidSecurityToken.Expired"));
    assert_eq!(reply.1["Message"], "Specified SecurityToken is expired.");
    assert_eq!(
        code(&assume_role(&emu, &temp, ROLE, "900")),
        (400, "InvalidSecurityToken.Expired")
    );
    let stats = &emu.stats()["actions"]["AssumeRole"];
    assert_eq!(
        (
            stats["requests"].as_u64(),
            stats["ok"].as_u64(),
            stats["rejected"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
}

#[test]
fn assume_role_refuses_unknown_roles_bad_durations_and_bad_signatures() {
    let dir = Dir::new();
    let emu = Emulator::start(
        &dir,
        &catalog_of(1, ""),
        &[
            "--role-arn",
            "acs:ram::1:role/a",
            "--role-arn",
            "acs:ram::1:role/b",
        ],
    );
    let long = Key::long_term();
    assert_eq!(assume_role(&emu, &long, "acs:ram::1:role/b", "3600").0, 200);
    let reply = assume_role(&emu, &long, ROLE, "3600");
    assert_eq!(code(&reply), (404, "EntityNotExist.Role"));
    assert_eq!(
        code(&assume_role(&emu, &long, "acs:ram::1:role/a", "899")),
        (400, "InvalidParameter.DurationSeconds")
    );
    assert_eq!(
        code(&assume_role(&emu, &long, "acs:ram::1:role/a", "43201")),
        (400, "InvalidParameter.DurationSeconds")
    );
    let wrong = Key {
        secret: "nottherightone".into(),
        ..Key::long_term()
    };
    assert_eq!(
        code(&assume_role(&emu, &wrong, "acs:ram::1:role/a", "3600")),
        (400, "SignatureDoesNotMatch")
    );
    let no_session = v1_form_call(
        &emu,
        &long,
        "AssumeRole",
        "2015-04-01",
        &[("RoleArn", "acs:ram::1:role/a")],
    );
    assert_eq!(code(&no_session), (400, "MissingRoleSessionName"));
    // The VOD version is not STS's.
    let wrong_version = v1_form_call(
        &emu,
        &long,
        "AssumeRole",
        "2017-03-21",
        &[("RoleArn", "acs:ram::1:role/a"), ("RoleSessionName", "s1")],
    );
    assert_eq!(code(&wrong_version), (400, "InvalidVersion"));
}

/// AssumeRoleWithOIDC as credentials-python sends it: a GET, everything in the query, no signature.
fn oidc_call(emu: &Emulator, token: &str, provider: &str, role: &str) -> (u16, serde_json::Value) {
    let query = encode::canonical_query(&[
        ("Action", "AssumeRoleWithOIDC"),
        ("Version", "2015-04-01"),
        ("Format", "JSON"),
        ("Timestamp", &now()),
        ("RoleArn", role),
        ("OIDCProviderArn", provider),
        ("OIDCToken", token),
        ("RoleSessionName", "ci-run-1"),
        ("DurationSeconds", "1800"),
    ]);
    let (status, body) = http(emu, "GET", &format!("/?{query}"), &[], "");
    (status, json(&body))
}

#[test]
fn assume_role_with_oidc_accepts_only_the_configured_token_provider_and_role() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(1, ""), &["--oidc-token", "tok-123"]);
    let (status, body) = oidc_call(&emu, "tok-123", OIDC_PROVIDER, ROLE);
    assert_eq!(status, 200, "{body}");
    assert!(
        (1795..=1800).contains(&seconds_until(&body["Credentials"]["Expiration"])),
        "{body}"
    );
    assert_eq!(
        get_video_infos(&emu, &Key::from(&body["Credentials"]), &vid(0)).0,
        200
    );
    assert_eq!(
        code(&oidc_call(
            &emu,
            "vodplan-test-oidc-token",
            OIDC_PROVIDER,
            ROLE
        )),
        (401, "AuthenticationFail.OIDCToken.Invalid")
    );
    assert_eq!(
        code(&oidc_call(&emu, "", OIDC_PROVIDER, ROLE)),
        (401, "AuthenticationFail.OIDCToken.Invalid")
    );
    assert_eq!(
        code(&oidc_call(
            &emu,
            "tok-123",
            "acs:ram::1:oidc-provider/other",
            ROLE
        )),
        (401, "AuthenticationFail.NoPermission")
    );
    assert_eq!(
        code(&oidc_call(
            &emu,
            "tok-123",
            OIDC_PROVIDER,
            "acs:ram::1:role/other"
        )),
        (404, "EntityNotExist.Role")
    );
    // credentials-go's shape: a POST with a form body.
    let form = encode::canonical_query(&[
        ("RoleArn", ROLE),
        ("OIDCProviderArn", OIDC_PROVIDER),
        ("OIDCToken", "tok-123"),
        ("RoleSessionName", "ci-run-2"),
        ("DurationSeconds", "900"),
    ]);
    let (status, body) = http(
        &emu,
        "POST",
        &format!(
            "/?Action=AssumeRoleWithOIDC&Version=2015-04-01&Format=JSON&Timestamp={}",
            encode::percent(&now())
        ),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(status, 200, "{body}");
    let stats = &emu.stats()["actions"]["AssumeRoleWithOIDC"];
    assert_eq!(
        (stats["requests"].as_u64(), stats["ok"].as_u64()),
        (Some(6), Some(2))
    );
}

const ROLE_PATH: &str = "/latest/meta-data/ram/security-credentials/";

#[test]
fn the_metadata_service_serves_the_imdsv2_flow_and_its_keys_expire() {
    let dir = Dir::new();
    let emu = Emulator::start(
        &dir,
        &catalog_of(2, ""),
        &["--sts-ttl", "2s", "--ecs-role", "worker"],
    );
    let (status, token) = http(
        &emu,
        "PUT",
        "/latest/api/token",
        &[("X-aliyun-ecs-metadata-token-ttl-seconds", "21600")],
        "",
    );
    assert_eq!(status, 200);
    assert!(token.len() >= 32, "{token}");
    let with_token = [("X-aliyun-ecs-metadata-token", token.as_str())];
    assert_eq!(
        http(&emu, "GET", ROLE_PATH, &with_token, ""),
        (200, "worker".to_string())
    );
    let (status, body) = http(&emu, "GET", &format!("{ROLE_PATH}worker"), &with_token, "");
    assert_eq!(status, 200, "{body}");
    let creds = json(&body);
    assert_eq!(creds["Code"], "Success");
    assert!(creds["LastUpdated"].is_string());
    assert!(
        (0..=2).contains(&seconds_until(&creds["Expiration"])),
        "{creds}"
    );
    let key = Key::from(&creds);
    assert_eq!(get_video_infos(&emu, &key, &vid(1)).0, 200);
    // IMDSv1 (no token) is allowed by default; a bad token never is; an unknown role is 404.
    assert_eq!(http(&emu, "GET", ROLE_PATH, &[], "").0, 200);
    assert_eq!(
        http(
            &emu,
            "GET",
            ROLE_PATH,
            &[("X-aliyun-ecs-metadata-token", "forged")],
            ""
        )
        .0,
        401
    );
    assert_eq!(
        http(&emu, "GET", &format!("{ROLE_PATH}other"), &with_token, "").0,
        404
    );
    assert_eq!(http(&emu, "PUT", "/latest/api/token", &[], "").0, 400);
    std::thread::sleep(std::time::Duration::from_millis(3100));
    assert_eq!(
        code(&get_video_infos(&emu, &key, &vid(1))),
        (400, "InvalidSecurityToken.Expired")
    );
    assert_eq!(
        emu.stats()["actions"]["metadata"]["requests"].as_u64(),
        Some(7)
    );
}

#[test]
fn imdsv2_only_refuses_metadata_reads_without_a_token() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(1, ""), &["--imdsv2-only"]);
    assert_eq!(http(&emu, "GET", ROLE_PATH, &[], "").0, 403);
    assert_eq!(
        http(
            &emu,
            "GET",
            &format!("{ROLE_PATH}vodplan-ecs-role"),
            &[],
            ""
        )
        .0,
        403
    );
    let (_, token) = http(
        &emu,
        "PUT",
        "/latest/api/token",
        &[("X-aliyun-ecs-metadata-token-ttl-seconds", "60")],
        "",
    );
    assert_eq!(
        http(
            &emu,
            "GET",
            ROLE_PATH,
            &[("X-aliyun-ecs-metadata-token", token.as_str())],
            ""
        ),
        (200, "vodplan-ecs-role".to_string())
    );
    // A token lives as long as asked for, then it is refused.
    let (_, short) = http(
        &emu,
        "PUT",
        "/latest/api/token",
        &[("X-aliyun-ecs-metadata-token-ttl-seconds", "1")],
        "",
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let expired = [("X-aliyun-ecs-metadata-token", short.as_str())];
    assert_eq!(http(&emu, "GET", ROLE_PATH, &expired, "").0, 401);
}

#[test]
fn the_credentials_uri_endpoint_hands_out_working_keys() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(1, ""), &["--sts-ttl", "15m"]);
    let (status, body) = http(&emu, "GET", "/_emulator/credentials", &[], "");
    assert_eq!(status, 200, "{body}");
    let creds = json(&body);
    assert_eq!(creds["Code"], "Success");
    assert!(
        (895..=900).contains(&seconds_until(&creds["Expiration"])),
        "{creds}"
    );
    assert_eq!(get_video_infos(&emu, &Key::from(&creds), &vid(0)).0, 200);
    assert_eq!(
        emu.stats()["actions"]["credentials"]["ok"].as_u64(),
        Some(1)
    );
}

#[test]
fn vodplan_itself_plans_with_temporary_keys_and_is_refused_once_they_expire() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(2, ""), &["--sts-ttl", "2s"]);
    dir.write(
        "m.yaml",
        &format!("version: 1\ndelete:\n  - videoId: {}\n", vid(1)),
    );
    let (_, body) = assume_role(&emu, &Key::long_term(), ROLE, "900");
    let key = Key::from(&body["Credentials"]);
    let plan = || {
        vodplan(&dir)
            .env("VODPLAN_ENDPOINT", &emu.endpoint())
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", &key.id)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &key.secret)
            .env(
                "ALIBABA_CLOUD_SECURITY_TOKEN",
                key.token.as_deref().unwrap(),
            )
            .args(["plan", "m.yaml", "--format", "json"])
            .run()
    };
    let run = plan();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["delete"], 1);
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let run = plan();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("InvalidSecurityToken.Expired"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains(&key.secret) && !run.stderr.contains(key.token.as_deref().unwrap())
    );
}

/// An emulator in this process, with a short header-read timeout.
fn in_process(
    header_read_timeout: std::time::Duration,
) -> (tokio::runtime::Runtime, vod_emulator::RunningEmulator) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = vod_emulator::EmulatorConfig {
        header_read_timeout,
        ..Default::default()
    };
    let running = runtime
        .block_on(vod_emulator::start(
            "127.0.0.1:0".parse().unwrap(),
            vod_emulator::Catalog::from_videos([]),
            config,
        ))
        .unwrap();
    (runtime, running)
}

/// Reads until the server closes the connection; how long that took.
fn time_to_close(mut s: TcpStream) -> std::time::Duration {
    let start = std::time::Instant::now();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut sink = Vec::new();
    // Closed: EOF, or a reset; a read timeout (the connection still held) fails the test.
    match s.read_to_end(&mut sink) {
        Ok(_) => {}
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    start.elapsed()
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let (_runtime, emu) = in_process(std::time::Duration::from_millis(300));
    let mut slow = TcpStream::connect(emu.addr).unwrap();
    slow.write_all(b"GET /_emulator/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    let waited = time_to_close(slow);
    assert!(
        waited < std::time::Duration::from_secs(3),
        "held for {waited:?}"
    );
    let silent = TcpStream::connect(emu.addr).unwrap();
    let waited = time_to_close(silent);
    assert!(
        waited < std::time::Duration::from_secs(3),
        "held for {waited:?}"
    );
    // Whoever sends a whole request in time is served as before.
    let mut s = TcpStream::connect(emu.addr).unwrap();
    s.write_all(b"GET /_emulator/stats HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.0 200 OK"), "{text}");
}
