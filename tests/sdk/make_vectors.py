"""Computes signature vectors with the OFFICIAL Alibaba Cloud Python SDKs' own signing functions
and merges them into tests/data/signature-vectors.json (existing vectors are kept unchanged).

    python3 -m venv .venv && .venv/bin/pip install aliyun-python-sdk-core==2.16.1 alibabacloud-tea-openapi==0.4.6
    .venv/bin/python tests/sdk/make_vectors.py            # rewrites the file
    .venv/bin/python tests/sdk/make_vectors.py --check    # fails if the file differs (CI)

V1 vectors: the string to sign and signature from aliyunsdkcore
(`auth/composer/rpc_signature_composer.py`: `__compose_string_to_sign`, `__get_signature`), and the
same signature from the tea SDK (`alibabacloud_tea_openapi.utils.Utils.get_rpcsignature`); both
must agree. V3 vectors: the canonical request from the tea SDK's helpers
(`get_canonical_query_string`, `get_canonicalized_headers`) assembled exactly as
`Utils.get_authorization` does, and the Authorization header from `Utils.get_authorization`
itself, checked to carry the signature of that canonical request. Nothing here signs by hand.

The new values carry what Match expressions and Chinese titles carry: ' ( ) spaces * ~ + = & %
and non-ASCII.
"""
import hashlib
import json
import pathlib
import sys

from aliyunsdkcore.auth.composer import rpc_signature_composer as legacy
from alibabacloud_tea_openapi import utils as tea_utils
from alibabacloud_tea_openapi.utils import Utils
from Tea.request import TeaRequest

VECTORS = pathlib.Path(__file__).resolve().parent.parent / "data" / "signature-vectors.json"
SECRET = "testsecret"
MATCH = "Title in ('春节 特辑 (2024)', 'a*b~c') and Status in ('Normal','Blocked') and CateId = 1000 and CreationTime = ('2024-01-01T00:00:00Z','2024-02-01T00:00:00Z')"
TITLE = "春节特辑 (2024) ~ 50% off + more = fun & games * it's 中文"
UPDATE = json.dumps([{"VideoId": "2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910", "Title": TITLE}], ensure_ascii=False, separators=(",", ":"))

compose = getattr(legacy, "__compose_string_to_sign")
legacy_signature = getattr(legacy, "__get_signature")


def v1(method, params):
    string_to_sign = compose(method, params)
    signature = legacy_signature(string_to_sign, SECRET)
    tea = Utils.get_rpcsignature(params, method, SECRET)
    assert tea == signature, (tea, signature)
    return {
        "method": method,
        "secret": SECRET,
        "params": params,
        "string_to_sign": string_to_sign,
        "hmac_key": SECRET + "&",
        "signature": signature,
    }


def v3(method, access_key_id, query, headers, body):
    payload = Utils.hex_encode(Utils.hash(body.encode("utf-8"), "ACS3-HMAC-SHA256")) or hashlib.sha256(b"").hexdigest()
    headers = dict(headers, **{"x-acs-content-sha256": payload})
    request = TeaRequest()
    request.method = method
    request.pathname = "/"
    request.query = query
    request.headers = headers
    canonical_headers, signed_headers = tea_utils.get_canonicalized_headers(headers)
    canonical_request = (
        f"{method}\n/\n{tea_utils.get_canonical_query_string(query)}\n"
        f"{canonical_headers}\n{signed_headers}\n{payload}"
    )
    hashed = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    authorization = Utils.get_authorization(request, "ACS3-HMAC-SHA256", payload, access_key_id, SECRET)
    expected = Utils.hex_encode(tea_utils.signature_method(SECRET, f"ACS3-HMAC-SHA256\n{hashed}", "ACS3-HMAC-SHA256"))
    assert authorization.endswith(f"Signature={expected}"), authorization
    return {
        "method": method,
        "access_key_id": access_key_id,
        "secret": SECRET,
        "query": query,
        "headers": headers,
        "body": body,
        "canonical_request": canonical_request,
        "hashed_canonical_request": hashed,
        "string_to_sign": f"ACS3-HMAC-SHA256\n{hashed}",
        "authorization": authorization,
    }


def rpc_common(action, version="2017-03-21", **extra):
    params = {
        "AccessKeyId": "testid",
        "Action": action,
        "Format": "JSON",
        "RegionId": "cn-shanghai",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "15215528852396",
        "SignatureType": "",
        "SignatureVersion": "1.0",
        "Timestamp": "2024-01-01T00:00:00Z",
        "Version": version,
    }
    params.update(extra)
    return params


def v3_headers(action, version="2017-03-21", **extra):
    headers = {
        "host": "vod.cn-shanghai.aliyuncs.com",
        "x-acs-action": action,
        "x-acs-date": "2024-01-01T00:00:00Z",
        "x-acs-signature-nonce": "9b3ecd4c0e5f4a21b8d7c6e5f4a3b2c1",
        "x-acs-version": version,
        # The tea SDK signs every header it has set (alibabacloud_tea_openapi builds them all
        # into the V3 signature's SignedHeaders).
        "accept": "application/json",
        "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        "x-acs-credentials-provider": "static_ak",
    }
    headers.update(extra)
    return headers


def new_vectors():
    return {
        "v1_vod_searchmedia_match": v1(
            "POST",
            rpc_common("SearchMedia", SearchType="video", Match=MATCH, Fields="Title,CreationTime",
                       SortBy="CreationTime:Desc", PageNo="1", PageSize="100"),
        ),
        "v1_vod_updatevideoinfos_chinese_title": v1("POST", rpc_common("UpdateVideoInfos", UpdateContent=UPDATE)),
        "v1_vod_every_special_character_get": v1(
            "GET", rpc_common("GetVideoInfos", VideoIds="it's (a) b*c~d+e=f&g%h 中文 ü/é")
        ),
        "v1_sts_assumerole_chained": v1(
            "POST",
            {
                **rpc_common("AssumeRole", version="2015-04-01"),
                "AccessKeyId": "STS.testid",
                "SecurityToken": "CAIS+token/with=specials",
                "RoleArn": "acs:ram::1234567890123456:role/vodplan",
                "RoleSessionName": "vodplan-ci@run_1",
                "DurationSeconds": "3600",
            },
        ),
        "v3_vod_searchmedia_match": v3(
            "POST", "testid",
            {"SearchType": "video", "Match": MATCH, "Fields": "Title,CreationTime",
             "SortBy": "CreationTime:Desc", "PageNo": "1", "PageSize": "100"},
            v3_headers("SearchMedia"), "",
        ),
        "v3_vod_updatevideoinfos_chinese_title_query": v3(
            "POST", "testid", {"UpdateContent": UPDATE}, v3_headers("UpdateVideoInfos"), "",
        ),
        "v3_vod_chinese_title_formbody": v3(
            "POST", "testid", {},
            v3_headers("UpdateVideoInfos", **{"content-type": "application/x-www-form-urlencoded"}),
            "UpdateContent=" + __import__("urllib.parse").parse.quote(UPDATE, safe=""),
        ),
        "v3_vod_every_special_character_sts": v3(
            "GET", "STS.testid",
            {"VideoIds": "it's (a) b*c~d+e=f&g%h 中文 ü/é", "ReferenceIds": ""},
            v3_headers("GetVideoInfos", **{"x-acs-accesskey-id": "STS.testid",
                                           "x-acs-security-token": "CAIS+token/with=specials"}),
            "",
        ),
    }


def main():
    current = json.loads(VECTORS.read_text(encoding="utf-8"))
    merged = dict(current)
    merged.update(new_vectors())
    text = json.dumps(merged, indent=1, ensure_ascii=False) + "\n"
    if "--check" in sys.argv:
        if json.loads(text) != current:
            sys.exit(f"{VECTORS} differs from what the SDKs compute: run tests/sdk/make_vectors.py")
        print(f"{len(merged)} vectors match the SDKs")
        return
    VECTORS.write_text(text, encoding="utf-8")
    print(f"wrote {len(merged)} vectors ({len(merged) - len(current)} new) to {VECTORS}")


if __name__ == "__main__":
    main()
