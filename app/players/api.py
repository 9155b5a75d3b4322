"""`POST /api/telegram-links`: a one-time deep link that links a player's Telegram chat;
`POST /api/chat-links`: the same for either network (Telegram's deep link, Discord's `/link` code)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from app.players import chat_links
from app.players.schemas import ChatLinkIn, ChatLinkOut, TelegramLinkIn, TelegramLinkOut
from app.runtime import scoping, trail
from app.runtime.bearer import AgentDep
from app.runtime.db import SessionDep

router = APIRouter(prefix="/api", tags=["players"])


@router.post(
    "/telegram-links",
    response_model=TelegramLinkOut,
    responses={409: {"description": "the Telegram bot is not configured"}},
)
def create_telegram_link(body: TelegramLinkIn, request: Request, session: SessionDep, _agent: AgentDep):
    """A one-time deep link that links the player's Telegram chat to `player_ref` (15 minutes, single use)."""
    _may_link(request, session, body.player_ref)
    settings = request.app.state.settings
    if not settings.telegram_bot_token or not settings.telegram_bot_username:
        raise HTTPException(409, "set TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_USERNAME to link chats")
    code, expires = chat_links.mint(session, body.player_ref, settings.resolved_secret_key())
    trail.record(request, session, "link.telegram", body.player_ref, after={"expires_at": expires.isoformat()})
    session.commit()
    return TelegramLinkOut(
        url=f"https://t.me/{settings.telegram_bot_username}?start={code}",
        expires_at=expires.isoformat().replace("+00:00", "Z"),
    )


@router.post(
    "/chat-links",
    response_model=ChatLinkOut,
    responses={409: {"description": "the bot of that network is not configured"}},
)
def create_chat_link(body: ChatLinkIn, request: Request, session: SessionDep, _agent: AgentDep):
    """A one-time code (15 minutes, single use) that links the player's chat on `network` to `player_ref`:
    a t.me deep link for Telegram, a `/link code:<code>` for Discord. A code links only on its network."""
    _may_link(request, session, body.player_ref)
    settings = request.app.state.settings
    if body.network == "telegram" and not (settings.telegram_bot_token and settings.telegram_bot_username):
        raise HTTPException(409, "set TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_USERNAME to link Telegram chats")
    if body.network == "discord" and not (settings.discord_application_id and settings.discord_public_key):
        raise HTTPException(409, "set DISCORD_APPLICATION_ID and DISCORD_PUBLIC_KEY to link Discord accounts")
    code, expires = chat_links.mint(session, body.player_ref, settings.resolved_secret_key(), network=body.network)
    trail.record(request, session, f"link.{body.network}", body.player_ref, after={"expires_at": expires.isoformat()})
    session.commit()
    expires_at = expires.isoformat().replace("+00:00", "Z")
    if body.network == "telegram":
        url = f"https://t.me/{settings.telegram_bot_username}?start={code}"
        return ChatLinkOut(network="telegram", url=url, expires_at=expires_at)
    return ChatLinkOut(network="discord", code=code, command=f"/link code:{code}", expires_at=expires_at)


def _may_link(request: Request, session: SessionDep, player_ref: str) -> None:
    """A chat link shows the player's deposits to whoever holds it: an agent makes one only for a player
    of an investigation they may see."""
    if not scoping.may_link_player(session, scoping.caller(request), player_ref):
        raise HTTPException(
            403,
            f"no investigation of player {player_ref[:40]!r} among yours: {scoping.NOT_YOURS}, "
            "and link the chats of those players only",
        )
