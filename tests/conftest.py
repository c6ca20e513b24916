"""Fixtures shared by the storage-level tests of both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.database import Database
from tests.databases import ENGINES, database_target


@pytest.fixture(params=ENGINES)
async def engine_database(
    tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Database]:
    """A migrated database on each engine: SQLite by default, PostgreSQL with -m postgres."""
    async with database_target(request.param, tmp_path) as target:
        database = await Database.open(target)
        try:
            yield database
        finally:
            await database.close()
