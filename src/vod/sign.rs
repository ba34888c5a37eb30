//! Request signatures: V3 (ACS3-HMAC-SHA256, the default) and V1 (HMAC-SHA1, RPC style).
//!
//! Pure functions from request parts to strings, shared by the client (which signs) and the
//! emulator (which verifies), and tested against vectors computed by the official SDKs' own code
//! (`tests/data/signature-vectors.json`).

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::encode::{canonical_query, percent};

/// The V3 algorithm name, first word of the `Authorization` header.
pub const V3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Lower-case hex SHA-256 of a payload, for `x-acs-content-sha256`.
pub fn sha256_hex(payload: &[u8]) -> String {
    hex::encode(Sha256::digest(payload))
}

/// V1 string to sign: `METHOD&%2F&` + the encoded canonical query of every parameter but
/// `Signature` (empty values included).
pub fn v1_string_to_sign<K: AsRef<str>, V: AsRef<str>>(method: &str, params: &[(K, V)]) -> String {
    let filtered: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, _)| *k != "Signature")
        .collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent("/"),
        percent(&canonical_query(&filtered))
    )
}

/// V1 signature: Base64(HMAC-SHA1(secret + "&", string to sign)).
pub fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The parts of a request that V3 signs.
pub struct V3Parts<'a> {
    pub method: &'a str,
    /// The decoded query parameters (they are re-encoded here).
    pub query: &'a [(String, String)],
    /// The signed headers: any case, any order; names are lower-cased and sorted here.
    pub headers: &'a [(String, String)],
    /// `x-acs-content-sha256`.
    pub payload_sha256: &'a str,
}

/// The sorted, lower-cased signed header names joined with `;`.
pub fn v3_signed_headers(headers: &[(String, String)]) -> String {
    let mut names: Vec<String> = headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names.join(";")
}

/// The V3 canonical request (six lines, see
/// https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature).
pub fn v3_canonical_request(parts: &V3Parts<'_>) -> String {
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    // Repeated headers are joined with ',' (as the SDK does).
    let mut canonical_headers = String::new();
    let mut i = 0;
    while i < headers.len() {
        let name = &headers[i].0;
        let mut values = vec![headers[i].1.as_str()];
        let mut j = i + 1;
        while j < headers.len() && &headers[j].0 == name {
            values.push(&headers[j].1);
            j += 1;
        }
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
        i = j;
    }
    format!(
        "{}\n/\n{}\n{}\n{}\n{}",
        parts.method.to_ascii_uppercase(),
        canonical_query(parts.query),
        canonical_headers,
        v3_signed_headers(parts.headers),
        parts.payload_sha256
    )
}

/// V3 signature: hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(sha256(canonical request)))).
pub fn v3_signature(secret: &str, canonical_request: &str) -> String {
    let string_to_sign = format!(
        "{V3_ALGORITHM}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The `Authorization` header value.
pub fn v3_authorization(access_key_id: &str, signed_headers: &str, signature: &str) -> String {
    format!(
        "{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}"
    )
}

/// The three fields of a V3 `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub struct V3Authorization<'a> {
    pub credential: &'a str,
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

/// Parses `ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`.
pub fn parse_v3_authorization(value: &str) -> Option<V3Authorization<'_>> {
    let rest = value.strip_prefix(V3_ALGORITHM)?.trim_start();
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => return None,
        }
    }
    Some(V3Authorization {
        credential: credential?,
        signed_headers: signed?.split(';').filter(|s| !s.is_empty()).collect(),
        signature: signature?,
    })
}
