"""What the creator is told about the versions a build resolved.

The base image says which Streamlit and Python the platform ships (labels
``modelhub.base.streamlit`` and ``modelhub.base.python``); the smoke test reads which
Streamlit the demo image really has. A pin in requirements.txt wins over the base's
Streamlit, and the creator is told so.
"""

from __future__ import annotations

import re

BASE_STREAMLIT_LABEL = "modelhub.base.streamlit"
BASE_PYTHON_LABEL = "modelhub.base.python"

# "streamlit==1.66.0", "streamlit[snowflake]>=1.30,<2 ; python_version>'3'", "Streamlit ~= 1.40"
_STREAMLIT_LINE = re.compile(
    r"^\s*streamlit\s*(?:\[[^\]]*\])?\s*(?P<spec>(?:===|==|~=|!=|>=|<=|>|<)[^;#]*?)?\s*(?:[;#].*)?$",
    re.IGNORECASE,
)


def streamlit_requirement(requirements_text: str | None) -> str | None:
    """The streamlit line of a requirements file (``streamlit==1.66.0``), or None."""
    for raw in (requirements_text or "").splitlines():
        line = raw.split(" #", 1)[0].strip()
        m = _STREAMLIT_LINE.match(line)
        if m:
            spec = re.sub(r"\s+", "", m.group("spec") or "")
            return f"streamlit{spec}"
    return None


def streamlit_change_warning(
    requirements_text: str | None,
    requirements_file: str,
    *,
    effective: str | None,
    platform: str | None,
) -> str | None:
    """A sentence for the creator when the demo runs another Streamlit than the platform's.

    None when either version is unknown or they are equal.
    """
    if not effective or not platform or effective == platform:
        return None
    requirement = streamlit_requirement(requirements_text)
    if requirement:
        return (
            f"{requirements_file} pins {requirement}; the demo runs Streamlit {effective} "
            f"instead of the platform's {platform}"
        )
    return (
        f"a package in {requirements_file} changed Streamlit: the demo runs Streamlit "
        f"{effective} instead of the platform's {platform} (pin streamlit=={platform} to "
        "keep the platform's)"
    )
