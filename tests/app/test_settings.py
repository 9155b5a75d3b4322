import pytest

from app.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "BTC_PROVIDERS", "MIN_DEPOSITS", "BTC_CONFIRMATIONS", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_no_editing():
    settings = load_settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.btc_confirmations == 2
    assert settings.btc_providers[0].startswith("esplora:https://")
    assert settings.min_deposits["BTC"] == 10_000


def test_values_come_from_the_environment_and_dotenv(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("BTC_CONFIRMATIONS=3\nMIN_DEPOSITS=BTC=0.0002,USDT=5\n")
    monkeypatch.setenv("DATABASE_URL", "postgresql://depositdesk@db/depositdesk")
    settings = load_settings()
    assert settings.btc_confirmations == 3
    assert settings.min_deposits == {"BTC": 20_000, "USDT": 5_000_000}
    assert settings.database_url == "postgresql+psycopg://depositdesk@db/depositdesk"


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("BTC_CONFIRMATIONS", "0", "BTC_CONFIRMATIONS"),
        ("BTC_CONFIRMATIONS", "two", "BTC_CONFIRMATIONS"),
        ("MIN_DEPOSITS", "BTC=-1", "negative"),
        ("MIN_DEPOSITS", "DOGE=1", "known asset"),
        ("MIN_DEPOSITS", "BTC", "ASSET=AMOUNT"),
        ("BTC_PROVIDERS", "", "at least one"),
        ("BTC_PROVIDERS", "ftp://example.com", "provider kind"),
        ("DATABASE_URL", "mysql://x", "sqlite"),
        ("SECRET_KEY", "changeme", "placeholder"),
        ("PUBLIC_BASE_URL", "desk.example", "http(s) URL"),
        ("REDIS_URL", "http://127.0.0.1:6379", "redis://"),
        ("PROVIDER_HEDGE_MIN_SECONDS", "5", "PROVIDER_HEDGE_MAX_SECONDS"),
        ("PROVIDER_RATE_BURST", "0", "PROVIDER_RATE_BURST"),
        ("BRAND_LOGO_URL", "http://cdn.example/logo.png", "https://"),
        ("SUPPORT_URL", "javascript:alert(1)", "mailto:"),
    ],
)
def test_nonsense_fails_fast_naming_the_variable(monkeypatch, variable, value, says):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert variable in str(error.value) and says in str(error.value)


def test_provider_credentials_never_appear_in_errors(monkeypatch):
    monkeypatch.setenv("BTC_PROVIDERS", "rpc:http://alice:hunter2@node.example:8332")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "hunter2" not in str(error.value) and "alice" not in str(error.value)


def test_secret_key_is_generated_once_and_kept():
    settings = load_settings()
    first = settings.resolved_secret_key()
    assert len(first) >= 32 and settings.resolved_secret_key() == first


def test_sla_and_evidence_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("DASHBOARD_AGENTS", " lead-1, lead-2 ,")
    monkeypatch.setenv("SLA_FIRST_NOTE_SECONDS", "45")
    monkeypatch.setenv("EVIDENCE_KEY_FILE", "/secure/evidence.pem")
    settings = load_settings(_env_file=None)
    assert settings.dashboard_agents == ["lead-1", "lead-2"] and settings.sla_first_note_seconds == 45
    assert str(settings.resolved_evidence_key_path()) == "/secure/evidence.pem"
    monkeypatch.setenv("EVIDENCE_BODY_RETENTION_DAYS", "0")
    with pytest.raises(SettingsError, match="EVIDENCE_BODY_RETENTION_DAYS"):
        load_settings(_env_file=None)
