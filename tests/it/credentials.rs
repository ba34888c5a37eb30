//! The credential chain through the real binary against the emulator's STS, ECS metadata service
//! and credentials URI: every provider supplies working keys, in the SDKs' order; temporary keys
//! that live 60 s are renewed through a long apply with nothing failed; broken set-ups fail
//! quickly naming the provider; and no secret or token ever reaches an output or the journal.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{Dir, Emulator, Run, Vodplan, catalog_of, delete_manifest, vid, vodplan};
use crate::test::normalise;

const ROLE: &str = "acs:ram::1234567890123456:role/vodplan";
const OIDC_PROVIDER: &str = "acs:ram::1234567890123456:oidc-provider/vodplan";
const OIDC_TOKEN: &str = "vodplan-test-oidc-token";

/// A directory with a manifest deleting video 1 of a 3-video catalogue, and the emulator.
fn setup(extra: &[&str]) -> (Dir, Emulator) {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(3, ""), extra);
    dir.write(
        "m.yaml",
        &format!("version: 1\ndelete:\n  - videoId: {}\n", vid(1)),
    );
    dir.write("token", OIDC_TOKEN);
    (dir, emu)
}

/// vodplan pointed at the emulator for VOD, STS and the metadata service, with no credentials.
fn bare(dir: &Dir, emu: &Emulator) -> Vodplan {
    vodplan(dir)
        .env("VODPLAN_ENDPOINT", &emu.endpoint())
        .env("VODPLAN_STS_ENDPOINT", &emu.endpoint())
        .env("VODPLAN_ECS_METADATA_ENDPOINT", &emu.endpoint())
}

fn oidc_env(v: Vodplan, dir: &Dir) -> Vodplan {
    v.env("ALIBABA_CLOUD_ROLE_ARN", ROLE)
        .env("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER)
        .env(
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            dir.path().join("token").to_str().unwrap(),
        )
}

fn credentials_line(r: &Run) -> &str {
    r.stderr
        .lines()
        .find(|l| l.starts_with("Credentials: "))
        .unwrap_or_else(|| panic!("no Credentials line (exit {}):\n{}", r.code, r.stderr))
}

/// Tokens the emulator issues look like `CAIS` + 96 letters and digits.
fn assert_no_secret(what: &str, text: &str) {
    for needle in [OIDC_TOKEN, "testsecret", "SecurityToken\":", "sts_token"] {
        assert!(!text.contains(needle), "{what} leaks {needle}:\n{text}");
    }
    let leaked = text.match_indices("CAIS").any(|(i, _)| {
        text[i + 4..]
            .chars()
            .take(96)
            .filter(char::is_ascii_alphanumeric)
            .count()
            == 96
    });
    assert!(!leaked, "{what} leaks an STS token:\n{text}");
}

fn cli_config(dir: &Dir, current: &str, port: u16) {
    let profiles = format!(
        r#"{{"current":"{current}","profiles":[
        {{"name":"ak","mode":"AK","access_key_id":"testid","access_key_secret":"testsecret","region_id":"cn-shanghai"}},
        {{"name":"role","mode":"RamRoleArn","access_key_id":"testid","access_key_secret":"testsecret","ram_role_arn":"{ROLE}","ram_session_name":"ci","region_id":"cn-shanghai"}},
        {{"name":"chain","mode":"ChainableRamRoleArn","source_profile":"role","ram_role_arn":"{ROLE}","region_id":"cn-shanghai"}},
        {{"name":"ecs","mode":"EcsRamRole","ram_role_name":"vodplan-ecs-role","region_id":"cn-shanghai"}},
        {{"name":"oidc","mode":"OIDC","ram_role_arn":"{ROLE}","oidc_provider_arn":"{OIDC_PROVIDER}","oidc_token_file":"{token}","region_id":"cn-shanghai"}},
        {{"name":"uri","mode":"CredentialsURI","credentials_uri":"http://127.0.0.1:{port}/_emulator/credentials","region_id":"cn-shanghai"}},
        {{"name":"ext","mode":"External","process_command":"{ext}","region_id":"cn-shanghai"}},
        {{"name":"hang","mode":"External","process_command":"sleep 30","region_id":"cn-shanghai"}},
        {{"name":"sso","mode":"CloudSSO","region_id":"cn-shanghai"}}]}}"#,
        token = dir.path().join("token").display(),
        ext = dir.path().join("creds.sh").display(),
    );
    dir.write(".aliyun/config.json", &profiles);
    let script = dir.write(
        "creds.sh",
        "#!/bin/sh\necho '{\"mode\":\"AK\",\"access_key_id\":\"testid\",\"access_key_secret\":\"testsecret\"}'\n",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn every_provider_supplies_working_credentials() {
    let (dir, emu) = setup(&["--imdsv2-only"]);
    cli_config(&dir, "ak", emu.port);
    let plan = |v: Vodplan| {
        let r = v.args(["plan", "m.yaml"]).run();
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_no_secret("stdout", &r.stdout);
        assert_no_secret("stderr", &r.stderr);
        credentials_line(&r).to_string()
    };
    let env_ak = bare(&dir, &emu)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret");
    assert_eq!(
        plan(env_ak),
        "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)"
    );
    let oidc_calls = emu.calls("AssumeRoleWithOIDC");
    assert_eq!(
        plan(oidc_env(bare(&dir, &emu), &dir)),
        format!("Credentials: OIDC role {ROLE} (ALIBABA_CLOUD_OIDC_TOKEN_FILE)")
    );
    assert_eq!(emu.calls("AssumeRoleWithOIDC"), oidc_calls + 1);
    let profiles = [
        ("ak", "aliyun CLI profile `ak` (AK)".to_string()),
        (
            "role",
            format!("aliyun CLI profile `role` (RamRoleArn), role {ROLE}"),
        ),
        (
            "chain",
            format!("aliyun CLI profile `chain` (ChainableRamRoleArn), role {ROLE}"),
        ),
        (
            "ecs",
            format!(
                "aliyun CLI profile `ecs` (EcsRamRole) `vodplan-ecs-role` from the metadata service at {}",
                emu.endpoint()
            ),
        ),
        (
            "oidc",
            format!("aliyun CLI profile `oidc` (OIDC), OIDC role {ROLE}"),
        ),
        (
            "uri",
            "aliyun CLI profile `uri` (CredentialsURI)".to_string(),
        ),
        ("ext", "aliyun CLI profile `ext` (External)".to_string()),
    ];
    for (name, want) in profiles {
        assert_eq!(
            plan(bare(&dir, &emu).args(["--profile", name])),
            format!("Credentials: {want}"),
            "{name}"
        );
    }
    // ChainableRamRoleArn over RamRoleArn: two AssumeRole calls, the second signed with the
    // first's temporary keys.
    assert!(emu.calls("AssumeRole") >= 3);
    // Without the CLI config: the SDKs' INI file, then the metadata service, then the URI.
    std::fs::remove_file(dir.path().join(".aliyun/config.json")).unwrap();
    dir.write(
        ".alibabacloud/credentials",
        &format!(
            "[default]\ntype = access_key\naccess_key_id = testid\naccess_key_secret = testsecret\n[role]\ntype = ram_role_arn\naccess_key_id = testid\naccess_key_secret = testsecret\nrole_arn = {ROLE}\n[ecs]\ntype = ecs_ram_role\n"
        ),
    );
    let ini = dir.path().join(".alibabacloud/credentials");
    let ini = ini.display();
    assert_eq!(
        plan(bare(&dir, &emu)),
        format!("Credentials: credentials file {ini} [default]")
    );
    assert_eq!(
        plan(bare(&dir, &emu).args(["--profile", "role"])),
        format!("Credentials: credentials file {ini} [role], role {ROLE}")
    );
    assert_eq!(
        plan(bare(&dir, &emu).env("ALIBABA_CLOUD_PROFILE", "ecs")),
        format!(
            "Credentials: credentials file {ini} [ecs] from the metadata service at {}",
            emu.endpoint()
        )
    );
    std::fs::remove_file(dir.path().join(".alibabacloud/credentials")).unwrap();
    let metadata = emu.calls("metadata");
    assert_eq!(
        plan(bare(&dir, &emu)),
        format!(
            "Credentials: ECS instance RAM role from the metadata service at {}",
            emu.endpoint()
        )
    );
    assert!(
        emu.calls("metadata") >= metadata + 2,
        "role name, then keys"
    );
    assert_eq!(
        plan(
            bare(&dir, &emu)
                .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
                .env(
                    "ALIBABA_CLOUD_CREDENTIALS_URI",
                    &format!("{}/_emulator/credentials", emu.endpoint())
                )
        ),
        "Credentials: the credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI)"
    );
}

#[test]
fn the_chain_takes_the_first_configured_provider() {
    let (dir, emu) = setup(&[]);
    cli_config(&dir, "role", emu.port);
    let all = oidc_env(bare(&dir, &emu), &dir)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret");
    let r = all.args(["plan", "m.yaml"]).run();
    assert!(credentials_line(&r).starts_with("Credentials: environment variables"));
    let r = oidc_env(bare(&dir, &emu), &dir)
        .args(["plan", "m.yaml"])
        .run();
    assert!(credentials_line(&r).starts_with("Credentials: OIDC role"));
    let r = bare(&dir, &emu).args(["plan", "m.yaml"]).run();
    assert!(credentials_line(&r).starts_with("Credentials: aliyun CLI profile `role`"));
    let r = bare(&dir, &emu)
        .env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
        .env(
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            &format!("{}/_emulator/credentials", emu.endpoint()),
        )
        .args(["plan", "m.yaml"])
        .run();
    assert!(
        credentials_line(&r).starts_with("Credentials: ECS instance RAM role"),
        "the metadata service comes before the URI"
    );
}

/// 2,000 deletions at 1 request/s (100 batches, ~100 s) with keys that live 60 s.
fn long_apply(configure: impl Fn(Vodplan, &Dir) -> Vodplan, sts_action: &str) {
    let n = 2000;
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(n, ""), &["--sts-ttl", "60s"]);
    dir.write("token", OIDC_TOKEN);
    cli_config(&dir, "role", emu.port);
    let mut m = String::from("version: 1\nlimits:\n  maxDeletes: 5000\ndelete:\n");
    for i in 0..n {
        m.push_str(&format!("  - videoId: {}\n", vid(i)));
    }
    dir.write("m.yaml", &m);
    let before = emu.calls(sts_action);
    let r = configure(bare(&dir, &emu), &dir)
        .args(["apply", "m.yaml", "--auto-approve", "--max-qps", "1"])
        .args(["--format", "json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(
        v["summary"],
        serde_json::json!({"deleted": n, "absent": 0, "forbidden": 0, "failed": 0}),
        "{}",
        r.stderr
    );
    assert_eq!(emu.videos(), 0);
    let exchanges = emu.calls(sts_action) - before;
    eprintln!("{sts_action}: {exchanges} exchanges for {n} deletions");
    assert!(
        exchanges >= 3,
        "the first keys and at least two renewals, got {exchanges}"
    );
    assert_no_secret("stdout", &r.stdout);
    assert_no_secret("stderr", &r.stderr);
    assert_no_secret("journal", &dir.read("m.yaml.journal.jsonl"));
}

#[test]
fn a_long_apply_outlives_60s_oidc_credentials() {
    long_apply(oidc_env, "AssumeRoleWithOIDC");
}

#[test]
fn a_long_apply_outlives_60s_ram_role_credentials() {
    long_apply(|v, _| v, "AssumeRole");
}

/// Runs and checks that the failure came quickly, and its stderr exactly (the temporary
/// directory, the emulator's port, `closed` (a closed port's URL) and STS's request IDs
/// normalised).
fn fails_quickly(v: Vodplan, dir: &Dir, emu: &Emulator, closed: &str, stderr: &str) -> Run {
    let started = Instant::now();
    let r = v.args(["plan", "m.yaml"]).run();
    let took = started.elapsed();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(took < Duration::from_secs(8), "took {took:?}: {}", r.stderr);
    let mut shown =
        normalise(&r.stderr, dir, Some(emu)).replace(closed, "http://127.0.0.1:{CLOSED}");
    // STS's request ID is random.
    while let Some(i) = shown.find("RequestId ").map(|i| i + "RequestId ".len()) {
        if shown.get(i..i + 1) == Some("{") {
            break;
        }
        shown.replace_range(i..(i + 36).min(shown.len()), "{REQUEST ID}");
    }
    assert_eq!(shown, stderr);
    assert_eq!(r.stdout, "");
    assert_no_secret("stderr", &r.stderr);
    r
}

#[test]
fn broken_set_ups_fail_quickly_naming_the_provider() {
    let (dir, emu) = setup(&[]);
    cli_config(&dir, "hang", emu.port);
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    // An unreadable OIDC token file.
    fails_quickly(
        oidc_env(bare(&dir, &emu), &dir)
            .env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
            .env("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/nonexistent/token"),
        &dir,
        &emu,
        &closed_url,
        "error: OIDC role acs:ram::1234567890123456:role/vodplan (ALIBABA_CLOUD_OIDC_TOKEN_FILE): cannot read /nonexistent/token: No such file or directory (os error 2)\n\
         hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile\n",
    );
    // A role STS does not know.
    fails_quickly(
        oidc_env(bare(&dir, &emu), &dir).env("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/nope"),
        &dir,
        &emu,
        &closed_url,
        "error: OIDC role acs:ram::1:role/nope (ALIBABA_CLOUD_OIDC_TOKEN_FILE): STS refused: EntityNotExist.Role: The specified Role not exists . (HTTP 404, RequestId {REQUEST ID})\n\
         hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile\n",
    );
    // The wrong OIDC token: refused, and the token is not repeated.
    dir.write("wrong", "not-the-token-123");
    let r = fails_quickly(
        oidc_env(bare(&dir, &emu), &dir).env(
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            dir.path().join("wrong").to_str().unwrap(),
        ),
        &dir,
        &emu,
        &closed_url,
        "error: OIDC role acs:ram::1234567890123456:role/vodplan (ALIBABA_CLOUD_OIDC_TOKEN_FILE): STS refused: AuthenticationFail.OIDCToken.Invalid: The Jwt content is invalid that cannot be recognized. (HTTP 401, RequestId {REQUEST ID})\n\
         hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile\n",
    );
    assert!(!r.stderr.contains("not-the-token-123"), "{}", r.stderr);
    // A process_command that hangs is stopped.
    fails_quickly(
        bare(&dir, &emu).env("VODPLAN_CREDENTIAL_PROCESS_TIMEOUT", "1"),
        &dir,
        &emu,
        &closed_url,
        "error: aliyun CLI profile `hang` (External): `sleep` did not finish within 1s and was stopped (VODPLAN_CREDENTIAL_PROCESS_TIMEOUT sets the limit)\n\
         hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile\n",
    );
    // A browser-only mode is refused by name.
    fails_quickly(
        bare(&dir, &emu).args(["--profile", "sso"]),
        &dir,
        &emu,
        &closed_url,
        "error: aliyun CLI profile `sso` uses mode CloudSSO, which vodplan cannot use: it needs a browser sign-in that only the aliyun CLI can refresh; for a person, use a RamRoleArn profile (or run `aliyun configure export` and use the StsToken it prints), for automation use OIDC (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE) or an ECS RAM role\n\
         hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile\n",
    );
    // An unreachable metadata service: the chain ends, naming what it tried.
    std::fs::remove_file(dir.path().join(".aliyun/config.json")).unwrap();
    fails_quickly(
        bare(&dir, &emu).env("VODPLAN_ECS_METADATA_ENDPOINT", &closed_url),
        &dir,
        &emu,
        &closed_url,
        "error: no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or the OIDC variables (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE), or configure an aliyun CLI profile in {DIR}/.aliyun/config.json (`aliyun configure`) and choose it with --profile (tried: ECS instance RAM role from the metadata service at http://127.0.0.1:{CLOSED}: cannot read the role name: cannot connect: Connection refused (os error 111))\n\
         hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile\n",
    );
    // ... and when a role was named, its failure is the error.
    fails_quickly(
        bare(&dir, &emu)
            .env("VODPLAN_ECS_METADATA_ENDPOINT", &closed_url)
            .env("ALIBABA_CLOUD_ECS_METADATA", "vodplan-ecs-role"),
        &dir,
        &emu,
        &closed_url,
        "error: ECS instance RAM role (ALIBABA_CLOUD_ECS_METADATA) `vodplan-ecs-role` from the metadata service at http://127.0.0.1:{CLOSED}: cannot read the credentials of role `vodplan-ecs-role`: cannot connect: Connection refused (os error 111)\n\
         hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile\n",
    );
    // A token with a line break is a credential error, not a network error to retry.
    fails_quickly(
        bare(&dir, &emu)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
            .env("ALIBABA_CLOUD_SECURITY_TOKEN", "CAIS-token\n"),
        &dir,
        &emu,
        &closed_url,
        "error: ALIBABA_CLOUD_SECURITY_TOKEN contains a line break or another control character; credentials are one line of text (check for a trailing newline or a pasted line break)\n\
         hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile\n",
    );
}

/// A server answering every request with `status`, then `reply(request)` = (extra header lines,
/// body), counting requests.
fn answering(
    status: &'static str,
    reply: fn(&str) -> (String, String),
) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            seen.fetch_add(1, Ordering::Relaxed);
            let mut buf = vec![0u8; 65536];
            let n = s.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).to_string();
            let (headers, body) = reply(&request);
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
                body.len()
            );
        }
    });
    (url, count)
}

#[test]
fn redirects_are_not_followed_and_echoed_tokens_are_redacted() {
    let dir = Dir::new();
    dir.write(
        "m.yaml",
        &format!("version: 1\ndelete:\n  - videoId: {}\n", vid(1)),
    );
    let (target, hits) = answering("200 OK", |_| (String::new(), "{}".to_string()));
    static TARGET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TARGET.set(target).unwrap();
    let (redirector, _) = answering("307 Temporary Redirect", |_| {
        (
            format!("location: {}/\r\n", TARGET.get().unwrap()),
            String::new(),
        )
    });
    // Not a run of one letter: the harness looks for any 16 characters of it in every output.
    let token = "CAIS".to_string() + &"Qm9uZGF5VG9rZW4tZm9yLXRlc3RzLW9ubHk".repeat(3);
    for signature in ["v3", "v1"] {
        let r = vodplan(&dir)
            .env("VODPLAN_ENDPOINT", &redirector)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
            .env("ALIBABA_CLOUD_SECURITY_TOKEN", &token)
            .args(["plan", "m.yaml", "--signature", signature])
            .run();
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains("redirect"), "{}", r.stderr);
        assert_no_secret("stderr", &r.stderr);
    }
    assert_eq!(hits.load(Ordering::Relaxed), 0, "the redirect was followed");

    // A proxy's 502 page echoing the request line (a V1 query carries the token).
    let (proxy, _) = answering("502 Bad Gateway", |request| {
        let line = request.lines().next().unwrap_or_default().to_string();
        (
            String::new(),
            format!("<html>upstream failed for {line}</html>"),
        )
    });
    let r = vodplan(&dir)
        .env("VODPLAN_ENDPOINT", &proxy)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
        .env("ALIBABA_CLOUD_SECURITY_TOKEN", &token)
        .args(["plan", "m.yaml", "--signature", "v1", "--format", "json"])
        .run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("SecurityToken=***"), "{}", r.stderr);
    assert_no_secret("stderr", &r.stderr);
    assert_no_secret("stdout", &r.stdout);
}

/// An `External` profile whose command counts its runs in `runs`, hands out the emulator's test
/// key with an `Expiration` 4 s ahead, and fails from run `fail_from` on.
fn counting_external(dir: &Dir, fail_from: u32) {
    let script = format!(
        r#"#!/bin/sh
cd "{dir}"
n=$(( $(cat runs 2>/dev/null || echo 0) + 1 ))
echo $n > runs
[ $n -ge {fail_from} ] && exit 7
exp=$(date -u -d @$(( $(date +%s) + 4 )) +%Y-%m-%dT%H:%M:%SZ)
echo "{{\"mode\":\"StsToken\",\"access_key_id\":\"testid\",\"access_key_secret\":\"testsecret\",\"sts_token\":\"CAISshort\",\"expiration\":\"$exp\"}}"
"#,
        dir = dir.path().display()
    );
    let path = dir.write("count.sh", &script);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir.write(
        ".aliyun/config.json",
        &format!(
            r#"{{"current":"ext","profiles":[{{"name":"ext","mode":"External","process_command":"{}"}}]}}"#,
            path.display()
        ),
    );
}

fn apply_200(dir: &Dir, emu: &Emulator) -> Run {
    delete_manifest(dir, 200);
    vodplan(dir)
        .env("VODPLAN_ENDPOINT", &emu.endpoint())
        .args(["apply", "m.yaml", "--auto-approve", "--max-qps", "1"])
        .args(["--format", "json"])
        .run()
}

#[test]
fn short_lived_credentials_are_renewed_while_calls_flow() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(200, ""), &[]);
    counting_external(&dir, u32::MAX);
    let r = apply_200(&dir, &emu);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json()["summary"],
        serde_json::json!({"deleted": 200, "absent": 0, "forbidden": 0, "failed": 0})
    );
    let runs: u32 = dir.read("runs").trim().parse().unwrap();
    // ~7 s of calls with keys renewed every ~2.7 s (a third of 4 s before expiry).
    assert!(runs >= 3, "renewed {} times", runs - 1);
}

#[test]
fn a_renewal_that_keeps_failing_stops_the_run_as_an_auth_error() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(200, ""), &[]);
    counting_external(&dir, 2);
    let r = apply_200(&dir, &emu);
    // Partial: what was deleted before the keys expired stays deleted, the rest is not sent.
    assert_eq!(r.code, 3, "{}", r.stderr);
    let summary = &r.json()["summary"];
    let deleted = summary["deleted"].as_u64().unwrap();
    assert_eq!(emu.videos(), 200 - deleted, "{}\n{}", r.stdout, r.stderr);
    let not_sent = r.json()["notSent"].as_array().unwrap().len() as u64;
    assert_eq!(
        summary["failed"].as_u64().unwrap() + not_sent,
        200 - deleted
    );
    assert!(not_sent > 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("aliyun CLI profile `ext` (External): `"),
        "{}",
        r.stdout
    );
    assert!(emu.videos() > 0 && emu.videos() < 200, "{}", emu.videos());
    assert_no_secret("stderr", &r.stderr);
}

#[test]
fn a_call_refused_with_an_expired_token_is_renewed_and_sent_again() {
    // The command hands out the emulator's 3-second keys but claims they last until 2099, so
    // only the service's `InvalidSecurityToken.Expired` can tell the client to renew.
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &catalog_of(200, ""), &["--sts-ttl", "3s"]);
    let script = format!(
        r#"#!/bin/sh
cd "{dir}"
echo $(( $(cat runs 2>/dev/null || echo 0) + 1 )) > runs
curl -sf {url}/_emulator/credentials | sed -e 's/"AccessKeyId"/"access_key_id"/' -e 's/"AccessKeySecret"/"access_key_secret"/' -e 's/"SecurityToken"/"sts_token"/' -e 's/"Expiration":"[^"]*"/"expiration":"2099-01-01T00:00:00Z"/'
"#,
        dir = dir.path().display(),
        url = emu.endpoint()
    );
    let path = dir.write("lying.sh", &script);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir.write(
        ".aliyun/config.json",
        &format!(
            r#"{{"current":"ext","profiles":[{{"name":"ext","mode":"External","process_command":"{}"}}]}}"#,
            path.display()
        ),
    );
    let r = apply_200(&dir, &emu);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(
        r.json()["summary"],
        serde_json::json!({"deleted": 200, "absent": 0, "forbidden": 0, "failed": 0})
    );
    let runs: u32 = dir.read("runs").trim().parse().unwrap();
    assert!(runs >= 3, "renewed {} times", runs - 1);
    assert_no_secret("stdout", &r.stdout);
    assert_no_secret("stderr", &r.stderr);
    assert_no_secret("journal", &dir.read("m.yaml.journal.jsonl"));
}
