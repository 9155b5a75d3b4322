"""Headers on every answer (HSTS behind https, nosniff and no-store on data) and CSV cells that no
spreadsheet runs, in every export."""

from __future__ import annotations

import csv
import io

import hypothesis
import pytest
from fastapi.testclient import TestClient
from hypothesis import strategies as st

from app.lead.sla import csv_rows
from app.main import create_app
from app.runtime import csv_cells


@pytest.fixture
def https_client(settings, sqlite_engine):
    app = create_app(settings.model_copy(update={"public_base_url": "https://desk.example"}), engine=sqlite_engine)
    with TestClient(app) as client:
        yield client


def test_hsts_when_the_public_url_is_https_and_nosniff_no_store_on_data(https_client):
    for path in ("/healthz", "/readyz", "/api/status/unknown-token"):
        response = https_client.get(path)
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
    refused = https_client.put("/api/deposits", content=b"[]")  # a refusal of the limits middleware
    assert refused.status_code == 401 and refused.headers["x-content-type-options"] == "nosniff"
    assert refused.headers["cache-control"] == "no-store"


def test_no_hsts_over_plain_http(settings, sqlite_engine):
    app = create_app(settings.model_copy(update={"public_base_url": "http://127.0.0.1:8000"}), engine=sqlite_engine)
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert "strict-transport-security" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_stats_csv_neutralises_formula_cells(monkeypatch):
    monkeypatch.setattr(
        csv_rows,
        "rows",
        lambda _figures: iter(
            [("providers", "total", "answers", "=HYPERLINK(1)", 3), ("providers", "total", "answers", "\tcmd", -2)]
        ),
    )
    [first, second] = list(csv.reader(io.StringIO(csv_rows.to_csv({}))))[1:]
    assert first[3] == "'=HYPERLINK(1)" and second[3] == "'\tcmd" and second[4] == "-2"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-x", "'-x"),
        ("@a", "'@a"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-0.5", "-0.5"),
        ("-12", "-12"),
        (-3, -3),
        (None, ""),
        ("plain", "plain"),
    ],
)
def test_cells(value, expected):
    assert csv_cells.cell(value) == expected


@hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
@hypothesis.given(st.text())
def test_no_cell_read_back_starts_a_formula(text):
    written = csv_cells.write(["h"], [[text]])
    [[read]] = list(csv.reader(io.StringIO(written, newline="")))[1:]
    assert not read.startswith(csv_cells.FORMULA_STARTS) or csv_cells._PLAIN_NUMBER.fullmatch(read)
