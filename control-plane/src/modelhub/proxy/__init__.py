"""Traefik, the one public origin: its static config, the hub's own routes, the route table.

- :mod:`modelhub.proxy.config` renders Traefik's static configuration and ``_hub.yml``.
- :mod:`modelhub.proxy.route_table` is the :class:`RouteTable` interface (one route per demo).
- :mod:`modelhub.proxy.traefik_file` implements it with Traefik's file provider.
"""

from __future__ import annotations

from modelhub.proxy.route_table import RouteTable, validate_slug, validate_target_url
from modelhub.proxy.traefik_file import TraefikFileRouteTable

__all__ = ["RouteTable", "TraefikFileRouteTable", "validate_slug", "validate_target_url"]
