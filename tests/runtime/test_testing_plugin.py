"""The pytest plugin's fixtures (registered through the pytest11 entry point) and serve()."""

from __future__ import annotations

import redis
from kazoo.client import KazooClient

import polystack.testing


def test_redis_url_fixture_is_flushed(polystack_redis_url):
    r = redis.Redis.from_url(polystack_redis_url)
    assert r.dbsize() == 0
    r.set("left-behind", "1")


def test_redis_url_fixture_is_flushed_again(polystack_redis_url):
    assert redis.Redis.from_url(polystack_redis_url).get("left-behind") is None


def test_zookeeper_hosts_fixture(polystack_zookeeper_hosts):
    zk = KazooClient(hosts=polystack_zookeeper_hosts)
    zk.start(timeout=10)
    try:
        zk.ensure_path("/plugin/test")
        assert zk.exists("/plugin/test") is not None
    finally:
        zk.stop()
        zk.close()


def test_serve_restart_keeps_data(tmp_path):
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        redis.Redis(port=s.redis_port).set("k", "v")
        s.restart()
        assert redis.Redis(port=s.redis_port).get("k") == b"v"
