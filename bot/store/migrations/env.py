"""Alembic environment: migrations always run on a connection handed over by `bot.store.migrate.migrate`."""

from alembic import context

from bot.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `python -m bot.store.migrate`, which supplies the database connection.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER by copying the table
)
with context.begin_transaction():
    context.run_migrations()
