"""Ledger text in notes is escaped for the helpdesk's format: Zendesk and Chatwoot render Markdown,
so a player_ref must render as its literal characters (checked against markdown-it, a CommonMark
renderer nobody here wrote, with GFM autolinks and tables on); Freshdesk's HTML is escaped by its client."""

from __future__ import annotations

import html

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from app.helpdesks import note_text
from investigations.models import Investigation
from investigations.types import utcnow

RENDERER = MarkdownIt("gfm-like")
HOSTILE = "**[click](https://evil.example)** ![x](https://evil.example/p.png) <b>hi</b> _a_ `c` | t | https://evil.example www.evil.example &amp; #1 ~~s~~"


def _rendered_text(markdown: str) -> str:
    """The paragraph's text as a reader sees it, or None when the renderer made markup of it."""
    out = RENDERER.render(markdown).strip()
    if not (out.startswith("<p>") and out.endswith("</p>")) or "<" in out[3:-4].replace("&lt;", ""):
        return None
    return html.unescape(out[3:-4])


@settings(max_examples=250, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40))
def test_escaped_text_renders_as_exactly_itself(text):
    shown = f"player {note_text.escape_markdown(text)}"
    assert _rendered_text(shown) == f"player {text}".strip()


def _record(player_ref: str) -> Investigation:
    return Investigation(
        id="a" * 32,
        chain="btc",
        tx_hash="ab" * 32,
        code="credited",
        final=True,
        verdict={
            "summary": f"Paid to the address of {player_ref}.",
            "action": "Nothing to do.",
            "player_message": {"en": "Credited.", "de": "Gutgeschrieben.", "ru": "Зачислено."},
        },
        evidence={
            "paid": [
                {
                    "amount": "0.015",
                    "asset": "BTC",
                    "address": "bc1qexample",
                    "player_ref": player_ref,
                    "ledger_credited": "0.015",
                }
            ]
        },
        status_token_hash="h",
        status_nonce="n",
        created_at=utcnow(),
    )


def test_zendesk_and_chatwoot_notes_escape_the_ledger_text_freshdesk_stays_plain():
    record = _record(HOSTILE)
    for helpdesk in ("zendesk", "chatwoot"):
        body = note_text.verdict_note(record, "https://desk.example/s/x", "en", markup=note_text.markup_for(helpdesk))
        rendered = RENDERER.render(body)
        for markup in ("<strong>", '<a href="https://evil', "<img", "<b>", "<em>", "<code>", "<table", "<del>", "<s>"):
            assert markup not in rendered, (helpdesk, markup)
        assert note_text.marker(record, sequence=1) in body  # the marker is found again as it is
        assert "https://desk.example/s/x" in body
    plain = note_text.verdict_note(record, "https://desk.example/s/x", "en", markup=note_text.markup_for("freshdesk"))
    assert HOSTILE in plain  # its client HTML-escapes the whole note
