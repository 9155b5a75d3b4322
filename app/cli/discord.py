"""`depositdesk discord register [--guild ID]`: the players' Discord bot's slash commands."""

from __future__ import annotations

import click

from app.cli.common import cli_settings


@click.group("discord")
def discord() -> None:
    """The players' Discord bot (answers through POST /discord/interactions)."""


@discord.command("register")
@click.option(
    "--guild", "guild_id", default=None, help="register on one server only (shown at once; global takes up to an hour)"
)
def register(guild_id: str | None) -> None:
    """Tell Discord the bot's commands (/deposit, /status, /link, /unlink, /human), replacing earlier ones."""
    from app.players.discord.commands import COMMANDS
    from app.runtime.jobs import JobError
    from app.wiring import build_discord_api

    settings = cli_settings()
    if not settings.discord_application_id or not settings.discord_bot_token:
        raise click.ClickException("set DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN first")
    if guild_id is not None and not (guild_id.isdigit() and 15 <= len(guild_id) <= 20):
        raise click.ClickException("--guild must be a server id (digits)")
    try:
        registered = build_discord_api(settings).register(COMMANDS, guild_id)
    except JobError as exc:
        raise click.ClickException(str(exc)) from None
    names = ", ".join("/" + command.get("name", "?") for command in registered)
    where = f"on server {guild_id}" if guild_id else "globally"
    click.echo(f"registered {len(registered)} commands {where}: {names}")
