"""The Runtime on the local Docker Engine (Docker SDK for Python).

Each public method runs one synchronous sequence of SDK calls in a worker thread
(``asyncio.to_thread``), so the event loop never blocks on the engine. Per-project
``asyncio.Lock``s serialise start/stop of one project inside this process; a name conflict
(HTTP 409) from the engine covers a second process starting the same project.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import docker
import docker.errors
import docker.types
import requests.exceptions
from docker.models.containers import Container
from docker.models.images import Image
from docker.models.networks import Network

from modelhub.errors import ModelHubError, Unavailable
from modelhub.runtime.base import (
    DEMO_HOME,
    DEMO_PORT,
    LABEL_BUILD,
    LABEL_INSTANCE,
    LABEL_MANAGED,
    LABEL_PROJECT,
    LABEL_SLUG,
    ContainerState,
    DemoCrashed,
    EngineError,
    ImageNotFound,
    ManagedContainer,
    RunningDemo,
    RunSpec,
    Runtime,
    RuntimeStatus,
    UnsafeImage,
    container_name,
    format_memory,
    image_repository,
)
from modelhub.runtime.gpu import GpuPlan, has_nvidia_runtime, plan_gpu, runtime_names
from modelhub.settings import Settings

log = logging.getLogger("modelhub.runtime")

P = ParamSpec("P")
T = TypeVar("T")

# Demo logs are capped so a chatty app cannot fill the host's disk.
_LOG_CONFIG = docker.types.LogConfig(
    type=docker.types.LogConfig.types.JSON, config={"max-size": "10m", "max-file": "3"}
)
_ROOT_USERS = frozenset({"", "root", "0"})
_ZERO_TIME = "0001-01-01T00:00:00Z"
_FRACTION_RE = re.compile(r"\.(\d{6})\d*")
_CREATE_ATTEMPTS = 20
_CREATE_RETRY_SECONDS = 0.1
_LIVE = frozenset({"created", "running", "restarting"})


class DockerRuntime(Runtime):
    """Runs demos as hardened containers on the local Docker Engine.

    ``client_factory`` builds the SDK client (default ``docker.from_env()``); it is called
    lazily, in a worker thread, on first use.
    """

    backend = "docker"

    def __init__(
        self,
        settings: Settings,
        client_factory: Callable[[], docker.DockerClient] | None = None,
    ) -> None:
        self._settings = settings
        self._client_factory = client_factory or docker.from_env
        self._client: docker.DockerClient | None = None
        self._client_lock = threading.Lock()
        self._network_lock = threading.Lock()
        self._project_locks: dict[str, asyncio.Lock] = {}

    # --- plumbing ------------------------------------------------------------------------

    def _instance_filter(self) -> list[str]:
        """Label filters that find this hub's demo containers, and only them."""
        return [f"{LABEL_MANAGED}=true", f"{LABEL_INSTANCE}={self._settings.instance}"]

    def _docker(self) -> docker.DockerClient:
        with self._client_lock:
            if self._client is None:
                self._client = self._client_factory()
            return self._client

    async def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in a thread; engine failures become ModelHubErrors."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except ModelHubError:
            raise
        except docker.errors.APIError as exc:
            raise EngineError(
                f"The Docker engine refused the operation: {exc.explanation or exc}",
                log_message=f"docker API error: {exc}",
            ) from exc
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise Unavailable(
                "The Docker engine does not answer; check that Docker is running "
                "(`systemctl status docker`) and that the control plane may use its socket",
                log_message=f"docker unreachable: {exc}",
            ) from exc

    def _lock(self, project_id: str) -> asyncio.Lock:
        return self._project_locks.setdefault(project_id, asyncio.Lock())

    def _find(self, project_id: str) -> list[Container]:
        return self._docker().containers.list(
            all=True,
            filters={"label": [*self._instance_filter(), f"{LABEL_PROJECT}={project_id}"]},
            ignore_removed=True,
        )

    def _ip(self, container: Container) -> str | None:
        networks = container.attrs.get("NetworkSettings", {}).get("Networks") or {}
        ip = (networks.get(self._settings.demo_network) or {}).get("IPAddress")
        return str(ip) if ip else None

    @staticmethod
    def _remove(container: Container, timeout: float | None = None) -> None:
        try:
            if timeout is not None and container.status in ("running", "restarting"):
                container.stop(timeout=timeout)
            container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            # 409: removal already in progress (a concurrent stop); the container is going.
            if exc.status_code != 409:
                raise

    # --- engine --------------------------------------------------------------------------
    async def ping(self) -> None:
        await self._call(lambda: self._docker().ping())

    async def engine_info(self) -> dict[str, object]:
        def _info() -> dict[str, object]:
            client = self._docker()
            info = client.info()
            runtimes = runtime_names(info)
            return {
                "version": info.get("ServerVersion"),
                "api_version": client.api.api_version,
                "runtimes": runtimes,
                "default_runtime": info.get("DefaultRuntime"),
                "gpu": has_nvidia_runtime(runtimes),
                "cgroup_version": info.get("CgroupVersion"),
            }

        return await self._call(_info)

    async def close(self) -> None:
        if self._client is not None:
            await asyncio.to_thread(self._client.close)
            self._client = None

    # --- network -------------------------------------------------------------------------
    def _networks_named(self, name: str) -> list[Network]:
        # the engine's name filter matches substrings: compare exactly
        return [n for n in self._docker().networks.list(names=[name]) if n.name == name]

    def _ensure_network(self) -> None:
        name = self._settings.demo_network
        with self._network_lock:
            found = self._networks_named(name)
            if len(found) == 1:
                return
            if not found:
                try:
                    # the low-level call: the model's create() re-reads the network, which a
                    # concurrent creator may already have removed as a duplicate
                    self._docker().api.create_network(
                        name, driver="bridge", check_duplicate=True, labels={LABEL_MANAGED: "true"}
                    )
                    log.info("created the demos network %s", name)
                except docker.errors.APIError as exc:
                    if exc.status_code != 409:  # 409: another process created it first
                        raise
                found = self._networks_named(name)
            # The engine's duplicate check is not atomic: concurrent creators (several
            # processes) can each make a network of that name. All keep the same one, the
            # first by (creation time, id), and remove the others.
            found.sort(key=lambda n: (str(n.attrs.get("Created", "")), str(n.id)))
            for extra in found[1:]:
                try:
                    extra.remove()
                    log.info("removed duplicate demos network %s", extra.short_id)
                except docker.errors.APIError as exc:
                    log.warning("could not remove duplicate network %s: %s", extra.short_id, exc)

    async def ensure_network(self) -> None:
        await self._call(self._ensure_network)

    # --- start ---------------------------------------------------------------------------
    def _image(self, ref: str) -> Image:
        try:
            image = self._docker().images.get(ref)
        except docker.errors.ImageNotFound as exc:
            raise ImageNotFound(
                f"The demo image {ref} does not exist on this host; build the project again",
                log_message=f"image missing: {ref}",
            ) from exc
        user = str((image.attrs.get("Config") or {}).get("User") or "")
        if user.split(":", 1)[0].strip() in _ROOT_USERS:
            raise UnsafeImage(
                f"The image {ref} would run as root (USER is {user or 'not set'}); demo "
                "images must set a non-root USER",
                log_message=f"refused root image {ref} (User={user!r})",
            )
        return image

    def _create_kwargs(self, spec: RunSpec, plan: GpuPlan) -> dict[str, Any]:
        env = {
            **spec.env,
            "HOME": DEMO_HOME,
            "PYTHONUNBUFFERED": "1",
            "MODELHUB_SLUG": spec.slug,
        }
        kwargs: dict[str, Any] = {
            "image": spec.image,
            "name": container_name(spec.slug, self._settings.instance),
            "hostname": spec.slug[:63],
            "detach": True,
            "labels": {
                LABEL_MANAGED: "true",
                LABEL_INSTANCE: self._settings.instance,
                LABEL_PROJECT: spec.project_id,
                LABEL_BUILD: spec.build_id,
                LABEL_SLUG: spec.slug,
            },
            "environment": env,
            "network": self._settings.demo_network,
            # hardening
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges:true"],
            "privileged": False,
            "init": True,  # reaps zombies, forwards SIGTERM to the app
            "restart_policy": {"Name": "no"},
            "mem_limit": spec.limits.memory_bytes,
            "memswap_limit": spec.limits.memory_bytes,  # no swap on top of the limit
            "nano_cpus": spec.limits.nano_cpus,
            "pids_limit": spec.limits.pids_limit,
            "log_config": _LOG_CONFIG,
        }
        if plan.gpu:
            kwargs["device_requests"] = plan.device_requests
            kwargs["runtime"] = plan.runtime
        return kwargs

    def _running(self, container: Container, *, reused: bool, warning: str | None) -> RunningDemo:
        container.reload()
        ip = self._ip(container)
        if container.status != "running" or not ip:
            reason = _exit_reason(container, container.attrs.get("State", {}))
            raise DemoCrashed(
                f"The demo stopped right after starting: {reason or container.status}",
                log_message=f"container {container.short_id} status={container.status} ip={ip}",
            )
        return RunningDemo(
            container_id=str(container.id),
            name=str(container.name),
            ip=ip,
            target_url=f"http://{ip}:{DEMO_PORT}",
            gpu=_has_gpu(container),
            build_id=container.labels.get(LABEL_BUILD, ""),
            reused=reused,
            warning=warning,
        )

    def _start_container(self, container: Container) -> None:
        try:
            container.start()  # starting a running container is a no-op (304)
        except docker.errors.APIError as exc:
            self._remove(container)
            raise EngineError(
                f"The demo container did not start: {exc.explanation or exc}",
                log_message=f"start of {container.name} failed: {exc}",
            ) from exc

    def _start(self, spec: RunSpec) -> RunningDemo:
        client = self._docker()
        self._image(spec.image)
        plan = GpuPlan(gpu=False)
        if spec.wants_gpu:
            plan = plan_gpu(
                wants_gpu=True,
                allow_cpu_fallback=spec.allow_cpu_fallback,
                runtimes=runtime_names(client.info()),
            )
        name = container_name(spec.slug, self._settings.instance)
        container: Container | None = None
        reused = False
        for existing in self._find(spec.project_id):
            same = existing.name == name and existing.labels.get(LABEL_BUILD) == spec.build_id
            if same and container is None and existing.status in _LIVE:
                # running, or just created by a concurrent start in another process
                container, reused = existing, existing.status == "running"
            else:
                self._remove(existing)  # exited, or another build: replace it
        if container is not None:
            if not reused:
                self._start_container(container)
            return self._running(container, reused=reused, warning=plan.warning)
        self._ensure_network()

        for _ in range(_CREATE_ATTEMPTS):
            try:
                container = client.containers.create(**self._create_kwargs(spec, plan))
                break
            except docker.errors.APIError as exc:
                if exc.status_code != 409:
                    raise
            # the name is taken: a concurrent start of this project (adopt it) or a leftover
            try:
                other = client.containers.get(name)
            except docker.errors.NotFound:
                # reserved by a create (or removal) still in progress: wait for it to settle
                time.sleep(_CREATE_RETRY_SECONDS)
                continue
            labels = other.labels
            if (
                labels.get(LABEL_PROJECT) == spec.project_id
                and labels.get(LABEL_BUILD) == spec.build_id
                and other.status in _LIVE
            ):
                container = other
                break
            self._remove(other)
        if container is None:
            raise EngineError(f"Could not create the container {name}: its name stays taken")

        self._start_container(container)
        demo = self._running(container, reused=False, warning=plan.warning)
        log.info("started %s (%s) at %s gpu=%s", name, demo.container_id[:12], demo.ip, demo.gpu)
        return demo

    async def start(self, spec: RunSpec) -> RunningDemo:
        async with self._lock(spec.project_id):
            return await self._call(self._start, spec)

    # --- poll ----------------------------------------------------------------------------
    def _status(self, project_id: str) -> RuntimeStatus:
        containers = self._find(project_id)
        if not containers:
            return RuntimeStatus(state="absent")
        container = containers[0]
        attrs = container.attrs
        state = attrs.get("State", {})
        health_info = state.get("Health") or {}
        health = health_info.get("Status") or None
        mapped = _state(container.status, health)
        reason: str | None = None
        if mapped == "exited":
            reason = _exit_reason(container, state)
        elif health == "unhealthy":
            probes = health_info.get("Log") or []
            output = str(probes[-1].get("Output", "")).strip() if probes else ""
            reason = "the health check is failing" + (f": {output[:200]}" if output else "")
        exit_code = state.get("ExitCode") if mapped == "exited" else None
        return RuntimeStatus(
            state=mapped,
            container_id=str(container.id),
            build_id=container.labels.get(LABEL_BUILD),
            exit_code=exit_code,
            oom_killed=bool(state.get("OOMKilled")),
            reason=reason,
            health=health,
            started_at=_parse_time(state.get("StartedAt")),
            finished_at=_parse_time(state.get("FinishedAt")) if mapped == "exited" else None,
            ip=self._ip(container),
            gpu=_has_gpu(container),
        )

    async def status(self, project_id: str) -> RuntimeStatus:
        return await self._call(self._status, project_id)

    def _logs(self, project_id: str, tail: int) -> str:
        containers = self._find(project_id)
        return _logs(containers[0], tail) if containers else ""

    async def logs(self, project_id: str, tail: int = 200) -> str:
        return await self._call(self._logs, project_id, tail)

    # --- stop, list, clean up ------------------------------------------------------------
    def _stop(self, project_id: str, timeout: float) -> bool:
        containers = self._find(project_id)
        for container in containers:
            self._remove(container, timeout=timeout)
        return bool(containers)

    async def stop(self, project_id: str, grace_seconds: float = 5) -> bool:
        async with self._lock(project_id):
            return await self._call(self._stop, project_id, grace_seconds)

    def _list_managed(self) -> list[ManagedContainer]:
        found = self._docker().containers.list(
            all=True, filters={"label": self._instance_filter()}, ignore_removed=True
        )
        result = []
        for container in found:
            labels = container.labels
            if LABEL_PROJECT not in labels:
                continue
            health = (container.attrs.get("State", {}).get("Health") or {}).get("Status")
            result.append(
                ManagedContainer(
                    container_id=str(container.id),
                    name=str(container.name),
                    project_id=labels[LABEL_PROJECT],
                    slug=labels.get(LABEL_SLUG, ""),
                    build_id=labels.get(LABEL_BUILD, ""),
                    state=_state(container.status, health),
                    ip=self._ip(container),
                )
            )
        return result

    async def list_managed(self) -> list[ManagedContainer]:
        return await self._call(self._list_managed)

    def _remove_images(self, slug: str) -> int:
        client = self._docker()
        repo = image_repository(slug)
        removed = 0
        for image in client.images.list(name=repo):
            for tag in image.tags:
                if tag.rsplit(":", 1)[0] != repo:
                    continue
                try:
                    client.images.remove(tag, force=True)
                    removed += 1
                except docker.errors.NotFound:
                    pass
        return removed

    async def remove_images(self, slug: str) -> int:
        return await self._call(self._remove_images, slug)


# --- helpers -------------------------------------------------------------------------------
def _state(status: str, health: str | None) -> ContainerState:
    if status == "running":
        return "starting" if health == "starting" else "running"
    if status in ("created", "restarting"):
        return "starting"
    return "exited"  # exited, dead, paused, removing


def _has_gpu(container: Container) -> bool:
    return bool(container.attrs.get("HostConfig", {}).get("DeviceRequests"))


def _exit_reason(container: Container, state: dict[str, Any]) -> str | None:
    code = state.get("ExitCode")
    if state.get("OOMKilled"):
        limit = int(container.attrs.get("HostConfig", {}).get("Memory") or 0)
        shown = format_memory(limit) if limit else "no limit"
        return f"out of memory (exit {code}, limit {shown})"
    if state.get("Error"):
        return f"the container could not start: {state['Error']}"
    if container.status == "paused":
        return "the container is paused"
    if code == 0:
        return "the app stopped by itself (exit code 0)"
    if code in (137, 143):
        return f"the app was killed (exit code {code})"
    if code is None:
        return None
    # tracebacks go to stderr; the two streams' order in the log is not exact
    last = _last_line(_logs(container, 20, stdout=False)) or _last_line(_logs(container, 20))
    return f"the app crashed (exit code {code})" + (f": {last}" if last else "")


def _logs(container: Container, tail: int, *, stdout: bool = True) -> str:
    try:
        raw = container.logs(stdout=stdout, stderr=True, tail=tail)
    except docker.errors.NotFound:
        return ""
    return raw.decode("utf-8", errors="replace")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value or value == _ZERO_TIME:
        return None
    try:
        return datetime.fromisoformat(_FRACTION_RE.sub(r".\1", value))
    except ValueError:
        return None
