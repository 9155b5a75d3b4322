"""The notes written onto tickets: verdict, follow-up, escalation, and "please send the hash"."""

from __future__ import annotations

import re

from app.runtime.pages import label
from investigations.models import Investigation

NO_HASH_MARKER = "[depositdesk no-hash]"
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_GERMAN = re.compile(r"[äöüß]|\b(ich|nicht|einzahlung|habe|bitte|guthaben|überwiesen)\b", re.IGNORECASE)

ASK_FOR_HASH = {
    "ru": "Здравствуйте! Чтобы проверить ваш депозит, пришлите, пожалуйста, хеш транзакции (TXID) из вашего кошелька "
    "и адрес, на который вы отправили средства.",
    "de": "Hallo! Um Ihre Einzahlung zu prüfen, senden Sie uns bitte den Transaktions-Hash (TXID) aus Ihrer Wallet "
    "und die Adresse, an die Sie gesendet haben.",
    "en": "Hello! To check your deposit, please send us the transaction hash (TXID) from your wallet and the address "
    "you sent it to.",
}


# Helpdesks whose notes are rendered as Markdown; Freshdesk's client sends HTML-escaped text and
# the generic callback is JSON, so their notes stay plain.
MARKDOWN_HELPDESKS = frozenset({"zendesk", "chatwoot"})
# Backslash-escaped so ledger text (player_ref, anything the summary quotes) renders as the literal
# characters: no emphasis, links, images, HTML, tables, entities or autolinks (":" and "." break
# "http://" and "www."). CommonMark allows a backslash before any ASCII punctuation.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!<>|~&:.\-=^$\"'])")


def markup_for(helpdesk: str) -> str:
    return "markdown" if helpdesk in MARKDOWN_HELPDESKS else "plain"


def escape_markdown(text: str) -> str:
    """Text that a Markdown renderer shows exactly as it is."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def detect_language(text: str) -> str:
    if _CYRILLIC.search(text):
        return "ru"
    if _GERMAN.search(text):
        return "de"
    return "en"


def marker(record: Investigation, kind: str = "", *, sequence: int | None = None) -> str:
    """What identifies a note on the ticket; the sequence tells apart A → B → A verdicts."""
    suffix = f" #{sequence}" if sequence is not None else ""
    return f"[depositdesk {record.id} {kind or record.code}{suffix}]"


def verdict_note(
    record: Investigation,
    status_url: str,
    language: str,
    *,
    previous_code: str | None = None,
    sequence: int = 1,
    markup: str = "plain",
) -> str:
    """The note; with markup "markdown" every piece of ledger or chain text is escaped for it."""
    text = escape_markdown if markup == "markdown" else str
    verdict, evidence = record.verdict, record.evidence or {}
    state = "final" if record.final else "not final, depositdesk re-checks and will add a note when it changes"
    lines = []
    if previous_code:
        lines.append(f"depositdesk update: {label(previous_code)} → {label(record.code)}")
    lines += [
        f"depositdesk verdict: {label(record.code)} ({record.code}; {state})",
        f"Transaction: {record.chain.upper()} {record.tx_hash}",
        text(verdict["summary"]),
        f"Action: {text(verdict['action'])}",
    ]
    for paid in evidence.get("paid") or []:
        asset = text(str(paid["asset"]))
        ledger = f"ledger {text(paid['ledger_credited'])} {asset}" if paid.get("ledger_credited") else "not credited"
        lines.append(
            f"Paid: {text(paid['amount'])} {asset} to {text(paid['address'])} "
            f"(player {text(str(paid['player_ref']))}), {ledger}"
        )
    if evidence.get("confirmations"):
        lines.append(f"Confirmations: {evidence['confirmations']}")
    if evidence.get("explorer_url"):
        lines.append(f"Explorer: {evidence['explorer_url']}")
    lines += [
        "",
        f"Reply for the player ({language}):",
        verdict["player_message"][language],
        "",
        f"Status link for the player: {status_url}",
        marker(record, sequence=sequence),
    ]
    return "\n".join(lines)


def escalation_note(record: Investigation) -> str:
    return "\n".join(
        [
            f"depositdesk: still no final verdict for {record.chain.upper()} {record.tx_hash} "
            f"after three days ({label(record.code)}).",
            "Action: escalate — check the transaction by hand and with finance; depositdesk stopped re-checking.",
            marker(record, "escalate"),
        ]
    )


def no_hash_note(language: str, *, reason: str | None = None) -> str:
    headline = (
        f"depositdesk: invalid_input: {reason}." if reason else "depositdesk: no transaction hash found in this ticket."
    )
    return "\n".join(
        [
            f"{headline} Suggested reply:",
            "",
            ASK_FOR_HASH[language],
            NO_HASH_MARKER,
        ]
    )
