//! What the providers that talk to a service share (STS, the ECS metadata service, a credentials
//! URI): their HTTP client (no redirects, no `Referer`), the endpoint override check, the reply
//! of the metadata service and of a credentials URI, and error texts that never quote a secret.

use std::time::Duration;

use time::OffsetDateTime;

use super::environment::{Env, var};
use super::error::CredentialError;
use crate::vod::endpoint::{Endpoint, EndpointError};

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

/// Parses an `Expiration` as the providers send it (UTC `yyyy-MM-ddTHH:mm:ssZ`).
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

/// A URL as it may be shown in a message: user name, password, query and fragment replaced.
pub(crate) fn shown_url(text: &str) -> String {
    crate::vod::endpoint::shown(text)
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

/// Every HTTP client of vodplan (the VOD API's and the credential providers') starts here: it
/// never follows a redirect (a redirect could carry a signed query or a token to another host),
/// sends no `Referer`, names vodplan as its user agent, connects within `connect` and gives up
/// after `timeout`.
pub(crate) fn builder(connect: Duration, timeout: Duration) -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .connect_timeout(connect)
        .timeout(timeout)
        .user_agent(concat!("vodplan/", env!("CARGO_PKG_VERSION")))
}

/// An HTTP client for a provider (see [`builder`]).
pub(crate) fn http(connect: Duration, timeout: Duration) -> reqwest::Client {
    builder(connect, timeout)
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
