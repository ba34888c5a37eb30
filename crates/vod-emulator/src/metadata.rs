//! The ECS instance metadata service (the RAM-role part) and the credentials-URI endpoint.
//!
//! Why: an instance RAM role is the usual identity of a workload on ECS/ACK, and its provider is
//! the one with the most steps (token, role name, credentials) and the most ways to fail. The
//! emulator serves it on the same listener, so `VODPLAN_ECS_METADATA_ENDPOINT=http://127.0.0.1:PORT`
//! tests the whole flow.
//!
//! The flow, as aliyun/credentials-go `credentials/providers/ecs_ram_role.go` drives it:
//! 1. `PUT /latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds: 21600` -> a token
//!    (plain text), the IMDSv2 session (`getMetadataToken`);
//! 2. `GET /latest/meta-data/ram/security-credentials/` -> the role name (`getRoleName`);
//! 3. `GET /latest/meta-data/ram/security-credentials/<role>` -> `{"Code":"Success",
//!    "AccessKeyId","AccessKeySecret","SecurityToken","Expiration","LastUpdated"}`;
//!    steps 2 and 3 carry `X-aliyun-ecs-metadata-token`.
//!
//! Without a token, a request is served (IMDSv1) unless `--imdsv2-only`, which answers 403 as an
//! instance in "hardened" metadata mode does; a token that is unknown or expired is answered with
//! 401 (https://help.aliyun.com/zh/ecs/user-guide/view-instance-metadata: IMDSv2 token errors;
//! the exact bodies are [unverified], the SDK only looks at the status).
//!
//! `GET /_emulator/credentials` answers in the shape `ALIBABA_CLOUD_CREDENTIALS_URI` expects
//! (credentials-go `credentials/providers/uri.go`): `{"Code":"Success","AccessKeyId",
//! "AccessKeySecret","SecurityToken","Expiration"}`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use time::OffsetDateTime;

use super::sts::{IdentityConfig, Issuer};
use crate::timefmt;

/// Header asking for a token's lifetime.
pub const TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
/// Header carrying the token.
pub const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";
/// The role path prefix.
pub const ROLE_PATH: &str = "/latest/meta-data/ram/security-credentials/";

/// IMDSv2 tokens handed out, with when they stop being valid.
#[derive(Default)]
pub struct MetadataTokens {
    tokens: Mutex<HashMap<String, Instant>>,
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], body.into()).into_response()
}

fn json_answer(body: serde_json::Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

impl MetadataTokens {
    /// `PUT /latest/api/token`: a token valid for the requested 1..=21600 seconds.
    pub fn issue(&self, headers: &HeaderMap) -> Response {
        let Some(ttl) = headers
            .get(TTL_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|s| (1..=21600).contains(s))
        else {
            return text(StatusCode::BAD_REQUEST, "Bad Request");
        };
        let token: String = (0..56)
            .map(|_| fastrand::alphanumeric())
            .collect::<String>();
        let now = Instant::now();
        let mut tokens = self.tokens.lock().expect("metadata token lock");
        if tokens.len() > 10_000 {
            tokens.retain(|_, until| *until > now);
        }
        tokens.insert(token.clone(), now + Duration::from_secs(ttl));
        text(StatusCode::OK, token)
    }

    /// Whether a metadata read may be served: a valid token, or none when IMDSv1 is allowed.
    fn admit(&self, headers: &HeaderMap, imdsv2_only: bool) -> Result<(), StatusCode> {
        match headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) {
            None if imdsv2_only => Err(StatusCode::FORBIDDEN),
            None => Ok(()),
            Some(token) => {
                let valid = self
                    .tokens
                    .lock()
                    .expect("metadata token lock")
                    .get(token)
                    .is_some_and(|until| *until > Instant::now());
                if valid {
                    Ok(())
                } else {
                    Err(StatusCode::UNAUTHORIZED)
                }
            }
        }
    }

    /// `GET /latest/meta-data/ram/security-credentials/` (role name) or `.../<role>` (keys).
    pub fn serve(
        &self,
        role: &str,
        headers: &HeaderMap,
        config: &IdentityConfig,
        issuer: &Issuer,
        now: OffsetDateTime,
    ) -> Response {
        if let Err(status) = self.admit(headers, config.imdsv2_only) {
            return text(status, status.canonical_reason().unwrap_or_default());
        }
        if role.is_empty() {
            return text(StatusCode::OK, config.ecs_role.clone());
        }
        if role != config.ecs_role {
            return text(StatusCode::NOT_FOUND, "Not Found");
        }
        let t = issuer.issue(config.default_lifetime(), now);
        let mut body = t.credentials_json();
        body["Code"] = json!("Success");
        body["LastUpdated"] = json!(timefmt::format(now));
        json_answer(body)
    }
}

/// `GET /_emulator/credentials`: fresh keys in the credentials-URI shape.
pub fn credentials_uri(config: &IdentityConfig, issuer: &Issuer, now: OffsetDateTime) -> Response {
    let t = issuer.issue(config.default_lifetime(), now);
    let mut body = t.credentials_json();
    body["Code"] = json!("Success");
    json_answer(body)
}
