"""The bot's slash commands: what `depositdesk discord register` tells Discord, how an interaction's
command is read (and refused at the door: a server that is not the casino's, an unknown command,
an option too long), and what each command asks of the players' conversation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.players.bot_words import DISCORD as DISCORD_WORDS
from app.players.conversation import Conversation, Network
from app.players.discord.models import DiscordUser, DiscordWatch
from investigations.extract import extract

MAX_OPTION = 1000  # a hash, a link, an address or a link code; anything longer is not for us
MAX_TOKEN = 512
STRING = 3  # Discord's option type for a string
CHAT_INPUT = 1  # a slash command
GUILD, BOT_DM = 0, 1  # interaction contexts
EPHEMERAL = 64  # message flag: only the player who asked sees it

DISCORD = Network(
    name="discord",
    label="Discord",
    chat_model=DiscordUser,
    watch_model=DiscordWatch,
    grace_job="discord_grace",
    opened_job="discord_handover_opened",
    unlinked_prefix="discord",
    words=DISCORD_WORDS,
)


def _command(name: str, description: str, ru: str, de: str, options: list[dict[str, Any]] | None = None) -> dict:
    command: dict[str, Any] = {
        "name": name,
        "type": CHAT_INPUT,
        "description": description,
        "description_localizations": {"ru": ru, "de": de},
        "contexts": [GUILD, BOT_DM],
    }
    if options:
        command["options"] = options
    return command


def _option(name: str, description: str, ru: str, de: str, *, required: bool, max_length: int) -> dict:
    return {
        "name": name,
        "type": STRING,
        "description": description,
        "description_localizations": {"ru": ru, "de": de},
        "required": required,
        "max_length": max_length,
    }


COMMANDS: list[dict[str, Any]] = [
    _command(
        "deposit",
        "Where is my deposit? Give the transaction hash or explorer link",
        "Где мой депозит? Укажите хеш транзакции или ссылку",
        "Wo ist meine Einzahlung? Transaktions-Hash oder Explorer-Link angeben",
        [
            _option(
                "tx",
                "Transaction hash (TXID) or explorer link",
                "Хеш транзакции (TXID) или ссылка на обозреватель",
                "Transaktions-Hash (TXID) oder Explorer-Link",
                required=True,
                max_length=MAX_OPTION,
            ),
            _option(
                "address",
                "The deposit address you paid to",
                "Адрес депозита, на который вы платили",
                "Die Einzahlungsadresse, an die Sie gezahlt haben",
                required=False,
                max_length=128,
            ),
        ],
    ),
    _command("status", "Your recent deposits", "Ваши последние депозиты", "Ihre letzten Einzahlungen"),
    _command(
        "link",
        "Link your casino account with the code from the casino's site",
        "Привязать аккаунт казино кодом с сайта казино",
        "Casino-Konto mit dem Code von der Casino-Seite verknüpfen",
        [
            _option(
                "code",
                "The code from the casino's site",
                "Код с сайта казино",
                "Der Code von der Casino-Seite",
                required=True,
                max_length=64,
            )
        ],
    ),
    _command(
        "unlink", "Unlink your casino account", "Отвязать аккаунт казино", "Verknüpfung mit dem Casino-Konto aufheben"
    ),
    _command("human", "Talk to a person", "Поговорить с человеком", "Mit einem Menschen sprechen"),
    _command(
        "withdrawal",
        "Where is my withdrawal?",
        "Где мой вывод средств?",
        "Wo ist meine Auszahlung?",
        [
            _option(
                "id",
                "The withdrawal's reference from the casino's site (default: your latest)",
                "Номер вывода с сайта казино (по умолчанию последний)",
                "Die Referenz der Auszahlung von der Casino-Seite (sonst die letzte)",
                required=False,
                max_length=128,
            )
        ],
    ),
]
NAMES = {command["name"] for command in COMMANDS}


class BadInteraction(ValueError):
    """Not an interaction Discord sends (a field missing or of the wrong shape): 422 naming the field."""


@dataclass
class Command:
    interaction_id: int
    token: str
    user_id: int
    guild_id: str | None
    locale: str | None
    name: str
    options: dict[str, str] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {
            "interaction_id": self.interaction_id,
            "token": self.token,
            "user_id": self.user_id,
            "locale": self.locale,
            "name": self.name,
            "options": self.options,
        }


def _snowflake(value: object, name: str) -> int:
    if not isinstance(value, str) or not value.isdigit() or not 0 < len(value) <= 20 or int(value) >= 2**63:
        raise BadInteraction(f"{name} must be a Discord id (a string of digits)")
    return int(value)


def parse(data: dict[str, Any]) -> Command:
    """An APPLICATION_COMMAND interaction read, every field checked for its shape."""
    interaction_id = _snowflake(data.get("id"), "id")
    token = data.get("token")
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN or not token.isascii():
        raise BadInteraction("token must be the interaction's token")
    member = data.get("member")
    user = member.get("user") if isinstance(member, dict) else data.get("user")
    if not isinstance(user, dict):
        raise BadInteraction("member.user (in a server) or user (in a DM) is required")
    user_id = _snowflake(user.get("id"), "user.id")
    guild = data.get("guild_id")
    guild_id = str(_snowflake(guild, "guild_id")) if guild is not None else None
    locale = data.get("locale")
    locale = locale[:16] if isinstance(locale, str) else None
    command = data.get("data")
    if not isinstance(command, dict) or not isinstance(command.get("name"), str):
        raise BadInteraction("data.name is required")
    options: dict[str, str] = {}
    given = command.get("options") or []
    if not isinstance(given, list):
        raise BadInteraction("data.options must be a list")
    for option in given:
        if not isinstance(option, dict) or not isinstance(option.get("name"), str):
            raise BadInteraction("data.options[].name is required")
        value = option.get("value")
        if option.get("type") == STRING and isinstance(value, str):
            options[option["name"][:32]] = value
    return Command(interaction_id, token, user_id, guild_id, locale, command["name"][:32], options)


def refusal(command: Command, guild_ids: list[str]) -> str | None:
    """The word key of the answer when the command is refused at the door (nothing stored), else None."""
    if command.guild_id is not None and guild_ids and command.guild_id not in guild_ids:
        return "wrong_guild"
    if command.name not in NAMES:
        return "unknown_command"
    if any(len(value) > MAX_OPTION for value in command.options.values()):
        return "too_long"
    return None


class DiscordConversation(Conversation):
    network = DISCORD

    def command(self, session: Session, chat: DiscordUser, name: str, options: dict[str, str]) -> str:
        """The answer to one slash command (the caller delivers it and commits)."""
        lang = chat.language
        if name == "deposit":
            found = extract(options.get("tx", "").strip(), max_hashes=1)
            if not found.tx_hashes:
                return self.say(lang, "invalid_hash")
            address = None
            if options.get("address", "").strip():
                addresses = extract(options["address"].strip()).addresses
                if not addresses:
                    return self.say(lang, "invalid_address")
                address = addresses[0][1]
            return self.about_hash(session, chat, found.tx_hashes[0], address)
        if name == "status":
            return self.status(session, chat)
        if name == "link":
            return self.link(session, chat, options.get("code", "").strip())
        if name == "unlink":
            return self.unlink(session, chat)
        if name == "human":
            return self.human(session, chat)
        if name == "withdrawal":
            return self.withdrawals(session, chat, options.get("id", "").strip() or None)
        return self.say(lang, "unknown_command")
