//! Provider 4: the SDKs' own credentials file (`ALIBABA_CLOUD_CREDENTIALS_FILE`, else
//! `~/.alibabacloud/credentials`), an INI file whose section is the profile (`--profile`, else
//! `ALIBABA_CLOUD_PROFILE`, else `default`); credentials-go `credentials/providers/profile.go`.
//! Types: `access_key`, `ecs_ram_role` (`role_name`), `ram_role_arn` (`access_key_id`,
//! `access_key_secret`, `role_arn`, `role_session_name`, `policy`).
//!
//! The format is a handful of `[section]` and `key = value` lines; parsing it is a dozen lines,
//! less than an INI crate's surface. A line that is neither is an error naming its line number,
//! never its text (it may be a secret).

use std::collections::HashMap;
use std::path::PathBuf;

use super::ecs::EcsRole;
use super::sts::{self, AssumeRole, RoleRequest};
use super::{CredentialError, Credentials, Env, Provider, Secret, check_value, var};

const PROVIDER: &str = "credentials file";

/// Sections of an INI text, each a map of keys; `Err(line)` for a line that is not INI.
fn parse(text: &str) -> Result<HashMap<String, HashMap<String, String>>, usize> {
    let mut sections: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.trim().to_string());
            sections.entry(name.trim().to_string()).or_default();
            continue;
        }
        match (line.split_once('='), &current) {
            (Some((k, v)), Some(section)) => {
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                sections
                    .entry(section.clone())
                    .or_default()
                    .insert(k.trim().to_string(), v.to_string());
            }
            _ => return Err(i + 1),
        }
    }
    Ok(sections)
}

/// The profile's provider, or `None` when the default file does not exist or has no such section.
pub fn discover(env: Env<'_>, profile: Option<&str>) -> Result<Option<Provider>, CredentialError> {
    let (path, named) = match var(env, "ALIBABA_CLOUD_CREDENTIALS_FILE")? {
        Some(p) => (PathBuf::from(p), true),
        None => (
            super::home(env).join(".alibabacloud").join("credentials"),
            false,
        ),
    };
    let shown = path.display().to_string();
    let text = match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => return Ok(None),
        Err(e) => {
            return Err(CredentialError::Read {
                provider: format!(
                    "{PROVIDER}{}",
                    if named {
                        " (ALIBABA_CLOUD_CREDENTIALS_FILE)"
                    } else {
                        ""
                    }
                ),
                path: shown,
                source: e,
            });
        }
        Ok(t) => t,
    };
    let text = String::from_utf8(text).map_err(|_| CredentialError::NotUtf8 {
        what: format!("the {PROVIDER} {shown}"),
    })?;
    let sections = parse(&text).map_err(|line| CredentialError::Malformed {
        provider: PROVIDER.into(),
        path: shown.clone(),
        reason: format!("line {line} is neither `[section]` nor `key = value` inside a section"),
    })?;
    let name = profile.unwrap_or("default");
    let Some(s) = sections.get(name) else {
        return Ok(None);
    };
    let describe = format!("credentials file {shown} [{name}]");
    let need = |key: &'static str| -> Result<String, CredentialError> {
        match s.get(key).filter(|v| !v.is_empty()) {
            None => Err(CredentialError::MissingKey {
                provider: describe.clone(),
                path: shown.clone(),
                key,
            }),
            Some(v) => {
                check_value(v, || format!("`{key}` of [{name}] in {shown}"))?;
                Ok(v.clone())
            }
        }
    };
    let key = || -> Result<Credentials, CredentialError> {
        Ok(Credentials {
            access_key_id: need("access_key_id")?,
            access_key_secret: Secret::new(need("access_key_secret")?),
            security_token: None,
            source: describe.clone(),
        })
    };
    let kind = need("type")?;
    Ok(Some(match kind.as_str() {
        "access_key" => Provider::Static(key()?),
        "ecs_ram_role" => Provider::Ecs(EcsRole::new(
            env,
            s.get("role_name").filter(|r| !r.is_empty()).cloned(),
            Some(describe.clone()),
        )?),
        "ram_role_arn" => {
            let role = RoleRequest {
                role_arn: need("role_arn")?,
                session_name: match s.get("role_session_name").filter(|v| !v.is_empty()) {
                    Some(v) => v.clone(),
                    None => sts::session_name(env)?,
                },
                duration_seconds: sts::DEFAULT_DURATION_SECONDS,
                policy: s.get("policy").filter(|v| !v.is_empty()).cloned(),
                external_id: None,
            };
            Provider::AssumeRole {
                source: Box::new(Provider::Static(key()?)),
                assume: AssumeRole {
                    describe: format!("{describe}, role {}", role.role_arn),
                    role,
                    endpoint: sts::endpoint(env, None)?,
                },
            }
        }
        other => {
            return Err(CredentialError::Malformed {
                provider: describe.clone(),
                path: shown.clone(),
                reason: format!(
                    "type `{other}` is not one vodplan supports (access_key, ecs_ram_role, ram_role_arn)"
                ),
            });
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::super::testenv::env_of;
    use super::*;

    #[test]
    fn sections_types_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("creds");
        std::fs::write(
            &path,
            "# comment\n[default]\ntype = access_key\naccess_key_id = AK1\naccess_key_secret = \"s\"\n\n[ecs]\ntype=ecs_ram_role\nrole_name=r\n[role]\ntype = ram_role_arn\naccess_key_id = AK\naccess_key_secret = s\nrole_arn = acs:ram::1:role/x\n[bad]\ntype = chaos\n",
        )
        .unwrap();
        let p = path.to_str().unwrap();
        let env = env_of(&[("ALIBABA_CLOUD_CREDENTIALS_FILE", p)]);
        let describe = |profile| discover(&env, profile).map(|p| p.map(|p| p.describe()));
        assert_eq!(
            describe(None).unwrap().unwrap(),
            format!("credentials file {p} [default]")
        );
        assert_eq!(
            describe(Some("ecs")).unwrap().unwrap(),
            format!(
                "credentials file {p} [ecs] `r` from the metadata service at http://100.100.100.200"
            )
        );
        assert_eq!(
            describe(Some("role")).unwrap().unwrap(),
            format!("credentials file {p} [role], role acs:ram::1:role/x")
        );
        assert!(describe(Some("none")).unwrap().is_none());
        let e = describe(Some("bad")).unwrap_err().to_string();
        assert!(e.contains("type `chaos`"), "{e}");

        std::fs::write(&path, "[default]\nsecret-without-equals 12345\n").unwrap();
        let e = describe(None).unwrap_err().to_string();
        assert!(e.contains("line 2") && !e.contains("12345"), "{e}");
    }
}
