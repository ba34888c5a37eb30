//! Signature verification, the way the VOD gateway checks what the official SDKs send.
//!
//! V3: the `Authorization` header names the signed headers; only those are canonicalized (the
//! Python SDK signs more than the documented minimum). V1: every parameter of the query and of a
//! form body except `Signature`, empty values included. Either way the query is decoded and
//! re-encoded with RFC 3986 rules (the tea SDK sends `+` for a space but signs `%20`), the
//! timestamp must be within 15 minutes of the emulator's clock, and a nonce can be used once.
//!
//! Keys: the long-term pair (`Keys`), and every temporary key the emulator issued (`sts::Issuer`),
//! which must come with its own security token and is refused once its `Expiration` has passed.
//!
//! The canonical strings are the emulator's own (`canonical`), written from the documentation
//! apart from the client's signer, so that the two check each other.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use time::OffsetDateTime;

use super::ServiceError;
use super::canonical;
use super::sts::Issuer;
use crate::timefmt;

/// How far a request's time may be from the emulator's clock.
pub const CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// The credentials the emulator accepts.
/// (`Debug` shows the key ID only.)
#[derive(Clone)]
pub struct Keys {
    pub access_key_id: String,
    pub access_key_secret: String,
    /// When set, every request must carry this STS token.
    pub security_token: Option<String>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Default for Keys {
    fn default() -> Self {
        Keys {
            access_key_id: "testid".into(),
            access_key_secret: "testsecret".into(),
            security_token: None,
        }
    }
}

/// Nonces seen within the clock-skew window.
#[derive(Default)]
pub struct NonceStore {
    seen: Mutex<HashMap<String, Instant>>,
}

impl NonceStore {
    /// Records a nonce; false when it was used already.
    fn first_use(&self, nonce: &str) -> bool {
        let mut seen = self.seen.lock().expect("nonce lock");
        let now = Instant::now();
        if seen.len() > 100_000 {
            seen.retain(|_, t| now.duration_since(*t) < CLOCK_SKEW * 2);
        }
        seen.insert(nonce.to_string(), now).is_none()
    }
}

/// A request as the server received it.
pub struct Incoming<'a> {
    pub method: &'a str,
    /// The request path (`/` for the RPC APIs).
    pub path: &'a str,
    pub headers: &'a HeaderMap,
    /// Query parameters, decoded.
    pub query: Vec<(String, String)>,
    /// Form-body parameters, decoded.
    pub form: Vec<(String, String)>,
    pub body: &'a [u8],
}

/// A verified request: which operation, with which API parameters.
#[derive(Debug)]
pub struct Verified {
    pub action: String,
    pub params: HashMap<String, String>,
}

fn err(status: u16, code: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::new(status, code, message)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn check_time(text: &str, now: OffsetDateTime) -> Result<(), ServiceError> {
    let t = timefmt::parse(text).ok_or_else(|| {
        err(
            400,
            "InvalidTimeStamp.Format",
            format!("Specified time stamp or date value is not well formatted: {text}"),
        )
    })?;
    if (now - t).unsigned_abs() > CLOCK_SKEW {
        return Err(err(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    Ok(())
}

/// Finds the secret a request must be signed with: the long-term key's, or that of a temporary
/// key the emulator issued ([`Issuer`]), which needs its own security token and must not have
/// expired. Codes: `InvalidAccessKeyId.NotFound` (404), `MissingSecurityToken`,
/// `InvalidSecurityToken.MismatchWithAccessKey` and `InvalidSecurityToken.Expired` (400; the codes
/// as the service reports them in SDK issues, the messages [unverified]).
fn check_key(
    keys: &Keys,
    issuer: &Issuer,
    access_key_id: &str,
    token: Option<&str>,
    now: OffsetDateTime,
) -> Result<String, ServiceError> {
    if access_key_id == keys.access_key_id {
        if let Some(expected) = &keys.security_token
            && token != Some(expected.as_str())
        {
            return Err(err(
                400,
                "InvalidSecurityToken.Mismatch",
                "Specified SecurityToken is invalid.",
            ));
        }
        return Ok(keys.access_key_secret.clone());
    }
    let Some(issued) = issuer.find(access_key_id) else {
        return Err(err(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ));
    };
    match token {
        None | Some("") => Err(err(
            400,
            "MissingSecurityToken",
            "SecurityToken is mandatory for this action.",
        )),
        Some(t) if t != issued.security_token => Err(err(
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        )),
        Some(_) if now >= issued.expires => Err(err(
            400,
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        )),
        Some(_) => Ok(issued.access_key_secret),
    }
}

fn mismatch(string_to_sign: &str) -> ServiceError {
    err(
        400,
        "SignatureDoesNotMatch",
        format!(
            "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
        ),
    )
}

/// Who may call: the long-term key, and the temporary keys issued so far.
pub struct Identities<'a> {
    pub keys: &'a Keys,
    pub issuer: &'a Issuer,
}

/// Verifies a request signed with V3 or V1, for an API of `version` (VOD `2017-03-21`, STS
/// `2015-04-01`).
pub fn verify(
    req: &Incoming<'_>,
    who: &Identities<'_>,
    nonces: &NonceStore,
    now: OffsetDateTime,
    version: &str,
) -> Result<Verified, ServiceError> {
    match header(req.headers, "authorization") {
        Some(auth) if auth.starts_with(canonical::ACS3) => {
            verify_v3(req, auth, who, nonces, now, version)
        }
        Some(_) => Err(err(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards.",
        )),
        None => verify_v1(req, who, nonces, now, version),
    }
}

fn check_version(got: &str, expected: &str) -> Result<(), ServiceError> {
    if got == expected {
        Ok(())
    } else {
        Err(err(
            400,
            "InvalidVersion",
            format!("Specified parameter Version is not valid: {got}"),
        ))
    }
}

fn verify_v3(
    req: &Incoming<'_>,
    auth: &str,
    who: &Identities<'_>,
    nonces: &NonceStore,
    now: OffsetDateTime,
    version: &str,
) -> Result<Verified, ServiceError> {
    let parsed = canonical::parse_authorization(auth).ok_or_else(|| {
        err(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards.",
        )
    })?;
    for required in [
        "host",
        "x-acs-action",
        "x-acs-version",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
    ] {
        if !parsed.signed_headers.contains(&required) {
            return Err(err(
                400,
                "IncompleteSignature",
                format!("The header {required} must be signed."),
            ));
        }
    }
    let get = |name: &str| header(req.headers, name);
    let action = get("x-acs-action").unwrap_or_default().to_string();
    let date = get("x-acs-date").unwrap_or_default();
    let nonce = get("x-acs-signature-nonce").unwrap_or_default();
    let payload = get("x-acs-content-sha256").unwrap_or_default();
    let secret = check_key(
        who.keys,
        who.issuer,
        parsed.credential,
        get("x-acs-security-token"),
        now,
    )?;
    if payload != canonical::sha256_hex(req.body) {
        return Err(err(
            400,
            "ContentSHA256NotMatch",
            "x-acs-content-sha256 does not match the request body.",
        ));
    }
    let mut headers = Vec::with_capacity(parsed.signed_headers.len());
    for name in &parsed.signed_headers {
        let values: Vec<String> = req
            .headers
            .get_all(*name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        if values.is_empty() {
            return Err(err(
                400,
                "IncompleteSignature",
                format!("The signed header {name} is missing."),
            ));
        }
        headers.push((name.to_string(), values));
    }
    let query: Vec<(&str, &str)> = req
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let canonical_request = canonical::v3_canonical_request(&canonical::V3Request {
        method: req.method,
        path: req.path,
        query: &query,
        signed_headers: &headers,
        payload_sha256: payload,
    });
    if canonical::v3_signature(&secret, &canonical_request) != parsed.signature {
        return Err(mismatch(&canonical::v3_string_to_sign(&canonical_request)));
    }
    check_time(date, now)?;
    if !nonces.first_use(nonce) {
        return Err(err(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    check_version(get("x-acs-version").unwrap_or_default(), version)?;
    let params = req.query.iter().chain(&req.form).cloned().collect();
    Ok(Verified { action, params })
}

fn verify_v1(
    req: &Incoming<'_>,
    who: &Identities<'_>,
    nonces: &NonceStore,
    now: OffsetDateTime,
    version: &str,
) -> Result<Verified, ServiceError> {
    let all: Vec<(String, String)> = req.query.iter().chain(&req.form).cloned().collect();
    let get = |name: &str| all.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    for required in [
        "Signature",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureNonce",
        "Timestamp",
        "Action",
        "Version",
    ] {
        if get(required).is_none() {
            return Err(err(
                400,
                &format!("Missing{required}"),
                format!("{required} is mandatory for this action."),
            ));
        }
    }
    if get("SignatureMethod") != Some("HMAC-SHA1") {
        return Err(err(
            400,
            "InvalidSignatureMethod",
            "Specified signature method is not supported.",
        ));
    }
    if get("SignatureVersion").is_some_and(|v| v != "1.0") {
        return Err(err(
            400,
            "InvalidSignatureVersion",
            "Specified signature version is not supported.",
        ));
    }
    let secret = check_key(
        who.keys,
        who.issuer,
        get("AccessKeyId").unwrap_or_default(),
        get("SecurityToken"),
        now,
    )?;
    let signed: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let string_to_sign = canonical::v1_string_to_sign(req.method, &signed);
    let expected = canonical::v1_signature(&secret, &string_to_sign);
    if Some(expected.as_str()) != get("Signature") {
        return Err(mismatch(&string_to_sign));
    }
    check_time(get("Timestamp").unwrap_or_default(), now)?;
    if !nonces.first_use(get("SignatureNonce").unwrap_or_default()) {
        return Err(err(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    check_version(get("Version").unwrap_or_default(), version)?;
    const COMMON: &[&str] = &[
        "Signature",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "SignatureType",
        "Timestamp",
        "Action",
        "Version",
        "Format",
        "RegionId",
        "SecurityToken",
    ];
    let action = get("Action").unwrap_or_default().to_string();
    let params = all
        .into_iter()
        .filter(|(k, _)| !COMMON.contains(&k.as_str()))
        .collect();
    Ok(Verified { action, params })
}
