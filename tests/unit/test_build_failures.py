"""Failure reasons a creator can act on, from real build output; log line splitting."""

from __future__ import annotations

from modelhub.builder.failures import explain_failure, syntax_warnings
from modelhub.builder.log_stream import LogSplitter
from modelhub.builder.smoke import interpret

PIP_STEP_ERROR = (
    "The command '/bin/sh -c PIP_NO_CACHE_DIR=1 /opt/venv/bin/python -m pip install -r "
    "/tmp/modelhub/requirements.txt' returned a non-zero code: 1"
)


def test_unknown_requirement_is_named() -> None:
    lines = [
        "Step 7/20 : RUN ... pip install -r /tmp/modelhub/requirements.txt",
        "Collecting six",
        "ERROR: Could not find a version that satisfies the requirement "
        "nosuchpkg-xyz==9.9 (from versions: none)",
        "ERROR: No matching distribution found for nosuchpkg-xyz==9.9",
        f"ERROR: {PIP_STEP_ERROR}",
    ]
    reason = explain_failure(lines, PIP_STEP_ERROR)
    assert "`nosuchpkg-xyz==9.9`" in reason
    assert "could not find a version" in reason


def test_unavailable_version_lists_what_exists_and_python_mismatch() -> None:
    lines = [
        "ERROR: Ignored the following versions that require a different python version: "
        "2.3.0 Requires-Python >=3.12",
        "ERROR: Could not find a version that satisfies the requirement numpy==2.3.0 "
        "(from versions: 1.26.3, 1.26.4, 2.0.0)",
        "ERROR: No matching distribution found for numpy==2.3.0",
    ]
    reason = explain_failure(lines, PIP_STEP_ERROR)
    assert "`numpy==2.3.0`" in reason
    assert "1.26.4" in reason
    assert "different Python" in reason


def test_no_matching_distribution_alone_is_named() -> None:
    reason = explain_failure(["ERROR: No matching distribution found for foo==1"], "x")
    assert "No matching distribution found for `foo==1`" in reason


def test_package_without_wheel_that_cannot_compile_is_named_with_the_compiler_error() -> None:
    lines = [
        "Collecting python-ldap==3.4.4",
        "  Building wheel for python-ldap (pyproject.toml): finished with status 'error'",
        "  error: subprocess-exited-with-error",
        "  \u00d7 Building wheel for python-ldap (pyproject.toml) did not run successfully.",
        "      Modules/constants.h:7:10: fatal error: lber.h: No such file or directory",
        "  ERROR: Failed building wheel for python-ldap",
        "Failed to build python-ldap",
        "ERROR: Could not build wheels for python-ldap, which is required to install "
        "pyproject.toml-based projects",
    ]
    reason = explain_failure(lines, PIP_STEP_ERROR)
    assert "`python-ldap`" in reason
    assert "no pre-built wheel" in reason
    assert "lber.h" in reason


def test_metadata_failure_names_the_package_being_collected() -> None:
    lines = [
        "Collecting six",
        "Collecting oldpkg==0.1",
        "  Preparing metadata (setup.py): finished with status 'error'",
        "  error: subprocess-exited-with-error",
        "  \u00d7 python setup.py egg_info did not run successfully.",
        "error: metadata-generation-failed",
    ]
    assert "`oldpkg==0.1`" in explain_failure(lines, PIP_STEP_ERROR)


def test_syntax_error_names_file_and_line() -> None:
    lines = [
        "MODELHUB-SYNTAX-WARNING src/old.py:3: invalid syntax | print 'x'",
        "MODELHUB-SYNTAX-ERROR app.py:2: '(' was never closed | st.title(\"x\"",
    ]
    reason = explain_failure(lines, "The command ... returned a non-zero code: 1")
    assert reason.startswith("Syntax error in app.py line 2: '(' was never closed")
    assert syntax_warnings(lines) == [
        "syntax error in src/old.py:3: invalid syntax | print 'x' "
        "(the app will fail if it imports this file)"
    ]


def test_conflicting_pins_are_quoted() -> None:
    lines = [
        "ERROR: Cannot install -r requirements.txt (line 1) and numpy==1.0 because these "
        "package versions have conflicting dependencies.",
        "The conflict is caused by:",
        "    The user requested numpy==1.0",
        "    pandas 2.2.0 depends on numpy>=1.23.2",
        "",
        "To fix this you could try to:",
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/",
    ]
    reason = explain_failure(lines, PIP_STEP_ERROR)
    assert "The user requested numpy==1.0" in reason
    assert "pandas 2.2.0 depends on numpy>=1.23.2" in reason


def test_platform_problems_say_they_are_not_the_creators_fault() -> None:
    disk = explain_failure(
        ["ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device"],
        PIP_STEP_ERROR,
    )
    assert "no space left on device" in disk
    assert "not a problem with your project" in disk
    tls = explain_failure(["SSL: CERTIFICATE_VERIFY_FAILED"], PIP_STEP_ERROR)
    assert "tell an operator" in tls
    oom = explain_failure(["Building..."], "The command 'x' returned a non-zero code: 137")
    assert "out of memory" in oom


def test_unknown_failure_keeps_the_engine_error_and_last_output() -> None:
    reason = explain_failure(["compiling", "boom happened"], "something odd")
    assert "something odd" in reason
    assert "boom happened" in reason


def test_splitter_joins_partial_lines_and_strips_colour_and_progress() -> None:
    s = LogSplitter()
    assert s.feed({"stream": "Step 1/2 : FROM x\n ---> ab"}) == ["Step 1/2 : FROM x"]
    assert s.feed({"stream": "c\n\x1b[91mERROR: bad\x1b[0m\n"}) == [" ---> abc", "ERROR: bad"]
    assert s.feed({"stream": "10%\r50%\r100%\n"}) == ["100%"]
    assert s.feed({"aux": {"ID": "sha256:feed"}}) == []
    assert s.image_id == "sha256:feed"
    assert s.feed({"stream": "tail"}) == []
    assert s.feed({"error": "failed", "errorDetail": {"message": "failed"}}) == [
        "tail",
        "ERROR: failed",
    ]
    assert s.error == "failed"


def test_smoke_report_fails_on_app_exception_with_file_and_line() -> None:
    report = interpret(
        {
            "python_version": "3.11.2",
            "streamlit_version": "1.67.0",
            "pip_check": "foo 1.0 has requirement bar>=2, but you have bar 1.0.",
            "exceptions": [
                {
                    "type": "ZeroDivisionError",
                    "message": "division by zero",
                    "stack": [
                        'File "/opt/venv/lib/python3.11/site-packages/x.py", line 9, in run\n',
                        'File "/app/app.py", line 3, in <module>\n    1 / 0\n',
                    ],
                }
            ],
        },
        entry="app.py",
    )
    assert report.info == {"python_version": "3.11.2", "streamlit_version": "1.67.0"}
    assert report.failure is not None
    assert "ZeroDivisionError: division by zero at app.py line 3" in report.failure
    assert report.warnings == ["pip check: foo 1.0 has requirement bar>=2, but you have bar 1.0."]


def test_smoke_report_only_warns_about_network_access_and_slow_first_runs() -> None:
    report = interpret(
        {
            "streamlit_version": "1.67.0",
            "run_error": "RuntimeError: AppTest script run timed out after 60(s)",
            "exceptions": [
                {"type": "URLError", "message": "<urlopen error [Errno -3]>", "stack": []}
            ],
        },
        entry="app.py",
    )
    assert report.failure is None
    assert len(report.warnings) == 2
    assert any("network" in w for w in report.warnings)
    assert any("did not finish" in w for w in report.warnings)
