"""Run built demo images as containers: the Runtime interface and its Docker implementation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelhub.runtime.base import (
    ContainerState,
    DemoCrashed,
    EngineError,
    GpuUnavailable,
    ImageNotFound,
    ManagedContainer,
    ResourceLimits,
    RunningDemo,
    RunSpec,
    Runtime,
    RuntimeStatus,
    UnsafeImage,
    container_name,
    image_repository,
)
from modelhub.runtime.gpu import requirements_want_gpu

if TYPE_CHECKING:
    from modelhub.settings import Settings

__all__ = [
    "ContainerState",
    "DemoCrashed",
    "EngineError",
    "GpuUnavailable",
    "ImageNotFound",
    "ManagedContainer",
    "ResourceLimits",
    "RunSpec",
    "RunningDemo",
    "Runtime",
    "RuntimeStatus",
    "UnsafeImage",
    "container_name",
    "get_runtime",
    "image_repository",
    "requirements_want_gpu",
]


def get_runtime(settings: Settings) -> Runtime:
    """The runtime for this deployment (the local Docker Engine today)."""
    from modelhub.runtime.docker_runtime import DockerRuntime

    return DockerRuntime(settings)
