"""Out-of-range input is a clear 422 naming the field, never a 500, on SQLite and PostgreSQL: ids past
the database's integer range, huge offsets and ages, NaN tolerances, dates at the calendar's ends,
a NUL in any text field — on the JSON routes, their query parameters and the HTML forms."""

from __future__ import annotations

from datetime import date

import hypothesis
import pytest
from hypothesis import strategies as st
from sqlmodel import Session, select

from app.lead.sla import period
from chains.assets import DEFAULT_ASSETS
from investigations import bounds
from investigations.models import SearchRecord
from investigations.search_query import InvalidSearch, SearchQuery, checked_query
from tests.support.ledger import add_addresses
from tests.support.web import OURS, _csrf, agent, app, browser  # noqa: F401

HUGE = 99999999999999999999999  # past 64 bits


def _field_named(response, field):
    assert response.status_code == 422, response.text
    assert field in response.text, response.text


@pytest.mark.parametrize("finding_id", [HUGE, 2**63, 2**31, 0, -1])
def test_a_finding_id_out_of_range_is_a_422_naming_it(api, finding_id):
    response = api.post(f"/api/findings/{finding_id}/resolve", json={"reason": "credited by hand"})
    _field_named(response, "finding_id")


def test_the_largest_finding_id_the_database_holds_is_a_404(api):
    assert api.post(f"/api/findings/{bounds.MAX_DB_INT}/resolve", json={"reason": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"offset": HUGE}, "offset"),
        ({"offset": bounds.MAX_OFFSET + 1}, "offset"),
        ({"min_age_minutes": HUGE}, "min_age_minutes"),
        ({"min_age_minutes": 2**62}, "min_age_minutes"),
    ],
)
def test_huge_offsets_and_ages_of_the_findings_listing_are_a_422(api, params, field):
    _field_named(api.get("/api/findings", params=params), field)


def test_the_largest_offset_and_age_answer(api):
    response = api.get("/api/findings", params={"offset": bounds.MAX_OFFSET, "min_age_minutes": bounds.MAX_MINUTES})
    assert response.status_code == 200 and response.json()["findings"] == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"tolerance": "NaN"}, "tolerance"),
        ({"tolerance": "sNaN"}, "tolerance"),
        ({"tolerance": "Infinity"}, "tolerance"),
        ({"since": "0001-01-01T00:00:00"}, "since"),
        ({"until": "9999-12-31T23:59:59"}, "until"),
        ({"until": "0001-01-01T00:00:00+00:00"}, "until"),
        ({"since": "9999-12-31T23:59:59-23:59"}, "since"),
        ({"ticket_ref": "T-1\u0000"}, "ticket_ref"),
        ({"asset": "BTC\u0000"}, "asset"),
    ],
)
def test_a_search_with_a_value_it_cannot_compute_with_is_a_422_and_stores_nothing(api, payload, field):
    with Session(api.app.state.engine) as session:
        add_addresses(session, (OURS, "p-1842"))
    response = api.post("/api/searches", json={"player_ref": "p-1842", **payload})
    _field_named(response, field)
    with Session(api.app.state.engine) as session:
        assert session.exec(select(SearchRecord)).first() is None


@pytest.mark.parametrize(
    "params",
    [{"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-02"}, {"to": "0001-01-03"}],
)
def test_stats_at_the_ends_of_the_calendar_are_a_422(api, params):
    response = api.get("/api/stats", params=params)
    assert response.status_code == 422 and "2009-01-03" in response.text
    assert api.get("/api/stats", params={**params, "format": "csv"}).status_code == 422


def test_a_resolve_reason_with_a_nul_is_a_422(api):
    _field_named(api.post("/api/findings/1/resolve", json={"reason": "ok\u0000"}), "reason")


# The HTML pages: the dashboard, its CSV, the audit page and its form.


def test_the_dashboard_and_its_csv_refuse_the_ends_of_the_calendar(agent):  # noqa: F811 (the fixture)
    for params in ({"to": "9999-12-31"}, {"from": "0001-01-01"}):
        assert agent.get("/dashboard", params=params).status_code == 422
        assert agent.get("/dashboard/stats.csv", params=params).status_code == 422


@pytest.mark.parametrize("age", [str(HUGE), "²", "-1", "1e3"])
def test_the_audit_page_and_csv_refuse_an_age_they_cannot_use(agent, age):  # noqa: F811
    page = agent.get("/audit", params={"min_age_minutes": age})
    assert page.status_code == 422 and "min_age_minutes" in page.text
    assert agent.get("/audit.csv", params={"min_age_minutes": age}).status_code == 422


@pytest.mark.parametrize("finding_id", [HUGE, 2**31])
def test_the_audit_resolve_form_refuses_an_id_past_the_database_range(agent, finding_id):  # noqa: F811
    csrf = _csrf(agent.get("/audit").text)
    response = agent.post(f"/audit/{finding_id}/resolve", data={"csrf": csrf, "reason": "credited"})
    _field_named(response, "finding_id")


# The parsers, over every value.


@hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
@hypothesis.given(st.one_of(st.integers(), st.text(max_size=40)))
def test_integer_bounds_return_a_value_in_range_or_a_bounds_error(value):
    try:
        got = bounds.integer(value, "n", 0, 1000)
    except bounds.BoundsError as exc:
        assert exc.field == "n"
    else:
        assert 0 <= got <= 1000


@hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
@hypothesis.given(st.dates(), st.dates())
def test_a_period_is_inside_the_calendar_range_or_a_period_error(first, last):
    try:
        chosen = period.parse(first.isoformat(), last.isoformat(), date(2026, 12, 3))
    except period.PeriodError:
        return
    assert bounds.MIN_DATE <= chosen.first_day <= chosen.last_day <= bounds.MAX_DATE
    assert chosen.start < chosen.end and chosen.days


@hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
@hypothesis.given(st.datetimes(timezones=st.timezones() | st.none()))
def test_a_moment_is_inside_the_range_or_a_bounds_error(value):
    try:
        bounds.moment(value, "since")
    except bounds.BoundsError as exc:
        assert "2009-01-03" in str(exc)


@hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
@hypothesis.given(st.text(max_size=30))
def test_a_search_tolerance_is_finite_or_refused_naming_it(text):
    now = bounds.MIN_DATETIME.replace(year=2026)
    try:
        query, _cut = checked_query(SearchQuery(player_ref="p", tolerance=text), DEFAULT_ASSETS, now=now)
    except InvalidSearch as exc:
        assert exc.field == "tolerance"
    else:
        assert 0 <= float(query.tolerance) <= 0.5
