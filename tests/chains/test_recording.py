"""The opt-in recorder of provider HTTP exchanges: only inside a capture, across the provider thread
pools, failures included, and never a credential."""

from __future__ import annotations

import hashlib

import pytest
import requests
import responses

from chains import http
from chains.recording import capture, redact_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef", "https://mainnet.infura.io/v3/***"),
        ("https://eth-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrSt", "https://eth-mainnet.g.alchemy.com/v2/***"),
        ("http://user:pa55@127.0.0.1:8332/", "http://***@127.0.0.1:8332/"),
        ("https://x.example/api?apikey=SECRET&module=tx", "https://x.example/api?apikey=***&module=tx"),
        ("https://mempool.space/api/tx/" + "ab" * 32, "https://mempool.space/api/tx/" + "ab" * 32),
        (
            "https://mempool.space/api/tx/" + "ab" * 32 + "/outspend/1",
            "https://mempool.space/api/tx/" + "ab" * 32 + "/outspend/1",
        ),
    ],
)
def test_urls_are_kept_without_credentials_but_with_hashes(url, expected):
    assert redact_url(url) == expected


def test_exchanges_are_recorded_only_inside_a_capture_even_from_the_pools(http_mock):
    http_mock.add(responses.GET, "https://p.example/api/tx/1", body='{"ok": 1}', status=200)
    http_mock.add(responses.GET, "https://p.example/api/down", body="busy", status=503)
    http_mock.add(responses.GET, "https://p.example/api/gone", body=requests.ConnectionError("refused"))
    session = http.new_session()
    session.get("https://p.example/api/tx/1")  # not captured
    with capture() as tape:
        http.PARALLEL.submit(session.get, "https://p.example/api/tx/1").result()
        http.SIDE_BY_SIDE.submit(session.get, "https://p.example/api/down").result()
        with pytest.raises(requests.ConnectionError):
            session.get("https://p.example/api/gone")
    by_url = {e.url.rsplit("/", 1)[1]: e for e in tape.exchanges}
    assert set(by_url) == {"1", "down", "gone"}
    assert by_url["1"].body == b'{"ok": 1}' and by_url["1"].status == 200 and by_url["1"].answered
    assert by_url["down"].status == 503 and not by_url["down"].answered
    assert by_url["gone"].status is None and by_url["gone"].error == "ConnectionError" and not by_url["gone"].answered
    assert all(e.provider == "p.example" and e.latency_ms >= 0 for e in tape.exchanges)


def test_a_body_too_large_to_keep_leaves_its_hash(http_mock, monkeypatch):
    monkeypatch.setattr("chains.recording.MAX_BODY_BYTES", 8)
    http_mock.add(responses.GET, "https://p.example/api/big", body="0123456789abcdef", status=200)
    with capture() as tape:
        http.new_session().get("https://p.example/api/big")
    [exchange] = tape.exchanges
    assert exchange.body is None and exchange.body_sha256 == hashlib.sha256(b"0123456789abcdef").hexdigest()
