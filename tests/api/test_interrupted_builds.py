"""A build in flight when the control plane stopped is marked failed at the next start."""

from __future__ import annotations

import httpx

from modelhub.main import create_app
from modelhub.models import Build, BuildState, Project, ProjectFiles
from modelhub.settings import Settings
from modelhub.store import create_store


async def test_build_left_building_is_failed_interrupted_at_start(settings: Settings) -> None:
    store = create_store(settings)
    await store.connect()
    project = await store.create_project(
        Project(
            name="Left over",
            slug="left-over",
            owner_id="0" * 24,
            files=ProjectFiles(app_file="app.py"),
        )
    )
    build = await store.create_build(Build(project_id=project.id, state=BuildState.BUILDING))
    project.build_id, project.build_state = build.id, BuildState.BUILDING
    await store.replace_project(project)
    await store.close()

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            body = (await client.get(f"/api/projects/{project.id}")).json()
    assert body["status"] == "error"
    assert body["build"]["state"] == "failed"
    assert body["build"]["reason"].startswith("interrupted")
