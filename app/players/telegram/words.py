"""What the bot says, in ru, de and en (the status page's own words are reused for states)."""

from __future__ import annotations

BOT = {
    "help": {
        "en": "I can tell you where your deposit is.\n"
        "• Send me the transaction hash (TXID) or the explorer link of your payment.\n"
        "• Linked to your casino account, just write “my deposit did not arrive” and I look for it.\n"
        "/status — your recent deposits\n/language — change the language\n/human — talk to a person\n/unlink — unlink this chat",
        "de": "Ich sage Ihnen, wo Ihre Einzahlung ist.\n"
        "• Senden Sie mir den Transaktions-Hash (TXID) oder den Explorer-Link Ihrer Zahlung.\n"
        "• Ist dieser Chat mit Ihrem Casino-Konto verknüpft, schreiben Sie einfach „Meine Einzahlung ist nicht angekommen“ und ich suche sie.\n"
        "/status — Ihre letzten Einzahlungen\n/language — Sprache ändern\n/human — mit einem Menschen sprechen\n/unlink — Chat trennen",
        "ru": "Я подскажу, где ваш депозит.\n"
        "• Пришлите хеш транзакции (TXID) или ссылку на обозреватель блоков.\n"
        "• Если чат привязан к вашему аккаунту в казино, просто напишите «мой депозит не пришёл» — я найду его сам.\n"
        "/status — ваши последние депозиты\n/language — сменить язык\n/human — связаться с человеком\n/unlink — отвязать чат",
    },
    "linked": {
        "en": "This chat is now linked to your casino account. Write me when a deposit does not arrive.",
        "de": "Dieser Chat ist jetzt mit Ihrem Casino-Konto verknüpft. Schreiben Sie mir, wenn eine Einzahlung nicht ankommt.",
        "ru": "Чат привязан к вашему аккаунту в казино. Напишите мне, если депозит не пришёл.",
    },
    "link_invalid": {
        "en": "This link has expired or was used already. Please open a new one from the casino's site.",
        "de": "Dieser Link ist abgelaufen oder wurde schon benutzt. Bitte öffnen Sie einen neuen auf der Seite des Casinos.",
        "ru": "Ссылка устарела или уже использована. Откройте новую на сайте казино.",
    },
    "unlinked": {
        "en": "This chat is no longer linked to your casino account.",
        "de": "Dieser Chat ist nicht mehr mit Ihrem Casino-Konto verknüpft.",
        "ru": "Чат больше не привязан к вашему аккаунту в казино.",
    },
    "not_linked": {
        "en": "This chat is not linked to a casino account. Send me a transaction hash, or open the bot from the casino's site to link your account.",
        "de": "Dieser Chat ist mit keinem Casino-Konto verknüpft. Senden Sie mir einen Transaktions-Hash oder öffnen Sie den Bot von der Seite des Casinos aus.",
        "ru": "Чат не привязан к аккаунту казино. Пришлите хеш транзакции или откройте бота с сайта казино, чтобы привязать аккаунт.",
    },
    "ask_hash": {
        "en": "Please send me the transaction hash (TXID) from your wallet, or the explorer link of the payment.",
        "de": "Bitte senden Sie mir den Transaktions-Hash (TXID) aus Ihrer Wallet oder den Explorer-Link der Zahlung.",
        "ru": "Пришлите, пожалуйста, хеш транзакции (TXID) из вашего кошелька или ссылку на платёж в обозревателе блоков.",
    },
    "not_understood": {
        "en": "Sorry, I did not understand. Send me a transaction hash, write /help, or /human to reach a person.",
        "de": "Das habe ich leider nicht verstanden. Senden Sie mir einen Transaktions-Hash, /help, oder /human für einen Menschen.",
        "ru": "Извините, я не понял. Пришлите хеш транзакции, /help — справка, /human — связаться с человеком.",
    },
    "too_long": {
        "en": "That message is too long for me. Please send only the transaction hash or the explorer link.",
        "de": "Diese Nachricht ist mir zu lang. Bitte senden Sie nur den Transaktions-Hash oder den Explorer-Link.",
        "ru": "Сообщение слишком длинное. Пришлите только хеш транзакции или ссылку на обозреватель.",
    },
    "invalid_hash": {
        "en": "That does not look like a Bitcoin or Ethereum transaction on the main network. Please check the hash.",
        "de": "Das sieht nicht nach einer Bitcoin- oder Ethereum-Transaktion im Hauptnetz aus. Bitte prüfen Sie den Hash.",
        "ru": "Это не похоже на транзакцию Bitcoin или Ethereum в основной сети. Проверьте хеш.",
    },
    "busy": {
        "en": "The blockchain providers do not answer right now. I will look again shortly and tell you here.",
        "de": "Die Blockchain-Dienste antworten gerade nicht. Ich sehe gleich noch einmal nach und melde mich hier.",
        "ru": "Сервисы блокчейна сейчас не отвечают. Я проверю ещё раз и напишу вам здесь.",
    },
    "chain_found": {
        "en": "{network}: {state}.",
        "de": "{network}: {state}.",
        "ru": "{network}: {state}.",
    },
    "chain_mempool": {
        "en": "received by the network, waiting for the first confirmation",
        "de": "vom Netzwerk empfangen, wartet auf die erste Bestätigung",
        "ru": "получена сетью, ожидает первого подтверждения",
    },
    "chain_confirmed": {
        "en": "confirmed in a block",
        "de": "in einem Block bestätigt",
        "ru": "подтверждена в блоке",
    },
    "chain_failed": {
        "en": "included in a block but failed: nothing was transferred",
        "de": "in einen Block aufgenommen, aber fehlgeschlagen: nichts wurde übertragen",
        "ru": "включена в блок, но не выполнена: средства не переведены",
    },
    "chain_unknown": {
        "en": "the network does not know this transaction yet",
        "de": "das Netzwerk kennt diese Transaktion noch nicht",
        "ru": "сеть пока не знает эту транзакцию",
    },
    "chain_only": {
        "en": "This is what the blockchain says. To see whether it reached your balance, open the bot from the casino's site to link your account.",
        "de": "Das sagt die Blockchain. Ob die Zahlung Ihrem Guthaben gutgeschrieben wurde, sehen Sie, wenn Sie den Bot von der Seite des Casinos aus öffnen und Ihr Konto verknüpfen.",
        "ru": "Это данные блокчейна. Чтобы узнать, зачислен ли платёж на баланс, откройте бота с сайта казино и привяжите аккаунт.",
    },
    "not_yours": {
        "en": "This payment did not go to one of your deposit addresses. If you believe it is yours, write /human.",
        "de": "Diese Zahlung ging an keine Ihrer Einzahlungsadressen. Wenn Sie glauben, dass sie Ihre ist, schreiben Sie /human.",
        "ru": "Этот платёж не на ваш адрес для депозита. Если вы считаете, что он ваш, напишите /human.",
    },
    "status_link": {"en": "Live status: {url}", "de": "Live-Status: {url}", "ru": "Статус онлайн: {url}"},
    "changed": {
        "en": "Update on your deposit {tx}:",
        "de": "Neuigkeiten zu Ihrer Einzahlung {tx}:",
        "ru": "Новости о вашем депозите {tx}:",
    },
    "none_recent": {
        "en": "I have no deposits of yours to show yet. Send me a transaction hash.",
        "de": "Ich habe noch keine Einzahlungen von Ihnen. Senden Sie mir einen Transaktions-Hash.",
        "ru": "У меня пока нет ваших депозитов. Пришлите хеш транзакции.",
    },
    "search_none": {
        "en": "I found no payment to your deposit addresses in the last days. Please send me the transaction hash (TXID).",
        "de": "Ich habe in den letzten Tagen keine Zahlung an Ihre Einzahlungsadressen gefunden. Bitte senden Sie mir den Transaktions-Hash (TXID).",
        "ru": "За последние дни я не нашёл платежей на ваши адреса для депозита. Пришлите, пожалуйста, хеш транзакции (TXID).",
    },
    "search_found": {
        "en": "Payments to your deposit addresses that I found:",
        "de": "Zahlungen an Ihre Einzahlungsadressen, die ich gefunden habe:",
        "ru": "Платежи на ваши адреса для депозита, которые я нашёл:",
    },
    "search_partial": {
        "en": "Some kinds of payment could not be searched; if yours is missing, send me its transaction hash.",
        "de": "Manche Zahlungsarten konnten nicht durchsucht werden; fehlt Ihre, senden Sie mir den Transaktions-Hash.",
        "ru": "Некоторые виды платежей проверить не удалось; если вашего нет в списке, пришлите хеш транзакции.",
    },
    "handover_opening": {
        "en": "I am passing this to our support team now. You will get your ticket number here in a moment.",
        "de": "Ich gebe das jetzt an unser Support-Team weiter. Ihre Ticketnummer erhalten Sie gleich hier.",
        "ru": "Передаю вопрос нашей команде поддержки. Номер обращения пришлю сюда через минуту.",
    },
    "handover_opened": {
        "en": "Our support team has your request: ticket #{ticket}. A person will answer you.",
        "de": "Unser Support-Team hat Ihre Anfrage: Ticket #{ticket}. Ein Mensch wird Ihnen antworten.",
        "ru": "Ваше обращение у команды поддержки: номер #{ticket}. Вам ответит человек.",
    },
    "handover_exists": {
        "en": "Our support team already has this request: ticket #{ticket}. A person will answer you there.",
        "de": "Unser Support-Team hat diese Anfrage bereits: Ticket #{ticket}. Ein Mensch antwortet Ihnen dort.",
        "ru": "Это обращение уже у поддержки: номер #{ticket}. Вам ответит человек.",
    },
    "handover_pending": {
        "en": "Your request is already on its way to our support team; the ticket number follows here.",
        "de": "Ihre Anfrage ist bereits auf dem Weg zu unserem Support-Team; die Ticketnummer folgt hier.",
        "ru": "Ваше обращение уже передаётся в поддержку; номер пришлю сюда.",
    },
    "handover_unavailable": {
        "en": "No support desk is connected to this bot. Please contact support on the casino's site.",
        "de": "Mit diesem Bot ist kein Support verbunden. Bitte wenden Sie sich auf der Seite des Casinos an den Support.",
        "ru": "К этому боту не подключена поддержка. Обратитесь в поддержку на сайте казино.",
    },
    "too_many": {
        "en": "You are writing faster than I can answer. Please wait a minute.",
        "de": "Sie schreiben schneller, als ich antworten kann. Bitte warten Sie eine Minute.",
        "ru": "Вы пишете быстрее, чем я успеваю отвечать. Подождите минуту.",
    },
    "language_set": {
        "en": "I will write in English.",
        "de": "Ich schreibe Ihnen auf Deutsch.",
        "ru": "Буду писать по-русски.",
    },
    "language_choose": {
        "en": "Choose a language: /language en, /language de, /language ru",
        "de": "Sprache wählen: /language de, /language en, /language ru",
        "ru": "Выберите язык: /language ru, /language en, /language de",
    },
}

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
