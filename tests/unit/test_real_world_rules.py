"""The pure rules behind real-world bundles: entry choice with helper modules, what the
creator is told about Streamlit versions, and how the smoke test reports pages."""

from __future__ import annotations

import pytest

from modelhub.builder.failures import explain_failure
from modelhub.builder.smoke import interpret
from modelhub.builder.versions import streamlit_change_warning, streamlit_requirement
from modelhub.bundles.entry import find_entry

ST = b"import streamlit as st\n"


def test_a_streamlit_module_imported_by_another_is_a_helper_not_an_entry() -> None:
    sources = {"predictor.py": ST + b"from widgets import sidebar\n", "widgets.py": ST}
    assert find_entry(["predictor.py", "widgets.py"], sources, None, None) == (
        "predictor.py",
        None,
    )


def test_two_independent_entries_are_listed_and_app_file_chooses() -> None:
    sources = {"Dashboard.py": ST, "predictor.py": ST}
    entry, problem = find_entry(["Dashboard.py", "predictor.py"], sources, None, None)
    assert entry is None and problem is not None
    assert "Dashboard.py, predictor.py" in problem and "app_file" in problem
    assert find_entry(["Dashboard.py", "predictor.py"], sources, "Dashboard.py", None) == (
        "Dashboard.py",
        None,
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("numpy\nstreamlit==1.66.0\n", "streamlit==1.66.0"),
        ("Streamlit >= 1.40, <2  # ui\n", "streamlit>=1.40,<2"),
        ("streamlit[snowflake]~=1.50 ; python_version > '3.8'\n", "streamlit~=1.50"),
        ("streamlit\n", "streamlit"),
        ("streamlit-aggrid==1.0\nstreamlit_folium\n", None),
        ("# streamlit==1.0\n", None),
    ],
)
def test_streamlit_requirement_line(text: str, found: str | None) -> None:
    assert streamlit_requirement(text) == found


def test_the_creator_is_told_when_the_demo_runs_another_streamlit() -> None:
    told = streamlit_change_warning(
        "streamlit==1.66.0\n", "requirements.txt", effective="1.66.0", platform="1.67.0"
    )
    assert told == (
        "requirements.txt pins streamlit==1.66.0; the demo runs Streamlit 1.66.0 instead "
        "of the platform's 1.67.0"
    )
    changed = streamlit_change_warning(
        "altair\n", "requirements.txt", effective="1.60.0", platform="1.67.0"
    )
    assert changed is not None and "a package in requirements.txt changed Streamlit" in changed
    same = streamlit_change_warning(
        "streamlit\n", "requirements.txt", effective="1.67.0", platform="1.67.0"
    )
    assert same is None


def test_page_errors_are_warnings_and_entry_errors_name_the_calling_line() -> None:
    report = interpret(
        {
            "streamlit_version": "1.67.0",
            "exceptions": [
                {
                    "type": "FileNotFoundError",
                    "message": "model.pkl",
                    "stack": [
                        'File "/app/app.py", line 4, in <module>\n    load()',
                        'File "/app/io_utils.py", line 2, in load\n    open("model.pkl")',
                    ],
                }
            ],
            "pages_checked": ["pages/1_Analytics.py", "pages/2_Broken.py"],
            "page_exceptions": [
                {
                    "page": "pages/2_Broken.py",
                    "type": "KeyError",
                    "message": "'model'",
                    "stack": ['File "/app/pages/2_Broken.py", line 3, in <module>\n    x'],
                }
            ],
        },
        entry="app.py",
    )
    assert report.failure is not None
    assert "at io_utils.py line 2 (called from app.py line 4)" in report.failure
    assert "Check that the file is in the bundle" in report.failure
    assert report.trace[0] == "Traceback (most recent call last):"
    assert report.trace[-1] == "FileNotFoundError: model.pkl"
    assert report.warnings == [
        "page pages/2_Broken.py raised KeyError: 'model' at pages/2_Broken.py line 3 on its "
        "first run; visitors of that page will see the error"
    ]
    assert report.notes == ["smoke test: page pages/1_Analytics.py ran without errors"]


def test_a_package_without_wheel_names_the_platform_python_and_the_backend_error() -> None:
    lines = [
        "Collecting PyYAML==5.4.1",
        "  Downloading PyYAML-5.4.1.tar.gz (175 kB)",
        "  Getting requirements to build wheel: finished with status 'error'",
        "      AttributeError: 'build_ext' object has no attribute 'cython_sources'",
        "  \u00d7 Getting requirements to build wheel did not run successfully.",
    ]
    reason = explain_failure(lines, "returned a non-zero code: 1", python_version="3.12")
    assert reason.startswith("Package `PyYAML==5.4.1` has no pre-built wheel for Python 3.12")
    assert "AttributeError: 'build_ext' object has no attribute 'cython_sources'" in reason
