//! Provider 5: the ECS instance RAM role, from the metadata service (credentials-go
//! `credentials/providers/ecs_ram_role.go`): IMDSv2 first (`PUT /latest/api/token` with
//! `X-aliyun-ecs-metadata-token-ttl-seconds`), then the role name
//! (`GET /latest/meta-data/ram/security-credentials/`) unless `ALIBABA_CLOUD_ECS_METADATA` names
//! it, then the keys (`.../<role>`), each with 1 s timeouts as the SDK has them. Without a token
//! it falls back to IMDSv1 unless `ALIBABA_CLOUD_IMDSV1_DISABLED=true`;
//! `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true` skips the provider. `VODPLAN_ECS_METADATA_ENDPOINT`
//! points it at a local server (plain http only to loopback).

use std::time::Duration;

use reqwest::Url;

use super::service::CodedCredentials;
use super::{CredentialError, Env, Issued, flag, var};

const DEFAULT_ENDPOINT: &str = "http://100.100.100.200";
const TIMEOUT: Duration = Duration::from_secs(1);
const ROLE_PATH: &str = "latest/meta-data/ram/security-credentials/";

/// The instance RAM role.
#[derive(Debug, Clone)]
pub struct EcsRole {
    pub role_name: Option<String>,
    pub endpoint: Url,
    pub imdsv1_disabled: bool,
    /// Set when a profile or `ALIBABA_CLOUD_ECS_METADATA` asked for it: then its failure stops
    /// the run instead of letting the chain go on.
    pub configured_by: Option<String>,
}

/// The metadata-service provider, unless disabled.
pub fn discover(env: Env<'_>) -> Result<Option<EcsRole>, CredentialError> {
    if flag(env, "ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
        return Ok(None);
    }
    let role = var(env, "ALIBABA_CLOUD_ECS_METADATA")?;
    let by = role
        .as_ref()
        .map(|_| "ALIBABA_CLOUD_ECS_METADATA".to_string());
    Ok(Some(EcsRole::new(env, role, by)?))
}

impl EcsRole {
    pub fn new(
        env: Env<'_>,
        role_name: Option<String>,
        configured_by: Option<String>,
    ) -> Result<EcsRole, CredentialError> {
        Ok(EcsRole {
            role_name,
            endpoint: super::service::service_url(
                env,
                "VODPLAN_ECS_METADATA_ENDPOINT",
                DEFAULT_ENDPOINT,
            )?,
            imdsv1_disabled: flag(env, "ALIBABA_CLOUD_IMDSV1_DISABLED"),
            configured_by,
        })
    }

    pub fn describe(&self) -> String {
        let mut s = match &self.configured_by {
            Some(by) if by.starts_with("ALIBABA") => {
                "ECS instance RAM role (ALIBABA_CLOUD_ECS_METADATA)".to_string()
            }
            Some(by) => by.clone(),
            None => "ECS instance RAM role".to_string(),
        };
        if let Some(r) = &self.role_name {
            s.push_str(&format!(" `{r}`"));
        }
        s.push_str(&format!(
            " from the metadata service at {}",
            self.endpoint.as_str().trim_end_matches('/')
        ));
        s
    }

    fn fail(&self, reason: impl Into<String>) -> CredentialError {
        CredentialError::provider(&self.describe(), reason)
    }

    async fn get(
        &self,
        http: &reqwest::Client,
        path: &str,
        token: Option<&str>,
        what: &str,
    ) -> Result<String, CredentialError> {
        let url = self
            .endpoint
            .join(path)
            .map_err(|e| self.fail(e.to_string()))?;
        let mut request = http.get(url);
        if let Some(t) = token {
            request = request.header("x-aliyun-ecs-metadata-token", t);
        }
        let response = request.send().await.map_err(|e| {
            self.fail(format!(
                "{what}: {}",
                super::service::send_error(&e, TIMEOUT)
            ))
        })?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(self.fail(format!("{what}: HTTP {status}")));
        }
        response.text().await.map_err(|e| {
            self.fail(format!(
                "{what}: {}",
                super::service::send_error(&e, TIMEOUT)
            ))
        })
    }

    pub async fn fetch(&self) -> Result<Issued, CredentialError> {
        let http = super::service::http(TIMEOUT, TIMEOUT);
        let token = match self.metadata_token(&http).await {
            Ok(t) => Some(t),
            Err(e) if self.imdsv1_disabled => {
                return Err(self.fail(format!(
                    "{e}; IMDSv1 is disabled (ALIBABA_CLOUD_IMDSV1_DISABLED=true)"
                )));
            }
            Err(_) => None,
        };
        let role = match &self.role_name {
            Some(r) => r.clone(),
            None => {
                let r = self
                    .get(
                        &http,
                        ROLE_PATH,
                        token.as_deref(),
                        "cannot read the role name",
                    )
                    .await?;
                let r = r.trim().to_string();
                if r.is_empty() || r.contains(['/', '?', '#']) {
                    return Err(self.fail("the instance has no RAM role attached"));
                }
                r
            }
        };
        let body = self
            .get(
                &http,
                &format!("{ROLE_PATH}{role}"),
                token.as_deref(),
                &format!("cannot read the credentials of role `{role}`"),
            )
            .await?;
        let reply: CodedCredentials = serde_json::from_str(&body).map_err(|e| {
            self.fail(format!(
                "the credentials reply {}",
                super::service::json_error_without_values(&e)
            ))
        })?;
        if reply.code != "Success" {
            return Err(self.fail("the credentials reply's Code is not Success"));
        }
        super::sts::issued(
            &self.describe(),
            reply.access_key_id,
            reply.access_key_secret,
            Some(reply.security_token),
            Some(&reply.expiration),
        )
    }

    async fn metadata_token(&self, http: &reqwest::Client) -> Result<String, String> {
        let url = self
            .endpoint
            .join("latest/api/token")
            .map_err(|e| e.to_string())?;
        let response = http
            .put(url)
            .header("x-aliyun-ecs-metadata-token-ttl-seconds", "21600")
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot get an IMDSv2 token: {}",
                    super::service::send_error(&e, TIMEOUT)
                )
            })?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(format!("cannot get an IMDSv2 token: HTTP {status}"));
        }
        response
            .text()
            .await
            .map(|t| t.trim().to_string())
            .map_err(|e| format!("cannot get an IMDSv2 token: {e}"))
    }
}
