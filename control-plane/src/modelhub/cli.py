"""The `modelhub` command."""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="modelhub", description="Model Hub control plane")
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="run the local hub (Traefik, control plane, web app)")
    run_p.add_argument("--web-dir", type=Path, default=Path("frontend"))
    args = parser.parse_args(argv)
    if args.command == "run":
        from modelhub.launcher import run

        return run(web_dir=args.web_dir)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
