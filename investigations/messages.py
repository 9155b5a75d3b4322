"""What the player is told for each verdict code, in every language of the catalogs.

Texts are `str.format` templates over a small set of facts (`amount`, `asset`, `confirmations`,
`required`, `eta_minutes`, `minimum`, `network`, `issued_network`); the English text is the msgid, the other languages
are in `investigations/locale`. Plural nouns come from each catalog's `npgettext` (CLDR plural rules)
before formatting. Nothing here may name another player or an internal id.
"""

from __future__ import annotations

import gettext
import re
from typing import Any

from investigations import catalogs
from investigations.catalogs import N_

# What a translation may use: the facts, and the plural nouns of the counted ones.
FIELDS = frozenset(
    {"amount", "asset", "confirmations", "confirmations_word", "required", "required_word"}
    | {"eta_minutes", "eta_word", "minimum", "network", "issued_network", "issued"}
)

TEMPLATES: dict[str, str] = {
    "invalid_input": N_(
        "We could not recognise the transaction hash or address. Please copy the hash (TXID) from your wallet or a block explorer and send it again together with the address you deposited to."
    ),
    "not_found": N_(
        "We cannot see this transaction on the network yet. If you have just sent it, please wait a few minutes: we will check again automatically. If your wallet shows it as sent, please send us a screenshot showing the transaction hash."
    ),
    # Translators: {confirmations_word}, {required_word} and {eta_word} are the nouns for {confirmations},
    # {required} and {eta_minutes}, already in the plural form their number asks for; use the ones your grammar needs.
    "pending": N_(
        "Your deposit of {amount} {asset} has reached the network and is waiting to be included in a block ({confirmations} {confirmations_word} so far). It will be credited automatically after {required} {required_word}, in about {eta_minutes} {eta_word}."
    ),
    "pending_contract_call": N_(
        "Your transaction has reached the network and is waiting to be included in a block. Once it is confirmed we will check it again automatically and credit the deposit."
    ),
    "ask_address": N_(
        "This transaction contains several payments. To find yours, please send us the deposit address shown in your cashier."
    ),
    # Translators: {confirmations_word}, {required_word} and {eta_word} are the nouns for {confirmations},
    # {required} and {eta_minutes}, already in the plural form their number asks for; use the ones your grammar needs.
    "confirming": N_(
        "Your deposit of {amount} {asset} is confirming: {confirmations} of {required} {required_word}. It will be credited automatically in about {eta_minutes} {eta_word}."
    ),
    "credited": N_(
        "Your deposit of {amount} {asset} is confirmed and has already been credited to your balance. If you do not see it, please refresh the page or log in again."
    ),
    "confirmed_not_credited": N_(
        "Your deposit of {amount} {asset} is confirmed on the network but is not on your balance yet. Please contact our support team and keep this link: they will credit it."
    ),
    "amount_mismatch": N_(
        "Your deposit of {amount} {asset} is confirmed, but the amount credited differs. Please contact our support team and keep this link so that they can correct it."
    ),
    "not_our_address": N_(
        "This transaction was not sent to any of our deposit addresses, so we cannot credit it. Please check the recipient address in your wallet, and always copy the current deposit address from the cashier."
    ),
    "other_player_address": N_(
        "This transaction was sent to a deposit address that is not linked to your account. Please contact our support team with the deposit address shown in your cashier and keep this link."
    ),
    "address_mismatch": N_(
        "The address you gave does not appear in this transaction. Please check that the transaction hash and the address belong to the same payment, and send them again."
    ),
    "replaced": N_(
        "This transaction was replaced by another transaction from your wallet (for example when speeding it up or cancelling it) and will not confirm itself. Please send us the hash of the new transaction from your wallet."
    ),
    "below_minimum": N_(
        "Your deposit of {amount} {asset} is below the minimum deposit ({minimum} {asset}), so it was not credited automatically. Please contact our support team and keep this link to find out how we can help."
    ),
    "already_claimed": N_(
        "This payment is already linked to another account or request. Please contact our support team and keep this link so that it can be reviewed."
    ),
    "failed": N_(
        "Your transaction was included in a block but failed (reverted by the contract), so no funds were transferred: they are still in your wallet, apart from the network fee. You can send the deposit again."
    ),
    "unsupported_asset": N_(
        "You sent an asset we do not accept ({asset}) to your deposit address, so it cannot be credited automatically. Please contact our support team and keep this link: they will review the payment with you."
    ),
    "wrong_network": N_(
        "Your deposit of {amount} {asset} was sent on the {network} network instead of {issued_network}, so it was not credited automatically. The address is ours; please contact our support team and keep this link so that they can look at recovering it."
    ),
    "failed_out_of_energy": N_(
        "Your transaction was included in a block but failed because the sending wallet did not have enough energy for it, so no funds were transferred: they are still in your wallet, apart from the TRX fee that was burnt. Please make sure the wallet has enough TRX for the fee and send the deposit again."
    ),
    # Translators: {network} is where the payment was made (TRON, Ethereum, BSC…), {issued} the network the deposit address was given for.
    "wrong_network_family": N_(
        "Your deposit of {amount} {asset} was sent on the {network} network, but your deposit address was given for {issued}, so it was not credited automatically. Please contact our support team and keep this link so that they can check whether it can be recovered."
    ),
    "dropped": N_(
        "This transaction was seen on the network but never made it into a block and is no longer known anywhere, so the funds were not sent. Please check your wallet and send the deposit again if needed."
    ),
    "reorged": N_(
        "The block holding your transaction was replaced on the network (a reorganisation). The transaction is usually included again within minutes; we will check again automatically."
    ),
    # Payouts (withdrawals): what the player may be told. Never that the withdrawal arrived when it did
    # not; that finance is on it only in HANDED_ON below, once someone has the case.
    "payout_not_sent": N_(
        "Your withdrawal of {amount} {asset} has not been sent yet. If it does not move soon, please contact our support team and keep this link."
    ),
    "payout_waiting": N_(
        "Your withdrawal of {amount} {asset} is being processed and has not been sent to the network yet. We will let you know as soon as it is on its way."
    ),
    "payout_rejected": N_(
        "Your withdrawal request of {amount} {asset} was not approved, so nothing was sent. Please contact our support team and keep this link to learn why and what you can do."
    ),
    "payout_pending": N_(
        "Your withdrawal of {amount} {asset} has been sent on the {network} network and is waiting to be included in a block. It should arrive in about {eta_minutes} {eta_word}."
    ),
    "payout_pending_unseen": N_(
        "Your withdrawal of {amount} {asset} is being sent on the {network} network. It will appear in your wallet shortly; we are keeping an eye on it."
    ),
    "payout_stuck": N_(
        "Your withdrawal of {amount} {asset} has been sent but is taking longer than usual because network fees are high; the funds are not lost. If it has not arrived within a few hours, please contact our support team and keep this link."
    ),
    "payout_confirming": N_(
        "Your withdrawal of {amount} {asset} is in a block and confirming: {confirmations} of {required} {required_word}. It should be complete in about {eta_minutes} {eta_word}."
    ),
    "payout_delivered": N_(
        "Your withdrawal of {amount} {asset} has arrived in your wallet on the {network} network. If you withdrew to an exchange, it credits the funds after its own confirmations."
    ),
    "payout_wrong_address": N_(
        "Your withdrawal of {amount} {asset} needs a check by our team. Please contact our support team and keep this link."
    ),
    "payout_amount_differs": N_(
        "The amount of your withdrawal needs a check by our team. Please contact our support team and keep this link."
    ),
    "payout_failed": N_(
        "Your withdrawal of {amount} {asset} could not be completed on the network, so it did not reach your wallet. Please contact our support team and keep this link so that it can be sent again."
    ),
    "payout_replaced": N_(
        "Your withdrawal of {amount} {asset} was re-sent with a higher network fee and is on its way. We will let you know when it arrives."
    ),
    "payout_cancelled": N_(
        "Your withdrawal of {amount} {asset} was stopped before it reached your wallet. Please contact our support team and keep this link so that it can be sent again."
    ),
    "payout_dropped": N_(
        "Your withdrawal of {amount} {asset} did not go through on the network, so the funds never left. Please contact our support team and keep this link so that it can be sent again."
    ),
    "provider_unavailable": N_(
        "We cannot reach the network data right now. We will check your deposit again automatically within a few minutes and let you know."
    ),
}

# The same codes once someone has the case (a finance finding or a helpdesk ticket exists): only then
# may the reply say it was passed on. Without one, TEMPLATES above says what the player can do.
HANDED_ON: dict[str, str] = {
    "other_player_address": N_(
        "This transaction was sent to a deposit address that is not linked to your account. Please send us the deposit address shown in your cashier, and an agent will review the payment."
    ),
    "below_minimum": N_(
        "Your deposit of {amount} {asset} is below the minimum deposit ({minimum} {asset}), so it was not credited automatically. An agent will tell you how we can help."
    ),
    "already_claimed": N_(
        "This payment is already linked to another account or request. An agent will review it manually and get back to you."
    ),
    "confirmed_not_credited": N_(
        "Your deposit of {amount} {asset} is confirmed on the network. We have passed it to our finance team to credit your balance; there is nothing more you need to do."
    ),
    "amount_mismatch": N_(
        "Your deposit of {amount} {asset} is confirmed, but the amount credited differs. We have passed this to our finance team to correct it."
    ),
    "unsupported_asset": N_(
        "You sent an asset we do not accept ({asset}) to your deposit address, so it cannot be credited automatically. We have passed the payment to our finance team to review, and an agent will let you know the outcome."
    ),
    "wrong_network": N_(
        "Your deposit of {amount} {asset} was sent on the {network} network instead of {issued_network}, so it was not credited automatically. The address is ours, and we have passed the payment to our finance team to recover it; an agent will let you know the outcome."
    ),
    "wrong_network_family": N_(
        "Your deposit of {amount} {asset} was sent on the {network} network, but your deposit address was given for {issued}, so it was not credited automatically. We have passed the payment to our finance team to check whether it can be recovered; an agent will let you know the outcome."
    ),
    "payout_not_sent": N_(
        "Your withdrawal of {amount} {asset} has not been sent yet. We have passed it to our finance team to send it, and we will let you know when it is on its way."
    ),
    "payout_stuck": N_(
        "Your withdrawal of {amount} {asset} has been sent but is taking longer than usual because network fees are high. We have asked our finance team to speed it up; the funds are not lost."
    ),
    "payout_rejected": N_(
        "Your withdrawal request of {amount} {asset} was not approved, so nothing was sent. Our finance team has your case, and an agent will explain why and what you can do."
    ),
    "payout_wrong_address": N_(
        "We are checking your withdrawal of {amount} {asset} with our finance team. An agent will get back to you shortly."
    ),
    "payout_amount_differs": N_(
        "We are checking the amount of your withdrawal with our finance team. An agent will get back to you shortly."
    ),
    "payout_failed": N_(
        "Your withdrawal of {amount} {asset} could not be completed on the network, so it did not reach your wallet. Our finance team will send it again; there is nothing you need to do."
    ),
    "payout_cancelled": N_(
        "Your withdrawal of {amount} {asset} was stopped before it reached your wallet. Our finance team will send it again; there is nothing you need to do."
    ),
    "payout_dropped": N_(
        "Your withdrawal of {amount} {asset} did not go through on the network, so the funds never left. Our finance team will send it again; there is nothing you need to do."
    ),
}


def _plural_words(words: gettext.NullTranslations, facts: dict[str, Any]) -> dict[str, str]:
    nouns = {}
    if isinstance(facts.get("confirmations"), int):
        # Translators: the confirmations a pending or confirming deposit has so far ("{confirmations} {confirmations_word}").
        nouns["confirmations_word"] = words.npgettext(
            "confirmations so far", "confirmation", "confirmations", facts["confirmations"]
        )
    if isinstance(facts.get("required"), int):
        # Translators: the confirmations needed, as in "credited after {required} {required_word}" and
        # "{confirmations} of {required} {required_word}" (Russian uses it only after "после": genitive).
        nouns["required_word"] = words.npgettext(
            "confirmations required", "confirmation", "confirmations", facts["required"]
        )
    if isinstance(facts.get("eta_minutes"), int):
        # Translators: as in "credited in about {eta_minutes} {eta_word}".
        nouns["eta_word"] = words.npgettext("minutes to wait", "minute", "minutes", facts["eta_minutes"])
    return nouns


def player_messages(code: str, facts: dict[str, Any]) -> dict[str, str]:
    """The reply in each language, with plural words chosen per language. `code` is a verdict
    code or one of the variants above (e.g. ``pending_contract_call``)."""
    return {language: _render(language, TEMPLATES[code], facts) for language in catalogs.LANGUAGES}


def _render(language: str, template: str, facts: dict[str, Any]) -> str:
    words = catalogs.translations(language)
    return words.gettext(template).format(**(facts | _plural_words(words, facts)))


def handed_on_messages(code: str, facts: dict[str, Any]) -> dict[str, str] | None:
    """The reply once a finding or a ticket exists, for the codes whose reply says so; else None."""
    if code not in HANDED_ON:
        return None
    return {language: _render(language, HANDED_ON[code], facts) for language in catalogs.LANGUAGES}


def reply_for(verdict: dict[str, Any], language: str, *, handed_on: bool) -> str:
    """The stored reply in `language`: the "passed on" one only when a finding or a ticket exists."""
    if handed_on and verdict.get("player_message_handed_on"):
        return reply_in(verdict["player_message_handed_on"], language)
    return reply_in(verdict["player_message"], language)


def reply_in(messages: dict[str, str], language: str) -> str:
    """The stored reply in `language`; English for a verdict reached before that language's catalog was added."""
    return messages.get(language) or messages[catalogs.SOURCE_LANGUAGE]


_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_GERMAN = re.compile(r"[äöüß]|\b(ich|nicht|einzahlung|habe|bitte|guthaben|überwiesen)\b", re.IGNORECASE)


def detect_language(text: str) -> str:
    """The language of a player's text, among those with a catalog: Cyrillic is Russian, a few words mark German."""
    if _CYRILLIC.search(text) and "ru" in catalogs.LANGUAGES:
        return "ru"
    if _GERMAN.search(text) and "de" in catalogs.LANGUAGES:
        return "de"
    return catalogs.SOURCE_LANGUAGE
