"""The HTTP session reads the environment's proxy and CA settings once per host, and still honours them."""

from __future__ import annotations

import os

import pytest
import requests
import requests.sessions
import requests.utils
import responses as responses_lib

from chains.http import Session


@pytest.fixture(autouse=True)
def _no_proxy_of_this_machine(monkeypatch):
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            monkeypatch.delenv(name)


def _merged(session: Session, url: str) -> dict:
    return session.merge_environment_settings(url, {}, None, None, None)


def test_proxies_and_no_proxy_from_the_environment_are_honoured(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/casino-ca.pem")
    session = Session()
    through = _merged(session, "https://esplora.example/api/tx/ab")
    assert through["proxies"]["https"] == "http://proxy.example:3128"
    assert through["verify"] == "/etc/ssl/casino-ca.pem"
    assert "https" not in _merged(session, "https://direct.example/api/tx/ab")["proxies"]


def test_the_environment_is_read_once_per_host(monkeypatch):
    calls: list[str] = []
    real = requests.sessions.get_environ_proxies

    def counting(url, no_proxy=None):  # type: ignore[no-untyped-def]
        calls.append(url)
        return real(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counting)
    session = Session()
    for number in range(5):
        _merged(session, f"https://esplora.example/api/tx/{number}")
    _merged(session, "https://other.example/api/blocks/tip/height")
    assert len(calls) == 2
    answer = _merged(session, "https://esplora.example/api/tx/9")
    answer["proxies"]["https"] = "changed by a caller"
    assert _merged(session, "https://esplora.example/api/tx/9")["proxies"].get("https") != "changed by a caller"


def test_a_call_with_its_own_proxies_is_not_cached(monkeypatch):
    session = Session()
    own = session.merge_environment_settings("https://a.example/", {"https": "http://own:1"}, None, None, None)
    assert own["proxies"]["https"] == "http://own:1"
    assert "https" not in _merged(session, "https://a.example/")["proxies"]


def _authorization(session: Session, url: str) -> str | None:
    return session.prepare_request(requests.Request("GET", url)).headers.get("Authorization")


def test_netrc_credentials_are_found_once_per_host_and_url_credentials_still_count(monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine node.example login casino password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    calls: list[str] = []
    real = requests.utils.get_netrc_auth

    def counting(url, raise_errors=False):  # type: ignore[no-untyped-def]
        calls.append(url)
        return real(url, raise_errors)

    monkeypatch.setattr(requests.utils, "get_netrc_auth", counting)
    session = Session()
    for number in range(3):
        assert _authorization(session, f"https://node.example/rpc/{number}") == "Basic Y2FzaW5vOnMzY3JldA=="
    assert _authorization(session, "https://user:pw@plain.example/") == "Basic dXNlcjpwdw=="
    assert _authorization(session, "https://user:pw@plain.example/again") == "Basic dXNlcjpwdw=="
    assert _authorization(session, "https://plain.example/") is None
    assert len(calls) == 3  # one per scheme and host (user:password is part of it)
    own = session.prepare_request(requests.Request("GET", "https://node.example/", auth=("me", "x")))
    assert own.headers["Authorization"] == "Basic bWU6eA=="


@responses_lib.activate
def test_a_json_post_from_a_prepared_template_is_the_request_requests_would_send():
    responses_lib.add(responses_lib.POST, "https://rpc.example/v1", json={"ok": True})
    session = Session()
    session.headers["User-Agent"] = "depositdesk-test"
    body = b'[{"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":0}]'
    session.post("https://rpc.example/v1", data=body, headers={"Content-Type": "application/json"}, timeout=5)
    session.post_json("https://rpc.example/v1", body, timeout=5)
    session.headers["X-Api-Key"] = "k"  # a header set later is sent (the template is per headers)
    session.post_json("https://rpc.example/v1", body + b" ", timeout=5)
    plain, templated, later = (call.request for call in responses_lib.calls)
    assert (templated.method, templated.url, templated.body) == (plain.method, plain.url, plain.body)
    assert dict(templated.headers) == dict(plain.headers)
    assert later.headers["X-Api-Key"] == "k" and later.headers["Content-Length"] == str(len(body) + 1)
