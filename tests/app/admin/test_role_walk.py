"""Every route of the app, walked with every role, a machine token of every scope and nobody: a
route the role may use never answers 401/403 or 500; one it may not answers 403 naming the roles it
needs (JSON for the API, a page otherwise) and nothing of its data; nobody is sent to sign in."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.runtime.roles import RULES, Role, Scope, rule_for
from tests.app.admin.conftest import CSRF, person

PARAM = re.compile(r"\{[^}]+\}")


def _flat(routes):  # type: ignore[no-untyped-def]
    """Every HTTP route with its full path, whether FastAPI keeps included routers flat or nested."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route.path_format, route.methods, route.include_in_schema
        elif hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                if isinstance(context.original_route, APIRoute):
                    yield context.path_format, context.methods, context.include_in_schema


def _routes(app):  # type: ignore[no-untyped-def]
    return sorted({(method, path) for path, methods, _schema in _flat(app.routes) for method in methods})


def _call(client: TestClient, method: str, path: str, **headers: str):  # type: ignore[no-untyped-def]
    url = PARAM.sub("999999", path)
    kwargs: dict = {"headers": headers, "follow_redirects": False}
    if method in ("POST", "PUT", "PATCH"):
        if path.startswith("/api/"):
            kwargs["json"] = [] if method == "PUT" else {}
        else:
            kwargs["data"] = {"csrf": CSRF}
    return client.request(method, url, **kwargs)


def test_every_route_has_its_rule_and_the_openapi_document_is_walked(role_app):
    routes = _routes(role_app)
    undeclared = [f"{method} {path}" for method, path in routes if not rule_for(method, path)[1]]
    assert undeclared == [], "name these routes in app/runtime/roles.py RULES: " + ", ".join(undeclared)
    with TestClient(role_app) as client:
        document = client.get("/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert documented <= set(routes)
    pages = [path for path, _methods, in_schema in _flat(role_app.routes) if not in_schema]
    assert len(pages) >= 15  # the HTML pages are walked too, not only the documented API


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_gets_what_its_rules_allow_and_a_clear_403_otherwise(role_app, role):
    browser, token = person(role_app, f"walker-{role}", role)
    refused, allowed = [], []
    with browser:
        for method, path in _routes(role_app):
            rule, _ = rule_for(method, path)
            api = path.startswith("/api/")
            answer = _call(browser, method, path, **({"Authorization": f"Bearer {token}"} if api else {}))
            where = f"{role} {method} {path}"
            assert answer.status_code != 500, where
            if rule.public:
                continue
            if Role(role) in rule.roles:
                assert answer.status_code not in (401, 403), f"{where}: {answer.status_code} {answer.text[:200]}"
                allowed.append(path)
                continue
            assert answer.status_code == 403, f"{where}: {answer.status_code}"
            message = f"is for the roles {rule.who()}; your role is {role}"
            if api:
                assert answer.json() == {"detail": f"{method} {path} {message}"}, where
            else:
                assert message in answer.text and "<table" not in answer.text, where
            refused.append(path)
    assert allowed  # every role may use something
    if role == "admin":
        assert refused == []
    else:
        assert refused


@pytest.mark.parametrize("scope", [s.value for s in Scope])
def test_a_machine_token_reaches_only_the_routes_of_its_scope(role_app, scope):
    from sqlmodel import Session

    from app.runtime.tokens import add_token

    with Session(role_app.state.engine) as session:
        _token, secret = add_token(session, f"backoffice-{scope}", [scope], by="test")
        session.commit()
    with TestClient(role_app) as client:
        for method, path in _routes(role_app):
            rule, _ = rule_for(method, path)
            if rule.public or not path.startswith("/api/"):
                continue
            answer = _call(client, method, path, Authorization=f"Bearer {secret}")
            where = f"{scope} {method} {path}"
            assert answer.status_code != 500, where
            if rule.scope is not None and rule.scope.value == scope:
                assert answer.status_code not in (401, 403), f"{where}: {answer.status_code} {answer.text[:200]}"
            else:
                assert answer.status_code == 403, where
                assert f"(this token's scopes: {scope})" in answer.json()["detail"], where


def test_nobody_signed_in_is_sent_to_sign_in_or_asked_for_a_token(role_app):
    with TestClient(role_app) as client:
        for method, path in _routes(role_app):
            rule, _ = rule_for(method, path)
            answer = _call(client, method, path)
            assert answer.status_code != 500, f"{method} {path}"
            if rule.public:
                continue
            if path.startswith("/api/"):
                assert answer.status_code == 401, f"{method} {path}"
            else:
                assert answer.status_code in (303, 401), f"{method} {path}"
                if answer.status_code == 303:
                    assert answer.headers["location"].startswith("/login"), f"{method} {path}"


def test_rules_name_only_known_roles_and_scopes():
    for (method, path), rule in RULES.items():
        assert method in {"GET", "POST", "PUT", "PATCH", "DELETE"} and path.startswith("/")
        assert rule.public or rule.roles, f"{method} {path} is open to nobody"


def test_every_form_of_every_page_needs_its_csrf_token(role_app):
    """Every POST that is not the JSON API or a signed machine endpoint is a form: without the token it
    is refused, even for an admin, before it does anything."""
    admin, _token = person(role_app, "csrf-walker", "admin")
    forms = [
        (method, path)
        for method, path in _routes(role_app)
        if method == "POST" and not path.startswith(("/api/", "/webhooks/", "/telegram/", "/discord/"))
    ]
    assert len(forms) >= 10
    with admin:
        del admin.headers["x-csrf-token"]
        for method, path in forms:
            answer = admin.request(
                method, PARAM.sub("999999", path), data={"csrf": "not-the-token"}, follow_redirects=False
            )
            assert answer.status_code == 403 and "did not come from this site" in answer.text, path
