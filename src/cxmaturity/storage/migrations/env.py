"""Alembic environment: migrates the database given by the caller's connection or URL."""

from __future__ import annotations

from alembic import context

from cxmaturity.storage.database import make_engine, ours
from cxmaturity.storage.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True, include_object=ours
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True, include_object=ours)
        context.run_migrations()
    engine.dispose()


run_migrations()
