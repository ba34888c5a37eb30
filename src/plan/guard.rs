//! Guard rails checked before anything is deleted: `limits.maxDeletes` from the reviewed manifest,
//! and `--max-deletes` / `--max-delete-percent` from the command line. A flag can only tighten
//! what the manifest allows: the smallest limit wins.

use std::fmt;

use super::Plan;

/// The limits in force for one plan or apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Guards {
    /// From the manifest's `limits.maxDeletes`, with where it is written.
    pub manifest_max: Option<(u64, String)>,
    /// From `--max-deletes`.
    pub flag_max: Option<u64>,
    /// From `--max-delete-percent`: of the videos the delete selectors saw.
    pub flag_percent: Option<f64>,
    /// From the manifest's `limits.maxQuarantines` (new quarantines), with where it is written.
    pub manifest_max_quarantines: Option<(u64, String)>,
}

/// A guard that tripped.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardTripped {
    pub guard: String,
    pub limit: String,
    pub planned: usize,
    pub over_by: String,
    /// What the plan counts: "deletes" or "quarantines".
    pub what: &'static str,
}

impl fmt::Display for GuardTripped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} allows {}, but the plan {} {} ({} too many)",
            self.guard, self.limit, self.what, self.planned, self.over_by
        )
    }
}

impl Guards {
    /// Checks the plan; the first guard that trips, tightest first.
    pub fn check(&self, plan: &Plan) -> Result<(), GuardTripped> {
        if let Some((n, at)) = &self.manifest_max_quarantines
            && plan.quarantines.len() as u64 > *n
        {
            return Err(GuardTripped {
                guard: format!("limits.maxQuarantines ({at})"),
                limit: format!("{n} new quarantine{}", if *n == 1 { "" } else { "s" }),
                planned: plan.quarantines.len(),
                over_by: (plan.quarantines.len() as u64 - n).to_string(),
                what: "quarantines",
            });
        }
        let planned = plan.deletions.len();
        let mut limits: Vec<(u64, String)> = Vec::new();
        if let Some((n, at)) = &self.manifest_max {
            limits.push((*n, format!("limits.maxDeletes ({at})")));
        }
        if let Some(n) = self.flag_max {
            limits.push((n, "--max-deletes".into()));
        }
        limits.sort_by_key(|(n, _)| *n);
        if let Some((n, guard)) = limits.into_iter().next()
            && planned as u64 > n
        {
            return Err(GuardTripped {
                guard,
                limit: format!("{n} deletion{}", if n == 1 { "" } else { "s" }),
                planned,
                over_by: (planned as u64 - n).to_string(),
                what: "deletes",
            });
        }
        if let Some(p) = self.flag_percent {
            let seen = plan.selector_seen;
            let from_selectors = plan
                .deletions
                .iter()
                .filter(|d| matches!(d.selected_by, super::SelectedBy::Match(_)))
                .count();
            if seen > 0 {
                let share = from_selectors as f64 * 100.0 / seen as f64;
                if share > p {
                    let allowed = (p / 100.0 * seen as f64).floor() as usize;
                    return Err(GuardTripped {
                        guard: "--max-delete-percent".into(),
                        limit: format!(
                            "{p}% of the {seen} videos the delete selectors' queries returned ({allowed})"
                        ),
                        planned: from_selectors,
                        over_by: (from_selectors - allowed).to_string(),
                        what: "deletes",
                    });
                }
            }
        }
        Ok(())
    }
}
