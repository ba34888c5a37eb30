//! Which URL the API calls go to, and the rule that keeps secrets off plain HTTP.
//!
//! `--endpoint` / `VODPLAN_ENDPOINT` win; otherwise `https://vod.<region>.aliyuncs.com`. Plain
//! `http://` is only allowed to a loopback host (the emulator), never across a network.

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;

/// A checked API base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: Url,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    #[error("endpoint `{0}` is not a URL such as https://vod.cn-shanghai.aliyuncs.com")]
    NotAUrl(String),
    #[error("endpoint `{0}` uses {1}; use https:// (or http:// to a loopback emulator)")]
    Scheme(String, String),
    #[error(
        "endpoint `{0}` is plain http:// to a host that is not loopback; signed requests would cross the network unencrypted. Use https://, or http:// only to 127.0.0.1, ::1 or localhost"
    )]
    PlainHttp(String),
    #[error(
        "endpoint `{0}` has a path, query, fragment or credentials; give only scheme, host and port"
    )]
    Extra(String),
    #[error("region `{0}` is not a region ID such as cn-shanghai")]
    BadRegion(String),
}

/// Whether `host` is on this machine: 127.0.0.0/8, ::1 or localhost.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Endpoint {
    /// The endpoint for `explicit` (if given) or the region's public endpoint.
    pub fn resolve(explicit: Option<&str>, region: &str) -> Result<Endpoint, EndpointError> {
        match explicit {
            Some(e) => Endpoint::parse(e),
            None => {
                // Only a malformed region cannot make a host name; a near miss of a known region
                // is the caller's to refuse, with a suggestion.
                if let Err(crate::ids::RegionError::Malformed(r)) = crate::ids::Region::new(region)
                {
                    return Err(EndpointError::BadRegion(r));
                }
                Endpoint::parse(&format!("https://vod.{region}.aliyuncs.com"))
            }
        }
    }

    /// Parses and checks `text`. An error shows it as [`shown`] does: a user name, password,
    /// query or fragment can hold a secret and is never echoed.
    pub fn parse(text: &str) -> Result<Endpoint, EndpointError> {
        let url = Url::parse(text).map_err(|_| EndpointError::NotAUrl(shown(text)))?;
        let host = url
            .host_str()
            .ok_or_else(|| EndpointError::NotAUrl(shown(text)))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback_host(host) => {}
            "http" => return Err(EndpointError::PlainHttp(shown(text))),
            other => return Err(EndpointError::Scheme(shown(text), other.to_string())),
        }
        if url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(EndpointError::Extra(shown(text)));
        }
        Ok(Endpoint { url })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Where an action served only in China (Shanghai) goes: the Shanghai public endpoint when
    /// this is a region's public endpoint (`vod.<region>.aliyuncs.com`), else this one (an
    /// explicit endpoint, such as the emulator, is taken as given).
    pub fn shanghai(&self) -> Endpoint {
        let host = self.url.host_str().unwrap_or_default();
        let public = host.starts_with("vod.") && host.ends_with(".aliyuncs.com");
        if !public || self.url.port().is_some() {
            return self.clone();
        }
        let mut url = self.url.clone();
        match url.set_host(Some("vod.cn-shanghai.aliyuncs.com")) {
            Ok(()) => Endpoint { url },
            Err(_) => self.clone(),
        }
    }

    /// The `host` header value as signed: the host, plus the port when it is not the default.
    pub fn host_header(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }
}

/// A URL as it may be shown in a message: its user name, password, query and fragment (which
/// can hold a secret) replaced by `***`. Text that is not a URL is shown only when it has none of
/// `@ ? #`.
pub fn shown(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) => {
            if !url.username().is_empty() {
                let _ = url.set_username("***");
            }
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            if url.query().is_some() {
                url.set_query(Some("***"));
            }
            if url.fragment().is_some() {
                url.set_fragment(Some("***"));
            }
            url.to_string()
        }
        Err(_) if text.contains(['@', '?', '#']) => "(a value that is not shown)".to_string(),
        Err(_) => text.to_string(),
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str().trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_the_region_and_refuses_plain_http_off_loopback() {
        let e = Endpoint::resolve(None, "cn-beijing").unwrap();
        assert_eq!(e.to_string(), "https://vod.cn-beijing.aliyuncs.com");
        assert_eq!(e.host_header(), "vod.cn-beijing.aliyuncs.com");
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.8.9.1",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(Endpoint::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:8080")
                .unwrap()
                .host_header(),
            "127.0.0.1:8080"
        );
        assert!(matches!(
            Endpoint::parse("http://10.0.0.1"),
            Err(EndpointError::PlainHttp(_))
        ));
        assert!(matches!(
            Endpoint::parse("http://vod.example.com"),
            Err(EndpointError::PlainHttp(_))
        ));
        assert!(matches!(
            Endpoint::parse("ftp://localhost"),
            Err(EndpointError::Scheme(..))
        ));
        assert!(matches!(
            Endpoint::parse("https://x.com/api"),
            Err(EndpointError::Extra(_))
        ));
        assert_eq!(
            e.shanghai().to_string(),
            "https://vod.cn-shanghai.aliyuncs.com"
        );
        let local = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(local.shanghai(), local);
        assert_eq!(
            Endpoint::parse("https://AKID:S3cret@vod.cn-shanghai.aliyuncs.com/?token=t0k#frag")
                .unwrap_err()
                .to_string(),
            "endpoint `https://***:***@vod.cn-shanghai.aliyuncs.com/?***#***` has a path, query, fragment or credentials; give only scheme, host and port"
        );
        assert!(matches!(
            Endpoint::parse("https://vod.cn-shanghai.aliyuncs.com#x"),
            Err(EndpointError::Extra(_))
        ));
        assert!(matches!(
            Endpoint::resolve(None, "cn shanghai"),
            Err(EndpointError::BadRegion(_))
        ));
    }
}
