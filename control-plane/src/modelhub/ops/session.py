"""A connected store (and storage) for one operator command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from modelhub.models import Project, is_valid_id
from modelhub.settings import Settings
from modelhub.store import create_store
from modelhub.store.base import Store


@asynccontextmanager
async def connected_store(settings: Settings) -> AsyncIterator[Store]:
    """The store of ``settings``, connected for the block and closed after it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = create_store(settings)
    await store.connect()
    try:
        yield store
    finally:
        await store.close()


async def find_project(store: Store, ref: str) -> Project | None:
    """A project by id (24 hex characters) or by slug."""
    if is_valid_id(ref):
        project = await store.get_project(ref)
        if project is not None:
            return project
    return await store.get_project_by_slug(ref.strip().lower())
