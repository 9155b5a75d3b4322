"""Pages of signed-in agents, shared by every room with pages: the session-cookie check (`AgentDep`), the
CSRF check of forms (`CsrfDep`) and `render`, which puts the CSRF token into a page. Sign-in itself (the
login form and the cookie's `Sessions`) is the agents room's; this reads `request.app.state.sessions`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import Response

from app.runtime.accounts import Agent, agent_for_session
from app.runtime.db import SessionDep
from app.runtime.pages import secure, templates


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class CsrfRejected(Exception):
    pass


def current_agent(request: Request, session: SessionDep) -> Agent:
    caller = getattr(request.state, "caller", None)  # found by app.runtime.authorize for this request
    if caller is not None and caller.via == "session" and caller.agent is not None:
        return caller.agent
    key = request.app.state.sessions.key(request)
    agent = agent_for_session(session, key) if key is not None else None
    if agent is None:  # signed out, expired, password changed, token rotated or agent revoked
        query = f"?{request.url.query}" if request.url.query and request.method == "GET" else ""
        raise LoginRequired(request.url.path + query)  # back to the same page (the panel's ticket too)
    return agent


AgentDep = Annotated[Agent, Depends(current_agent)]


def check_csrf(request: Request, csrf: Annotated[str | None, Form()] = None) -> None:
    if not request.app.state.sessions.check_csrf(request, csrf or request.headers.get("x-csrf-token")):
        raise CsrfRejected()


CsrfDep = Depends(check_csrf)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A page with the CSRF token in its forms (and in the cookie, set here on a first visit)."""
    sessions = request.app.state.sessions
    token = sessions.csrf(request)
    fresh = token is None
    if fresh:
        token = sessions.generate_csrf()
    response = templates.TemplateResponse(request, template, {"csrf": token, **context}, status_code=status_code)
    if fresh:
        sessions.set_csrf(request, response, token)
    return secure(response)
