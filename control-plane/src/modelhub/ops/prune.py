"""Remove what this hub no longer needs from the Docker engine.

* Old demo images: tags of ``modelhub-demo/<slug>`` other than the project's current image
  and the image its demo runs (projects with a build in progress are left alone).
* Orphan containers: this hub's demo containers (label ``modelhub.instance``) whose project
  is gone or whose demo is not meant to run.
* With ``dangling``: untagged images labelled ``modelhub.project`` (replaced demo images
  and build leftovers; an image a container still uses is kept by the engine).

Other hubs sharing the engine are safe: containers are matched by this hub's instance
label, and images only by the slugs of this hub's projects.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import docker

from modelhub.models import BuildState, DemoState, Project
from modelhub.ops.session import connected_store
from modelhub.runtime.base import image_repository
from modelhub.runtime.docker_runtime import DockerRuntime
from modelhub.settings import Settings

_WANTED_DEMO = (DemoState.RUNNING, DemoState.STARTING)


@dataclass
class PruneReport:
    images_removed: list[str] = field(default_factory=list)
    containers_removed: list[str] = field(default_factory=list)
    dangling_removed: int = 0
    errors: list[str] = field(default_factory=list)


def _old_image_tags(client: docker.DockerClient, project: Project) -> list[str]:
    keep = {project.image, project.demo.image} - {None}
    repo = image_repository(project.slug)
    tags: list[str] = []
    for image in client.images.list(name=repo):
        tags += [t for t in image.tags if t.rsplit(":", 1)[0] == repo and t not in keep]
    return tags


def _prune_images(projects: list[Project], dangling: bool, dry_run: bool) -> PruneReport:
    report = PruneReport()
    client = docker.from_env(timeout=60)
    try:
        for project in projects:
            if project.build_state in (BuildState.QUEUED, BuildState.BUILDING):
                continue
            for tag in _old_image_tags(client, project):
                try:
                    if not dry_run:
                        client.images.remove(tag)
                    report.images_removed.append(tag)
                except docker.errors.APIError as exc:
                    report.errors.append(f"{tag}: {exc.explanation or exc}")
        if dangling:
            filters = {"dangling": True, "label": "modelhub.project"}
            for image in client.images.list(filters=filters):
                try:
                    if not dry_run:
                        client.images.remove(str(image.id))
                    report.dangling_removed += 1
                except docker.errors.APIError:
                    pass  # in use by a container or another image: the engine keeps it
    finally:
        client.close()
    return report


async def prune(
    settings: Settings, *, dangling: bool = False, dry_run: bool = False
) -> PruneReport:
    async with connected_store(settings) as store:
        projects = await store.list_all_projects()
    by_id = {p.id: p for p in projects}
    runtime = DockerRuntime(settings)
    removed: list[str] = []
    try:
        for container in await runtime.list_managed():
            project = by_id.get(container.project_id)
            if project is not None and project.demo.state in _WANTED_DEMO:
                continue
            if not dry_run:
                await runtime.stop(container.project_id)
            removed.append(container.name)
    finally:
        await runtime.close()
    report = await asyncio.to_thread(_prune_images, projects, dangling, dry_run)
    report.containers_removed = removed
    return report
