"""Secrets redacted by configuration: the configured URLs' paths, queries and credentials never
reach a log line, and settings errors name a provider by its host only."""

from __future__ import annotations

import logging

import pytest

from app.runtime import redaction
from app.settings import SettingsError, load_settings

KEY = "0f1e" * 15 + "e1f0"


def test_configured_urls_and_credentials_are_cut_out_of_every_log_line(caplog, monkeypatch):
    monkeypatch.setattr(redaction, "_bases", ())
    monkeypatch.setattr(redaction, "_literals", ())
    settings = load_settings(
        eth_providers=[f"https://rpc.example/k/{KEY}/api"],
        eth_history_providers=["https://hist.example/api?chainid=1&apikey=HISTKEY1234"],
        telegram_bot_token="123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi",
    )
    redaction.install(settings)
    log = logging.getLogger("depositdesk.test")
    with caplog.at_level(logging.INFO):
        log.info("call to %s failed", f"https://rpc.example/k/{KEY}/api/tx/1")
        log.info("history https://hist.example/api?chainid=1&apikey=HISTKEY1234&module=account")
        log.info("bot https://api.telegram.org/bot123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi/sendMessage")
        try:
            raise ConnectionError(f"Max retries exceeded with url: /k/{KEY}/api/tx/1")
        except ConnectionError:
            log.exception("lookup failed")
    text = caplog.text
    assert "Max retries exceeded" in text and "lookup failed" in text
    assert KEY not in text and "HISTKEY1234" not in text and "ABCDEFGHIJKLMNOPQRSTUVWXYZ" not in text
    assert "rpc.example" in text and "/tx/1" in text and "sendMessage" in text


def test_a_settings_error_names_a_provider_by_its_host_only():
    with pytest.raises(SettingsError) as caught:
        load_settings(btc_providers=[f"nosuchkind:https://rpc.example/k/{KEY}/api"])
    assert KEY not in str(caught.value) and "/k/" not in str(caught.value)


def test_installing_the_same_configuration_again_adds_nothing(monkeypatch):
    monkeypatch.setattr(redaction, "_bases", ())
    monkeypatch.setattr(redaction, "_literals", ())
    settings = load_settings(eth_providers=[f"https://rpc.example/k/{KEY}/api"])
    redaction.install(settings)
    once = (redaction._bases, redaction._literals)
    redaction.install(settings)
    assert (redaction._bases, redaction._literals) == once
