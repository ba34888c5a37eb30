//! The command line, as clap parses it. Flags only parse and validate here; `context` turns them
//! into the objects that do the work.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::exit::Code;
use vod_emulator::sts;

#[derive(Parser, Debug)]
#[command(
    name = "vodplan",
    version,
    about = "Declarative, reviewable deletion of ApsaraVideo VOD videos: validate, plan, review, apply.",
    long_about = "vodplan reads YAML manifests of videos to delete and keep, diffs them against the live VOD \
catalogue, prints a reviewable plan, and applies exactly that plan: DeleteVideo in batches of 20, under the \
account's QPS limit, with retries, a journal, and a drift report.",
    after_help = "Examples:\n  vodplan validate manifests/\n  vodplan plan manifests/ --out plan.json\n  vodplan apply plan.json\n  vodplan emulator --catalog catalog.yaml --listen 127.0.0.1:8080"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// VOD API base URL (also VODPLAN_ENDPOINT) [default: https://vod.<region>.aliyuncs.com];
    /// http:// only to loopback
    // The variable is read in `context`, not by clap: clap would show a flag set through the
    // environment as given in every usage line, and would take an empty value for none.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Region ID (also ALIBABA_CLOUD_REGION_ID) [default: the manifests' region, else the
    /// profile's region_id, else cn-shanghai]; must agree with the manifests' region
    #[arg(long, global = true, value_name = "ID")]
    pub region: Option<String>,
    /// Profile of the aliyun CLI config ~/.aliyun/config.json [default: its `current`]
    #[arg(
        long,
        global = true,
        env = "ALIBABA_CLOUD_PROFILE",
        value_name = "NAME"
    )]
    pub profile: Option<String>,
    /// How the plan or result is printed on stdout
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// No colour (also: the NO_COLOR environment variable, or stdout not a terminal)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Ceiling on DeleteVideo requests per second (the account's limit is 30, shared by all its users)
    #[arg(long, global = true, default_value_t = 30.0, value_name = "N", value_parser = parse_qps)]
    pub max_qps: f64,
    /// Signature version for API requests
    #[arg(long, global = true, value_enum, default_value_t = SignatureArg::V3, hide_short_help = true)]
    pub signature: SignatureArg,
    /// Seconds to wait for one API reply
    #[arg(
        long,
        global = true,
        default_value_t = 30,
        value_name = "SECONDS",
        hide_short_help = true
    )]
    pub timeout: u64,
}

fn parse_qps(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 10_000.0 && v.is_finite() => Ok(v),
        _ => Err(format!(
            "`{s}` is not a number of requests per second above 0"
        )),
    }
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a percentage from 0 to 100")),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a share from 0 to 1, such as 0.15")),
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatArg {
    Text,
    Json,
    Markdown,
    /// `plan` and `show` only: one row per planned video
    Csv,
    /// `plan` and `show` only: one self-contained report file
    Html,
}

/// How a plan is shown for review (`plan`, `show`).
#[derive(Args, Debug, Clone, Default)]
pub struct ReviewArgs {
    /// Markdown: the most characters the plan may take, a number or a platform:
    /// github-comment (65536), gitlab-note (1000000), github-summary (1 MiB) [default: 65000]
    #[arg(long, value_name = "N|PLATFORM", value_parser = parse_max_chars)]
    pub max_chars: Option<usize>,
    /// Markdown: the report artifact's file names, named where the lists are cut (repeatable)
    #[arg(long, value_name = "NAME")]
    pub full_report: Vec<String>,
    /// Your storage prices per GB-month per storage class (YAML/JSON), for the cost line
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// HTML: no cover thumbnails (nothing is fetched when the report is opened)
    #[arg(long)]
    pub no_thumbnails: bool,
}

/// A number of characters, or a platform's limit.
fn parse_max_chars(s: &str) -> Result<usize, String> {
    match s {
        "github-comment" => Ok(65_536),
        "gitlab-note" => Ok(1_000_000),
        "github-summary" => Ok(1 << 20),
        _ => match s.parse::<usize>() {
            Ok(n) if n >= 4_000 => Ok(n),
            _ => Err(format!(
                "`{s}` is not a limit: give a number of characters of at least 4000, or github-comment, gitlab-note or github-summary"
            )),
        },
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureArg {
    V3,
    V1,
}

#[derive(Args, Debug, Clone, Default)]
pub struct GuardArgs {
    /// Fail before deleting anything when more than N videos would be deleted (tightens limits.maxDeletes)
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<u64>,
    /// Fail when selectors would delete more than P% of the videos they matched
    #[arg(long, value_name = "P", value_parser = parse_percent)]
    pub max_delete_percent: Option<f64>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check manifests offline; print every problem as FILE:LINE:COL: message
    #[command(after_help = "Example:\n  vodplan validate cleanup.yaml manifests/")]
    Validate {
        /// Manifest files or directories (every *.yaml / *.yml inside, sorted)
        #[arg(required = true, value_name = "MANIFEST")]
        manifests: Vec<PathBuf>,
    },
    /// Read the live catalogue, diff it against the manifests, print the plan
    #[command(
        after_help = "Examples:\n  vodplan plan manifests/\n  vodplan plan manifests/ --out plan.json --format markdown > plan.md\n  vodplan plan manifests/ --detailed-exitcode   # exit 2 when deletions are pending"
    )]
    Plan {
        /// Manifest files or directories (every *.yaml / *.yml inside, sorted)
        #[arg(required = true, value_name = "MANIFEST")]
        manifests: Vec<PathBuf>,
        /// Save the plan to this file, for `vodplan apply PLANFILE`
        #[arg(long, value_name = "PLANFILE")]
        out: Option<PathBuf>,
        /// Exit 0 when there is nothing to delete, 2 when deletions are pending, 1 on error
        #[arg(long)]
        detailed_exitcode: bool,
        #[command(flatten)]
        guards: GuardArgs,
        #[command(flatten)]
        review: ReviewArgs,
    },
    /// Delete: plan manifests and ask, or apply a saved plan exactly as reviewed
    #[command(
        after_help = "Examples:\n  vodplan apply manifests/                 # plan, show, ask for `yes`, delete\n  vodplan apply manifests/ --auto-approve\n  vodplan apply plan.json                  # the saved plan is the approval"
    )]
    Apply {
        /// A saved plan file, or manifest files or directories
        #[arg(required = true, value_name = "PLANFILE|MANIFEST")]
        targets: Vec<PathBuf>,
        /// Do not ask for confirmation (a saved plan never asks)
        #[arg(long)]
        auto_approve: bool,
        /// Journal file [default: beside the plan file; for manifests, NAME.journal.jsonl in the
        /// working directory, NAME the first manifest's file or directory name]
        #[arg(long, value_name = "FILE")]
        journal: Option<PathBuf>,
        /// With a saved plan: the manifests to check it against [default: the paths the plan records]
        #[arg(long, value_name = "PATH", num_args = 1..)]
        manifests: Vec<PathBuf>,
        #[command(flatten)]
        guards: GuardArgs,
    },
    /// Render a saved plan, without network
    #[command(after_help = "Example:\n  vodplan show plan.json --format markdown")]
    Show {
        /// A plan file saved by `vodplan plan --out`
        #[arg(value_name = "PLANFILE")]
        plan: PathBuf,
        #[command(flatten)]
        review: ReviewArgs,
    },
    /// What changed between two saved plans: videos added to or dropped from each action
    #[command(
        after_help = "Exit status: 0 when both plan the same actions, 2 when they differ, 1 on error.\nExample:\n  vodplan diff reviewed.plan.json plan.json --format markdown"
    )]
    Diff {
        #[arg(value_name = "OLD_PLAN")]
        old: PathBuf,
        #[arg(value_name = "NEW_PLAN")]
        new: PathBuf,
    },
    /// Print the manifest's JSON Schema
    #[command(after_help = "Example:\n  vodplan schema > manifest.schema.json")]
    Schema,
    /// Serve a local VOD API emulator
    #[command(
        after_help = "Example:\n  vodplan emulator --catalog catalog.yaml --listen 127.0.0.1:8080 --state emulator.state\n  ALIBABA_CLOUD_ACCESS_KEY_ID=testid ALIBABA_CLOUD_ACCESS_KEY_SECRET=testsecret \\\n    vodplan plan cleanup.yaml --endpoint http://127.0.0.1:8080"
    )]
    Emulator(EmulatorArgs),
    /// Rehearse the whole flow on a built-in emulator: plan and apply the examples, no credentials needed
    #[command(after_help = "Example:\n  vodplan demo")]
    Demo {
        /// Manifests to apply [default: the bundled example manifest]
        #[arg(value_name = "MANIFEST")]
        manifests: Vec<PathBuf>,
        /// Catalogue to seed the emulator with [default: the bundled example catalogue]
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
    },
    /// Print shell completions
    #[command(after_help = "Example:\n  vodplan completions bash > /etc/bash_completion.d/vodplan")]
    Completions {
        /// The shell to print completions for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug)]
pub struct EmulatorArgs {
    /// The catalogue of videos to serve (YAML or JSON)
    #[arg(long, value_name = "FILE")]
    pub catalog: PathBuf,
    /// Address to listen on (loopback by default; port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Record deletions in this file, so that they survive a restart
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// The access key ID it accepts
    #[arg(long, default_value = "testid", value_name = "ID")]
    pub access_key_id: String,
    /// The access key secret it accepts
    #[arg(
        long,
        default_value = "testsecret",
        value_name = "SECRET",
        hide_default_value = true
    )]
    pub access_key_secret: String,
    /// Require this STS security token on every request
    #[arg(long, value_name = "TOKEN")]
    pub security_token: Option<String>,
    /// DeleteVideo requests per second for the account
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub qps: u32,
    /// Delay before every answer, in milliseconds
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,
    /// Up to this many milliseconds more, at random, on each request's arrival and on its answer
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub jitter_ms: u64,
    /// How the QPS limits count requests: a token bucket holding a second's worth (token), at most
    /// the limit in any second by arrival time (sliding), or in fixed one-second buckets (fixed)
    #[arg(long, value_enum, default_value_t = QuotaModeArg::Token, value_name = "MODE")]
    pub quota_mode: QuotaModeArg,
    /// Share of requests that fail with 503 before doing anything (0 to 1)
    #[arg(long, default_value_t = 0.0, value_name = "SHARE", value_parser = parse_rate)]
    pub fault_rate: f64,
    /// Share of DeleteVideo requests carried out and then answered with 500 (0 to 1)
    #[arg(long, default_value_t = 0.0, value_name = "SHARE", value_parser = parse_rate)]
    pub lost_reply_rate: f64,
    /// Seed for the fault dice, for reproducible rehearsals
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Send `x-acs-retry-after: MS` with every throttling answer
    #[arg(long, value_name = "MS")]
    pub throttle_retry_after_ms: Option<u64>,
    /// Results GetVideoList and SearchMedia reach by plain paging (the real service: 5000)
    #[arg(long, default_value_t = 5_000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub page_limit: u64,
    /// Results a SearchMedia ScrollToken traversal reaches (the real service: 2000000)
    #[arg(long, default_value_t = 2_000_000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub scroll_limit: u64,
    /// Seconds after which an unused SearchMedia ScrollToken is forgotten
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub scroll_idle: u64,
    #[command(flatten)]
    pub cdn: CdnArgs,
    #[command(flatten)]
    pub identity: Box<IdentityArgs>,
}

/// `vodplan emulator --quota-mode`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaModeArg {
    Token,
    Sliding,
    #[value(alias = "bucket")]
    Fixed,
}

/// The emulator's CDN side: the account's domains, the daily purge quota, purge duration.
#[derive(Debug, Clone, Args)]
pub struct CdnArgs {
    /// A CDN domain of the account (repeatable; the first serves the catalogue's videos)
    #[arg(long = "cdn-domain", value_name = "DOMAIN", default_values_t = [vod_emulator::cdn::DEFAULT_DOMAIN.to_string()])]
    pub domains: Vec<String>,
    /// URLs RefreshVodObjectCaches may purge a day (the real quota: 2000)
    #[arg(long, default_value_t = 2_000, value_name = "N")]
    pub cdn_url_quota: u64,
    /// Directories RefreshVodObjectCaches may purge a day (the real quota: 100)
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub cdn_dir_quota: u64,
    /// Milliseconds a purge task stays Refreshing before it completes
    #[arg(long, default_value_t = 200, value_name = "MS")]
    pub cdn_refresh_ms: u64,
}

/// The emulator's identity side: STS roles, the OIDC token, the ECS role, credential lifetimes.
#[derive(Debug, Clone, Args)]
pub struct IdentityArgs {
    /// A role STS AssumeRole / AssumeRoleWithOIDC may assume (repeatable)
    #[arg(long = "role-arn", value_name = "ARN", default_values_t = [sts::DEFAULT_ROLE_ARN.to_string()])]
    pub role_arns: Vec<String>,
    /// The OIDC token AssumeRoleWithOIDC accepts
    #[arg(long, value_name = "TOKEN", default_value = sts::DEFAULT_OIDC_TOKEN, hide_default_value = true)]
    pub oidc_token: String,
    /// The OIDC provider AssumeRoleWithOIDC accepts
    #[arg(long, value_name = "ARN", default_value = sts::DEFAULT_OIDC_PROVIDER_ARN)]
    pub oidc_provider_arn: String,
    /// The instance RAM role the ECS metadata endpoint reports
    #[arg(long, value_name = "NAME", default_value = sts::DEFAULT_ECS_ROLE)]
    pub ecs_role: String,
    /// Lifetime cap of issued temporary credentials, e.g. 60s, 15m, 1h (default: as requested;
    /// 1h for the metadata service and /_emulator/credentials)
    #[arg(long, value_name = "DURATION", value_parser = parse_ttl)]
    pub sts_ttl: Option<Duration>,
    /// Refuse ECS metadata requests without an IMDSv2 token
    #[arg(long)]
    pub imdsv2_only: bool,
}

/// `60s`, `15m`, `1h`: a positive whole number and a unit.
fn parse_ttl(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!("'{s}' is not a lifetime: write a whole number and s, m or h, e.g. 60s, 15m, 1h")
    };
    let (number, unit) = s.split_at(s.len().saturating_sub(1));
    let n: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => n,
        "m" => n.checked_mul(60).ok_or_else(bad)?,
        "h" => n.checked_mul(3600).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if seconds == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(seconds))
}

/// `--format`, then the global flags that only reach the API: the global flags a command that
/// prints no document of its own and calls no API does not use.
const OFFLINE_UNUSED: [&str; 7] = [
    "format",
    "endpoint",
    "region",
    "profile",
    "max_qps",
    "signature",
    "timeout",
];

/// The global flags a command does not use: an error when given on its command line
/// (`vodplan schema --endpoint X` would otherwise be silently ignored), and left out of its
/// `--help`.
fn unused_globals(command: &str) -> &'static [&'static str] {
    match command {
        // No document in --format, no API.
        "schema" | "completions" | "emulator" => &OFFLINE_UNUSED,
        // A document in --format, no API.
        "validate" | "show" => &OFFLINE_UNUSED[1..],
        _ => &[],
    }
}

/// The command line, with each command's unused global flags hidden from its `--help`: the
/// command gets a hidden copy of the flag (clap propagates a global flag only to a command
/// without one of the same id), so that giving it still parses and is refused by name.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cli = Cli::command();
    let globals: Vec<clap::Arg> = cli
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    let names: Vec<String> = cli
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in names {
        let hidden: Vec<clap::Arg> = globals
            .iter()
            .filter(|a| unused_globals(&name).contains(&a.get_id().as_str()))
            .map(|a| a.clone().hide(true))
            .collect();
        cli = cli.mut_subcommand(name, |c| c.args(hidden));
    }
    cli
}

/// A global flag given on the command line to a command that does not use it.
fn unused_global(matches: &clap::ArgMatches) -> Option<(String, String)> {
    let (name, sub) = matches.subcommand()?;
    unused_globals(name)
        .iter()
        .find(|id| {
            sub.try_get_raw(id).is_ok_and(|v| v.is_some())
                && sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
        })
        .map(|id| (name.to_string(), format!("--{}", id.replace('_', "-"))))
}

/// Parses the command line; on failure (or `--help`, `--version`) prints clap's text and returns
/// the code to exit with, as `exit::of_clap` decides. Terraform-style single-dash flags get a
/// "did you mean" hint.
pub fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Cli, Code> {
    use clap::FromArgMatches;
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let parsed = command().try_get_matches_from(&args).and_then(|m| {
        if let Some((name, flag)) = unused_global(&m) {
            return Err(command().error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("{flag} has no effect on `vodplan {name}`; leave it out"),
            ));
        }
        Cli::from_arg_matches(&m)
    });
    match parsed {
        Ok(cli) => Ok(cli),
        Err(e) => {
            let _ = e.print();
            let code = super::exit::of_clap(e.kind());
            for line in super::exit::of_clap_hints(code, &single_dash_flags(&args)) {
                eprintln!("{line}");
            }
            Err(code)
        }
    }
}

/// The Terraform-style single-dash flags of the command line (`-out=plan.json`).
fn single_dash_flags(args: &[std::ffi::OsString]) -> Vec<&str> {
    args.iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .filter(|a| {
            let name = a[1.min(a.len())..].split('=').next().unwrap_or("");
            a.starts_with('-')
                && !a.starts_with("--")
                && name.len() > 1
                && name.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command's `--help` lists no global flag it refuses; the flag is still refused by name.
    #[test]
    fn refused_global_flags_are_not_in_a_commands_help() {
        let help = |cmd: &str| {
            let e = command()
                .try_get_matches_from(["vodplan", cmd, "--help"])
                .unwrap_err();
            assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
            e.to_string()
        };
        // Whether the help has a line for the option (not an example that uses it).
        let lists = |help: &str, flag: &str| {
            let flag = format!("--{} ", flag.replace('_', "-"));
            help.lines().any(|l| l.trim_start().starts_with(&flag))
        };
        for cmd in ["schema", "completions", "emulator", "validate", "show"] {
            let shown = help(cmd);
            for flag in unused_globals(cmd) {
                assert!(!lists(&shown, flag), "{cmd} --help shows {flag}:\n{shown}");
            }
        }
        assert!(lists(&help("validate"), "format"));
        for flag in OFFLINE_UNUSED {
            assert!(lists(&help("plan"), flag), "plan --help lacks {flag}");
        }
        let m = command()
            .try_get_matches_from(["vodplan", "show", "--region", "cn-beijing", "p.json"])
            .unwrap();
        assert_eq!(
            unused_global(&m),
            Some(("show".to_string(), "--region".to_string()))
        );
    }

    #[test]
    fn lifetimes_take_seconds_minutes_and_hours() {
        assert_eq!(parse_ttl("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_ttl("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["", "s", "0s", "10", "1d", "-1s", "1.5h"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
