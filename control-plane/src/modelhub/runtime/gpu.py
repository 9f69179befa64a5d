"""GPU policy: does a project want a GPU, and how (or whether) to give it one.

Two questions, two functions:

* :func:`requirements_want_gpu` reads a ``requirements.txt`` and says whether the project
  installs GPU-only builds (a hint for the upload form's "needs a GPU" default).
* :func:`plan_gpu` decides, for one start, what to ask the engine for: every GPU through
  the NVIDIA runtime when the engine has it, CPU with a warning when the creator allowed
  a fallback, else :class:`~modelhub.runtime.base.GpuUnavailable` at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import docker.types

from modelhub.runtime.base import GpuUnavailable

NVIDIA_RUNTIME = "nvidia"

# --- requirements heuristic ---------------------------------------------------------------
# A requirement line wants a GPU when it installs a build that only makes sense with CUDA:
#   1. a local version label naming CUDA:       torch==2.3.1+cu121, jaxlib==0.4.23+cuda12.cudnn89
#   2. an extra naming CUDA or GPU:              tensorflow[and-cuda], jax[cuda12], jax[cuda12_pip]
#   3. a package name carrying a CUDA/GPU build: cupy-cuda12x, mxnet-cu112, cudf-cu12,
#      nvidia-cudnn-cu12, nvidia-cuda-runtime-cu12, tensorflow-gpu, onnxruntime-gpu,
#      paddlepaddle-gpu, faiss-gpu
#   4. an index option pointing at CUDA wheels:  --extra-index-url https://download.pytorch.org/whl/cu121
# Plain ``torch``, ``tensorflow`` or ``jax`` are NOT counted: they run on CPU. Nor are tools
# that merely talk to a GPU if there is one (nvidia-ml-py, pynvml, gputil).
_CUDA_TAG = r"(?:cu\d+|cuda\d*[a-z0-9_.]*)"
_LOCAL_VERSION_RE = re.compile(rf"\+{_CUDA_TAG}", re.IGNORECASE)
_EXTRAS_RE = re.compile(r"\[([^\]]*)\]")
_GPU_EXTRA_RE = re.compile(r"(?:^|[-_])(?:cuda\d*\w*|gpu|and-cuda)$", re.IGNORECASE)
_GPU_NAME_RE = re.compile(
    rf"(?:[-_.]{_CUDA_TAG}$)|(?:[-_.]gpu$)|(?:^nvidia-.*{_CUDA_TAG})",
    re.IGNORECASE,
)
_NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_INDEX_OPTION_RE = re.compile(
    rf"^\s*(?:--extra-index-url|--index-url|-i|-f|--find-links)\b.*/{_CUDA_TAG}/?\s*$",
    re.IGNORECASE,
)


def _requirement_wants_gpu(line: str) -> bool:
    if _INDEX_OPTION_RE.match(line):
        return True
    if line.lstrip().startswith("-"):
        return False
    match = _NAME_RE.match(line)
    if not match:
        return False
    name = match.group(1)
    if _GPU_NAME_RE.search(name):
        return True
    rest = line[match.end() :]
    extras = _EXTRAS_RE.match(rest.lstrip())
    if extras and any(_GPU_EXTRA_RE.search(extra.strip()) for extra in extras.group(1).split(",")):
        return True
    return bool(_LOCAL_VERSION_RE.search(rest))


def requirements_want_gpu(requirements_text: str) -> bool:
    """Whether ``requirements.txt`` installs CUDA-only builds (see the heuristic above).

    Comments, blank lines and environment markers are ignored; lines continued with a
    backslash are joined first.
    """
    joined = re.sub(r"\\\s*\n", " ", requirements_text)
    for raw in joined.splitlines():
        line = raw.split(" #", 1)[0].split(";", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if _requirement_wants_gpu(line):
            return True
    return False


# --- engine request ------------------------------------------------------------------------
def runtime_names(engine_info: Mapping[str, Any]) -> list[str]:
    """The OCI runtimes the engine lists in ``docker info`` (``Runtimes``)."""
    runtimes = engine_info.get("Runtimes") or {}
    return sorted(runtimes) if isinstance(runtimes, Mapping) else []


def has_nvidia_runtime(runtimes: Iterable[str]) -> bool:
    return NVIDIA_RUNTIME in set(runtimes)


@dataclass(frozen=True)
class GpuPlan:
    """What to add to the container create call."""

    gpu: bool
    runtime: str | None = None
    device_requests: list[docker.types.DeviceRequest] | None = None
    warning: str | None = None


def gpu_device_requests() -> list[docker.types.DeviceRequest]:
    """Every GPU on the host (``docker run --gpus all``)."""
    return [docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])]


def plan_gpu(*, wants_gpu: bool, allow_cpu_fallback: bool, runtimes: Iterable[str]) -> GpuPlan:
    """Decide the GPU part of one container start. Raises GpuUnavailable, never waits."""
    if not wants_gpu:
        return GpuPlan(gpu=False)
    names = sorted(set(runtimes))
    if has_nvidia_runtime(names):
        return GpuPlan(gpu=True, runtime=NVIDIA_RUNTIME, device_requests=gpu_device_requests())
    why = (
        "this host has no NVIDIA runtime (the Docker engine lists only "
        f"{', '.join(names) or 'no runtimes'}; install the NVIDIA Container Toolkit and "
        "restart Docker to enable GPUs)"
    )
    if allow_cpu_fallback:
        return GpuPlan(gpu=False, warning=f"Running on CPU: {why}.")
    raise GpuUnavailable(
        f"This demo needs a GPU, and {why}. Allow CPU fallback in the project's settings "
        "to run it without one.",
        log_message=f"GPU requested; engine runtimes: {names}",
    )
