//! The one place that decides exit codes and how failures are shown.
//!
//! Commands return `Ok(Exit)` or `Err(Failure)`; `main` prints the failure as `error: ...` with a
//! `hint: ...` line and exits with [`exit_code`]. The command line's own errors ([`of_clap`],
//! [`of_clap_hints`]) and a second SIGINT/SIGTERM during an apply ([`stop_at_once`]) are decided
//! here too: no other file of the binary or the library sets an exit code or gives a hint (tests
//! below check both). A library error becomes a failure through `From`, its kind and hint chosen
//! by its variant; a failure whose words depend on the command's facts (a flag, a region, a
//! count) is built by a function of [`failures`] given those facts.
//!
//! The exit codes, as the README's "Exit codes" promises them: 0 success; 1 error (for apply:
//! before anything was deleted); 2 `plan --detailed-exitcode` with deletions pending, or `diff`
//! with plans that differ; 3 apply was partial.

use std::fmt;

/// The process's exit status, as the README's "Exit codes" numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 0: the command did what was asked (and, for `plan --detailed-exitcode`, nothing is pending).
    Success,
    /// 1: an error; for apply, before anything was deleted.
    Error,
    /// 2: `plan --detailed-exitcode` with changes pending, or `diff` with plans that differ.
    Changes,
    /// 3: apply was partial: some deletions done, some failed or forbidden, or a purge pending.
    Partial,
}

impl Code {
    /// The number the process exits with.
    pub const fn number(self) -> u8 {
        match self {
            Code::Success => 0,
            Code::Error => 1,
            Code::Changes => 2,
            Code::Partial => 3,
        }
    }
}

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

impl Exit {
    pub const fn code(self) -> Code {
        match self {
            Exit::Success => Code::Success,
            Exit::ChangesPending | Exit::Differ => Code::Changes,
            Exit::Partial => Code::Partial,
        }
    }
}

/// What kind of failure: it decides the exit code and the hint shown when the failure gives
/// none ([`Kind::policy`]).
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
    /// The machine refused what the process needs to run at all (its async runtime).
    System,
}

/// Why a command failed: what to say, what to do next, and the error behind it, kept whole.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
    /// The library's error behind the message, with its chain of causes; the errors of the chain
    /// that the message does not already say are printed under it, as `  caused by: ...`.
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

    /// The errors of the source's chain (the source itself first) that neither the message nor
    /// a cause shown before it already says, outermost first.
    pub fn causes(&self) -> Vec<String> {
        let mut causes: Vec<String> = Vec::new();
        let mut next = self
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static));
        while let Some(e) = next {
            let text = e.to_string();
            let said = self.message.contains(&text) || causes.iter().any(|c| c.contains(&text));
            if !text.is_empty() && !said {
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
    /// The exit code and the default hint (what to do next, when the failure did not say more
    /// precisely), decided together for each kind: a new kind must choose both.
    pub const fn policy(self) -> (Code, &'static str) {
        match self {
            Kind::InvalidManifest => (
                Code::Error,
                "fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again",
            ),
            Kind::Input => (
                Code::Error,
                "check the paths and flags (`vodplan <command> --help` shows them with examples)",
            ),
            Kind::Auth => (
                Code::Error,
                "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or choose an aliyun CLI profile with --profile",
            ),
            Kind::Api => (
                Code::Error,
                "nothing was deleted; check the endpoint and region, then run the command again",
            ),
            Kind::Guard => (
                Code::Error,
                "review the plan; raise the limit in the reviewed manifest only if this many deletions is intended",
            ),
            Kind::StalePlan => (
                Code::Error,
                "make and review a new plan with `vodplan plan --out PLANFILE`",
            ),
            Kind::Declined => (
                Code::Error,
                "run it again and answer `yes`, or review a saved plan and apply that",
            ),
            // Interrupted before anything was deleted: apply's "error before anything was
            // deleted". Interrupted after something was, the apply is partial ([`interrupted`]).
            Kind::Interrupted => (Code::Error, "run the same command again to finish"),
            Kind::System => (
                Code::Error,
                "nothing was read or sent; check the machine's limits on threads and open files, then run the command again",
            ),
        }
    }

    pub const fn code(self) -> Code {
        self.policy().0
    }

    fn default_hint(self) -> &'static str {
        self.policy().1
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

/// A saved plan that cannot be used, with what to do about it (`apply`, `show` and `diff` read
/// plans; the message names the file already).
impl From<vodplan::plan::file::PlanFileError> for Failure {
    fn from(e: vodplan::plan::file::PlanFileError) -> Failure {
        use vodplan::plan::file::PlanFileError;
        match e {
            PlanFileError::Version { .. } => Failure::of(Kind::Input, e).hint(
                "nothing was deleted; use the vodplan version that wrote it (the file's `vodplanVersion`), or make the plan again with `vodplan plan --out PLANFILE` and review it",
            ),
            PlanFileError::NotAPlan { .. } | PlanFileError::NotJson { .. } => {
                Failure::of(Kind::Input, e).hint(
                    "nothing was deleted; make the plan again with `vodplan plan --out PLANFILE` and review it",
                )
            }
            e => Failure::of(Kind::Input, e),
        }
    }
}

impl From<vodplan::listing::ListError> for Failure {
    fn from(e: vodplan::listing::ListError) -> Failure {
        match e {
            vodplan::listing::ListError::Api(e) => e.into(),
            // The message says what to do.
            e => Failure::of(Kind::Api, e)
                .hint("nothing was deleted; a listing must be complete before anything is planned"),
        }
    }
}

/// What to do when a deletion guard trips: the guard that tripped names its own way out.
pub fn guard_hint(guard: &vodplan::plan::guard::Guard) -> &'static str {
    use vodplan::plan::guard::Guard;
    match guard {
        Guard::FlagMaxDeletePercent => {
            "review the selectors and IDs; raise --max-delete-percent only if deleting this share of what the selectors matched is intended"
        }
        Guard::FlagMaxDeletes => {
            "review the selectors and IDs; raise --max-deletes only if this many deletions is intended"
        }
        Guard::ManifestMaxQuarantines { .. } => {
            "review the selectors and IDs; raise limits.maxQuarantines in the manifest only if this many quarantines is intended"
        }
        Guard::ManifestMaxDeletes { .. } => {
            "review the selectors and IDs; raise limits.maxDeletes in the manifest only if this many deletions is intended"
        }
    }
}

impl From<vodplan::plan::PlanError> for Failure {
    fn from(e: vodplan::plan::PlanError) -> Failure {
        use vodplan::plan::PlanError;
        match e {
            PlanError::Read(api) => Failure::from(api),
            PlanError::List(list) => Failure::from(list),
            PlanError::Guard(ref t)
                if matches!(t.what, vodplan::plan::guard::Counted::Quarantines) =>
            {
                Failure::of(Kind::Guard, e).hint(
                    "review the selectors and IDs; raise limits.maxQuarantines in the manifest only if this many quarantines is intended",
                )
            }
            PlanError::Guard(ref t) => {
                let hint = guard_hint(&t.guard);
                Failure::of(Kind::Guard, e).hint(hint)
            }
        }
    }
}

/// A refusal of the chain of custody (the per-video lines of [`Refusal::details`] are the
/// caller's to print, above the error).
///
/// [`Refusal::details`]: vodplan::apply::Refusal::details
impl From<vodplan::apply::Refusal> for Failure {
    fn from(r: vodplan::apply::Refusal) -> Failure {
        use vodplan::apply::Refusal;
        match r {
            Refusal::Read(e) => Failure::from(e),
            Refusal::NotApproved(_) => Failure::new(Kind::StalePlan, format!("{r} (listed above); nothing was deleted"))
                .hint("a saved plan can only delete what its reviewed manifests select and do not keep; make and review a new plan with `vodplan plan --out`"),
            Refusal::Stale(_) => Failure::new(Kind::StalePlan, format!("{r} (listed above); nothing was deleted"))
                .hint("make and review a new plan with `vodplan plan --out`"),
            Refusal::Contradictory { .. } => Failure::new(Kind::StalePlan, format!("{r}; nothing was sent to the API"))
                .hint("the plan file was edited by hand or damaged; make and review a new plan with `vodplan plan --out`"),
            Refusal::AlreadyApplied { .. } => Failure::of(Kind::StalePlan, r)
                .hint("a saved plan is applied once; to delete more, make and review a new plan"),
            Refusal::RegionDisagrees { ref manifests, ref claim } => {
                let hint = format!(
                    "the region is part of the reviewed manifests: unset {} or make it {}, or change the manifests' region in review",
                    claim.by, manifests.value
                );
                Failure::of(Kind::Input, r).hint(hint)
            }
            Refusal::ClaimedRegion { ref planned, ref claim } => {
                let hint = format!(
                    "apply it in the region it was reviewed for: unset {} or make it {planned}, or make a new plan",
                    claim.by
                );
                Failure::of(Kind::StalePlan, r).hint(hint)
            }
            Refusal::ManifestsRegion { .. } => Failure::of(Kind::StalePlan, r),
            Refusal::Endpoint { .. } => Failure::of(Kind::StalePlan, r)
                .hint("apply it against the endpoint it was made for (--endpoint / VODPLAN_ENDPOINT), or make a new plan"),
            Refusal::Guard(ref t) => {
                let hint = guard_hint(&t.guard);
                Failure::of(Kind::Guard, r).hint(hint)
            }
        }
    }
}

/// A refusal met while continuing the CDN purge of a plan applied already: as
/// [`From<Refusal>`](Failure::from), but the endpoint refusal is said without the hint of a plan
/// still to apply.
pub fn refused_continuing_purge(r: vodplan::apply::Refusal) -> Failure {
    match r {
        vodplan::apply::Refusal::Endpoint { .. } => Failure::of(Kind::StalePlan, r),
        r => Failure::from(r),
    }
}

impl From<vodplan::apply::ApplyError> for Failure {
    fn from(e: vodplan::apply::ApplyError) -> Failure {
        match e {
            vodplan::apply::ApplyError::Journal(j) => Failure::of(Kind::Input, j)
                .hint("if another apply holds the journal, wait for it; otherwise fix the journal (or choose another with --journal FILE) and run the same command again"),
        }
    }
}

impl From<vodplan::apply::purge::PurgeJournalError> for Failure {
    fn from(e: vodplan::apply::purge::PurgeJournalError) -> Failure {
        Failure::of(Kind::Input, e)
            .hint("fix the purge journal's file (or its directory's permissions) and run the same command again")
    }
}

impl From<vodplan::apply::plan_lock::PlanLockError> for Failure {
    fn from(e: vodplan::apply::plan_lock::PlanLockError) -> Failure {
        Failure::of(Kind::Input, e).hint(
            "one apply of a plan at a time: wait for the other to end (its journal is named above)",
        )
    }
}

/// What `apply` was given and could not read as a saved plan.
impl From<vodplan::plan::file::InputError> for Failure {
    fn from(e: vodplan::plan::file::InputError) -> Failure {
        use vodplan::plan::file::InputError;
        match e {
            e @ InputError::Unreadable { .. } => Failure::of(Kind::Input, e).hint(
                "name a saved plan (`vodplan plan --out PLANFILE`) or manifest files or directories",
            ),
            InputError::Damaged(e) => e.into(),
            e => Failure::of(Kind::Input, e),
        }
    }
}

/// Failures whose words depend on facts of the command (a flag, a region, a count): the command
/// gives the facts, this file the words and the way out.
pub mod failures {
    use super::{Failure, Kind};

    /// Manifests that failed validation, with `errors` problems (printed already).
    pub fn invalid_manifests(errors: usize) -> Failure {
        Failure::new(
            Kind::InvalidManifest,
            format!(
                "the manifests have {} problem{}; nothing was sent to the API",
                errors,
                if errors == 1 { "" } else { "s" }
            ),
        )
    }

    /// `by` (a flag, a variable or a profile) names `region`, a typo of the VOD region `known`.
    pub fn region_typo(by: &str, region: &str, known: &str) -> Failure {
        Failure::new(
            Kind::Input,
            format!("{by} says region `{region}`, which has no VOD endpoint; did you mean `{known}`? Nothing was sent to the API"),
        )
        .hint(format!("set {by} to a VOD region such as {known}"))
    }

    /// The endpoint, named by `by` (`--endpoint` or `VODPLAN_ENDPOINT`), is set but empty.
    pub fn empty_endpoint(by: &str, region: &str) -> Failure {
        Failure::new(
            Kind::Input,
            if by == "VODPLAN_ENDPOINT" {
                "VODPLAN_ENDPOINT is set but empty; nothing was sent to the API"
            } else {
                "--endpoint is empty; nothing was sent to the API"
            },
        )
        .hint(format!(
            "set it to the endpoint to use (such as http://127.0.0.1:8080 for the emulator), or unset it to use the region's public endpoint (https://vod.{region}.aliyuncs.com)"
        ))
    }

    /// `flag output` would write over `input`, which the command reads.
    pub fn would_overwrite(flag: &str, output: &str, input: &str) -> Failure {
        Failure::new(
            Kind::Input,
            format!("{flag} {output} would write over {input}, which this command reads; nothing was written or sent"),
        )
        .hint(format!("name another file for {flag}"))
    }

    /// The endpoint given cannot be used (`e` says why).
    pub fn invalid_endpoint(e: impl std::error::Error + Send + Sync + 'static) -> Failure {
        Failure::of(Kind::Input, e)
            .hint("set --endpoint or VODPLAN_ENDPOINT to a valid URL, or unset it")
    }

    /// A signal stopped an apply before it sent anything.
    pub fn interrupted_nothing_sent() -> Failure {
        Failure::new(Kind::Interrupted, "interrupted, nothing sent")
            .hint("nothing was deleted; run the same command again to apply the plan")
    }

    /// `apply MANIFEST...` without `--auto-approve`, and no terminal to ask on.
    pub fn no_terminal_to_confirm() -> Failure {
        Failure::new(Kind::Declined, "refusing to delete without confirmation: standard input is not a terminal; nothing was sent to the API")
            .hint("review `vodplan plan` and pass --auto-approve, or save a plan with `vodplan plan --out PLANFILE` and apply that")
    }

    /// The manifests a saved plan records are `missing` here (none recorded: `missing` empty).
    pub fn plan_manifests_missing(missing: &[String]) -> Failure {
        Failure::new(
            Kind::Input,
            format!(
                "the plan must be checked against the manifests it was made from, and {} not here: {}; nothing was sent to the API",
                if missing.len() == 1 { "this one is" } else { "these are" },
                if missing.is_empty() { "(the plan records none)".to_string() } else { missing.join(", ") }
            ),
        )
        .hint("run apply from the directory `vodplan plan` ran in (a checkout of the reviewed commit), or name the manifests with --manifests PATH...")
    }

    /// An apply whose first calls failed, for `reason`, before anything was deleted.
    pub fn nothing_deleted(reason: &str) -> Failure {
        Failure::new(Kind::Api, format!("nothing was deleted: {reason}")).hint(
            "fix the cause and run the same command again; the journal lets it pick up where it stopped",
        )
    }

    /// `--format csv` or `--format html` given to a command that makes no report of a plan.
    pub fn report_format_elsewhere() -> Failure {
        Failure::new(
            Kind::Input,
            "--format csv and --format html are reports of a plan: only `vodplan plan` and `vodplan show` make them",
        )
        .hint("use --format text, json or markdown with this command")
    }

    /// The emulator's catalogue cannot be loaded.
    pub fn catalogue_unloadable(e: impl std::error::Error + Send + Sync + 'static) -> Failure {
        Failure::new(Kind::Input, format!("cannot load the catalogue {e}"))
            .caused_by(e)
            .hint(
                "see the catalogue format in the README (videos: [{videoId, title, status, ...}])",
            )
    }

    /// The emulator cannot listen on `listen`.
    pub fn cannot_listen(listen: std::net::SocketAddr, e: std::io::Error) -> Failure {
        Failure::new(Kind::Input, format!("cannot listen on {listen}: {e}"))
            .hint("choose another --listen address or port")
    }
}

/// The exit code for a command's result.
pub fn code(result: &Result<Exit, Failure>) -> Code {
    match result {
        Ok(exit) => exit.code(),
        Err(f) => f.kind.code(),
    }
}

/// What `main` returns for a command's result.
pub fn exit_code(result: &Result<Exit, Failure>) -> std::process::ExitCode {
    code(result).into()
}

impl From<Code> for std::process::ExitCode {
    fn from(code: Code) -> std::process::ExitCode {
        std::process::ExitCode::from(code.number())
    }
}

/// A command line clap did not run: `--help` and `--version` succeed; anything else is an error,
/// exit 1, never 2 (which `plan --detailed-exitcode` reserves for "deletions pending").
pub fn of_clap(kind: clap::error::ErrorKind) -> Code {
    use clap::error::ErrorKind;
    match kind {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Code::Success,
        _ => Code::Error,
    }
}

/// The hint lines under clap's text for a command line it did not run: each single-dash flag
/// (`-out=plan.json`, Terraform's style) gets a "did you mean"; `--help` and `--version`
/// (`code` success) get none.
pub fn of_clap_hints(code: Code, single_dash: &[&str]) -> Vec<String> {
    if code == Code::Success {
        return Vec::new();
    }
    single_dash
        .iter()
        .map(|a| format!("hint: vodplan's flags take two dashes: did you mean -{a}?"))
        .collect()
}

/// An apply a signal stopped, once its calls in flight settled: partial when anything was done
/// (deleted, quarantined, restored), else an error before anything was deleted. `again` is the
/// command line that finishes the job.
pub fn interrupted(anything_done: bool, again: &str) -> Result<Exit, Failure> {
    if anything_done {
        Ok(Exit::Partial)
    } else {
        Err(
            Failure::new(Kind::Interrupted, "interrupted before anything was deleted").hint(
                format!("run the same command again to apply the plan: {again}"),
            ),
        )
    }
}

/// A second SIGINT/SIGTERM during an apply: exits at once, with the code of an interrupted apply
/// ([`interrupted`]): 3 when any deletion was sent, else 1.
pub fn stop_at_once(sent_any: bool) -> ! {
    std::process::exit(code(&interrupted(sent_any, "")).number().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open the journal j.jsonl")]
    struct Outer(#[source] std::io::Error);

    /// The documented exit codes, outcome by outcome.
    #[test]
    fn each_outcome_exits_as_documented() {
        let ok = |e| code(&Ok(e)).number();
        assert_eq!(ok(Exit::Success), 0);
        assert_eq!(ok(Exit::ChangesPending), 2);
        assert_eq!(ok(Exit::Differ), 2);
        assert_eq!(ok(Exit::Partial), 3);
        for kind in [
            Kind::InvalidManifest,
            Kind::Input,
            Kind::Auth,
            Kind::Api,
            Kind::Guard,
            Kind::StalePlan,
            Kind::Declined,
            Kind::Interrupted,
            Kind::System,
        ] {
            // Every failure is apply's "error before anything was deleted", with a hint.
            assert_eq!(code(&Err(Failure::new(kind, "x"))).number(), 1, "{kind:?}");
            assert!(!kind.policy().1.is_empty(), "{kind:?}");
        }
        use clap::error::ErrorKind;
        assert_eq!(of_clap(ErrorKind::DisplayHelp).number(), 0);
        assert_eq!(of_clap(ErrorKind::DisplayVersion).number(), 0);
        assert_eq!(of_clap(ErrorKind::UnknownArgument).number(), 1);
        assert_eq!(of_clap(ErrorKind::ArgumentConflict).number(), 1);
        // Interrupted: partial when anything was done, else an error (the second signal too).
        assert_eq!(code(&interrupted(true, "vodplan apply p")).number(), 3);
        let nothing = interrupted(false, "vodplan apply p");
        assert_eq!(code(&nothing).number(), 1);
        assert_eq!(
            nothing.unwrap_err().to_string(),
            "error: interrupted before anything was deleted\nhint: run the same command again to apply the plan: vodplan apply p"
        );
    }

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
        let denied = Outer(std::io::Error::other("denied"));
        let f =
            Failure::new(Kind::Input, format!("cannot use x: {denied}: denied")).caused_by(denied);
        assert_eq!(
            f.to_string(),
            "error: cannot use x: cannot open the journal j.jsonl: denied\nhint: check the paths and flags (`vodplan <command> --help` shows them with examples)"
        );
        // Nor one a cause above it says: each error says its own part once.
        #[derive(Debug, thiserror::Error)]
        #[error("the journal cannot be written: {0}")]
        struct Middle(#[source] std::io::Error);
        #[derive(Debug, thiserror::Error)]
        #[error("apply stopped")]
        struct Top(#[source] Middle);
        let f = Failure::new(Kind::Input, "nothing more was sent")
            .caused_by(Top(Middle(std::io::Error::other("disk full"))));
        assert_eq!(
            f.to_string(),
            "error: nothing more was sent\n  caused by: apply stopped\n  caused by: the journal cannot be written: disk full\nhint: check the paths and flags (`vodplan <command> --help` shows them with examples)"
        );
    }
}

/// Every exit code and every hint is decided in this file: no other source file of the package
/// exits the process, builds an exit status or gives a failure its hint.
#[cfg(test)]
mod one_policy {
    use std::path::{Path, PathBuf};

    /// What sets an exit status (matched with the whitespace taken out): exiting or aborting the
    /// process, building an `ExitCode`, a
    /// `Termination` of one's own, clap's `Error::exit`.
    const SETS_A_CODE: [&str; 6] = [
        "process::exit",
        "process::abort",
        "ExitCode::",
        "Terminationfor",
        ".exit()",
        "exit(",
    ];

    /// The lines of `text` that set an exit status (`// comments` are not code).
    pub(super) fn offending_lines(text: &str) -> Vec<(usize, String)> {
        text.lines()
            .enumerate()
            .filter_map(|(i, line)| {
                let code = line.split("//").next().unwrap_or("");
                let squeezed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
                let sets = SETS_A_CODE.iter().any(|p| {
                    if *p == "exit(" {
                        // A bare `exit(N)` after `use std::process::exit` (that `use` is caught
                        // by its path): a call with a number, not `fn on_exit(...)`.
                        squeezed.match_indices("exit(").any(|(at, _)| {
                            let before = squeezed[..at].chars().next_back();
                            let after = squeezed[at + 5..].chars().next();
                            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                                && after.is_some_and(|c| c.is_ascii_digit() || c == '-')
                        })
                    } else {
                        squeezed.contains(p)
                    }
                });
                sets.then(|| (i + 1, line.trim().to_string()))
            })
            .collect()
    }

    /// What gives a failure its hint (matched with the whitespace taken out): the builder, the
    /// field set or filled, a `hint:` line printed.
    const GIVES_A_HINT: [&str; 4] = [".hint(", ".hint=", "hint:Some(", "\"hint:"];

    /// The lines of `text` that give a failure its hint (`// comments` are not code).
    pub(super) fn hinting_lines(text: &str) -> Vec<(usize, String)> {
        text.lines()
            .enumerate()
            .filter_map(|(i, line)| {
                let code = line.split("//").next().unwrap_or("");
                let squeezed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
                GIVES_A_HINT
                    .iter()
                    .any(|p| squeezed.contains(p))
                    .then(|| (i + 1, line.trim().to_string()))
            })
            .collect()
    }

    /// The lines of the package's source files but this one that `find` reports, as
    /// `FILE:LINE: CODE`.
    fn found_elsewhere(find: fn(&str) -> Vec<(usize, String)>) -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let this = root.join("src/cli/exit.rs");
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        // Workspace members, if any: their code runs in this process too.
        rust_files(&root.join("crates"), &mut files);
        assert!(files.len() > 20, "found only {files:?}");
        let mut found = Vec::new();
        for file in files.iter().filter(|f| **f != this) {
            let text = std::fs::read_to_string(file).unwrap();
            for (line, code) in find(&text) {
                let shown = file.strip_prefix(root).unwrap_or(file).display();
                found.push(format!("{shown}:{line}: {code}"));
            }
        }
        found
    }

    fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.push(path);
            }
        }
    }

    #[test]
    fn no_file_but_this_one_sets_an_exit_code() {
        let found = found_elsewhere(offending_lines);
        assert!(
            found.is_empty(),
            "exit codes are decided in src/cli/exit.rs only; these lines set one elsewhere:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_scan_finds_each_way_of_setting_a_code() {
        for bad in [
            "std::process::exit(3);",
            "    std::process::exit(if sent { 3 } else { 1 });",
            "use std::process::exit;",
            "exit(2)",
            "return ExitCode::from(1);",
            "std::process::ExitCode::SUCCESS",
            "ExitCode :: FAILURE",
            "impl Termination for Outcome {",
            "err.exit();",
            "std::process::abort()",
        ] {
            assert_eq!(offending_lines(bad).len(), 1, "{bad}");
        }
        for fine in [
            "fn main() -> std::process::ExitCode {",
            "// std::process::exit(1) is decided in exit.rs",
            "Err(code) => return code.into(),",
            "fn on_exit(x: u8) {}",
            "super::exit::stop_at_once(interrupt.sent_any());",
            "interrupted(outcome.anything_done(), &again)",
        ] {
            assert!(offending_lines(fine).is_empty(), "{fine}");
        }
    }

    #[test]
    fn no_file_but_this_one_gives_a_hint() {
        let found = found_elsewhere(hinting_lines);
        assert!(
            found.is_empty(),
            "hints are decided in src/cli/exit.rs only (a `From` of the error, or a function of \
             `exit::failures` given the command's facts); these lines give one elsewhere:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_scan_finds_each_way_of_giving_a_hint() {
        for bad in [
            "Failure::of(Kind::Input, e).hint(\"choose another file\")",
            "    .hint(format!(\"name another file for {flag}\")));",
            "f . hint (h)",
            "failure.hint = Some(h);",
            "Failure { kind, message, hint: Some(h), source: None }",
            "eprintln!(\"hint: {hint}\");",
        ] {
            assert_eq!(hinting_lines(bad).len(), 1, "{bad}");
        }
        for fine in [
            "// .hint(\"said in exit.rs\")",
            "let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));",
            "let hint = match e.kind() {",
            "return Err(failures::region_typo(by, region, known));",
            "for line in super::exit::of_clap_hints(code, &flags) {",
        ] {
            assert!(hinting_lines(fine).is_empty(), "{fine}");
        }
    }
}
