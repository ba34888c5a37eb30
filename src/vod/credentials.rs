//! Where the access key comes from, first match wins (CONTRACT "Credentials"):
//! `ALIBABA_CLOUD_ACCESS_KEY_ID` + `ALIBABA_CLOUD_ACCESS_KEY_SECRET` (+ `ALIBABA_CLOUD_SECURITY_TOKEN`),
//! then a profile of the aliyun CLI's `~/.aliyun/config.json`.
//!
//! Secrets live in [`Secret`], whose `Debug` and `Display` print `***`, so no log line, error or
//! plan file can carry one by accident.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or configure an aliyun CLI profile in {path} (`aliyun configure`) and choose it with --profile"
    )]
    Missing { path: String },
    #[error("{set} is set but {unset} is not; set both, or neither to use an aliyun CLI profile")]
    HalfSet {
        set: &'static str,
        unset: &'static str,
    },
    #[error("cannot read the aliyun CLI config {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error(
        "the aliyun CLI config {path} has no profile named `{name}`; its profiles are: {available}"
    )]
    NoSuchProfile {
        path: String,
        name: String,
        available: String,
    },
    #[error(
        "profile `{name}` uses mode {mode}, which vodplan does not support yet; use an AK or StsToken profile, or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"
    )]
    UnsupportedMode { name: String, mode: String },
    #[error("profile `{name}` in {path} lacks `{key}`, which mode {mode} needs")]
    MissingKey {
        name: String,
        path: String,
        mode: String,
        key: &'static str,
    },
}

#[derive(Deserialize)]
struct CliConfig {
    #[serde(default)]
    current: String,
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

#[derive(Deserialize)]
struct CliProfile {
    name: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    access_key_id: String,
    #[serde(default)]
    access_key_secret: String,
    #[serde(default)]
    sts_token: String,
    #[serde(default)]
    ram_role_arn: String,
}

/// The default location of the aliyun CLI config: `$HOME/.aliyun/config.json`.
pub fn default_cli_config_path() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".aliyun").join("config.json")
}

/// Resolves credentials from `env` (a lookup, so tests need not touch the process environment)
/// and the aliyun CLI config at `config_path`, using `profile` or the config's `current`.
pub fn resolve(
    env: &dyn Fn(&str) -> Option<String>,
    profile: Option<&str>,
    config_path: &Path,
) -> Result<Credentials, CredentialError> {
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    const ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
    const SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
    match (get(ID), get(SECRET)) {
        (Some(id), Some(secret)) => {
            return Ok(Credentials {
                access_key_id: id,
                access_key_secret: Secret::new(secret),
                security_token: get("ALIBABA_CLOUD_SECURITY_TOKEN").map(Secret::new),
                source: "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)".into(),
            });
        }
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
        (None, None) => {}
    }
    let path = config_path.display().to_string();
    let text = match std::fs::read_to_string(config_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CredentialError::Missing { path });
        }
        Err(e) => {
            return Err(CredentialError::Unreadable {
                path,
                reason: e.to_string(),
            });
        }
    };
    let config: CliConfig =
        serde_json::from_str(&text).map_err(|e| CredentialError::Unreadable {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    let name = profile.map(str::to_string).unwrap_or_else(|| {
        if config.current.is_empty() {
            "default".to_string()
        } else {
            config.current.clone()
        }
    });
    let Some(p) = config.profiles.iter().find(|p| p.name == name) else {
        let available: Vec<&str> = config.profiles.iter().map(|p| p.name.as_str()).collect();
        return Err(CredentialError::NoSuchProfile {
            path,
            name,
            available: if available.is_empty() {
                "(none)".into()
            } else {
                available.join(", ")
            },
        });
    };
    // The CLI infers an empty mode: AK, StsToken with sts_token, RamRoleArn with ram_role_arn.
    let mode = match p.mode.as_str() {
        "" if !p.ram_role_arn.is_empty() => "RamRoleArn",
        "" if !p.sts_token.is_empty() => "StsToken",
        "" => "AK",
        m => m,
    };
    let need = |key: &'static str, value: &str| {
        if value.is_empty() {
            Err(CredentialError::MissingKey {
                name: name.clone(),
                path: path.clone(),
                mode: mode.to_string(),
                key,
            })
        } else {
            Ok(())
        }
    };
    match mode {
        "AK" | "StsToken" => {
            need("access_key_id", &p.access_key_id)?;
            need("access_key_secret", &p.access_key_secret)?;
            let security_token = if mode == "StsToken" {
                need("sts_token", &p.sts_token)?;
                Some(Secret::new(p.sts_token.clone()))
            } else {
                None
            };
            Ok(Credentials {
                access_key_id: p.access_key_id.clone(),
                access_key_secret: Secret::new(p.access_key_secret.clone()),
                security_token,
                source: format!("aliyun CLI profile `{name}` ({path})"),
            })
        }
        other => Err(CredentialError::UnsupportedMode {
            name,
            mode: other.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn config(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    const CONFIG: &str = r#"{"current":"main","profiles":[
        {"name":"main","mode":"AK","access_key_id":"AKMAIN","access_key_secret":"s1"},
        {"name":"sts","mode":"StsToken","access_key_id":"STS.x","access_key_secret":"s2","sts_token":"tok"},
        {"name":"role","mode":"RamRoleArn","access_key_id":"a","access_key_secret":"b","ram_role_arn":"acs:ram::1:role/x"},
        {"name":"bare","access_key_id":"AKBARE","access_key_secret":"s3"}]}"#;

    #[test]
    fn environment_wins_over_profiles() {
        let (_d, path) = config(CONFIG);
        let env = env_of(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKENV"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sekrit"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "tok"),
        ]);
        let c = resolve(&env, Some("main"), &path).unwrap();
        assert_eq!(c.access_key_id, "AKENV");
        assert_eq!(c.security_token.unwrap().expose(), "tok");
        assert_eq!(format!("{:?}", c.access_key_secret), "***");
    }

    #[test]
    fn half_set_environment_is_an_error() {
        let env = env_of(&[("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKENV")]);
        let e = resolve(&env, None, Path::new("/nonexistent")).unwrap_err();
        assert!(
            e.to_string()
                .contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET is not"),
            "{e}"
        );
    }

    #[test]
    fn profiles_current_named_inferred_and_unsupported() {
        let (_d, path) = config(CONFIG);
        let env = env_of(&[]);
        assert_eq!(resolve(&env, None, &path).unwrap().access_key_id, "AKMAIN");
        let sts = resolve(&env, Some("sts"), &path).unwrap();
        assert_eq!(sts.security_token.unwrap().expose(), "tok");
        assert_eq!(
            resolve(&env, Some("bare"), &path).unwrap().access_key_id,
            "AKBARE"
        );
        let e = resolve(&env, Some("role"), &path).unwrap_err();
        assert!(
            e.to_string()
                .contains("mode RamRoleArn, which vodplan does not support yet"),
            "{e}"
        );
        let e = resolve(&env, Some("nope"), &path).unwrap_err();
        assert!(e.to_string().contains("main, sts, role, bare"), "{e}");
    }

    #[test]
    fn nothing_configured_names_what_to_set() {
        let e = resolve(&env_of(&[]), None, Path::new("/nonexistent/config.json")).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("ALIBABA_CLOUD_ACCESS_KEY_ID") && text.contains("--profile"),
            "{text}"
        );
    }
}
