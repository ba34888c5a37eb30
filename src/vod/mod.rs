//! The VOD API client: every call vodplan makes goes through [`Client::call`], so signing,
//! credentials, pacing, retries, timeouts and secret hygiene live in one place.
//!
//! Requests are sent the way the official SDKs send them: POST to `/` with the parameters in the
//! query string and an empty body, signed with V3 (ACS3-HMAC-SHA256) by default or V1 (HMAC-SHA1).
//! What a request says is a typed struct ([`request`]) that turns itself into those parameters;
//! [`Client::call`] takes any [`Request`] and returns its reply type.
//!
//! Credentials come from a [`CredentialSource`], asked before every attempt, so temporary keys are
//! renewed while calls keep flowing; a call refused because its token just expired is renewed
//! and sent again once, not counted as an attempt.
//!
//! Secrets never leave in a way they should not: redirects are not followed (a 307 would carry
//! `x-acs-security-token`, or a V1 query holding `SecurityToken`, to wherever it points), no
//! `Referer` is sent, and anything the server or a proxy echoes back is passed through
//! [`error::redact`] with the current secret and token before it becomes an [`ApiError`].

pub mod api;
pub mod cdn;
pub(crate) mod concurrency;
pub mod credentials;
pub mod encode;
pub(crate) mod endpoint;
pub(crate) mod error;
pub mod media;
pub(crate) mod pacer;
pub mod request;
pub(crate) mod retry;
pub mod sign;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::de::DeserializeOwned;

pub use api::{Action, MAX_IDS_PER_CALL};
pub use credentials::{CredentialSource, Credentials, Secret};
pub use endpoint::Endpoint;
pub use error::{ApiError, ApiErrorKind, ApiErrorSource};
use pacer::Pacer;
pub use request::Request;
pub use retry::RetryPolicy;

use crate::ids::{ReferenceId, VideoId};

/// How often one call may renew its credentials after being refused for an expired token.
const MAX_RENEWALS_PER_CALL: u32 = 3;

/// Which signature the client puts on requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureVersion {
    /// ACS3-HMAC-SHA256, what the current SDKs send by default.
    #[default]
    V3,
    /// HMAC-SHA1 RPC signature, what the legacy SDK sends.
    V1,
}

/// Everything a [`Client`] needs; built by the CLI from flags, environment and manifest.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoint: Endpoint,
    pub region: String,
    /// The credentials [`Client::new`] signs with; [`Client::with_credentials`] takes a
    /// renewing [`CredentialSource`] instead.
    pub credentials: Credentials,
    pub signature: SignatureVersion,
    /// Ceiling on DeleteVideo requests per second.
    pub delete_qps: f64,
    /// Per-request timeout.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

/// Counters of what the client did, for summaries and benchmarks.
#[derive(Debug, Default)]
pub struct ClientStats {
    pub requests: AtomicU64,
    pub throttled: AtomicU64,
    pub transient_failures: AtomicU64,
}

/// The result of one logical call, after retries, with what the retries went through.
#[derive(Debug)]
pub struct Attempted<T> {
    pub result: Result<T, ApiError>,
    pub attempts: u32,
    /// An earlier attempt failed in a way that leaves unknown whether it took effect (5xx, timeout,
    /// lost connection). For DeleteVideo this means the IDs a retry reports as non-existent may
    /// have been deleted by this very call.
    pub uncertain_earlier_attempt: bool,
}

pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
    credentials: CredentialSource,
    pacers: HashMap<Action, Pacer>,
    stats: ClientStats,
    waits: std::sync::OnceLock<WaitNotice>,
}

/// Told when a call pauses long enough that a person watching would think it hangs (the service
/// asked to wait with `x-acs-retry-after`, or backoff grew long): the front end says so.
pub type WaitNotice = Box<dyn Fn(&str) + Send + Sync>;

/// Pauses at least this long are announced.
const ANNOUNCED_PAUSE: Duration = Duration::from_secs(5);

impl Client {
    /// A client that signs with `config.credentials` as they are.
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let source = CredentialSource::fixed(config.credentials.clone());
        Client::with_credentials(config, source)
    }

    /// A client that asks `credentials` before every attempt (`config.credentials` is unused).
    pub fn with_credentials(
        config: ClientConfig,
        credentials: CredentialSource,
    ) -> Result<Client, ApiError> {
        let http = credentials::service::builder(Duration::from_secs(10), config.timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| ApiError {
                message: e.to_string(),
                source: Some(std::sync::Arc::new(error::ApiErrorSource::Client(
                    e.without_url(),
                ))),
                ..ApiError::network("client setup", String::new())
            })?;
        let pacers = Action::ALL
            .into_iter()
            .map(|a| {
                let qps = if a == Action::DeleteVideo {
                    config.delete_qps
                } else {
                    a.qps_limit()
                };
                (a, Pacer::new(qps))
            })
            .collect();
        Ok(Client {
            http,
            config,
            credentials,
            pacers,
            stats: ClientStats::default(),
            waits: std::sync::OnceLock::new(),
        })
    }

    /// Sets who is told about long pauses (once; later calls are ignored).
    pub fn on_long_wait(&self, notice: WaitNotice) {
        let _ = self.waits.set(notice);
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub fn stats(&self) -> &ClientStats {
        &self.stats
    }

    /// Which provider supplied the credentials, e.g. "environment variables
    /// (ALIBABA_CLOUD_ACCESS_KEY_ID)" or "aliyun CLI profile `ci` (RamRoleArn), role ..."; never
    /// a value.
    pub fn credential_source(&self) -> String {
        self.credentials.describe()
    }

    /// How many times temporary credentials were renewed during this client's life.
    pub fn credential_renewals(&self) -> u64 {
        self.credentials.renewals()
    }

    /// Sends `request`, retrying throttling and transient failures per the retry policy.
    pub async fn call<R: Request>(&self, request: &R) -> Result<R::Reply, ApiError> {
        self.call_detailed(request).await.result
    }

    /// Like [`Client::call`], and tells what the retries went through.
    pub async fn call_detailed<R: Request>(&self, request: &R) -> Attempted<R::Reply> {
        let action = R::ACTION;
        let params = request.params();
        let pacer = &self.pacers[&action];
        let policy = &self.config.retry;
        let (mut attempts, mut throttled, mut transient) = (0u32, 0u32, 0u32);
        let mut uncertain = false;
        // Renewals after a call was refused for an expired token: a fresh key can expire again
        // while the call waits its turn under a low --max-qps, so a few are allowed.
        let mut renewed_after_rejection = 0u32;
        loop {
            // Credentials are taken after the pacer's wait, which can be long at a low rate:
            // keys taken before it could expire while the call waits its turn.
            let slot = pacer.acquire().await;
            let creds = match self.credentials.get().await {
                Ok(c) => c,
                Err(e) => {
                    return Attempted {
                        result: Err(ApiError::credentials(action.name(), e)),
                        attempts,
                        uncertain_earlier_attempt: uncertain,
                    };
                }
            };
            attempts += 1;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let error = match self
                .send_once::<R::Reply>(action, &params, creds.credentials())
                .await
            {
                Ok(body) => {
                    pacer.on_success(slot);
                    return Attempted {
                        result: Ok(body),
                        attempts,
                        uncertain_earlier_attempt: uncertain,
                    };
                }
                Err(e) => e,
            };
            // A token that expired in flight (or early, by the server's clock): renew once and
            // send again. The refused call did nothing, so it is not an attempt.
            if error.is_expired_token()
                && renewed_after_rejection < MAX_RENEWALS_PER_CALL
                && self.credentials.renews()
            {
                renewed_after_rejection += 1;
                attempts -= 1;
                if let Err(e) = self.credentials.renew_after(creds.generation).await {
                    return Attempted {
                        result: Err(ApiError::credentials(action.name(), e)),
                        attempts,
                        uncertain_earlier_attempt: uncertain,
                    };
                }
                continue;
            }
            let pause = match error.kind {
                ApiErrorKind::Throttled if throttled < policy.max_throttled => {
                    throttled += 1;
                    self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                    pacer.on_throttled(slot, error.retry_after);
                    error
                        .retry_after
                        .unwrap_or_else(|| policy.backoff(throttled.min(4)))
                }
                ApiErrorKind::Transient if transient + 1 < policy.max_attempts => {
                    transient += 1;
                    uncertain = true;
                    self.stats
                        .transient_failures
                        .fetch_add(1, Ordering::Relaxed);
                    error
                        .retry_after
                        .unwrap_or_else(|| policy.backoff(transient))
                }
                _ => {
                    if error.kind == ApiErrorKind::Transient {
                        self.stats
                            .transient_failures
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    return Attempted {
                        result: Err(error),
                        attempts,
                        uncertain_earlier_attempt: uncertain,
                    };
                }
            };
            if pause >= ANNOUNCED_PAUSE
                && let Some(notice) = self.waits.get()
            {
                notice(&format!(
                    "{}: waiting {} s before retrying ({})",
                    action.name(),
                    pause.as_secs(),
                    error.code
                ));
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// One HTTP exchange, no retry.
    async fn send_once<T: DeserializeOwned>(
        &self,
        action: Action,
        params: &[(&str, String)],
        creds: &Credentials,
    ) -> Result<T, ApiError> {
        let name = action.name();
        let mut secrets = vec![creds.access_key_secret.expose()];
        if let Some(t) = &creds.security_token {
            secrets.push(t.expose());
        }
        let request = self.signed_request(action, params, creds);
        let response = request.send().await.map_err(|e| {
            let what = if e.is_timeout() {
                format!("no reply within {:?}", self.config.timeout)
            } else if e.is_connect() {
                format!(
                    "cannot connect to {}: {}",
                    self.config.endpoint,
                    root_cause(&e)
                )
            } else {
                root_cause(&e)
            };
            ApiError::network(name, error::redact(&what, &secrets))
        })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("x-acs-retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(|ms| Duration::from_millis(ms.min(60_000)));
        let body = response
            .bytes()
            .await
            .map_err(|e| ApiError::network(name, error::redact(&root_cause(&e), &secrets)))?;
        if (300..400).contains(&status) {
            // Never followed: it would carry the signed request and the token elsewhere.
            return Err(ApiError {
                action: name,
                kind: ApiErrorKind::Invalid,
                status: Some(status),
                code: "Redirected".into(),
                message: "the endpoint answered with a redirect, which vodplan never follows (it would carry the signature and security token to another address); check --endpoint / VODPLAN_ENDPOINT".into(),
                request_id: None,
                retry_after: None,
                source: None,
            });
        }
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|e| ApiError {
                action: name,
                kind: ApiErrorKind::Transient,
                status: Some(status),
                code: "UnreadableResponse".into(),
                message: error::redact(
                    &format!("the reply is not the expected JSON ({e})"),
                    &secrets,
                ),
                request_id: None,
                retry_after: None,
                // Not kept: the parser's error can quote the reply, which only `redact` cleans.
                source: None,
            });
        }
        let parsed: api::ErrorBody =
            serde_json::from_slice(&body).unwrap_or_else(|_| api::ErrorBody {
                code: "UnknownServerError".into(),
                message: error::excerpt(&body, &secrets),
                request_id: None,
            });
        let mut e = ApiError::from_response(
            name,
            status,
            parsed.code,
            parsed.message,
            parsed.request_id,
            retry_after,
        );
        e.message = error::redact(&e.message, &secrets);
        Err(e)
    }

    fn signed_request(
        &self,
        action: Action,
        params: &[(&str, String)],
        creds: &Credentials,
    ) -> reqwest::RequestBuilder {
        let nonce = format!("{:032x}", fastrand::u128(..));
        let date = crate::timefmt::now();
        let endpoint = if action.shanghai_only() {
            self.config.endpoint.shanghai()
        } else {
            self.config.endpoint.clone()
        };
        let host = endpoint.host_header();
        let mut query: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let mut headers: Vec<(String, String)> = Vec::new();
        match self.config.signature {
            SignatureVersion::V3 => {
                let payload = sign::sha256_hex(b"");
                let mut signed = vec![
                    ("host".to_string(), host),
                    ("x-acs-action".to_string(), action.name().to_string()),
                    ("x-acs-version".to_string(), api::API_VERSION.to_string()),
                    ("x-acs-date".to_string(), date),
                    ("x-acs-signature-nonce".to_string(), nonce),
                    ("x-acs-content-sha256".to_string(), payload.clone()),
                ];
                if let Some(token) = &creds.security_token {
                    signed.push(("x-acs-accesskey-id".into(), creds.access_key_id.clone()));
                    signed.push(("x-acs-security-token".into(), token.expose().to_string()));
                }
                let canonical = sign::v3_canonical_request(&sign::V3Parts {
                    method: "POST",
                    query: &query,
                    headers: &signed,
                    payload_sha256: &payload,
                });
                let signature = sign::v3_signature(creds.access_key_secret.expose(), &canonical);
                let authorization = sign::v3_authorization(
                    &creds.access_key_id,
                    &sign::v3_signed_headers(&signed),
                    &signature,
                );
                headers.extend(signed);
                headers.push(("authorization".into(), authorization));
            }
            SignatureVersion::V1 => {
                for (k, v) in [
                    ("Action", action.name().to_string()),
                    ("Version", api::API_VERSION.to_string()),
                    ("Format", "JSON".to_string()),
                    ("AccessKeyId", creds.access_key_id.clone()),
                    ("SignatureMethod", "HMAC-SHA1".to_string()),
                    ("SignatureVersion", "1.0".to_string()),
                    ("SignatureNonce", nonce),
                    ("Timestamp", date),
                    (
                        "RegionId",
                        if action.shanghai_only() {
                            "cn-shanghai".to_string()
                        } else {
                            self.config.region.clone()
                        },
                    ),
                ] {
                    query.push((k.to_string(), v));
                }
                if let Some(token) = &creds.security_token {
                    query.push(("SecurityToken".into(), token.expose().to_string()));
                }
                let to_sign = sign::v1_string_to_sign("POST", &query);
                let signature = sign::v1_signature(creds.access_key_secret.expose(), &to_sign);
                query.push(("Signature".into(), signature));
                headers.push(("host".into(), host));
                headers.push(("x-acs-action".into(), action.name().to_string()));
                headers.push(("x-acs-version".into(), api::API_VERSION.to_string()));
            }
        }
        let mut url = endpoint.url().to_string();
        if !query.is_empty() {
            url.push('?');
            url.push_str(&encode::canonical_query(&query));
        }
        let mut request = self.http.post(url).header("accept", "application/json");
        for (k, v) in headers {
            request = request.header(k, v);
        }
        request
    }

    /// DeleteVideo for up to 20 video IDs.
    pub async fn delete_videos(&self, ids: &[VideoId]) -> Attempted<api::DeleteVideoResponse> {
        debug_assert!(!ids.is_empty() && ids.len() <= MAX_IDS_PER_CALL);
        self.call_detailed(&request::DeleteVideo { video_ids: ids })
            .await
    }

    /// GetVideoInfos for up to 20 video IDs and up to 20 reference IDs.
    pub async fn get_video_infos(
        &self,
        video_ids: &[VideoId],
        reference_ids: &[ReferenceId],
    ) -> Result<api::GetVideoInfosResponse, ApiError> {
        let request = request::GetVideoInfos {
            video_ids,
            reference_ids,
        };
        match self.call(&request).await {
            // Whether GetVideoInfos answers 404 when none exist is undocumented: treat it as
            // "every ID is absent".
            Err(e) if e.kind == ApiErrorKind::NotFound => Ok(api::GetVideoInfosResponse {
                request_id: e.request_id.unwrap_or_default(),
                video_list: Vec::new(),
                non_exist_video_ids: video_ids.iter().map(|v| v.to_string()).collect(),
                non_exist_reference_ids: reference_ids.iter().map(|v| v.to_string()).collect(),
            }),
            other => other,
        }
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
