"""The official Alibaba Cloud Python SDKs against `vodplan emulator`: a manual check (it needs PyPI).

    pip install aliyun-python-sdk-vod alibabacloud-vod20170321
    vodplan emulator --catalog examples/catalog.yaml --listen 127.0.0.1:18099 &
    python3 tests/sdk/official_sdks.py 18099

Covers the legacy SDK (signature V1) and the tea SDK (V3, and V1 with signature_algorithm='v2').
Exits non-zero on the first mismatch. It deletes videos: restart the emulator to run it again.
"""
import json
import sys

from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
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
