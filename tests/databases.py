"""Where a test's data lives: a SQLite file (the default run) or a fresh PostgreSQL database.

Tests marked ``postgres`` run on the server at ``TEST_DATABASE_URL`` (``.ci/services.sh``
starts one and prints the URL); each gets a database of its own, dropped afterwards. The
default run (``-m 'not postgres'``) never needs a server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip('TEST_DATABASE_URL is not set (eval "$(.ci/services.sh)")')
    return url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """The URL of a new, empty database on the test server, dropped after the block."""
    url = server_url()
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(url, name)
    finally:
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def database_target(engine: str, tmp_path: Path) -> AsyncIterator[Path | str]:
    """What ``Database.open`` takes for ``engine``: a file in ``tmp_path``, or a fresh URL."""
    if engine == "postgres":
        async with fresh_postgres() as url:
            yield url
    else:
        yield tmp_path / "storefront.sqlite3"
