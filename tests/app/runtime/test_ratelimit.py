"""The status-link and sign-in limits: one count for every process with Redis, per process without."""

from __future__ import annotations

import secrets

import pytest
from redis import Redis

from app.runtime.ratelimit import KeyedRateLimit
from tests.conftest import require

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix():
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        require(False, f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}")
    prefix = f"dd-test-{secrets.token_hex(4)}"
    yield prefix
    client = Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_with_redis_two_processes_share_one_limit(prefix):
    here, there = (KeyedRateLimit(4, name="login-ip", redis_url=REDIS_URL, prefix=prefix) for _ in range(2))
    allowed = [limit.allow("203.0.113.7") for _ in range(3) for limit in (here, there)]
    assert allowed == [True, True, True, True, False, False]
    assert here.allow("198.51.100.1")  # another key has its own count


def test_without_redis_each_process_counts_on_its_own():
    here, there = (KeyedRateLimit(2, name="login-ip") for _ in range(2))
    assert [here.allow("k"), here.allow("k"), here.allow("k")] == [True, True, False]
    assert there.allow("k")


def test_a_redis_outage_falls_back_to_counting_in_this_process():
    limit = KeyedRateLimit(1, name="status-ip", redis_url="redis://127.0.0.1:1/0", prefix="dd-test-down")
    assert [limit.allow("k"), limit.allow("k")] == [True, False]
