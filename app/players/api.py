"""`POST /api/telegram-links`: a one-time deep link that links a player's Telegram chat."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from app.players import chat_links
from app.players.schemas import TelegramLinkIn, TelegramLinkOut
from app.runtime import trail
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
