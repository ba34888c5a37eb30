//! Rendering plans and outcomes: pure functions from a value to text, so they can be snapshot
//! tested and used by any front end. Colour is a parameter; whether the terminal wants it is the
//! CLI's decision. Every string that comes from outside vodplan (titles, reasons, selectors,
//! file names, server messages) is shown through [`escape`], so none of it can forge the review.

pub mod breakdown;
pub mod compare;
pub(crate) mod csv;
pub(crate) mod escape;
mod format;
pub(crate) mod html;
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
    /// When the plan was made (`yyyy-MM-ddTHH:mm:ssZ`): the time relative ages and minimum
    /// storage periods are judged at.
    pub created_at: String,
    /// The user's storage prices, for the cost line.
    pub prices: Option<breakdown::Prices>,
    /// The most characters a Markdown plan may take (0: [`markdown::MAX_CHARS`]).
    pub max_chars: usize,
    /// Where the full list of videos is (the report artifact's file names), named where a
    /// Markdown plan cuts its lists.
    pub full_report: Vec<String>,
    /// The HTML report loads cover thumbnails.
    pub thumbnails: bool,
    /// The saved plan's file name, when there is one: a cut list says how to render it whole.
    pub plan_file: String,
}

impl PlanContext {
    /// The plan's time, when known.
    pub fn at(&self) -> Option<time::OffsetDateTime> {
        crate::timefmt::parse(&self.created_at)
    }
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
    format!("{} {thing}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// `5221` as `5,221`, as progress lines show counts.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
