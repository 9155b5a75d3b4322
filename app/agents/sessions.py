"""Agent sign-in: a signed cookie carrying a random session key (the session itself lives in the
database, so it can be ended server-side), and CSRF tokens for every form."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "dd_session"
CSRF_COOKIE = "dd_csrf"
SESSION_SECONDS = 12 * 3600


@dataclass
class Sessions:
    secret: str
    # EMBED_ORIGINS set: the side panel signs in inside another site's frame, where only SameSite=None
    # cookies are sent; browsers take those over TLS only (plain http keeps Lax and Strict).
    cross_site: bool = False

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="depositdesk-agent-session")

    lifetime = timedelta(seconds=SESSION_SECONDS)

    def key(self, request: Request) -> str | None:
        """The session key of the cookie, if its signature holds; the database says whether it is live."""
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        try:
            data = self._serializer().loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        key = data.get("session") if isinstance(data, dict) else None
        return key if isinstance(key, str) and 20 <= len(key) <= 100 else None

    def sign_in(self, request: Request, response: Response, key: str) -> None:
        token = self._serializer().dumps({"session": key})
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite=self._same_site(request, "lax"),
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
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite=self._same_site(request, "strict"),
            secure=request.url.scheme == "https",
            path="/",
        )

    def _same_site(self, request: Request, usual: str) -> Any:
        return "none" if self.cross_site and request.url.scheme == "https" else usual

    def check_csrf(self, request: Request, submitted: str | None) -> bool:
        """Double submit: the form's token must equal the cookie's (which another site cannot read or set)."""
        expected = self.csrf(request)
        if not expected or not submitted:
            return False
        return hmac.compare_digest(expected.encode(), submitted.encode())
