//! The signing functions against vectors computed by the official SDKs' own code
//! (`tests/data/signature-vectors.json`, copied from the VOD wire notes).

use serde_json::Value;
use vodplan::vod::sign;

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
    assert_eq!(checked, 6);
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
    assert_eq!(checked, 5);
}
