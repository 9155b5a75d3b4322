"""Request and response shapes of the players' JSON routes: link codes for Telegram and Discord."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TelegramLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    player_ref: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")


class TelegramLinkOut(BaseModel):
    url: str = Field(description="t.me deep link to show the player; works once")
    expires_at: str


class ChatLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    player_ref: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")
    network: Literal["telegram", "discord"] = "telegram"


class ChatLinkOut(BaseModel):
    network: str
    url: str | None = Field(default=None, description="Telegram: the t.me deep link to show the player")
    code: str | None = Field(default=None, description="Discord: the code the player gives to /link")
    command: str | None = Field(default=None, description="Discord: the command to show the player")
    expires_at: str
