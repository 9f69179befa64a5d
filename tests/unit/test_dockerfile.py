"""The generated Dockerfile and build context: cache-friendly order, safe values, determinism."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import shutil
import tarfile
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

from modelhub.builder.base import BuildRequest, image_tag
from modelhub.builder.context import build_context
from modelhub.builder.dockerfile import (
    DockerfileSpec,
    render_dockerfile,
    requirements_need_bundle,
)

BASE = "modelhub/streamlit-base:1.67"
APT_LINE = (
    "RUN apt-get update && apt-get install -y --no-install-recommends gcc g++ python3-dev "
    "libc6-dev && rm -rf /var/lib/apt/lists/*"
)


def _request(tmp_path: Path, **kw: object) -> BuildRequest:
    values: dict[str, object] = {
        "project_id": "a1" * 12,
        "build_id": "b2" * 12,
        "slug": "iris-classifier",
        "bundle_dir": tmp_path,
        "app_file": "app.py",
        "bundle_sha256": "c3" * 32,
    }
    values.update(kw)
    return BuildRequest(**values)  # type: ignore[arg-type]


def _render(tmp_path: Path, requirements: str | None = "numpy==1.26.4\n", **kw: object) -> str:
    ca = bool(kw.pop("ca", True))
    spec = DockerfileSpec.for_request(
        _request(tmp_path, **kw), base_image=BASE, requirements_text=requirements, ca_bundle=ca
    )
    return render_dockerfile(spec)


def _lines(dockerfile: str) -> list[str]:
    return [line for line in dockerfile.splitlines() if line and not line.startswith("#")]


def _index(lines: list[str], prefix: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(prefix))


def test_layers_are_ordered_so_unchanged_requirements_come_from_cache(tmp_path: Path) -> None:
    lines = _lines(_render(tmp_path))
    apt = lines.index(APT_LINE)
    snapshot = _index(lines, 'RUN ["/opt/venv/bin/python", "/tmp/modelhub/venv_delta.py", "snap')
    ca = _index(lines, "COPY modelhub/ca.crt")
    reqs = _index(lines, 'COPY ["bundle/requirements.txt"')
    pip = _index(lines, "RUN PIP_NO_CACHE_DIR=1")
    delta = _index(lines, 'RUN ["/opt/venv/bin/python", "/tmp/modelhub/venv_delta.py", "delta"')
    bundle = _index(lines, "COPY bundle/ /app/")
    assert lines[0] == f"FROM {BASE} AS build"
    assert apt < snapshot < ca < reqs < pip < delta < bundle
    assert "PIP_CERT=/tmp/modelhub/ca.crt" in lines[pip]
    assert lines[pip].endswith("pip install -r /tmp/modelhub/requirements.txt")


def test_toolchain_step_is_identical_for_every_project(tmp_path: Path) -> None:
    one = _lines(_render(tmp_path, slug="one", app_file="app.py"))
    other = _lines(
        _render(tmp_path, "-e .\n", slug="other", app_file="src/Main.py", project_id="f" * 24)
    )
    # everything up to and including the toolchain is byte-identical → one cache entry
    assert one[: one.index(APT_LINE) + 1] == other[: other.index(APT_LINE) + 1]


def test_final_stage_runs_streamlit_under_the_demo_path_as_app_user(tmp_path: Path) -> None:
    text = _render(tmp_path, slug="iris-classifier", app_file="pages/Home Page.py")
    final = text.split(f"FROM {BASE}\n", 1)[1]
    # only what pip changed reaches the image, and what pip removed is removed
    assert "COPY --from=build /opt/venv-delta/ /opt/venv/" in final
    assert "xargs -d '\\n' rm -rf < /opt/venv/.modelhub-removed" in final
    assert "COPY --from=build --chown=app:app /app /app" in final
    assert "USER app" in final
    assert "ca.crt" not in final
    assert "EXPOSE 8501" in final
    assert (
        'CMD ["streamlit", "run", "pages/Home Page.py", "--server.port=8501", '
        '"--server.address=0.0.0.0", "--server.baseUrlPath=/demos/iris-classifier", '
        '"--server.headless=true", "--browser.gatherUsageStats=false"]'
    ) in final
    assert "http://127.0.0.1:8501/demos/iris-classifier/_stcore/health" in final
    assert 'modelhub.slug="iris-classifier"' in final
    assert f'modelhub.project="{"a1" * 12}"' in final
    assert f'modelhub.build="{"b2" * 12}"' in final
    assert f'modelhub.bundle_sha256="{"c3" * 32}"' in final


def test_entry_file_is_syntax_checked_in_the_build_stage(tmp_path: Path) -> None:
    text = _render(tmp_path, app_file="src/App.py")
    build_stage = text.split(f"FROM {BASE}\n", 1)[0]
    assert (
        'RUN ["/opt/venv/bin/python", "/tmp/modelhub/check_syntax.py", "src/App.py", "."]'
        in build_stage
    )


def test_without_ca_bundle_pip_uses_no_injected_certificate(tmp_path: Path) -> None:
    text = _render(tmp_path, ca=False)
    assert "ca.crt" not in text
    assert "PIP_CERT" not in text


def test_without_requirements_there_is_no_pip_step(tmp_path: Path) -> None:
    text = _render(tmp_path, None)
    assert "pip install" not in text
    assert "venv" not in text.split(f"FROM {BASE}\n", 1)[1]


def test_local_references_install_after_the_bundle(tmp_path: Path) -> None:
    lines = _lines(_render(tmp_path, "streamlit-extras\n-e .\n"))
    bundle = _index(lines, "COPY bundle/ /app/")
    pip = _index(lines, "RUN PIP_NO_CACHE_DIR=1")
    assert pip > bundle
    assert lines[pip].endswith("pip install -r requirements.txt")
    assert not any(line.startswith('COPY ["bundle/requirements.txt"') for line in lines)


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("numpy==1.26.4\npandas>=2\n# comment\n", False),
        ("torch @ https://download.pytorch.org/x.whl\n", False),
        ("git+https://github.com/a/b.git\n", False),
        ("--extra-index-url https://example.org/simple\nnumpy\n", False),
        ("-f https://download.pytorch.org/whl/torch_stable.html\ntorch\n", False),
        ("-e .\n", True),
        ("./mypkg\n", True),
        ("mypkg/\n", True),
        ("file:///app/pkg\n", True),
        ("pkg @ file:///app/pkg\n", True),
        ("wheels/pkg-1.0-py3-none-any.whl\n", True),
        ("-r base.txt\n", True),
        ("-c constraints.txt\nnumpy\n", True),
        ("--find-links=./wheels\npkg\n", True),
    ],
)
def test_requirements_that_refer_to_bundle_files(text: str, local: bool) -> None:
    assert requirements_need_bundle(text) is local


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    assert _render(tmp_path).encode() == _render(tmp_path).encode()


@pytest.mark.parametrize(
    "changes",
    [
        {"slug": "Bad Slug"},
        {"slug": "x\nRUN rm -rf /"},
        {"app_file": "../etc/passwd"},
        {"app_file": "/abs.py"},
        {"app_file": "app.py\nUSER root"},
        {"build_id": "b;rm"},
    ],
)
def test_values_that_could_inject_instructions_are_refused(
    tmp_path: Path, changes: dict[str, str]
) -> None:
    with pytest.raises(ValueError):
        _request(tmp_path, **changes)


def test_image_tag_names_slug_and_build() -> None:
    assert image_tag("iris", "b" * 24) == f"modelhub-demo/iris:{'b' * 24}"


# --- build context ---------------------------------------------------------------------------
def _bundle(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "app.py").write_text("import streamlit as st\nst.title('hi')\n")
    (root / "requirements.txt").write_text("six\n")
    (root / "src" / "helpers.py").write_text("X = 1\n")
    (root / "models" / "weights.bin").write_bytes(os.urandom(4096))
    return root


def _context_bytes(bundle: Path, ca: bytes | None = b"CA") -> bytes:
    with build_context(dockerfile="FROM x\n", bundle_dir=bundle, ca_bundle=ca) as f:
        return f.read()


def test_context_is_byte_identical_whatever_the_file_times_and_modes(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "b")
    first = _context_bytes(bundle)
    for path in bundle.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    (bundle / "app.py").chmod(0o600)
    (bundle / "src" / "helpers.py").chmod(0o755)
    assert _context_bytes(bundle) == first


def test_context_changes_when_a_file_changes(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "b")
    first = hashlib.sha256(_context_bytes(bundle)).hexdigest()
    (bundle / "app.py").write_text("import streamlit as st\nst.title('changed')\n")
    assert hashlib.sha256(_context_bytes(bundle)).hexdigest() != first


def test_context_entries_are_sorted_with_fixed_owner_and_modes(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "b")
    (bundle / "link.py").symlink_to("/etc/passwd")
    with tarfile.open(fileobj=io.BytesIO(_context_bytes(bundle)), mode="r") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert names[0] == "Dockerfile"
    assert "bundle/app.py" in names
    assert "bundle/models/weights.bin" in names
    assert "modelhub/ca.crt" in names
    assert "modelhub/check_syntax.py" in names
    assert "modelhub/venv_delta.py" in names
    assert "bundle/link.py" not in names  # links are never followed into the context
    for m in members:
        assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "")
        assert m.mode == (0o755 if m.isdir() else 0o644)


def test_context_without_ca_bundle_has_no_certificate(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "b")
    with tarfile.open(fileobj=io.BytesIO(_context_bytes(bundle, None)), mode="r") as tar:
        assert "modelhub/ca.crt" not in tar.getnames()


# --- venv delta (what reaches the final image from the pip step) ---------------------------
def _venv_delta_module() -> ModuleType:
    path = Path(str(resources.files("modelhub") / "templates" / "venv_delta.py"))
    spec = importlib.util.spec_from_file_location("venv_delta", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_venv_delta_holds_only_what_pip_changed_and_lists_what_it_removed(tmp_path: Path) -> None:
    venv_delta = _venv_delta_module()
    venv = tmp_path / "venv"
    site = venv / "lib" / "site-packages"
    (site / "streamlit").mkdir(parents=True)
    (site / "streamlit" / "old_only.py").write_text("x = 1\n")
    (site / "streamlit-1.67.0.dist-info").mkdir()
    (site / "streamlit-1.67.0.dist-info" / "METADATA").write_text("Version: 1.67.0\n")
    (site / "untouched.py").write_text("y = 2\n")
    manifest = tmp_path / "before.json"
    venv_delta.snapshot(str(venv), str(manifest))

    # pip: downgrades streamlit (new dist-info, one module gone) and adds six
    shutil.rmtree(site / "streamlit-1.67.0.dist-info")
    (site / "streamlit" / "old_only.py").unlink()
    (site / "streamlit-1.66.0.dist-info").mkdir()
    (site / "streamlit-1.66.0.dist-info" / "METADATA").write_text("Version: 1.66.0\n")
    (site / "six.py").write_text("six = 6\n")
    out = tmp_path / "delta"
    venv_delta.delta(str(venv), str(manifest), str(out))

    copied = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert copied == [
        ".modelhub-removed",
        "lib/site-packages/six.py",
        "lib/site-packages/streamlit-1.66.0.dist-info/METADATA",
    ]
    removed = (out / ".modelhub-removed").read_text().splitlines()
    assert removed == [
        f"{site}/streamlit-1.67.0.dist-info",
        f"{site}/streamlit/old_only.py",
    ]
