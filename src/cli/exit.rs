//! The one place that decides exit codes and how failures are shown.
//!
//! Commands return `Ok(Exit)` or `Err(Failure)`; `main` prints the failure as `error: ...` with a
//! `hint: ...` line and exits with [`code`]. CONTRACT exit codes: 0 success; 1 error (for apply:
//! before anything was deleted); 2 `plan --detailed-exitcode` with deletions pending, or `diff`
//! with plans that differ; 3 apply was partial.

use std::fmt;

/// A command that ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// `plan --detailed-exitcode`: deletions are pending.
    ChangesPending,
    /// `apply`: some deletions done, some failed or forbidden.
    Partial,
    /// `diff`: the two plans plan different actions.
    Differ,
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

/// Why a command failed: what to say, what to do next, and the error behind it, kept whole.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
    /// The library's error behind the message, with its chain of causes; the causes that the
    /// message does not already say are printed under it.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            hint: None,
            source: None,
        }
    }

    /// A failure that is this error: its message, and the error kept as the source.
    pub fn of(kind: Kind, e: impl std::error::Error + Send + Sync + 'static) -> Failure {
        Failure {
            kind,
            message: e.to_string(),
            hint: None,
            source: Some(Box::new(e)),
        }
    }

    /// Keeps `e` as the source of a failure whose message already says it in context.
    pub fn caused_by(mut self, e: impl std::error::Error + Send + Sync + 'static) -> Failure {
        self.source = Some(Box::new(e));
        self
    }

    /// The causes under the source that its message does not already say, outermost first.
    pub fn causes(&self) -> Vec<String> {
        let mut causes = Vec::new();
        let mut next = self.source.as_deref().and_then(std::error::Error::source);
        while let Some(e) = next {
            let text = e.to_string();
            if !self.message.contains(&text) && !causes.contains(&text) {
                causes.push(text);
            }
            next = e.source();
        }
        causes
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
        writeln!(f, "error: {}", self.message)?;
        for cause in self.causes() {
            writeln!(f, "  caused by: {cause}")?;
        }
        write!(f, "hint: {hint}")
    }
}

impl From<vodplan::vod::ApiError> for Failure {
    fn from(e: vodplan::vod::ApiError) -> Failure {
        use vodplan::vod::ApiErrorKind;
        match e.kind {
            ApiErrorKind::Auth => Failure::of(Kind::Auth, e)
                .hint("check the access key (ALIBABA_CLOUD_ACCESS_KEY_ID / --profile), the clock, and its RAM permissions: plan needs vod:GetVideoInfos, vod:GetVideoList, vod:SearchMedia, vod:GetAuditHistory, vod:GetPlayInfo, vod:DescribeVodUserDomains, vod:DescribeVodRefreshQuota, vod:DescribeVodRefreshTasks; apply also vod:DeleteVideo, vod:CreateAudit, vod:UpdateVideoInfos, vod:RefreshVodObjectCaches (examples/ram/*-policy.json)"),
            ApiErrorKind::Throttled => Failure::of(Kind::Api, e)
                .hint("the account's API budget is used by others too; retry later"),
            _ => Failure::of(Kind::Api, e).hint("nothing was deleted; check the endpoint and region, then run the command again"),
        }
    }
}

impl From<vodplan::selector::ListError> for Failure {
    fn from(e: vodplan::selector::ListError) -> Failure {
        match e {
            vodplan::selector::ListError::Api(e) => e.into(),
            // The message says what to do.
            e => Failure::of(Kind::Api, e)
                .hint("nothing was deleted; a listing must be complete before anything is planned"),
        }
    }
}

/// The process exit code for a command's result.
pub fn code(result: &Result<Exit, Failure>) -> u8 {
    match result {
        Ok(Exit::Success) => 0,
        Ok(Exit::ChangesPending) => 2,
        Ok(Exit::Differ) => 2,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open the journal j.jsonl")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_failure_keeps_its_source_and_shows_the_causes_its_message_does_not_say() {
        let io = std::io::Error::other("No space left on device");
        let f = Failure::of(Kind::Input, Outer(io)).hint("free some space");
        assert!(f.source.is_some());
        assert_eq!(
            f.to_string(),
            "error: cannot open the journal j.jsonl\n  caused by: No space left on device\nhint: free some space"
        );
        // A cause the message already says is not repeated.
        let f = Failure::new(Kind::Input, "cannot read x: denied")
            .caused_by(Outer(std::io::Error::other("denied")));
        assert_eq!(
            f.to_string(),
            "error: cannot read x: denied\nhint: check the paths and flags (`vodplan <command> --help` shows them with examples)"
        );
    }
}
