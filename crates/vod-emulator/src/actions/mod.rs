//! The operations the emulator serves, with the real response shapes, error codes and statuses:
//! one file per family (`videos`: reading and deleting by ID; `listing`: GetVideoList and
//! SearchMedia; `changes`: CreateAudit and UpdateVideoInfos), and [`ACTIONS`], the one list of
//! them (name, QPS limit, handler) the server dispatches with.
//!
//! The emulator has its own list, not the client's: it must be able to serve what the client does
//! not call, and the client must never be tested against a copy of itself.

mod cdn;
mod changes;
mod listing;
mod videos;

use std::collections::HashMap;

use serde_json::Value;

pub use cdn::{
    describe_vod_refresh_quota, describe_vod_refresh_tasks, describe_vod_user_domains,
    get_play_info, refresh_vod_object_caches, report as cdn_report, settle as cdn_settle,
};
pub use changes::{
    MAX_AUDITS_PER_CALL, MAX_TAG_BYTES, MAX_TAGS, MAX_UPDATES_PER_CALL, create_audit,
    get_audit_history, update_video_infos,
};
pub use listing::{Limits, Scrolls, get_video_list, search_media};
pub use videos::{delete_video, get_video_info, get_video_infos};

use super::ServiceError;
use super::catalog::Catalog;

/// What a handler works on.
pub struct Ctx<'a> {
    pub catalog: &'a mut Catalog,
    pub scrolls: &'a mut Scrolls,
    pub limits: Limits,
    pub edge: &'a mut crate::cdn::Edge,
}

/// One operation: its name, its per-account QPS limit and its handler.
#[derive(Debug)]
pub struct Action {
    pub name: &'static str,
    /// Requests per second for the account (DeleteVideo's can be changed with `--qps`).
    pub qps: u32,
    /// Whether a reply may be lost after the work was done (`--lost-reply-rate`).
    pub may_lose_reply: bool,
    pub run: fn(&mut Ctx<'_>, &Params) -> Result<Value, ServiceError>,
}

/// Every operation the emulator serves. QPS limits: https://alibabacloud.com/help/ja/vod/developer-reference/qps-limits-on-api-operations
/// (DeleteVideo 30, GetVideoInfos/GetVideoInfo 100, GetVideoList and SearchMedia 50 — GetVideoList
/// may now be 100 [unverified], the stricter is kept), UpdateVideoInfos 30 (its own page);
/// CreateAudit's is not documented [unverified]: 30, like the other writes.
pub const ACTIONS: [Action; 13] = [
    Action {
        name: "DeleteVideo",
        qps: 30,
        may_lose_reply: true,
        run: |c, p| delete_video(c.catalog, p),
    },
    Action {
        name: "GetVideoInfos",
        qps: 100,
        may_lose_reply: false,
        run: |c, p| get_video_infos(c.catalog, p),
    },
    Action {
        name: "GetVideoInfo",
        qps: 100,
        may_lose_reply: false,
        run: |c, p| get_video_info(c.catalog, p),
    },
    Action {
        name: "GetVideoList",
        qps: 50,
        may_lose_reply: false,
        run: |c, p| get_video_list(c.catalog, p, c.limits),
    },
    Action {
        name: "SearchMedia",
        qps: 50,
        may_lose_reply: false,
        run: |c, p| search_media(c.catalog, p, c.scrolls, c.limits),
    },
    Action {
        name: "CreateAudit",
        qps: 30,
        may_lose_reply: false,
        run: |c, p| create_audit(c.catalog, p),
    },
    Action {
        name: "UpdateVideoInfos",
        qps: 30,
        may_lose_reply: false,
        run: |c, p| update_video_infos(c.catalog, p),
    },
    // GetAuditHistory's QPS is not documented [unverified]: 50, like the listings.
    Action {
        name: "GetAuditHistory",
        qps: 50,
        may_lose_reply: false,
        run: |c, p| get_audit_history(c.catalog, p),
    },
    // GetPlayInfo: 360 per the QPS table above; the CDN actions' limits are not listed for VOD
    // [unverified]: DCDN's purge allows 30/s and its quota query 20/s
    // (https://www.alibabacloud.com/help/doc-detail/130620.htm, /131402.htm), kept here.
    Action {
        name: "GetPlayInfo",
        qps: 360,
        may_lose_reply: false,
        run: |c, p| get_play_info(c.catalog, c.edge, p),
    },
    Action {
        name: "DescribeVodUserDomains",
        qps: 20,
        may_lose_reply: false,
        run: |c, p| describe_vod_user_domains(c.edge, p),
    },
    Action {
        name: "RefreshVodObjectCaches",
        qps: 30,
        may_lose_reply: true,
        run: |c, p| refresh_vod_object_caches(c.catalog, c.edge, p),
    },
    Action {
        name: "DescribeVodRefreshQuota",
        qps: 20,
        may_lose_reply: false,
        run: |c, _| Ok(describe_vod_refresh_quota(c.catalog, c.edge)),
    },
    Action {
        name: "DescribeVodRefreshTasks",
        qps: 20,
        may_lose_reply: false,
        run: |c, p| describe_vod_refresh_tasks(c.catalog, c.edge, p),
    },
];

/// The operation named `name`.
pub fn find(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.name == name)
}

pub type Params = HashMap<String, String>;

/// IDs per call of DeleteVideo and GetVideoInfos (https://www.alibabacloud.com/help/en/vod/api-getvideoinfos).
pub const MAX_IDS_PER_CALL: usize = 20;

fn id_list(params: &Params, name: &str) -> Result<Vec<String>, ServiceError> {
    let ids: Vec<String> = params
        .get(name)
        .map(|v| {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if ids.len() > MAX_IDS_PER_CALL {
        return Err(ServiceError::new(
            400,
            &format!("{name}ExceededMax"),
            format!("The {name} exceeded maximum."),
        ));
    }
    Ok(ids)
}

fn invalid(name: &str) -> ServiceError {
    ServiceError::new(
        400,
        &format!("InvalidParameter.{name}"),
        format!("The specified parameter {name} is not valid."),
    )
}

fn int_param(
    params: &Params,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ServiceError> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| invalid(name)),
    }
}
