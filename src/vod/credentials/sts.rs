//! STS, which turns one identity into short-lived keys: `AssumeRole` (V1-signed with the source
//! keys) and `AssumeRoleWithOIDC` (anonymous; the OIDC token is the proof).
//!
//! Wire shape as credentials-go sends it (`credentials/providers/ram_role_arn.go` and `oidc.go`,
//! `getCredentials`): POST to `/`, `Action`, `Version=2015-04-01`, `Format=JSON`, `Timestamp` (and
//! for AssumeRole the V1 signature parameters and `AccessKeyId`, `SecurityToken` when chaining) in
//! the query; `RoleArn`, `RoleSessionName`, `DurationSeconds` (+ `Policy`, `ExternalId`,
//! `OIDCProviderArn`, `OIDCToken`) in a form body; the V1 signature covers both. Keeping the
//! tokens in the body also keeps them out of any URL a proxy might echo.
//!
//! Endpoint as the SDKs choose it (same files, `Build`): `sts.aliyuncs.com`, or
//! `sts.<region>.aliyuncs.com` with a region (the profile's `sts_region`, else
//! `ALIBABA_CLOUD_STS_REGION`), `sts-vpc.<region>.aliyuncs.com` with
//! `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`. `VODPLAN_STS_ENDPOINT` overrides it for tests and
//! rehearsals (plain http only to loopback, like `--endpoint`).

use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use super::{CredentialError, Credentials, Env, Issued, Secret, flag, var};
use crate::vod::error::{excerpt, redact};
use crate::vod::{encode, sign};

/// The STS API version.
pub const VERSION: &str = "2015-04-01";
/// The lifetime vodplan asks for (the SDKs' default); STS may grant less.
pub const DEFAULT_DURATION_SECONDS: u32 = 3600;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The STS endpoint for `sts_region` (a profile's `sts_region`, if any) and the environment.
pub fn endpoint(env: Env<'_>, sts_region: Option<&str>) -> Result<Url, CredentialError> {
    let region = match sts_region.filter(|r| !r.is_empty()) {
        Some(r) => Some(r.to_string()),
        None => var(env, "ALIBABA_CLOUD_STS_REGION")?,
    };
    let default = match region {
        Some(r) => {
            if !r
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(CredentialError::BadEndpoint {
                    variable: "ALIBABA_CLOUD_STS_REGION",
                    value: r,
                    reason: "not a region ID such as cn-shanghai".into(),
                });
            }
            let prefix = if flag(env, "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED") {
                "sts-vpc"
            } else {
                "sts"
            };
            format!("https://{prefix}.{r}.aliyuncs.com")
        }
        None => "https://sts.aliyuncs.com".to_string(),
    };
    super::service::service_url(env, "VODPLAN_STS_ENDPOINT", &default)
}

/// The default session name: `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else `vodplan-<unix seconds>`
/// (credentials-go uses `credentials-go-<microseconds>`).
pub fn session_name(env: Env<'_>) -> Result<String, CredentialError> {
    Ok(match var(env, "ALIBABA_CLOUD_ROLE_SESSION_NAME")? {
        Some(s) => s,
        None => format!(
            "vodplan-{}",
            time::OffsetDateTime::now_utc().unix_timestamp()
        ),
    })
}

/// What to ask STS for.
#[derive(Debug, Clone)]
pub struct RoleRequest {
    pub role_arn: String,
    pub session_name: String,
    pub duration_seconds: u32,
    pub policy: Option<String>,
    pub external_id: Option<String>,
}

impl RoleRequest {
    fn form(&self) -> Vec<(String, String)> {
        let mut form = vec![
            ("RoleArn".to_string(), self.role_arn.clone()),
            ("RoleSessionName".to_string(), self.session_name.clone()),
            (
                "DurationSeconds".to_string(),
                self.duration_seconds.to_string(),
            ),
        ];
        if let Some(p) = &self.policy {
            form.push(("Policy".into(), p.clone()));
        }
        if let Some(x) = &self.external_id {
            form.push(("ExternalId".into(), x.clone()));
        }
        form
    }
}

/// `AssumeRole` of `role`, signed with the keys another provider hands out
/// ([`super::Provider::AssumeRole`] holds which).
#[derive(Debug, Clone)]
pub struct AssumeRole {
    pub role: RoleRequest,
    pub endpoint: Url,
    pub describe: String,
}

impl AssumeRole {
    /// Asks STS for the role, signing with `base`.
    pub async fn fetch(&self, base: &Credentials) -> Result<Issued, CredentialError> {
        let mut query: Vec<(String, String)> = [
            ("Action", "AssumeRole".to_string()),
            ("Version", VERSION.to_string()),
            ("Format", "JSON".to_string()),
            ("Timestamp", crate::timefmt::now()),
            ("SignatureMethod", "HMAC-SHA1".to_string()),
            ("SignatureVersion", "1.0".to_string()),
            ("SignatureNonce", format!("{:032x}", fastrand::u128(..))),
            ("AccessKeyId", base.access_key_id.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if let Some(t) = &base.security_token {
            query.push(("SecurityToken".into(), t.expose().to_string()));
        }
        let form = self.role.form();
        let all: Vec<(String, String)> = query.iter().chain(&form).cloned().collect();
        let to_sign = sign::v1_string_to_sign("POST", &all);
        query.push((
            "Signature".into(),
            sign::v1_signature(base.access_key_secret.expose(), &to_sign),
        ));
        let mut secrets = vec![base.access_key_secret.expose()];
        if let Some(t) = &base.security_token {
            secrets.push(t.expose());
        }
        exchange(&self.describe, &self.endpoint, &query, &form, &secrets).await
    }
}

#[derive(Deserialize)]
struct Reply {
    #[serde(rename = "Credentials")]
    credentials: Option<ReplyCredentials>,
}

#[derive(Deserialize)]
struct ReplyCredentials {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "AccessKeySecret")]
    access_key_secret: String,
    #[serde(rename = "SecurityToken")]
    security_token: String,
    #[serde(rename = "Expiration")]
    expiration: String,
}

#[derive(Deserialize)]
struct ErrorReply {
    #[serde(rename = "Code", default)]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
    #[serde(rename = "RequestId", default)]
    request_id: String,
}

/// One STS call: POST `query` and the form body `form` to `url`; `secrets` are cut from
/// anything the reply echoes.
pub(crate) async fn exchange(
    provider: &str,
    url: &Url,
    query: &[(String, String)],
    form: &[(String, String)],
    secrets: &[&str],
) -> Result<Issued, CredentialError> {
    let http = super::service::http(CONNECT_TIMEOUT, READ_TIMEOUT);
    let mut full = url.clone();
    full.set_query(Some(&encode::canonical_query(query)));
    let response = http
        .post(full)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(encode::canonical_query(form))
        .send()
        .await
        .map_err(|e| {
            CredentialError::provider(
                provider,
                format!(
                    "STS at {} cannot be reached: {}",
                    url.as_str().trim_end_matches('/'),
                    super::service::send_error(&e, READ_TIMEOUT)
                ),
            )
        })?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|e| {
        CredentialError::provider(
            provider,
            format!(
                "STS reply cut short: {}",
                super::service::send_error(&e, READ_TIMEOUT)
            ),
        )
    })?;
    if status != 200 {
        let reason = match serde_json::from_slice::<ErrorReply>(&body) {
            Ok(e) if !e.code.is_empty() => format!(
                "STS refused: {}: {} (HTTP {status}, RequestId {})",
                e.code,
                redact(&e.message, secrets),
                e.request_id
            ),
            _ if (300..400).contains(&status) => format!(
                "STS answered with a redirect (HTTP {status}), which vodplan never follows; check VODPLAN_STS_ENDPOINT and ALIBABA_CLOUD_STS_REGION"
            ),
            _ => format!("STS answered HTTP {status}: {}", excerpt(&body, secrets)),
        };
        return Err(CredentialError::provider(provider, reason));
    }
    let reply: Reply = serde_json::from_slice(&body).map_err(|e| {
        CredentialError::provider(
            provider,
            format!(
                "the STS reply {}",
                super::service::json_error_without_values(&e)
            ),
        )
    })?;
    let c = reply
        .credentials
        .ok_or_else(|| CredentialError::provider(provider, "the STS reply has no Credentials"))?;
    issued(
        provider,
        c.access_key_id,
        c.access_key_secret,
        Some(c.security_token),
        Some(&c.expiration),
    )
}

/// Temporary credentials from a provider's reply, checked.
pub(crate) fn issued(
    provider: &str,
    id: String,
    secret: String,
    token: Option<String>,
    expiration: Option<&str>,
) -> Result<Issued, CredentialError> {
    if id.is_empty() || secret.is_empty() {
        return Err(CredentialError::provider(
            provider,
            "the reply has no AccessKeyId or AccessKeySecret",
        ));
    }
    let expires_at = match expiration.filter(|e| !e.is_empty()) {
        Some(e) => Some(super::service::parse_expiration(provider, e)?),
        None => None,
    };
    Ok(Issued {
        credentials: Credentials {
            access_key_id: id,
            access_key_secret: Secret::new(secret),
            security_token: token.filter(|t| !t.is_empty()).map(Secret::new),
            source: provider.to_string(),
        },
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testenv::env_of;
    use super::*;

    #[test]
    fn endpoint_as_the_sdks_choose_it() {
        let url = |pairs: &[(&str, &str)], region: Option<&str>| {
            endpoint(&env_of(pairs), region).map(|u| u.to_string())
        };
        assert_eq!(url(&[], None).unwrap(), "https://sts.aliyuncs.com/");
        assert_eq!(
            url(&[("ALIBABA_CLOUD_STS_REGION", "cn-beijing")], None).unwrap(),
            "https://sts.cn-beijing.aliyuncs.com/"
        );
        assert_eq!(
            url(
                &[
                    ("ALIBABA_CLOUD_STS_REGION", "cn-beijing"),
                    ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true")
                ],
                Some("cn-hangzhou")
            )
            .unwrap(),
            "https://sts-vpc.cn-hangzhou.aliyuncs.com/"
        );
        // Without a region the VPC switch changes nothing (as in the SDKs).
        assert_eq!(
            url(&[("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true")], None).unwrap(),
            "https://sts.aliyuncs.com/"
        );
        assert_eq!(
            url(&[("VODPLAN_STS_ENDPOINT", "http://127.0.0.1:9")], None).unwrap(),
            "http://127.0.0.1:9/"
        );
        let e = url(&[("VODPLAN_STS_ENDPOINT", "http://10.0.0.1")], None).unwrap_err();
        assert!(e.to_string().contains("VODPLAN_STS_ENDPOINT"), "{e}");
    }
}
