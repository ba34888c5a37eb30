//! The aliyun CLI's `External` mode: run `process_command` and read credentials as JSON from its
//! stdout, `{"mode":"AK"|"StsToken","access_key_id","access_key_secret","sts_token","expiration"}`
//! (credentials-go `credentials/providers/external.go`; the command is split into words, no
//! shell, as `command_split.go` does). It gets a bounded time (60 s as in the SDK, or
//! `VODPLAN_CREDENTIAL_PROCESS_TIMEOUT`) and is killed after it, so a command waiting for a
//! prompt cannot hang a run. Its stderr is not shown: such helpers print tokens in debug output.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{CredentialError, Issued};

/// An external credential command.
#[derive(Debug, Clone)]
pub struct External {
    pub command: String,
    pub timeout: Duration,
    pub describe: String,
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    mode: String,
    #[serde(default)]
    access_key_id: String,
    #[serde(default)]
    access_key_secret: String,
    #[serde(default)]
    sts_token: String,
    #[serde(default)]
    expiration: String,
}

/// Splits a command line into words: whitespace separates, '...' and "..." group, as
/// credentials-go's `command_split.go`.
pub fn split(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in command.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// A word of a command as it may be shown: the value of a `NAME=value` word is replaced.
fn shown_word(word: &str) -> String {
    match word.split_once('=') {
        Some((name, _)) => format!("{name}=***"),
        None => word.to_string(),
    }
}

impl External {
    pub async fn fetch(&self) -> Result<Issued, CredentialError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.run())
            .await
            .map_err(|source| CredentialError::Task {
                provider: self.describe.clone(),
                source,
            })?
    }

    fn run(&self) -> Result<Issued, CredentialError> {
        let fail = |r: String| CredentialError::provider(&self.describe, r);
        let words = split(&self.command);
        let Some((program_word, args)) = words.split_first() else {
            return Err(fail("process_command is empty".into()));
        };
        let program = shown_word(program_word);
        if program_word.contains('=') {
            // `NAME=value cmd` is a shell's environment assignment; without a shell it is a
            // program name, and its value is often a secret.
            return Err(fail(format!(
                "process_command starts with `{program}`, an environment assignment: it is run without a shell, as the aliyun CLI runs it; put the assignment in a script and name the script"
            )));
        }
        let mut child = Command::new(program_word)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| CredentialError::Process {
                provider: self.describe.clone(),
                doing: format!("cannot run `{program}`"),
                source,
            })?;
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            // Bounded: credentials are a few hundred bytes.
            let _ = (&mut stdout).take(1 << 20).read_to_end(&mut out);
            out
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() >= self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(fail(format!(
                        "`{program}` did not finish within {:?} and was stopped (VODPLAN_CREDENTIAL_PROCESS_TIMEOUT sets the limit)",
                        self.timeout
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(source) => {
                    return Err(CredentialError::Process {
                        provider: self.describe.clone(),
                        doing: format!("cannot wait for `{program}`"),
                        source,
                    });
                }
            }
        };
        let out = reader.join().unwrap_or_default();
        if !status.success() {
            return Err(fail(format!("`{program}` failed ({status})")));
        }
        let reply: Reply = serde_json::from_slice(&out).map_err(|e| {
            fail(format!(
                "the output of `{program}` {}",
                super::service::json_error_without_values(&e)
            ))
        })?;
        if reply.mode == "StsToken" && reply.sts_token.is_empty() {
            return Err(fail("the output has mode StsToken but no sts_token".into()));
        }
        super::sts::issued(
            &self.describe,
            reply.access_key_id,
            reply.access_key_secret,
            Some(reply.sts_token),
            Some(&reply.expiration),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_the_sdk() {
        assert_eq!(
            split(r#"get-creds --profile "my profile" 'a b'  x"#),
            ["get-creds", "--profile", "my profile", "a b", "x"]
        );
        assert!(split("   ").is_empty());
    }
}
