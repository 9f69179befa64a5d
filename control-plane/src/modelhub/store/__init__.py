"""The store: every record the control plane keeps, behind one interface.

:func:`create_store` picks the implementation from the settings (MONGODB_URL set →
MongoDB, otherwise the embedded SQLite file). The store it returns is not connected yet:
call ``await store.connect()`` at start-up and ``await store.close()`` at shutdown.
"""

from __future__ import annotations

from modelhub.settings import Settings
from modelhub.store.base import Store

__all__ = ["Store", "create_store"]


def create_store(settings: Settings) -> Store:
    """The Store chosen by ``settings.database_backend``, not yet connected."""
    if settings.database_backend == "mongodb":
        from modelhub.store.mongo import MongoStore

        return MongoStore(settings.mongodb_url, settings.database_name)

    from modelhub.store.sqlite import SQLiteStore

    assert settings.sqlite_path is not None  # Settings fills it in from data_dir
    return SQLiteStore(settings.sqlite_path)
