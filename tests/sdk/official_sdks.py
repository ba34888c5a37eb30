"""The official Alibaba Cloud Python SDKs against `vodplan emulator`. CI runs it (`.ci/run`).

    python3 -m venv .venv && .venv/bin/pip install -r tests/sdk/requirements.txt
    vodplan emulator --catalog examples/catalog.yaml --listen 127.0.0.1:18099 &
    .venv/bin/python tests/sdk/official_sdks.py 18099

Covers the legacy SDK (signature V1) and the tea SDK (V3, and V1 with signature_algorithm='v2'),
values with quotes, brackets, spaces and Chinese (SearchMedia `Match`), and STS: AssumeRole through
the legacy SDK, then VOD calls signed with the temporary key and token by both SDKs.
Exits non-zero on the first mismatch. It deletes videos: restart the emulator to run it again.
"""
import json
import sys

from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkvod.request.v20170321 import DeleteVideoRequest, GetVideoInfosRequest
from alibabacloud_tea_openapi.models import Config
from alibabacloud_vod20170321 import models
from alibabacloud_vod20170321.client import Client

port = int(sys.argv[1])
GONE = "ffffffffffffffffffffffffffffffff"

# Legacy SDK, V1: GetVideoInfos, DeleteVideo with a partly missing batch, a 404 for an all-missing one.
legacy = AcsClient("testid", "testsecret", "cn-shanghai", port=port, auto_retry=False)


def legacy_request(cls, ids):
    r = cls()
    r.set_endpoint("127.0.0.1")
    r.set_protocol_type("http")
    r.set_VideoIds(ids)
    return r


out = json.loads(legacy.do_action_with_exception(legacy_request(GetVideoInfosRequest.GetVideoInfosRequest, f"2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910,{GONE}")))
assert [v["VideoId"] for v in out["VideoList"]] == ["2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910"], out
assert out["NonExistVideoIds"] == [GONE], out
out = json.loads(legacy.do_action_with_exception(legacy_request(DeleteVideoRequest.DeleteVideoRequest, f"2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910,{GONE}")))
assert out["NonExistVideoIds"] == [GONE] and out["ForbiddenVideoIds"] == [], out
try:
    legacy.do_action_with_exception(legacy_request(DeleteVideoRequest.DeleteVideoRequest, GONE))
    raise AssertionError("expected a 404")
except ServerException as e:
    assert (e.get_http_status(), e.get_error_code()) == (404, "InvalidVideo.NotFound"), e
print("legacy SDK (V1): GetVideoInfos, DeleteVideo, 404: ok")

# Tea SDK, V3 (default) and V1 ('v2').
for algorithm in [None, "v2"]:
    config = Config(access_key_id="testid", access_key_secret="testsecret", region_id="cn-shanghai", endpoint=f"127.0.0.1:{port}", protocol="http")
    if algorithm:
        config.signature_algorithm = algorithm
    tea = Client(config)
    res = tea.get_video_infos(models.GetVideoInfosRequest(video_ids="3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e"))
    assert [v.video_id for v in res.body.video_list] == ["3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e"], res.body
    res = tea.get_video_list(models.GetVideoListRequest(cate_id=1000, page_size=10))
    assert res.body.total == 2 and len(res.body.video_list.video) == 2, res.body
    res = tea.get_video_info(models.GetVideoInfoRequest(video_id="9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b"))
    assert res.body.video.title == "Keynote 2024", res.body
    res = tea.search_media(models.SearchMediaRequest(search_type="video", match="Status in ('Normal') and CateId = 1000", page_size=10))
    assert res.body.total == 1 and res.body.media_list[0].media_id == "3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e", res.body
    print(f"tea SDK ({algorithm or 'V3'}): GetVideoInfos, GetVideoList, GetVideoInfo, SearchMedia: ok")

tea = Client(Config(access_key_id="testid", access_key_secret="testsecret", region_id="cn-shanghai", endpoint=f"127.0.0.1:{port}", protocol="http"))
res = tea.delete_video(models.DeleteVideoRequest(video_ids=f"3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e,{GONE}"))
assert res.status_code == 200 and res.body.non_exist_video_ids == [GONE], res.body
bad = Client(Config(access_key_id="testid", access_key_secret="wrong", region_id="cn-shanghai", endpoint=f"127.0.0.1:{port}", protocol="http"))
try:
    bad.delete_video(models.DeleteVideoRequest(video_ids="x"))
    raise AssertionError("expected SignatureDoesNotMatch")
except Exception as e:  # the tea SDK raises its ClientException
    assert getattr(e, "code", None) == "SignatureDoesNotMatch", e
print("tea SDK (V3): DeleteVideo, wrong secret refused: ok")

# Values that canonicalisation bugs trip on: quotes, brackets, spaces, '*', '~' and Chinese, in a
# Match expression (V3, V1 'v2', legacy V1). No video has this title: the answer is an empty list.
match = "Title = '春节 特辑 (2024) ~ a*b' and CateId = 1000"
for algorithm in [None, "v2"]:
    config = Config(access_key_id="testid", access_key_secret="testsecret", region_id="cn-shanghai", endpoint=f"127.0.0.1:{port}", protocol="http")
    if algorithm:
        config.signature_algorithm = algorithm
    res = Client(config).search_media(models.SearchMediaRequest(search_type="video", match=match, page_size=10))
    assert res.body.total == 0, res.body
search = CommonRequest(domain="127.0.0.1", version="2017-03-21", action_name="SearchMedia")
search.set_protocol_type("http")
search.add_query_param("SearchType", "video")
search.add_query_param("Match", match)
out = json.loads(legacy.do_action_with_exception(search))
assert out["Total"] == 0, out
print("tea SDK (V3, v2) and legacy SDK: SearchMedia with quotes, brackets and Chinese in Match: ok")

# STS: AssumeRole through the legacy SDK (V1-signed, as the credential providers send it), then the
# temporary key and token sign VOD calls in both SDKs.
def assume_role(role):
    r = CommonRequest(domain="127.0.0.1", version="2015-04-01", action_name="AssumeRole")
    r.set_protocol_type("http")
    r.set_method("POST")
    r.add_query_param("RoleArn", role)
    r.add_query_param("RoleSessionName", "official-sdk")
    r.add_query_param("DurationSeconds", "900")
    return json.loads(legacy.do_action_with_exception(r))


creds = assume_role("acs:ram::1234567890123456:role/vodplan")["Credentials"]
assert creds["AccessKeyId"].startswith("STS.") and creds["Expiration"].endswith("Z"), creds
try:
    assume_role("acs:ram::1234567890123456:role/nobody")
    raise AssertionError("expected EntityNotExist.Role")
except ServerException as e:
    assert (e.get_http_status(), e.get_error_code()) == (404, "EntityNotExist.Role"), e
sts_legacy = AcsClient(region_id="cn-shanghai", credential=StsTokenCredential(creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"]), port=port, auto_retry=False)
out = json.loads(sts_legacy.do_action_with_exception(legacy_request(GetVideoInfosRequest.GetVideoInfosRequest, "9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b")))
assert [v["VideoId"] for v in out["VideoList"]] == ["9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b"], out
sts_tea = Client(Config(access_key_id=creds["AccessKeyId"], access_key_secret=creds["AccessKeySecret"], security_token=creds["SecurityToken"], region_id="cn-shanghai", endpoint=f"127.0.0.1:{port}", protocol="http"))
res = sts_tea.get_video_infos(models.GetVideoInfosRequest(video_ids="9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b"))
assert [v.video_id for v in res.body.video_list] == ["9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b"], res.body
forged = Client(Config(access_key_id=creds["AccessKeyId"], access_key_secret=creds["AccessKeySecret"], security_token="CAISforged", region_id="cn-shanghai", endpoint=f"127.0.0.1:{port}", protocol="http"))
try:
    forged.get_video_infos(models.GetVideoInfosRequest(video_ids="9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b"))
    raise AssertionError("expected InvalidSecurityToken.MismatchWithAccessKey")
except Exception as e:
    assert getattr(e, "code", None) == "InvalidSecurityToken.MismatchWithAccessKey", e
print("legacy SDK: AssumeRole (and an unknown role refused); STS keys sign VOD calls in both SDKs: ok")
