"""Launch, watch, stop and reconcile demos: runtime (container) + route table (Traefik).

Demo states: ``stopped → starting → running → stopping → stopped``, and ``error`` with a
reason. A demo is ``running`` only when Streamlit's ``/_stcore/health`` answers ``ok``
through Traefik at ``/demos/<slug>/``. Every step is recorded in the store before it acts,
so :meth:`DemoService.reconcile` can repair things after a restart: containers are found
by label, routes by their files, and the store says what should exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import httpx

from modelhub import metrics
from modelhub.errors import Conflict, ModelHubError, NotFound, Unavailable
from modelhub.models import DemoInfo, DemoState, Project, utcnow
from modelhub.proxy.route_table import RouteTable
from modelhub.runtime.base import ManagedContainer, ResourceLimits, RunSpec, Runtime
from modelhub.services.project_records import ProjectRecords
from modelhub.settings import Settings
from modelhub.store.base import Store

log = logging.getLogger("modelhub.demos")

ROUTE_CONFIRM_SECONDS = 10.0


class LaunchFailed(ModelHubError):
    status_code = 502
    code = "launch_failed"


@dataclass(frozen=True)
class DemoView:
    """What the API reports about one project's demo."""

    project_id: str
    state: DemoState
    demo_url: str | None
    reason: str | None
    started_at: str | None
    launch_seconds: float | None = None
    gpu: bool = False


class DemoService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        runtime: Runtime,
        routes: RouteTable,
        records: ProjectRecords,
    ) -> None:
        self.settings = settings
        self.store = store
        self.runtime = runtime
        self.routes = routes
        self.records = records
        self._locks: dict[str, asyncio.Lock] = {}
        self._reconciler: asyncio.Task[None] | None = None

    def demo_url(self, project: Project) -> str:
        return f"{self.settings.demo_base_url}/demos/{project.slug}/"

    def _lock(self, project_id: str) -> asyncio.Lock:
        return self._locks.setdefault(project_id, asyncio.Lock())

    def view(self, project: Project, launch_seconds: float | None = None) -> DemoView:
        demo = project.demo
        return DemoView(
            project_id=project.id,
            state=demo.state,
            demo_url=self.demo_url(project) if demo.state == DemoState.RUNNING else None,
            reason=demo.reason,
            started_at=demo.started_at.isoformat() if demo.started_at else None,
            launch_seconds=launch_seconds if launch_seconds is not None else demo.launch_seconds,
        )

    async def _save_demo(self, project_id: str, demo: DemoInfo) -> Project:
        def record(project: Project) -> None:
            project.demo = demo

        return await self.records.update(project_id, record)

    # --- launch --------------------------------------------------------------------------
    async def launch(self, project: Project) -> DemoView:
        """Start the demo (or return it if it runs). One container per project, even when
        launched concurrently. Raises Conflict when there is no built image, GpuUnavailable
        on a GPU-less host, LaunchFailed when the app does not become healthy."""
        async with self._lock(project.id):
            current = await self.store.get_project(project.id)
            if current is None:
                raise NotFound("This project no longer exists")
            project = current
            if project.demo.state == DemoState.RUNNING:
                status = await self.runtime.status(project.id)
                if status.state == "running":
                    await self.store.increment_launch_count(project.id)
                    metrics.launch_event("already_running")
                    return self.view(project)
            # the last good image serves, even while (or after) a rebuild runs or fails
            if not project.image:
                raise Conflict(
                    "This project has no built image yet: wait for its build to finish "
                    f"(build state: {project.build_state or 'none'})",
                    code="not_built",
                )
            image = project.image
            image_build_id = image.rsplit(":", 1)[-1]
            started = time.perf_counter()
            await self.store.increment_launch_count(project.id)
            project = await self._save_demo(
                project.id, DemoInfo(state=DemoState.STARTING, image=project.image)
            )
            try:
                running = await self.runtime.start(
                    RunSpec(
                        project_id=project.id,
                        slug=project.slug,
                        build_id=image_build_id,
                        image=image,
                        limits=ResourceLimits.from_settings(self.settings),
                        wants_gpu=project.wants_gpu,
                        allow_cpu_fallback=project.allow_cpu_fallback,
                    )
                )
                await self.routes.add(project.slug, running.target_url)
                await self.routes.confirm(project.slug, timeout=ROUTE_CONFIRM_SECONDS)
                await self._wait_healthy(project)
            except BaseException as exc:
                metrics.launch_event("failed")
                reason = exc.message if isinstance(exc, ModelHubError) else f"{exc}"
                await asyncio.shield(self._teardown(project, DemoState.ERROR, reason))
                if isinstance(exc, ModelHubError):
                    raise
                if isinstance(exc, Exception):
                    raise LaunchFailed(f"The demo could not start: {reason}") from exc
                raise
            elapsed = time.perf_counter() - started
            project = await self._save_demo(
                project.id,
                DemoInfo(
                    state=DemoState.RUNNING,
                    container_id=running.container_id,
                    image=project.image,
                    started_at=utcnow(),
                    reason=running.warning,
                    launch_seconds=round(elapsed, 2),
                ),
            )
            metrics.launch_event("started", elapsed)
            log.info("demo running", extra={"slug": project.slug, "seconds": round(elapsed, 2)})
            return self.view(project, launch_seconds=round(elapsed, 2))

    async def _wait_healthy(self, project: Project) -> None:
        """Poll /_stcore/health through Traefik until it says ok; fail fast on exit."""
        url = f"{self.settings.proxy_url}/demos/{project.slug}/_stcore/health"
        deadline = time.monotonic() + self.settings.launch_timeout_seconds
        delay = 0.05
        last = "no answer yet"
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                try:
                    response = await client.get(url)
                    if response.status_code == 200 and response.text.strip() == "ok":
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last = exc.__class__.__name__
                status = await self.runtime.status(project.id)
                if status.state in ("exited", "absent"):
                    logs = await self.runtime.logs(project.id, tail=20)
                    tail = logs.strip().splitlines()[-3:] if logs else []
                    raise LaunchFailed(
                        f"The demo stopped while starting: {status.reason or status.state}"
                        + (f". Last output: {' | '.join(tail)}" if tail else "")
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 1.5, 0.5)
        raise LaunchFailed(
            f"The demo did not answer its health check within "
            f"{self.settings.launch_timeout_seconds:g} s (last: {last})"
        )

    async def _teardown(self, project: Project, state: DemoState, reason: str | None) -> None:
        with contextlib.suppress(Exception):
            await self.routes.remove(project.slug)
        with contextlib.suppress(Exception):
            await self.runtime.stop(project.id)
        with contextlib.suppress(Exception):
            await self._save_demo(
                project.id, DemoInfo(state=state, reason=reason, stopped_at=utcnow())
            )

    # --- status and stop ------------------------------------------------------------------
    async def status(self, project: Project) -> DemoView:
        """The recorded state, corrected by what the engine says (a crash shows here)."""
        lock = self._lock(project.id)
        if project.demo.state not in (DemoState.RUNNING, DemoState.STARTING) or lock.locked():
            return self.view(project)  # a launch or stop under way reports for itself
        async with lock:
            current = await self.store.get_project(project.id)
            if current is None:
                raise NotFound("This project no longer exists")
            project = current
            if project.demo.state in (DemoState.RUNNING, DemoState.STARTING):
                status = await self.runtime.status(project.id)
                if status.state in ("exited", "absent"):
                    reason = status.reason or "the demo's container is gone"
                    await self._teardown(project, DemoState.ERROR, reason)
                    project = await self.store.get_project(project.id) or project
        return self.view(project)

    async def stop(self, project: Project) -> DemoView:
        async with self._lock(project.id):
            await self._save_demo(project.id, DemoInfo(state=DemoState.STOPPING))
            try:
                await self.routes.remove(project.slug)
                await self.runtime.stop(project.id)
            except BaseException as exc:  # never left "stopping"
                failed = DemoInfo(state=DemoState.ERROR, reason=f"stop failed: {exc}")
                await asyncio.shield(self._save_demo(project.id, failed))
                raise
            project = await self._save_demo(
                project.id, DemoInfo(state=DemoState.STOPPED, stopped_at=utcnow())
            )
            return self.view(project)

    async def remove_everything(self, project: Project) -> None:
        """For project deletion: container, route and images go."""
        async with self._lock(project.id):
            await self.routes.remove(project.slug)
            await self.runtime.stop(project.id)
            await self.runtime.remove_images(project.slug)
        self._locks.pop(project.id, None)
        self.records.forget(project.id)

    # --- reconciliation -------------------------------------------------------------------
    async def reconcile(self) -> dict[str, int]:
        """Make containers and routes agree with the store; return what was changed.

        Each project is handled under its lock, re-read there (a launch or stop that
        finished meanwhile is seen), and skipped while a launch or stop holds the lock."""
        changed = {"orphans_removed": 0, "routes_restored": 0, "routes_removed": 0, "errors": 0}
        containers = {c.project_id: c for c in await self.runtime.list_managed()}
        routes = await self.routes.list()
        projects = {p.id: p for p in await self.store.list_all_projects()}
        busy = {pid for pid in projects if self._lock(pid).locked()}
        for pid in (set(containers) | set(projects)) - busy:
            async with self._lock(pid):
                await self._reconcile_one(pid, containers.get(pid), routes, changed)
        slugs = {p.slug for p in projects.values()}
        for slug in set(routes) - slugs:  # routes of deleted projects
            await self.routes.remove(slug)
            changed["routes_removed"] += 1
        return changed

    async def _reconcile_one(
        self,
        project_id: str,
        container: ManagedContainer | None,
        routes: dict[str, str],
        changed: dict[str, int],
    ) -> None:
        project = await self.store.get_project(project_id)
        wanted = project is not None and project.demo.state in (
            DemoState.RUNNING, DemoState.STARTING,
        )  # fmt: skip
        if container is not None and (project is None or not wanted):
            await self.runtime.stop(project_id)  # an orphan: nothing should run here
            changed["orphans_removed"] += 1
            container = None
        if project is None:
            return
        slug = project.slug
        if wanted and (container is None or container.state == "exited"):
            status = await self.runtime.status(project_id)
            await self._teardown(project, DemoState.ERROR, status.reason or "the container is gone")
            changed["errors"] += 1
            return
        target = f"http://{container.ip}:8501" if container and container.ip else None
        if wanted and target and routes.get(slug) != target:
            await self.routes.add(slug, target)
            changed["routes_restored"] += 1
        elif not wanted and slug in routes:
            await self.routes.remove(slug)
            changed["routes_removed"] += 1

    async def start_reconciler(self) -> None:
        try:
            await self.runtime.ensure_network()
            result = await self.reconcile()
            log.info("reconciled at start", extra=result)
        except Unavailable as exc:
            log.warning("could not reconcile at start", extra={"reason": exc.message})
        self._reconciler = asyncio.create_task(self._reconcile_forever(), name="reconciler")

    async def _reconcile_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reconcile_interval_seconds)
            try:
                await self.reconcile()
            except Exception:
                log.exception("reconciliation failed")

    async def stop_reconciler(self) -> None:
        if self._reconciler is not None:
            self._reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciler
            self._reconciler = None
