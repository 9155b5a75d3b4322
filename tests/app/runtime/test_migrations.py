"""The migrations and the models describe the same schema, on both databases: a model changed
without its migration (or the other way round) fails here, not on an operator's upgrade."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlmodel import SQLModel

import app.main  # noqa: F401  (imports every room, so every table model is registered)


def _diffs(engine, metadata):  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_the_migrated_schema_matches_the_models(engine):
    assert _diffs(engine, SQLModel.metadata) == []


def test_the_comparison_sees_a_column_without_its_migration(engine):
    metadata = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("investigations", metadata, Column("surprise", Integer), extend_existing=True)
    Table("not_migrated", metadata, Column("id", String(8), primary_key=True))
    kinds = {diff[0] for diff in _diffs(engine, metadata) if isinstance(diff, tuple)}
    assert {"add_column", "add_table"} <= kinds


def test_every_chain_column_holds_every_chain_name(engine):
    """Issue 23: "arbitrum" and "optimism" are 8 characters, the width of every `chain` column, so the
    EVM networks need no migration; a longer chain name added to the enum fails here until one widens
    the columns. PostgreSQL enforces the width: each table is written with its longest chain name."""
    from sqlalchemy import inspect, text

    from chains.base import Chain

    longest = max((c.value for c in Chain), key=len)
    columns = [
        (table.name, column)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if column.name == "chain"
    ]
    assert len(columns) >= 8
    migrated = inspect(engine)
    for table, _column in columns:
        width = next(c["type"].length for c in migrated.get_columns(table) if c["name"] == "chain")
        assert width is not None and width >= len(longest), (table, width, longest)
    with engine.begin() as connection:  # the width as PostgreSQL enforces it, on a real row
        connection.execute(
            text("INSERT INTO audit_cursors (chain, blocks_scanned, uncovered, updated_at) VALUES (:c, 0, '', :at)"),
            {"c": longest, "at": "2026-01-01 00:00:00+00:00"},
        )
        stored = connection.execute(text("SELECT chain FROM audit_cursors WHERE chain = :c"), {"c": longest}).scalar()
        connection.execute(text("DELETE FROM audit_cursors WHERE chain = :c"), {"c": longest})
    assert stored == longest
