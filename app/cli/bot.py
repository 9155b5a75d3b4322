"""`depositdesk bot [set-webhook | delete-webhook]`: the players' Telegram bot."""

from __future__ import annotations

import click

from app.cli.common import cli_settings, run_background
from app.settings import Settings


@click.group(invoke_without_command=True)
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64))
@click.pass_context
def bot(ctx: click.Context, threads: int) -> None:
    """Run the players' Telegram bot by long polling (with job workers to answer), until Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    from app.players.telegram.poller import poll
    from app.wiring import build_bot_api

    settings = telegram_settings()
    run_background(
        settings,
        threads=threads,
        banner="Telegram bot polling for messages; Ctrl-C or SIGTERM stops it",
        foreground=lambda engine, stopped: poll(build_bot_api(settings), engine, stopped),
    )


@bot.command("set-webhook")
@click.argument("url", required=False)
def bot_set_webhook(url: str | None) -> None:
    """Point Telegram at this service's /telegram/webhook (default: PUBLIC_BASE_URL's), with the secret."""
    from app.wiring import build_bot_api

    settings = telegram_settings()
    if not settings.telegram_webhook_secret:
        raise click.ClickException("set TELEGRAM_WEBHOOK_SECRET first: Telegram sends it back with every update")
    target = url or f"{settings.public_base_url}/telegram/webhook"
    if not target.startswith("https://"):
        raise click.ClickException(f"Telegram only delivers to https:// URLs, not {target!r}")
    build_bot_api(settings).set_webhook(target, settings.telegram_webhook_secret)
    click.echo(f"Telegram delivers updates to {target}")


@bot.command("delete-webhook")
def bot_delete_webhook() -> None:
    """Stop webhook delivery (long polling with `depositdesk bot` needs this; it does it itself)."""
    from app.wiring import build_bot_api

    build_bot_api(telegram_settings()).delete_webhook()
    click.echo("Telegram webhook removed")


def telegram_settings() -> Settings:
    settings = cli_settings()
    if not settings.telegram_bot_token:
        raise click.ClickException("set TELEGRAM_BOT_TOKEN (from @BotFather) first")
    return settings
