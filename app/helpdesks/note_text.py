"""The notes written onto tickets: verdict, follow-up, escalation, and "please send the hash".

The notes are for agents and in English; only the reply for the player in them is in the player's
language (the catalogs of `investigations/locale`)."""

from __future__ import annotations

import re

from app.runtime.pages import label, needs_action, symbol
from investigations import catalogs, messages
from investigations.catalogs import N_
from investigations.messages import reply_for
from investigations.models import Investigation
from investigations.search import SearchResult

NO_HASH_MARKER = "[depositdesk no-hash]"

ASK_FOR_HASH = N_(
    "Hello! To check your deposit, please send us the transaction hash (TXID) from your wallet and the address "
    "you sent it to."
)


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
    """The ticket's language, among those with a catalog: Cyrillic is Russian, a few words mark German."""
    return messages.detect_language(text)


def marker(record: Investigation, kind: str = "", *, sequence: int | None = None) -> str:
    """What identifies a note on the ticket; the sequence tells apart A → B → A verdicts."""
    suffix = f" #{sequence}" if sequence is not None else ""
    return f"[depositdesk {record.id} {kind or record.code}{suffix}]"


def verdict_tag(code: str) -> str:
    """`deposit-<code>`; a payout's verdict is already `payout_…`: `payout-<code>` (payout-stuck)."""
    tag = code.replace("_", "-")
    return tag if code.startswith("payout_") else f"deposit-{tag}"


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
    flag = "NEEDS ACTION — " if needs_action(record.code) else ""  # the level of the code (issue 30)
    lines.append(f"{flag}depositdesk verdict: {symbol(record.code)} {label(record.code)} ({record.code}; {state})")
    payout = evidence.get("payout")
    if payout:
        lines.append(
            f"Payout: {text(str(payout['payout_id']))} ({text(str(payout['status']))}), {text(str(payout['amount']))} "
            f"{text(str(payout['asset']))} to {text(str(payout['to_address']))}"
        )
    if record.tx_hash:
        lines.append(f"Transaction: {record.chain.upper()} {record.tx_hash}")
    lines += [
        text(verdict["summary"]),
        f"Action: {text(verdict['action'])}",
    ]
    for paid in [] if payout else evidence.get("paid") or []:
        asset = text(str(paid["asset"]))
        ledger = f"ledger {text(paid['ledger_credited'])} {asset}" if paid.get("ledger_credited") else "not credited"
        lines.append(
            f"Paid: {text(paid['amount'])} {asset} to {text(paid['address'])} "
            f"(player {text(str(paid['player_ref']))}), {ledger}"
        )
    if payout and evidence.get("eta_minutes"):
        lines.append(f"ETA: about {evidence['eta_minutes']} min")
    if evidence.get("confirmations"):
        lines.append(f"Confirmations: {evidence['confirmations']}")
    if evidence.get("explorer_url"):
        lines.append(f"Explorer: {evidence['explorer_url']}")
    lines += _network_lines(evidence)
    lines += [
        "",
        f"Reply for the player ({language}):",
        reply_for(verdict, language, handed_on=True),
        "",
        f"Status link for the player: {status_url}",
        marker(record, sequence=sequence),
    ]
    return "\n".join(lines)


def _network_lines(evidence: dict) -> list[str]:
    """EVM networks (issue 23): the finality rule, where a wrong_network payment was made, and the
    address and token links on the network's own explorer."""
    lines = []
    found = evidence.get("found_on") or {}
    if found.get("network"):
        issued = evidence.get("issued_for") or "?"
        lines.append(f"Paid on: {found['network']} (chain id {found.get('chain_id')}), address issued for {issued}")
        if found.get("explorer"):
            lines.append(f"Explorer ({found['network']}): {found['explorer']}")
    if (evidence.get("finality") or {}).get("rule"):
        lines.append(f"Final after: {evidence['finality']['rule']}")
    links = evidence.get("explorer_links") or {}
    for url in [*links.get("addresses", []), *links.get("tokens", [])]:
        lines.append(f"Explorer ({links.get('network', '')}): {url}")
    return lines


def network_tags(record: Investigation) -> list[str]:
    """`deposit-network-bsc` on a ticket about another EVM network than Ethereum, and for a
    wrong_network verdict the network it was paid on (`deposit-paid-on-bsc`)."""
    tags = [f"deposit-network-{record.chain}"] if record.chain not in ("btc", "eth") else []
    found = ((record.evidence or {}).get("found_on") or {}).get("network")
    if record.code == "wrong_network" and found:
        tags.append(f"deposit-paid-on-{found}")
    return tags


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
            catalogs.translations(language).gettext(ASK_FOR_HASH),
            NO_HASH_MARKER,
        ]
    )


def search_marker(target: str) -> str:
    return f"[depositdesk search {target[:80]}]"


def search_note(result: SearchResult, links: dict[str, str], language: str, marker: str) -> str:
    """The candidates a no-hash search found, an uncredited confirmed payment said first."""
    q, first = result.query, result.uncredited_confirmed
    whom = f"player {q.player_ref}" if q.player_ref else f"address {q.address}"
    lines = [f"depositdesk: no transaction hash in this ticket; searched the payments to {whom} "
             f"from {q.since:%Y-%m-%d %H:%M} to {q.until:%Y-%m-%d %H:%M} UTC."]  # fmt: skip
    if first is not None:
        paid = ", ".join(f"{p['amount']} {p['asset']}" for p in first.evidence.get("paid") or [])
        lines += [f"FIRST: a confirmed payment that is NOT credited: {first.chain.upper()} {first.tx_hash} ({paid}).",
                  f"Action: {first.verdict['action']}", f"Status link for the player: {links[first.id]}"]  # fmt: skip
    lines.append(f"Candidates: {len(result.candidates)} of {result.total} transactions found." if result.candidates
                 else "No payments found in what could be searched.")  # fmt: skip
    for c in result.candidates:
        paid = ", ".join(f"{p['amount']} {p['asset']}" for p in c.evidence.get("paid") or []) or "—"
        lines.append(f"- {label(c.code)} ({c.code}): {c.chain.upper()} {c.tx_hash}, {paid}, {links[c.id]}")
    lines += [f"Not searched: {gap}" for gap in result.gaps()]
    if first is None:
        lines += [
            "",
            "If none of these is the player's payment, suggested reply:",
            catalogs.translations(language).gettext(ASK_FOR_HASH),
        ]
    return "\n".join([*lines, marker])
