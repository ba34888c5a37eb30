//! Keeping temporary credentials fresh while calls keep flowing.
//!
//! The SDKs renew when 180 s or less remain (credentials-go `oidc.go`, `ram_role_arn.go`,
//! `ecs_ram_role.go`: `needUpdateCredential`). A fixed 180 s margin would renew a 60 s credential
//! at every call, so the margin is the smaller of 180 s and a third of the lifetime: a one-hour
//! key is renewed 3 minutes ahead, a 60 s key at 40 s.
//!
//! Single flight: once a renewal is due, the first caller renews while every other call keeps
//! using the still-valid credentials; nobody waits unless the credentials have actually expired.
//! A renewal that fails while the old keys still work is tried again a little later; once they
//! have expired, callers wait for one renewal (with a few retries), and if that fails the error
//! is returned, which the client reports as an authentication failure that stops the run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::{Chain, CredentialError, Credentials, Issued, Provider};

/// The SDKs' renewal margin.
const MAX_MARGIN: Duration = Duration::from_secs(180);
/// Credentials this close to expiry are treated as expired (clock skew, time in flight).
const EXPIRY_SLACK: Duration = Duration::from_secs(2);
/// After a failed early renewal, how long to keep using the old keys before trying again.
const RETRY_EARLY: Duration = Duration::from_secs(2);
/// Attempts for a renewal that callers wait for.
const BLOCKING_ATTEMPTS: u32 = 3;

/// Credentials in use, numbered so that a caller can tell whether someone renewed them already.
#[derive(Debug)]
pub struct Current {
    pub issued: Issued,
    pub generation: u64,
    obtained_at: OffsetDateTime,
}

impl Current {
    pub fn credentials(&self) -> &Credentials {
        &self.issued.credentials
    }

    fn remaining(&self, now: OffsetDateTime) -> Option<time::Duration> {
        self.issued.expires_at.map(|e| e - now)
    }

    /// Whether the renewal margin has been reached.
    fn due(&self, now: OffsetDateTime) -> bool {
        let (Some(expires), Some(remaining)) = (self.issued.expires_at, self.remaining(now)) else {
            return false;
        };
        let lifetime: time::Duration = (expires - self.obtained_at).max(time::Duration::ZERO);
        let max = time::Duration::try_from(MAX_MARGIN).unwrap_or_default();
        let third: time::Duration = lifetime / 3_i32;
        let margin = third.min(max);
        remaining <= margin
    }

    fn expired(&self, now: OffsetDateTime) -> bool {
        self.remaining(now)
            .is_some_and(|r| r <= time::Duration::try_from(EXPIRY_SLACK).unwrap_or_default())
    }
}

/// Where the client gets its credentials: a provider and what it last handed out.
#[derive(Clone)]
pub struct CredentialSource {
    inner: Arc<Inner>,
}

struct Inner {
    provider: Provider,
    describe: String,
    current: RwLock<Arc<Current>>,
    renewing: tokio::sync::Mutex<()>,
    not_before: Mutex<Option<Instant>>,
    renewals: AtomicU64,
}

impl std::fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialSource")
            .field("provider", &self.inner.describe)
            .finish()
    }
}

impl CredentialSource {
    /// Fixed credentials that never change (tests, the demo, a plain access key).
    pub fn fixed(credentials: Credentials) -> CredentialSource {
        let describe = credentials.source.clone();
        CredentialSource::with(
            Provider::Static(credentials.clone()),
            describe,
            Issued {
                credentials,
                expires_at: None,
            },
        )
    }

    fn with(provider: Provider, describe: String, issued: Issued) -> CredentialSource {
        CredentialSource {
            inner: Arc::new(Inner {
                provider,
                describe,
                current: RwLock::new(Arc::new(Current {
                    issued,
                    generation: 0,
                    obtained_at: OffsetDateTime::now_utc(),
                })),
                renewing: tokio::sync::Mutex::new(()),
                not_before: Mutex::new(None),
                renewals: AtomicU64::new(0),
            }),
        }
    }

    /// Fetches the first credentials from the chain's first provider that gives some. Only a
    /// failed ECS metadata probe that nothing asked for lets the next candidate be tried.
    pub async fn start(chain: Chain) -> Result<CredentialSource, CredentialError> {
        let mut tried = Vec::new();
        for provider in chain.candidates {
            match provider.fetch().await {
                Ok(issued) => {
                    let describe = provider.describe();
                    return Ok(CredentialSource::with(provider, describe, issued));
                }
                Err(e) => match &provider {
                    Provider::Ecs(ecs) if ecs.configured_by.is_none() => tried.push(e.to_string()),
                    _ => return Err(e),
                },
            }
        }
        Err(CredentialError::Missing {
            path: chain.cli_config.display().to_string(),
            tried: if tried.is_empty() {
                String::new()
            } else {
                format!(" (tried: {})", tried.join("; "))
            },
        })
    }

    /// Which provider supplied the credentials; never a value.
    pub fn describe(&self) -> String {
        self.inner.describe.clone()
    }

    /// Whether the credentials can be renewed (they come from STS, ECS, a URI or a command).
    pub fn renews(&self) -> bool {
        self.inner.provider.renews()
    }

    /// How many times the credentials were renewed.
    pub fn renewals(&self) -> u64 {
        self.inner.renewals.load(Ordering::Relaxed)
    }

    /// The credentials in use now (for [`crate::vod::ClientConfig`]; signing asks [`Self::get`]).
    pub fn current_credentials(&self) -> Credentials {
        self.load().issued.credentials.clone()
    }

    fn load(&self) -> Arc<Current> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Credentials to sign a call with, renewing them first when needed (see the module docs).
    pub async fn get(&self) -> Result<Arc<Current>, CredentialError> {
        let cur = self.load();
        let now = OffsetDateTime::now_utc();
        if !cur.due(now) {
            return Ok(cur);
        }
        if !cur.expired(now) {
            // Renew early, unless someone is at it or an early renewal just failed.
            let Ok(_guard) = self.inner.renewing.try_lock() else {
                return Ok(cur);
            };
            let latest = self.load();
            if latest.generation != cur.generation {
                return Ok(latest);
            }
            {
                let nb = self
                    .inner
                    .not_before
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                if nb.is_some_and(|t| Instant::now() < t) {
                    return Ok(cur);
                }
            }
            return match self.inner.provider.fetch().await {
                Ok(issued) => Ok(self.store(issued, cur.generation)),
                Err(_) => {
                    *self
                        .inner
                        .not_before
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + RETRY_EARLY);
                    Ok(cur)
                }
            };
        }
        self.renew_after(cur.generation).await
    }

    /// Renews the credentials of `generation`, which the service refused as expired (or which
    /// have expired), unless someone already did; waits for it.
    pub async fn renew_after(&self, generation: u64) -> Result<Arc<Current>, CredentialError> {
        let _guard = self.inner.renewing.lock().await;
        let latest = self.load();
        if latest.generation != generation && !latest.expired(OffsetDateTime::now_utc()) {
            return Ok(latest);
        }
        if !self.renews() {
            return Ok(latest);
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.inner.provider.fetch().await {
                Ok(issued) => return Ok(self.store(issued, latest.generation)),
                Err(e) if attempt >= BLOCKING_ATTEMPTS => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(250 << attempt)).await,
            }
        }
    }

    fn store(&self, issued: Issued, previous: u64) -> Arc<Current> {
        let next = Arc::new(Current {
            issued,
            generation: previous + 1,
            obtained_at: OffsetDateTime::now_utc(),
        });
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = next.clone();
        *self
            .inner
            .not_before
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        self.inner.renewals.fetch_add(1, Ordering::Relaxed);
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vod::credentials::Secret;

    fn current(lifetime_s: i64, age_s: i64) -> Current {
        let now = OffsetDateTime::now_utc();
        Current {
            issued: Issued {
                credentials: Credentials {
                    access_key_id: "a".into(),
                    access_key_secret: Secret::new("b"),
                    security_token: None,
                    source: "t".into(),
                },
                expires_at: Some(
                    now - time::Duration::seconds(age_s) + time::Duration::seconds(lifetime_s),
                ),
            },
            generation: 0,
            obtained_at: now - time::Duration::seconds(age_s),
        }
    }

    /// An `External` provider whose script counts its runs and hands out keys living ~12 s.
    #[cfg(unix)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn one_renewal_at_a_time_while_others_keep_the_valid_keys() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("creds.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\ncd {}\necho x >> runs\nsleep 0.2\nexp=$(date -u -d @$(( $(date +%s) + 12 )) +%Y-%m-%dT%H:%M:%SZ)\necho \"{{\\\"access_key_id\\\":\\\"id$(wc -l < runs)\\\",\\\"access_key_secret\\\":\\\"s\\\",\\\"expiration\\\":\\\"$exp\\\"}}\"\n",
                dir.path().display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let provider = Provider::External(crate::vod::credentials::external::External {
            command: script.display().to_string(),
            timeout: Duration::from_secs(10),
            describe: "test".into(),
        });
        let source = CredentialSource::start(Chain {
            candidates: vec![provider],
            cli_config: "x".into(),
        })
        .await
        .unwrap();
        let runs = || {
            std::fs::read_to_string(dir.path().join("runs"))
                .unwrap()
                .lines()
                .count()
        };
        assert_eq!(runs(), 1);
        assert_eq!(source.current_credentials().access_key_id, "id1");
        // Wait until the renewal margin (a third of ~12 s) is reached but the keys are still
        // valid (more than the 2 s slack left), then ask from 20 tasks.
        tokio::time::sleep(Duration::from_millis(8500)).await;
        let started = Instant::now();
        let calls: Vec<_> = (0..20)
            .map(|_| {
                let s = source.clone();
                tokio::spawn(async move {
                    let t = Instant::now();
                    let c = s.get().await.unwrap();
                    (t.elapsed(), c.credentials().access_key_id.clone())
                })
            })
            .collect();
        let mut waited = 0;
        for c in calls {
            let (took, _) = c.await.unwrap();
            if took >= Duration::from_millis(150) {
                waited += 1;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(runs(), 2, "one renewal for 20 callers");
        assert!(waited <= 1, "only the renewing caller waits, {waited} did");
        assert_eq!(source.renewals(), 1);
        assert_eq!(
            source.get().await.unwrap().credentials().access_key_id,
            "id2"
        );
    }

    #[test]
    fn margin_is_180s_or_a_third_of_the_lifetime() {
        let now = OffsetDateTime::now_utc();
        assert!(!current(3600, 3400).due(now));
        assert!(current(3600, 3421).due(now));
        assert!(!current(60, 39).due(now));
        assert!(current(60, 41).due(now));
        assert!(!current(60, 41).expired(now));
        assert!(current(60, 59).expired(now));
        let fixed = CredentialSource::fixed(current(1, 0).issued.credentials);
        assert!(!fixed.renews());
    }
}
