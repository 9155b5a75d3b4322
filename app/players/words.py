"""The status page's words that are chosen in code (the rest are in its templates), and how the
page picks a language. The translations are in the catalogs of `investigations/locale`."""

from __future__ import annotations

from fastapi import Request

from investigations import catalogs
from investigations.catalogs import N_

LANG_COOKIE = "dd_lang"

STATES = {
    "received": N_("Received — waiting for the first confirmation"),
    "confirming": N_("Confirming"),
    "confirmed": N_("Confirmed — our team is crediting it"),
    "confirmed_waiting": N_("Confirmed — not on your balance yet"),
    "credited": N_("Credited to your balance"),
    "checking": N_("We are checking"),
    "which_payment": N_("We are checking which payment is yours"),
    "needs_support": N_("Needs our support team"),
    "passed_on": N_("Our team has your case"),
    # Withdrawals (payout investigations)
    "withdrawal_processing": N_("Your withdrawal is being processed"),
    "withdrawal_sent": N_("Withdrawal sent — waiting for a block"),
    "withdrawal_confirming": N_("Withdrawal confirming"),
    "withdrawal_delivered": N_("Withdrawal delivered to your wallet"),
}

NETWORKS = {
    "btc": "Bitcoin",
    "eth": "Ethereum",
    # EVM networks beside Ethereum (issue 23): names, the same in every language
    "bsc": "BNB Smart Chain (BSC)",
    "polygon": "Polygon",
    "arbitrum": "Arbitrum",
    "base": "Base",
    "optimism": "Optimism",
    "tron": "TRON",  # issue 24
}

# Issue 30: the page's state and its message say one thing. For a payment a person must look at, the
# page does not repeat a reply that says who already has it ("passed to our finance team"): it says
# what the player can do, and the support link (SUPPORT_URL) is beside it.
SUPPORT_MESSAGE = N_(
    "A member of our team needs to look at this payment. Please contact our support team and keep this link: they will tell you what happens next."
)
PERSON_CODES = frozenset(
    {
        "amount_mismatch",
        "unsupported_asset",
        "wrong_network",
        "already_claimed",
        "other_player_address",
        "below_minimum",
    }
)


def state_label(language: str, state: str) -> str:
    return catalogs.translations(language).gettext(STATES[state])


def confirmations_label(language: str, confirmations: int, required: int) -> str:
    # Translators: the progress line of the status page, counted by {confirmations} (English says
    # "1 of 2 confirmations" whatever the count, so both English forms are the same).
    text = catalogs.translations(language).ngettext(
        "{confirmations} of {required} confirmations", "{confirmations} of {required} confirmations", confirmations
    )
    return text.format(confirmations=confirmations, required=required)


def eta_label(language: str, minutes: int) -> str:
    # Translators: when a withdrawal on its way should arrive, on the status page ("{eta_minutes}" is a number).
    return catalogs.translations(language).gettext("Expected in about {eta_minutes} min").format(eta_minutes=minutes)


def pick_language(request: Request) -> str:
    """?lang= first, then the cookie a previous choice left, then Accept-Language; English last."""
    languages = catalogs.LANGUAGES
    asked = request.query_params.get("lang", "").lower()
    if asked in languages:
        return asked
    remembered = request.cookies.get(LANG_COOKIE, "")
    if remembered in languages:
        return remembered
    weighted = []
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((quality, tag.split("-")[0].lower()))
    for _quality, tag in sorted(weighted, key=lambda item: -item[0]):
        if tag in languages:
            return tag
    return catalogs.SOURCE_LANGUAGE
