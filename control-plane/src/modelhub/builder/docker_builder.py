"""The Builder on the Docker Engine API (docker SDK, low-level ``APIClient.build``).

The blocking build stream is read in a worker thread; each message is handed to the event
loop through an ``asyncio.Queue`` (``loop.call_soon_threadsafe``), where it is split into
lines and ``on_log`` is awaited, so the caller sees lines as the engine writes them.

On timeout or cancellation the HTTP connection of the build is shut down, which makes the
engine abort the build; no partial image is tagged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Literal

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound

from modelhub.builder.base import Builder, BuildFailed, BuildRequest, BuildResult, LogCallback
from modelhub.builder.context import build_context
from modelhub.builder.dockerfile import DockerfileSpec, render_dockerfile
from modelhub.builder.failures import explain_failure, syntax_warnings
from modelhub.builder.log_stream import LogSplitter
from modelhub.builder.smoke import SmokeReport, run_smoke_test
from modelhub.builder.versions import (
    BASE_PYTHON_LABEL,
    BASE_STREAMLIT_LABEL,
    streamlit_change_warning,
)
from modelhub.errors import Unavailable
from modelhub.settings import Settings

log = logging.getLogger("modelhub.builder")

DEFAULT_TIMEOUT_SECONDS = 1800.0
DEFAULT_SMOKE_TIMEOUT_SECONDS = 90.0
SmokeTestMode = Literal["fail", "warn", "off"]
_KEPT_LINES = 10_000
_DONE = object()


def _default_client() -> docker.DockerClient:
    return docker.from_env()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _shutdown(response: requests.Response | None) -> None:
    """Abort an in-flight streamed response from another thread (unblocks its reader)."""
    if response is None:
        return
    with contextlib.suppress(Exception):
        sock: Any = response.raw
        for attr in ("_fp", "fp", "raw", "_sock"):  # what docker-py reads from, too
            sock = getattr(sock, attr)
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()


class DockerBuilder(Builder):
    """Builds demo images with the local Docker engine; see :mod:`modelhub.builder.base`.

    ``base_image`` is the CPU base (settings.base_image); ``gpu_base_image`` the CUDA base
    used when ``request.gpu`` (falls back to the CPU base with a warning when None);
    ``ca_bundle`` the host's CA bundle injected into the pip step of the build stage;
    ``timeout_seconds`` bounds the ``docker build`` itself; ``smoke_test_mode`` says what
    the first run of the app in a sandbox after the build (:mod:`modelhub.builder.smoke`)
    does: ``"fail"`` fails the build when the app raises, ``"warn"`` turns that into a
    warning, ``"off"`` does not run the app (versions and ``pip check`` are still read).
    """

    def __init__(
        self,
        *,
        base_image: str,
        gpu_base_image: str | None = None,
        ca_bundle: Path | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        smoke_test_mode: SmokeTestMode = "fail",
        smoke_timeout_seconds: float = DEFAULT_SMOKE_TIMEOUT_SECONDS,
        client_factory: Callable[[], docker.DockerClient] = _default_client,
    ) -> None:
        self.base_image = base_image
        self.gpu_base_image = gpu_base_image
        self.ca_bundle = ca_bundle
        self.timeout_seconds = timeout_seconds
        self.smoke_test_mode: SmokeTestMode = smoke_test_mode
        self.smoke_timeout_seconds = smoke_timeout_seconds
        self._client_factory = client_factory

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> DockerBuilder:
        kw: dict[str, Any] = {
            "base_image": settings.base_image,
            "gpu_base_image": settings.gpu_base_image,
            "ca_bundle": settings.ca_bundle,
            "timeout_seconds": settings.build_timeout_seconds,
            "smoke_test_mode": settings.smoke_test_mode,
        }
        kw.update(overrides)
        return cls(**kw)

    # --- public -------------------------------------------------------------------------
    async def build(self, request: BuildRequest, on_log: LogCallback) -> BuildResult:
        started = time.monotonic()
        warnings: list[str] = []
        base_image = self.base_image
        if request.gpu:
            gpu_base = self.gpu_base_image or ""
            has_gpu_base: bool = bool(gpu_base) and await asyncio.to_thread(
                self._has_image, gpu_base
            )
            if has_gpu_base:
                base_image = gpu_base
            else:
                warnings.append(
                    f"the GPU base image {self.gpu_base_image or '(none configured)'} is not "
                    "on this host; built on the CPU base image (the demo needs a GPU host "
                    "with the CUDA base to use the GPU)"
                )
        requirements_text, ca_bytes = await asyncio.to_thread(self._read_inputs, request)
        if request.requirements_file is not None and requirements_text is None:
            warnings.append(f"{request.requirements_file} not found in the bundle; ignored")
        base_labels = await asyncio.to_thread(self._require_base_image, base_image)

        spec = DockerfileSpec.for_request(
            request,
            base_image=base_image,
            requirements_text=requirements_text,
            ca_bundle=ca_bytes is not None,
        )
        dockerfile = render_dockerfile(spec)
        context = await asyncio.to_thread(
            build_context, dockerfile=dockerfile, bundle_dir=request.bundle_dir, ca_bundle=ca_bytes
        )
        try:
            lines, image_id = await self._run_build(
                request, context, on_log, python_version=base_labels.get(BASE_PYTHON_LABEL)
            )
        finally:
            context.close()
        warnings.extend(syntax_warnings(lines))

        info: dict[str, str] = {}
        platform_streamlit = base_labels.get(BASE_STREAMLIT_LABEL)
        if platform_streamlit:
            info["platform_streamlit_version"] = platform_streamlit
        report = await self._smoke(request, on_log)
        warnings.extend(report.warnings)
        info.update(report.info)
        change = streamlit_change_warning(
            requirements_text,
            request.requirements_file or "requirements.txt",
            effective=report.info.get("streamlit_version"),
            platform=platform_streamlit,
        )
        if change:
            await on_log(f"WARNING: {change}")
            warnings.append(change)
        return BuildResult(
            image_tag=request.tag,
            image_id=image_id,
            duration_seconds=round(time.monotonic() - started, 3),
            warnings=warnings,
            info=info,
        )

    async def _smoke(self, request: BuildRequest, on_log: LogCallback) -> SmokeReport:
        """Run the smoke test; raise BuildFailed (image removed) when it fails in "fail" mode."""
        run_app = self.smoke_test_mode != "off"
        if run_app:
            await on_log("Step smoke: running the app once in a sandbox (no network)")
        else:
            await on_log("Step smoke: reading versions (MODELHUB_SMOKE_TEST=off: app not run)")
        try:
            report = await run_smoke_test(
                self._client_factory,
                request.tag,
                request.app_file,
                timeout_seconds=self.smoke_timeout_seconds,
                run_app=run_app,
            )
        except DockerException as e:
            await self.remove_image(request.tag)
            raise Unavailable(
                "The Docker engine failed during the smoke test",
                log_message=f"smoke test of {request.tag}: {e}",
            ) from e
        except BaseException:
            await self.remove_image(request.tag)
            raise
        for line in report.output:
            await on_log(line)
        for line in report.notes:
            await on_log(line)
        if report.failure:
            if not any("Traceback (most recent call last)" in line for line in report.output):
                for line in report.trace:  # Streamlit did not log it: show the app's frames
                    await on_log(line)
            if self.smoke_test_mode == "fail":
                await on_log(f"ERROR: {report.failure}")
                await self.remove_image(request.tag)
                raise BuildFailed(report.failure)
            report.warnings.insert(
                0, f"{report.failure} (built anyway: the platform runs smoke tests in warn mode)"
            )
            report.info["smoke_test"] = f"failed, built anyway (warn mode): {report.failure}"
            report.failure = None
        elif not run_app:
            report.info["smoke_test"] = "skipped (MODELHUB_SMOKE_TEST=off)"
        elif report.warnings:
            report.info["smoke_test"] = "passed with warnings"
        else:
            report.info["smoke_test"] = "passed"
        for warning in report.warnings:
            await on_log(f"WARNING: {warning}")
        return report

    async def remove_image(self, tag: str) -> None:
        def remove() -> None:
            client = self._client_factory()
            try:
                client.images.remove(tag, force=True, noprune=False)
            except ImageNotFound:
                pass
            finally:
                client.close()

        try:
            await asyncio.to_thread(remove)
        except DockerException as e:
            raise Unavailable(
                "The Docker engine could not remove the image", log_message=f"{tag}: {e}"
            ) from e

    # --- steps --------------------------------------------------------------------------
    def _read_inputs(self, request: BuildRequest) -> tuple[str | None, bytes | None]:
        entry = request.bundle_dir / request.app_file
        if not entry.is_file():
            raise BuildFailed(
                f"The entry file {request.app_file} is not in the bundle. Upload a project "
                "with app.py or main.py."
            )
        requirements: str | None = None
        if request.requirements_file is not None:
            path = request.bundle_dir / request.requirements_file
            if path.is_file():
                requirements = path.read_text(encoding="utf-8", errors="replace")
        ca: bytes | None = None
        if self.ca_bundle is not None:
            try:
                ca = self.ca_bundle.read_bytes()
            except OSError as e:
                raise BuildFailed(
                    "The build server's CA bundle (MODELHUB_CA_BUNDLE) cannot be read. This "
                    "is a platform problem: tell an operator.",
                    log_message=f"ca bundle {self.ca_bundle}: {e}",
                ) from e
        return requirements, ca

    def _has_image(self, name: str) -> bool:
        try:
            self._require_base_image(name)
        except BuildFailed:
            return False
        return True

    def _require_base_image(self, base_image: str) -> dict[str, str]:
        """The base image's labels; BuildFailed when the image is missing."""
        client = self._connect()
        try:
            image = client.images.get(base_image)
        except ImageNotFound as e:
            raise BuildFailed(
                f"The platform's base image {base_image} is missing on the build server. This "
                "is not a problem with your project: tell an operator "
                "(infra/bootstrap/base-images.sh).",
                log_message=f"base image {base_image} not found",
            ) from e
        except DockerException as e:
            raise Unavailable(
                "The Docker engine does not answer", log_message=f"docker: {e}"
            ) from e
        finally:
            client.close()
        return {str(k): str(v) for k, v in (image.labels or {}).items()}

    def _connect(self) -> docker.DockerClient:
        try:
            return self._client_factory()
        except DockerException as e:
            raise Unavailable(
                "The Docker engine does not answer", log_message=f"docker: {e}"
            ) from e

    async def _run_build(
        self,
        request: BuildRequest,
        context: IO[bytes],
        on_log: LogCallback,
        *,
        python_version: str | None = None,
    ) -> tuple[list[str], str]:
        """Stream the build; return (log lines, image id) or raise BuildFailed."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()
        holder: dict[str, requests.Response] = {}
        client = await asyncio.to_thread(self._connect)
        api = client.api

        def keep_response(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            holder.setdefault("response", response)

        api.hooks["response"].append(keep_response)

        def put(item: object) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody listens
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def worker() -> None:
            try:
                stream: Iterator[dict[str, Any]] = api.build(
                    fileobj=context,
                    custom_context=True,
                    encoding=None,
                    decode=True,
                    rm=True,
                    forcerm=True,
                    pull=False,
                    tag=request.tag,
                    timeout=None,
                )
                for message in stream:
                    if stop.is_set():
                        break
                    put(message)
                put(_DONE)
            except BaseException as e:
                put(_Failure(e))
            finally:
                with contextlib.suppress(Exception):
                    client.close()

        thread = threading.Thread(target=worker, name=f"build-{request.build_id}", daemon=True)
        splitter = LogSplitter()
        lines: deque[str] = deque(maxlen=_KEPT_LINES)
        deadline = loop.time() + self.timeout_seconds

        async def emit(new_lines: list[str]) -> None:
            for line in new_lines:
                lines.append(line)
                await on_log(line)

        thread.start()
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError
                item = await asyncio.wait_for(queue.get(), timeout=remaining)
                if item is _DONE:
                    await emit(splitter.flush())
                    break
                if isinstance(item, _Failure):
                    await emit(splitter.flush())
                    exc = item.exc
                    if isinstance(exc, DockerException | requests.RequestException):
                        raise Unavailable(
                            "The Docker engine failed during the build",
                            log_message=f"build {request.build_id}: {exc}",
                        ) from exc
                    raise exc
                if isinstance(item, dict):
                    await emit(splitter.feed(item))
        except TimeoutError:
            stop.set()
            _shutdown(holder.get("response"))
            reason = f"The build took longer than {self.timeout_seconds:.0f} s and was stopped."
            await emit([f"ERROR: {reason}"])
            await self._cleanup_tag(request.tag)
            raise BuildFailed(
                reason + " Large requirements (e.g. packages compiled from source) make "
                "builds slow: pin versions that ship wheels, or trim requirements.txt."
            ) from None
        except BaseException:
            stop.set()
            _shutdown(holder.get("response"))
            raise

        if splitter.error is not None:
            await self._cleanup_tag(request.tag)
            raise BuildFailed(
                explain_failure(list(lines), splitter.error, python_version=python_version),
                log_message=f"build {request.build_id} failed: {splitter.error}",
            )
        image_id = await asyncio.to_thread(self._image_id, request.tag)
        if image_id is None:
            raise BuildFailed(
                explain_failure(
                    list(lines),
                    "the engine finished without an image",
                    python_version=python_version,
                ),
                log_message=f"build {request.build_id}: no image tagged {request.tag}",
            )
        return list(lines), image_id

    def _image_id(self, tag: str) -> str | None:
        client = self._connect()
        try:
            image = client.images.get(tag)
        except ImageNotFound:
            return None
        except APIError as e:
            raise Unavailable("The Docker engine does not answer", log_message=str(e)) from e
        finally:
            client.close()
        return str(image.id)

    async def _cleanup_tag(self, tag: str) -> None:
        with contextlib.suppress(Unavailable):
            await self.remove_image(tag)
