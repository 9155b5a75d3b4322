"""Secrets removed by configuration, not by their shape: every base URL the settings name (the
providers of each chain and network, the helpdesks, the callbacks, the Telegram Bot API with its
token) has its path, query and user:password cut out of every log line this process writes, and the
credentials the settings hold (API tokens and keys, webhook secrets, the bot token) with them.

The provider sessions redact what they record by the same rule (`chains.recording`): an evidence
file, a page or a metric shows a provider as its host and each request's own suffix (`/tx/<hash>`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from app.settings import Settings
from chains.recording import REDACTED, Base, bases_of

_lock = threading.Lock()
_bases: tuple[Base, ...] = ()
_literals: tuple[str, ...] = ()
_installed = False


def configured_urls(settings: Settings) -> list[str]:
    """Every base URL the settings name whose path, query or user:password may carry a credential."""
    urls: list[str] = []
    for spec in settings.btc_providers:
        kind, sep, url = spec.partition(":")
        urls.append(url if sep and kind in ("esplora", "bitcoincore") else spec)
    urls += settings.eth_providers
    urls += settings.eth_history_providers
    try:
        for network in settings.evm_network_configs().values():
            urls += list(network.providers)
    except Exception:  # a bad network setting stops the start elsewhere, naming its variable
        pass
    urls += [
        settings.zendesk_base_url,
        settings.freshdesk_base_url,
        settings.chatwoot_base_url,
        settings.intercom_base_url,
        settings.webhook_callback_url,
        settings.audit_callback_url,
        settings.telegram_api_url,
    ]
    if settings.telegram_bot_token:
        urls.append(f"{settings.telegram_api_url.rstrip('/')}/bot{settings.telegram_bot_token}")
    return [url for url in urls if url]


def configured_secrets(settings: Settings) -> list[str]:
    """The credentials themselves, wherever they may be pasted into a message."""
    values = [
        settings.zendesk_api_token,
        settings.freshdesk_api_key,
        settings.chatwoot_api_token,
        settings.telegram_bot_token,
        settings.intercom_access_token,
        *settings.zendesk_webhook_secrets,
        *settings.freshdesk_webhook_secrets,
        *settings.chatwoot_webhook_secrets,
        *settings.webhook_secrets,
        *settings.intercom_client_secrets,
    ]
    return [value for value in values if value and len(value) >= 6]


def scrub(text: str) -> str:
    """`text` without any configured URL's secret pieces or configured credential."""
    for literal in _literals:
        text = text.replace(literal, REDACTED)
    for base in _bases:
        text = base.scrub(text)
    return text


class _ScrubbingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _bases or _literals:
            try:
                message = record.getMessage()
            except Exception:
                return True
            cleaned = scrub(message)
            if cleaned != message:
                record.msg, record.args = cleaned, ()
            if record.exc_info and not record.exc_text:
                # A traceback carries exception messages (requests names the whole URL in its own):
                # formatted now, scrubbed, and kept where every Formatter looks first.
                record.exc_text = scrub(_FORMATTER.formatException(record.exc_info))
        return True


_FILTER = _ScrubbingFilter()
_FORMATTER = logging.Formatter()


def install(settings: Settings) -> None:
    """Redact this configuration's URLs and credentials in every log record from now on (once per
    process; a later call adds its settings' values)."""
    global _bases, _literals, _installed
    with _lock:
        _bases = tuple(dict.fromkeys((*_bases, *bases_of(configured_urls(settings)))))  # each once
        _literals = tuple(sorted({*_literals, *configured_secrets(settings)}, key=len, reverse=True))
        if not _installed:
            _installed = True
            factory = logging.getLogRecordFactory()

            def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = factory(*args, **kwargs)
                _FILTER.filter(record)
                return record

            logging.setLogRecordFactory(make_record)
