//! From parsed flags to working objects: manifests loaded (diagnostics printed), region and
//! endpoint resolved, credentials found, the API client built.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use vodplan::manifest::{self, DesiredState};
use vodplan::vod::credentials::{self, CredentialSource, Credentials};
use vodplan::vod::{Client, ClientConfig, Endpoint, RetryPolicy, SignatureVersion};

use super::args::{GlobalArgs, SignatureArg};
use super::exit::{Failure, Kind};

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
        None => Err(Failure::new(
            Kind::InvalidManifest,
            format!(
                "the manifests have {} problem{}; nothing was sent to the API",
                errors,
                if errors == 1 { "" } else { "s" }
            ),
        )
        .hint("fix the problems listed above (FILE:LINE:COL), then run `vodplan validate` again")),
    }
}

impl Session {
    /// The region: --region / ALIBABA_CLOUD_REGION_ID, else the manifest's, else cn-shanghai.
    pub fn region(&self, from_manifest: Option<&str>) -> String {
        self.global
            .region
            .clone()
            .filter(|r| !r.is_empty())
            .or_else(|| from_manifest.map(str::to_string))
            .unwrap_or_else(|| DEFAULT_REGION.to_string())
    }

    pub fn endpoint(&self, region: &str) -> Result<Endpoint, Failure> {
        Endpoint::resolve(
            self.global.endpoint.as_deref().filter(|e| !e.is_empty()),
            region,
        )
        .map_err(|e| {
            Failure::new(Kind::Input, e.to_string())
                .hint("set --endpoint or VODPLAN_ENDPOINT to a valid URL, or unset it")
        })
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
        .map_err(|e| Failure::new(Kind::Auth, e.to_string()))?;
        CredentialSource::start(chain)
            .await
            .map_err(|e| Failure::new(Kind::Auth, e.to_string()))
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
        Client::with_credentials(config, source)
            .map(Arc::new)
            .map_err(Failure::from)
    }
}

/// The default journal: beside the saved plan, or beside the first manifest (inside it for a
/// directory).
pub fn default_journal(first: &Path) -> PathBuf {
    if first.is_dir() {
        first.join("vodplan.journal.jsonl")
    } else {
        let mut name = first.as_os_str().to_os_string();
        name.push(".journal.jsonl");
        PathBuf::from(name)
    }
}
