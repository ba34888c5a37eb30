//! The environment providers read, injectable ([`Env`]) so that tests need not touch the process
//! environment, and how its values are read (a non-UTF-8 value is an error, not an unset one).

use std::ffi::OsString;
use std::path::PathBuf;

use super::error::CredentialError;

/// A lookup of environment variables, injectable so that tests need not touch the process
/// environment. Values are `OsString` so that a non-UTF-8 value is told apart from an unset one.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// The process environment, as an [`Env`].
pub fn process_env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// A variable's value: `None` when unset or empty, an error when not UTF-8.
pub fn var(env: Env<'_>, name: &str) -> Result<Option<String>, CredentialError> {
    match env(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v
            .into_string()
            .map(Some)
            .map_err(|_| CredentialError::NotUtf8 {
                what: name.to_string(),
            }),
    }
}

/// Whether a switch variable is `true` (any case), as the SDKs read them.
pub fn flag(env: Env<'_>, name: &str) -> bool {
    env(name).is_some_and(|v| v.to_string_lossy().eq_ignore_ascii_case("true"))
}

/// The home directory, from `HOME` (`USERPROFILE` on Windows) of `env`.
pub fn home(env: Env<'_>) -> PathBuf {
    env("HOME")
        .or_else(|| env("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_default()
}
