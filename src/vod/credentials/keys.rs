//! What a provider hands out: an access key ([`Credentials`], its secret halves in [`Secret`],
//! which never prints), and when it stops working ([`Issued`]).

use std::fmt;

use time::OffsetDateTime;

use super::error::CredentialError;

/// A string that must never be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for signing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An access key, with an STS token when the key is temporary.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub security_token: Option<Secret>,
    /// Where they came from, for messages (never the values).
    pub source: String,
}

/// Credentials as a provider handed them out, with when they stop working.
#[derive(Debug, Clone)]
pub struct Issued {
    pub credentials: Credentials,
    /// `None` for long-lived keys.
    pub expires_at: Option<OffsetDateTime>,
}

/// Refuses a key, secret or token with a control character (a newline from `echo` into a file,
/// a pasted line break): sent as a header it would fail as a "network error" and be retried.
pub fn check_value(value: &str, what: impl FnOnce() -> String) -> Result<(), CredentialError> {
    if value.chars().any(char::is_control) {
        Err(CredentialError::ControlCharacter { what: what() })
    } else {
        Ok(())
    }
}

impl Credentials {
    /// Checks every value for control characters, naming the provider.
    pub fn checked(self) -> Result<Credentials, CredentialError> {
        let source = self.source.clone();
        check_value(&self.access_key_id, || {
            format!("the AccessKeyId from {source}")
        })?;
        check_value(self.access_key_secret.expose(), || {
            format!("the AccessKeySecret from {source}")
        })?;
        if let Some(t) = &self.security_token {
            check_value(t.expose(), || format!("the SecurityToken from {source}"))?;
        }
        Ok(self)
    }
}
