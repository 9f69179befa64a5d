"""RouteTable on Traefik's file provider: one ``<slug>.yml`` per demo in the routes directory.

Each file holds router and service ``demo-<slug>``. Files are written atomically (temporary
``.<name>.<random>.tmp`` in the same directory — Traefik reads only ``*.yml``, ``*.yaml`` and
``*.toml`` — then fsync and ``os.replace``), so Traefik never reads half a file. The table
is kept in memory under an :class:`asyncio.Lock`; :meth:`TraefikFileRouteTable.list` re-reads
the files, which are the truth after a restart. Changes are confirmed through Traefik's API
(``GET /api/http/routers/demo-<slug>@file`` and the matching service) with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from modelhub.errors import NotFound, Unavailable
from modelhub.proxy.route_table import RouteTable, validate_slug, validate_target_url

log = logging.getLogger("modelhub.proxy")

ROUTE_SUFFIX = ".yml"
FIRST_DELAY = 0.05
MAX_DELAY = 0.5

# One look at Traefik's API: None when the expected state is reached, else why not.
_Check = Callable[[httpx.AsyncClient], Awaitable[str | None]]


def router_name(slug: str) -> str:
    """Traefik router and service name of a demo."""
    return f"demo-{slug}"


def route_rule(slug: str) -> str:
    """``/demos/<slug>`` and below, and nothing else (a bare PathPrefix would also match
    ``/demos/<slug>-2``)."""
    return f"Path(`/demos/{slug}`) || PathPrefix(`/demos/{slug}/`)"


def route_config(slug: str, target_url: str) -> dict[str, Any]:
    """Traefik dynamic configuration of one demo route (no StripPrefix: Streamlit serves
    under ``baseUrlPath=/demos/<slug>``; websockets pass through by default)."""
    name = router_name(slug)
    return {
        "http": {
            "routers": {name: {"rule": route_rule(slug), "entryPoints": ["web"], "service": name}},
            "services": {
                name: {"loadBalancer": {"servers": [{"url": target_url}], "passHostHeader": True}}
            },
        }
    }


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: temp file in the same directory, fsync,
    ``os.replace``, fsync of the directory. Blocking: call it off the event loop."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _target_of(slug: str, document: Any) -> str | None:
    """The target URL in a route file's parsed YAML, or None if it is not one of ours."""
    try:
        servers = document["http"]["services"][router_name(slug)]["loadBalancer"]["servers"]
        url = servers[0]["url"]
    except (KeyError, IndexError, TypeError):
        return None
    return url if isinstance(url, str) else None


class TraefikFileRouteTable(RouteTable):
    """Demo routes as Traefik file-provider YAML in ``routes_dir``, confirmed through the
    Traefik API at ``traefik_api_url`` (e.g. ``http://127.0.0.1:8081``).

    Files in ``routes_dir`` whose name is not ``<valid slug>.yml`` (such as the hub's own
    ``_hub.yml``) are left alone.
    """

    def __init__(
        self, routes_dir: Path, traefik_api_url: str, *, request_timeout: float = 2.0
    ) -> None:
        self.routes_dir = Path(routes_dir)
        self.traefik_api_url = traefik_api_url.rstrip("/")
        self._request_timeout = request_timeout
        self._lock = asyncio.Lock()
        self._routes: dict[str, str] | None = None  # loaded from the files on first use

    def path_of(self, slug: str) -> Path:
        return self.routes_dir / f"{validate_slug(slug)}{ROUTE_SUFFIX}"

    # --- RouteTable ----------------------------------------------------------------------

    async def add(self, slug: str, target_url: str) -> None:
        validate_slug(slug)
        target = validate_target_url(target_url)
        text = (
            f"# Route of demo '{slug}', written by Model Hub. Do not edit: the control plane "
            "rewrites it.\n" + yaml.safe_dump(route_config(slug, target), sort_keys=False)
        )
        async with self._lock:
            routes = await self._loaded()
            try:
                await asyncio.to_thread(self._write, self.path_of(slug), text)
            except OSError as exc:
                raise Unavailable(
                    f"Could not save the route of demo '{slug}'",
                    log_message=f"writing {self.path_of(slug)} failed: {exc}",
                ) from exc
            routes[slug] = target
        log.info("route added", extra={"slug": slug, "target": target})

    async def remove(self, slug: str) -> None:
        path = self.path_of(slug)
        async with self._lock:
            routes = await self._loaded()
            try:
                await asyncio.to_thread(self._unlink, path)
            except OSError as exc:
                raise Unavailable(
                    f"Could not remove the route of demo '{slug}'",
                    log_message=f"removing {path} failed: {exc}",
                ) from exc
            routes.pop(slug, None)
        log.info("route removed", extra={"slug": slug})

    async def list(self) -> dict[str, str]:
        async with self._lock:
            self._routes = await asyncio.to_thread(self._read_all)
            return dict(self._routes)

    async def confirm(self, slug: str, timeout: float) -> None:  # noqa: ASYNC109
        validate_slug(slug)
        async with self._lock:
            target = (await self._loaded()).get(slug)
        if target is None:
            raise NotFound(f"Demo '{slug}' has no route to confirm")
        name = f"{router_name(slug)}@file"
        api = self.traefik_api_url

        async def check(client: httpx.AsyncClient) -> str | None:
            router = await client.get(f"{api}/api/http/routers/{name}")
            if router.status_code == 404:
                return f"Traefik has not loaded router {name}"
            router.raise_for_status()
            status = router.json().get("status")
            if status != "enabled":
                errors = "; ".join(router.json().get("error", []) or [])
                return f"router {name} is {status}: {errors or 'no reason given'}"
            service = await client.get(f"{api}/api/http/services/{name}")
            if service.status_code == 404:
                return f"Traefik has not loaded service {name}"
            service.raise_for_status()
            servers = service.json().get("loadBalancer", {}).get("servers", [])
            urls = [str(s.get("url", "")).rstrip("/") for s in servers]
            if urls != [target]:
                return f"service {name} still points at {urls}, not {target}"
            return None

        await self._poll(check, timeout, f"route of demo '{slug}' to go live")

    async def confirm_removed(self, slug: str, timeout: float) -> None:  # noqa: ASYNC109
        name = f"{router_name(validate_slug(slug))}@file"
        api = self.traefik_api_url

        async def check(client: httpx.AsyncClient) -> str | None:
            router = await client.get(f"{api}/api/http/routers/{name}")
            if router.status_code == 404:
                return None
            router.raise_for_status()
            return f"Traefik still serves router {name}"

        await self._poll(check, timeout, f"route of demo '{slug}' to be removed")

    # --- internals -----------------------------------------------------------------------

    async def _loaded(self) -> dict[str, str]:
        """The in-memory table (call with the lock held)."""
        if self._routes is None:
            self._routes = await asyncio.to_thread(self._read_all)
        return self._routes

    async def _poll(self, check: _Check, timeout: float, what: str) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        delay = FIRST_DELAY
        reason = "no answer yet"
        async with httpx.AsyncClient(timeout=self._request_timeout) as client:
            while True:
                try:
                    outcome = await check(client)
                except (httpx.HTTPError, ValueError) as exc:
                    outcome = f"Traefik API at {self.traefik_api_url} did not answer: {exc!r}"
                if outcome is None:
                    return
                reason = outcome
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Unavailable(
                        f"Timed out after {timeout:g}s waiting for the {what}: {reason}",
                        log_message=f"traefik confirm failed: {what}: {reason}",
                    )
                await asyncio.sleep(min(delay, remaining))
                delay = min(delay * 2, MAX_DELAY)

    def _write(self, path: Path, text: str) -> None:
        self.routes_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text)

    def _unlink(self, path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(path.parent)

    def _read_all(self) -> dict[str, str]:
        routes: dict[str, str] = {}
        if not self.routes_dir.is_dir():
            return routes
        for path in sorted(self.routes_dir.glob(f"*{ROUTE_SUFFIX}")):
            slug = path.name[: -len(ROUTE_SUFFIX)]
            try:
                validate_slug(slug)
            except Exception:  # noqa: S112 - not a demo route (e.g. _hub.yml)
                continue
            try:
                document = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                log.warning("unreadable route file", extra={"path": str(path), "error": str(exc)})
                continue
            target = _target_of(slug, document)
            if target is None:
                log.warning("route file without a target", extra={"path": str(path)})
                continue
            routes[slug] = target
        return routes
