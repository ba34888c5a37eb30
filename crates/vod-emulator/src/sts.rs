//! STS in the emulator: `AssumeRole` and `AssumeRoleWithOIDC`, and the store of every temporary
//! credential the emulator has handed out (by STS, the metadata service or the credentials URI).
//!
//! Why it exists: a credential provider is only tested when something real issues short-lived
//! keys, refuses the wrong role or token, and refuses a key once it has expired. So the emulator
//! answers STS on the same listener as VOD (`VODPLAN_STS_ENDPOINT=http://127.0.0.1:PORT`), and
//! [`Issuer`] remembers what it issued so that `auth` can accept VOD calls signed with those keys
//! until their `Expiration`, and refuse them after it with the service's codes.
//!
//! Wire shape, as the official providers send it:
//! - aliyun/credentials-go `credentials/providers/ram_role_arn.go` (`getCredentials`): POST to `/`,
//!   `Action=AssumeRole`, `Version=2015-04-01`, `Format`, `Timestamp`, the V1 signature parameters
//!   and `AccessKeyId` (+ `SecurityToken` when chaining) in the query; `RoleArn`,
//!   `RoleSessionName`, `DurationSeconds` (+ `Policy`, `ExternalId`) in a form body; the signature
//!   covers both.
//! - credentials-go `credentials/providers/oidc.go`: POST, `Action=AssumeRoleWithOIDC` etc. in the
//!   query, `RoleArn`, `OIDCProviderArn`, `OIDCToken`, `RoleSessionName`, `DurationSeconds` in a form
//!   body, no signature at all.
//! - aliyun/credentials-python sends the same parameters as a GET query; both are accepted.
//!
//! Error codes: https://help.aliyun.com/zh/ram/developer-reference/api-sts-2015-04-01-errorcodes
//! (`AuthenticationFail.OIDCToken.Invalid` 401, `AuthenticationFail.NoPermission` 401 "No such OIDC
//! Provider registered."); `InvalidParameter.DurationSeconds` and `InvalidParameter.RoleSessionName`
//! from https://www.alibabacloud.com/help/doc-detail/42775.htm. `EntityNotExist.Role` with HTTP 404
//! is the code the service gives for an unknown role [message text unverified].

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::ServiceError;
use crate::timefmt;

/// The STS API version the actions belong to.
pub const STS_VERSION: &str = "2015-04-01";

/// The default role the emulator knows.
pub const DEFAULT_ROLE_ARN: &str = "acs:ram::1234567890123456:role/vodplan";
/// The default OIDC token it accepts.
pub const DEFAULT_OIDC_TOKEN: &str = "vodplan-test-oidc-token";
/// The default OIDC provider.
pub const DEFAULT_OIDC_PROVIDER_ARN: &str = "acs:ram::1234567890123456:oidc-provider/vodplan";
/// The default ECS instance role name.
pub const DEFAULT_ECS_ROLE: &str = "vodplan-ecs-role";

/// What the STS side and the metadata service accept and how long what they issue lives.
/// (`Debug` leaves the OIDC token out.)
#[derive(Clone)]
pub struct IdentityConfig {
    /// Roles that `AssumeRole` and `AssumeRoleWithOIDC` may assume.
    pub role_arns: Vec<String>,
    /// The one OIDC token `AssumeRoleWithOIDC` accepts.
    pub oidc_token: String,
    /// The one OIDC provider it knows.
    pub oidc_provider_arn: String,
    /// The instance RAM role the metadata service reports.
    pub ecs_role: String,
    /// Caps the lifetime of STS credentials; the lifetime of metadata and credentials-URI keys.
    pub sts_ttl: Option<Duration>,
    /// Refuse metadata requests without an IMDSv2 token.
    pub imdsv2_only: bool,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            role_arns: vec![DEFAULT_ROLE_ARN.into()],
            oidc_token: DEFAULT_OIDC_TOKEN.into(),
            oidc_provider_arn: DEFAULT_OIDC_PROVIDER_ARN.into(),
            ecs_role: DEFAULT_ECS_ROLE.into(),
            sts_ttl: None,
            imdsv2_only: false,
        }
    }
}

impl std::fmt::Debug for IdentityConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityConfig")
            .field("role_arns", &self.role_arns)
            .field("oidc_provider_arn", &self.oidc_provider_arn)
            .field("ecs_role", &self.ecs_role)
            .field("sts_ttl", &self.sts_ttl)
            .field("imdsv2_only", &self.imdsv2_only)
            .finish_non_exhaustive()
    }
}

impl IdentityConfig {
    /// Lifetime of keys that are not asked for with a duration (metadata, credentials URI):
    /// `--sts-ttl`, else an hour.
    pub fn default_lifetime(&self) -> Duration {
        self.sts_ttl.unwrap_or(Duration::from_secs(3600))
    }

    fn lifetime(&self, requested: Duration) -> Duration {
        self.sts_ttl.map_or(requested, |cap| cap.min(requested))
    }
}

/// A temporary credential the emulator issued.
#[derive(Clone)]
pub struct Temporary {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: String,
    /// Whole seconds, exactly what `Expiration` says.
    pub expires: OffsetDateTime,
}

impl std::fmt::Debug for Temporary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Temporary")
            .field("access_key_id", &self.access_key_id)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

impl Temporary {
    /// `yyyy-MM-ddTHH:mm:ssZ`.
    pub fn expiration(&self) -> String {
        timefmt::format(self.expires)
    }

    /// The `Credentials` object of an STS answer (also the body of the metadata answers).
    pub fn credentials_json(&self) -> Value {
        json!({
            "AccessKeyId": self.access_key_id,
            "AccessKeySecret": self.access_key_secret,
            "SecurityToken": self.security_token,
            "Expiration": self.expiration(),
        })
    }
}

/// Every temporary credential issued so far, by access key ID.
pub struct Issuer {
    issued: Mutex<HashMap<String, Temporary>>,
    /// `VODPLAN_EMULATOR_ISSUED_LOG`: a file each issued secret and token is appended to, one a
    /// line, so that a test suite can check that none of them ever reaches an output, a plan or a
    /// journal. Unset, nothing is written.
    log: Option<std::path::PathBuf>,
}

/// The variable naming the issued-secrets log (for test suites).
pub const ISSUED_LOG_VAR: &str = "VODPLAN_EMULATOR_ISSUED_LOG";

impl Default for Issuer {
    fn default() -> Self {
        Issuer {
            issued: Mutex::default(),
            log: std::env::var_os(ISSUED_LOG_VAR)
                .filter(|v| !v.is_empty())
                .map(Into::into),
        }
    }
}

fn random_text(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
}

impl Issuer {
    /// Issues a new key pair and token living `lifetime` from `now` (rounded down to a second).
    pub fn issue(&self, lifetime: Duration, now: OffsetDateTime) -> Temporary {
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let t = Temporary {
            access_key_id: format!("STS.{}", random_text(24)),
            access_key_secret: random_text(40),
            security_token: format!("CAIS{}", random_text(96)),
            expires: now + lifetime,
        };
        let mut issued = self.issued.lock().expect("issuer lock");
        if issued.len() > 100_000 {
            issued.retain(|_, t| t.expires > now);
        }
        issued.insert(t.access_key_id.clone(), t.clone());
        if let Some(path) = &self.log {
            use std::io::Write;
            let _ = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| writeln!(f, "{}\n{}", t.access_key_secret, t.security_token));
        }
        t
    }

    /// The credential issued with this access key ID, if any (expired or not).
    pub fn find(&self, access_key_id: &str) -> Option<Temporary> {
        self.issued
            .lock()
            .expect("issuer lock")
            .get(access_key_id)
            .cloned()
    }
}

/// Counters of one identity endpoint, for `/_emulator/stats`.
#[derive(Default)]
pub struct EndpointCounters {
    pub requests: AtomicU64,
    pub ok: AtomicU64,
    pub rejected: AtomicU64,
}

impl EndpointCounters {
    pub fn record(&self, ok: bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if ok {
            self.ok.fetch_add(1, Ordering::Relaxed);
        } else {
            self.rejected.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn json(&self) -> Value {
        json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "ok": self.ok.load(Ordering::Relaxed),
            "rejected": self.rejected.load(Ordering::Relaxed),
        })
    }
}

/// The identity endpoints' counters.
#[derive(Default)]
pub struct IdentityCounters {
    pub assume_role: EndpointCounters,
    pub assume_role_with_oidc: EndpointCounters,
    pub metadata: EndpointCounters,
    pub credentials: EndpointCounters,
}

impl IdentityCounters {
    /// `(name, counters)` as they appear in the stats' `actions` map.
    pub fn named(&self) -> [(&'static str, &EndpointCounters); 4] {
        [
            ("AssumeRole", &self.assume_role),
            ("AssumeRoleWithOIDC", &self.assume_role_with_oidc),
            ("metadata", &self.metadata),
            ("credentials", &self.credentials),
        ]
    }
}

/// The STS actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StsAction {
    AssumeRole,
    AssumeRoleWithOidc,
}

impl StsAction {
    pub fn from_name(name: &str) -> Option<StsAction> {
        match name {
            "AssumeRole" => Some(StsAction::AssumeRole),
            "AssumeRoleWithOIDC" => Some(StsAction::AssumeRoleWithOidc),
            _ => None,
        }
    }
}

fn err(status: u16, code: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::new(status, code, message)
}

fn required<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ServiceError> {
    match params.get(name).map(String::as_str) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(err(
            400,
            &format!("Missing{name}"),
            format!("{name} is mandatory for this action."),
        )),
    }
}

/// `DurationSeconds`: 900..=43200, default 3600 (AssumeRole API reference,
/// https://help.aliyun.com/zh/ram/developer-reference/api-sts-2015-04-01-assumerole).
fn duration(params: &HashMap<String, String>) -> Result<Duration, ServiceError> {
    let Some(text) = params.get("DurationSeconds").filter(|t| !t.is_empty()) else {
        return Ok(Duration::from_secs(3600));
    };
    match text.parse::<u64>() {
        Ok(s) if (900..=43200).contains(&s) => Ok(Duration::from_secs(s)),
        _ => Err(err(
            400,
            "InvalidParameter.DurationSeconds",
            "The Min/Max value of DurationSeconds is 15min/12hr.",
        )),
    }
}

/// `RoleSessionName`: 2 to 64 characters of `[A-Za-z0-9.@_-]`.
fn session_name(params: &HashMap<String, String>) -> Result<&str, ServiceError> {
    let name = required(params, "RoleSessionName")?;
    let ok = (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".@_-".contains(c));
    if ok {
        Ok(name)
    } else {
        Err(err(
            400,
            "InvalidParameter.RoleSessionName",
            "The parameter RoleSessionName is wrongly formed.",
        ))
    }
}

fn role<'a>(
    config: &IdentityConfig,
    params: &'a HashMap<String, String>,
) -> Result<&'a str, ServiceError> {
    let arn = required(params, "RoleArn")?;
    if config.role_arns.iter().any(|r| r == arn) {
        Ok(arn)
    } else {
        Err(err(
            404,
            "EntityNotExist.Role",
            "The specified Role not exists .",
        ))
    }
}

/// The answer's shape, as in the AssumeRole reference's example
/// (`AssumedRoleUser.Arn` = the role ARN + `/` + the session name).
fn answer(role_arn: &str, session: &str, t: &Temporary) -> Value {
    json!({
        "AssumedRoleUser": {
            "Arn": format!("{role_arn}/{session}"),
            "AssumedRoleId": format!("300000000000000000:{session}"),
        },
        "Credentials": t.credentials_json(),
    })
}

/// `AssumeRole`, for a request whose V1 (or V3) signature `auth` has already verified.
pub fn assume_role(
    config: &IdentityConfig,
    issuer: &Issuer,
    params: &HashMap<String, String>,
    now: OffsetDateTime,
) -> Result<Value, ServiceError> {
    let arn = role(config, params)?;
    let session = session_name(params)?;
    let requested = duration(params)?;
    let t = issuer.issue(config.lifetime(requested), now);
    Ok(answer(arn, session, &t))
}

/// `AssumeRoleWithOIDC`: anonymous; the token and provider must be the configured ones.
pub fn assume_role_with_oidc(
    config: &IdentityConfig,
    issuer: &Issuer,
    params: &HashMap<String, String>,
    now: OffsetDateTime,
) -> Result<Value, ServiceError> {
    let provider = required(params, "OIDCProviderArn")?;
    let token = params.get("OIDCToken").map(String::as_str).unwrap_or("");
    if token.is_empty() {
        return Err(err(
            401,
            "AuthenticationFail.OIDCToken.Invalid",
            "The OIDCToken can not empty.",
        ));
    }
    if provider != config.oidc_provider_arn {
        return Err(err(
            401,
            "AuthenticationFail.NoPermission",
            "No such OIDC Provider registered.",
        ));
    }
    if token != config.oidc_token {
        return Err(err(
            401,
            "AuthenticationFail.OIDCToken.Invalid",
            "The Jwt content is invalid that cannot be recognized.",
        ));
    }
    let arn = role(config, params)?;
    let session = session_name(params)?;
    let requested = duration(params)?;
    let t = issuer.issue(config.lifetime(requested), now);
    let mut body = answer(arn, session, &t);
    body["OIDCTokenInfo"] = json!({
        "Subject": "vodplan-emulator",
        "Issuer": "https://oidc.vodplan.emulator",
        "ClientIds": "sts.aliyuncs.com",
    });
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn lifetime_is_the_shorter_of_request_and_cap() {
        let config = IdentityConfig {
            sts_ttl: Some(Duration::from_secs(60)),
            ..IdentityConfig::default()
        };
        let issuer = Issuer::default();
        let now = timefmt::parse("2026-01-01T00:00:00.5Z").unwrap();
        let body = assume_role(
            &config,
            &issuer,
            &params(&[
                ("RoleArn", DEFAULT_ROLE_ARN),
                ("RoleSessionName", "s1"),
                ("DurationSeconds", "900"),
            ]),
            now,
        )
        .unwrap();
        assert_eq!(body["Credentials"]["Expiration"], "2026-01-01T00:01:00Z");
        let id = body["Credentials"]["AccessKeyId"].as_str().unwrap();
        assert!(id.starts_with("STS."));
        assert!(issuer.find(id).is_some());
    }

    #[test]
    fn bad_roles_durations_and_tokens_get_the_services_codes() {
        let config = IdentityConfig::default();
        let issuer = Issuer::default();
        let now = OffsetDateTime::now_utc();
        let code = |r: Result<Value, ServiceError>| {
            let e = r.unwrap_err();
            (e.status, e.code)
        };
        let base = [("RoleArn", DEFAULT_ROLE_ARN), ("RoleSessionName", "s1")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut p = params(&base);
            p.extend(params(extra));
            p
        };
        assert_eq!(
            code(assume_role(
                &config,
                &issuer,
                &with(&[("RoleArn", "acs:ram::1:role/x")]),
                now
            )),
            (404, "EntityNotExist.Role".into())
        );
        assert_eq!(
            code(assume_role(
                &config,
                &issuer,
                &with(&[("DurationSeconds", "899")]),
                now
            )),
            (400, "InvalidParameter.DurationSeconds".into())
        );
        assert_eq!(
            code(assume_role(
                &config,
                &issuer,
                &with(&[("RoleSessionName", "")]),
                now
            )),
            (400, "MissingRoleSessionName".into())
        );
        let oidc = |token: &'static str| {
            with(&[
                ("OIDCProviderArn", DEFAULT_OIDC_PROVIDER_ARN),
                ("OIDCToken", token),
            ])
        };
        assert!(assume_role_with_oidc(&config, &issuer, &oidc(DEFAULT_OIDC_TOKEN), now).is_ok());
        assert_eq!(
            code(assume_role_with_oidc(
                &config,
                &issuer,
                &oidc("forged"),
                now
            )),
            (401, "AuthenticationFail.OIDCToken.Invalid".into())
        );
    }
}
