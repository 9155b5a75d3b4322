"""Shared pieces of the HTML side: templates (with the catalogs' words), verdict labels and colours,
security headers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel import Locale
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.responses import Response

from investigations import catalogs
from investigations.verdicts import Code, Level, PayoutCode, level, level_rank

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = TEMPLATES_DIR / "static"

LABELS = {
    Code.INVALID_INPUT: "Invalid input",
    Code.NOT_FOUND: "Not found yet",
    Code.PENDING: "Pending (in mempool)",
    Code.CONFIRMING: "Confirming",
    Code.CREDITED: "Credited",
    Code.CONFIRMED_NOT_CREDITED: "Confirmed, not credited",
    Code.AMOUNT_MISMATCH: "Amount mismatch",
    Code.NOT_OUR_ADDRESS: "Not our address",
    Code.OTHER_PLAYER_ADDRESS: "Another player's address",
    Code.ADDRESS_MISMATCH: "Address not in this transaction",
    Code.FAILED: "Failed (reverted)",
    Code.REPLACED: "Replaced",
    Code.DROPPED: "Dropped",
    Code.REORGED: "Reorged",
    Code.UNSUPPORTED_ASSET: "Unsupported asset",
    Code.WRONG_NETWORK: "Wrong network",
    Code.BELOW_MINIMUM: "Below minimum",
    Code.ALREADY_CLAIMED: "Already claimed",
    Code.PROVIDER_UNAVAILABLE: "Providers unavailable",
}
# Payouts (issue 25): the withdrawal a payout record describes, judged against the chain.
PAYOUT_LABELS = {
    PayoutCode.NOT_SENT: "Payout not sent",
    PayoutCode.PENDING: "Payout pending (in mempool)",
    PayoutCode.STUCK: "Payout stuck (fee too low)",
    PayoutCode.CONFIRMING: "Payout confirming",
    PayoutCode.DELIVERED: "Payout delivered",
    PayoutCode.WRONG_ADDRESS: "Payout to a wrong address",
    PayoutCode.AMOUNT_DIFFERS: "Payout amount differs",
    PayoutCode.FAILED: "Payout failed (reverted)",
    PayoutCode.REPLACED: "Payout replaced",
    PayoutCode.DROPPED: "Payout dropped",
}
# Colour is never alone: every level also has a symbol and a label. The level of each code is
# defined beside the codes (investigations.verdicts.LEVELS); pages take colour, symbol and order from it.
LEVEL_LOOK: dict[Level, tuple[str, str]] = {
    Level.NEEDS_ACTION: ("!", "Needs action"),
    Level.WATCH: ("◐", "Watch"),
    Level.CANNOT_TELL: ("?", "Cannot tell"),
    Level.FINE: ("✓", "Fine"),
}


def tone(code: str) -> str:
    """The CSS tone of a code: its level (tone-needs_action, tone-watch, tone-cannot_tell, tone-fine)."""
    return level(code).value


def symbol(code: str) -> str:
    return LEVEL_LOOK[level(code)][0]


def level_label(code: str) -> str:
    return LEVEL_LOOK[level(code)][1]


def needs_action(code: str) -> bool:
    return level(code) is Level.NEEDS_ACTION


def by_level(rows: list[Any], code_of: Callable[[Any], str] = lambda row: row.code) -> list[Any]:
    """Needs action first, fine last; the order within a level is kept (callers sort by age first)."""
    return sorted(rows, key=lambda row: level_rank(code_of(row)))


def label(code: str) -> str:
    if code in PayoutCode._value2member_map_:
        return PAYOUT_LABELS[PayoutCode(code)]
    return LABELS.get(Code(code), code) if code in Code._value2member_map_ else code


def iso_utc(value: Any) -> str | None:
    """An aware datetime or ISO text as ISO 8601 in UTC (what <time datetime> and the scripts read)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def utc_text(iso: str, mode: str = "full") -> str:
    """What a page shows before its script turns it into the viewer's local time: "14:02 UTC"."""
    moment = datetime.fromisoformat(iso)
    return moment.strftime("%H:%M UTC" if mode == "time" else "%Y-%m-%d %H:%M UTC")


def age_text(seconds: float | None) -> str:
    """An age in whole minutes, hours or days: "45 min", "3 h", "2 d"."""
    if seconds is None:
        return "–"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 1440:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} d"


def explorer_address(explorer_tx_url: str | None, address: str | None) -> str | None:
    """The explorer's page of an address, from the page of the transaction (/tx/ → /address/)."""
    if not explorer_tx_url or not address or "/tx/" not in explorer_tx_url:
        return None
    return f"{explorer_tx_url.rsplit('/tx/', 1)[0]}/address/{address}"


_ANSWER_WORDS = {"error": "unreachable", "not_found": "not found", "cannot_tell": "cannot tell", "cache": "cached"}


def provider_groups(providers: list[dict[str, Any]], chain: str) -> list[dict[str, Any]]:
    """The providers' answers by chain, each with a summary ("2 of 2 not found", "unreachable")."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for answer in providers or []:
        groups.setdefault(answer.get("chain") or chain, []).append(answer)
    result = []
    for name, answers in groups.items():
        kinds = [str(a.get("answer", "")) for a in answers]
        if all(kind == "error" for kind in kinds):
            summary = "unreachable"
        elif len(set(kinds)) == 1:
            summary = f"{len(kinds)} of {len(kinds)} {_ANSWER_WORDS.get(kinds[0], kinds[0])}"
        else:
            counts = {kind: kinds.count(kind) for kind in dict.fromkeys(kinds)}
            summary = ", ".join(f"{n} {_ANSWER_WORDS.get(kind, kind)}" for kind, n in counts.items())
        result.append({"chain": name, "summary": summary, "answers": answers})
    return sorted(result, key=lambda group: group["chain"] != chain)  # the verdict's chain first


def providers_line(groups: list[dict[str, Any]]) -> str:
    """ "BTC: 2 of 2 not found · ETH: unreachable" """
    return " · ".join(f"{group['chain'].upper()}: {group['summary']}" for group in groups)


def amount_text(record: Any) -> str:
    """What a list shows as the amount: the payout's, or what was paid to the record's player (every
    paid row when it names none); "" when nothing was paid."""
    evidence = getattr(record, "evidence", None) or {}
    payout = evidence.get("payout")
    if isinstance(payout, dict) and payout.get("amount"):
        return f"{payout['amount']} {payout.get('asset', '')}".strip()
    paid = evidence.get("paid")
    if not isinstance(paid, list):
        return ""
    player = getattr(record, "player_ref", None)
    rows = [p for p in paid if isinstance(p, dict) and (not player or p.get("player_ref") == player)] or [
        p for p in paid if isinstance(p, dict)
    ]
    return ", ".join(f"{p.get('amount')} {p.get('asset')}" for p in rows)


def languages() -> tuple[str, ...]:
    return catalogs.LANGUAGES


def language_name(code: str) -> str:
    """The language's own name for itself: "Русский", "Deutsch", "English"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


# Templates translate with the language of their context's `lang` (English where there is none).
@pass_context
def _gettext(context: Context, message: str) -> str:
    return catalogs.translations(context.get("lang") or catalogs.SOURCE_LANGUAGE).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    return catalogs.translations(context.get("lang") or catalogs.SOURCE_LANGUAGE).ngettext(singular, plural, count)


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.add_extension("jinja2.ext.i18n")
# Old-style gettext: a translation is text, escaped like any other value (newstyle would trust it as
# markup and %-format it, so one "%" in a catalog would break a page).
templates.env.install_gettext_callables(_gettext, _ngettext, newstyle=False)  # type: ignore[attr-defined]
templates.env.globals.update(
    tone=tone,
    symbol=symbol,
    label=label,
    level_label=level_label,
    needs_action=needs_action,
    languages=languages,
    language_name=language_name,
    iso_utc=iso_utc,
    amount_text=amount_text,
    utc_text=utc_text,
    age_text=age_text,
    explorer_address=explorer_address,
    provider_groups=provider_groups,
    providers_line=providers_line,
)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def secure(response: Response, *, public: bool = False, frame_origins: list[str] | None = None) -> Response:
    """Headers for every page we render; public (player) pages are also kept out of search engines.
    `frame_origins`: the origins that may frame this page (the side panel, EMBED_ORIGINS); none may else."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    if frame_origins:
        ancestors = " ".join(["'self'", *frame_origins])
        response.headers["Content-Security-Policy"] = CSP.replace(
            "frame-ancestors 'none'", f"frame-ancestors {ancestors}"
        )
        del response.headers["X-Frame-Options"]  # CSP frame-ancestors decides; XFO cannot name origins
    response.headers["Cache-Control"] = "no-store"
    if public:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
