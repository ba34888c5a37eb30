//! `vodplan emulator`: the local VOD API, served until Ctrl-C.

use std::path::Path;

use vod_emulator::{self as emulator, Catalog, EmulatorConfig, IdentityConfig, Keys};

use super::args::{EmulatorArgs, IdentityArgs, QuotaModeArg};
use super::exit::{Exit, Failure, Kind, failures};

pub fn load_catalog(path: &Path) -> Result<Catalog, Failure> {
    Catalog::load(path).map_err(failures::catalogue_unloadable)
}

pub async fn emulator(args: &EmulatorArgs) -> Result<Exit, Failure> {
    let mut catalog = load_catalog(&args.catalog)?;
    if let Some(state) = &args.state {
        catalog.attach_state(state).map_err(|e| {
            Failure::new(Kind::Input, format!("cannot use the state file {e}")).caused_by(e)
        })?;
    }
    let config = EmulatorConfig {
        keys: Keys {
            access_key_id: args.access_key_id.clone(),
            access_key_secret: args.access_key_secret.clone(),
            security_token: args.security_token.clone(),
        },
        delete_qps: args.qps,
        latency: std::time::Duration::from_millis(args.latency_ms),
        jitter: std::time::Duration::from_millis(args.jitter_ms),
        quota_mode: match args.quota_mode {
            QuotaModeArg::Token => emulator::QuotaMode::Token,
            QuotaModeArg::Sliding => emulator::QuotaMode::Sliding,
            QuotaModeArg::Fixed => emulator::QuotaMode::Fixed,
        },
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
        cdn: emulator::cdn::CdnConfig {
            domains: args.cdn.domains.clone(),
            url_quota: args.cdn.cdn_url_quota,
            dir_quota: args.cdn.cdn_dir_quota,
            refresh_delay: std::time::Duration::from_millis(args.cdn.cdn_refresh_ms),
        },
        ..EmulatorConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| failures::cannot_listen(args.listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::of(Kind::Input, e))?;
    eprintln!(
        "vodplan emulator listening on http://{addr} with {} videos (Ctrl-C to stop)",
        catalog.len()
    );
    emulator::serve(listener, catalog, config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| Failure::new(Kind::Input, format!("the emulator stopped: {e}")).caused_by(e))?;
    Ok(Exit::Success)
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
