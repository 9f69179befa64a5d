"""Why a build failed, in words a creator can act on.

:func:`explain_failure` reads the build log (the lines streamed to the creator) and the
engine's final error message, and returns one or two sentences naming the culprit: the
requirement pip could not find, the file and line of a syntax error, the package that has
no wheel for this Python and could not be compiled, or a platform problem (disk full,
memory, package index unreachable, base image missing) that the creator should report
rather than fix. The full log stays available for the details.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

DEFAULT_PYTHON = "3.11"  # the base images' Python when their label does not say
SYNTAX_ERROR_MARK = "MODELHUB-SYNTAX-ERROR "
SYNTAX_WARNING_MARK = "MODELHUB-SYNTAX-WARNING "

_NOT_FOUND = re.compile(
    r"Could not find a version that satisfies the requirement (?P<req>.+?)"
    r"(?: \(from versions: (?P<versions>[^)]*)\))?$"
)
_NO_MATCHING = re.compile(r"No matching distribution found for (?P<req>\S.*?)\s*$")
_REQUIRES_PYTHON = re.compile(
    r"Ignored the following versions that require a different python version: (?P<what>.+)$"
)
_WHEEL_FAILED = re.compile(
    r"(?:Failed building wheel for (?P<a>[\w.\-\[\]]+)"
    r"|Could not build wheels for (?P<b>[\w.\-\[\],\s]+?), which is required"
    r"|Failed to build installable wheels for some pyproject\.toml based projects \((?P<c>[^)]+)\)"
    r"|Building wheel for (?P<d>[\w.\-]+) \(.*\) did not run successfully"
    r"|Failed to build '?(?P<e>[\w.\-]+)'? when)"
)
_METADATA_FAILED = re.compile(
    r"(metadata-generation-failed|Getting requirements to build wheel did not run successfully"
    r"|egg_info did not run successfully|Preparing metadata .* did not run successfully)"
)
_COLLECTING = re.compile(r"^\s*Collecting (?P<req>\S+)")
_COMPILER_HINT = re.compile(
    r"(fatal error: .+|error: can't find Rust compiler.*|"
    r"ModuleNotFoundError: No module named '[^']+'|"
    r"error: command '[^']+' failed.*|"
    r"[\w.]+ is not installed|Could not find .*(?:library|header).*)",
    re.IGNORECASE,
)
_EXCEPTION = re.compile(r"^\s*((?:[A-Za-z_][\w.]*)?(?:Error|Exception): \S.*)$")
_CONFLICT_START = "The conflict is caused by:"
_INVALID_REQ = re.compile(r"Invalid requirement: (?P<req>.+?)(?:: |$)")
_NON_ZERO = re.compile(r"returned a non-zero code: (?P<code>\d+)")
_PIP_ERROR = re.compile(r"^\s*ERROR: (?P<msg>.+)$")


def _clean(req: str) -> str:
    return req.strip().strip("'\"`")


def syntax_warnings(lines: Sequence[str]) -> list[str]:
    """Syntax errors in the bundle's other .py files (not the entry): build warnings."""
    return [
        f"syntax error in {line.split(SYNTAX_WARNING_MARK, 1)[1].strip()} "
        "(the app will fail if it imports this file)"
        for line in lines
        if SYNTAX_WARNING_MARK in line
    ]


def _syntax_error(lines: Sequence[str]) -> str | None:
    for line in lines:
        if SYNTAX_ERROR_MARK in line:
            detail = line.split(SYNTAX_ERROR_MARK, 1)[1].strip()
            where, _, rest = detail.partition(": ")
            message, _, code = rest.partition(" | ")
            path, _, lineno = where.rpartition(":")
            text = f"Syntax error in {path} line {lineno}: {message}"
            if code:
                text += f" (`{code}`)"
            return text + ". Fix the file and upload the project again."
    return None


def _not_found(lines: Sequence[str]) -> str | None:
    for i, line in enumerate(lines):
        m = _NOT_FOUND.search(line)
        if not m:
            continue
        req = _clean(m.group("req"))
        versions = (m.group("versions") or "").strip()
        text = f"pip could not find a version that satisfies the requirement `{req}`"
        if versions and versions != "none":
            shown = versions if len(versions) <= 200 else "…" + versions[-200:]
            text += f" (available versions: {shown})"
        elif versions == "none":
            text += " (no versions found: check the package name on pypi.org)"
        for earlier in lines[max(0, i - 5) : i]:
            py = _REQUIRES_PYTHON.search(earlier)
            if py:
                text += (
                    f"; some versions were skipped because they need a different Python "
                    f"than this image's ({py.group('what')[:200]})"
                )
                break
        return text + ". Fix requirements.txt and upload the project again."
    for line in lines:
        m = _NO_MATCHING.search(line)
        if m:
            req = _clean(m.group("req"))
            return (
                f"No matching distribution found for `{req}`: pip could not find a version "
                "that satisfies the requirement. Fix requirements.txt and upload again."
            )
    return None


def _wheel_failed(lines: Sequence[str], python_version: str | None = None) -> str | None:
    names: list[str] = []
    for line in lines:
        m = _WHEEL_FAILED.search(line)
        if m:
            found = next(g for g in m.groups() if g)
            for name in re.split(r"[,\s]+", found):
                if name and name not in names:
                    names.append(name)
    metadata = any(_METADATA_FAILED.search(line) for line in lines)
    if not names and metadata:
        collecting = [m.group("req") for line in lines if (m := _COLLECTING.match(line))]
        if collecting:
            names.append(collecting[-1])
    if not names and not metadata:
        return None
    hint = next((m.group(1).strip() for line in lines if (m := _COMPILER_HINT.search(line))), None)
    if hint is None:  # the last exception the build backend printed, e.g. an AttributeError
        hint = next(
            (m.group(1).strip() for line in reversed(lines) if (m := _EXCEPTION.match(line))),
            None,
        )
    what = ", ".join(f"`{n}`" for n in names) if names else "a package"
    python = f"Python {python_version or DEFAULT_PYTHON}"
    text = (
        f"Package {what} has no pre-built wheel for {python} on Linux (the platform's "
        "Python) and could not be built from source"
    )
    if hint:
        text += f" ({hint[:300]})"
    return (
        text + f". Pin a version that ships a wheel for {python} on Linux, or drop the "
        "package from requirements.txt."
    )


def _conflict(lines: Sequence[str]) -> str | None:
    for i, line in enumerate(lines):
        if _CONFLICT_START in line:
            causes = []
            for follow in lines[i + 1 : i + 12]:
                stripped = follow.strip()
                if not stripped or stripped.startswith(("To fix", "ERROR", "1.", "2.")):
                    break
                causes.append(stripped)
            joined = "; ".join(causes)[:500]
            return (
                f"The requirements conflict with each other: {joined}. Loosen or change the "
                "pins in requirements.txt and upload again."
            )
    for line in lines:
        if "ResolutionImpossible" in line:
            return (
                "pip could not find versions of the requirements that work together "
                "(ResolutionImpossible). Loosen the pins in requirements.txt."
            )
    return None


def _invalid_requirement(lines: Sequence[str]) -> str | None:
    for line in lines:
        m = _INVALID_REQ.search(line)
        if m:
            return (
                f"requirements.txt has an invalid line: `{_clean(m.group('req'))}`. "
                "Write one package per line, e.g. `numpy==1.26.4`."
            )
    return None


def _platform(lines: Sequence[str], error: str) -> str | None:
    text = "\n".join(lines[-200:]) + "\n" + error
    lowered = text.lower()
    if "no space left on device" in lowered:
        return (
            "The build server ran out of disk space (no space left on device). This is not "
            "a problem with your project: try again later or tell an operator."
        )
    if "certificate_verify_failed" in lowered or "sslcertverificationerror" in lowered:
        return (
            "The build could not verify the package index's TLS certificate. This is a "
            "platform problem (CA bundle): tell an operator."
        )
    if (
        "temporary failure in name resolution" in lowered
        or "newconnectionerror" in lowered
        or "connection refused" in lowered
        or "read timed out" in lowered
    ):
        return (
            "The build could not reach the package index (network error). Try again later; "
            "tell an operator if it persists."
        )
    if (
        "pull access denied" in lowered
        or "no such image" in lowered
        or ("repository does not exist" in lowered)
    ):
        return (
            "The platform's base image is missing on the build server. This is not a "
            "problem with your project: tell an operator (infra/bootstrap/base-images.sh)."
        )
    if "unable to locate package" in lowered or "failed to fetch http" in lowered:
        return (
            "The build server could not install the compiler toolchain (apt failed). This "
            "is a platform problem: tell an operator."
        )
    m = _NON_ZERO.search(error)
    if m and m.group("code") == "137":
        return (
            "The build ran out of memory and was killed (exit code 137). Large packages "
            "(e.g. compiled from source) may need fewer or lighter requirements."
        )
    return None


def explain_failure(lines: Sequence[str], error: str, *, python_version: str | None = None) -> str:
    """The reason of a failed build, from its log ``lines`` and the engine's ``error``.

    ``python_version`` (``3.11``) is the base image's Python, named when a package has no
    wheel for it.

    The ``ERROR: <error>`` line the builder itself adds to the log is not pip's output and
    is left out of the analysis of pip's messages.
    """
    engine_line = f"ERROR: {error.strip()}"
    lines = [line for line in lines if line.strip() != engine_line]
    reason = _syntax_error(lines) or _platform(lines, error)
    if reason:
        return reason
    for explain in (_not_found, _invalid_requirement, _conflict):
        reason = explain(lines)
        if reason:
            return reason
    reason = _wheel_failed(lines, python_version)
    if reason:
        return reason
    pip_errors = [m.group("msg").strip() for line in lines if (m := _PIP_ERROR.match(line))]
    if pip_errors:
        return f"Installing requirements failed: {pip_errors[-1][:500]}"
    tail = [line.strip() for line in lines if line.strip()][-3:]
    detail = error.strip() or "unknown error"
    if tail:
        detail += " — last output: " + " / ".join(t[:200] for t in tail)
    return f"The build failed: {detail[:800]}"
