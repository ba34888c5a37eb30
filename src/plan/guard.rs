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

/// Which guard: a value, so callers match on it instead of parsing a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// The manifest's `limits.maxDeletes`, with where it is written (`FILE:LINE:COL`).
    ManifestMaxDeletes { at: String },
    /// `--max-deletes`.
    FlagMaxDeletes,
    /// `--max-delete-percent`.
    FlagMaxDeletePercent,
    /// The manifest's `limits.maxQuarantines`, with where it is written.
    ManifestMaxQuarantines { at: String },
}

impl fmt::Display for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Guard::ManifestMaxDeletes { at } => write!(f, "limits.maxDeletes ({at})"),
            Guard::FlagMaxDeletes => f.write_str("--max-deletes"),
            Guard::FlagMaxDeletePercent => f.write_str("--max-delete-percent"),
            Guard::ManifestMaxQuarantines { at } => write!(f, "limits.maxQuarantines ({at})"),
        }
    }
}

/// What a guard counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Deletes,
    Quarantines,
}

impl fmt::Display for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Counted::Deletes => "deletes",
            Counted::Quarantines => "quarantines",
        })
    }
}

/// The limit a guard sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// At most `n` new quarantines.
    Quarantines(u64),
    /// At most `n` deletions.
    Deletions(u64),
    /// At most `percent`% of the `seen` videos the delete selectors' queries returned, which
    /// allows `allowed` deletions.
    Share {
        percent: f64,
        seen: usize,
        allowed: usize,
    },
}

/// For people: "3 deletions", "10% of the 40 videos ... (4)".
impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        match *self {
            Limit::Quarantines(n) => write!(f, "{n} new quarantine{}", plural(n)),
            Limit::Deletions(n) => write!(f, "{n} deletion{}", plural(n)),
            Limit::Share {
                percent,
                seen,
                allowed,
            } => write!(
                f,
                "{percent}% of the {seen} videos the delete selectors' queries returned ({allowed})"
            ),
        }
    }
}

/// A guard that tripped.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardTripped {
    pub guard: Guard,
    pub limit: Limit,
    pub planned: usize,
    pub over_by: usize,
    pub what: Counted,
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
                guard: Guard::ManifestMaxQuarantines { at: at.clone() },
                limit: Limit::Quarantines(*n),
                planned: plan.quarantines.len(),
                over_by: plan.quarantines.len() - *n as usize,
                what: Counted::Quarantines,
            });
        }
        let planned = plan.deletions.len();
        let mut limits: Vec<(u64, Guard)> = Vec::new();
        if let Some((n, at)) = &self.manifest_max {
            limits.push((*n, Guard::ManifestMaxDeletes { at: at.clone() }));
        }
        if let Some(n) = self.flag_max {
            limits.push((n, Guard::FlagMaxDeletes));
        }
        limits.sort_by_key(|(n, _)| *n);
        if let Some((n, guard)) = limits.into_iter().next()
            && planned as u64 > n
        {
            return Err(GuardTripped {
                guard,
                limit: Limit::Deletions(n),
                planned,
                over_by: planned - n as usize,
                what: Counted::Deletes,
            });
        }
        let from_selectors = plan
            .deletions
            .iter()
            .filter(|d| matches!(d.selected_by, super::SelectedBy::Match(_)))
            .count();
        self.check_share(from_selectors, plan.selector_seen)
    }

    /// The `--max-delete-percent` guard alone: `from_selectors` deletions chosen by selectors out
    /// of the `seen` videos their queries returned. A saved plan is checked again with the count
    /// that today's manifests give, never the file's own attribution.
    pub fn check_share(&self, from_selectors: usize, seen: usize) -> Result<(), GuardTripped> {
        if let Some(p) = self.flag_percent
            && seen > 0
        {
            let share = from_selectors as f64 * 100.0 / seen as f64;
            if share > p {
                let allowed = (p / 100.0 * seen as f64).floor() as usize;
                return Err(GuardTripped {
                    guard: Guard::FlagMaxDeletePercent,
                    limit: Limit::Share {
                        percent: p,
                        seen,
                        allowed,
                    },
                    planned: from_selectors,
                    over_by: from_selectors - allowed,
                    what: Counted::Deletes,
                });
            }
        }
        Ok(())
    }
}
