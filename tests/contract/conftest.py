"""The ``store`` fixture: every contract test runs once per Store implementation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from modelhub.models import new_id
from modelhub.store.base import Store
from modelhub.store.mongo import MongoStore
from modelhub.store.sqlite import SQLiteStore
from tests.fixtures.ferretdb import ferretdb_url  # noqa: F401

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("mongodb", id="mongodb", marks=pytest.mark.mongo),
]


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A connected, empty store of each kind; a MongoDB store gets its own database."""
    if request.param == "sqlite":
        sqlite_store = SQLiteStore(tmp_path / "store.sqlite3")
        await sqlite_store.connect()
        try:
            yield sqlite_store
        finally:
            await sqlite_store.close()
        return

    url: str = request.getfixturevalue("ferretdb_url")
    database = f"contract_{new_id()}"
    mongo_store = MongoStore(url, database)
    await mongo_store.connect()
    try:
        yield mongo_store
    finally:
        await mongo_store.close()
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
        try:
            await client.drop_database(database)
        finally:
            await client.close()
