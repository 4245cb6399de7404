"""Alembic's entry: runs the store's migrations on the connection `gateway.store.migrate`
passes (offline SQL generation is not used)."""

from __future__ import annotations

from alembic import context

from gateway.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
