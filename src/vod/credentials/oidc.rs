//! Provider 2 (and the aliyun CLI's `OIDC` mode): an OIDC token from a file, exchanged with STS
//! `AssumeRoleWithOIDC` (credentials-go `credentials/providers/oidc.go`). This is how GitHub
//! Actions, GitLab CI and ACK's RRSA run without a long-lived key.
//!
//! The token file is read again at every refresh: CI runners and ACK rotate it, and an old token
//! is refused once it expires. The call is anonymous: nothing is signed, the token is the proof.

use std::path::PathBuf;

use reqwest::Url;

use super::sts::{self, RoleRequest};
use super::{CredentialError, Env, Issued, var};

/// An OIDC role to assume.
#[derive(Debug, Clone)]
pub struct Oidc {
    pub role: RoleRequest,
    pub provider_arn: String,
    pub token_file: PathBuf,
    /// Where the token file was named (a variable or a profile), for messages.
    pub token_file_from: String,
    pub endpoint: Url,
    pub describe: String,
}

const ROLE: &str = "ALIBABA_CLOUD_ROLE_ARN";
const PROVIDER: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
const TOKEN_FILE: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";

/// The OIDC provider when all three variables are set (as the SDK's builder requires).
pub fn discover(env: Env<'_>) -> Result<Option<Oidc>, CredentialError> {
    let (Some(role_arn), Some(provider_arn), Some(token_file)) =
        (var(env, ROLE)?, var(env, PROVIDER)?, var(env, TOKEN_FILE)?)
    else {
        return Ok(None);
    };
    Ok(Some(Oidc {
        describe: format!("OIDC role {role_arn} (ALIBABA_CLOUD_OIDC_TOKEN_FILE)"),
        role: RoleRequest {
            role_arn,
            session_name: sts::session_name(env)?,
            duration_seconds: sts::DEFAULT_DURATION_SECONDS,
            policy: None,
            external_id: None,
        },
        provider_arn,
        token_file: PathBuf::from(token_file),
        token_file_from: TOKEN_FILE.to_string(),
        endpoint: sts::endpoint(env, None)?,
    }))
}

/// An OIDC token is a JWT of a few KiB; a file larger than this is not one.
const MAX_TOKEN_BYTES: u64 = 64 << 10;

/// Reads a token file: a regular file (a FIFO would block, a device read without end) of at most
/// [`MAX_TOKEN_BYTES`].
async fn read_token(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let not_a_token = |what: &str| std::io::Error::other(what.to_string());
    if !tokio::fs::metadata(path).await?.is_file() {
        return Err(not_a_token("it is not a regular file"));
    }
    let file = tokio::fs::File::open(path).await?;
    let mut bytes = Vec::new();
    file.take(MAX_TOKEN_BYTES + 1)
        .read_to_end(&mut bytes)
        .await?;
    if bytes.len() as u64 > MAX_TOKEN_BYTES {
        return Err(not_a_token(
            "it is larger than an OIDC token can be (64 KiB)",
        ));
    }
    Ok(bytes)
}

impl Oidc {
    /// Reads the token file (again) and asks STS.
    pub async fn fetch(&self) -> Result<Issued, CredentialError> {
        let path = self.token_file.display().to_string();
        // The environment's description names the variable already: it is not said twice.
        let provider = if self
            .describe
            .ends_with(&format!("({})", self.token_file_from))
        {
            self.describe.clone()
        } else {
            format!("{} ({})", self.describe, self.token_file_from)
        };
        let unreadable = |reason: String| CredentialError::Unreadable {
            provider: provider.clone(),
            path: path.clone(),
            reason,
        };
        let bytes = read_token(&self.token_file)
            .await
            .map_err(|source| CredentialError::Read {
                provider: provider.clone(),
                path: path.clone(),
                source,
            })?;
        let token = String::from_utf8(bytes)
            .map_err(|_| unreadable("the token is not valid UTF-8".into()))?;
        // A trailing newline (`echo $TOKEN > file`) is not part of a JWT.
        let token = token.trim_end_matches(['\n', '\r']).to_string();
        if token.is_empty() {
            return Err(unreadable("the file is empty".into()));
        }
        super::check_value(&token, || {
            format!("the OIDC token in {path} ({})", self.token_file_from)
        })?;
        let query: Vec<(String, String)> = [
            ("Action", "AssumeRoleWithOIDC".to_string()),
            ("Version", sts::VERSION.to_string()),
            ("Format", "JSON".to_string()),
            ("Timestamp", crate::timefmt::now()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let mut form = vec![
            ("OIDCProviderArn".to_string(), self.provider_arn.clone()),
            ("OIDCToken".to_string(), token.clone()),
        ];
        form.extend(self.role_form());
        sts::exchange(&self.describe, &self.endpoint, &query, &form, &[&token]).await
    }

    fn role_form(&self) -> Vec<(String, String)> {
        let mut form = vec![
            ("RoleArn".to_string(), self.role.role_arn.clone()),
            (
                "RoleSessionName".to_string(),
                self.role.session_name.clone(),
            ),
            (
                "DurationSeconds".to_string(),
                self.role.duration_seconds.to_string(),
            ),
        ];
        if let Some(p) = &self.role.policy {
            form.push(("Policy".into(), p.clone()));
        }
        form
    }
}
