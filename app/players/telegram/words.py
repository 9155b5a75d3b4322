"""What the Telegram bot says: the players' bots share their words (`app.players.bot_words`)."""

from __future__ import annotations

from app.players.bot_words import BOT, DEPOSIT_WORDS, bot_text, confirmations_count

__all__ = ["BOT", "DEPOSIT_WORDS", "bot_text", "confirmations_count"]
