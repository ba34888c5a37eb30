//! From parsed flags to working objects: manifests loaded (diagnostics printed), region and
//! endpoint resolved, credentials found, the API client built.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use vodplan::apply::RegionClaim;
use vodplan::ids::{Region, RegionError};
use vodplan::manifest::{self, DesiredState, Located};
use vodplan::vod::credentials::{self, CredentialSource, Credentials};
use vodplan::vod::{Client, ClientConfig, Endpoint, RetryPolicy, SignatureVersion};

use super::args::{GlobalArgs, SignatureArg};
use super::exit::{Failure, Kind, failures};

/// The region used when neither flag, environment nor manifest names one.
pub const DEFAULT_REGION: &str = "cn-shanghai";

/// Everything a networked command needs, shared by plan, apply and demo.
pub struct Session {
    pub global: GlobalArgs,
    /// Set by `demo`, which talks to its own emulator with its own key.
    pub credentials: Option<Credentials>,
}

/// Loads and validates manifests, printing every diagnostic on stderr.
pub fn load_manifests(paths: &[PathBuf]) -> Result<DesiredState, Failure> {
    let loaded = manifest::load(paths);
    for d in &loaded.diagnostics {
        eprintln!("{d}");
    }
    let errors = loaded.errors().count();
    match loaded.state {
        Some(state) => Ok(state),
        None => Err(failures::invalid_manifests(errors)),
    }
}

/// The region a command runs in, and why, for the plan's header.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionChoice {
    pub region: String,
    pub source: String,
}

impl Session {
    /// The regions named outside the manifests, strongest first: `--region`,
    /// `ALIBABA_CLOUD_REGION_ID`, the aliyun CLI profile's `region_id`.
    pub fn region_claims(&self) -> Vec<RegionClaim> {
        let mut claims = Vec::new();
        let mut claim = |region: String, by: String| claims.push(RegionClaim { region, by });
        if let Some(r) = self.global.region.clone().filter(|r| !r.is_empty()) {
            claim(r, "--region".to_string());
        }
        if let Some(r) = std::env::var("ALIBABA_CLOUD_REGION_ID")
            .ok()
            .filter(|r| !r.is_empty())
        {
            claim(r, "ALIBABA_CLOUD_REGION_ID".to_string());
        }
        if let Some((r, name)) = credentials::cli_profile_region(
            &credentials::process_env,
            self.global.profile.as_deref().filter(|p| !p.is_empty()),
        ) {
            claim(r, format!("the region_id of aliyun CLI profile `{name}`"));
        }
        claims
    }

    /// The region (CONTRACT "Global options"): the manifests' region when they name one, and then
    /// every other claim must agree; else `--region`, `ALIBABA_CLOUD_REGION_ID`, the profile's
    /// `region_id`, `cn-shanghai`. Region is part of the review: a disagreement is an error.
    pub fn region(&self, manifests: Option<&Located<Region>>) -> Result<RegionChoice, Failure> {
        let claims = self.region_claims();
        for RegionClaim { region, by } in &claims {
            if let Err(RegionError::Typo { known, .. }) = Region::new(region.as_str()) {
                return Err(failures::region_typo(by, region, known));
            }
        }
        vodplan::apply::approve::check_claims(manifests, &claims)?;
        if let Some(m) = manifests {
            return Ok(RegionChoice {
                region: m.value.to_string(),
                source: format!("from the manifests, {}", m.location.file_line()),
            });
        }
        Ok(match claims.into_iter().next() {
            Some(RegionClaim { region, by }) => RegionChoice {
                region,
                source: format!("from {by}"),
            },
            None => RegionChoice {
                region: DEFAULT_REGION.to_string(),
                source: "the default; the manifests name none".into(),
            },
        })
    }

    pub fn endpoint(&self, region: &str) -> Result<Endpoint, Failure> {
        let given = match &self.global.endpoint {
            Some(e) => Some((e.clone(), "--endpoint")),
            None => std::env::var_os("VODPLAN_ENDPOINT")
                .map(|v| (v.to_string_lossy().into_owned(), "VODPLAN_ENDPOINT")),
        };
        // Set but empty (a variable that failed to expand in CI) must not mean "production".
        if let Some((e, by)) = &given
            && e.is_empty()
        {
            return Err(failures::empty_endpoint(by, region));
        }
        Endpoint::resolve(given.as_ref().map(|(e, _)| e.as_str()), region)
            .map_err(failures::invalid_endpoint)
    }

    /// The credentials: the demo's own key, else the official SDKs' default chain (environment,
    /// OIDC, aliyun CLI profile, credentials file, ECS RAM role, credentials URI), fetched once
    /// here so that a broken set-up fails before anything else happens.
    pub async fn credentials(&self) -> Result<CredentialSource, Failure> {
        if let Some(c) = &self.credentials {
            return Ok(CredentialSource::fixed(c.clone()));
        }
        let env = credentials::process_env;
        let chain = credentials::discover(
            &env,
            self.global.profile.as_deref().filter(|p| !p.is_empty()),
        )
        .map_err(|e| Failure::of(Kind::Auth, e))?;
        CredentialSource::start(chain)
            .await
            .map_err(|e| Failure::of(Kind::Auth, e))
    }

    pub async fn client(&self, region: &str, endpoint: Endpoint) -> Result<Arc<Client>, Failure> {
        let source = self.credentials().await?;
        let config = ClientConfig {
            endpoint,
            region: region.to_string(),
            credentials: source.current_credentials(),
            signature: match self.global.signature {
                SignatureArg::V3 => SignatureVersion::V3,
                SignatureArg::V1 => SignatureVersion::V1,
            },
            delete_qps: self.global.max_qps,
            timeout: Duration::from_secs(self.global.timeout.max(1)),
            retry: RetryPolicy::default(),
        };
        let client = Client::with_credentials(config, source).map_err(Failure::from)?;
        // A long pause (the service's x-acs-retry-after, or a grown backoff) is said on stderr,
        // so that a run waiting a minute does not look hung.
        client.on_long_wait(Box::new(|what| eprintln!("{what}")));
        Ok(Arc::new(client))
    }
}

/// Refuses to write `output` (named by `flag`) over one of the `inputs` (files, or manifests
/// inside a directory), before anything is read or sent: `plan --out m.yaml` would replace the
/// reviewed manifest with a plan.
pub fn refuse_overwriting_input(
    output: &Path,
    flag: &str,
    inputs: &[PathBuf],
) -> Result<(), Failure> {
    let real = |p: &Path| std::fs::canonicalize(p).ok();
    // A file that does not exist yet is compared through its directory.
    let target = real(output).or_else(|| {
        let parent = output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(real(parent)?.join(output.file_name()?))
    });
    let Some(target) = target else {
        return Ok(());
    };
    let is_manifest_name = target
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    for input in inputs {
        let Some(input_real) = real(input) else {
            continue;
        };
        let clash = if input_real.is_dir() {
            is_manifest_name && target.starts_with(&input_real)
        } else {
            target == input_real
        };
        if clash {
            let input = if input_real.is_dir() {
                format!("a manifest in {}", input.display())
            } else {
                input.display().to_string()
            };
            return Err(failures::would_overwrite(
                flag,
                &output.display().to_string(),
                &input,
            ));
        }
    }
    Ok(())
}

/// The default journal of a saved plan: beside it.
pub fn journal_beside(plan: &Path) -> PathBuf {
    let mut name = plan.as_os_str().to_os_string();
    name.push(".journal.jsonl");
    PathBuf::from(name)
}

/// The default journal of manifests applied directly: `NAME.journal.jsonl` in the working
/// directory, NAME the first manifest's file or directory name. Never inside the manifests'
/// directory, where `validate` would warn about it and it would be easy to commit.
pub fn journal_for_manifests(first: &Path) -> PathBuf {
    let name = std::fs::canonicalize(first)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_os_string()))
        .or_else(|| first.file_name().map(|n| n.to_os_string()))
        .unwrap_or_else(|| "vodplan".into());
    let mut name = name;
    name.push(".journal.jsonl");
    PathBuf::from(name)
}
