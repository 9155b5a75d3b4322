"""The HTML pages and forms (not in the OpenAPI document, so not fuzzed by Schemathesis) against
hostile values in every query parameter, path segment and form field: never a 5xx."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.support.web import _csrf, agent, app, browser  # noqa: F401

HOSTILE = [
    "99999999999999999999999",
    "-9223372036854775809",
    "-1",
    "0",
    "NaN",
    "Infinity",
    "1e999",
    "²",
    "٣",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59:59-23:59",
    "%ff%fe",
    "\ud7ff\ue000",
    "x" * 5000,
    "=cmd|' /C calc'!A0",
    "\t\r\n",
    "../../etc/passwd",
]
PAGES = {
    "/investigations": ["code", "chain", "date_from", "date_to", "page"],
    "/audit": ["status", "chain", "code", "player", "min_age_minutes"],
    "/audit.csv": ["status", "chain", "code", "player", "min_age_minutes"],
    "/dashboard": ["from", "to", "period"],
    "/dashboard/stats.csv": ["from", "to", "period"],
    "/login": ["next"],
    "/": ["q"],
}
PATHS = [
    "/investigations/{}",
    "/investigations/{}/evidence",
    "/investigations/{}/evidence.json",
    "/searches/{}",
    "/s/{}",
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_no_query_parameter_of_a_page_gives_a_server_error(agent, value):  # noqa: F811 (the fixture)
    for path, names in PAGES.items():
        for name in names:
            response = agent.get(path, params={name: value}, follow_redirects=False)
            assert response.status_code < 500, (path, name, value, response.text[:300])
    for template in PATHS:
        response = agent.get(template.format(quote(value, safe="")), follow_redirects=False)
        assert response.status_code < 500, (template, value, response.text[:300])


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_no_form_field_gives_a_server_error(agent, value):  # noqa: F811
    csrf = _csrf(agent.get("/").text)
    for field in ("text", "address", "player_ref", "chain", "page"):
        response = agent.post("/lookup", data={"csrf": csrf, field: value}, follow_redirects=False)
        assert response.status_code < 500, ("/lookup", field, value, response.text[:300])
    for finding in (value, "1"):
        response = agent.post(
            f"/audit/{quote(finding, safe='')}/resolve",
            data={"csrf": csrf, "reason": value},
            follow_redirects=False,
        )
        assert response.status_code < 500, ("/audit/resolve", finding, value, response.text[:300])
    response = agent.post("/investigations/" + quote(value, safe="") + "/revoke-link", data={"csrf": csrf})
    assert response.status_code < 500, ("revoke-link", value, response.text[:300])
