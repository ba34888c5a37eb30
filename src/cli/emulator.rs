//! `vodplan emulator`: the local VOD API, served until Ctrl-C.

use std::path::Path;
use std::time::Duration;

use clap::Args;
use vodplan::emulator::{self, Catalog, EmulatorConfig, IdentityConfig, Keys, sts};

use super::args::EmulatorArgs;
use super::exit::{Exit, Failure, Kind};

pub fn load_catalog(path: &Path) -> Result<Catalog, Failure> {
    Catalog::load(path).map_err(|e| {
        Failure::new(Kind::Input, format!("cannot load the catalogue {e}")).hint(
            "see the catalogue format in the README (videos: [{videoId, title, status, ...}])",
        )
    })
}

pub async fn emulator(args: &EmulatorArgs) -> Result<Exit, Failure> {
    let mut catalog = load_catalog(&args.catalog)?;
    if let Some(state) = &args.state {
        catalog
            .attach_state(state)
            .map_err(|e| Failure::new(Kind::Input, format!("cannot use the state file {e}")))?;
    }
    let config = EmulatorConfig {
        keys: Keys {
            access_key_id: args.access_key_id.clone(),
            access_key_secret: args.access_key_secret.clone(),
            security_token: args.security_token.clone(),
        },
        delete_qps: args.qps,
        latency: std::time::Duration::from_millis(args.latency_ms),
        fault_rate: args.fault_rate,
        lost_reply_rate: args.lost_reply_rate,
        seed: args.seed,
        throttle_retry_after: args
            .throttle_retry_after_ms
            .map(std::time::Duration::from_millis),
        limits: emulator::Limits {
            page: usize::try_from(args.page_limit).unwrap_or(usize::MAX),
            scroll: usize::try_from(args.scroll_limit).unwrap_or(usize::MAX),
            scroll_idle: std::time::Duration::from_secs(args.scroll_idle),
        },
        identity: args.identity.config(),
        ..EmulatorConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            Failure::new(
                Kind::Input,
                format!("cannot listen on {}: {e}", args.listen),
            )
            .hint("choose another --listen address or port")
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::new(Kind::Input, e.to_string()))?;
    eprintln!(
        "vodplan emulator listening on http://{addr} with {} videos (Ctrl-C to stop)",
        catalog.len()
    );
    emulator::serve(listener, catalog, config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| Failure::new(Kind::Input, format!("the emulator stopped: {e}")))?;
    Ok(Exit::Success)
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

impl IdentityArgs {
    fn config(&self) -> IdentityConfig {
        IdentityConfig {
            role_arns: self.role_arns.clone(),
            oidc_token: self.oidc_token.clone(),
            oidc_provider_arn: self.oidc_provider_arn.clone(),
            ecs_role: self.ecs_role.clone(),
            sts_ttl: self.sts_ttl,
            imdsv2_only: self.imdsv2_only,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
