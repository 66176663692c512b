"""Database fixtures (a pytest plugin): fresh, migrated databases on SQLite and on a real PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL (a server where the user may CREATE DATABASE) or else from the throwaway
server in scripts/pg_test_server.py, installed on first use if we are root. If neither works the tests fail: a
silently skipped backend is an untested backend.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from bot.store import Store
from bot.store.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent


def _load_pg_test_server() -> ModuleType:
    # scripts/ is not a package, and the script must stay stdlib-only and runnable on its own.
    spec = importlib.util.spec_from_file_location("pg_test_server", ROOT / "scripts" / "pg_test_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The PostgreSQL server for the whole session, as an asyncpg URL of a database we may connect to."""
    configured = os.environ.get("TEST_DATABASE_URL", "").strip()
    if configured:
        yield configured
        return
    with _load_pg_test_server().PostgresServer() as url:
        yield url


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite database file, like the bot's default."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await migrate(url)
    return url


@pytest.fixture
def _postgres_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database on the session server, dropped afterwards (even if a connection lingers)."""
    server = make_url(request.getfixturevalue("postgres_url"))
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(_libpq(server), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database on each backend: tests using it run once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    else:
        url = request.getfixturevalue("_postgres_database")
    await migrate(url)
    return url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = Store.open(database_url)
    try:
        yield opened
    finally:
        await opened.close()
