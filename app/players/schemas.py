"""Request and response shapes of the players' JSON routes: Telegram link codes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TelegramLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    player_ref: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")


class TelegramLinkOut(BaseModel):
    url: str = Field(description="t.me deep link to show the player; works once")
    expires_at: str
