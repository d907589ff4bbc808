"""Alembic environment: migrations run on the engine paperradar opened (see store.database)."""

from __future__ import annotations

from alembic import context

from paperradar.store.schema import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch mode to ALTER
    )
    context.run_migrations()
