//! A local ApsaraVideo VOD API: the subset vodplan uses (DeleteVideo, GetVideoInfos, GetVideoInfo,
//! GetVideoList, SearchMedia, CreateAudit, UpdateVideoInfos, GetPlayInfo and the CDN purge actions
//! over a model of the edge, `cdn`; the list is `actions::ACTIONS`), over HTTP, signed requests only, so that vodplan and the official SDKs can be
//! tried, tested and rehearsed without a cloud account.
//!
//! It behaves like the service where vodplan's correctness depends on it: response shapes, error
//! codes and HTTP statuses; V3 and V1 signature checks (`auth`); 20 IDs per call; per-operation
//! QPS limits answered with `Throttling.User`, counted as a token bucket or, strictly, by arrival
//! time (`quota`); and it can misbehave on purpose (latency and jitter, faults before doing
//! anything, lost replies after doing it) to rehearse the bad days.
//!
//! The same listener answers the identity side a credential provider talks to (`sts`: STS
//! `AssumeRole` / `AssumeRoleWithOIDC`, recognised by their `Action`; `metadata`: the ECS metadata
//! service's RAM-role paths and `/_emulator/credentials` for `ALIBABA_CLOUD_CREDENTIALS_URI`), and
//! VOD calls signed with the temporary keys it issued are accepted until they expire.
//!
//! `GET /_emulator/stats` (not part of the VOD API) reports counters per operation for tests;
//! `GET /_emulator/cdn` what the CDN edge still serves (`cdn`), `POST /_emulator/cdn/next-day`
//! starts a new quota day.
//!
//! It is a crate of its own, the server side of the wire, and depends on nothing of the vodplan
//! client: a bug shared by both sides would pass every test and fail only against the service.

// A library: it answers requests and returns errors, it never prints and never exits.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

pub mod actions;
pub mod auth;
pub mod canonical;
pub(crate) mod catalog;
pub mod cdn;
pub(crate) mod metadata;
pub mod quota;
pub mod sts;
mod timefmt;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, put};
use serde_json::{Value, json};

/// The HTTP types of the public API ([`auth::verify`] takes a [`http::HeaderMap`]).
pub use axum::http;

pub use actions::Limits;
pub use auth::Keys;
pub use catalog::{AuditRecord, Catalog, Video};
pub use quota::QuotaMode;
pub use sts::IdentityConfig;

use actions::Action;

/// An error answer of the service, shared by every action.
#[derive(Debug, Clone)]
pub struct ServiceError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ServiceError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ServiceError {
        ServiceError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }
}

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub keys: Keys,
    /// DeleteVideo requests per second for the account (the real limit is 30).
    pub delete_qps: u32,
    /// Added before every answer.
    pub latency: Duration,
    /// Up to this much more, at random, before a request is counted and again before its answer
    /// (network and scheduling jitter: requests sent evenly spaced do not arrive so).
    pub jitter: Duration,
    /// How the per-operation QPS quota counts requests ([`quota`]).
    pub quota_mode: QuotaMode,
    /// Share of requests that fail with 503 before doing anything.
    pub fault_rate: f64,
    /// Share of DeleteVideo requests that are carried out and then answered with 500.
    pub lost_reply_rate: f64,
    /// Seed for the fault dice, for reproducible runs.
    pub seed: Option<u64>,
    /// Sent as `x-acs-retry-after` (milliseconds) with every throttling answer, as the gateway
    /// may do; none by default.
    pub throttle_retry_after: Option<Duration>,
    /// How far GetVideoList and SearchMedia can list a query (lowered for tests).
    pub limits: actions::Limits,
    /// STS roles, OIDC token, ECS role and the lifetime of issued credentials.
    pub identity: IdentityConfig,
    /// A connection whose request headers are not complete within this time is closed.
    pub header_read_timeout: Duration,
    /// The CDN side: the account's domains, the daily purge quota, how long a purge takes.
    pub cdn: cdn::CdnConfig,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            keys: Keys::default(),
            delete_qps: 30,
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            quota_mode: QuotaMode::Token,
            fault_rate: 0.0,
            lost_reply_rate: 0.0,
            seed: None,
            throttle_retry_after: None,
            limits: actions::Limits::default(),
            identity: IdentityConfig::default(),
            header_read_timeout: Duration::from_secs(10),
            cdn: cdn::CdnConfig::default(),
        }
    }
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    ok: AtomicU64,
    throttled: AtomicU64,
    faults: AtomicU64,
    lost_replies: AtomicU64,
    rejected: AtomicU64,
}

struct Shared {
    catalog: Mutex<Catalog>,
    config: EmulatorConfig,
    nonces: auth::NonceStore,
    quotas: quota::Quotas,
    counters: HashMap<&'static str, Counters>,
    dice: Mutex<fastrand::Rng>,
    videos_deleted: AtomicU64,
    scrolls: Mutex<actions::Scrolls>,
    edge: Mutex<cdn::Edge>,
    issuer: sts::Issuer,
    imds: metadata::MetadataTokens,
    identity_counters: sts::IdentityCounters,
}

/// The HTTP application, for serving on any listener.
fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/credentials", get(credentials_uri))
        .route("/_emulator/cdn", get(cdn_edge))
        .route("/_emulator/cdn/next-day", axum::routing::post(cdn_next_day))
        .route(
            "/_emulator/cdn/refuse-next",
            axum::routing::post(cdn_refuse_next),
        )
        .route("/latest/api/token", put(imds_token))
        .route(metadata::ROLE_PATH, get(imds_role_name))
        .route(&format!("{}{{role}}", metadata::ROLE_PATH), get(imds_role))
        .fallback(any(handle))
        .with_state(shared)
}

/// A running emulator (in-process), stopped when dropped or by [`RunningEmulator::stop`].
pub struct RunningEmulator {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningEmulator {
    /// The base URL to point vodplan at.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

fn shared(catalog: Catalog, config: EmulatorConfig) -> Arc<Shared> {
    let quotas = quota::Quotas::new(
        config.quota_mode,
        actions::ACTIONS.iter().map(|a| {
            let qps = if a.name == "DeleteVideo" {
                config.delete_qps
            } else {
                a.qps
            };
            (a.name, qps)
        }),
    );
    let counters = actions::ACTIONS
        .iter()
        .map(|a| (a.name, Counters::default()))
        .collect();
    let dice = match config.seed {
        Some(s) => fastrand::Rng::with_seed(s),
        None => fastrand::Rng::new(),
    };
    let edge = cdn::Edge::new(config.cdn.clone());
    Arc::new(Shared {
        catalog: Mutex::new(catalog),
        config,
        nonces: auth::NonceStore::default(),
        quotas,
        counters,
        dice: Mutex::new(dice),
        videos_deleted: AtomicU64::new(0),
        scrolls: Mutex::new(actions::Scrolls::default()),
        edge: Mutex::new(edge),
        issuer: sts::Issuer::default(),
        imds: metadata::MetadataTokens::default(),
        identity_counters: sts::IdentityCounters::default(),
    })
}

/// Serves on `listener` until `shutdown` completes, then lets the requests in flight finish
/// (at most [`SHUTDOWN_GRACE`]).
///
/// The accept loop is hyper's HTTP/1 connection builder rather than `axum::serve`, because that
/// is where a header-read timeout can be set: without one, a client that opens a connection and
/// never finishes its headers holds it (and a task) forever.
pub async fn serve(
    listener: tokio::net::TcpListener,
    catalog: Catalog,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let header_read_timeout = config.header_read_timeout;
    let app = router(shared(catalog, config));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: wait a moment, as axum::serve does.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection's own failure (reset, timeout) concerns only that connection.
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

/// How long a stopping emulator waits for the requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Starts an emulator in this process on `addr` (port 0 for any free port).
pub async fn start(
    addr: SocketAddr,
    catalog: Catalog,
    config: EmulatorConfig,
) -> std::io::Result<RunningEmulator> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = serve(listener, catalog, config, async move {
            let _ = rx.await;
        })
        .await;
    });
    Ok(RunningEmulator {
        addr,
        stop: Some(tx),
        task: Some(task),
    })
}

/// A random delay between zero and `max`.
fn jitter(max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    Duration::from_micros(fastrand::u64(..=max.as_micros() as u64))
}

fn request_id() -> String {
    let n = fastrand::u128(..);
    let h = format!("{n:032X}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn answer(status: u16, mut body: Value, request_id: &str) -> Response {
    if let Some(m) = body.as_object_mut() {
        m.insert("RequestId".into(), json!(request_id));
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

fn error_answer(e: &ServiceError, host: &str, request_id: &str) -> Response {
    let body = json!({
        "HostId": host,
        "Code": e.code,
        "Message": e.message,
        "Recommend": format!("https://api.aliyun.com/troubleshoot?q={}&product=vod&requestId={request_id}", e.code),
    });
    answer(e.status, body, request_id)
}

fn decode(text: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(text)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let rid = request_id();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("vod.emulator")
        .to_string();
    let arrival = shared.config.latency + jitter(shared.config.jitter);
    if !arrival.is_zero() {
        tokio::time::sleep(arrival).await;
    }
    if method != Method::GET && method != Method::POST {
        let e = ServiceError::new(
            400,
            "UnsupportedHTTPMethod",
            "Specified HTTP method is not supported.",
        );
        return error_answer(&e, &host, &rid);
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let incoming = auth::Incoming {
        method: method.as_str(),
        path: uri.path(),
        headers: &headers,
        query: decode(query.as_deref().unwrap_or_default().as_bytes()),
        form: if is_form { decode(&body) } else { Vec::new() },
        body: &body,
    };
    let action_name = incoming
        .query
        .iter()
        .chain(&incoming.form)
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.as_str())
        .or_else(|| headers.get("x-acs-action").and_then(|v| v.to_str().ok()));
    if let Some(sts_action) = action_name.and_then(sts::StsAction::from_name) {
        return handle_sts(&shared, sts_action, &incoming, &host, &rid);
    }
    let result = respond(&shared, &incoming);
    let reply = jitter(shared.config.jitter);
    if !reply.is_zero() {
        tokio::time::sleep(reply).await;
    }
    match result {
        Ok(body) => answer(200, body, &rid),
        Err(e) => {
            let mut response = error_answer(&e, &host, &rid);
            if let Some(after) = shared.config.throttle_retry_after
                && e.code.starts_with("Throttling")
                && let Ok(v) = header::HeaderValue::from_str(&after.as_millis().to_string())
            {
                response.headers_mut().insert("x-acs-retry-after", v);
            }
            response
        }
    }
}

/// One VOD request: verify, limit, dispatch.
fn respond(shared: &Shared, incoming: &auth::Incoming<'_>) -> Result<Value, ServiceError> {
    let who = auth::Identities {
        keys: &shared.config.keys,
        issuer: &shared.issuer,
    };
    let verified = auth::verify(
        incoming,
        &who,
        &shared.nonces,
        time::OffsetDateTime::now_utc(),
        VOD_VERSION,
    )?;
    let action = actions::find(&verified.action).ok_or_else(|| {
        ServiceError::new(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )
    })?;
    let counters = &shared.counters[action.name];
    counters.requests.fetch_add(1, Ordering::Relaxed);
    let lost = limit(shared, action, counters)?;
    match dispatch(shared, action, &verified.params) {
        Ok(_) if lost => {
            counters.lost_replies.fetch_add(1, Ordering::Relaxed);
            Err(ServiceError::new(
                500,
                "InternalError",
                "The request processing has failed due to some unknown error.",
            ))
        }
        Ok(body) => {
            counters.ok.fetch_add(1, Ordering::Relaxed);
            Ok(body)
        }
        Err(e) => {
            counters.rejected.fetch_add(1, Ordering::Relaxed);
            Err(e)
        }
    }
}

/// The QPS limit and the fault dice; tells whether this request's reply is to be lost.
fn limit(shared: &Shared, action: &Action, counters: &Counters) -> Result<bool, ServiceError> {
    if !shared.quotas.admit(action.name) {
        counters.throttled.fetch_add(1, Ordering::Relaxed);
        return Err(ServiceError::new(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ));
    }
    let (fault, lost) = {
        let mut dice = shared.dice.lock().expect("dice lock");
        (
            dice.f64() < shared.config.fault_rate,
            dice.f64() < shared.config.lost_reply_rate,
        )
    };
    if fault {
        counters.faults.fetch_add(1, Ordering::Relaxed);
        return Err(ServiceError::new(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        ));
    }
    Ok(lost && action.may_lose_reply)
}

/// Runs the action's handler on the catalogue.
fn dispatch(
    shared: &Shared,
    action: &Action,
    params: &HashMap<String, String>,
) -> Result<Value, ServiceError> {
    let mut catalog = shared.catalog.lock().expect("catalog lock");
    let mut scrolls = shared.scrolls.lock().expect("scroll lock");
    let mut edge = shared.edge.lock().expect("edge lock");
    let before = catalog.len();
    let mut ctx = actions::Ctx {
        catalog: &mut catalog,
        scrolls: &mut scrolls,
        limits: shared.config.limits,
        edge: &mut edge,
    };
    let result = (action.run)(&mut ctx, params);
    shared
        .videos_deleted
        .fetch_add((before - catalog.len()) as u64, Ordering::Relaxed);
    result
}

/// The VOD API version the emulator serves.
pub const VOD_VERSION: &str = "2017-03-21";

/// STS `AssumeRole` (signed) and `AssumeRoleWithOIDC` (anonymous).
fn handle_sts(
    shared: &Shared,
    action: sts::StsAction,
    incoming: &auth::Incoming<'_>,
    host: &str,
    rid: &str,
) -> Response {
    let now = time::OffsetDateTime::now_utc();
    let config = &shared.config.identity;
    let (counters, result) = match action {
        sts::StsAction::AssumeRole => {
            let who = auth::Identities {
                keys: &shared.config.keys,
                issuer: &shared.issuer,
            };
            let result = auth::verify(incoming, &who, &shared.nonces, now, sts::STS_VERSION)
                .and_then(|v| sts::assume_role(config, &shared.issuer, &v.params, now));
            (&shared.identity_counters.assume_role, result)
        }
        sts::StsAction::AssumeRoleWithOidc => {
            let params: HashMap<String, String> = incoming
                .query
                .iter()
                .chain(&incoming.form)
                .cloned()
                .collect();
            let version = params.get("Version").map(String::as_str).unwrap_or("");
            let result = if version == sts::STS_VERSION {
                sts::assume_role_with_oidc(config, &shared.issuer, &params, now)
            } else {
                Err(ServiceError::new(
                    400,
                    "InvalidVersion",
                    format!("Specified parameter Version is not valid: {version}"),
                ))
            };
            (&shared.identity_counters.assume_role_with_oidc, result)
        }
    };
    counters.record(result.is_ok());
    match result {
        Ok(body) => answer(200, body, rid),
        Err(e) => error_answer(&e, host, rid),
    }
}

async fn imds_token(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let r = shared.imds.issue(&headers);
    shared
        .identity_counters
        .metadata
        .record(r.status().is_success());
    r
}

async fn imds_role_name(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    imds_serve(&shared, "", &headers)
}

async fn imds_role(
    State(shared): State<Arc<Shared>>,
    Path(role): Path<String>,
    headers: HeaderMap,
) -> Response {
    imds_serve(&shared, &role, &headers)
}

fn imds_serve(shared: &Shared, role: &str, headers: &HeaderMap) -> Response {
    let r = shared.imds.serve(
        role,
        headers,
        &shared.config.identity,
        &shared.issuer,
        time::OffsetDateTime::now_utc(),
    );
    shared
        .identity_counters
        .metadata
        .record(r.status().is_success());
    r
}

async fn credentials_uri(State(shared): State<Arc<Shared>>) -> Response {
    shared.identity_counters.credentials.record(true);
    metadata::credentials_uri(
        &shared.config.identity,
        &shared.issuer,
        time::OffsetDateTime::now_utc(),
    )
}

/// `GET /_emulator/cdn` (not part of the VOD API, unsigned, for tests): what the CDN edge still
/// serves of every video, the quota left today, and the purge counters.
async fn cdn_edge(State(shared): State<Arc<Shared>>) -> Response {
    let catalog = shared.catalog.lock().expect("catalog lock");
    let mut edge = shared.edge.lock().expect("edge lock");
    let body = actions::cdn_report(&catalog, &mut edge);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `POST /_emulator/cdn/next-day` (for tests): the purge quota is whole again, as at midnight.
async fn cdn_next_day(State(shared): State<Arc<Shared>>) -> Response {
    let catalog = shared.catalog.lock().expect("catalog lock");
    let mut edge = shared.edge.lock().expect("edge lock");
    actions::cdn_settle(&catalog, &mut edge);
    edge.next_day();
    (StatusCode::OK, "{}").into_response()
}

/// `POST /_emulator/cdn/refuse-next` (for tests): the next purge call is refused (403), as a
/// purge refused for another reason than the quota.
async fn cdn_refuse_next(State(shared): State<Arc<Shared>>) -> Response {
    shared.edge.lock().expect("edge lock").refuse_next += 1;
    (StatusCode::OK, "{}").into_response()
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    let mut per_action = serde_json::Map::new();
    for a in &actions::ACTIONS {
        let c = &shared.counters[a.name];
        per_action.insert(
            a.name.into(),
            json!({
                "requests": c.requests.load(Ordering::Relaxed),
                "ok": c.ok.load(Ordering::Relaxed),
                "throttled": c.throttled.load(Ordering::Relaxed),
                "faults": c.faults.load(Ordering::Relaxed),
                "lostReplies": c.lost_replies.load(Ordering::Relaxed),
                "rejected": c.rejected.load(Ordering::Relaxed),
            }),
        );
    }
    for (name, c) in shared.identity_counters.named() {
        per_action.insert(name.into(), c.json());
    }
    let videos = shared.catalog.lock().expect("catalog lock").len();
    let body = json!({
        "videos": videos,
        "videosDeleted": shared.videos_deleted.load(Ordering::Relaxed),
        "actions": per_action,
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
