//! The one place that decides exit codes and how failures are shown.
//!
//! Commands return `Ok(Exit)` or `Err(Failure)`; `main` prints the failure as `error: ...` with a
//! `hint: ...` line and exits with [`code`]. CONTRACT exit codes: 0 success; 1 error (for apply:
//! before anything was deleted); 2 `plan --detailed-exitcode` with deletions pending; 3 apply was
//! partial.

use std::fmt;

/// A command that ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// `plan --detailed-exitcode`: deletions are pending.
    ChangesPending,
    /// `apply`: some deletions done, some failed or forbidden.
    Partial,
}

/// What kind of failure, for the hint and for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Manifests failed validation (the problems were printed already).
    InvalidManifest,
    /// Flags, environment or files that cannot be used.
    Input,
    /// Credentials or permission.
    Auth,
    /// The API failed.
    Api,
    /// A guard rail (maxDeletes and friends) tripped.
    Guard,
    /// A saved plan no longer matches live state or context.
    StalePlan,
    /// The user did not confirm.
    Declined,
    /// SIGINT/SIGTERM before anything was deleted.
    Interrupted,
}

#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

impl Kind {
    /// What to do next, when the failure did not say more precisely.
    fn default_hint(self) -> &'static str {
        match self {
            Kind::InvalidManifest => {
                "fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again"
            }
            Kind::Input => {
                "check the paths and flags (`vodplan <command> --help` shows them with examples)"
            }
            Kind::Auth => {
                "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile"
            }
            Kind::Api => {
                "nothing was deleted; check the endpoint and region, then run the command again"
            }
            Kind::Guard => {
                "review the plan; raise the limit in the reviewed manifest only if this many deletions is intended"
            }
            Kind::StalePlan => "make and review a new plan with `vodplan plan --out PLANFILE`",
            Kind::Declined => {
                "run it again and answer `yes`, or review a saved plan and apply that"
            }
            Kind::Interrupted => "run the same command again to finish",
        }
    }
}

/// Every failure ends with a hint of what to do next.
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hint = self.hint.as_deref().unwrap_or(self.kind.default_hint());
        write!(f, "error: {}\nhint: {hint}", self.message)
    }
}

impl From<vodplan::vod::ApiError> for Failure {
    fn from(e: vodplan::vod::ApiError) -> Failure {
        use vodplan::vod::ApiErrorKind;
        match e.kind {
            ApiErrorKind::Auth => Failure::new(Kind::Auth, e.to_string())
                .hint("check the access key (ALIBABA_CLOUD_ACCESS_KEY_ID / --profile), the clock, and its RAM permissions: plan needs vod:GetVideoInfos, vod:GetVideoList, vod:SearchMedia; apply also vod:DeleteVideo, vod:CreateAudit, vod:UpdateVideoInfos (examples/ram/*-policy.json)"),
            ApiErrorKind::Throttled => Failure::new(Kind::Api, e.to_string())
                .hint("the account's API budget is used by others too; retry later"),
            _ => Failure::new(Kind::Api, e.to_string()).hint("nothing was deleted; check the endpoint and region, then run the command again"),
        }
    }
}

impl From<vodplan::selector::ListError> for Failure {
    fn from(e: vodplan::selector::ListError) -> Failure {
        match e {
            vodplan::selector::ListError::Api(e) => e.into(),
            // The message says what to do.
            e => Failure::new(Kind::Api, e.to_string())
                .hint("nothing was deleted; a listing must be complete before anything is planned"),
        }
    }
}

/// The process exit code for a command's result.
pub fn code(result: &Result<Exit, Failure>) -> u8 {
    match result {
        Ok(Exit::Success) => 0,
        Ok(Exit::ChangesPending) => 2,
        Ok(Exit::Partial) => 3,
        // Every failure is exit 1: for apply, "an error before anything was deleted".
        Err(f) => match f.kind {
            Kind::InvalidManifest
            | Kind::Input
            | Kind::Auth
            | Kind::Api
            | Kind::Guard
            | Kind::StalePlan
            | Kind::Declined
            | Kind::Interrupted => 1,
        },
    }
}
