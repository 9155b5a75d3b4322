"""`POST /discord/interactions`: Discord's HTTP interactions. The signature headers are checked for
shape and freshness, then the Ed25519 signature over the raw body, before anything is parsed (a
bare 401 otherwise: nothing stored). PING is answered PONG. A slash command refused at the door
(a server that is not the casino's, an unknown command, an option too long) gets an ephemeral
answer at once and nothing is stored; any other is stored with its job in one transaction and
acknowledged as a deferred ephemeral answer, which the job edits when the verdict is ready. An
interaction id seen before is refused (409) and not handled again."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from app.players.bot_words import DISCORD as DISCORD_WORDS
from app.players.bot_words import bot_text
from app.players.conversation import language_of
from app.players.discord import verify
from app.players.discord.commands import EPHEMERAL, BadInteraction, parse, refusal
from app.players.discord.work import accept_command
from app.runtime.limits import MAX_JSON_DEPTH, too_deep

router = APIRouter(include_in_schema=False, tags=["players"])
PING, APPLICATION_COMMAND = 1, 2
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE = 1, 4, 5


def _ephemeral(lang: str, key: str) -> JSONResponse:
    content = bot_text(lang, key, words=DISCORD_WORDS)
    return JSONResponse({"type": CHANNEL_MESSAGE, "data": {"content": content, "flags": EPHEMERAL}})


def _load(body: bytes) -> dict[str, Any]:
    """The signed body parsed off the event loop, its nesting bounded first (as for every webhook)."""
    if too_deep(body, MAX_JSON_DEPTH):
        raise ValueError("nested too deep")
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("an interaction is a JSON object")
    return data


@router.post("/discord/interactions")
async def discord_interactions(request: Request) -> Response:
    settings = request.app.state.settings
    if not settings.discord_public_key or not settings.discord_application_id:
        return JSONResponse({"detail": "the Discord bot is not configured"}, status_code=404)
    signature = request.headers.get("x-signature-ed25519", "")
    timestamp = request.headers.get("x-signature-timestamp", "")
    refused = verify.headers_fresh(signature, timestamp)
    if refused:
        return JSONResponse({"detail": refused}, status_code=401)
    body = await request.body()  # at most the /discord/ body limit: the limits middleware cut it off before
    if not verify.signed(settings.discord_public_key, signature, timestamp, body):
        return JSONResponse({"detail": "invalid request signature"}, status_code=401)
    try:
        data = await run_in_threadpool(_load, body)
    except (ValueError, UnicodeDecodeError):
        return JSONResponse({"detail": "the body is not a Discord interaction"}, status_code=422)
    kind = data.get("type")
    if kind == PING:
        return JSONResponse({"type": PONG})
    lang = language_of(data.get("locale") if isinstance(data.get("locale"), str) else None)
    if kind != APPLICATION_COMMAND:
        return _ephemeral(lang, "unknown_command")  # buttons, modals: the bot shows none
    try:
        command = parse(data)
    except BadInteraction as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    key = refusal(command, settings.discord_guild_ids)
    if key:
        return _ephemeral(lang, key)

    def persist() -> bool:
        with Session(request.app.state.engine) as session:
            return accept_command(session, command)

    if not await run_in_threadpool(persist):
        return JSONResponse({"detail": "interaction already received"}, status_code=409)
    answer: dict[str, Any] = {"type": DEFERRED_CHANNEL_MESSAGE, "data": {"flags": EPHEMERAL}}
    return JSONResponse(answer)
