"""The deposit auditor's settings: off by default, chains and callback checked at start."""

import pytest

from app.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("AUDIT_ENABLED", "AUDIT_CHAINS", "AUDIT_GRACE_MINUTES", "AUDIT_CALLBACK_URL"):
        monkeypatch.delenv(name, raising=False)


def test_the_auditor_is_off_by_default_with_a_30_minute_grace_on_both_chains():
    settings = load_settings()
    assert not settings.audit_enabled and settings.audit_grace_minutes == 30
    assert [c.value for c in settings.audit_chains] == ["btc", "eth"]


def test_audit_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("AUDIT_ENABLED", "true")
    monkeypatch.setenv("AUDIT_CHAINS", " ETH ")
    monkeypatch.setenv("AUDIT_GRACE_MINUTES", "5")
    settings = load_settings()
    assert settings.audit_enabled and [c.value for c in settings.audit_chains] == ["eth"]
    assert settings.audit_grace_minutes == 5


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AUDIT_CHAINS", "btc,doge", "AUDIT_CHAINS"),
        ("AUDIT_GRACE_MINUTES", "-1", "AUDIT_GRACE_MINUTES"),
        ("AUDIT_CALLBACK_URL", "ftp://backoffice", "AUDIT_CALLBACK_URL"),
    ],
)
def test_nonsense_audit_settings_stop_the_start(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()
