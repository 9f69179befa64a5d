"""The Dockerfile of a demo image, rendered from templates/Dockerfile.j2.

Rendering is a pure function of :class:`DockerfileSpec`: the same spec gives the same bytes
(no dates, no randomness, StrictUndefined so a missing value is an error, not a blank).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2

from modelhub.builder.base import BuildRequest

STREAMLIT_PORT = 8501
CA_PATH_IN_BUILD = "/tmp/modelhub/ca.crt"

# Lines of a requirements file that point at files of the bundle: they can only be
# installed once the whole bundle is in the build stage (the slower, uncached path).
_LOCAL_OPTION = re.compile(
    r"^(-e|--editable|-r|--requirement|-c|--constraint|-f|--find-links)(\s|=|$)"
)
_LOCAL_OPTION_VALUE = re.compile(
    r"^(?:-e|--editable|-r|--requirement|-c|--constraint|-f|--find-links)(?:\s+|=)?(?P<value>\S*)"
)


def _is_local_target(value: str) -> bool:
    """A path or file: URL (``.``, ``./pkg``, ``pkg/``, ``x.whl``, ``file:...``)."""
    if not value:
        return False
    if "://" in value and not value.startswith("file:"):
        return False  # http(s)://, git+https://: fetched from the network
    return (
        value.startswith(("file:", ".", "/", "~"))
        or "/" in value
        or value.endswith((".whl", ".tar.gz", ".zip", ".txt"))
    )


def requirements_need_bundle(text: str) -> bool:
    """True when a requirements file refers to files of the bundle.

    ``-e .``, ``./pkg``, ``pkg/``, ``file:...``, ``name @ file:...``, ``wheels/x.whl``,
    ``-r other.txt``, ``-c constraints.txt`` and ``-f ./wheels`` all do; ``numpy==1.26``,
    ``pkg @ https://...`` and ``git+https://...`` do not.
    """
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if _LOCAL_OPTION.match(line):
            m = _LOCAL_OPTION_VALUE.match(line)
            value = m.group("value") if m else ""
            # -r / -c always name a file next to requirements.txt
            if line.startswith(("-r", "--requirement", "-c", "--constraint")):
                return True
            if _is_local_target(value):
                return True
            continue
        if line.startswith("-"):
            continue  # --index-url, --extra-index-url, --pre, ...
        if "@" in line:
            target = line.split("@", 1)[1].strip()
            if target.startswith("file:"):
                return True
            continue
        if _is_local_target(line.split(";", 1)[0].strip()):
            return True
    return False


@dataclass(frozen=True)
class DockerfileSpec:
    """Everything the Dockerfile depends on. Paths are relative to the bundle root."""

    base_image: str
    slug: str
    project_id: str
    build_id: str
    bundle_sha256: str
    app_file: str
    requirements_file: str | None
    requirements_local: bool
    ca_bundle: bool

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/:@-]*", self.base_image):
            raise ValueError(f"invalid base image name {self.base_image!r}")

    @classmethod
    def for_request(
        cls,
        request: BuildRequest,
        *,
        base_image: str,
        requirements_text: str | None,
        ca_bundle: bool,
    ) -> DockerfileSpec:
        """The spec of ``request``; ``requirements_text`` is None when there is no file."""
        has_requirements = request.requirements_file is not None and requirements_text is not None
        return cls(
            base_image=base_image,
            slug=request.slug,
            project_id=request.project_id,
            build_id=request.build_id,
            bundle_sha256=request.bundle_sha256,
            app_file=request.app_file,
            requirements_file=request.requirements_file if has_requirements else None,
            requirements_local=bool(
                has_requirements and requirements_need_bundle(requirements_text or "")
            ),
            ca_bundle=ca_bundle,
        )

    @property
    def base_url_path(self) -> str:
        return f"/demos/{self.slug}"

    def command(self) -> list[str]:
        """The container's command. Command-line flags beat ``.streamlit/config.toml``."""
        return [
            "streamlit",
            "run",
            self.app_file,
            f"--server.port={STREAMLIT_PORT}",
            "--server.address=0.0.0.0",
            f"--server.baseUrlPath={self.base_url_path}",
            "--server.headless=true",
            "--browser.gatherUsageStats=false",
        ]

    def healthcheck(self) -> list[str]:
        """Docker HEALTHCHECK in exec form; python, since the image has no curl."""
        url = f"http://127.0.0.1:{STREAMLIT_PORT}{self.base_url_path}/_stcore/health"
        script = f"import urllib.request; urllib.request.urlopen({url!r}, timeout=4)"
        return ["python", "-c", script]

    def pip_env(self) -> str:
        """Environment of the pip step only (never an ENV of the image)."""
        env = {
            "PIP_NO_CACHE_DIR": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_PROGRESS_BAR": "off",
            "PIP_NO_INPUT": "1",
            "PIP_ROOT_USER_ACTION": "ignore",
            "PIP_DEFAULT_TIMEOUT": "60",
        }
        if self.ca_bundle:
            env |= {
                "PIP_CERT": CA_PATH_IN_BUILD,
                "SSL_CERT_FILE": CA_PATH_IN_BUILD,
                "REQUESTS_CA_BUNDLE": CA_PATH_IN_BUILD,
            }
        return " ".join(f"{k}={v}" for k, v in env.items())


def _tojson(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("modelhub", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - a Dockerfile, not HTML; values are JSON-encoded
        keep_trailing_newline=True,
    )
    env.filters["tojson"] = _tojson
    env.filters["shell_quote"] = shlex.quote
    return env


def render_dockerfile(spec: DockerfileSpec) -> str:
    """The Dockerfile text of ``spec``; byte-identical for equal specs."""
    template = _environment().get_template("Dockerfile.j2")
    return template.render(
        base_image=spec.base_image,
        slug=spec.slug,
        project_id=spec.project_id,
        build_id=spec.build_id,
        bundle_sha256=spec.bundle_sha256,
        app_file=spec.app_file,
        requirements_file=spec.requirements_file,
        requirements_local=spec.requirements_local,
        ca_bundle=spec.ca_bundle,
        pip_env=spec.pip_env(),
        venv_delta=[
            "/opt/venv/bin/python",
            "/tmp/modelhub/venv_delta.py",
            "delta",
            "/opt/venv",
            "/tmp/modelhub/venv-before.json",
            "/opt/venv-delta",
        ],
        command=spec.command(),
        healthcheck=spec.healthcheck(),
    )
