"""Bundle validation and extraction: every archive is crafted here, in the test."""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest

from modelhub.bundles import extract_bundle, validate_and_extract
from modelhub.bundles.entry import NO_ENTRY
from modelhub.errors import InvalidInput
from modelhub.models import ProjectFiles
from modelhub.settings import Settings

APP = b"import streamlit as st\n\nst.title('Iris classifier')\n"
REQS = b"streamlit\nscikit-learn\n"
VALID = {"app.py": APP, "requirements.txt": REQS}
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + os.urandom(200)
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 46 + b"PE\x00\x00"


from tests.fixtures.archives import rar5_bytes, special_entry, zip_bytes  # noqa: E402


def rars_bytes(files: dict[str, bytes], *, rar4: bool = False) -> bytes:
    """A compressed RAR5 (or a stored RAR4) archive written by the ``rars`` package (the dev
    extra): Debian has no rar tool, and compressed data is what sends rarfile to ``unar``."""
    try:
        import rars
    except ImportError:  # fail, never skip
        pytest.fail("the RAR tests need the 'rars' package: pip install -e 'control-plane[dev]'")
    builder = rars.RarBuilder(format=rars.RAR29 if rar4 else rars.RAR50, store=rar4)
    for name, data in files.items():
        builder.add_bytes(data, name)
    return bytes(builder.to_bytes())


# --- helpers -------------------------------------------------------------------------
def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(env="test", data_dir=tmp_path / "data", **overrides)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


def write(tmp_path: Path, data: bytes, name: str = "bundle.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def extract(
    tmp_path: Path,
    data: bytes,
    settings: Settings,
    *,
    app_file: str | None = None,
    name: str = "bundle.zip",
) -> tuple[ProjectFiles, Path]:
    dest = tmp_path / "out"
    files = validate_and_extract(write(tmp_path, data, name), dest, settings, app_file=app_file)
    return files, dest


def rejected(
    tmp_path: Path,
    data: bytes,
    settings: Settings,
    *,
    app_file: str | None = None,
    name: str = "bundle.zip",
) -> list[dict[str, Any]]:
    """The problems of a bundle that must be refused; the target dir is left empty."""
    dest = tmp_path / "out"
    with pytest.raises(InvalidInput) as caught:
        validate_and_extract(write(tmp_path, data, name), dest, settings, app_file=app_file)
    assert caught.value.status_code == 422
    assert list(dest.iterdir()) == [], "a rejected bundle must leave the target dir empty"
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []
    return caught.value.details or []


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def problem_of(details: list[dict[str, Any]], file: str) -> str:
    found = [d["problem"] for d in details if d["file"] == file]
    assert found, f"no problem reported for {file!r}: {details}"
    return " | ".join(found)


# --- accepted bundles ------------------------------------------------------------------
def test_valid_bundle_is_extracted_with_manifest(tmp_path: Path, settings: Settings) -> None:
    content = {
        **VALID,
        "model.pkl": os.urandom(5000),
        "weights/encoder.safetensors": os.urandom(3000),
        "utils/helpers.py": b"def f():\n    return 1\n",
        ".streamlit/config.toml": b"[server]\nheadless = true\n",
        "pages/1_About.py": b"import streamlit as st\n",
        "data/train.parquet": b"PAR1" + os.urandom(100),
        "LICENSE": b"MIT\n",
        "README.md": b"# Iris\n",
    }

    files, dest = extract(tmp_path, zip_bytes(content), settings)

    assert tree(dest) == content
    assert files.app_file == "app.py"
    assert files.requirements_file == "requirements.txt"
    assert files.model_files == ["model.pkl", "weights/encoder.safetensors"]
    assert files.other_files == sorted(
        set(content) - {"app.py", "requirements.txt"} - set(files.model_files)
    )
    assert [(e.path, e.size, e.sha256) for e in files.manifest] == sorted(
        (p, len(d), hashlib.sha256(d).hexdigest()) for p, d in content.items()
    )
    assert files.total_size == sum(len(d) for d in content.values())
    lines = "".join(f"{e.path}\0{e.sha256}\n" for e in files.manifest)
    assert files.bundle_sha256 == hashlib.sha256(lines.encode()).hexdigest()


def test_bundle_hash_ignores_archive_order_and_format(tmp_path: Path, settings: Settings) -> None:
    content = {**VALID, "b.csv": b"1,2\n", "a.json": b"{}"}
    first, _ = extract(tmp_path / "1", zip_bytes(content), settings)
    reordered = dict(reversed(list(content.items())))
    second, _ = extract(tmp_path / "2", zip_bytes(reordered, zipfile.ZIP_STORED), settings)
    third, _ = extract(tmp_path / "3", zip_bytes({**content, "a.json": b"[]"}), settings)
    assert first.bundle_sha256 == second.bundle_sha256
    assert first.bundle_sha256 != third.bundle_sha256


@pytest.fixture(autouse=True)
def _dirs(tmp_path: Path) -> None:
    for sub in ("1", "2", "3"):
        (tmp_path / sub).mkdir()


def test_single_top_folder_is_stripped(tmp_path: Path, settings: Settings) -> None:
    content = {"myapp/app.py": APP, "myapp/requirements.txt": REQS, "myapp/src/util.py": b""}
    files, dest = extract(tmp_path, zip_bytes(content), settings)
    assert sorted(tree(dest)) == ["app.py", "requirements.txt", "src/util.py"]
    assert files.app_file == "app.py"


def test_macos_and_python_junk_is_skipped(tmp_path: Path, settings: Settings) -> None:
    content = {
        "myapp/app.py": APP,
        "myapp/requirements.txt": REQS,
        "__MACOSX/myapp/._app.py": b"\x00\x05\x16\x07junk",
        "myapp/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "myapp/__pycache__/app.cpython-311.pyc": b"\xa7\r\r\n",
        "myapp/Thumbs.db": b"junk",
    }
    files, dest = extract(tmp_path, zip_bytes(content), settings)
    assert sorted(tree(dest)) == ["app.py", "requirements.txt"]
    assert [e.path for e in files.manifest] == ["app.py", "requirements.txt"]


def test_type_is_told_by_magic_bytes_not_by_name(tmp_path: Path, settings: Settings) -> None:
    _, dest = extract(tmp_path, zip_bytes(VALID), settings, name="bundle.rar")
    assert sorted(tree(dest)) == ["app.py", "requirements.txt"]


def test_torch_and_numpy_zip_containers_are_model_files(tmp_path: Path, settings: Settings) -> None:
    inner = zip_bytes({"archive/data.pkl": b"\x80\x04N."})
    content = {**VALID, "model.pt": inner, "arrays.npz": inner, "net.keras": inner}
    files, dest = extract(tmp_path, zip_bytes(content), settings)
    assert files.model_files == ["arrays.npz", "model.pt", "net.keras"]
    assert (dest / "model.pt").read_bytes() == inner


def test_valid_rar5_is_accepted(tmp_path: Path, settings: Settings) -> None:
    content = {
        "proj/app.py": APP,
        "proj/requirements.txt": REQS,
        "proj/models/model.onnx": os.urandom(4096),
        "proj/.streamlit/config.toml": b"[theme]\n",
    }

    files, dest = extract(tmp_path, rar5_bytes(content), settings, name="bundle.rar")

    assert tree(dest) == {k.removeprefix("proj/"): v for k, v in content.items()}
    assert files.app_file == "app.py"
    assert files.model_files == ["models/model.onnx"]
    assert {e.path: e.sha256 for e in files.manifest}["models/model.onnx"] == hashlib.sha256(
        content["proj/models/model.onnx"]
    ).hexdigest()


def test_compressed_rar5_is_decompressed_by_unar(tmp_path: Path, settings: Settings) -> None:
    content = {
        "app.py": APP * 50,
        "requirements.txt": REQS,
        "model.bin": os.urandom(2000) * 40,
        "data/rows.csv": b"sepal,petal\n" + b"5.1,1.4\n" * 20_000,
    }
    data = rars_bytes(content)
    assert data.startswith(b"Rar!\x1a\x07\x01\x00")
    assert len(data) < sum(len(d) for d in content.values()) // 4  # really compressed

    files, dest = extract(tmp_path, data, settings, name="bundle.rar")

    assert tree(dest) == content
    assert files.model_files == ["model.bin"]


def test_rar4_is_accepted(tmp_path: Path, settings: Settings) -> None:
    content = {"proj/app.py": APP, "proj/requirements.txt": REQS, "proj/notes.md": b"# notes"}
    data = rars_bytes(content, rar4=True)
    assert data.startswith(b"Rar!\x1a\x07\x00")
    _, dest = extract(tmp_path, data, settings, name="bundle.rar")
    assert tree(dest) == {k.removeprefix("proj/"): v for k, v in content.items()}


def test_rar_zip_bomb_ratio(tmp_path: Path, settings: Settings) -> None:
    data = rars_bytes({**VALID, "zeros.csv": b"\0" * (10 * 1024 * 1024)})
    details = rejected(tmp_path, data, settings, name="bundle.rar")
    assert "zip bomb" in problem_of(details, "zeros.csv")


def test_multi_volume_rar_is_refused_and_siblings_are_not_read(
    tmp_path: Path, settings: Settings
) -> None:
    try:
        import rars
    except ImportError:
        pytest.fail("the RAR tests need the 'rars' package: pip install -e 'control-plane[dev]'")
    builder = rars.RarBuilder(format=rars.RAR50, store=True, volume_size=100_000)
    for name, data in {**VALID, "model.bin": os.urandom(250_000)}.items():
        builder.add_bytes(data, name)
    volumes = builder.write_volumes(str(tmp_path / "bundle.rar"))
    assert len(volumes) == 3
    # the first volume, uploaded next to the others under their own names
    first = Path(volumes[0]).read_bytes()
    details = rejected(tmp_path, first, settings, name=Path(volumes[0]).name)
    assert "split across volumes" in problem_of(details, "model.bin")


async def test_extract_bundle_runs_off_the_event_loop(tmp_path: Path, settings: Settings) -> None:
    files = await extract_bundle(write(tmp_path, zip_bytes(VALID)), tmp_path / "out", settings)
    assert files.app_file == "app.py"
    assert (tmp_path / "out" / "app.py").read_bytes() == APP


# --- entry file ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["main.py", "streamlit_app.py"], "main.py"),
        (["streamlit_app.py", "helper.py"], "streamlit_app.py"),
        (["App.py", "main.py"], "main.py"),
        (["App.py", "other.py"], "App.py"),
    ],
)
def test_entry_by_conventional_name(
    tmp_path: Path, settings: Settings, names: list[str], expected: str
) -> None:
    content = {n: APP for n in names} | {"requirements.txt": REQS}
    files, _ = extract(tmp_path, zip_bytes(content), settings)
    assert files.app_file == expected


@pytest.mark.parametrize(
    "source",
    [
        b"import streamlit as st\n",
        b"from streamlit import title\n",
        b"import os, streamlit\n",
        b"import streamlit as st\nthis is not python(\n",
    ],
)
def test_entry_found_by_streamlit_import(tmp_path: Path, settings: Settings, source: bytes) -> None:
    content = {
        "predictor.py": source,
        "model_utils.py": b"import numpy\n",
        "requirements.txt": REQS,
    }
    files, _ = extract(tmp_path, zip_bytes(content), settings)
    assert files.app_file == "predictor.py"
    assert "model_utils.py" in files.other_files


def test_two_candidates_without_app_file_lists_both(tmp_path: Path, settings: Settings) -> None:
    content = {"dashboard.py": APP, "predictor.py": APP, "requirements.txt": REQS}
    details = rejected(tmp_path, zip_bytes(content), settings)
    problem = problem_of(details, "(bundle)")
    assert "dashboard.py" in problem and "predictor.py" in problem and "app_file" in problem


def test_app_file_chooses_the_entry(tmp_path: Path, settings: Settings) -> None:
    content = {"dashboard.py": APP, "predictor.py": APP, "requirements.txt": REQS}
    files, _ = extract(tmp_path, zip_bytes(content), settings, app_file="predictor.py")
    assert files.app_file == "predictor.py"
    assert "dashboard.py" in files.other_files


def test_app_file_may_name_a_nested_file_or_the_stripped_folder(
    tmp_path: Path, settings: Settings
) -> None:
    content = {"proj/src/ui.py": APP, "proj/requirements.txt": REQS}
    files, _ = extract(tmp_path / "1", zip_bytes(content), settings, app_file="src/ui.py")
    assert files.app_file == "src/ui.py"
    files, _ = extract(tmp_path / "2", zip_bytes(content), settings, app_file="proj/src/ui.py")
    assert files.app_file == "src/ui.py"


@pytest.mark.parametrize(
    ("app_file", "words"), [("missing.py", "not in the bundle"), ("requirements.txt", ".py")]
)
def test_bad_app_file_is_a_problem(
    tmp_path: Path, settings: Settings, app_file: str, words: str
) -> None:
    details = rejected(tmp_path, zip_bytes(VALID), settings, app_file=app_file)
    assert words in problem_of(details, "app_file")


def test_no_entry_file(tmp_path: Path, settings: Settings) -> None:
    content = {"helpers.py": b"import numpy\n", "requirements.txt": REQS}
    details = rejected(tmp_path, zip_bytes(content), settings)
    assert problem_of(details, "(bundle)") == NO_ENTRY


def test_missing_requirements(tmp_path: Path, settings: Settings) -> None:
    details = rejected(tmp_path, zip_bytes({"app.py": APP}), settings)
    assert details == [
        {"file": "requirements.txt", "problem": problem_of(details, "requirements.txt")}
    ]
    assert "missing" in details[0]["problem"]


# --- rejected bundles ------------------------------------------------------------------
def test_not_an_archive(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_and_extract(
            write(tmp_path, b"%PDF-1.7 not a zip at all"), tmp_path / "out", settings
        )
    assert "not a ZIP or RAR archive" in caught.value.message
    assert list((tmp_path / "out").iterdir()) == []


def test_damaged_rar_is_refused(tmp_path: Path, settings: Settings) -> None:
    data = b"Rar!\x1a\x07\x01\x00" + os.urandom(64)
    with pytest.raises(InvalidInput):
        validate_and_extract(write(tmp_path, data, "b.rar"), tmp_path / "out", settings)
    assert list((tmp_path / "out").iterdir()) == []


def test_empty_archive(tmp_path: Path, settings: Settings) -> None:
    data = zip_bytes({})
    assert data.startswith(b"PK\x05\x06")
    details = rejected(tmp_path, data, settings)
    assert "empty" in problem_of(details, "(bundle)")
    assert len(details) == 1


def test_archive_of_only_junk_is_empty(tmp_path: Path, settings: Settings) -> None:
    details = rejected(tmp_path, zip_bytes({"__MACOSX/._x": b"", ".DS_Store": b""}), settings)
    assert "empty" in problem_of(details, "(bundle)")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("../evil.py", "'..'"),
        ("ok/../../evil.py", "'..'"),
        ("/etc/evil.py", "absolute"),
        ("C:/evil.py", "drive letter"),
        ("C:\\Windows\\evil.py", "backslash"),
        ("sub\\evil.py", "backslash"),
        ("bad\x07name.py", "control character"),
        ("data$(id).csv", "'$'"),
        ("notes;rm -rf.txt", "';'"),
    ],
)
def test_unsafe_names(tmp_path: Path, settings: Settings, name: str, words: str) -> None:
    details = rejected(tmp_path, zip_bytes([*VALID.items(), (name, b"print(1)\n")]), settings)
    assert words in problem_of(details, name)
    assert not (tmp_path / "evil.py").exists() and not (tmp_path.parent / "evil.py").exists()


def test_symlink_is_refused(tmp_path: Path, settings: Settings) -> None:
    link = special_entry("secrets.txt", stat.S_IFLNK | 0o777, b"/etc/passwd")
    details = rejected(tmp_path, zip_bytes([*VALID.items(), link]), settings)
    assert "symbolic link" in problem_of(details, "secrets.txt")


def test_fifo_and_device_are_refused(tmp_path: Path, settings: Settings) -> None:
    fifo = special_entry("pipe.txt", stat.S_IFIFO | 0o644)
    dev = special_entry("disk.txt", stat.S_IFBLK | 0o644)
    details = rejected(tmp_path, zip_bytes([*VALID.items(), fifo, dev]), settings)
    assert "FIFO" in problem_of(details, "pipe.txt")
    assert "device" in problem_of(details, "disk.txt")


def test_rar_symlink_and_traversal_are_refused(tmp_path: Path, settings: Settings) -> None:
    data = rar5_bytes({**VALID, "../evil.py": b"x"}, symlinks={"link.txt": "/etc/passwd"})
    details = rejected(tmp_path, data, settings, name="b.rar")
    assert "'..'" in problem_of(details, "../evil.py")
    assert "symbolic link" in problem_of(details, "link.txt")


def test_zip_bomb_ratio(tmp_path: Path, settings: Settings) -> None:
    bomb = b"\x00" * (10 * 1024 * 1024)  # deflates ~1000:1
    details = rejected(tmp_path, zip_bytes({**VALID, "data.csv": bomb}), settings)
    problem = problem_of(details, "data.csv")
    assert "zip bomb" in problem and f"{settings.max_compression_ratio}:1" in problem


def test_small_compressible_files_do_not_trip_the_ratio(tmp_path: Path, settings: Settings) -> None:
    files, _ = extract(tmp_path, zip_bytes({**VALID, "blank.csv": b" " * 500_000}), settings)
    assert "blank.csv" in files.other_files


def test_total_uncompressed_size_cap(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, max_uncompressed_bytes=50_000)
    content = {**VALID, **{f"m{i}.bin": os.urandom(20_000) for i in range(3)}}
    details = rejected(tmp_path, zip_bytes(content, zipfile.ZIP_STORED), settings)
    assert "at most" in problem_of(details, "(bundle)")


def test_sizes_declared_in_headers_are_not_trusted(tmp_path: Path, settings: Settings) -> None:
    # a header that claims 100 bytes for a 200 KB file
    data = bytearray(zip_bytes({**VALID, "big.csv": os.urandom(200_000)}, zipfile.ZIP_STORED))
    local = data.index(b"PK\x03\x04" + data[4:8], data.index(b"big.csv") - 40)
    struct.pack_into("<I", data, local + 22, 100)
    central = data.index(b"PK\x01\x02", data.rindex(b"big.csv") - 60)
    struct.pack_into("<I", data, central + 24, 100)
    details = rejected(tmp_path, bytes(data), settings)
    assert "damaged" in problem_of(details, "big.csv")


def test_too_many_files(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, max_bundle_files=5)
    content = {**VALID, **{f"data/{i}.csv": b"1\n" for i in range(10)}}
    details = rejected(tmp_path, zip_bytes(content), settings)
    assert "12 files" in problem_of(details, "(bundle)")
    assert len(details) == 1  # nothing was decompressed, so no guess about the entry file


@pytest.mark.parametrize("kind", ["zip", "rar"])
def test_huge_directories_are_refused_before_parsing(tmp_path: Path, kind: str) -> None:
    settings = make_settings(tmp_path, max_bundle_files=1)  # entry limit: 2 * 1 + 1000
    content = {**VALID, **{f"d/{i}.txt": b"" for i in range(1001)}}
    data = zip_bytes(content, zipfile.ZIP_STORED) if kind == "zip" else rar5_bytes(content)
    details = rejected(tmp_path, data, settings)
    assert "more than 1002 entries" in problem_of(details, "(bundle)")


def test_elf_under_a_text_name(tmp_path: Path, settings: Settings) -> None:
    details = rejected(tmp_path, zip_bytes({**VALID, "notes.txt": ELF}), settings)
    assert "ELF executable" in problem_of(details, "notes.txt")


def test_pe_under_a_python_name(tmp_path: Path, settings: Settings) -> None:
    details = rejected(tmp_path, zip_bytes({**VALID, "helper.py": PE}), settings)
    assert "Windows (PE) executable" in problem_of(details, "helper.py")


def test_text_starting_with_mz_is_fine(tmp_path: Path, settings: Settings) -> None:
    files, _ = extract(
        tmp_path, zip_bytes({**VALID, "MZ.txt": b"MZ notes about the model\n"}), settings
    )
    assert "MZ.txt" in files.other_files


@pytest.mark.parametrize("name", ["run.sh", "tool.exe", "lib/native.so", "setup.bat"])
def test_executable_extensions(tmp_path: Path, settings: Settings, name: str) -> None:
    details = rejected(tmp_path, zip_bytes({**VALID, name: b"echo hi\n"}), settings)
    assert "executable" in problem_of(details, name)


def test_nested_archives(tmp_path: Path, settings: Settings) -> None:
    inner = zip_bytes({"x.py": b""})
    content = {
        **VALID,
        "inner.zip": inner,
        "data.csv": inner,
        "logs.txt": b"\x1f\x8b\x08" + b"\0" * 20,
    }
    details = rejected(tmp_path, zip_bytes(content), settings)
    assert "(.zip)" in problem_of(details, "inner.zip")
    assert "ZIP archive" in problem_of(details, "data.csv")
    assert "gzip archive" in problem_of(details, "logs.txt")


def test_extensions_outside_the_allowed_list(tmp_path: Path, settings: Settings) -> None:
    content = {**VALID, "report.docx": b"x", "Makefile": b"all:\n", "LICENSE": b"MIT"}
    details = rejected(tmp_path, zip_bytes(content), settings)
    assert ".docx" in problem_of(details, "report.docx")
    assert "without an extension" in problem_of(details, "Makefile")
    assert len(details) == 2  # LICENSE is a known extension-less name


def test_allowed_extensions_follow_the_setting(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, allowed_extensions=[".py", ".txt"])
    details = rejected(tmp_path, zip_bytes({**VALID, "data.csv": b"1\n"}), settings)
    assert "file type .csv is not allowed" in problem_of(details, "data.csv")


def test_names_differing_only_in_case(tmp_path: Path, settings: Settings) -> None:
    content = {**VALID, "Model.pkl": b"a", "model.pkl": b"b", "Data/a.csv": b"", "data/b.csv": b""}
    details = rejected(tmp_path, zip_bytes(content), settings)
    assert "only in letter case" in problem_of(details, "model.pkl")
    assert "only in letter case" in problem_of(details, "data/b.csv")


def test_every_problem_is_reported_at_once(tmp_path: Path, settings: Settings) -> None:
    data = zip_bytes({"app.py": APP, "../evil.py": b"x", "notes.txt": ELF})
    details = rejected(tmp_path, data, settings)
    assert sorted(d["file"] for d in details) == ["../evil.py", "notes.txt", "requirements.txt"]


def test_target_must_be_empty(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("x")
    with pytest.raises(ValueError):
        validate_and_extract(write(tmp_path, zip_bytes(VALID)), tmp_path / "out", settings)
