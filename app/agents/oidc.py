"""Sign-in through the company's identity provider (OpenID Connect: Google Workspace, Okta, Keycloak,
Entra ID): the authorization code flow with PKCE (S256), `state` and `nonce` checked, the ID token's
signature, issuer, audience, expiry and nonce checked by joserfc against the provider's published
keys, and the role taken from a group claim (`OIDC_ROLE_CLAIM`) through `OIDC_ROLE_MAP`. A person whose
groups map to no role is not let in. Passwords and API tokens keep working beside it.

`GET /login/oidc` sends the browser to the provider with a fresh state, nonce and code challenge (kept
in a signed, short-lived cookie); `GET /login/oidc/callback` exchanges the code (with the verifier)
at the token endpoint, checks the ID token, and signs the person in with the mapped role."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlmodel import Session, select

from app.runtime import trail
from app.runtime.accounts import Agent, add_agent, end_sessions, start_session
from app.runtime.activity import Who, append
from app.runtime.authorize import client_address
from app.runtime.db import SessionDep
from app.runtime.signed_in import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False, tags=["agents"])
FLOW_COOKIE = "dd_oidc"
FLOW_SECONDS = 600
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
RANK = ("agent", "lead", "finance", "admin")  # when groups map to several roles, the highest wins
CACHE_SECONDS = 3600


class SignInRefused(Exception):
    """The provider's answer does not let this person in; the message says why (no secrets in it)."""


@dataclass
class Provider:
    """The configured provider: discovery and keys fetched on first use and kept for an hour."""

    issuer: str
    client_id: str
    client_secret: str
    role_claim: str
    role_map: dict[str, str]
    scopes: str = "openid email profile"
    name_claim: str = "email"
    timeout: float = 10.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _config: dict[str, Any] | None = field(default=None, repr=False)
    _keys: KeySet | None = field(default=None, repr=False)
    _fetched: float = field(default=0.0, repr=False)

    def config(self) -> dict[str, Any]:
        with self._lock:
            if self._config is None or time.monotonic() - self._fetched > CACHE_SECONDS:
                url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
                document = _get_json(url, self.timeout)
                if document.get("issuer") != self.issuer:
                    raise SignInRefused("the identity provider's discovery document names another issuer")
                self._config, self._keys, self._fetched = document, None, time.monotonic()
            return self._config

    def keys(self, *, refresh: bool = False) -> KeySet:
        config = self.config()
        with self._lock:
            if self._keys is None or refresh:
                self._keys = KeySet.import_key_set(_get_json(config["jwks_uri"], self.timeout))  # type: ignore[arg-type]
            return self._keys

    def role_for(self, claims: dict[str, Any]) -> str | None:
        groups = claims.get(self.role_claim)
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list):
            return None
        roles = {self.role_map[g] for g in groups if isinstance(g, str) and g in self.role_map}
        return max(roles, key=RANK.index) if roles else None

    def check_id_token(self, id_token: str, nonce: str, *, now: int | None = None) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, expiry and nonce hold."""
        try:
            try:
                token = jwt.decode(id_token, self.keys(), algorithms=ALGORITHMS)
            except (ValueError, JoseError):  # perhaps the provider rolled its keys over: read them once more
                token = jwt.decode(id_token, self.keys(refresh=True), algorithms=ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(
                now=now,
                leeway=60,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise SignInRefused(f"the identity provider's ID token was refused ({_reason(exc)})") from None
        claims = dict(token.claims)
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.client_id:
            raise SignInRefused("the identity provider's ID token was refused (azp is not this client)")
        return claims

    def exchange(self, code: str, verifier: str, redirect_uri: str) -> str:
        """The ID token for the authorization code (the PKCE verifier proves this browser started it)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.client_id,
            "code_verifier": verifier,
        }
        try:
            answer = requests.post(
                self.config()["token_endpoint"],
                data=form,
                auth=(self.client_id, self.client_secret) if self.client_secret else None,
                headers={"Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise SignInRefused(f"the identity provider could not be reached ({type(exc).__name__})") from None
        if answer.status_code != 200:
            raise SignInRefused(f"the identity provider refused the code (HTTP {answer.status_code})")
        try:
            id_token = answer.json()["id_token"]
        except (ValueError, KeyError, TypeError):
            raise SignInRefused("the identity provider's answer carries no ID token") from None
        if not isinstance(id_token, str):
            raise SignInRefused("the identity provider's answer carries no ID token")
        return id_token


def _reason(exc: Exception) -> str:
    name = type(exc).__name__
    return {
        "BadSignatureError": "bad signature",
        "ExpiredTokenError": "expired",
        "InvalidClaimError": f"wrong claim: {getattr(exc, 'claim', '') or exc}",
        "MissingClaimError": f"missing claim: {getattr(exc, 'claim', '') or exc}",
    }.get(name, name)


def _get_json(url: str, timeout: float) -> dict[str, Any]:
    try:
        answer = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
        answer.raise_for_status()
        document = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise SignInRefused(f"the identity provider could not be read ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise SignInRefused("the identity provider answered something that is not a JSON object")
    return document


def _provider(request: Request) -> Provider | None:
    return getattr(request.app.state, "oidc", None)


def _flow(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.resolved_secret_key(), salt="depositdesk-oidc-flow")


def _redirect_uri(request: Request) -> str:
    return request.app.state.settings.public_base_url.rstrip("/") + "/login/oidc/callback"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _refused(request: Request, message: str, status: int = 403) -> Response:
    context = {"next": "/", "agent": None, "error": f"Sign-in refused: {message}."}
    response = render(request, "agents/login.html", context, status)
    response.delete_cookie(FLOW_COOKIE, path="/login/oidc")
    return response


@router.get("/login/oidc")
def oidc_start(request: Request, next: str = "/") -> Response:
    provider = _provider(request)
    if provider is None:
        return render(request, "shared/_error_page.html", {"agent": None, "error": "OIDC sign-in is not set up."}, 404)
    try:
        endpoint = provider.config()["authorization_endpoint"]
    except (SignInRefused, KeyError) as exc:
        return _refused(request, str(exc) or "the provider's discovery document has no authorization_endpoint", 502)
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    target = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": _redirect_uri(request),
        "scope": provider.scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
    }
    response = RedirectResponse(f"{endpoint}?{urlencode(query)}", status_code=303)
    flow = _flow(request).dumps({"state": state, "nonce": nonce, "verifier": verifier, "next": target})
    response.set_cookie(
        FLOW_COOKIE,
        flow,
        max_age=FLOW_SECONDS,
        httponly=True,
        samesite="lax",  # the provider's redirect back is a top-level GET from another site
        secure=request.url.scheme == "https",
        path="/login/oidc",
    )
    return response


@router.get("/login/oidc/callback")
def oidc_callback(request: Request, session: SessionDep, code: str = "", state: str = "", error: str = "") -> Response:
    provider = _provider(request)
    if provider is None:
        return render(request, "shared/_error_page.html", {"agent": None, "error": "OIDC sign-in is not set up."}, 404)
    try:
        flow = _flow(request).loads(request.cookies.get(FLOW_COOKIE, ""), max_age=FLOW_SECONDS)
    except BadSignature:
        return _refused(request, "the sign-in took too long or was not started here; start again", 400)
    if error:
        return _refused(request, f"the identity provider answered {error[:60]!r}")
    if not state or not hmac.compare_digest(state.encode(), str(flow.get("state", "")).encode()):
        return _refused(request, "the state does not match this browser's sign-in", 400)
    if not code or len(code) > 2048:
        return _refused(request, "the identity provider sent no code", 400)
    try:
        id_token = provider.exchange(code, flow["verifier"], _redirect_uri(request))
        claims = provider.check_id_token(id_token, flow["nonce"])
        role = provider.role_for(claims)
        if role is None:
            raise SignInRefused(f"your groups ({provider.role_claim}) give no depositdesk role")
        agent = _account(session, request, provider, claims, role)
    except SignInRefused as exc:
        session.rollback()
        trail.record_signin(request, session, "", role=None, how="oidc")
        log.info("OIDC sign-in refused: %s", exc)
        return _refused(request, str(exc))
    trail.record_signin(request, session, agent.name, role=agent.role, how="oidc")
    response = RedirectResponse(flow.get("next") or "/", status_code=303)
    sessions = request.app.state.sessions
    sessions.sign_in(request, response, start_session(session, agent.id or 0, sessions.lifetime))
    response.delete_cookie(FLOW_COOKIE, path="/login/oidc")
    return response


def _account(session: Session, request: Request, provider: Provider, claims: dict[str, Any], role: str) -> Agent:
    """The person's account (made on first sign-in); the provider's groups decide the role each time."""
    subject = f"{claims['iss']}|{claims['sub']}"[:255]
    agent = session.exec(select(Agent).where(Agent.oidc_subject == subject)).first()
    who = Who(f"oidc:{provider.issuer}"[:160], "system", client_address(request))
    if agent is None:
        name = str(claims.get(provider.name_claim) or claims["sub"]).strip()[:128]
        if session.exec(select(Agent).where(Agent.name == name)).first() is not None:
            raise SignInRefused(f"an account named {name!r} exists already and signs in another way")
        agent, _token = add_agent(session, name, role=role, oidc_subject=subject, commit=False)
        agent.role = role  # the provider decides, even for the first account
        append(session, who, "account.added", agent.name, after={"role": role, "via": "oidc"})
    elif agent.revoked_at is not None:
        raise SignInRefused("this account is revoked")
    elif agent.role != role:
        append(session, who, "account.role", agent.name, before={"role": agent.role}, after={"role": role})
        agent.role = role
        end_sessions(session, agent.id or 0)
    session.add(agent)
    session.commit()
    session.refresh(agent)
    return agent


def provider_from(settings: Any) -> Provider | None:
    """The provider of OIDC_* settings; None when OIDC_ISSUER is not set."""
    if not settings.oidc_issuer:
        return None
    return Provider(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        role_claim=settings.oidc_role_claim,
        role_map=dict(settings.oidc_role_map),
        scopes=settings.oidc_scopes,
        name_claim=settings.oidc_name_claim,
    )
