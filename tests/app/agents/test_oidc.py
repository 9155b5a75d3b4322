"""OpenID Connect sign-in against a fake provider (keys made by joserfc, its discovery document, its
token endpoint served by `responses`): the authorization code flow with PKCE, the role from the group
claim; a wrong nonce, a wrong audience, an expired token, a tampered signature, a wrong state and
groups without a role are each refused, and nobody is signed in."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlmodel import Session, select

from app.main import create_app
from app.runtime.accounts import Agent
from app.runtime.activity import Activity

ISSUER = "https://idp.test/realms/casino"
CLIENT = "depositdesk"
KEY = RSAKey.generate_key(2048, parameters={"kid": "idp-key-1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "idp-key-1"})  # same kid, not the provider's


class FakeProvider:
    def __init__(self, mock: responses.RequestsMock) -> None:
        self.claims: dict = {}
        self.sign_with = KEY
        self.tamper = False
        self.challenge = ""
        self.exchanges: list[dict] = []
        mock.get(
            f"{ISSUER}/.well-known/openid-configuration",
            json={
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/protocol/openid-connect/auth",
                "token_endpoint": f"{ISSUER}/protocol/openid-connect/token",
                "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs",
            },
        )
        mock.get(f"{ISSUER}/protocol/openid-connect/certs", json={"keys": [KEY.as_dict(private=False)]})
        mock.add_callback(responses.POST, f"{ISSUER}/protocol/openid-connect/token", callback=self._token)

    def _token(self, request):  # type: ignore[no-untyped-def]
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        self.exchanges.append(form)
        digest = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(b"=")
        if form.get("code") != "the-code" or digest.decode() != self.challenge:
            return 400, {}, json.dumps({"error": "invalid_grant"})
        token = jwt.encode({"alg": "RS256", "kid": "idp-key-1"}, self.claims, self.sign_with)
        if self.tamper:  # another payload under the provider's signature
            head, _payload, signature = token.split(".")
            forged = dict(self.claims, groups=["dd-admins"])
            payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
            token = f"{head}.{payload}.{signature}"
        return 200, {}, json.dumps({"access_token": "at", "token_type": "Bearer", "id_token": token})


@pytest.fixture
def idp(http_mock):  # type: ignore[no-untyped-def]
    return FakeProvider(http_mock)


@pytest.fixture
def oidc_app(settings, engine, idp):  # type: ignore[no-untyped-def]
    update = {
        "oidc_issuer": ISSUER,
        "oidc_client_id": CLIENT,
        "oidc_client_secret": "client-secret-0123456789",
        "oidc_role_claim": "groups",
        "oidc_role_map": {"dd-admins": "admin", "dd-leads": "lead", "dd-support": "agent"},
    }
    return create_app(settings.model_copy(update=update), engine=engine)


def _sign_in(app, idp, **claims):  # type: ignore[no-untyped-def]
    client = TestClient(app)
    start = client.get("/login/oidc?next=/investigations", follow_redirects=False)
    assert start.status_code == 303
    sent = urlparse(start.headers["location"])
    query = {k: v[0] for k, v in parse_qs(sent.query).items()}
    assert f"{sent.scheme}://{sent.netloc}{sent.path}" == f"{ISSUER}/protocol/openid-connect/auth"
    assert query["code_challenge_method"] == "S256" and query["client_id"] == CLIENT
    assert query["redirect_uri"] == "https://desk.example/login/oidc/callback"
    idp.challenge = query["code_challenge"]
    now = int(time.time())
    idp.claims = {"iss": ISSUER, "aud": CLIENT, "sub": "u-1842", "email": "dana@casino.example",
                  "iat": now, "exp": now + 300, "nonce": query["nonce"], "groups": ["staff", "dd-leads"]}  # fmt: skip
    state = claims.pop("_state", query["state"])
    idp.claims.update(claims)
    answer = client.get(f"/login/oidc/callback?code=the-code&state={state}", follow_redirects=False)
    return client, answer


def test_sign_in_with_a_group_gives_the_mapped_role(oidc_app, idp, engine):
    assert "Sign in with your company account" in TestClient(oidc_app).get("/login").text
    client, answer = _sign_in(oidc_app, idp)
    assert answer.status_code == 303 and answer.headers["location"] == "/investigations"
    assert idp.exchanges[0]["redirect_uri"] == "https://desk.example/login/oidc/callback"
    with client:
        assert client.get("/investigations").status_code == 200
        assert client.get("/dashboard").status_code == 200  # a lead
        assert client.get("/admin/accounts").status_code == 403
    with Session(engine) as session:
        dana = session.exec(select(Agent).where(Agent.name == "dana@casino.example")).one()
        assert (dana.role, dana.oidc_subject) == ("lead", f"{ISSUER}|u-1842")
        signins = [r for r in session.exec(select(Activity)) if r.action == "signin"]
        assert [(r.actor, r.role) for r in signins] == [("agent:dana@casino.example", "lead")]
    # next time the provider's groups say admin: the role follows them
    _client, again = _sign_in(oidc_app, idp, groups=["dd-admins"])
    assert again.status_code == 303
    with Session(engine) as session:
        assert session.exec(select(Agent).where(Agent.name == "dana@casino.example")).one().role == "admin"


@pytest.mark.parametrize(
    ("claims", "says"),
    [
        ({"nonce": "not-the-nonce-of-this-sign-in"}, "nonce"),
        ({"aud": "another-client"}, "aud"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
        ({"iss": "https://idp.test/realms/other"}, "iss"),
        ({"groups": ["staff"]}, "give no depositdesk role"),
    ],
)
def test_a_bad_id_token_is_refused(oidc_app, idp, engine, claims, says):
    client, answer = _sign_in(oidc_app, idp, **claims)
    assert answer.status_code == 403 and "Sign-in refused" in answer.text and says in answer.text
    _nobody_signed_in(client, engine)


@pytest.mark.parametrize("how", ["tampered payload", "another key"])
def test_a_tampered_signature_is_refused(oidc_app, idp, engine, how):
    if how == "tampered payload":
        idp.tamper = True
    else:
        idp.sign_with = OTHER_KEY
    client, answer = _sign_in(oidc_app, idp)
    assert answer.status_code == 403 and "bad signature" in answer.text
    _nobody_signed_in(client, engine)


def test_a_wrong_state_or_no_flow_cookie_is_refused(oidc_app, idp, engine):
    client, answer = _sign_in(oidc_app, idp, _state="forged-state")
    assert answer.status_code == 400 and "state does not match" in answer.text
    assert idp.exchanges == []  # the code was never exchanged
    stranger = TestClient(oidc_app)
    cold = stranger.get("/login/oidc/callback?code=the-code&state=x", follow_redirects=False)
    assert cold.status_code == 400 and "start again" in cold.text
    _nobody_signed_in(client, engine)


def test_without_oidc_settings_the_routes_say_so(settings, sqlite_engine):
    with TestClient(create_app(settings, engine=sqlite_engine)) as client:
        assert client.get("/login/oidc").status_code == 404
        assert "company account" not in client.get("/login").text


def _nobody_signed_in(client, engine):  # type: ignore[no-untyped-def]
    assert client.get("/", follow_redirects=False).status_code == 303
    with Session(engine) as session:
        assert session.exec(select(Agent)).all() == []
