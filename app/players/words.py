"""Words of the player's status page in ru, de and en, and how the page picks a language."""

from __future__ import annotations

from fastapi import Request

from investigations.messages import LANGUAGES, ru_plural

LANG_COOKIE = "dd_lang"

STATES = {
    "received": {
        "en": "Received — waiting for the first confirmation",
        "de": "Empfangen – wartet auf die erste Bestätigung",
        "ru": "Получено — ожидает первого подтверждения",
    },
    "confirming": {"en": "Confirming", "de": "Wird bestätigt", "ru": "Подтверждается"},
    "confirmed": {
        "en": "Confirmed — our team is crediting it",
        "de": "Bestätigt – wir schreiben es gerade gut",
        "ru": "Подтверждено — зачисляется нашей командой",
    },
    "credited": {
        "en": "Credited to your balance",
        "de": "Ihrem Guthaben gutgeschrieben",
        "ru": "Зачислено на ваш баланс",
    },
    "checking": {"en": "We are checking", "de": "Wir prüfen gerade", "ru": "Мы проверяем"},
    "which_payment": {
        "en": "We are checking which payment is yours",
        "de": "Wir prüfen, welche Zahlung Ihre ist",
        "ru": "Мы проверяем, какой из платежей ваш",
    },
    "needs_support": {"en": "Needs our support team", "de": "Braucht unseren Support", "ru": "Нужна помощь поддержки"},
}

TEXT = {
    "title": {"en": "Deposit status", "de": "Einzahlungsstatus", "ru": "Статус депозита"},
    "amount": {"en": "Amount", "de": "Betrag", "ru": "Сумма"},
    "network": {"en": "Network", "de": "Netzwerk", "ru": "Сеть"},
    "transaction": {"en": "Transaction", "de": "Transaktion", "ru": "Транзакция"},
    "progress": {"en": "Confirmations", "de": "Bestätigungen", "ru": "Подтверждения"},
    "next": {"en": "What happens next", "de": "Wie es weitergeht", "ru": "Что дальше"},
    "updated": {"en": "Last checked", "de": "Zuletzt geprüft", "ru": "Последняя проверка"},
    "live": {
        "en": "This page updates itself.",
        "de": "Diese Seite aktualisiert sich selbst.",
        "ru": "Эта страница обновляется автоматически.",
    },
    "phishing": {
        "en": "Our support will never ask for your private keys, seed phrase or password.",
        "de": "Unser Support fragt Sie niemals nach privaten Schlüsseln, Seed-Phrase oder Passwort.",
        "ru": "Поддержка никогда не попросит ваши приватные ключи, сид-фразу или пароль.",
    },
    "explorer": {
        "en": "view in a block explorer",
        "de": "im Block-Explorer ansehen",
        "ru": "открыть в обозревателе блоков",
    },
    "not_found_title": {"en": "Link not found", "de": "Link nicht gefunden", "ru": "Ссылка не найдена"},
    "not_found_body": {
        "en": "This status link does not exist, has expired or was withdrawn. Please ask support for a new one.",
        "de": "Dieser Statuslink existiert nicht, ist abgelaufen oder wurde zurückgezogen. Bitte fragen Sie den Support nach einem neuen.",
        "ru": "Эта ссылка не существует, устарела или была отозвана. Попросите в поддержке новую ссылку.",
    },
    "too_many": {
        "en": "Too many requests. Please wait a minute.",
        "de": "Zu viele Anfragen. Bitte warten Sie eine Minute.",
        "ru": "Слишком много запросов. Подождите минуту.",
    },
}

NETWORKS = {"btc": "Bitcoin", "eth": "Ethereum"}


def confirmations_label(language: str, confirmations: int, required: int) -> str:
    if language == "ru":
        return f"{confirmations} {ru_plural(confirmations, 'подтверждение', 'подтверждения', 'подтверждений')} из {required}"
    if language == "de":
        return f"{confirmations} von {required} Bestätigungen"
    return f"{confirmations} of {required} confirmations"


def pick_language(request: Request) -> str:
    """?lang= first, then the cookie a previous choice left, then Accept-Language; English last."""
    asked = request.query_params.get("lang", "").lower()
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(LANG_COOKIE, "")
    if remembered in LANGUAGES:
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
        if tag in LANGUAGES:
            return tag
    return "en"
