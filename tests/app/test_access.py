"""/metrics only for the addresses in METRICS_ALLOW_IPS (loopback by default) or METRICS_TOKEN;
the API docs (/docs, /redoc, /openapi.json) off in production unless DOCS_ENABLED."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import SettingsError, load_settings

DOC_PATHS = ("/docs", "/redoc", "/openapi.json")


def _client(settings, sqlite_engine, **update):
    return TestClient(create_app(settings.model_copy(update=update), engine=sqlite_engine))


def test_metrics_are_refused_to_other_addresses_by_default(settings, sqlite_engine):
    with _client(settings, sqlite_engine) as client:  # the test client is not loopback
        assert client.get("/metrics").status_code == 404
    with _client(settings, sqlite_engine, metrics_allow_ips=["10.0.0.0/8", "testclient"]) as client:
        assert client.get("/metrics").status_code == 200


def test_a_metrics_token_opens_them_from_anywhere(settings, sqlite_engine):
    token = "scrape-token-0123456789abcdef"
    with _client(settings, sqlite_engine, metrics_token=token) as client:
        assert client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 404
        assert client.get("/metrics").status_code == 404


def test_allowed_networks_match_by_prefix(settings):
    allowed = settings.model_copy(update={"metrics_allow_ips": ["10.0.0.0/8", "::1"]})
    assert allowed.metrics_allowed("10.2.3.4", None) and allowed.metrics_allowed("::1", None)
    assert not allowed.metrics_allowed("192.168.1.1", None) and not allowed.metrics_allowed(None, None)
    assert settings.metrics_allowed("127.0.0.1", None)  # the default: loopback


def test_docs_are_off_in_production_and_on_in_development(settings, sqlite_engine):
    assert settings.production  # PUBLIC_BASE_URL is a public host
    with _client(settings, sqlite_engine) as client:
        assert [client.get(path).status_code for path in DOC_PATHS] == [404, 404, 404]
    local = {"public_base_url": "http://127.0.0.1:8000"}
    for update in (local, {"docs_enabled": True}, {"environment": "development"}):
        with _client(settings, sqlite_engine, **update) as client:
            assert [client.get(path).status_code for path in DOC_PATHS] == [200, 200, 200], update
    with _client(settings, sqlite_engine, **local, environment="production") as client:
        assert client.get("/docs").status_code == 404


@pytest.mark.parametrize(
    ("variable", "value"),
    [("METRICS_ALLOW_IPS", "everyone"), ("METRICS_TOKEN", "short"), ("ENVIRONMENT", "staging")],
)
def test_bad_access_settings_name_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings(_env_file=None)
