"""Real-world bundles through the whole hub (Traefik + control plane + Docker + Streamlit):
entry files not named app.py, multipage apps, .streamlit/config.toml, apps that write
files, requirements that cannot build, apps that crash, Streamlit pins and pip conflicts.

Pages are checked over Streamlit's websocket through Traefik (see
tests/fixtures/realworld.py): the page's script really runs and its elements arrive.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.fixtures.bundles import make_zip, register_and_login, unique, upload
from tests.fixtures.hub import RunningHub, start_hub
from tests.fixtures.realworld import (
    build_log,
    built,
    demo_container,
    launch,
    rendered_text,
    run_in_image,
    visit_page,
)

PLATFORM_STREAMLIT = "1.67.0"


def _app(marker: str, extra: str = "") -> str:
    return f'import streamlit as st\n{extra}st.title("{marker}")\n'


def _zip(files: Mapping[str, str]) -> bytes:
    entries: dict[str, str | bytes] = dict(files)
    return make_zip(entries)


def _upload_ok(
    c: httpx.Client, auth: dict[str, str], files: Mapping[str, str], **fields: str
) -> str:
    r = upload(c, auth, _zip(files), **fields)
    assert r.status_code == 201, r.text
    project_id: str = r.json()["project_id"]
    return project_id


def _healthy(c: httpx.Client, slug: str) -> None:
    health = c.get(f"/demos/{slug}/_stcore/health")
    assert health.status_code == 200 and health.text == "ok", health.text


# --- 1. entry file -------------------------------------------------------------------------
def test_entry_named_predictor_is_found_by_its_streamlit_import(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    marker = unique("predictor-page")
    files = {
        "predictor.py": _app(marker, "import widgets\nimport model_io\n") + "widgets.sidebar()\n",
        # a helper that imports streamlit too: imported by predictor.py, so not an entry
        "widgets.py": "import streamlit as st\n\ndef sidebar():\n    st.sidebar.write('x')\n",
        "model_io.py": "WEIGHTS = 'weights.bin'\n",
        "requirements.txt": "",
    }
    pid = _upload_ok(c, auth, files)
    project, build = built(c, pid)
    assert project["files"]["app_file"] == "predictor.py"
    assert build["state"] == "ready", build
    slug = launch(c, pid)
    _healthy(c, slug)
    visit = visit_page(hub, build["image"], slug)
    assert visit["finished"] and marker in rendered_text(visit)
    c.delete(f"/api/projects/{pid}", headers=auth)


def test_several_entry_candidates_need_app_file_which_a_rebuild_can_change(
    hub: RunningHub,
) -> None:
    c = hub.client()
    auth = register_and_login(c)
    dashboard, predictor = unique("dashboard"), unique("predictor")
    files = {
        "Dashboard.py": _app(dashboard),
        "predictor.py": _app(predictor),
        "requirements.txt": "",
    }
    refused = upload(c, auth, _zip(files))
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert "Dashboard.py" in error["message"] and "predictor.py" in error["message"]
    assert "app_file" in error["message"]

    pid = _upload_ok(c, auth, files, app_file="Dashboard.py")
    project, build = built(c, pid)
    assert project["files"]["app_file"] == "Dashboard.py"  # keeps its case
    assert build["state"] == "ready", build
    slug = launch(c, pid)
    assert dashboard in rendered_text(visit_page(hub, build["image"], slug))
    assert c.post(f"/api/demo/{pid}/stop", headers=auth).json()["status"] == "stopped"

    r = c.post(f"/api/projects/{pid}/rebuild", headers=auth, json={"app_file": "predictor.py"})
    assert r.status_code == 202, r.text
    project, build = built(c, pid)
    assert build["state"] == "ready", build
    assert project["files"]["app_file"] == "predictor.py"
    launch(c, pid)
    text = rendered_text(visit_page(hub, build["image"], slug))
    assert predictor in text and dashboard not in text
    c.delete(f"/api/projects/{pid}", headers=auth)


# --- 2. multipage --------------------------------------------------------------------------
def test_multipage_app_serves_every_page_through_traefik(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    home, analytics, report = unique("home"), unique("analytics"), unique("report")
    files = {
        "app.py": _app(home),
        "pages/1_Analytics.py": f'import streamlit as st\nst.header("{analytics}")\n',
        "pages/2_Model_Report.py": f'import streamlit as st\nst.write("{report}")\n',
        # a page that crashes: the build still succeeds, with a warning naming it
        "pages/3_Broken.py": 'import streamlit as st\n\nraise ValueError("no data file")\n',
        "requirements.txt": "",
    }
    pid = _upload_ok(c, auth, files)
    _, build = built(c, pid)
    assert build["state"] == "ready", build
    log = build_log(c, pid)
    assert any("page pages/1_Analytics.py ran without errors" in line for line in log), log
    assert any("page pages/2_Model_Report.py ran without errors" in line for line in log)
    assert any(
        "pages/3_Broken.py" in w and "ValueError: no data file" in w and "line 3" in w
        for w in build["warnings"]
    ), build["warnings"]

    slug = launch(c, pid)
    for path in ("", "Analytics", "Model_Report"):
        page = c.get(f"/demos/{slug}/{path}")
        assert page.status_code == 200 and '<div id="root"' in page.text, path

    visit = visit_page(hub, build["image"], slug, "Analytics")
    assert {"Analytics", "Model Report", "Broken"} <= set(visit["pages"]), visit["pages"]
    text = rendered_text(visit)
    assert analytics in text and home not in text
    text = rendered_text(visit_page(hub, build["image"], slug, "Model_Report"))
    assert report in text
    assert home in rendered_text(visit_page(hub, build["image"], slug))
    c.delete(f"/api/projects/{pid}", headers=auth)


# --- 3. .streamlit/config.toml -------------------------------------------------------------
def test_config_toml_theme_applies_but_platform_settings_win(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    marker = unique("themed")
    config = (
        "[global]\ndevelopmentMode = true\n\n"
        '[server]\nport = 9999\naddress = "127.0.0.1"\nbaseUrlPath = "elsewhere"\n'
        "headless = false\n\n"
        "[browser]\ngatherUsageStats = true\n\n"
        '[theme]\nprimaryColor = "#FF4B2B"\nbase = "dark"\n\n'
        '[client]\ntoolbarMode = "minimal"\n'
    )
    files = {"app.py": _app(marker), ".streamlit/config.toml": config, "requirements.txt": ""}
    pid = _upload_ok(c, auth, files)
    _, build = built(c, pid)
    assert build["state"] == "ready", build
    slug = launch(c, pid)
    _healthy(c, slug)  # served on the platform's port and path, not 9999 / "elsewhere"

    visit = visit_page(hub, build["image"], slug)
    assert visit["theme"] == "#FF4B2B"
    assert marker in rendered_text(visit)
    assert visit["config"]["toolbarMode"] == "MINIMAL", visit["config"]
    assert visit["config"]["gatherUsageStats"] is False  # the platform's, not the file's
    c.delete(f"/api/projects/{pid}", headers=auth)


# --- 4. writable working dir and HOME ------------------------------------------------------
def test_app_that_writes_files_at_import_runs_without_touching_the_image(
    hub: RunningHub,
) -> None:
    c = hub.client()
    auth = register_and_login(c)
    marker = unique("writer")
    app = (
        "import os, pathlib\nimport streamlit as st\n\n"
        'pathlib.Path("logs").mkdir(exist_ok=True)\n'
        f'with open("logs/app.log", "a") as f:\n    f.write("{marker} started\\n")\n'
        'cache = pathlib.Path.home() / ".cache" / "demo"\n'
        "cache.mkdir(parents=True, exist_ok=True)\n"
        '(cache / "model.bin").write_bytes(b"weights\\n")\n'
        'pathlib.Path("uploads").mkdir(exist_ok=True)\n'
        'pathlib.Path("uploads/latest.txt").write_text("ok")\n'
        f'st.title("{marker}")\n'
    )
    pid = _upload_ok(c, auth, {"app.py": app, "requirements.txt": ""})
    _, build = built(c, pid)
    assert build["state"] == "ready", build  # the smoke test ran it: the writes worked
    slug = launch(c, pid)
    _healthy(c, slug)
    # Streamlit runs the script when a visitor opens the page
    assert marker in rendered_text(visit_page(hub, build["image"], slug))
    container = demo_container(pid)
    code, out = container.exec_run(
        ["sh", "-c", "cat /app/logs/app.log && cat $HOME/.cache/demo/model.bin && id -un"]
    )
    assert code == 0, out
    assert out.decode().split() == [marker, "started", "weights", "app"]
    # the image is unchanged: a fresh container of it has none of those files
    fresh = run_in_image(
        build["image"],
        ["sh", "-c", "ls /app; test ! -e /app/logs && test ! -e $HOME/.cache/demo && echo clean"],
    )
    assert fresh.split()[-1] == "clean"
    c.delete(f"/api/projects/{pid}", headers=auth)


# --- 5. toolchain --------------------------------------------------------------------------
def test_requirement_without_a_wheel_that_cannot_build_is_named(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    # PyYAML 5.4.1 ships no wheel for Python 3.11 and its sdist no longer builds
    files = {"app.py": _app("yaml"), "requirements.txt": f"# {unique()}\nPyYAML==5.4.1\n"}
    pid = _upload_ok(c, auth, files)
    project, build = built(c, pid)
    assert project["status"] == "error" and build["state"] == "failed"
    reason = str(build["reason"])
    assert "`PyYAML==5.4.1`" in reason, reason
    assert "no pre-built wheel for Python 3.11" in reason, reason
    assert "could not be built from source" in reason, reason
    assert "Pin a version" in reason


def test_requirement_compiled_from_source_builds_and_runs(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    marker = unique("compiled")
    # ujson 4.0.2 has no wheel for Python 3.11: pip compiles its C code with the build
    # stage's gcc; the runtime stage has no compiler, only the built extension
    app = _app(marker, "import ujson\n") + 'st.write("ujson-says-" + ujson.dumps(42))\n'
    # (a unique comment: the pip step runs, not taken from the cache of an earlier run)
    files = {"app.py": app, "requirements.txt": f"# {marker}\nujson==4.0.2\n"}
    pid = _upload_ok(c, auth, files)
    _, build = built(c, pid)
    assert build["state"] == "ready", build
    log = "\n".join(build_log(c, pid))
    assert "Building wheel for ujson" in log
    slug = launch(c, pid)
    text = rendered_text(visit_page(hub, build["image"], slug))
    assert marker in text and "ujson-says-42" in text, text
    no_gcc = run_in_image(build["image"], ["sh", "-c", "command -v gcc || echo none"])
    assert no_gcc.strip() == "none"
    c.delete(f"/api/projects/{pid}", headers=auth)


# --- 6. first-run smoke test ---------------------------------------------------------------
CRASHING_APP = """import streamlit as st

st.title("Crashes")
weights = open("model/weights.bin", "rb").read()
"""


def test_app_raising_at_import_fails_the_build_naming_the_line(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    pid = _upload_ok(c, auth, {"app.py": CRASHING_APP, "requirements.txt": ""})
    project, build = built(c, pid)
    assert project["status"] == "error" and build["state"] == "failed"
    reason = str(build["reason"])
    assert "FileNotFoundError" in reason and "model/weights.bin" in reason, reason
    assert "app.py line 4" in reason, reason
    log = build_log(c, pid)
    at = log.index("Traceback (most recent call last):")
    assert any('File "/app/app.py", line 4' in line for line in log[at:]), log[at:]
    assert c.post(f"/api/demo/{pid}/launch").status_code == 409


def test_app_raising_only_after_a_button_click_builds(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    marker = unique("button")
    app = _app(marker) + 'if st.button("Predict"):\n    raise RuntimeError("model not loaded")\n'
    pid = _upload_ok(c, auth, {"app.py": app, "requirements.txt": ""})
    _, build = built(c, pid)
    assert build["state"] == "ready", build
    assert build["warnings"] == []
    slug = launch(c, pid)
    _healthy(c, slug)
    c.delete(f"/api/projects/{pid}", headers=auth)


def test_operators_can_turn_smoke_failures_into_warnings(tmp_path: Path) -> None:
    hub = start_hub(tmp_path / "hub", MODELHUB_SMOKE_TEST="warn")
    try:
        c = hub.client()
        auth = register_and_login(c)
        pid = _upload_ok(c, auth, {"app.py": CRASHING_APP, "requirements.txt": ""})
        _, build = built(c, pid)
        assert build["state"] == "ready", build
        assert any(
            "FileNotFoundError" in w and "app.py line 4" in w and "warn mode" in w
            for w in build["warnings"]
        ), build["warnings"]
        assert build["info"]["smoke_test"].startswith("failed, built anyway (warn mode)")
        c.delete(f"/api/projects/{pid}", headers=auth)
    finally:
        hub.interrupt()


# --- 7. what was resolved ------------------------------------------------------------------
def test_streamlit_pin_wins_and_the_creator_is_told(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    marker = unique("pinned")
    app = _app(marker) + "st.caption(st.__version__)\n"
    pid = _upload_ok(c, auth, {"app.py": app, "requirements.txt": "streamlit==1.66.0\n"})
    _, build = built(c, pid)
    assert build["state"] == "ready", build
    assert build["info"]["streamlit_version"] == "1.66.0"
    assert build["info"]["platform_streamlit_version"] == PLATFORM_STREAMLIT
    told = (
        "requirements.txt pins streamlit==1.66.0; the demo runs Streamlit 1.66.0 "
        f"instead of the platform's {PLATFORM_STREAMLIT}"
    )
    assert told in build["warnings"], build["warnings"]
    assert any(told in line for line in build_log(c, pid))
    slug = launch(c, pid)
    _healthy(c, slug)
    text = rendered_text(visit_page(hub, build["image"], slug))
    assert marker in text and "1.66.0" in text
    c.delete(f"/api/projects/{pid}", headers=auth)


def test_pip_check_conflicts_are_build_warnings(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    # Streamlit needs itsdangerous>=2.1.2: pip installs 2.0.1 anyway (it does not recheck
    # packages already installed); pip check finds the conflict
    files = {"app.py": _app(unique("conflict")), "requirements.txt": "itsdangerous==2.0.1\n"}
    pid = _upload_ok(c, auth, files)
    _, build = built(c, pid)
    assert build["state"] == "ready", build
    conflict = [w for w in build["warnings"] if w.startswith("pip check:")]
    assert any("itsdangerous" in w and "2.0.1" in w for w in conflict), build["warnings"]
    log = build_log(c, pid)
    assert any(line.startswith("WARNING: pip check:") and "itsdangerous" in line for line in log)
    assert build["info"]["streamlit_version"] == PLATFORM_STREAMLIT
    c.delete(f"/api/projects/{pid}", headers=auth)
