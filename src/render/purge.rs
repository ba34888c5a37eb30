//! The CDN purge in a plan and in an apply's result (`purgeCdn`): per video what is purged and
//! how (directories, URLs), what cannot be and why, the totals, today's quota and the days needed.

use std::fmt::Write;

use super::count;
use super::escape::visible;
use crate::apply::purge::PurgeOutcome;
use crate::plan::purge::{Kind, PurgePlan};

fn days(n: Option<u64>) -> String {
    match n {
        Some(d) => count(d as usize, "day"),
        None => "no day: the account's purge quota is zero".into(),
    }
}

/// The plan's purge section (text), empty without one.
pub fn plan_text(purge: Option<&PurgePlan>) -> String {
    let Some(p) = purge else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "CDN purge after each deletion (purgeCdn; only deleted videos are purged):"
    );
    for v in &p.videos {
        let u = v.units();
        let mut how = Vec::new();
        if u.dirs > 0 {
            how.push(count(u.dirs as usize, "directory").replace("directorys", "directories"));
        }
        if u.urls > 0 {
            how.push(count(u.urls as usize, "URL"));
        }
        if how.is_empty() {
            how.push("nothing purgeable".into());
        }
        let _ = writeln!(
            out,
            "  {}  {}",
            visible(v.video_id.as_str()),
            how.join(" and ")
        );
        for o in &v.objects {
            let kind = match o.kind {
                Kind::Directory => "directory",
                Kind::IgnoreParams => "url",
            };
            let _ = writeln!(out, "      {kind} {}", visible(&o.path));
        }
        for n in &v.unpurgeable {
            let _ = writeln!(
                out,
                "      NOT PURGEABLE {}: {}",
                visible(&n.what()),
                visible(&n.reason())
            );
        }
    }
    let _ = writeln!(out, "{}\n", plan_summary(p));
    out
}

/// The purge's totals in one line: what, today's quota, the days needed, what cannot be purged.
pub fn plan_summary(p: &PurgePlan) -> String {
    let t = p.units();
    let mut line = format!(
        "Purge: {} videos, {} and {}; quota left today: {} of {} URLs, {} of {} directories; needs {}.",
        p.videos.len(),
        count(t.dirs as usize, "directory").replace("directorys", "directories"),
        count(t.urls as usize, "URL"),
        p.quota.url_remain,
        p.quota.url_quota,
        p.quota.dir_remain,
        p.quota.dir_quota,
        days(p.days_needed())
    );
    let partial = p
        .videos
        .iter()
        .filter(|v| !v.unpurgeable.is_empty())
        .count();
    if partial > 0 {
        let _ = write!(
            line,
            " {} with objects that cannot be purged (listed with the reason).",
            count(partial, "video")
        );
    }
    line
}

/// The apply's purge line (text).
pub fn outcome_text(o: &PurgeOutcome) -> String {
    let mut out = format!(
        "CDN purge: {} fully purged, {} pending",
        o.purged.len(),
        o.pending.len()
    );
    if !o.unpurgeable.is_empty() {
        let _ = write!(
            out,
            ", {} with objects that cannot be purged (see the plan)",
            o.unpurgeable.len()
        );
    }
    let _ = write!(
        out,
        "; {} purge tasks today, quota left: {} URLs, {} directories.",
        o.tasks_sent, o.quota_left.url_remain, o.quota_left.dir_remain
    );
    if let Some(why) = &o.stopped {
        let _ = write!(out, " Stopped: {}.", visible(&why.to_string()));
    }
    out.push('\n');
    out
}
