"""Operator tasks behind the ``modelhub`` CLI: admins, backup and restore, pruning, status,
and calls to a running hub's API. Each module is usable without the CLI (tests call them)."""
