"""Shared pieces of the HTML side: templates (with the catalogs' words), verdict labels and colours,
security headers."""

from __future__ import annotations

from pathlib import Path

from babel import Locale
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.responses import Response

from investigations import catalogs
from investigations.verdicts import Code, PayoutCode

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
# Colour is never alone: every tone also has a symbol and a label.
TONES = {
    "good": ({Code.CREDITED}, "✓"),
    "wait": ({Code.PENDING, Code.CONFIRMING, Code.NOT_FOUND, Code.PROVIDER_UNAVAILABLE, Code.REORGED}, "◐"),
    "info": ({Code.CONFIRMED_NOT_CREDITED}, "➜"),
}
TONES["good"][0].add(PayoutCode.DELIVERED)
TONES["wait"][0].update({PayoutCode.PENDING, PayoutCode.CONFIRMING, PayoutCode.REPLACED})
TONES["info"][0].add(PayoutCode.NOT_SENT)  # finance acts; stuck, wrong address, … stay "bad"


def tone(code: str) -> str:
    for name, (codes, _symbol) in TONES.items():
        if code in codes:
            return name
    return "bad"


def symbol(code: str) -> str:
    return TONES.get(tone(code), (set(), "✗"))[1]


def label(code: str) -> str:
    if code in PayoutCode._value2member_map_:
        return PAYOUT_LABELS[PayoutCode(code)]
    return LABELS.get(Code(code), code) if code in Code._value2member_map_ else code


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
templates.env.globals.update(tone=tone, symbol=symbol, label=label, languages=languages, language_name=language_name)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def secure(response: Response, *, public: bool = False) -> Response:
    """Headers for every page we render; public (player) pages are also kept out of search engines."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    if public:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
