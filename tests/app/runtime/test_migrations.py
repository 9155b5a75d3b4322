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
