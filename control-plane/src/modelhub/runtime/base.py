"""The Runtime interface: run a built demo image as a container, poll it, stop it.

One implementation today (:class:`modelhub.runtime.docker_runtime.DockerRuntime`, the local
Docker Engine); a cluster engine can implement the same contract later.

Contract, for every implementation:

* One container per project. ``start(spec)`` is idempotent: when the project's container
  already runs ``spec.build_id`` it is returned as is (``reused=True``); a container that
  has exited, or that runs another build, is removed and a new one created. Concurrent
  ``start`` calls for one project create exactly one container.
* Containers are found by labels, never by remembered ids, so a restarted control plane
  sees what is running: ``modelhub.managed=true``, ``modelhub.project=<id>``,
  ``modelhub.build=<id>``, ``modelhub.slug=<slug>``. The container is named
  ``modelhub-demo-<slug>``.
* A demo is reachable only on the demos network (``Settings.demo_network``) at
  ``target_url`` (``http://<container ip>:8501``); no host port is published.
* Hardened: every Linux capability dropped, ``no-new-privileges``, the image's own non-root
  user, no host mounts, memory / CPU / process limits, no restart policy (the control plane
  reconciles).
* GPU: ``spec.wants_gpu`` asks for every GPU through the NVIDIA runtime. On a host without
  it, ``allow_cpu_fallback`` starts on CPU (``RunningDemo.gpu`` is False and ``warning``
  says why); otherwise :class:`GpuUnavailable` is raised before anything is created.
* Every call answers promptly; none waits for the app inside to become healthy (the caller
  polls ``status``).

Errors (all :class:`modelhub.errors.ModelHubError` subclasses):

* :class:`modelhub.errors.Unavailable` — the engine does not answer (any method).
* :class:`ImageNotFound` — ``start`` with an image the engine does not have.
* :class:`UnsafeImage` — ``start`` with an image whose user is root or unset.
* :class:`GpuUnavailable` — ``start`` needs a GPU the host cannot give, without fallback.
* :class:`DemoCrashed` — ``start``: the app exited before the container could be seen
  running (the container is kept, so ``status`` and ``logs`` still explain it).
* :class:`EngineError` — the engine refused an operation (message carries its reason).

``stop``, ``status``, ``logs`` and ``remove_images`` never raise for a missing container
or image: absence is a normal answer.
"""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from modelhub.errors import ModelHubError, NotFound

if TYPE_CHECKING:
    from modelhub.settings import Settings

DEMO_PORT = 8501
DEMO_HOME = "/home/app"

LABEL_MANAGED = "modelhub.managed"
LABEL_PROJECT = "modelhub.project"
LABEL_BUILD = "modelhub.build"
LABEL_SLUG = "modelhub.slug"
# the hub that owns the container (settings.instance): hubs sharing an engine keep apart
LABEL_INSTANCE = "modelhub.instance"

ContainerState = Literal["starting", "running", "exited", "absent"]


# --- errors ------------------------------------------------------------------------------
class GpuUnavailable(ModelHubError):
    """The demo needs a GPU and the host has no NVIDIA runtime (and no CPU fallback)."""

    status_code = 409
    code = "gpu_unavailable"


class UnsafeImage(ModelHubError):
    """The image would run as root (its USER is empty, root or uid 0)."""

    status_code = 422
    code = "unsafe_image"


class ImageNotFound(NotFound):
    """The engine does not have the image to run; the project must be built (again)."""

    code = "image_not_found"


class DemoCrashed(ModelHubError):
    """The app exited while its container was being started; the message says why
    (exit code, out of memory, last error line)."""

    status_code = 502
    code = "demo_crashed"


class EngineError(ModelHubError):
    """The container engine refused an operation; the message carries its reason."""

    status_code = 502
    code = "engine_error"


# --- values ------------------------------------------------------------------------------
_MEMORY_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_MEMORY_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)


def parse_memory(value: str | int) -> int:
    """``"512m"`` → bytes. Units k/m/g are binary (as Docker's ``--memory``)."""
    if isinstance(value, int):
        return value
    match = _MEMORY_RE.match(value)
    if not match:
        raise ValueError(f"not a memory size: {value!r} (use e.g. 512m or 1g)")
    number, unit = match.groups()
    return int(float(number) * _MEMORY_UNITS[unit.lower()])


def format_memory(num_bytes: int) -> str:
    """Bytes → ``"512 MiB"`` / ``"1.5 GiB"`` for messages people read."""
    if num_bytes >= 1024**3:
        return f"{num_bytes / 1024**3:g} GiB"
    return f"{num_bytes / 1024**2:g} MiB"


@dataclass(frozen=True)
class ResourceLimits:
    """What one demo container may use."""

    memory_bytes: int
    nano_cpus: int  # 1e9 = one core
    pids_limit: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ResourceLimits:
        return cls(
            memory_bytes=parse_memory(settings.demo_memory),
            nano_cpus=int(settings.demo_cpus * 1_000_000_000),
            pids_limit=settings.demo_pids_limit,
        )


@dataclass(frozen=True)
class RunSpec:
    """What to run for one project. ``image`` is ``modelhub-demo/<slug>:<build id>``."""

    project_id: str
    slug: str
    build_id: str
    image: str
    limits: ResourceLimits
    wants_gpu: bool = False
    allow_cpu_fallback: bool = False
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunningDemo:
    """A started (or reused) demo container; the app inside may still be booting."""

    container_id: str
    name: str
    ip: str
    target_url: str
    gpu: bool
    build_id: str
    reused: bool = False
    warning: str | None = None


@dataclass(frozen=True)
class RuntimeStatus:
    """The container's state as the engine reports it.

    ``state``: ``running`` (``health`` is ``healthy``, ``unhealthy`` or None when the image
    has no HEALTHCHECK), ``starting`` (created, restarting, or its health check has not
    passed yet), ``exited`` (``reason`` says why, for people) or ``absent``.
    """

    state: ContainerState
    container_id: str | None = None
    build_id: str | None = None
    exit_code: int | None = None
    oom_killed: bool = False
    reason: str | None = None
    health: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    ip: str | None = None
    gpu: bool = False


@dataclass(frozen=True)
class ManagedContainer:
    """A container labelled ``modelhub.managed=true``, as found on the engine."""

    container_id: str
    name: str
    project_id: str
    slug: str
    build_id: str
    state: ContainerState
    ip: str | None


# --- interface ---------------------------------------------------------------------------
class Runtime(abc.ABC):
    """Abstract runtime; see the module docstring for the contract."""

    backend: str = "abstract"

    @abc.abstractmethod
    async def ping(self) -> None:
        """Round-trip to the engine; raise Unavailable when it does not answer."""

    @abc.abstractmethod
    async def engine_info(self) -> dict[str, object]:
        """``version``, ``api_version``, ``runtimes`` (names), ``gpu`` (NVIDIA runtime
        present), ``cgroup_version``."""

    @abc.abstractmethod
    async def ensure_network(self) -> None:
        """Create the demos network if missing (idempotent, safe under concurrency)."""

    @abc.abstractmethod
    async def start(self, spec: RunSpec) -> RunningDemo:
        """Run ``spec`` (see the contract); returns once the container has started.

        Raises ImageNotFound, UnsafeImage, GpuUnavailable, EngineError, Unavailable.
        """

    @abc.abstractmethod
    async def status(self, project_id: str) -> RuntimeStatus:
        """The project's container state; ``absent`` when there is none."""

    @abc.abstractmethod
    async def stop(self, project_id: str, grace_seconds: float = 5) -> bool:
        """Stop (SIGTERM, then SIGKILL after ``grace_seconds``) and remove the project's
        container. Idempotent; returns whether a container was removed."""

    @abc.abstractmethod
    async def list_managed(self) -> list[ManagedContainer]:
        """Every container labelled ``modelhub.managed=true``, running or not."""

    @abc.abstractmethod
    async def logs(self, project_id: str, tail: int = 200) -> str:
        """The last ``tail`` lines of the container's stdout+stderr ('' when absent)."""

    @abc.abstractmethod
    async def remove_images(self, slug: str) -> int:
        """Remove every ``modelhub-demo/<slug>:*`` image; return how many were removed."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release the engine connection."""


def container_name(slug: str, instance: str = "modelhub") -> str:
    """``modelhub-demo-<slug>`` for the default instance, ``<instance>-demo-<slug>`` else."""
    return f"{instance}-demo-{slug}"


def image_repository(slug: str) -> str:
    return f"modelhub-demo/{slug}"
