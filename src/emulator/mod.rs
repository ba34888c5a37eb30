//! A local ApsaraVideo VOD API: the subset vodplan uses (DeleteVideo, GetVideoInfos, GetVideoInfo,
//! GetVideoList, SearchMedia, CreateAudit, UpdateVideoInfos; the list is `actions::ACTIONS`), over HTTP, signed requests only, so that vodplan and the official SDKs can be
//! tried, tested and rehearsed without a cloud account.
//!
//! It behaves like the service where vodplan's correctness depends on it: response shapes, error
//! codes and HTTP statuses; V3 and V1 signature checks (`auth`); 20 IDs per call; per-operation
//! QPS limits answered with `Throttling.User`; and it can misbehave on purpose (latency, faults
//! before doing anything, lost replies after doing it) to rehearse the bad days.
//!
//! `GET /_emulator/stats` (not part of the VOD API) reports counters per operation for tests.

pub mod actions;
pub mod auth;
pub mod catalog;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde_json::{Value, json};

pub use actions::Limits;
pub use auth::Keys;
pub use catalog::{Catalog, Video};

use actions::Action;

/// An error answer of the service.
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
    /// Share of requests that fail with 503 before doing anything.
    pub fault_rate: f64,
    /// Share of DeleteVideo requests that are carried out and then answered with 500.
    pub lost_reply_rate: f64,
    /// Seed for the fault dice, for reproducible runs.
    pub seed: Option<u64>,
    /// How far GetVideoList and SearchMedia can list a query (lowered for tests).
    pub limits: actions::Limits,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            keys: Keys::default(),
            delete_qps: 30,
            latency: Duration::ZERO,
            fault_rate: 0.0,
            lost_reply_rate: 0.0,
            seed: None,
            limits: actions::Limits::default(),
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
    limits: HashMap<&'static str, DefaultDirectRateLimiter>,
    counters: HashMap<&'static str, Counters>,
    dice: Mutex<fastrand::Rng>,
    videos_deleted: AtomicU64,
    scrolls: Mutex<actions::Scrolls>,
}

fn limiter(per_second: u32) -> DefaultDirectRateLimiter {
    RateLimiter::direct(Quota::per_second(
        NonZeroU32::new(per_second.max(1)).expect("at least one"),
    ))
}

/// The HTTP application, for serving on any listener.
fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_emulator/stats", get(stats))
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
    let limits = actions::ACTIONS
        .iter()
        .map(|a| {
            let qps = if a.name == "DeleteVideo" {
                config.delete_qps
            } else {
                a.qps
            };
            (a.name, limiter(qps))
        })
        .collect();
    let counters = actions::ACTIONS
        .iter()
        .map(|a| (a.name, Counters::default()))
        .collect();
    let dice = match config.seed {
        Some(s) => fastrand::Rng::with_seed(s),
        None => fastrand::Rng::new(),
    };
    Arc::new(Shared {
        catalog: Mutex::new(catalog),
        config,
        nonces: auth::NonceStore::default(),
        limits,
        counters,
        dice: Mutex::new(dice),
        videos_deleted: AtomicU64::new(0),
        scrolls: Mutex::new(actions::Scrolls::default()),
    })
}

/// Serves on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    catalog: Catalog,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(shared(catalog, config));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

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
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    match respond(&shared, &method, &headers, query.as_deref(), &body) {
        Ok(body) => answer(200, body, &rid),
        Err(e) => error_answer(&e, &host, &rid),
    }
}

/// One request: parse, verify, limit, dispatch.
fn respond(
    shared: &Shared,
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &Bytes,
) -> Result<Value, ServiceError> {
    if method != Method::GET && method != Method::POST {
        return Err(ServiceError::new(
            400,
            "UnsupportedHTTPMethod",
            "Specified HTTP method is not supported.",
        ));
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let incoming = auth::Incoming {
        method: method.as_str(),
        headers,
        query: decode(query.unwrap_or_default().as_bytes()),
        form: if is_form { decode(body) } else { Vec::new() },
        body,
    };
    let verified = auth::verify(
        &incoming,
        &shared.config.keys,
        &shared.nonces,
        time::OffsetDateTime::now_utc(),
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
    if shared.limits[action.name].check().is_err() {
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
    let before = catalog.len();
    let mut ctx = actions::Ctx {
        catalog: &mut catalog,
        scrolls: &mut scrolls,
        limits: shared.config.limits,
    };
    let result = (action.run)(&mut ctx, params);
    shared
        .videos_deleted
        .fetch_add((before - catalog.len()) as u64, Ordering::Relaxed);
    result
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
