//! Provider 6 (and the aliyun CLI's `CredentialsURI` mode): `GET` a URL that answers
//! `{"Code":"Success","AccessKeyId","AccessKeySecret","SecurityToken","Expiration"}`
//! (credentials-go `credentials/providers/uri.go`; 5 s connect, 10 s read). The answer carries
//! secrets, so plain http is only allowed to this machine, the link-local range, or Alibaba
//! Cloud's metadata address 100.100.100.200 itself (not the rest of 100.64.0.0/10, which is
//! carrier-grade NAT and VPN space).

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

use super::service::CodedCredentials;
use super::{CredentialError, Env, Issued, var};

const VAR: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";

/// Alibaba Cloud's instance metadata address (the ECS provider's default endpoint).
const METADATA_ADDRESS: [u8; 4] = [100, 100, 100, 200];

/// A credentials answer is a few hundred bytes; more is not read.
const MAX_REPLY_BYTES: usize = 64 << 10;

/// A checked credentials URI.
#[derive(Debug, Clone)]
pub struct CredentialsUri {
    pub url: Url,
    pub describe: String,
}

/// The URI provider when `ALIBABA_CLOUD_CREDENTIALS_URI` is set.
pub fn discover(env: Env<'_>) -> Result<Option<CredentialsUri>, CredentialError> {
    match var(env, VAR)? {
        None => Ok(None),
        Some(u) => Ok(Some(CredentialsUri::parse(
            &u,
            "the credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI)",
        )?)),
    }
}

impl CredentialsUri {
    pub fn parse(text: &str, describe: &str) -> Result<CredentialsUri, CredentialError> {
        // The message names the variable; a description that is only the variable adds nothing.
        let bad = |reason: &str| CredentialError::BadEndpoint {
            variable: VAR,
            value: super::service::shown_url(text),
            reason: if describe.contains(VAR) {
                reason.to_string()
            } else {
                format!("{reason} ({describe})")
            },
        };
        let url = Url::parse(text).map_err(|_| bad("not a URL"))?;
        let host = url.host_str().unwrap_or_default().to_string();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let near = crate::vod::endpoint::is_loopback_host(&host)
            || bare.parse::<IpAddr>().is_ok_and(|ip| match ip {
                IpAddr::V4(v4) => v4.is_link_local() || v4.octets() == METADATA_ADDRESS,
                IpAddr::V6(_) => false,
            });
        match url.scheme() {
            "https" => {}
            "http" if near => {}
            "http" => {
                return Err(bad(
                    "plain http:// to a host that is not loopback, link-local or the metadata address 100.100.100.200 would carry the keys unencrypted; use https://",
                ));
            }
            _ => return Err(bad("use https:// (or http:// to this machine)")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("a user name or password in the URL is not supported"));
        }
        Ok(CredentialsUri {
            url,
            describe: describe.to_string(),
        })
    }

    pub async fn fetch(&self) -> Result<Issued, CredentialError> {
        const T: Duration = Duration::from_secs(10);
        let http = super::service::http(Duration::from_secs(5), T);
        let fail = |r: String| CredentialError::provider(&self.describe, r);
        let response = http
            .get(self.url.clone())
            .send()
            .await
            .map_err(|e| fail(super::service::send_error(&e, T)))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(fail(format!("HTTP {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| fail(super::service::send_error(&e, T)))?;
        if body.len() > MAX_REPLY_BYTES {
            return Err(fail(format!(
                "the reply is larger than credentials can be ({} KiB)",
                MAX_REPLY_BYTES >> 10
            )));
        }
        let reply: CodedCredentials = serde_json::from_slice(&body).map_err(|e| {
            fail(format!(
                "the reply {}",
                super::service::json_error_without_values(&e)
            ))
        })?;
        if reply.code != "Success" {
            return Err(fail("the reply's Code is not Success".into()));
        }
        super::sts::issued(
            &self.describe,
            reply.access_key_id,
            reply.access_key_secret,
            Some(reply.security_token),
            Some(&reply.expiration),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_nearby_and_no_secret_in_the_message() {
        assert!(CredentialsUri::parse("http://127.0.0.1:9/c", "u").is_ok());
        assert!(CredentialsUri::parse("http://100.100.100.200/c", "u").is_ok());
        assert!(CredentialsUri::parse("http://100.100.7.9/c", "u").is_err());
        assert!(CredentialsUri::parse("https://creds.example.com/c", "u").is_ok());
        let e = CredentialsUri::parse("http://creds.example.com/c?token=s3cr3t", "u")
            .unwrap_err()
            .to_string();
        assert!(e.contains("plain http://") && !e.contains("s3cr3t"), "{e}");
    }
}
