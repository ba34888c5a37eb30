//! Where the access key comes from: the official SDKs' default credential chain, first match wins
//! (CONTRACT "Credentials"; aliyun/credentials-go `credentials/providers/default.go`,
//! aliyun/credentials-python `alibabacloud_credentials/provider/default.py`):
//!
//! 1. [`env`] -- `ALIBABA_CLOUD_ACCESS_KEY_ID` + `ALIBABA_CLOUD_ACCESS_KEY_SECRET` (+ token);
//! 2. [`oidc`] -- `ALIBABA_CLOUD_ROLE_ARN` + `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` +
//!    `ALIBABA_CLOUD_OIDC_TOKEN_FILE`, exchanged with STS `AssumeRoleWithOIDC`;
//! 3. [`cli_profile`] -- a profile of the aliyun CLI's `config.json`, in any non-browser mode;
//! 4. [`ini`] -- `~/.alibabacloud/credentials`;
//! 5. [`ecs`] -- the ECS instance RAM role from the metadata service;
//! 6. [`uri`] -- `ALIBABA_CLOUD_CREDENTIALS_URI`.
//!
//! Discovery ([`discover`]) reads only the environment and local files and decides which
//! [`Provider`] applies; [`CredentialSource`] (in [`refresh`]) fetches from it and keeps temporary
//! credentials fresh while a long apply runs.
//!
//! One deliberate difference from the SDKs: they fall through to the next provider whenever one
//! fails, so a broken OIDC set-up silently becomes "whatever key the CLI profile has". For a tool
//! that deletes, running as a different identity than configured is worse than stopping, so a
//! provider that is configured and fails stops with its error; only the ECS metadata probe, which
//! is "configured" everywhere by default, falls through.
//!
//! Secrets live in [`Secret`], whose `Debug` and `Display` print `***`; errors name the provider
//! and the variable or file, never a value.

pub(crate) mod cli_profile;
pub(crate) mod ecs;
pub(crate) mod env;
pub(crate) mod external;
pub(crate) mod ini;
pub(crate) mod oidc;
pub(crate) mod refresh;
pub(crate) mod sts;
pub(crate) mod uri;

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use time::OffsetDateTime;

pub use refresh::CredentialSource;

use super::endpoint::{Endpoint, EndpointError};

/// A string that must never be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for signing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An access key, with an STS token when the key is temporary.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub security_token: Option<Secret>,
    /// Where they came from, for messages (never the values).
    pub source: String,
}

/// Credentials as a provider handed them out, with when they stop working.
#[derive(Debug, Clone)]
pub struct Issued {
    pub credentials: Credentials,
    /// `None` for long-lived keys.
    pub expires_at: Option<OffsetDateTime>,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or the OIDC variables (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE), or configure an aliyun CLI profile in {path} (`aliyun configure`) and choose it with --profile{tried}"
    )]
    Missing { path: String, tried: String },
    #[error("{set} is set but {unset} is not; set both, or neither to use another provider")]
    HalfSet {
        set: &'static str,
        unset: &'static str,
    },
    #[error("{what} is not valid UTF-8; credentials are ASCII text")]
    NotUtf8 { what: String },
    #[error(
        "{what} contains a line break or another control character; credentials are one line of text (check for a trailing newline or a pasted line break)"
    )]
    ControlCharacter { what: String },
    #[error("{provider}: cannot read {path}: {reason}")]
    Unreadable {
        provider: String,
        path: String,
        reason: String,
    },
    #[error("{provider}: {path} is not valid: {reason}")]
    Malformed {
        provider: String,
        path: String,
        reason: String,
    },
    #[error(
        "the aliyun CLI config {path} has no profile named `{name}`; its profiles are: {available}"
    )]
    NoSuchProfile {
        path: String,
        name: String,
        available: String,
    },
    #[error("aliyun CLI profile `{name}` uses mode {mode}, which vodplan cannot use: {instead}")]
    UnsupportedMode {
        name: String,
        mode: String,
        instead: &'static str,
    },
    #[error("{provider} lacks `{key}` in {path}")]
    MissingKey {
        provider: String,
        path: String,
        key: &'static str,
    },
    #[error("{variable} `{value}` is not usable: {reason}")]
    BadEndpoint {
        variable: &'static str,
        value: String,
        reason: String,
    },
    /// The provider was reached and refused, or answered something unusable.
    #[error("{provider}: {reason}")]
    Provider { provider: String, reason: String },
}

impl CredentialError {
    pub(crate) fn provider(provider: &str, reason: impl Into<String>) -> CredentialError {
        CredentialError::Provider {
            provider: provider.to_string(),
            reason: reason.into(),
        }
    }
}

/// A lookup of environment variables, injectable so that tests need not touch the process
/// environment. Values are `OsString` so that a non-UTF-8 value is told apart from an unset one.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// The process environment, as an [`Env`].
pub fn process_env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// A variable's value: `None` when unset or empty, an error when not UTF-8.
pub fn var(env: Env<'_>, name: &str) -> Result<Option<String>, CredentialError> {
    match env(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v
            .into_string()
            .map(Some)
            .map_err(|_| CredentialError::NotUtf8 {
                what: name.to_string(),
            }),
    }
}

/// Whether a switch variable is `true` (any case), as the SDKs read them.
pub fn flag(env: Env<'_>, name: &str) -> bool {
    env(name).is_some_and(|v| v.to_string_lossy().eq_ignore_ascii_case("true"))
}

/// Refuses a key, secret or token with a control character (a newline from `echo` into a file,
/// a pasted line break): sent as a header it would fail as a "network error" and be retried.
pub fn check_value(value: &str, what: impl FnOnce() -> String) -> Result<(), CredentialError> {
    if value.chars().any(char::is_control) {
        Err(CredentialError::ControlCharacter { what: what() })
    } else {
        Ok(())
    }
}

impl Credentials {
    /// Checks every value for control characters, naming the provider.
    pub fn checked(self) -> Result<Credentials, CredentialError> {
        let source = self.source.clone();
        check_value(&self.access_key_id, || {
            format!("the AccessKeyId from {source}")
        })?;
        check_value(self.access_key_secret.expose(), || {
            format!("the AccessKeySecret from {source}")
        })?;
        if let Some(t) = &self.security_token {
            check_value(t.expose(), || format!("the SecurityToken from {source}"))?;
        }
        Ok(self)
    }
}

/// The home directory, from `HOME` (`USERPROFILE` on Windows) of `env`.
pub fn home(env: Env<'_>) -> PathBuf {
    env("HOME")
        .or_else(|| env("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The default location of the aliyun CLI config: `$HOME/.aliyun/config.json`.
pub fn default_cli_config_path() -> PathBuf {
    home(&process_env).join(".aliyun").join("config.json")
}

/// Parses an `Expiration` as the providers send it (UTC `yyyy-MM-ddTHH:mm:ssZ`).
/// The reply of the ECS metadata service and of a credentials URI: the same shape for both
/// (credentials-go `ecs_ram_role.go`, `uri.go`).
#[derive(serde::Deserialize)]
pub(crate) struct CodedCredentials {
    #[serde(rename = "Code", default)]
    pub code: String,
    #[serde(rename = "AccessKeyId", default)]
    pub access_key_id: String,
    #[serde(rename = "AccessKeySecret", default)]
    pub access_key_secret: String,
    #[serde(rename = "SecurityToken", default)]
    pub security_token: String,
    #[serde(rename = "Expiration", default)]
    pub expiration: String,
}

pub(crate) fn parse_expiration(
    provider: &str,
    text: &str,
) -> Result<OffsetDateTime, CredentialError> {
    crate::timefmt::parse(text).ok_or_else(|| {
        CredentialError::provider(
            provider,
            "the reply's Expiration is not a timestamp such as 2026-01-01T00:00:00Z",
        )
    })
}

/// A serde error without the value it quotes (a numeric secret shows up in serde's "invalid
/// type: integer `123`" message): only where and what kind of problem.
pub(crate) fn json_error_without_values(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "cannot be read",
        Category::Syntax => "is not valid JSON",
        Category::Data => "has a value of the wrong type or a missing field",
        Category::Eof => "ends early",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

/// A URL as it may be shown in a message: without user name, password, query or fragment, which
/// can hold a secret.
pub(crate) fn shown_url(text: &str) -> String {
    match reqwest::Url::parse(text) {
        Ok(mut url) => {
            let hid = !url.username().is_empty()
                || url.password().is_some()
                || url.query().is_some()
                || url.fragment().is_some();
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            let mut s = url.to_string();
            if hid {
                s.push_str(" (credentials, query and fragment not shown)");
            }
            s
        }
        Err(_) if text.contains(['@', '?', '#']) => "(the value is not shown)".to_string(),
        Err(_) => text.to_string(),
    }
}

/// The base URL of a service a provider talks to: `override_var` (checked like `--endpoint`:
/// plain http only to loopback) or `default`.
pub(crate) fn service_url(
    env: Env<'_>,
    override_var: &'static str,
    default: &str,
) -> Result<reqwest::Url, CredentialError> {
    match var(env, override_var)? {
        Some(v) => Endpoint::parse(&v)
            .map(|e| e.url().clone())
            .map_err(|e: EndpointError| CredentialError::BadEndpoint {
                variable: override_var,
                value: shown_url(&v),
                reason: match e {
                    EndpointError::NotAUrl(_) => "not a URL such as http://127.0.0.1:8080".into(),
                    EndpointError::Scheme(..) => "use https:// (or http:// to loopback)".into(),
                    EndpointError::PlainHttp(_) => "plain http:// is only allowed to a loopback host (127.0.0.1, ::1, localhost); use https://".into(),
                    EndpointError::Extra(_) => "give only scheme, host and port".into(),
                    EndpointError::BadRegion(_) => "not a region ID".into(),
                },
            }),
        None => Ok(reqwest::Url::parse(default).expect("a valid built-in URL")),
    }
}

/// An HTTP client for a provider: never follows a redirect (a redirect could carry a signed
/// query or a token to another host), sends no `Referer`, and gives up after `timeout`.
pub(crate) fn http(connect: Duration, timeout: Duration) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .connect_timeout(connect)
        .timeout(timeout)
        .user_agent(concat!("vodplan/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a plain HTTP client always builds")
}

/// The reason of a failed exchange, without the URL reqwest puts in its messages.
pub(crate) fn send_error(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no reply within {timeout:?}");
    }
    let mut cur: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    if e.is_connect() {
        format!("cannot connect: {cur}")
    } else {
        cur.to_string()
    }
}

/// Where credentials come from, as discovered.
#[derive(Debug, Clone)]
pub enum Provider {
    /// Long-lived keys, or an STS token given as is (no way to renew it).
    Static(Credentials),
    /// STS `AssumeRole`, signed with what `source` provides.
    AssumeRole(sts::AssumeRole),
    /// STS `AssumeRoleWithOIDC` with a token file.
    Oidc(oidc::Oidc),
    /// The ECS instance RAM role.
    Ecs(ecs::EcsRole),
    /// A credentials URI.
    Uri(uri::CredentialsUri),
    /// An aliyun CLI `External` profile's `process_command`.
    External(external::External),
}

impl Provider {
    /// Which provider this is, for messages; never a value.
    pub fn describe(&self) -> String {
        match self {
            Provider::Static(c) => c.source.clone(),
            Provider::AssumeRole(a) => a.describe.clone(),
            Provider::Oidc(o) => o.describe.clone(),
            Provider::Ecs(e) => e.describe(),
            Provider::Uri(u) => u.describe.clone(),
            Provider::External(x) => x.describe.clone(),
        }
    }

    /// Whether what it hands out expires and can be fetched again.
    pub fn renews(&self) -> bool {
        !matches!(self, Provider::Static(_))
    }

    /// Fetches credentials once (no cache).
    pub fn fetch(
        &self,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Issued, CredentialError>> + Send + '_>> {
        Box::pin(async move {
            let issued = match self {
                Provider::Static(c) => Issued {
                    credentials: c.clone(),
                    expires_at: None,
                },
                Provider::AssumeRole(a) => a.fetch().await?,
                Provider::Oidc(o) => o.fetch().await?,
                Provider::Ecs(e) => e.fetch().await?,
                Provider::Uri(u) => u.fetch().await?,
                Provider::External(x) => x.fetch().await?,
            };
            let credentials = issued.credentials.checked()?;
            Ok(Issued {
                credentials,
                expires_at: issued.expires_at,
            })
        })
    }
}

/// What discovery found: the providers to try, in order. Only an ECS probe may fail and let the
/// next one be tried.
#[derive(Debug, Clone)]
pub struct Chain {
    pub candidates: Vec<Provider>,
    /// The aliyun CLI config path, for the "no credentials" message.
    pub cli_config: PathBuf,
}

/// Decides which providers apply, reading only `env` and local files. `profile` is `--profile`.
pub fn discover(env: Env<'_>, profile: Option<&str>) -> Result<Chain, CredentialError> {
    let cli_config = cli_profile::config_path(env)?;
    let profile = match profile.filter(|p| !p.is_empty()) {
        Some(p) => Some(p.to_string()),
        None => var(env, "ALIBABA_CLOUD_PROFILE")?,
    };
    let mut candidates = Vec::new();
    if let Some(p) = env::discover(env)? {
        candidates.push(p);
    } else if let Some(p) = oidc::discover(env)? {
        candidates.push(p);
    } else if let Some(p) = cli_profile::discover(env, profile.as_deref(), &cli_config)? {
        candidates.push(p);
    } else if let Some(p) = ini::discover(env, profile.as_deref())? {
        candidates.push(p);
    } else {
        if let Some(p) = ecs::discover(env)? {
            candidates.push(p);
        }
        if let Some(p) = uri::discover(env)? {
            candidates.push(p);
        }
    }
    Ok(Chain {
        candidates,
        cli_config,
    })
}

#[cfg(test)]
pub(crate) mod testenv {
    use std::ffi::OsString;

    /// An [`super::Env`] from pairs.
    pub fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| {
            owned
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testenv::env_of;
    use super::*;

    fn kinds(chain: &Chain) -> Vec<String> {
        chain.candidates.iter().map(Provider::describe).collect()
    }

    #[test]
    fn precedence_env_then_oidc_then_cli_then_ini_then_ecs_and_uri() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_str().unwrap().to_string();
        std::fs::create_dir_all(dir.path().join(".aliyun")).unwrap();
        std::fs::write(
            dir.path().join(".aliyun/config.json"),
            r#"{"current":"main","profiles":[{"name":"main","mode":"AK","access_key_id":"AKCLI","access_key_secret":"s"}]}"#,
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join(".alibabacloud")).unwrap();
        std::fs::write(
            dir.path().join(".alibabacloud/credentials"),
            "[default]\ntype = access_key\naccess_key_id = AKINI\naccess_key_secret = s\n",
        )
        .unwrap();
        let mut pairs = vec![
            ("HOME", home.as_str()),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKENV"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"),
            ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r"),
            (
                "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                "acs:ram::1:oidc-provider/p",
            ),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/tmp/token"),
            ("VODPLAN_UNUSED", "x"),
        ];
        let expect = [
            "environment variables",
            "OIDC role acs:ram::1:role/r",
            "aliyun CLI profile `main` (AK)",
        ];
        for want in expect {
            let env = env_of(&pairs);
            let got = kinds(&discover(&env, None).unwrap());
            assert!(got[0].starts_with(want), "{got:?} vs {want}");
            pairs.remove(1);
            if want == "environment variables" {
                pairs.remove(1);
            } else if want.starts_with("OIDC") {
                pairs.remove(1);
                pairs.remove(1);
            }
        }
        // Without the CLI config: the INI file; then the metadata service and the URI.
        pairs.push(("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:1/creds"));
        pairs.push(("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "TRUE"));
        let got = kinds(&discover(&env_of(&pairs), None).unwrap());
        assert!(got[0].starts_with("credentials file"), "{got:?}");
        pairs.push(("ALIBABA_CLOUD_CREDENTIALS_FILE", "/nonexistent/x"));
        let e = discover(&env_of(&pairs), None).unwrap_err().to_string();
        assert!(e.contains("ALIBABA_CLOUD_CREDENTIALS_FILE"), "{e}");
        pairs.pop();
        std::fs::remove_file(dir.path().join(".alibabacloud/credentials")).unwrap();
        let got = kinds(&discover(&env_of(&pairs), None).unwrap());
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("ECS instance RAM role"), "{got:?}");
        assert!(got[1].starts_with("the credentials URI"), "{got:?}");
        pairs.push(("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"));
        let got = kinds(&discover(&env_of(&pairs), None).unwrap());
        assert_eq!(got.len(), 1, "{got:?}");
    }

    #[test]
    fn half_set_and_non_utf8_and_control_characters_are_named() {
        let env = env_of(&[("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKENV")]);
        let e = discover(&env, None).unwrap_err().to_string();
        assert!(e.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET is not"), "{e}");

        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let env = |k: &str| match k {
                "ALIBABA_CLOUD_ACCESS_KEY_ID" => Some(OsString::from("AK")),
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => Some(OsString::from_vec(vec![0xff, 0x41])),
                _ => None,
            };
            let e = discover(&env, None).unwrap_err().to_string();
            assert_eq!(
                e,
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET is not valid UTF-8; credentials are ASCII text"
            );
        }
        let env = env_of(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "tok\nen"),
        ]);
        let e = discover(&env, None).unwrap_err().to_string();
        assert!(
            e.starts_with("ALIBABA_CLOUD_SECURITY_TOKEN contains a line break"),
            "{e}"
        );
        assert!(!e.contains("tok"), "{e}");
    }

    #[test]
    fn json_errors_do_not_quote_values() {
        let e = serde_json::from_str::<std::collections::HashMap<String, String>>(
            r#"{"access_key_secret": 123456789}"#,
        )
        .unwrap_err();
        let text = json_error_without_values(&e);
        assert!(!text.contains("123456789"), "{text}");
        assert!(text.contains("line 1"), "{text}");
    }
}
