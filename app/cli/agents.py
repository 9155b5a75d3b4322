"""`depositdesk agents add | list | revoke | rotate | password`: agent accounts."""

from __future__ import annotations

import click
from sqlmodel import Session

from app.cli.common import cli_settings, open_engine


@click.group()
def agents() -> None:
    """Manage agent access."""


ROLE_CHOICE = click.Choice(["agent", "lead", "finance", "admin"])


@agents.command("add")
@click.argument("name")
@click.option("--password", is_flag=True, help="Also set a password for signing in to the web pages (asked twice).")
@click.option("--role", type=ROLE_CHOICE, default=None, help="agent (the default), lead, finance or admin.")
def agents_add(name: str, password: bool, role: str | None) -> None:
    """Create an agent and print its API token (shown only this once). The first account of a
    deployment is admin whatever is asked."""
    from app.runtime.accounts import add_agent, hash_password
    from app.runtime.activity import Who, append

    secret = None
    if password:
        secret = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        if len(secret) < 10:
            raise click.ClickException("the password must have at least 10 characters")
    settings = cli_settings()
    with Session(open_engine(settings)) as session:
        try:
            agent, token = add_agent(
                session, name, password_hash=hash_password(secret) if secret else None, role=role, commit=False
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        created, given = agent.name, agent.role
        append(session, Who.cli(), "account.added", created, after={"role": given})
        session.commit()
    if role is not None and given != role:
        click.echo(f"the first account of a deployment is admin: {created!r} is admin, not {role}", err=True)
    click.echo(f"agent {created!r} ({given}) created; its API token (shown once, store it now):", err=True)
    click.echo(token)


@agents.command("list")
def agents_list() -> None:
    """Every agent: name, created, whether it can sign in with a password, revoked or active."""
    from app.runtime.accounts import list_agents

    with Session(open_engine(cli_settings())) as session:
        rows = list_agents(session)
    if not rows:
        click.echo("no agents yet: depositdesk agents add NAME")
    for agent in rows:
        state = f"revoked {agent.revoked_at:%Y-%m-%d %H:%M}" if agent.revoked_at else "active"
        password = "password" if agent.password_hash else "token only"
        click.echo(f"{agent.name:<24} {agent.role:<8} created {agent.created_at:%Y-%m-%d}  {password:<10}  {state}")


@agents.command("revoke")
@click.argument("name")
def agents_revoke(name: str) -> None:
    """Stop an agent now: its token, its signed-in sessions and its sign-in."""
    from app.runtime.accounts import revoke_agent
    from app.runtime.activity import Who, append_now

    with Session(open_engine(cli_settings())) as session:
        try:
            revoke_agent(session, name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        append_now(session, Who.cli(), "account.revoked", name.strip(), after={"state": "revoked"})
    click.echo(f"agent {name.strip()!r} revoked: its token and sessions no longer work")


@agents.command("rotate")
@click.argument("name")
def agents_rotate(name: str) -> None:
    """A new API token for an agent (shown once); the old one and every session stop now."""
    from app.runtime.accounts import rotate_token
    from app.runtime.activity import Who, append_now

    with Session(open_engine(cli_settings())) as session:
        try:
            token = rotate_token(session, name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        append_now(session, Who.cli(), "account.token_rotated", name.strip())
    click.echo(f"new API token for {name.strip()!r} (shown once; the old one no longer works):", err=True)
    click.echo(token)


@agents.command("password")
@click.argument("name")
def agents_password(name: str) -> None:
    """Set an agent's password (asked twice); the agent's signed-in sessions end."""
    from app.runtime.accounts import hash_password, set_password
    from app.runtime.activity import Who, append_now

    secret = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if len(secret) < 10:
        raise click.ClickException("the password must have at least 10 characters")
    with Session(open_engine(cli_settings())) as session:
        try:
            set_password(session, name, hash_password(secret))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        append_now(session, Who.cli(), "account.password", name.strip())
    click.echo(f"password of {name.strip()!r} changed; its sessions ended")


@agents.command("role")
@click.argument("name")
@click.argument("role", type=ROLE_CHOICE)
def agents_role(name: str, role: str) -> None:
    """Give an agent another role; its signed-in sessions end (its API token takes the new role)."""
    from app.runtime.accounts import set_role
    from app.runtime.activity import Who, append

    with Session(open_engine(cli_settings())) as session:
        try:
            agent, before = set_role(session, name, role)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        append(session, Who.cli(), "account.role", name.strip(), before={"role": before}, after={"role": role})
        session.commit()
    click.echo(f"{name.strip()!r} is {role} now (was {before}); its sessions ended")
