//! Provider 3: a profile of the aliyun CLI's config (`ALIBABA_CLOUD_CONFIG_FILE`, else
//! `~/.aliyun/config.json`), chosen by `--profile`, else `ALIBABA_CLOUD_PROFILE`, else the file's
//! `current`; skipped with `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`.
//!
//! Modes as credentials-go reads them (`credentials/providers/cli_profile.go`,
//! `getCredentialsProvider`): `AK`, `StsToken`, `RamRoleArn` (STS AssumeRole signed with the
//! profile's key), `ChainableRamRoleArn` (AssumeRole signed with what `source_profile` provides),
//! `EcsRamRole`, `OIDC`, `CredentialsURI` and `External` (`process_command`). `CloudSSO` and
//! `OAuth` need a browser sign-in the CLI keeps in the file and refreshes itself; they are refused
//! by name with what to use instead. An empty mode is inferred as the CLI does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::ecs::EcsRole;
use super::external::External;
use super::oidc::Oidc;
use super::sts::{self, AssumeRole, RoleRequest};
use super::uri::CredentialsUri;
use super::{CredentialError, Credentials, Env, Provider, Secret, check_value, flag, var};

const PROVIDER: &str = "aliyun CLI config";

#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    current: String,
    #[serde(default)]
    profiles: Vec<Profile>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Profile {
    name: String,
    mode: String,
    access_key_id: String,
    access_key_secret: String,
    sts_token: String,
    ram_role_arn: String,
    ram_session_name: String,
    expired_seconds: u32,
    sts_region: String,
    source_profile: String,
    ram_role_name: String,
    oidc_token_file: String,
    oidc_provider_arn: String,
    policy: String,
    external_id: String,
    credentials_uri: String,
    process_command: String,
    region_id: String,
}

/// The config file's path: `ALIBABA_CLOUD_CONFIG_FILE`, else `~/.aliyun/config.json`.
pub fn config_path(env: Env<'_>) -> Result<PathBuf, CredentialError> {
    Ok(match var(env, "ALIBABA_CLOUD_CONFIG_FILE")? {
        Some(p) => PathBuf::from(p),
        None => super::home(env).join(".aliyun").join("config.json"),
    })
}

/// The one reading of the config: `None` when it is disabled or absent.
fn read(env: Env<'_>, path: &Path) -> Result<Option<Config>, CredentialError> {
    if flag(env, "ALIBABA_CLOUD_CLI_PROFILE_DISABLED") {
        return Ok(None);
    }
    let shown = path.display().to_string();
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CredentialError::Read {
                provider: PROVIDER.into(),
                path: shown,
                source: e,
            });
        }
    };
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| CredentialError::Malformed {
            provider: PROVIDER.into(),
            path: shown,
            reason: super::service::json_error_without_values(&e),
        })
}

impl Config {
    /// The profile named `profile`, else the file's `current`, else `default`.
    fn name(&self, profile: Option<&str>) -> String {
        match profile {
            Some(p) => p.to_string(),
            None if !self.current.is_empty() => self.current.clone(),
            None => "default".to_string(),
        }
    }
}

/// The selected profile's provider, or `None` when there is no config file (or it is disabled,
/// or names no current profile).
pub fn discover(
    env: Env<'_>,
    profile: Option<&str>,
    path: &Path,
) -> Result<Option<Provider>, CredentialError> {
    let Some(config) = read(env, path)? else {
        return Ok(None);
    };
    let name = config.name(profile);
    if profile.is_none() && !config.profiles.iter().any(|p| p.name == name) {
        return Ok(None);
    }
    build(env, &config, &name, &path.display().to_string(), 0).map(Some)
}

/// The `region_id` of the profile the credentials chain would use (`profile`, else the file's
/// `current`, else `default`), with the profile's name; `None` when the config is disabled,
/// absent, unreadable or malformed (the credentials chain reports those), or the profile names
/// no region.
pub fn region_of(env: Env<'_>, profile: Option<&str>) -> Option<(String, String)> {
    let config = read(env, &config_path(env).ok()?).ok()??;
    let name = config.name(profile);
    let p = config.profiles.into_iter().find(|p| p.name == name)?;
    Some((p.region_id, name)).filter(|(r, _)| !r.is_empty())
}

fn build(
    env: Env<'_>,
    config: &Config,
    name: &str,
    path: &str,
    depth: u32,
) -> Result<Provider, CredentialError> {
    let Some(p) = config.profiles.iter().find(|p| p.name == name) else {
        let available: Vec<&str> = config.profiles.iter().map(|p| p.name.as_str()).collect();
        return Err(CredentialError::NoSuchProfile {
            path: path.to_string(),
            name: name.to_string(),
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
    let describe = format!("aliyun CLI profile `{name}` ({mode})");
    let need = |key: &'static str, value: &str| -> Result<String, CredentialError> {
        if value.is_empty() {
            Err(CredentialError::MissingKey {
                provider: describe.clone(),
                path: path.to_string(),
                key,
            })
        } else {
            check_value(value, || format!("`{key}` of {describe} in {path}"))?;
            Ok(value.to_string())
        }
    };
    let opt = |v: &str| (!v.is_empty()).then(|| v.to_string());
    let key = || -> Result<Credentials, CredentialError> {
        Ok(Credentials {
            access_key_id: need("access_key_id", &p.access_key_id)?,
            access_key_secret: Secret::new(need("access_key_secret", &p.access_key_secret)?),
            security_token: None,
            source: describe.clone(),
        })
    };
    let role = |session_default: String| -> Result<RoleRequest, CredentialError> {
        Ok(RoleRequest {
            role_arn: need("ram_role_arn", &p.ram_role_arn)?,
            session_name: opt(&p.ram_session_name).unwrap_or(session_default),
            duration_seconds: if p.expired_seconds == 0 {
                sts::DEFAULT_DURATION_SECONDS
            } else {
                p.expired_seconds
            },
            policy: opt(&p.policy),
            external_id: opt(&p.external_id),
        })
    };
    let sts_region = opt(&p.sts_region);
    Ok(match mode {
        "AK" => Provider::Static(key()?),
        "StsToken" => {
            let mut c = key()?;
            c.security_token = Some(Secret::new(need("sts_token", &p.sts_token)?));
            Provider::Static(c)
        }
        "RamRoleArn" | "ChainableRamRoleArn" => {
            let source = if mode == "RamRoleArn" {
                Provider::Static(key()?)
            } else {
                let source = need("source_profile", &p.source_profile)?;
                if depth >= 8 {
                    return Err(CredentialError::Malformed {
                        provider: describe,
                        path: path.to_string(),
                        reason: "source_profile chains more than 8 profiles deep (a loop?)".into(),
                    });
                }
                build(env, config, &source, path, depth + 1)?
            };
            let role = role(sts::session_name(env)?)?;
            Provider::AssumeRole {
                source: Box::new(source),
                assume: AssumeRole {
                    describe: format!("{describe}, role {}", role.role_arn),
                    role,
                    endpoint: sts::endpoint(env, sts_region.as_deref())?,
                },
            }
        }
        "EcsRamRole" => Provider::Ecs(EcsRole::new(
            env,
            opt(&p.ram_role_name),
            Some(describe.clone()),
        )?),
        "OIDC" => {
            let role = role(sts::session_name(env)?)?;
            Provider::Oidc(Oidc {
                describe: format!("{describe}, OIDC role {}", role.role_arn),
                provider_arn: need("oidc_provider_arn", &p.oidc_provider_arn)?,
                token_file: PathBuf::from(need("oidc_token_file", &p.oidc_token_file)?),
                token_file_from: format!("`oidc_token_file` of profile `{name}`"),
                role,
                endpoint: sts::endpoint(env, sts_region.as_deref())?,
            })
        }
        "CredentialsURI" => Provider::Uri(CredentialsUri::parse(
            &need("credentials_uri", &p.credentials_uri)?,
            &describe,
        )?),
        "External" => Provider::External(External {
            command: need("process_command", &p.process_command)?,
            timeout: external_timeout(env)?,
            describe,
        }),
        "CloudSSO" | "OAuth" => {
            return Err(CredentialError::UnsupportedMode {
                name: name.to_string(),
                mode: mode.to_string(),
                instead: "it needs a browser sign-in that only the aliyun CLI can refresh; for a person, use a RamRoleArn profile (or run `aliyun configure export` and use the StsToken it prints), for automation use OIDC (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE) or an ECS RAM role",
            });
        }
        _ => {
            return Err(CredentialError::UnsupportedMode {
                name: name.to_string(),
                mode: mode.to_string(),
                instead: "use a profile in mode AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC, CredentialsURI or External",
            });
        }
    })
}

/// How long an `External` command may run: `VODPLAN_CREDENTIAL_PROCESS_TIMEOUT` seconds, else
/// 60 s (credentials-go `external.go`'s default).
pub fn external_timeout(env: Env<'_>) -> Result<Duration, CredentialError> {
    const VAR: &str = "VODPLAN_CREDENTIAL_PROCESS_TIMEOUT";
    match var(env, VAR)? {
        None => Ok(Duration::from_secs(60)),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
            .map(Duration::from_secs_f64)
            .ok_or(CredentialError::BadEndpoint {
                variable: VAR,
                value: v,
                reason: "not a number of seconds between 0 and 3600".into(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testenv::env_of;
    use super::*;

    fn config(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    const CONFIG: &str = r#"{"current":"main","profiles":[
        {"name":"main","mode":"AK","access_key_id":"AKMAIN","access_key_secret":"s1"},
        {"name":"sts","mode":"StsToken","access_key_id":"STS.x","access_key_secret":"s2","sts_token":"tok"},
        {"name":"role","mode":"RamRoleArn","access_key_id":"a","access_key_secret":"b","ram_role_arn":"acs:ram::1:role/x","sts_region":"cn-beijing"},
        {"name":"chain","mode":"ChainableRamRoleArn","source_profile":"role","ram_role_arn":"acs:ram::1:role/y"},
        {"name":"loop","mode":"ChainableRamRoleArn","source_profile":"loop","ram_role_arn":"acs:ram::1:role/y"},
        {"name":"ecs","mode":"EcsRamRole","ram_role_name":"r"},
        {"name":"oidc","mode":"OIDC","ram_role_arn":"acs:ram::1:role/o","oidc_provider_arn":"p","oidc_token_file":"/t"},
        {"name":"uri","mode":"CredentialsURI","credentials_uri":"http://127.0.0.1:1/c"},
        {"name":"ext","mode":"External","process_command":"get-creds --json"},
        {"name":"sso","mode":"CloudSSO"},
        {"name":"nokey","mode":"AK","access_key_id":"AK"},
        {"name":"bare","access_key_id":"AKBARE","access_key_secret":"s3"}]}"#;

    #[test]
    fn the_region_comes_from_the_profile_the_chain_would_use_from_the_same_reading() {
        let (_dir, path) = config(
            r#"{"current":"main","profiles":[
            {"name":"main","mode":"AK","access_key_id":"a","access_key_secret":"b","region_id":"cn-beijing"},
            {"name":"other","mode":"AK","access_key_id":"a","access_key_secret":"b","region_id":"eu-central-1"},
            {"name":"none","mode":"AK","access_key_id":"a","access_key_secret":"b"}]}"#,
        );
        let file = path.to_str().unwrap();
        let env = env_of(&[("ALIBABA_CLOUD_CONFIG_FILE", file)]);
        assert_eq!(
            region_of(&env, None),
            Some(("cn-beijing".into(), "main".into()))
        );
        assert_eq!(
            region_of(&env, Some("other")),
            Some(("eu-central-1".into(), "other".into()))
        );
        assert_eq!(region_of(&env, Some("none")), None);
        assert_eq!(region_of(&env, Some("missing")), None);
        let disabled = env_of(&[
            ("ALIBABA_CLOUD_CONFIG_FILE", file),
            ("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "TRUE"),
        ]);
        assert_eq!(region_of(&disabled, None), None);
        let (_bad, broken) = config("{not json");
        let env = env_of(&[("ALIBABA_CLOUD_CONFIG_FILE", broken.to_str().unwrap())]);
        assert_eq!(region_of(&env, None), None);
    }

    fn describe(path: &Path, profile: Option<&str>) -> Result<String, CredentialError> {
        let env = env_of(&[]);
        discover(&env, profile, path).map(|p| p.map(|p| p.describe()).unwrap_or_default())
    }

    #[test]
    fn every_mode_becomes_its_provider() {
        let (_d, path) = config(CONFIG);
        let cases = [
            (None, "aliyun CLI profile `main` (AK)"),
            (Some("sts"), "aliyun CLI profile `sts` (StsToken)"),
            (Some("bare"), "aliyun CLI profile `bare` (AK)"),
            (
                Some("role"),
                "aliyun CLI profile `role` (RamRoleArn), role acs:ram::1:role/x",
            ),
            (
                Some("chain"),
                "aliyun CLI profile `chain` (ChainableRamRoleArn), role acs:ram::1:role/y",
            ),
            (
                Some("ecs"),
                "aliyun CLI profile `ecs` (EcsRamRole) `r` from the metadata service at http://100.100.100.200",
            ),
            (
                Some("oidc"),
                "aliyun CLI profile `oidc` (OIDC), OIDC role acs:ram::1:role/o",
            ),
            (Some("uri"), "aliyun CLI profile `uri` (CredentialsURI)"),
            (Some("ext"), "aliyun CLI profile `ext` (External)"),
        ];
        for (profile, want) in cases {
            assert_eq!(describe(&path, profile).unwrap(), want, "{profile:?}");
        }
        let env = env_of(&[]);
        let Some(Provider::AssumeRole { assume, .. }) =
            discover(&env, Some("role"), &path).unwrap()
        else {
            panic!("not AssumeRole")
        };
        assert_eq!(
            assume.endpoint.as_str(),
            "https://sts.cn-beijing.aliyuncs.com/"
        );
    }

    #[test]
    fn refusals_name_the_profile_and_what_to_do() {
        let (_d, path) = config(CONFIG);
        let e = describe(&path, Some("sso")).unwrap_err().to_string();
        assert!(
            e.starts_with("aliyun CLI profile `sso` uses mode CloudSSO"),
            "{e}"
        );
        assert!(e.contains("OIDC"), "{e}");
        let e = describe(&path, Some("nokey")).unwrap_err().to_string();
        assert!(e.contains("lacks `access_key_secret`"), "{e}");
        let e = describe(&path, Some("loop")).unwrap_err().to_string();
        assert!(e.contains("more than 8"), "{e}");
        let e = describe(&path, Some("nope")).unwrap_err().to_string();
        assert!(e.contains("main, sts, role"), "{e}");
    }

    #[test]
    fn a_parse_error_does_not_echo_a_secret() {
        let (_d, path) = config(
            r#"{"current":"a","profiles":[{"name":"a","access_key_id":"x","access_key_secret":98765432123}]}"#,
        );
        let e = describe(&path, None).unwrap_err().to_string();
        assert!(!e.contains("98765432123"), "{e}");
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn disabled_or_absent_is_skipped() {
        let (_d, path) = config(CONFIG);
        let env = env_of(&[("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")]);
        assert!(discover(&env, None, &path).unwrap().is_none());
        let env = env_of(&[]);
        assert!(
            discover(&env, None, Path::new("/nonexistent/c.json"))
                .unwrap()
                .is_none()
        );
    }
}
