"""`depositdesk tokens add | list | revoke | rotate`: machine tokens for the casino's back office."""

from __future__ import annotations

import click
from sqlmodel import Session

from app.cli.common import cli_settings, open_engine

SCOPES = ("ledger:write", "links:create", "payouts:write", "read")


@click.group()
def tokens() -> None:
    """Machine tokens with scopes, expiry, rotation and revocation."""


@tokens.command("add")
@click.argument("name")
@click.option(
    "--scope", "scopes", multiple=True, required=True, help=f"One of {', '.join(SCOPES)} (repeat, or commas)."
)
@click.option("--expires", default=None, help="Lifetime, e.g. 90d, 12h, 2w (default: no expiry).")
def tokens_add(name: str, scopes: tuple[str, ...], expires: str | None) -> None:
    """Create a token and print its secret (shown only this once)."""
    from app.runtime import tokens as store
    from app.runtime.activity import Who, append

    try:
        lifetime = store.parse_duration(expires) if expires else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--expires") from exc
    with Session(open_engine(cli_settings())) as session:
        try:
            token, secret = store.add_token(session, name, list(scopes), by="cli", expires_in=lifetime)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        described = token.describe(token.created_at)
        append(session, Who.cli(), "token.added", token.name, after={k: described[k] for k in ("scopes", "expires_at")})
        session.commit()
    until = f", expires {described['expires_at']}" if described["expires_at"] else ", no expiry"
    click.echo(f"token {name.strip()!r} ({', '.join(described['scopes'])}{until}); its secret (shown once):", err=True)
    click.echo(secret)


@tokens.command("list")
def tokens_list() -> None:
    """Every token: name, scopes, state, expiry, last use (never the secret)."""
    from app.runtime import tokens as store
    from investigations.types import utcnow

    with Session(open_engine(cli_settings())) as session:
        rows = [token.describe(utcnow()) for token in store.list_tokens(session)]
    if not rows:
        click.echo("no tokens yet: depositdesk tokens add NAME --scope read")
    for row in rows:
        expires = str(row["expires_at"] or "never")[:16]
        used = str(row["last_used_at"] or "never")[:16]
        scopes = ",".join(row["scopes"])  # type: ignore[arg-type]
        click.echo(f"{row['name']:<24} {scopes:<28} {row['state']:<8} expires {expires:<16} last used {used}")


@tokens.command("revoke")
@click.argument("name")
def tokens_revoke(name: str) -> None:
    """Refuse the token from the next request on, in every process."""
    from app.runtime import tokens as store
    from app.runtime.activity import Who, append
    from investigations.types import utcnow

    with Session(open_engine(cli_settings())) as session:
        try:
            token = store.named(session, name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        before = token.state(utcnow())
        store.revoke(session, token)
        append(session, Who.cli(), "token.revoked", token.name, before={"state": before}, after={"state": "revoked"})
        session.commit()
    click.echo(f"token {name.strip()!r} revoked: refused from now on")


@tokens.command("rotate")
@click.argument("name")
@click.option(
    "--overlap", default="24h", show_default=True, help="How long the old secret keeps working (0: not at all)."
)
def tokens_rotate(name: str, overlap: str) -> None:
    """A new secret (printed once); the old one keeps working for the overlap window."""
    from datetime import timedelta

    from app.runtime import tokens as store
    from app.runtime.activity import Who, append

    try:
        window = timedelta(0) if overlap.strip() == "0" else store.parse_duration(overlap, what="--overlap")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--overlap") from exc
    with Session(open_engine(cli_settings())) as session:
        try:
            token = store.named(session, name)
            secret = store.rotate(session, token, window)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        until = token.previous_until.isoformat() if token.previous_until else None
        append(session, Who.cli(), "token.rotated", token.name, after={"previous_until": until})
        session.commit()
    click.echo(
        f"new secret for {name.strip()!r} (shown once); the old one works until {until or 'now: not at all'}:", err=True
    )
    click.echo(secret)
