//! Provider 1: an access key in the environment (credentials-go
//! `credentials/providers/env.go`): `ALIBABA_CLOUD_ACCESS_KEY_ID` + `ALIBABA_CLOUD_ACCESS_KEY_SECRET`,
//! with `ALIBABA_CLOUD_SECURITY_TOKEN` when the key is an STS key. Such a key cannot be renewed.

use super::{CredentialError, Credentials, Env, Secret, check_value, var};

const ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
const SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
const TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";

/// The environment's key, if both halves are set; one half alone is an error.
pub fn discover(env: Env<'_>) -> Result<Option<Credentials>, CredentialError> {
    let (id, secret) = match (var(env, ID)?, var(env, SECRET)?) {
        (Some(id), Some(secret)) => (id, secret),
        (Some(_), None) => {
            return Err(CredentialError::HalfSet {
                set: ID,
                unset: SECRET,
            });
        }
        (None, Some(_)) => {
            return Err(CredentialError::HalfSet {
                set: SECRET,
                unset: ID,
            });
        }
        (None, None) => return Ok(None),
    };
    let token = var(env, TOKEN)?;
    check_value(&id, || ID.to_string())?;
    check_value(&secret, || SECRET.to_string())?;
    if let Some(t) = &token {
        check_value(t, || TOKEN.to_string())?;
    }
    Ok(Some(Credentials {
        access_key_id: id,
        access_key_secret: Secret::new(secret),
        security_token: token.map(Secret::new),
        source: "environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)".into(),
    }))
}
