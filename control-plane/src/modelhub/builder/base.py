"""The Builder interface: a bundle directory in, a Docker image out, log lines streamed.

Contract, for every implementation:

* ``await builder.build(request, on_log)`` turns the bundle in ``request.bundle_dir`` into
  an image tagged ``modelhub-demo/<slug>:<build-id>`` (:func:`image_tag`) and returns a
  :class:`BuildResult`. The image runs the entry file with Streamlit on port 8501 under
  ``/demos/<slug>``, as a non-root user, and carries the labels ``modelhub.project``,
  ``modelhub.build``, ``modelhub.slug`` and ``modelhub.bundle_sha256``.
* ``on_log`` is awaited on the caller's event loop once per log line (no trailing newline),
  in order, while the build runs, never after ``build`` has returned or raised. If
  ``on_log`` raises, the build is aborted and that exception propagates.
* Every failure a creator or operator can act on raises :class:`BuildFailed` whose
  ``reason`` says what went wrong in one or two sentences: an unresolvable requirement
  names the requirement, a syntax error in the entry file names the file and line, a
  package that could not be compiled names the package, a timeout says how long the limit
  was, a full disk says so. The log lines already sent through ``on_log`` hold the detail.
  No image is left tagged after a failure.
* Cancelling the ``build`` task stops the build on the engine and re-raises
  ``CancelledError``.
* ``remove_image(tag)`` deletes an image; a tag that does not exist is not an error.
* Errors of the engine itself (Docker not answering) raise
  :class:`modelhub.errors.Unavailable`.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from modelhub.errors import ModelHubError
from modelhub.models import SLUG_PATTERN

IMAGE_REPOSITORY = "modelhub-demo"

LogCallback = Callable[[str], Awaitable[None]]


class BuildFailed(ModelHubError):
    """The bundle could not be built; ``reason`` is written for the project's creator."""

    status_code = 422
    code = "build_failed"

    def __init__(self, reason: str, **kw: Any) -> None:
        super().__init__(reason, **kw)
        self.reason = reason


def image_tag(slug: str, build_id: str) -> str:
    """The tag of a demo image: ``modelhub-demo/<slug>:<build-id>``."""
    return f"{IMAGE_REPOSITORY}/{slug}:{build_id}"


def _check_relative(path: str, what: str) -> str:
    pure = PurePosixPath(path)
    if (
        not path
        or pure.is_absolute()
        or ".." in pure.parts
        or any(c in path for c in "\n\r\0\\")
        or str(pure) != path
    ):
        raise ValueError(f"{what} must be a plain relative path inside the bundle, not {path!r}")
    return path


@dataclass(frozen=True)
class BuildRequest:
    """What to build. Paths inside the bundle are POSIX and relative to ``bundle_dir``.

    ``app_file`` keeps its case and may be in a subfolder (``src/App.py``).
    ``requirements_file`` is ``None`` when the bundle has none.
    ``gpu`` selects the CUDA base image (when the builder has one configured).
    """

    project_id: str
    build_id: str
    slug: str
    bundle_dir: Path
    app_file: str
    bundle_sha256: str
    requirements_file: str | None = "requirements.txt"
    gpu: bool = False

    def __post_init__(self) -> None:
        if not SLUG_PATTERN.fullmatch(self.slug):
            raise ValueError(f"invalid slug {self.slug!r}")
        for name, value in (("project_id", self.project_id), ("build_id", self.build_id)):
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,128}", value):
                raise ValueError(f"invalid {name} {value!r}")
        if not re.fullmatch(r"[0-9a-f]{0,64}", self.bundle_sha256):
            raise ValueError(f"invalid bundle_sha256 {self.bundle_sha256!r}")
        _check_relative(self.app_file, "app_file")
        if self.requirements_file is not None:
            _check_relative(self.requirements_file, "requirements_file")

    @property
    def tag(self) -> str:
        return image_tag(self.slug, self.build_id)


@dataclass
class BuildResult:
    """A built image. ``info`` holds ``streamlit_version`` and ``python_version`` when known."""

    image_tag: str
    image_id: str
    duration_seconds: float
    warnings: list[str] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)


class Builder(abc.ABC):
    """Abstract builder; see the module docstring for the contract."""

    @abc.abstractmethod
    async def build(self, request: BuildRequest, on_log: LogCallback) -> BuildResult:
        """Build ``request``'s bundle; stream lines to ``on_log``; raise BuildFailed."""

    @abc.abstractmethod
    async def remove_image(self, tag: str) -> None:
        """Delete the image ``tag``; absent images are ignored."""
