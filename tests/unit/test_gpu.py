"""GPU policy: the requirements heuristic, the start-time decision, and the exact engine request.

No GPU exists on the test hosts, so the one test of the request sent to the engine uses a
recording stand-in for the Docker client whose ``info()`` lists an ``nvidia`` runtime. Every
other runtime behaviour is tested against the real engine in tests/integration.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelhub.runtime import GpuUnavailable, ResourceLimits, RunSpec, requirements_want_gpu
from modelhub.runtime.docker_runtime import DockerRuntime
from modelhub.runtime.gpu import plan_gpu
from modelhub.settings import Settings


@pytest.mark.parametrize(
    "requirements",
    [
        "streamlit\ntorch==2.3.1+cu121\n",
        "torchvision==0.18.1+cu118  # the CUDA build\n",
        "tensorflow[and-cuda]==2.16.1\n",
        "jax[cuda12]\n",
        "jax[cuda12_pip]>=0.4\n",
        "jaxlib==0.4.23+cuda12.cudnn89\n",
        "cupy-cuda12x\n",
        "nvidia-cudnn-cu12==8.9.2.26\n",
        "nvidia-cuda-runtime-cu12\n",
        "onnxruntime-gpu==1.18.0\n",
        "tensorflow-gpu==2.10\n",
        "faiss-gpu\n",
        "mxnet-cu112\n",
        "--extra-index-url https://download.pytorch.org/whl/cu121\ntorch\n",
        "numpy\\\n  \ntorch==2.2.0+cu121 ; platform_system == 'Linux'\n",
    ],
)
def test_requirements_with_cuda_builds_want_a_gpu(requirements: str) -> None:
    assert requirements_want_gpu(requirements) is True


@pytest.mark.parametrize(
    "requirements",
    [
        "",
        "streamlit\npandas\nscikit-learn==1.5.0\n",
        "torch==2.3.1\ntorchvision\n",  # plain torch runs on CPU
        "torch==2.3.1+cpu\n--extra-index-url https://download.pytorch.org/whl/cpu\n",
        "tensorflow==2.16.1\njax\n",
        "nvidia-ml-py\npynvml\ngputil\n",  # GPU monitoring tools, not CUDA builds
        "# torch==2.3.1+cu121 is commented out\nstreamlit\n",
        "cucumber\ncurl-cffi\nsecuritas\n",
    ],
)
def test_requirements_without_cuda_builds_do_not_want_a_gpu(requirements: str) -> None:
    assert requirements_want_gpu(requirements) is False


def test_no_gpu_wanted_asks_for_nothing() -> None:
    plan = plan_gpu(wants_gpu=False, allow_cpu_fallback=False, runtimes=["runc"])
    assert (plan.gpu, plan.runtime, plan.device_requests, plan.warning) == (
        False,
        None,
        None,
        None,
    )


def test_gpu_without_nvidia_runtime_and_no_fallback_is_refused_with_an_actionable_message() -> None:
    with pytest.raises(GpuUnavailable) as caught:
        plan_gpu(
            wants_gpu=True, allow_cpu_fallback=False, runtimes=["io.containerd.runc.v2", "runc"]
        )
    err = caught.value
    assert err.code == "gpu_unavailable"
    assert err.status_code == 409
    assert "needs a GPU" in err.message and "NVIDIA" in err.message
    assert "runc" in err.message  # says what the engine has instead


def test_gpu_without_nvidia_runtime_falls_back_to_cpu_with_a_warning() -> None:
    plan = plan_gpu(wants_gpu=True, allow_cpu_fallback=True, runtimes=["runc"])
    assert plan.gpu is False
    assert plan.device_requests is None and plan.runtime is None
    assert plan.warning is not None and "CPU" in plan.warning and "NVIDIA" in plan.warning


# --- the request sent to the engine ------------------------------------------------------
class _RecordingContainer:
    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.id = "f" * 64
        self.short_id = self.id[:12]
        self.name = kwargs["name"]
        self.labels = kwargs["labels"]
        self.status = "created"
        requests = kwargs.get("device_requests") or []
        self.attrs: dict[str, Any] = {
            "State": {"Status": "created"},
            "HostConfig": {"DeviceRequests": [dict(r) for r in requests] or None},
            "NetworkSettings": {"Networks": {kwargs["network"]: {"IPAddress": "172.30.0.9"}}},
        }

    def start(self) -> None:
        self.status = "running"

    def reload(self) -> None:
        pass


class _RecordingContainers:
    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []

    def list(self, **_: Any) -> list[Any]:
        return []

    def create(self, **kwargs: Any) -> _RecordingContainer:
        self.created.append(kwargs)
        return _RecordingContainer(kwargs)


class _Named:
    def __init__(self, name: str, attrs: dict[str, Any] | None = None) -> None:
        self.name = name
        self.attrs = attrs or {}


class _Images:
    def get(self, ref: str) -> _Named:
        return _Named(ref, {"Config": {"User": "app"}})


class _Networks:
    def __init__(self, name: str) -> None:
        self._name = name

    def list(self, **_: Any) -> list[_Named]:
        return [_Named(self._name)]


class FakeDockerClientWithNvidiaRuntime:
    """Records container create calls; ``info()`` lists an nvidia runtime."""

    def __init__(self, network: str) -> None:
        self.containers = _RecordingContainers()
        self.images = _Images()
        self.networks = _Networks(network)

    def info(self) -> dict[str, Any]:
        return {
            "Runtimes": {"runc": {"path": "runc"}, "nvidia": {"path": "nvidia-container-runtime"}}
        }


async def test_gpu_request_sent_to_engine_with_fake_nvidia_runtime() -> None:
    settings = Settings(env="test")
    fake = FakeDockerClientWithNvidiaRuntime(settings.demo_network)
    runtime = DockerRuntime(settings, client_factory=lambda: fake)  # type: ignore[arg-type,return-value]
    spec = RunSpec(
        project_id="p1",
        slug="gpu-demo",
        build_id="b1",
        image="modelhub-demo/gpu-demo:b1",
        limits=ResourceLimits(memory_bytes=2 * 1024**3, nano_cpus=2_000_000_000, pids_limit=256),
        wants_gpu=True,
        allow_cpu_fallback=False,
    )

    demo = await runtime.start(spec)

    assert len(fake.containers.created) == 1
    sent = fake.containers.created[0]
    assert sent["runtime"] == "nvidia"
    [request] = sent["device_requests"]
    assert request["Capabilities"] == [["gpu"]]
    assert request["Count"] == -1  # every GPU, like `docker run --gpus all`
    # the GPU does not loosen the hardening
    assert sent["cap_drop"] == ["ALL"]
    assert sent["security_opt"] == ["no-new-privileges:true"]
    assert demo.gpu is True and demo.warning is None
    assert demo.target_url == "http://172.30.0.9:8501"
