"""The trail from inside a request: `record` appends the row of a write to the request's transaction
(who and from where come from `app.runtime.authorize`), `record_now` commits a row of its own (for
reads that leave a trace: evidence downloads, CSV exports, sign-ins). Failed sign-ins are counted
from the trail itself, per account and per address, so every process sees the same count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.runtime.activity import Activity, Who, append
from app.runtime.authorize import client_address, who
from investigations.types import utcnow

SIGNIN_FAILED = "signin.failed"


def record(request: Request, session: Session, action: str, target: str = "", **changes: Any) -> None:
    """The write's row, in the write's transaction (the route commits both, or neither)."""
    append(session, who(request), action, target, **changes)


def record_now(request: Request, session: Session, action: str, target: str = "", **changes: Any) -> None:
    append(session, who(request), action, target, **changes)
    session.commit()


def record_signin(request: Request, session: Session, name: str, *, role: str | None, how: str) -> None:
    """A sign-in (role given) or a failed one (role None), with the name that was tried."""
    actor = f"agent:{name.strip()[:128]}" if name.strip() else "anonymous"
    action = "signin" if role is not None else SIGNIN_FAILED
    append(session, Who(actor, role or "none", client_address(request)), action, name.strip()[:128], after={"how": how})
    session.commit()


def signin_refusal(request: Request, session: Session, name: str) -> str | None:
    """Why no sign-in is tried now: too many failed ones for this account or from this address."""
    settings = request.app.state.settings
    since = utcnow() - timedelta(minutes=settings.login_failure_window_minutes)
    failed = (
        select(func.count()).select_from(Activity).where(Activity.action == SIGNIN_FAILED, col(Activity.at) >= since)
    )
    minutes = round(settings.login_failure_window_minutes)
    if name.strip():
        count = session.exec(failed.where(Activity.target == name.strip()[:128])).one()
        if count >= settings.login_failures_per_account:
            return f"Too many failed sign-ins for this account. Wait {minutes} minutes, or ask an admin."
    if (
        session.exec(failed.where(Activity.source == client_address(request)[:64])).one()
        >= settings.login_failures_per_ip
    ):
        return f"Too many failed sign-ins from this address. Wait {minutes} minutes and try again."
    return None
