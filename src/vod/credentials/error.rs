//! Why credentials could not be had: one error type for every provider, naming the provider and
//! the variable or file, never a value.
//!
//! Its own file because every provider and the chain return it: kept apart, the providers depend
//! on it and on nothing of the chain that uses them.

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or the OIDC variables (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE), or configure an aliyun CLI profile in {path} (`aliyun configure`) and choose it with --profile{tried}"
    )]
    Missing { path: String, tried: String },
    #[error("{set} is set but {unset} is not; set both, or neither to use another provider")]
    HalfSet {
        set: &'static str,
        unset: &'static str,
    },
    #[error("{what} is not valid UTF-8; credentials are ASCII text")]
    NotUtf8 { what: String },
    #[error(
        "{what} contains a line break or another control character; credentials are one line of text (check for a trailing newline or a pasted line break)"
    )]
    ControlCharacter { what: String },
    #[error("{provider}: cannot read {path}: {reason}")]
    Unreadable {
        provider: String,
        path: String,
        reason: String,
    },
    #[error("{provider}: cannot read {path}: {source}")]
    Read {
        provider: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{provider}: {path} is not valid: {reason}")]
    Malformed {
        provider: String,
        path: String,
        reason: String,
    },
    #[error(
        "the aliyun CLI config {path} has no profile named `{name}`; its profiles are: {available}"
    )]
    NoSuchProfile {
        path: String,
        name: String,
        available: String,
    },
    #[error("aliyun CLI profile `{name}` uses mode {mode}, which vodplan cannot use: {instead}")]
    UnsupportedMode {
        name: String,
        mode: String,
        instead: &'static str,
    },
    #[error("{provider} lacks `{key}` in {path}")]
    MissingKey {
        provider: String,
        path: String,
        key: &'static str,
    },
    #[error("{variable} `{value}` is not usable: {reason}")]
    BadEndpoint {
        variable: &'static str,
        value: String,
        reason: String,
    },
    /// The provider was reached and refused, or answered something unusable.
    #[error("{provider}: {reason}")]
    Provider { provider: String, reason: String },
    /// The provider's process could not be run or waited for.
    #[error("{provider}: {doing}: {source}")]
    Process {
        provider: String,
        doing: String,
        #[source]
        source: std::io::Error,
    },
    /// The provider's task ended without an answer (it panicked or was cancelled).
    #[error("{provider}: {source}")]
    Task {
        provider: String,
        #[source]
        source: tokio::task::JoinError,
    },
}

impl CredentialError {
    pub(crate) fn provider(provider: &str, reason: impl Into<String>) -> CredentialError {
        CredentialError::Provider {
            provider: provider.to_string(),
            reason: reason.into(),
        }
    }
}
