//! The emulator's own canonical strings and signatures for V1 (HMAC-SHA1) and V3
//! (ACS3-HMAC-SHA256), written from the documentation, not shared with the client.
//!
//! Why a second implementation: when the emulator verified with the client's signer
//! (`vod::sign`), a canonicalisation bug in that signer was on both sides of every test and would
//! only have shown against the real service. Now the two are written apart and both are checked
//! against vectors computed by the official SDKs' own signing functions
//! (`tests/data/signature-vectors.json`, made by `tests/sdk/make_vectors.py`).
//!
//! Sources:
//! - V1: https://help.aliyun.com/zh/sdk/product-overview/rpc-mechanism (the signature section):
//!   sort the parameters (all but `Signature`) by name; percent-encode each name and value (UTF-8;
//!   `A-Z a-z 0-9 - _ . ~` unchanged, everything else `%XY` upper-case, so space is `%20`, `*` is
//!   `%2A`, `~` stays); join `name=value` with `&`; string to sign =
//!   `METHOD & percent("/") & percent(canonicalized query)`; signature =
//!   Base64(HMAC-SHA1(secret + "&", string to sign)).
//! - V3: https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature:
//!   canonical request = method, canonical URI, canonical query (sorted, encoded as above, `k=` for
//!   an empty value), canonical headers (`lower-name:trimmed-value\n`, sorted by name), signed
//!   header names (`;`), hex SHA-256 of the body; string to sign = `ACS3-HMAC-SHA256\n` + hex
//!   SHA-256 of the canonical request; signature = hex HMAC-SHA256(secret, string to sign).
//! - What the SDKs actually send (repeated headers joined with `,`, every header they set is
//!   signed, `+` on the wire for a space but `%20` signed): the official SDKs' signers (tests/data/signature-vectors.json).
//!
//! The percent-encoder is written out here on purpose (eight lines, from the rule above) rather
//! than taken from the crate the client uses: sharing it would bring back the blind spot.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The V3 algorithm, first word of `Authorization`.
pub const ACS3: &str = "ACS3-HMAC-SHA256";

/// RFC 3986 percent-encoding as Alibaba Cloud signs: only unreserved bytes stay literal.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `name=value&...`, sorted by name (then value, for repeated names) as the SDKs sort (the raw
/// strings), both sides encoded.
fn canonical_query(params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// V1 string to sign over every parameter except `Signature` (query and form body together).
pub fn v1_string_to_sign(method: &str, params: &[(&str, &str)]) -> String {
    let signed: Vec<(&str, &str)> = params
        .iter()
        .copied()
        .filter(|(k, _)| *k != "Signature")
        .collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode("/"),
        encode(&canonical_query(&signed))
    )
}

/// V1 signature: Base64(HMAC-SHA1(secret + "&", string to sign)).
pub fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    let mut key = secret.as_bytes().to_vec();
    key.push(b'&');
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).expect("HMAC accepts any key length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What V3 signs of a request.
pub struct V3Request<'a> {
    pub method: &'a str,
    /// The request path as received (`/` for the RPC APIs).
    pub path: &'a str,
    /// Decoded query parameters.
    pub query: &'a [(&'a str, &'a str)],
    /// The headers named in `SignedHeaders`, each with all its values in arrival order.
    pub signed_headers: &'a [(String, Vec<String>)],
    /// The `x-acs-content-sha256` the client claims (checked against the body separately).
    pub payload_sha256: &'a str,
}

/// The canonical URI: each path segment decoded and re-encoded, `/` kept.
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    path.split('/')
        .map(|segment| encode(&percent_encoding::percent_decode_str(segment).decode_utf8_lossy()))
        .collect::<Vec<_>>()
        .join("/")
}

/// The V3 canonical request.
pub fn v3_canonical_request(req: &V3Request<'_>) -> String {
    let mut headers: Vec<(String, String)> = req
        .signed_headers
        .iter()
        .map(|(name, values)| {
            let joined = values
                .iter()
                .map(|v| v.trim())
                .collect::<Vec<_>>()
                .join(",");
            (name.to_ascii_lowercase(), joined)
        })
        .collect();
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let names = headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    [
        req.method.to_ascii_uppercase(),
        canonical_uri(req.path),
        canonical_query(req.query),
        canonical_headers,
        names,
        req.payload_sha256.to_string(),
    ]
    .join("\n")
}

/// The V3 string to sign.
pub fn v3_string_to_sign(canonical_request: &str) -> String {
    format!("{ACS3}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The V3 signature: hex HMAC-SHA256(secret, string to sign).
pub fn v3_signature(secret: &str, canonical_request: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(v3_string_to_sign(canonical_request).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The fields of `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`.
#[derive(Debug, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub credential: &'a str,
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

/// Parses an ACS3 `Authorization` header; `None` when it is not one or a field is missing.
pub fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let fields = value.strip_prefix(ACS3)?;
    if !fields.starts_with(' ') {
        return None;
    }
    let field = |name: &str| {
        fields.split(',').find_map(|f| {
            let (k, v) = f.trim().split_once('=')?;
            (k == name).then_some(v)
        })
    };
    Some(Authorization {
        credential: field("Credential")?,
        signed_headers: field("SignedHeaders")?
            .split(';')
            .filter(|s| !s.is_empty())
            .collect(),
        signature: field("Signature")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_by_the_documented_rule() {
        assert_eq!(
            encode("a b/c~*+=&%'()"),
            "a%20b%2Fc~%2A%2B%3D%26%25%27%28%29"
        );
        assert_eq!(encode("中"), "%E4%B8%AD");
        assert_eq!(encode("A-z_0.9"), "A-z_0.9");
    }

    #[test]
    fn documented_v1_example() {
        // The RPC signature documentation's example (ECS DescribeRegions, secret `testsecret`).
        let params = [
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ];
        let sts = v1_string_to_sign("GET", &params);
        assert_eq!(
            v1_signature("testsecret", &sts),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn parses_authorization_headers() {
        let a = parse_authorization(
            "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-date,Signature=ab12",
        )
        .unwrap();
        assert_eq!(a.credential, "testid");
        assert_eq!(a.signed_headers, ["host", "x-acs-date"]);
        assert_eq!(a.signature, "ab12");
        assert!(parse_authorization("ACS3-HMAC-SHA256X Credential=a").is_none());
        assert!(parse_authorization("ACS3-HMAC-SHA256 Credential=a,Signature=b").is_none());
    }
}
