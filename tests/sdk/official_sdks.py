# Manual check: the official Python SDKs against `vodplan emulator`.
# pip install aliyun-python-sdk-vod alibabacloud-vod20170321
# vodplan emulator --catalog examples/catalog.yaml --listen 127.0.0.1:18099 & python3 tests/sdk/official_sdks.py 18099
import json, sys
port = int(sys.argv[1])
# Legacy SDK, V1
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkvod.request.v20170321 import DeleteVideoRequest, GetVideoInfosRequest
c = AcsClient('testid', 'testsecret', 'cn-shanghai', port=port, auto_retry=False)
r = GetVideoInfosRequest.GetVideoInfosRequest(); r.set_endpoint('127.0.0.1'); r.set_protocol_type('http')
r.set_VideoIds('2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910,ffffffffffffffffffffffffffffffff')
out = json.loads(c.do_action_with_exception(r)); print('legacy GetVideoInfos:', [v['VideoId'] for v in out['VideoList']], out['NonExistVideoIds'])
r = DeleteVideoRequest.DeleteVideoRequest(); r.set_endpoint('127.0.0.1'); r.set_protocol_type('http')
r.set_VideoIds('2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910,ffffffffffffffffffffffffffffffff')
print('legacy DeleteVideo:', json.loads(c.do_action_with_exception(r)))
try:
    r = DeleteVideoRequest.DeleteVideoRequest(); r.set_endpoint('127.0.0.1'); r.set_protocol_type('http'); r.set_VideoIds('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee')
    c.do_action_with_exception(r)
except ServerException as e:
    print('legacy 404:', e.get_http_status(), e.get_error_code(), e.get_error_msg())
# Tea SDK, V3 and v2
from alibabacloud_tea_openapi.models import Config
from alibabacloud_vod20170321.client import Client
from alibabacloud_vod20170321 import models
for algo in [None, 'v2']:
    cfg = Config(access_key_id='testid', access_key_secret='testsecret', region_id='cn-shanghai', endpoint=f'127.0.0.1:{port}', protocol='http')
    if algo: cfg.signature_algorithm = algo
    t = Client(cfg)
    res = t.get_video_infos(models.GetVideoInfosRequest(video_ids='3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e'))
    print(f'tea({algo or "v3"}) GetVideoInfos:', [v.video_id for v in res.body.video_list], res.body.non_exist_video_ids)
    res = t.get_video_list(models.GetVideoListRequest(cate_id=1000, page_size=10))
    print(f'tea({algo or "v3"}) GetVideoList:', res.body.total, [v.video_id for v in res.body.video_list.video])
    res = t.get_video_info(models.GetVideoInfoRequest(video_id='9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b'))
    print(f'tea({algo or "v3"}) GetVideoInfo:', res.body.video.title, res.body.video.snapshots)
t = Client(Config(access_key_id='testid', access_key_secret='testsecret', region_id='cn-shanghai', endpoint=f'127.0.0.1:{port}', protocol='http'))
res = t.delete_video(models.DeleteVideoRequest(video_ids='3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e,dddddddddddddddddddddddddddddddd'))
print('tea(v3) DeleteVideo:', res.status_code, res.body.non_exist_video_ids, res.body.forbidden_video_ids)
try:
    Client(Config(access_key_id='testid', access_key_secret='wrong', region_id='cn-shanghai', endpoint=f'127.0.0.1:{port}', protocol='http')).delete_video(models.DeleteVideoRequest(video_ids='x'))
except Exception as e:
    print('tea wrong secret:', type(e).__name__, getattr(e, 'code', None), getattr(e, 'status_code', None) if hasattr(e,'status_code') else '')
