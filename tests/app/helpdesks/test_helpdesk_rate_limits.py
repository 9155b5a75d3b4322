"""Helpdesk rate limits: defaults that fit the smallest plans, and the helpdesk's own headers
(429 Retry-After, X-Rate-Limit-Remaining / X-RateLimit-Remaining: 0) honoured by every later call."""

from __future__ import annotations

import logging

import pytest

from app.helpdesks.clients.base import HelpdeskError, HelpdeskHttp
from app.settings import Settings

BASE = "https://desk.example"


def _http(sleeps: list[float], **options) -> HelpdeskHttp:
    return HelpdeskHttp("zendesk", BASE, rate_per_second=options.pop("rate", 1000), sleep=sleeps.append, **options)


def test_defaults_fit_the_smallest_plans():
    settings = Settings(_env_file=None)
    assert settings.zendesk_rate_limit * 60 <= 200  # Zendesk Team: 200 requests a minute
    assert settings.freshdesk_rate_limit * 60 <= 200  # Freshdesk Growth: 200 a minute, webhooks included
    assert settings.freshdesk_update_rate_limit * 60 <= 80  # Freshdesk Growth: 80 ticket updates a minute


def test_a_429_pauses_every_later_call_for_its_retry_after(http_mock):
    http_mock.add("GET", f"{BASE}/a", status=429, headers={"Retry-After": "7"})
    http_mock.add("GET", f"{BASE}/b", json={"ok": True})
    sleeps: list[float] = []
    http = _http(sleeps)
    with pytest.raises(HelpdeskError) as caught:
        http.call("GET", "/a")
    assert caught.value.retryable and caught.value.retry_after == 7
    assert http.call("GET", "/b") == {"ok": True}
    assert sleeps and 6 < sleeps[0] <= 7  # the second call waited for the helpdesk, not just for us


def test_no_requests_left_waits_for_the_reset_the_helpdesk_names(http_mock):
    http_mock.add("GET", f"{BASE}/a", json={}, headers={"X-Rate-Limit-Remaining": "0", "ratelimit-reset": "3"})
    http_mock.add("GET", f"{BASE}/b", json={})
    sleeps: list[float] = []
    http = _http(sleeps)
    http.call("GET", "/a")
    http.call("GET", "/b")
    assert len(sleeps) == 1 and 2 < sleeps[0] <= 3


def test_a_long_pause_goes_back_to_the_job_queue_without_calling(http_mock):
    # Freshdesk says nothing of when its minute starts again: one whole window
    http_mock.add("GET", f"{BASE}/a", json={}, headers={"X-RateLimit-Total": "200", "X-RateLimit-Remaining": "0"})
    sleeps: list[float] = []
    http = _http(sleeps, rate=1)
    http.call("GET", "/a")
    calls = len(http_mock.calls)
    with pytest.raises(HelpdeskError) as caught:
        http.call("GET", "/a")
    assert caught.value.retryable and 50 < caught.value.retry_after <= 60
    assert len(http_mock.calls) == calls and sleeps == []


def test_an_account_limit_below_our_rate_is_logged_once(http_mock, caplog):
    http_mock.add("GET", f"{BASE}/a", json={}, headers={"X-Rate-Limit": "200", "X-Rate-Limit-Remaining": "150"})
    http = _http([], rate=5)
    with caplog.at_level(logging.WARNING):
        http.call("GET", "/a")
        http.call("GET", "/a")
    assert [r.getMessage() for r in caplog.records].count(
        "zendesk: the account allows 200 requests a minute, our rate limit is set to 300; lower ZENDESK_RATE_LIMIT"
    ) == 1
