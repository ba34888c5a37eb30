//! The providers a chain may hold ([`Provider`]), and fetching from one.
//!
//! Why its own file: every provider's type is a variant here, so this file uses them all; the
//! providers that find out which kind applies from one configuration (the aliyun CLI profile,
//! the INI file) use it in turn, and the others return their own type, which the chain
//! ([`super::discover`]) wraps. AssumeRole signs with what another provider hands out: that
//! nesting is a variant here (`source`), so the STS exchange ([`super::sts`]) knows nothing of
//! providers and no file-level cycle remains.

use super::ecs::EcsRole;
use super::error::CredentialError;
use super::external::External;
use super::keys::{Credentials, Issued};
use super::oidc::Oidc;
use super::sts::AssumeRole;
use super::uri::CredentialsUri;

/// Where credentials come from, as discovered.
#[derive(Debug, Clone)]
pub enum Provider {
    /// Long-lived keys, or an STS token given as is (no way to renew it).
    Static(Credentials),
    /// STS `AssumeRole`, signed with what `source` provides (a RamRoleArn or
    /// ChainableRamRoleArn profile, an INI `ram_role_arn` section).
    AssumeRole {
        source: Box<Provider>,
        assume: AssumeRole,
    },
    /// STS `AssumeRoleWithOIDC` with a token file.
    Oidc(Oidc),
    /// The ECS instance RAM role.
    Ecs(EcsRole),
    /// A credentials URI.
    Uri(CredentialsUri),
    /// An aliyun CLI `External` profile's `process_command`.
    External(External),
}

impl Provider {
    /// Which provider this is, for messages; never a value.
    pub fn describe(&self) -> String {
        match self {
            Provider::Static(c) => c.source.clone(),
            Provider::AssumeRole { assume, .. } => assume.describe.clone(),
            Provider::Oidc(o) => o.describe.clone(),
            Provider::Ecs(e) => e.describe(),
            Provider::Uri(u) => u.describe.clone(),
            Provider::External(x) => x.describe.clone(),
        }
    }

    /// Whether what it hands out expires and can be fetched again.
    pub fn renews(&self) -> bool {
        !matches!(self, Provider::Static(_))
    }

    /// Fetches credentials once (no cache).
    pub fn fetch(
        &self,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Issued, CredentialError>> + Send + '_>> {
        Box::pin(async move {
            let issued = match self {
                Provider::Static(c) => Issued {
                    credentials: c.clone(),
                    expires_at: None,
                },
                Provider::AssumeRole { source, assume } => {
                    assume.fetch(&source.fetch().await?.credentials).await?
                }
                Provider::Oidc(o) => o.fetch().await?,
                Provider::Ecs(e) => e.fetch().await?,
                Provider::Uri(u) => u.fetch().await?,
                Provider::External(x) => x.fetch().await?,
            };
            let credentials = issued.credentials.checked()?;
            Ok(Issued {
                credentials,
                expires_at: issued.expires_at,
            })
        })
    }
}
