"""Agent sign-in: a signed session cookie, and CSRF tokens for every form."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "dd_session"
CSRF_COOKIE = "dd_csrf"
SESSION_SECONDS = 12 * 3600


@dataclass
class Sessions:
    secret: str

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="depositdesk-agent-session")

    def agent_id(self, request: Request) -> int | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        try:
            data = self._serializer().loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        return int(data["agent"]) if isinstance(data, dict) and "agent" in data else None

    def sign_in(self, request: Request, response: Response, agent_id: int) -> None:
        token = self._serializer().dumps({"agent": agent_id, "nonce": secrets.token_hex(8)})
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        self.set_csrf(request, response, self.generate_csrf())  # a fresh CSRF token for the new session

    def sign_out(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")

    def csrf(self, request: Request) -> str | None:
        return request.cookies.get(CSRF_COOKIE)

    @staticmethod
    def generate_csrf() -> str:
        return secrets.token_urlsafe(32)

    def set_csrf(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
        )

    def check_csrf(self, request: Request, submitted: str | None) -> bool:
        """Double submit: the form's token must equal the cookie's (which another site cannot read or set)."""
        expected = self.csrf(request)
        if not expected or not submitted:
            return False
        return hmac.compare_digest(expected.encode(), submitted.encode())
