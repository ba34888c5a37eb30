//! Rendering plans and outcomes: pure functions from a value to text, so they can be snapshot
//! tested and used by any front end. Colour is a parameter; whether the terminal wants it is the
//! CLI's decision. Every string that comes from outside vodplan (titles, reasons, selectors,
//! file names, server messages) is shown through [`escape`], so none of it can forge the review.

pub(crate) mod escape;
mod format;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod purge;
pub(crate) mod text;

pub use format::{Format, outcome, plan};

/// Context shown with a plan.
#[derive(Debug, Clone, Default)]
pub struct PlanContext {
    pub region: String,
    /// Why this region: "from the manifests (cleanup.yaml:2)", "from --region"...
    pub region_source: String,
    pub endpoint: String,
    /// The plan's identity ([`crate::plan::Plan::digest`]).
    pub digest: String,
}

/// The size of the planned deletions, when any is known.
pub fn total_size(plan: &crate::plan::Plan) -> Option<i64> {
    let sizes: Vec<i64> = plan
        .deletions
        .iter()
        .filter_map(|d| d.observed.size)
        .collect();
    (!sizes.is_empty() || plan.deletions.is_empty()).then(|| sizes.iter().sum())
}

/// A byte count for people: `10.0 MiB`.
pub fn human_size(bytes: Option<i64>) -> String {
    let Some(b) = bytes else {
        return "size unknown".into();
    };
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// `n thing` / `n things`.
pub fn count(n: usize, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}
