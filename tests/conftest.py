"""Shared test set-up. Fixtures for each real component live in tests/fixtures/.

No test is ever skipped for a missing component: `make test` installs and starts every
component, and a missing one fails the run (under CI=true and everywhere else).
"""

from __future__ import annotations

import os

# Tests never read the operator's .env or real secrets.
os.environ.setdefault("MODELHUB_ENV", "test")

pytest_plugins: list[str] = []
