"""What the player is told, in ru, de and en, for each verdict code.

Texts are `str.format` templates over a small set of facts (`amount`, `asset`,
`confirmations`, `required`, `eta_minutes`, `minimum`); plural nouns are chosen by the
language's rules before formatting. Nothing here may name another player or an internal id.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("ru", "de", "en")


def ru_plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 подтверждение, 2 подтверждения, 5 подтверждений, 11 подтверждений, 21 подтверждение."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _plural_words(language: str, n: int, kind: str) -> str:
    if language == "ru":
        forms = {
            "confirmation": ("подтверждение", "подтверждения", "подтверждений"),
            "minute": ("минута", "минуты", "минут"),
        }[kind]
        return ru_plural(n, *forms)
    if language == "de":
        return {"confirmation": ("Bestätigung", "Bestätigungen"), "minute": ("Minute", "Minuten")}[kind][n != 1]
    return {"confirmation": ("confirmation", "confirmations"), "minute": ("minute", "minutes")}[kind][n != 1]


TEMPLATES: dict[str, dict[str, str]] = {
    "invalid_input": {
        "ru": "Не удаётся распознать хеш транзакции или адрес. Пожалуйста, скопируйте хеш (TXID) из вашего кошелька или обозревателя блоков и пришлите его ещё раз вместе с адресом, на который вы отправляли депозит.",
        "de": "Wir können den Transaktions-Hash oder die Adresse nicht erkennen. Bitte kopieren Sie den Hash (TXID) aus Ihrer Wallet oder einem Block-Explorer und senden Sie ihn uns zusammen mit der Einzahlungsadresse erneut.",
        "en": "We could not recognise the transaction hash or address. Please copy the hash (TXID) from your wallet or a block explorer and send it again together with the address you deposited to.",
    },
    "not_found": {
        "ru": "Мы пока не видим эту транзакцию в сети. Если вы только что её отправили, подождите несколько минут — мы проверим снова автоматически. Если кошелёк показывает её как отправленную, пришлите, пожалуйста, скриншот с хешем транзакции.",
        "de": "Wir sehen diese Transaktion noch nicht im Netzwerk. Wenn Sie sie gerade gesendet haben, warten Sie bitte einige Minuten – wir prüfen automatisch erneut. Falls Ihre Wallet sie als gesendet anzeigt, schicken Sie uns bitte einen Screenshot mit dem Transaktions-Hash.",
        "en": "We cannot see this transaction on the network yet. If you have just sent it, please wait a few minutes: we will check again automatically. If your wallet shows it as sent, please send us a screenshot showing the transaction hash.",
    },
    "pending": {
        "ru": "Ваш депозит {amount} {asset} получен сетью и ожидает включения в блок (сейчас {confirmations} {confirmations_word}). Он будет зачислен автоматически после {required} {required_word}, примерно через {eta_minutes} {eta_word}.",
        "de": "Ihre Einzahlung von {amount} {asset} ist im Netzwerk angekommen und wartet auf die Aufnahme in einen Block (derzeit {confirmations} {confirmations_word}). Sie wird nach {required} {required_word} automatisch gutgeschrieben, in etwa {eta_minutes} {eta_word}.",
        "en": "Your deposit of {amount} {asset} has reached the network and is waiting to be included in a block ({confirmations} {confirmations_word} so far). It will be credited automatically after {required} {required_word}, in about {eta_minutes} {eta_word}.",
    },
    "pending_contract_call": {
        "ru": "Ваша транзакция получена сетью и ожидает включения в блок. Как только она будет подтверждена, мы автоматически проверим её ещё раз и зачислим депозит.",
        "de": "Ihre Transaktion ist im Netzwerk angekommen und wartet auf die Aufnahme in einen Block. Sobald sie bestätigt ist, prüfen wir sie automatisch erneut und schreiben die Einzahlung gut.",
        "en": "Your transaction has reached the network and is waiting to be included in a block. Once it is confirmed we will check it again automatically and credit the deposit.",
    },
    "ask_address": {
        "ru": "Эта транзакция содержит несколько платежей. Чтобы найти ваш, пришлите, пожалуйста, адрес депозита, указанный в вашей кассе.",
        "de": "Diese Transaktion enthält mehrere Zahlungen. Damit wir Ihre finden, senden Sie uns bitte die Einzahlungsadresse aus Ihrem Kassenbereich.",
        "en": "This transaction contains several payments. To find yours, please send us the deposit address shown in your cashier.",
    },
    "confirming": {
        "ru": "Ваш депозит {amount} {asset} подтверждается: получено {confirmations} {confirmations_word} из {required}. Он будет зачислен автоматически примерно через {eta_minutes} {eta_word}.",
        "de": "Ihre Einzahlung von {amount} {asset} wird bestätigt: {confirmations} von {required} {required_word}. Sie wird in etwa {eta_minutes} {eta_word} automatisch gutgeschrieben.",
        "en": "Your deposit of {amount} {asset} is confirming: {confirmations} of {required} {required_word}. It will be credited automatically in about {eta_minutes} {eta_word}.",
    },
    "credited": {
        "ru": "Ваш депозит {amount} {asset} подтверждён и уже зачислен на ваш баланс. Если вы его не видите, обновите страницу или перезайдите в аккаунт.",
        "de": "Ihre Einzahlung von {amount} {asset} ist bestätigt und Ihrem Guthaben bereits gutgeschrieben. Falls Sie sie nicht sehen, laden Sie die Seite neu oder melden Sie sich erneut an.",
        "en": "Your deposit of {amount} {asset} is confirmed and has already been credited to your balance. If you do not see it, please refresh the page or log in again.",
    },
    "confirmed_not_credited": {
        "ru": "Ваш депозит {amount} {asset} подтверждён в сети. Мы передали его в финансовый отдел для зачисления на ваш баланс — вам не нужно ничего делать.",
        "de": "Ihre Einzahlung von {amount} {asset} ist im Netzwerk bestätigt. Wir haben sie zur Gutschrift an unsere Finanzabteilung weitergeleitet – Sie müssen nichts weiter tun.",
        "en": "Your deposit of {amount} {asset} is confirmed on the network. We have passed it to our finance team to credit your balance; there is nothing more you need to do.",
    },
    "amount_mismatch": {
        "ru": "Ваш депозит {amount} {asset} подтверждён, но зачисленная сумма отличается. Мы передали это в финансовый отдел для исправления.",
        "de": "Ihre Einzahlung von {amount} {asset} ist bestätigt, aber der gutgeschriebene Betrag weicht ab. Wir haben dies zur Korrektur an unsere Finanzabteilung weitergeleitet.",
        "en": "Your deposit of {amount} {asset} is confirmed, but the amount credited differs. We have passed this to our finance team to correct it.",
    },
    "not_our_address": {
        "ru": "Эта транзакция не была отправлена ни на один из наших депозитных адресов, поэтому мы не можем её зачислить. Пожалуйста, проверьте адрес получателя в вашем кошельке и всегда копируйте актуальный адрес депозита из кассы.",
        "de": "Diese Transaktion ging an keine unserer Einzahlungsadressen, daher können wir sie nicht gutschreiben. Bitte prüfen Sie die Empfängeradresse in Ihrer Wallet und kopieren Sie die Einzahlungsadresse immer aktuell aus dem Kassenbereich.",
        "en": "This transaction was not sent to any of our deposit addresses, so we cannot credit it. Please check the recipient address in your wallet, and always copy the current deposit address from the cashier.",
    },
    "other_player_address": {
        "ru": "Эта транзакция была отправлена на депозитный адрес, который не привязан к вашему аккаунту. Пожалуйста, пришлите адрес депозита, указанный в вашей кассе, — сотрудник поддержки проверит платёж.",
        "de": "Diese Transaktion ging an eine Einzahlungsadresse, die nicht mit Ihrem Konto verknüpft ist. Bitte senden Sie uns die Einzahlungsadresse aus Ihrem Kassenbereich – ein Support-Mitarbeiter prüft die Zahlung.",
        "en": "This transaction was sent to a deposit address that is not linked to your account. Please send us the deposit address shown in your cashier, and an agent will review the payment.",
    },
    "address_mismatch": {
        "ru": "Указанный вами адрес не участвует в этой транзакции. Пожалуйста, проверьте, что хеш транзакции и адрес относятся к одному и тому же платежу, и пришлите их ещё раз.",
        "de": "Die von Ihnen angegebene Adresse kommt in dieser Transaktion nicht vor. Bitte prüfen Sie, ob Transaktions-Hash und Adresse zur selben Zahlung gehören, und senden Sie beide erneut.",
        "en": "The address you gave does not appear in this transaction. Please check that the transaction hash and the address belong to the same payment, and send them again.",
    },
    "replaced": {
        "ru": "Эта транзакция была заменена другой транзакцией из вашего кошелька (например, при ускорении комиссии или отмене) и сама не будет подтверждена. Пожалуйста, пришлите хеш новой транзакции из вашего кошелька.",
        "de": "Diese Transaktion wurde durch eine andere Transaktion aus Ihrer Wallet ersetzt (z. B. beim Beschleunigen oder Stornieren) und wird selbst nicht bestätigt. Bitte senden Sie uns den Hash der neuen Transaktion aus Ihrer Wallet.",
        "en": "This transaction was replaced by another transaction from your wallet (for example when speeding it up or cancelling it) and will not confirm itself. Please send us the hash of the new transaction from your wallet.",
    },
    "below_minimum": {
        "ru": "Ваш депозит {amount} {asset} меньше минимальной суммы депозита ({minimum} {asset}), поэтому он не был зачислен автоматически. Сотрудник поддержки сообщит, как мы можем помочь.",
        "de": "Ihre Einzahlung von {amount} {asset} liegt unter dem Mindestbetrag ({minimum} {asset}) und wurde daher nicht automatisch gutgeschrieben. Ein Support-Mitarbeiter sagt Ihnen, wie wir helfen können.",
        "en": "Your deposit of {amount} {asset} is below the minimum deposit ({minimum} {asset}), so it was not credited automatically. An agent will tell you how we can help.",
    },
    "already_claimed": {
        "ru": "Этот платёж уже связан с другим аккаунтом или обращением. Сотрудник поддержки проверит его вручную и свяжется с вами.",
        "de": "Diese Zahlung ist bereits einem anderen Konto oder einer anderen Anfrage zugeordnet. Ein Support-Mitarbeiter prüft sie manuell und meldet sich bei Ihnen.",
        "en": "This payment is already linked to another account or request. An agent will review it manually and get back to you.",
    },
    "failed": {
        "ru": "Ваша транзакция попала в блок, но завершилась ошибкой (отменена контрактом), поэтому средства никуда не были переведены и остались в вашем кошельке (кроме комиссии сети). Вы можете отправить депозит ещё раз.",
        "de": "Ihre Transaktion wurde in einen Block aufgenommen, ist aber fehlgeschlagen (vom Vertrag zurückgesetzt). Es wurden keine Gelder übertragen; sie sind noch in Ihrer Wallet (bis auf die Netzwerkgebühr). Sie können die Einzahlung erneut senden.",
        "en": "Your transaction was included in a block but failed (reverted by the contract), so no funds were transferred: they are still in your wallet, apart from the network fee. You can send the deposit again.",
    },
    "unsupported_asset": {
        "ru": "Вы отправили на ваш депозитный адрес актив, который мы не принимаем ({asset}), поэтому он не может быть зачислен автоматически. Мы передали платёж в финансовый отдел для проверки; сотрудник поддержки сообщит о результате.",
        "de": "Sie haben an Ihre Einzahlungsadresse ein Asset gesendet, das wir nicht annehmen ({asset}); es kann daher nicht automatisch gutgeschrieben werden. Wir haben die Zahlung zur Prüfung an unsere Finanzabteilung weitergeleitet; ein Support-Mitarbeiter meldet sich mit dem Ergebnis.",
        "en": "You sent an asset we do not accept ({asset}) to your deposit address, so it cannot be credited automatically. We have passed the payment to our finance team to review, and an agent will let you know the outcome.",
    },
    "wrong_network": {
        "ru": "Ваш депозит {amount} {asset} был отправлен через сеть {network}, а не через Ethereum, поэтому он не был зачислен автоматически. Адрес принадлежит нам, и мы передали платёж в финансовый отдел для возврата средств; сотрудник поддержки сообщит о результате.",
        "de": "Ihre Einzahlung von {amount} {asset} wurde über das Netzwerk {network} statt über Ethereum gesendet und daher nicht automatisch gutgeschrieben. Die Adresse gehört uns; wir haben die Zahlung zur Wiederherstellung an unsere Finanzabteilung weitergeleitet, und ein Support-Mitarbeiter meldet sich mit dem Ergebnis.",
        "en": "Your deposit of {amount} {asset} was sent on the {network} network instead of Ethereum, so it was not credited automatically. The address is ours, and we have passed the payment to our finance team to recover it; an agent will let you know the outcome.",
    },
    "dropped": {
        "ru": "Эта транзакция была видна в сети, но так и не попала в блок и больше нигде не отображается, поэтому средства не были отправлены. Пожалуйста, проверьте кошелёк и при необходимости отправьте депозит заново.",
        "de": "Diese Transaktion war im Netzwerk sichtbar, wurde aber nie in einen Block aufgenommen und ist nirgends mehr zu finden; die Gelder wurden also nicht gesendet. Bitte prüfen Sie Ihre Wallet und senden Sie die Einzahlung gegebenenfalls erneut.",
        "en": "This transaction was seen on the network but never made it into a block and is no longer known anywhere, so the funds were not sent. Please check your wallet and send the deposit again if needed.",
    },
    "reorged": {
        "ru": "Блок с вашей транзакцией был заменён в сети (реорганизация). Обычно транзакция снова попадает в блок в течение нескольких минут; мы проверим её автоматически.",
        "de": "Der Block mit Ihrer Transaktion wurde im Netzwerk ersetzt (Reorganisation). Meist wird die Transaktion innerhalb weniger Minuten erneut aufgenommen; wir prüfen automatisch erneut.",
        "en": "The block holding your transaction was replaced on the network (a reorganisation). The transaction is usually included again within minutes; we will check again automatically.",
    },
    "provider_unavailable": {
        "ru": "Сейчас мы не можем получить данные из сети. Мы автоматически проверим ваш депозит ещё раз в течение нескольких минут и сообщим результат.",
        "de": "Wir können die Netzwerkdaten gerade nicht abrufen. Wir prüfen Ihre Einzahlung in wenigen Minuten automatisch erneut und melden uns mit dem Ergebnis.",
        "en": "We cannot reach the network data right now. We will check your deposit again automatically within a few minutes and let you know.",
    },
}


def player_messages(code: str, facts: dict[str, Any]) -> dict[str, str]:
    """The reply for each language, with plural words chosen per language. `code` is a verdict
    code or one of the variants above (e.g. ``pending_contract_call``)."""
    messages = {}
    for language in LANGUAGES:
        values = dict(facts)
        for number_key, word_key, kind in (
            ("confirmations", "confirmations_word", "confirmation"),
            ("required", "required_word", "confirmation"),
            ("eta_minutes", "eta_word", "minute"),
        ):
            if isinstance(values.get(number_key), int):
                values[word_key] = _plural_words(language, values[number_key], kind)
        if language == "ru" and isinstance(values.get("required"), int):
            # "после 2 подтверждений": after "после" the noun is genitive plural or singular.
            values["required_word"] = (
                "подтверждения" if values["required"] % 10 == 1 and values["required"] % 100 != 11 else "подтверждений"
            )
        messages[language] = TEMPLATES[code][language].format(**values)
    return messages
