//! Leaks through what others echo: a proxy or WAF page that quotes the request, an endpoint or a
//! command written with a secret in it. Every run here is also checked by the harness for any run
//! of 16 characters of a secret or token; the assertions below say what is shown instead.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use crate::harness::{Dir, vodplan};
use crate::test::{Test, unindent};

/// A 904-character STS-like token, with the `+`, `/` and `=` real ones have.
pub fn long_token() -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut t = String::from("CAIS");
    for _ in 0..898 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t.push(alphabet[(x % 64) as usize] as char);
    }
    t.push_str("==");
    t
}

/// `x-acs-security-token` → `X-Acs-Security-Token`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| {
                    f.to_uppercase()
                        .chain(c.flat_map(char::to_lowercase))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join("-")
}

/// A server on loopback that answers every request with HTTP 403 and an HTML page quoting the
/// request: the headers a WAF flagged first (in Title-Case), then the request line, then the query
/// parameters decoded, also in Title-Case. Returns its base URL.
pub fn echoing_proxy() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.trim_end().split_once(':') {
                    headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
                }
            }
            let mut page = String::from(
                "<html><body><h1>403 Forbidden</h1><p>Request blocked. Flagged headers:</p><pre>\n",
            );
            for flagged in ["x-acs-security-token", "authorization"] {
                for (k, v) in headers.iter().filter(|(k, _)| k == flagged) {
                    page.push_str(&format!("{}: {v}\n", title_case(k)));
                }
            }
            page.push_str(&format!("</pre><p>{}</p><pre>\n", request_line.trim()));
            let query = request_line
                .split_whitespace()
                .nth(1)
                .and_then(|target| target.split_once('?'))
                .map(|(_, q)| q.to_string())
                .unwrap_or_default();
            for pair in query.split('&') {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let v = percent_decode(v);
                page.push_str(&format!("{}: {v}\n", title_case(k)));
            }
            page.push_str("</pre></body></html>\n");
            let _ = write!(
                stream,
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    url
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len() + 1
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn manifest(dir: &Dir) {
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - videoId: 00000000000000000000000000000001\n",
    );
}

#[test]
fn a_proxy_page_echoing_the_token_in_title_case_leaks_no_fragment_v1_and_v3() {
    let dir = Dir::new();
    manifest(&dir);
    let proxy = echoing_proxy();
    let token = long_token();
    for signature in ["v3", "v1"] {
        for format in ["text", "json"] {
            let r = vodplan(&dir)
                .env("VODPLAN_ENDPOINT", &proxy)
                .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.testid")
                .env(
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                    "hostile-Zq8wX2pL9mN4vB7kR1tY5uH3",
                )
                .env("ALIBABA_CLOUD_SECURITY_TOKEN", &token)
                .args([
                    "plan",
                    "m.yaml",
                    "--signature",
                    signature,
                    "--format",
                    format,
                ])
                .run();
            // The harness checked every output for fragments; what is shown instead is `***`.
            assert_eq!(r.code, 1, "{signature} {format}: {}", r.stderr);
            let shown = match signature {
                "v3" => {
                    "X-Acs-Security-Token: ***\nAuthorization: ACS3-HMAC-SHA256 Credential=STS.testid,"
                }
                _ => "&SecurityToken=***&Signature=***&SignatureMethod=HMAC-SHA1&",
            };
            assert!(
                r.stderr.contains("UnknownServerError: <html>") && r.stderr.contains(shown),
                "{signature} {format}: {}",
                r.stderr
            );
        }
    }
}

#[test]
fn an_endpoint_with_credentials_query_or_fragment_is_refused_without_echoing_them() {
    let dir = Dir::new();
    manifest(&dir);
    let run = |endpoint: &str| {
        vodplan(&dir)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
            .env("VODPLAN_ENDPOINT", endpoint)
            .args(["plan", "m.yaml"])
            .run()
    };
    let r = run(
        "https://AKID:S3cretPassw0rdValue@vod.cn-shanghai.aliyuncs.com/?token=T0kenValue123456#frag",
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: endpoint `https://***:***@vod.cn-shanghai.aliyuncs.com/?***#***` has a path, query, fragment or credentials; give only scheme, host and port\nhint: set --endpoint or VODPLAN_ENDPOINT to a valid URL, or unset it\n"
    );
    let test = |endpoint: &str| {
        Test::in_dir(&dir)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
            .env("VODPLAN_ENDPOINT", endpoint)
            .args(["plan", "m.yaml"])
            .status(1)
    };
    test("http://AKID:S3cretPassw0rdValue@vod.example.com")
        .stderr(unindent(
            "
            error: endpoint `http://***:***@vod.example.com/` is plain http:// to a host that is not loopback; signed requests would cross the network unencrypted. Use https://, or http:// only to 127.0.0.1, ::1 or localhost
            hint: set --endpoint or VODPLAN_ENDPOINT to a valid URL, or unset it
            ",
        ))
        .run();
    // A fragment alone is refused too (it used to be accepted and echoed in every message).
    test("https://vod.cn-shanghai.aliyuncs.com#S3cretFragment")
        .stderr(unindent(
            "
            error: endpoint `https://vod.cn-shanghai.aliyuncs.com/#***` has a path, query, fragment or credentials; give only scheme, host and port
            hint: set --endpoint or VODPLAN_ENDPOINT to a valid URL, or unset it
            ",
        ))
        .run();
}

#[test]
fn a_shell_style_process_command_does_not_echo_its_secret() {
    let dir = Dir::new();
    manifest(&dir);
    dir.write(
        ".aliyun/config.json",
        r#"{"current":"ext","profiles":[{"name":"ext","mode":"External","process_command":"ALIBABA_SECRET=S3cretInACommandLine0123 get-creds --json","region_id":"cn-shanghai"}]}"#,
    );
    Test::in_dir(&dir)
        .env("VODPLAN_ENDPOINT", "http://127.0.0.1:9")
        .args(["plan", "m.yaml"])
        .status(1)
        .stderr(unindent(
            "
            error: aliyun CLI profile `ext` (External): process_command starts with `ALIBABA_SECRET=***`, an environment assignment: it is run without a shell, as the aliyun CLI runs it; put the assignment in a script and name the script
            hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile
            ",
        ))
        .run();
}

#[test]
fn a_device_or_a_fifo_named_as_a_manifest_is_refused_not_read() {
    let dir = Dir::new();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(dir.path().join("fifo.yaml"))
            .status()
            .unwrap()
            .success()
    );
    let r = vodplan(&dir).args(["validate", "/dev/zero"]).run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "/dev/zero:1:1: cannot read: a device, not a regular file; a manifest must be a file\nerror: the manifests have 1 problem; nothing was sent to the API\nhint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n"
    );
    Test::in_dir(&dir)
        .args(["validate", "fifo.yaml"])
        .status(1)
        .stderr(unindent(
            "
            fifo.yaml:1:1: cannot read: a pipe, not a regular file; a manifest must be a file
            error: the manifests have 1 problem; nothing was sent to the API
            hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again
            ",
        ))
        .run();
    Test::in_dir(&dir)
        .args(["plan", "fifo.yaml"])
        .status(1)
        .stderr(unindent(
            "
            fifo.yaml:1:1: cannot read: a pipe, not a regular file; a manifest must be a file
            error: the manifests have 1 problem; nothing was sent to the API
            hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again
            ",
        ))
        .run();
}

#[test]
fn a_planted_journal_symlink_is_refused_and_nothing_is_appended_to_its_target() {
    let dir = Dir::new();
    let emu = crate::harness::Emulator::start(&dir, &crate::harness::catalog_of(2, ""), &[]);
    crate::harness::delete_manifest(&dir, 1);
    let victim = dir.write("victim.txt", "precious\n");
    std::os::unix::fs::symlink(&victim, dir.path().join("m.yaml.journal.jsonl")).unwrap();
    Test::in_dir(&dir)
        .against(&emu)
        .args(["apply", "m.yaml", "--auto-approve"])
        .status(1)
        .stderr(unindent(
            "
            Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)
            error: journal m.yaml.journal.jsonl is a symbolic link, not a regular file; a journal must be a regular file (name one with --journal FILE)
            hint: if another apply holds the journal, wait for it; otherwise fix the journal (or choose another with --journal FILE) and run the same command again
            ",
        ))
        .run();
    assert_eq!(dir.read("victim.txt"), "precious\n");
    assert_eq!(emu.calls("DeleteVideo"), 0);
}

#[test]
fn plan_out_and_journal_never_write_over_an_input() {
    let dir = Dir::new();
    crate::harness::delete_manifest(&dir, 1);
    let manifest = dir.read("m.yaml");
    let r = vodplan(&dir)
        .env("VODPLAN_ENDPOINT", "http://127.0.0.1:9")
        .args(["plan", "m.yaml", "--out", "./m.yaml"])
        .run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: --out ./m.yaml would write over m.yaml, which this command reads; nothing was written or sent\nhint: name another file for --out\n"
    );
    assert_eq!(dir.read("m.yaml"), manifest);
    dir.write("dir/a.yaml", &manifest);
    let r = vodplan(&dir)
        .env("VODPLAN_ENDPOINT", "http://127.0.0.1:9")
        .args(["apply", "dir", "--auto-approve", "--journal", "dir/a.yaml"])
        .run();
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error: --journal dir/a.yaml would write over a manifest in dir, which this command reads"), "{}", r.stderr);
    assert_eq!(dir.read("dir/a.yaml"), manifest);
}

#[test]
fn an_empty_endpoint_variable_is_an_error_not_the_production_endpoint() {
    let dir = Dir::new();
    crate::harness::delete_manifest(&dir, 1);
    let r = vodplan(&dir)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
        .env("VODPLAN_ENDPOINT", "")
        .args(["plan", "m.yaml"])
        .run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: VODPLAN_ENDPOINT is set but empty; nothing was sent to the API\nhint: set it to the endpoint to use (such as http://127.0.0.1:8080 for the emulator), or unset it to use the region's public endpoint (https://vod.cn-shanghai.aliyuncs.com)\n"
    );
}

#[test]
fn a_created_before_that_rounds_past_the_last_second_the_api_carries_is_invalid() {
    let dir = Dir::new();
    dir.write(
        "m.yaml",
        "version: 1\ndelete:\n  - match: { createdBefore: 9999-12-31T23:59:59.5Z }\n",
    );
    let r = vodplan(&dir).args(["validate", "m.yaml"]).run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("m.yaml:3:29: createdBefore `9999-12-31T23:59:59.5Z` rounds up past 9999-12-31T23:59:59Z, the latest time the VOD API can carry; give whole seconds, such as 9999-12-31T23:59:59Z\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn odd_inputs_get_messages_that_say_what_they_are() {
    let dir = Dir::new();
    let emu = crate::harness::Emulator::start(&dir, &crate::harness::catalog_of(3, ""), &[]);
    let id = crate::harness::vid;
    // A flow-style manifest is a manifest, not a "damaged saved plan".
    dir.write(
        "flow.yaml",
        &format!("{{version: 1, delete: [{{videoId: {}}}]}}\n", id(0)),
    );
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "flow.yaml", "--auto-approve"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A saved plan given to `plan` is named as one (it used to be a list of unknown keys).
    crate::harness::delete_manifest(&dir, 2);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--out", "plan.json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = vodplan(&dir)
        .against(&emu)
        .args(["plan", "plan.json"])
        .run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "plan.json:1:1: this is a saved plan (written by `vodplan plan --out`), not a manifest: apply it with `vodplan apply FILE`, or show it with `vodplan show FILE`\nerror: the manifests have 1 problem; nothing was sent to the API\nhint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n"
    );
    // A saved plan with a byte order mark (saved again by an editor) is still a plan.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(std::fs::read(dir.path().join("plan.json")).unwrap());
    std::fs::write(dir.path().join("plan.json"), bom).unwrap();
    let r = vodplan(&dir)
        .against(&emu)
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A scalar where a list is expected; several documents in one file.
    dir.write(
        "s.yaml",
        "version: 1\ndelete:\n  - match: { status: UploadFail }\n",
    );
    dir.write("multi.yaml", "version: 1\n---\nversion: 1\n");
    let r = vodplan(&dir)
        .args(["validate", "s.yaml", "multi.yaml"])
        .run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "s.yaml:3:22: a list is expected here, such as `[UploadFail, Blocked]` (or one `- item` per line)\n\
         multi.yaml:3:1: this file holds more than one YAML document (separated by `---`); a manifest is one document: put each in a file of its own\n\
         error: the manifests have 2 problems; nothing was sent to the API\n\
         hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again\n"
    );
    // Control and bidirectional characters in a file name are shown escaped.
    dir.write("x\u{1b}[31m\u{202e}.yaml", "version: 2\n");
    let r = vodplan(&dir)
        .args(["validate", "x\u{1b}[31m\u{202e}.yaml"])
        .run();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("x\\u{1b}[31m\\u{202e}.yaml:1:10: unsupported manifest version `2`"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_catalogue_listing_a_video_twice_is_refused_by_the_emulator() {
    let dir = Dir::new();
    for (name, text, id) in [
        (
            "dup.yaml",
            "videos:\n  - videoId: a1\n    title: one\n  - videoId: a1\n    title: two\n",
            "a1",
        ),
        (
            "dup.json",
            r#"{"videos": [{"videoId": "b2"}, {"videoId": "b2"}]}"#,
            "b2",
        ),
    ] {
        dir.write(name, text);
        Test::in_dir(&dir)
            .args(["emulator", "--listen", "127.0.0.1:0", "--catalog", name])
            .status(1)
            .stderr(format!(
                "error: cannot load the catalogue {name}: videoId {id} is listed more than once; list each video once\n\
                 hint: see the catalogue format in the README (videos: [{{videoId, title, status, ...}}])\n"
            ))
            .run();
    }
}

#[test]
fn credentials_uri_and_oidc_token_file_are_bounded() {
    let dir = Dir::new();
    crate::harness::delete_manifest(&dir, 1);
    // CGNAT and VPN space is not the metadata address.
    Test::in_dir(&dir)
        .env("VODPLAN_ENDPOINT", "http://127.0.0.1:9")
        .env("ALIBABA_CLOUD_CREDENTIALS_URI", "http://100.100.7.9/creds")
        .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        .env("VODPLAN_ECS_METADATA_ENDPOINT", "http://127.0.0.1:9")
        .args(["plan", "m.yaml"])
        .status(1)
        .stderr(unindent(
            "
            error: ALIBABA_CLOUD_CREDENTIALS_URI `http://100.100.7.9/creds` is not usable: plain http:// to a host that is not loopback, link-local or the metadata address 100.100.100.200 would carry the keys unencrypted; use https://
            hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile
            ",
        ))
        .run();
    // A token "file" that is a device is refused at once, not read until memory runs out.
    let started = std::time::Instant::now();
    Test::in_dir(&dir)
        .env("VODPLAN_ENDPOINT", "http://127.0.0.1:9")
        .env("VODPLAN_STS_ENDPOINT", "http://127.0.0.1:9")
        .env(
            "ALIBABA_CLOUD_ROLE_ARN",
            "acs:ram::1234567890123456:role/vodplan",
        )
        .env(
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1234567890123456:oidc-provider/vodplan",
        )
        .env("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/dev/zero")
        .args(["plan", "m.yaml"])
        .status(1)
        .stderr(unindent(
            "
            error: OIDC role acs:ram::1234567890123456:role/vodplan (ALIBABA_CLOUD_OIDC_TOKEN_FILE): cannot read /dev/zero: it is not a regular file
            hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile
            ",
        ))
        .run();
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn a_misspelt_region_is_caught_with_a_suggestion() {
    let dir = Dir::new();
    dir.write(
        "m.yaml",
        "version: 1\nregion: cn-shangai\ndelete:\n  - videoId: 00000000000000000000000000000001\n",
    );
    Test::in_dir(&dir)
        .args(["validate", "m.yaml"])
        .status(1)
        .stderr(unindent(
            "
            m.yaml:2:9: region `cn-shangai` has no VOD endpoint; did you mean `cn-shanghai`?
            error: the manifests have 1 problem; nothing was sent to the API
            hint: fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again
            ",
        ))
        .run();
    crate::harness::delete_manifest(&dir, 1);
    let r = vodplan(&dir)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "testid")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "testsecret")
        .args(["plan", "m.yaml", "--region", "cn-bejing"])
        .run();
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: --region says region `cn-bejing`, which has no VOD endpoint; did you mean `cn-beijing`? Nothing was sent to the API\nhint: set --region to a VOD region such as cn-beijing\n"
    );
}

#[test]
fn an_endpoint_from_the_environment_is_not_shown_as_given_in_usage_lines() {
    Test::new()
        .env("VODPLAN_ENDPOINT", "http://127.0.0.1:9")
        .args(["plan"])
        .status(1)
        .stderr(unindent(
            "
            error: the following required arguments were not provided:
              <MANIFEST>...

            Usage: vodplan plan <MANIFEST>...

            For more information, try '--help'.
            ",
        ))
        .run();
}
