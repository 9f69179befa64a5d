"""The build queue: every upload and rebuild becomes a Build run by a bounded worker pool.

States: ``queued → building → ready | failed``. Each step is written to the store before
the next begins, so a build in flight when the process stops is found at the next start
and marked failed ("interrupted"). Log lines go to the store as they come and wake the
Server-Sent-Events readers of this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass

from modelhub import metrics
from modelhub.builder.base import Builder, BuildFailed, BuildRequest
from modelhub.errors import Conflict, InvalidInput, NotFound, Unavailable
from modelhub.models import Build, BuildLogLine, BuildState, Project, utcnow
from modelhub.services.project_records import ProjectRecords
from modelhub.settings import Settings
from modelhub.storage.base import Storage
from modelhub.store.base import Store

log = logging.getLogger("modelhub.builds")

INTERRUPTED = "interrupted: the control plane stopped during this build; rebuild to retry"
QUEUE_LIMIT = 100
ACTIVE = (BuildState.QUEUED, BuildState.BUILDING)


def check_entry_choice(project: Project, app_file: str) -> None:
    """InvalidInput unless ``app_file`` is a .py file of the project's bundle."""
    paths = {entry.path for entry in project.files.manifest}
    if app_file not in paths or not app_file.endswith(".py"):
        raise InvalidInput(
            f"app_file {app_file!r} is not a .py file of this bundle",
            details=[{"field": "app_file", "problem": "not a .py file in the bundle"}],
        )


def choose_entry(project: Project, app_file: str) -> None:
    """Make ``app_file`` the entry; the former entry becomes an other file."""
    files = project.files
    files.other_files = sorted(
        {*files.other_files, files.app_file} - {app_file} - set(files.model_files)
    )
    files.app_file = app_file


@dataclass(frozen=True)
class LogEvent:
    """One item of a build-log stream: a line, or the end with the build's outcome."""

    line: BuildLogLine | None = None
    build: Build | None = None


class BuildService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        storage: Storage,
        builder: Builder,
        records: ProjectRecords,
    ) -> None:
        self.settings = settings
        self.store = store
        self.storage = storage
        self.builder = builder
        self.records = records
        self._enqueue_lock = asyncio.Lock()
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._workers: list[asyncio.Task[None]] = []
        self._changed = asyncio.Condition()

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        await self.recover_interrupted()
        self._workers = [
            asyncio.create_task(self._worker(), name=f"build-worker-{i}")
            for i in range(self.settings.build_concurrency)
        ]

    async def stop(self) -> None:
        for task in self._workers:
            task.cancel()
        if self._workers:
            # Python 3.11's wait_for can swallow a cancellation; the worker checks
            # cancelling() after each build, and a second cancel covers a lost first one
            _, pending = await asyncio.wait(self._workers, timeout=10)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=10)
        self._workers = []

    async def recover_interrupted(self) -> int:
        """Mark builds left queued or building by a previous process as failed."""
        builds = await self.store.list_builds_in_states([s.value for s in ACTIVE])
        for build in builds:
            await self._finish(build, BuildState.FAILED, reason=INTERRUPTED)
        if builds:
            log.warning("marked interrupted builds failed", extra={"count": len(builds)})
        return len(builds)

    # --- queueing ------------------------------------------------------------------------
    def check_capacity(self) -> None:
        """Unavailable when the queue cannot take another build (checked before uploads)."""
        if self._queue.full():
            raise Unavailable("The build queue is full; try again in a few minutes")

    async def enqueue(self, project_id: str, *, app_file: str | None = None) -> Build:
        """Queue a build of the project's stored bundle, optionally with another entry file
        of the bundle. Conflict if a build is in progress; nothing changes then."""
        async with self._enqueue_lock:
            project = await self.store.get_project(project_id)
            if project is None:
                raise NotFound("This project no longer exists")
            if project.build_state in ACTIVE:
                raise Conflict("A build of this project is already in progress; wait for it to end")
            self.check_capacity()
            if app_file is not None:
                check_entry_choice(project, app_file)
            build = await self.store.create_build(Build(project_id=project.id))

            def queued(p: Project) -> None:
                p.build_state = BuildState.QUEUED
                p.build_id = build.id
                if app_file is not None:
                    choose_entry(p, app_file)

            try:
                await self.records.update(project.id, queued)
                self._queue.put_nowait(build.id)
            except BaseException:
                await asyncio.shield(
                    self._finish(build, BuildState.FAILED, reason="the build could not be queued")
                )
                raise
        metrics.build_event(BuildState.QUEUED.value)
        await self._notify()
        return build

    async def _worker(self) -> None:
        while True:
            build_id = await self._queue.get()
            try:
                await self.run(build_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("build worker failed", extra={"build_id": build_id})
            finally:
                self._queue.task_done()
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise asyncio.CancelledError

    # --- one build -------------------------------------------------------------------------
    async def run(self, build_id: str) -> None:
        build = await self.store.get_build(build_id)
        if build is None or build.state != BuildState.QUEUED:
            return
        project = await self.store.get_project(build.project_id)
        if project is None:
            await self._finish(build, BuildState.FAILED, reason="the project was deleted")
            return
        build.state = BuildState.BUILDING
        build.started_at = utcnow()
        await self.store.replace_build(build)
        await self._set_project_build(project.id, build)

        workdir = self.settings.data_dir / "builds" / build.id
        try:
            await self._log(build.id, f"Build {build.id} of {project.slug} started")
            await asyncio.to_thread(shutil.rmtree, workdir, True)
            await self.storage.download_project(project.id, workdir)
            request = BuildRequest(
                project_id=project.id,
                build_id=build.id,
                slug=project.slug,
                bundle_dir=workdir,
                app_file=project.files.app_file,
                bundle_sha256=project.files.bundle_sha256,
                requirements_file=project.files.requirements_file,
                gpu=project.wants_gpu,
            )
            result = await self.builder.build(request, lambda line: self._log(build.id, line))
        except BuildFailed as exc:
            await self._log(build.id, f"Build failed: {exc.reason}")
            await self._finish(build, BuildState.FAILED, reason=exc.reason)
        except asyncio.CancelledError:
            await asyncio.shield(self._finish(build, BuildState.FAILED, reason=INTERRUPTED))
            raise
        except Exception as exc:
            log.exception("build crashed", extra={"build_id": build.id})
            reason = f"the build could not run ({exc.__class__.__name__}: {exc}); rebuild to retry"
            await self._finish(build, BuildState.FAILED, reason=reason)
        else:
            build.image = result.image_tag
            build.warnings = result.warnings
            build.info = {**result.info, "duration_seconds": round(result.duration_seconds, 1)}
            await self._log(build.id, f"Image {result.image_tag} is ready")
            previous = project.image
            await self._finish(build, BuildState.READY)
            if previous and previous != result.image_tag:
                await self._drop_unused_image(project.id, previous)
        finally:
            await asyncio.to_thread(shutil.rmtree, workdir, True)

    async def _drop_unused_image(self, project_id: str, image: str) -> None:
        current = await self.store.get_project(project_id)
        if current is not None and current.demo.image != image:
            with contextlib.suppress(Exception):
                await self.builder.remove_image(image)

    async def _finish(self, build: Build, state: BuildState, reason: str | None = None) -> None:
        build.state = state
        build.reason = reason
        build.finished_at = utcnow()
        # the project first: a reader who sees the build end then finds the project updated
        await self._set_project_build(build.project_id, build)
        await self.store.replace_build(build)
        metrics.build_event(state.value)
        await self._notify()

    async def _set_project_build(self, project_id: str, build: Build) -> None:
        def record(project: Project) -> None:
            if project.build_id == build.id:
                project.build_state = build.state
                if build.state == BuildState.READY:
                    project.image = build.image

        with contextlib.suppress(NotFound):  # deleted meanwhile
            await self.records.update(project_id, record)

    async def _log(self, build_id: str, line: str) -> None:
        await self.store.append_build_log(build_id, [line])
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- reading -------------------------------------------------------------------------
    async def latest(self, project_id: str) -> Build | None:
        return await self.store.latest_build(project_id)

    async def follow_log(self, build_id: str, after_seq: int = 0) -> AsyncIterator[LogEvent]:
        """Replay the build's log after ``after_seq``, then follow it until the build ends."""
        seq = after_seq
        while True:
            lines = await self.store.get_build_log(build_id, seq)
            for line in lines:
                seq = line.seq
                yield LogEvent(line=line)
            build = await self.store.get_build(build_id)
            if build is None:
                raise NotFound("This build no longer exists")
            if build.state not in ACTIVE:
                # lines written just before the end
                for line in await self.store.get_build_log(build_id, seq):
                    seq = line.seq
                    yield LogEvent(line=line)
                yield LogEvent(build=build)
                return
            async with self._changed:
                # the timeout also covers builds run by another process
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout=1.0)
