"""Bundle directory → Docker image. See :mod:`modelhub.builder.base` for the contract."""

from __future__ import annotations

from modelhub.builder.base import (
    Builder,
    BuildFailed,
    BuildRequest,
    BuildResult,
    LogCallback,
    image_tag,
)
from modelhub.builder.docker_builder import DockerBuilder
from modelhub.settings import Settings


def create_builder(settings: Settings) -> Builder:
    """The builder the settings choose (the Docker engine, the only one so far)."""
    return DockerBuilder.from_settings(settings)


__all__ = [
    "BuildFailed",
    "BuildRequest",
    "BuildResult",
    "Builder",
    "DockerBuilder",
    "LogCallback",
    "create_builder",
    "image_tag",
]
