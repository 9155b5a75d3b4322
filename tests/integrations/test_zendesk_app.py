"""The Zendesk sidebar app package (issue 30): a manifest Zendesk accepts, and an iframe that opens
/panel with the ticket parameters /panel reads."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

from app.agents import routes

APP = Path(__file__).resolve().parents[2] / "integrations" / "zendesk"


def test_the_manifest_has_the_fields_zendesk_requires():
    manifest = json.loads((APP / "manifest.json").read_text())
    for field in ("name", "author", "defaultLocale", "location", "version", "frameworkVersion"):
        assert field in manifest, field
    assert manifest["author"]["name"] and manifest["author"]["email"]
    sidebar = manifest["location"]["support"]["ticket_sidebar"]
    assert (APP / sidebar["url"]).is_file()
    assert (APP / "translations" / f"{manifest['defaultLocale']}.json").is_file()
    assert [p["name"] for p in manifest["parameters"]] == ["depositdesk_url"]


def test_the_iframe_opens_the_panel_with_the_parameters_it_accepts():
    page = (APP / "assets" / "iframe.html").read_text()
    assert 'PANEL_PATH = "/panel"' in page and "ZAFClient.init()" in page
    sent = set(re.findall(r"(\w+): (?:\"zendesk\"|String)", page))
    accepted = set(inspect.signature(routes.side_panel).parameters)
    assert sent == {"helpdesk", "ticket"} and sent <= accepted
