"""/dashboard: charts (server-side SVG, accessible) with the same figures as tables, periods, leads only."""

from __future__ import annotations

import base64
import re

from sqlmodel import Session

from app.settings import Settings
from tests.support import sla_history


def _charts(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<img class="chart" src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', html)


def test_dashboard_shows_each_figure_as_a_chart_and_a_table(agent, app):
    with Session(app.state.engine) as session:
        sla_history.build(session)
    page = agent.get("/dashboard", params={"from": "2026-11-20", "to": "2026-11-21"})
    assert page.status_code == 200
    charts = _charts(page.text)
    assert len(charts) == 6
    svg = base64.b64decode(charts[0][0]).decode()
    assert "<desc>" in svg and "<title>" in svg and "<script" not in svg and "#0072B2" in svg.upper()
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "").replace("http://pygal.org", "").replace(
        "http://github.com/Kozea/pygal", ""
    )  # nothing loaded from elsewhere
    assert "6 in total (zendesk 2, freshdesk 2, lookup 1, chatwoot 1)" in charts[0][1]  # the text alternative
    assert "p95 109.5 s against a target of 60 s; 2 of 5 missed it" in page.text
    assert "<caption>Time to first note per day</caption>" in page.text
    assert '<th scope="row">Total</th><td>5</td><td>40</td><td>109.5</td><td>2</td><td>1</td>' in page.text
    assert "50.0 %" in page.text  # answered without an agent
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_presets_and_a_bad_period(agent):
    assert agent.get("/dashboard", params={"period": "30d"}).status_code == 200
    today = agent.get("/dashboard", params={"period": "today"})
    assert today.status_code == 200 and len(_charts(today.text)) == 0  # no charts of zeros (issue 30)
    assert 'id="empty-panels"' in today.text and "Provider health" in today.text
    bad = agent.get("/dashboard", params={"from": "2026-11-21", "to": "2026-01-01"})
    assert bad.status_code == 422 and "is after to" in bad.text


def test_dashboard_csv_for_a_signed_in_agent(agent, app):
    with Session(app.state.engine) as session:
        sla_history.build(session)
    response = agent.get("/dashboard/stats.csv", params={"from": "2026-11-20", "to": "2026-11-21"})
    assert response.status_code == 200
    assert "questions,total,by_code,no_hash,1" in response.text


def test_dashboard_may_be_kept_to_the_leads(agent, app):
    settings: Settings = app.state.settings
    app.state.settings = settings.model_copy(update={"dashboard_agents": ["lead"]})
    assert agent.get("/dashboard").status_code == 403
    app.state.settings = settings.model_copy(update={"dashboard_agents": ["lead", "alice"]})
    assert agent.get("/dashboard").status_code == 200


def test_dashboard_needs_sign_in(browser):
    response = browser.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_long_period_is_charted_by_week_and_tabled_by_day(agent, app):
    with Session(app.state.engine) as session:
        sla_history.build(session)
    page = agent.get("/dashboard", params={"from": "2026-01-01", "to": "2026-11-21"})
    svg = base64.b64decode(_charts(page.text)[0][0]).decode()
    assert "week of 2026-01-01" in svg and "week of 2026-11-19" in svg and ">2026-11-20<" not in svg
    assert '<th scope="row">2026-11-20</th><td>2</td>' in page.text  # the table keeps every day


def test_the_dashboard_counts_questions_by_network(agent, app):
    with Session(app.state.engine) as session:
        sla_history.build(session)
        for number, (network, code) in enumerate(
            [("bsc", "credited"), ("bsc", "wrong_network"), ("base", "confirmed_not_credited"), ("eth", "credited")],
            start=40,
        ):
            row = sla_history._investigation(number, sla_history.at(21, 12), "lookup", code, sla_history.at(21, 12))
            row.chain = network
            session.add(row)
        session.commit()
    page = agent.get("/dashboard", params={"from": "2026-11-20", "to": "2026-11-21"})
    assert "<caption>Questions by network</caption>" in page.text
    # network, questions, credited, confirmed not credited, wrong network, not found
    assert '<th scope="row">bsc</th><td>2</td><td>1</td><td>0</td><td>1</td><td>0</td>' in page.text
    assert '<th scope="row">base</th><td>1</td><td>0</td><td>1</td><td>0</td><td>0</td>' in page.text
    assert '<th scope="row">btc</th><td>5</td><td>3</td><td>0</td><td>0</td><td>1</td>' in page.text
    stats = agent.get("/dashboard/stats.csv", params={"from": "2026-11-20", "to": "2026-11-21"}).text
    assert "questions,total,by_network,bsc,2" in stats


def test_breaches_and_the_oldest_open_items_come_first_by_ticket_hash_and_player(agent, app):
    with Session(app.state.engine) as session:
        sla_history.build(session)
    page = agent.get("/dashboard", params={"from": "2026-11-20", "to": "2026-11-21"}).text
    tiles, oldest, first_chart = page.index('id="tiles"'), page.index('id="oldest"'), page.index('class="chart"')
    assert tiles < oldest < first_chart
    assert re.search(r'id="tile-breached"[^>]*>\s*<span class="tile-figure">\d+</span>', page)
    table = page[oldest:first_chart]
    assert '<th scope="col">Ticket</th>' in table and '<th scope="col">Player</th>' in table
    assert re.search(r'<a href="/investigations/\w+"><code>\w{10}…\w{6}</code></a>', table)  # the hash, linked
    assert re.search(r'<td class="num[^"]*">\d+ (min|h|d)</td>', table)  # ages in words, not "0.1"
    assert "This period against the one before" in page and "2026-11-18 to 2026-11-19" in page
