"""Migration 0008: notes written before it had their tags written with them, so they are `done`;
notes still pending get their tag step."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from app.runtime.db import alembic_config, make_engine


def test_notes_written_before_the_tag_step_existed_are_not_tagged_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    config = alembic_config(engine)
    command.upgrade(config, "0005")
    with engine.begin() as connection:
        for marker, status in (("[a]", "written"), ("[b]", "pending")):
            connection.execute(
                text(
                    "INSERT INTO ticket_notes (helpdesk, ticket_ref, marker, code, body, tags, extra, status,"
                    " created_at) VALUES ('zendesk', '1', :marker, 'credited', 'note', '[]', '{}', :status,"
                    " '2026-11-20 10:00:00')"
                ),
                {"marker": marker, "status": status},
            )
    command.upgrade(config, "0008")
    with engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT marker, tags_status FROM ticket_notes")).all())
    assert rows == {"[a]": "done", "[b]": "pending"}
