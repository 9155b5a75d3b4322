"""What the players' bots say, on Telegram and on Discord alike. The English text is the msgid; ru, de
(and any language added as a catalog) are in `investigations/locale` (see the README's Languages
section). A transport may say a sentence its own way (`DISCORD` below): the conversation asks for a
key and the transport's words pick the sentence."""

from __future__ import annotations

from investigations import catalogs
from investigations.catalogs import N_

BOT = {
    "help": N_(
        "I can tell you where your deposit is.\n• Send me the transaction hash (TXID) or the explorer link of your payment.\n• Linked to your casino account, just write “my deposit did not arrive” and I look for it.\n/status — your recent deposits\n/language — change the language\n/human — talk to a person\n/unlink — unlink this chat"
    ),
    "linked": N_("This chat is now linked to your casino account. Write me when a deposit does not arrive."),
    "link_invalid": N_("This link has expired or was used already. Please open a new one from the casino's site."),
    "unlinked": N_("This chat is no longer linked to your casino account."),
    "not_linked": N_(
        "This chat is not linked to a casino account. Send me a transaction hash, or open the bot from the casino's site to link your account."
    ),
    "ask_hash": N_("Please send me the transaction hash (TXID) from your wallet, or the explorer link of the payment."),
    "not_understood": N_(
        "Sorry, I did not understand. Send me a transaction hash, write /help, or /human to reach a person."
    ),
    "too_long": N_("That message is too long for me. Please send only the transaction hash or the explorer link."),
    "invalid_hash": N_(
        "That does not look like a Bitcoin or Ethereum transaction on the main network. Please check the hash."
    ),
    "busy": N_("The blockchain providers do not answer right now. I will look again shortly and tell you here."),
    "chain_found": N_("{network}: {state}."),
    "chain_mempool": N_("received by the network, waiting for the first confirmation"),
    "chain_confirmed": N_("confirmed in a block"),
    "chain_failed": N_("included in a block but failed: nothing was transferred"),
    "chain_unknown": N_("the network does not know this transaction yet"),
    "chain_only": N_(
        "This is what the blockchain says. To see whether it reached your balance, open the bot from the casino's site to link your account."
    ),
    "not_yours": N_(
        "This payment did not go to one of your deposit addresses. If you believe it is yours, write /human."
    ),
    "status_link": N_("Live status: {url}"),
    "changed": N_("Update on your deposit {tx}:"),
    "none_recent": N_("I have no deposits of yours to show yet. Send me a transaction hash."),
    "search_none": N_(
        "I found no payment to your deposit addresses in the last days. Please send me the transaction hash (TXID)."
    ),
    "search_found": N_("Payments to your deposit addresses that I found:"),
    "search_partial": N_(
        "Some kinds of payment could not be searched; if yours is missing, send me its transaction hash."
    ),
    "handover_opening": N_(
        "I am passing this to our support team now. You will get your ticket number here in a moment."
    ),
    "handover_opened": N_("Our support team has your request: ticket #{ticket}. A person will answer you."),
    "handover_exists": N_(
        "Our support team already has this request: ticket #{ticket}. A person will answer you there."
    ),
    "handover_pending": N_("Your request is already on its way to our support team; the ticket number follows here."),
    "handover_unavailable": N_(
        "No support desk is connected to this bot. Please contact support on the casino's site."
    ),
    "no_payout": N_(
        "I cannot find a withdrawal of yours yet. If you requested one just now, please try again in a few minutes, or write /human."
    ),
    "too_many": N_("You are writing faster than I can answer. Please wait a minute."),
    "language_set": N_("I will write in English."),
    "language_choose": N_("Choose a language: /language en, /language de, /language ru"),
    "invalid_address": N_("That does not look like a Bitcoin or Ethereum address. Please check it."),
    "withdrawal_none": N_("I have no withdrawals of yours to show."),
    "withdrawal_unknown": N_(
        "I found no withdrawal of yours with that reference. Please check it on the casino's site."
    ),
}

# Where Discord's words differ from Telegram's (slash commands with options, an account not a chat).
DISCORD = {
    "help": N_(
        "I can tell you where your deposit is.\n/deposit — the transaction hash (TXID) or explorer link of your payment\n/status — your recent deposits\n/link — link your casino account with the code from the casino's site\n/human — talk to a person\n/unlink — unlink your Discord account"
    ),
    "linked": N_(
        "Your Discord account is now linked to your casino account. Use /deposit when a deposit does not arrive."
    ),
    "link_invalid": N_("This code has expired or was used already. Please get a new one from the casino's site."),
    "unlinked": N_("Your Discord account is no longer linked to your casino account."),
    "not_linked": N_(
        "Your Discord account is not linked to a casino account. Use /deposit with a transaction hash, or /link with the code from the casino's site."
    ),
    "chain_only": N_(
        "This is what the blockchain says. To see whether it reached your balance, link your casino account with /link."
    ),
    "too_long": N_("That is too long for me. Please give only the transaction hash or the explorer link."),
    "unknown_command": N_("I do not know that command. Use /deposit, /status, /link, /unlink or /human."),
    "wrong_guild": N_("This bot answers only on the casino's own Discord server."),
}


def bot_text(language: str, key: str, *, words: dict[str, str] | None = None, **values: object) -> str:
    """One of the bot's sentences in `language`, its {placeholders} filled; `words` first, then `BOT`."""
    text = catalogs.translations(language).gettext((words or {}).get(key) or BOT[key])
    return text.format(**values) if values else text


def confirmations_count(language: str, confirmations: int) -> str:
    # Translators: how many confirmations a transaction has, as the bot says it in a chat.
    text = catalogs.translations(language).ngettext("{count} confirmation", "{count} confirmations", confirmations)
    return text.format(count=confirmations)


# Words that make a message without a hash a deposit question (linked players get a search).
DEPOSIT_WORDS = (
    "deposit",
    "arrive",
    "balance",
    "payment",
    "credited",
    "sent",
    "where",
    "einzahlung",
    "angekommen",
    "guthaben",
    "zahlung",
    "überw",
    "gutgeschrieben",
    "wo ist",
    "депозит",
    "пришл",
    "баланс",
    "зачисл",
    "платеж",
    "платёж",
    "отправил",
    "перевел",
    "перевёл",
    "где",
)
