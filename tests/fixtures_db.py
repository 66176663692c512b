"""Database fixtures (a pytest plugin): fresh, migrated databases on SQLite and on a real PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL (a server where the user may CREATE DATABASE) or else from the throwaway
server in scripts/pg_test_server.py, installed on first use if we are root. If neither works the tests fail: a
silently skipped backend is an untested backend.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
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
        url = make_url(configured)
        if url.drivername in {"postgres", "postgresql"}:  # accept a plain libpq URL too
            url = url.set(drivername="postgresql+asyncpg")
        yield url.render_as_string(hide_password=False)
        return
    with _load_pg_test_server().PostgresServer() as url:
        yield url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file the per-test databases are copied from: migrating once beats migrating every test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    with ThreadPoolExecutor(max_workers=1) as worker:  # session fixtures may be set up inside a running loop
        worker.submit(asyncio.run, migrate(f"sqlite+aiosqlite:///{path}")).result()
    return path


def _fresh_sqlite(template: Path, folder: Path) -> str:
    path = folder / "bot.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite database file, like the bot's default."""
    return _fresh_sqlite(_sqlite_template, tmp_path)


def _create_database(admin: psycopg.Connection, name: str, template: str | None = None) -> None:
    clone = ""
    if template is not None:
        # FILE_COPY (PostgreSQL 15+) copies the few files of a small database instead of WAL-logging every block.
        clone = f' TEMPLATE "{template}"' + (" STRATEGY = FILE_COPY" if admin.info.server_version >= 150000 else "")
    admin.execute(f'CREATE DATABASE "{name}"{clone}')


@pytest.fixture(scope="session")
def _postgres_template(postgres_url: str) -> Iterator[str]:
    """A migrated database the per-test databases are cloned from: migrating once beats migrating every test."""
    server = make_url(postgres_url)
    name = f"t_template_{uuid.uuid4().hex[:12]}"  # unique, so parallel sessions on one server don't collide
    with psycopg.connect(_libpq(server), autocommit=True) as admin:
        _create_database(admin, name)
    try:
        # Session fixtures may be set up inside a test's running event loop; migrate on a loop of its own.
        template_url = server.set(database=name).render_as_string(hide_password=False)
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(asyncio.run, migrate(template_url)).result()
        yield name
    finally:
        with psycopg.connect(_libpq(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def _postgres_database(postgres_url: str, _postgres_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database on the session server, dropped afterwards even if connections linger."""
    server = make_url(postgres_url)
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(_libpq(server), autocommit=True) as admin:
        _create_database(admin, name, template=_postgres_template)
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database on each backend: tests using it run once on SQLite and once on PostgreSQL."""
    if request.param == "postgresql":
        return request.getfixturevalue("_postgres_database")
    return _fresh_sqlite(request.getfixturevalue("_sqlite_template"), tmp_path)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = Store.open(database_url)
    try:
        yield opened
    finally:
        await opened.close()
