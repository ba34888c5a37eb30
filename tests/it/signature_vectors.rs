//! Both sides of the signature against vectors computed by the official SDKs' own signing code
//! (`tests/data/signature-vectors.json`; the first eleven from the VOD wire notes, the rest made by
//! `tests/sdk/make_vectors.py` with values carrying ' ( ) spaces * ~ + = & % and Chinese): the
//! client's signer (`vodplan::vod::sign`) and the emulator's verifier (`emulator::auth`, with its
//! own canonicalisation in `emulator::canonical`), which share no code: they are separate crates,
//! and the emulator's depends on nothing of vodplan (`layering.rs`).

use serde_json::Value;
use vod_emulator::http::{HeaderMap, HeaderName, HeaderValue};
use vod_emulator::{Keys, auth, canonical, sts};
use vodplan::vod::sign;

const V1_VECTORS: usize = 10;
const V3_VECTORS: usize = 9;

fn vectors() -> serde_json::Map<String, Value> {
    let text = include_str!("../data/signature-vectors.json");
    serde_json::from_str::<Value>(text)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn v1_vectors_match_the_sdks() {
    let mut checked = 0;
    for (name, v) in vectors().iter().filter(|(k, _)| k.starts_with("v1_")) {
        let params = pairs(&v["params"]);
        let sts = sign::v1_string_to_sign(v["method"].as_str().unwrap(), &params);
        assert_eq!(
            sts,
            v["string_to_sign"].as_str().unwrap(),
            "{name}: string to sign"
        );
        let sig = sign::v1_signature(v["secret"].as_str().unwrap(), &sts);
        assert_eq!(sig, v["signature"].as_str().unwrap(), "{name}: signature");
        assert_ne!(
            sign::v1_signature("wrongsecret", &sts),
            sig,
            "{name}: a wrong secret must not match"
        );
        checked += 1;
    }
    assert_eq!(checked, V1_VECTORS);
}

#[test]
fn v3_vectors_match_the_sdks() {
    let mut checked = 0;
    for (name, v) in vectors().iter().filter(|(k, _)| k.starts_with("v3_")) {
        let query = pairs(&v["query"]);
        let headers = pairs(&v["headers"]);
        let body = v["body"].as_str().unwrap();
        let payload = sign::sha256_hex(body.as_bytes());
        assert_eq!(
            payload,
            v["headers"]["x-acs-content-sha256"].as_str().unwrap(),
            "{name}: payload hash"
        );
        let canonical = sign::v3_canonical_request(&sign::V3Parts {
            method: v["method"].as_str().unwrap(),
            query: &query,
            headers: &headers,
            payload_sha256: &payload,
        });
        assert_eq!(
            canonical,
            v["canonical_request"].as_str().unwrap(),
            "{name}: canonical request"
        );
        assert_eq!(
            sign::sha256_hex(canonical.as_bytes()),
            v["hashed_canonical_request"].as_str().unwrap()
        );
        let signature = sign::v3_signature(v["secret"].as_str().unwrap(), &canonical);
        let authorization = sign::v3_authorization(
            v["access_key_id"].as_str().unwrap(),
            &sign::v3_signed_headers(&headers),
            &signature,
        );
        assert_eq!(
            authorization,
            v["authorization"].as_str().unwrap(),
            "{name}: authorization"
        );
        let parsed = sign::parse_v3_authorization(&authorization).unwrap();
        assert_eq!(parsed.signature, signature);
        assert_ne!(sign::v3_signature("wrongsecret", &canonical), signature);
        checked += 1;
    }
    assert_eq!(checked, V3_VECTORS);
}

fn str_pairs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Runs the emulator's whole verification (key, body hash, signature, time, nonce, version) on
/// a vector's request, with the vector's key and the vector's own time as the clock; then again
/// with a wrong secret, which must be refused with the vector's string to sign in the message.
fn verify(
    method: &str,
    query: Vec<(String, String)>,
    headers: &HeaderMap,
    body: &[u8],
    key: (&str, &str, Option<&str>),
    at: &str,
    version: &str,
) -> Vec<Result<auth::Verified, vod_emulator::ServiceError>> {
    let now = vodplan::timefmt::parse(at).unwrap();
    let issuer = sts::Issuer::default();
    ["right", "wrong"]
        .iter()
        .map(|which| {
            let keys = Keys {
                access_key_id: key.0.into(),
                access_key_secret: if *which == "right" {
                    key.1.into()
                } else {
                    "wrongsecret".into()
                },
                security_token: key.2.map(str::to_string),
            };
            let incoming = auth::Incoming {
                method,
                path: "/",
                headers,
                query: query.clone(),
                form: Vec::new(),
                body,
            };
            let who = auth::Identities {
                keys: &keys,
                issuer: &issuer,
            };
            auth::verify(&incoming, &who, &auth::NonceStore::default(), now, version)
        })
        .collect()
}

#[test]
fn the_emulators_v1_verifier_accepts_every_sdk_vector() {
    let mut checked = 0;
    for (name, v) in vectors().iter().filter(|(k, _)| k.starts_with("v1_")) {
        let method = v["method"].as_str().unwrap();
        let mut params = pairs(&v["params"]);
        let sts = canonical::v1_string_to_sign(method, &str_pairs(&params));
        assert_eq!(
            sts,
            v["string_to_sign"].as_str().unwrap(),
            "{name}: string to sign"
        );
        let signature = v["signature"].as_str().unwrap();
        assert_eq!(
            canonical::v1_signature(v["secret"].as_str().unwrap(), &sts),
            signature,
            "{name}"
        );
        params.push(("Signature".into(), signature.into()));
        let p = &v["params"];
        let results = verify(
            method,
            params,
            &HeaderMap::new(),
            b"",
            (
                p["AccessKeyId"].as_str().unwrap(),
                v["secret"].as_str().unwrap(),
                p["SecurityToken"].as_str(),
            ),
            p["Timestamp"].as_str().unwrap(),
            p["Version"].as_str().unwrap(),
        );
        let ok = results[0]
            .as_ref()
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(ok.action, p["Action"].as_str().unwrap());
        let refused = results[1].as_ref().unwrap_err();
        assert_eq!(refused.code, "SignatureDoesNotMatch", "{name}");
        assert!(
            refused
                .message
                .ends_with(&format!("server string to sign is:{sts}")),
            "{name}: {}",
            refused.message
        );
        checked += 1;
    }
    assert_eq!(checked, V1_VECTORS);
}

#[test]
fn the_emulators_v3_verifier_accepts_every_sdk_vector() {
    let mut checked = 0;
    for (name, v) in vectors().iter().filter(|(k, _)| k.starts_with("v3_")) {
        let query = pairs(&v["query"]);
        let header_pairs = pairs(&v["headers"]);
        let mut headers = HeaderMap::new();
        for (k, val) in &header_pairs {
            headers.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(val).unwrap(),
            );
        }
        let authorization = v["authorization"].as_str().unwrap();
        let parsed = canonical::parse_authorization(authorization).unwrap();
        assert_eq!(parsed.credential, v["access_key_id"].as_str().unwrap());
        let signed: Vec<(String, Vec<String>)> = parsed
            .signed_headers
            .iter()
            .map(|n| {
                (
                    n.to_string(),
                    vec![v["headers"][*n].as_str().unwrap().to_string()],
                )
            })
            .collect();
        let canonical_request = canonical::v3_canonical_request(&canonical::V3Request {
            method: v["method"].as_str().unwrap(),
            path: "/",
            query: &str_pairs(&query),
            signed_headers: &signed,
            payload_sha256: v["headers"]["x-acs-content-sha256"].as_str().unwrap(),
        });
        assert_eq!(
            canonical_request,
            v["canonical_request"].as_str().unwrap(),
            "{name}: canonical request"
        );
        assert_eq!(
            canonical::v3_string_to_sign(&canonical_request),
            v["string_to_sign"].as_str().unwrap()
        );
        assert_eq!(
            canonical::v3_signature(v["secret"].as_str().unwrap(), &canonical_request),
            parsed.signature
        );
        headers.insert(
            "authorization",
            HeaderValue::from_str(authorization).unwrap(),
        );
        let h = &v["headers"];
        let results = verify(
            v["method"].as_str().unwrap(),
            query,
            &headers,
            v["body"].as_str().unwrap().as_bytes(),
            (
                v["access_key_id"].as_str().unwrap(),
                v["secret"].as_str().unwrap(),
                h["x-acs-security-token"].as_str(),
            ),
            h["x-acs-date"].as_str().unwrap(),
            h["x-acs-version"].as_str().unwrap(),
        );
        let ok = results[0]
            .as_ref()
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(ok.action, h["x-acs-action"].as_str().unwrap());
        let refused = results[1].as_ref().unwrap_err();
        assert_eq!(refused.code, "SignatureDoesNotMatch", "{name}");
        assert!(
            refused
                .message
                .ends_with(v["string_to_sign"].as_str().unwrap()),
            "{name}: {}",
            refused.message
        );
        checked += 1;
    }
    assert_eq!(checked, V3_VECTORS);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Beyond the vectors: over arbitrary names and values (any Unicode, the characters that
    /// canonicalisation gets wrong weighted in), the client's signer and the emulator's own
    /// canonicalisation agree on V1 and V3.
    #[test]
    fn the_client_and_the_emulator_canonicalise_alike(
        params in proptest::collection::vec(
            ("[A-Za-z][A-Za-z0-9]{0,12}", "([ '()*~+=&%/,:;!?#\\[\\]@$中文üé\u{1F600}]|[a-z0-9]|\\PC){0,24}"),
            0..8,
        ),
        method in proptest::sample::select(vec!["GET", "POST"]),
    ) {
        let owned: Vec<(String, String)> = params.clone();
        let client = sign::v1_string_to_sign(method, &owned);
        let emulator = canonical::v1_string_to_sign(method, &str_pairs(&owned));
        proptest::prop_assert_eq!(&client, &emulator);
        proptest::prop_assert_eq!(
            sign::v1_signature("s3cr3t", &client),
            canonical::v1_signature("s3cr3t", &emulator)
        );
        let headers = vec![
            ("host".to_string(), "127.0.0.1:1".to_string()),
            ("x-acs-action".to_string(), "SearchMedia".to_string()),
        ];
        let payload = sign::sha256_hex(b"");
        let client = sign::v3_canonical_request(&sign::V3Parts {
            method,
            query: &owned,
            headers: &headers,
            payload_sha256: &payload,
        });
        let signed: Vec<(String, Vec<String>)> =
            headers.iter().map(|(k, v)| (k.clone(), vec![v.clone()])).collect();
        let emulator = canonical::v3_canonical_request(&canonical::V3Request {
            method,
            path: "/",
            query: &str_pairs(&owned),
            signed_headers: &signed,
            payload_sha256: &canonical::sha256_hex(b""),
        });
        proptest::prop_assert_eq!(client, emulator);
    }
}
