"""The opt-in recorder of provider HTTP exchanges: only inside a capture, across the provider thread
pools, failures included, and never a credential."""

from __future__ import annotations

import hashlib

import hypothesis
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


KEY = "0f1e" * 15 + "e1f0"  # 64 hex digits: the shape of a tx hash, and the API key of several RPC vendors
TXID = "ab" * 32


def test_a_key_in_the_configured_provider_path_never_reaches_the_tape_even_when_it_looks_like_a_hash(http_mock):
    from chains.bitcoin.esplora import EsploraAdapter

    base = f"https://rpc.example/k/{KEY}/api"
    http_mock.add(responses.GET, f"{base}/tx/{TXID}", body="Transaction not found", status=404)
    http_mock.add(responses.GET, f"{base}/blocks/tip/height", body="850000", status=200)
    with capture() as tape:
        EsploraAdapter(base).get_tx(TXID)
    assert tape.exchanges
    for exchange in tape.exchanges:
        assert KEY not in exchange.url and "/k/" not in exchange.url
        assert exchange.url.startswith("https://rpc.example/***/")
    assert any(e.url == f"https://rpc.example/***/tx/{TXID}" for e in tape.exchanges)


def test_the_configured_query_and_userinfo_are_cut_and_only_the_request_suffix_kept():
    from chains.recording import bases_of

    bases = bases_of([f"https://u:pw@api.example/v2/{KEY}?apikey=abcdef123&chainid=1"])
    url = f"https://api.example/v2/{KEY}?apikey=abcdef123&chainid=1&module=account&page=2"
    assert redact_url(url, bases) == "https://api.example/***?module=account&page=2"
    assert redact_url(f"https://api.example/v2/{KEY}/tx/{TXID}", bases) == f"https://api.example/***/tx/{TXID}"
    # another host is not under the base: the shape rules still apply there
    assert redact_url(f"https://other.example/tx/{TXID}", bases) == f"https://other.example/tx/{TXID}"


def test_metering_a_session_keeps_the_bases_it_redacts_by(http_mock):
    from chains.resilience import LocalBucket

    base = f"https://rpc.example/{KEY}"
    session = http.protect(requests.Session(), base)
    http.meter(session, LocalBucket(1000, burst=10), "rpc.example")
    http_mock.add(responses.POST, base, body='{"jsonrpc":"2.0","id":1,"result":"0x1"}', status=200)
    with capture() as tape:
        session.post(base, json={})
    [exchange] = tape.exchanges
    assert exchange.url == "https://rpc.example/***" and KEY not in exchange.url


@hypothesis.settings(max_examples=200, deadline=None, derandomize=True)
@hypothesis.given(
    secret=hypothesis.strategies.text("0123456789abcdefABCDEF-_", min_size=6, max_size=80),
    suffix=hypothesis.strategies.sampled_from(["", "/tx/" + TXID, "/blocks/tip/height", "/address/x/txs"]),
)
def test_no_configured_secret_survives_redaction(secret, suffix):
    from chains.recording import bases_of, scrub

    bases = bases_of([f"https://host.example/p/{secret}?token={secret}"])
    redacted = redact_url(f"https://host.example/p/{secret}{suffix}?token={secret}&n=1", bases)
    assert secret not in redacted.replace(suffix, "") and redacted.endswith("?n=1")
    assert secret not in scrub(f"failed: https://host.example/p/{secret}{suffix}", bases)
