"""Read-modify-write of one project record, one writer at a time per project.

The build queue, the demo service and the API all change parts of a project (build state,
demo state, entry file). Each change goes through :meth:`ProjectRecords.update`, which
re-reads the record under a per-project lock, applies the change and writes it, so one
writer never puts back another's stale copy. The lock is per process: the hub runs one
control-plane process per database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from modelhub.errors import NotFound
from modelhub.models import Project, utcnow
from modelhub.store.base import Store


class ProjectRecords:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._locks: dict[str, asyncio.Lock] = {}

    async def update(self, project_id: str, change: Callable[[Project], None]) -> Project:
        """Apply ``change`` to the current record and save it; NotFound if it is gone."""
        async with self._locks.setdefault(project_id, asyncio.Lock()):
            project = await self.store.get_project(project_id)
            if project is None:
                raise NotFound("This project no longer exists")
            change(project)
            project.updated_at = utcnow()
            await self.store.replace_project(project)
            return project

    def forget(self, project_id: str) -> None:
        self._locks.pop(project_id, None)
