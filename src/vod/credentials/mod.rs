//! Where the access key comes from: the official SDKs' default credential chain, first match wins
//! (CONTRACT "Credentials"; aliyun/credentials-go `credentials/providers/default.go`,
//! aliyun/credentials-python `alibabacloud_credentials/provider/default.py`):
//!
//! 1. [`env`] -- `ALIBABA_CLOUD_ACCESS_KEY_ID` + `ALIBABA_CLOUD_ACCESS_KEY_SECRET` (+ token);
//! 2. [`oidc`] -- `ALIBABA_CLOUD_ROLE_ARN` + `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` +
//!    `ALIBABA_CLOUD_OIDC_TOKEN_FILE`, exchanged with STS `AssumeRoleWithOIDC`;
//! 3. [`cli_profile`] -- a profile of the aliyun CLI's `config.json`, in any non-browser mode;
//! 4. [`ini`] -- `~/.alibabacloud/credentials`;
//! 5. [`ecs`] -- the ECS instance RAM role from the metadata service;
//! 6. [`uri`] -- `ALIBABA_CLOUD_CREDENTIALS_URI`.
//!
//! Discovery ([`discover`]) reads only the environment and local files and decides which
//! [`Provider`] applies; [`CredentialSource`] (in [`refresh`]) fetches from it and keeps temporary
//! credentials fresh while a long apply runs.
//!
//! One deliberate difference from the SDKs: they fall through to the next provider whenever one
//! fails, so a broken OIDC set-up silently becomes "whatever key the CLI profile has". For a tool
//! that deletes, running as a different identity than configured is worse than stopping, so a
//! provider that is configured and fails stops with its error; only the ECS metadata probe, which
//! is "configured" everywhere by default, falls through.
//!
//! Secrets live in [`Secret`], whose `Debug` and `Display` print `***`; errors name the provider
//! and the variable or file, never a value.
//!
//! The files form no import cycle: what every provider shares
//! sits below them ([`error`], [`keys`], [`environment`], [`service`]); [`provider`] names every
//! provider's type; the providers that can yield several kinds (the CLI profile, the INI file)
//! build a [`Provider`], the others return their own type; this file only chains them.

pub(crate) mod cli_profile;
pub(crate) mod ecs;
pub(crate) mod env_key;
pub(crate) mod environment;
pub(crate) mod error;
pub(crate) mod external;
pub(crate) mod ini;
pub(crate) mod keys;
pub(crate) mod oidc;
pub(crate) mod provider;
pub(crate) mod refresh;
pub(crate) mod service;
pub(crate) mod sts;
pub(crate) mod uri;

use std::path::PathBuf;

pub use cli_profile::region_of as cli_profile_region;
pub use environment::{Env, flag, home, process_env, var};
pub use error::CredentialError;
pub use keys::{Credentials, Issued, Secret, check_value};
pub use provider::Provider;
pub use refresh::CredentialSource;

/// What discovery found: the providers to try, in order. Only an ECS probe may fail and let the
/// next one be tried.
#[derive(Debug, Clone)]
pub struct Chain {
    pub candidates: Vec<Provider>,
    /// The aliyun CLI config path, for the "no credentials" message.
    pub cli_config: PathBuf,
}

/// Decides which providers apply, reading only `env` and local files. `profile` is `--profile`.
pub fn discover(env: Env<'_>, profile: Option<&str>) -> Result<Chain, CredentialError> {
    let cli_config = cli_profile::config_path(env)?;
    let profile = match profile.filter(|p| !p.is_empty()) {
        Some(p) => Some(p.to_string()),
        None => var(env, "ALIBABA_CLOUD_PROFILE")?,
    };
    let mut candidates = Vec::new();
    if let Some(c) = env_key::discover(env)? {
        candidates.push(Provider::Static(c));
    } else if let Some(o) = oidc::discover(env)? {
        candidates.push(Provider::Oidc(o));
    } else if let Some(p) = cli_profile::discover(env, profile.as_deref(), &cli_config)? {
        candidates.push(p);
    } else if let Some(p) = ini::discover(env, profile.as_deref())? {
        candidates.push(p);
    } else {
        if let Some(e) = ecs::discover(env)? {
            candidates.push(Provider::Ecs(e));
        }
        if let Some(u) = uri::discover(env)? {
            candidates.push(Provider::Uri(u));
        }
    }
    Ok(Chain {
        candidates,
        cli_config,
    })
}

#[cfg(test)]
pub(crate) mod testenv {
    use std::ffi::OsString;

    /// An [`super::Env`] from pairs.
    pub fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| {
            owned
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::service::json_error_without_values;
    use super::testenv::env_of;
    use super::*;

    fn kinds(chain: &Chain) -> Vec<String> {
        chain.candidates.iter().map(Provider::describe).collect()
    }

    #[test]
    fn precedence_env_then_oidc_then_cli_then_ini_then_ecs_and_uri() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_str().unwrap().to_string();
        std::fs::create_dir_all(dir.path().join(".aliyun")).unwrap();
        std::fs::write(
            dir.path().join(".aliyun/config.json"),
            r#"{"current":"main","profiles":[{"name":"main","mode":"AK","access_key_id":"AKCLI","access_key_secret":"s"}]}"#,
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join(".alibabacloud")).unwrap();
        std::fs::write(
            dir.path().join(".alibabacloud/credentials"),
            "[default]\ntype = access_key\naccess_key_id = AKINI\naccess_key_secret = s\n",
        )
        .unwrap();
        let mut pairs = vec![
            ("HOME", home.as_str()),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKENV"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"),
            ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r"),
            (
                "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                "acs:ram::1:oidc-provider/p",
            ),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/tmp/token"),
            ("VODPLAN_UNUSED", "x"),
        ];
        let expect = [
            "environment variables",
            "OIDC role acs:ram::1:role/r",
            "aliyun CLI profile `main` (AK)",
        ];
        for want in expect {
            let env = env_of(&pairs);
            let got = kinds(&discover(&env, None).unwrap());
            assert!(got[0].starts_with(want), "{got:?} vs {want}");
            pairs.remove(1);
            if want == "environment variables" {
                pairs.remove(1);
            } else if want.starts_with("OIDC") {
                pairs.remove(1);
                pairs.remove(1);
            }
        }
        // Without the CLI config: the INI file; then the metadata service and the URI.
        pairs.push(("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:1/creds"));
        pairs.push(("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "TRUE"));
        let got = kinds(&discover(&env_of(&pairs), None).unwrap());
        assert!(got[0].starts_with("credentials file"), "{got:?}");
        pairs.push(("ALIBABA_CLOUD_CREDENTIALS_FILE", "/nonexistent/x"));
        let e = discover(&env_of(&pairs), None).unwrap_err().to_string();
        assert!(e.contains("ALIBABA_CLOUD_CREDENTIALS_FILE"), "{e}");
        pairs.pop();
        std::fs::remove_file(dir.path().join(".alibabacloud/credentials")).unwrap();
        let got = kinds(&discover(&env_of(&pairs), None).unwrap());
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("ECS instance RAM role"), "{got:?}");
        assert!(got[1].starts_with("the credentials URI"), "{got:?}");
        pairs.push(("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"));
        let got = kinds(&discover(&env_of(&pairs), None).unwrap());
        assert_eq!(got.len(), 1, "{got:?}");
    }

    #[test]
    fn half_set_and_non_utf8_and_control_characters_are_named() {
        let env = env_of(&[("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKENV")]);
        let e = discover(&env, None).unwrap_err().to_string();
        assert!(e.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET is not"), "{e}");

        #[cfg(unix)]
        {
            use std::ffi::OsString;
            use std::os::unix::ffi::OsStringExt;
            let env = |k: &str| match k {
                "ALIBABA_CLOUD_ACCESS_KEY_ID" => Some(OsString::from("AK")),
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => Some(OsString::from_vec(vec![0xff, 0x41])),
                _ => None,
            };
            let e = discover(&env, None).unwrap_err().to_string();
            assert_eq!(
                e,
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET is not valid UTF-8; credentials are ASCII text"
            );
        }
        let env = env_of(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "tok\nen"),
        ]);
        let e = discover(&env, None).unwrap_err().to_string();
        assert!(
            e.starts_with("ALIBABA_CLOUD_SECURITY_TOKEN contains a line break"),
            "{e}"
        );
        assert!(!e.contains("tok"), "{e}");
    }

    #[test]
    fn json_errors_do_not_quote_values() {
        let e = serde_json::from_str::<std::collections::HashMap<String, String>>(
            r#"{"access_key_secret": 123456789}"#,
        )
        .unwrap_err();
        let text = json_error_without_values(&e);
        assert!(!text.contains("123456789"), "{text}");
        assert!(text.contains("line 1"), "{text}");
    }
}
