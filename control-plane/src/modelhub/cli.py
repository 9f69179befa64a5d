"""The `modelhub` command: run the local hub, serve the control plane in a container, and
the operator's tasks (admins, demos, rebuilds, pruning, status, backup and restore).

Operator commands read the same settings as the hub (environment, ``.env``). When
JWT_SECRET_KEY is unset they use the secret `modelhub run` keeps in
``<data dir>/secrets/jwt_secret``, so tokens they mint are valid for the local hub.
Every command exits 0 on success and 1 with a one-line message on a ModelHub error.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import yaml

from modelhub.errors import ModelHubError
from modelhub.settings import Settings, get_settings

T = TypeVar("T")

app = typer.Typer(
    name="modelhub",
    help="Model Hub: run the hub and operate it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
demos_app = typer.Typer(help="List and stop demos.", no_args_is_help=True)
app.add_typer(demos_app, name="demos")


def _settings() -> Settings:
    """Fresh settings for this command (with the local hub's kept JWT secret)."""
    from modelhub.launcher import ensure_jwt_secret

    if not os.environ.get("JWT_SECRET_KEY"):
        data_dir = Settings(MODELHUB_ENV="development").data_dir
        if (data_dir / "secrets" / "jwt_secret").exists() or os.environ.get(
            "MODELHUB_ENV", "production"
        ) == "production":
            ensure_jwt_secret(data_dir)
    get_settings.cache_clear()
    try:
        return get_settings()
    except ValueError as exc:
        return _fail(f"invalid settings: {exc}")


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except ModelHubError as exc:
        _fail(exc.message)


def _print_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


# --- running -----------------------------------------------------------------------------
@app.command()
def run(
    web_dir: Annotated[
        Path, typer.Option(help="the built Next.js app (skipped when it has no package.json)")
    ] = Path("frontend"),
) -> None:
    """Run the local hub in the foreground: Traefik, the control plane, the web app."""
    from modelhub.launcher import run as run_hub

    raise typer.Exit(run_hub(web_dir=web_dir))


@app.command()
def serve(
    api_url: Annotated[
        str, typer.Option(help="how Traefik reaches this control plane")
    ] = "http://control-plane:8000",
    web_url: Annotated[
        str, typer.Option(help="how Traefik reaches the web app")
    ] = "http://web:3000",
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="proxies whose X-Forwarded-* headers are trusted")
    ] = "*",
) -> None:
    """Serve the control plane alone (the container's command in docker-compose.yml).

    Writes the hub's routes (``_hub.yml``: /api → API_URL, / → WEB_URL) into the routes
    directory Traefik watches, then runs uvicorn on MODELHUB_API_HOST:MODELHUB_API_PORT.
    """
    from modelhub.proxy.config import HUB_ROUTES_FILE, hub_routes
    from modelhub.proxy.traefik_file import write_atomically

    settings = _settings()
    routes = hub_routes(settings)
    services = routes["http"]["services"]
    services["hub-api"]["loadBalancer"]["servers"] = [{"url": api_url.rstrip("/")}]
    services["hub-web"]["loadBalancer"]["servers"] = [{"url": web_url.rstrip("/")}]
    settings.routes_dir.mkdir(parents=True, exist_ok=True)
    text = "# Written by `modelhub serve`; rewritten on every start.\n"
    write_atomically(settings.routes_dir / HUB_ROUTES_FILE, text + yaml.safe_dump(routes))
    os.execv(  # noqa: S606 - replaces this process with uvicorn, fixed arguments
        sys.executable,
        [
            sys.executable, "-m", "uvicorn", "--factory", "modelhub.main:create_app",
            "--host", settings.api_host, "--port", str(settings.api_port),
            "--proxy-headers", "--forwarded-allow-ips", forwarded_allow_ips,
            "--no-access-log", "--timeout-graceful-shutdown", "10",
        ],
    )  # fmt: skip


# --- accounts ----------------------------------------------------------------------------
@app.command("create-admin")
def create_admin(
    email: Annotated[
        str, typer.Option(envvar="MODELHUB_ADMIN_EMAIL", prompt=True, help="the admin's email")
    ],
    username: Annotated[
        str | None,
        typer.Option(envvar="MODELHUB_ADMIN_USERNAME", help="default: the email's local part"),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="MODELHUB_ADMIN_PASSWORD",
            help="asked for (hidden) when a new account needs one",
        ),
    ] = None,
    reset_password: Annotated[
        bool, typer.Option(help="also set the password of an existing account")
    ] = False,
) -> None:
    """Create an administrator, or promote an existing account (by email) to one."""
    from modelhub.ops.admins import create_or_promote_admin

    settings = _settings()

    async def _go() -> Any:
        from modelhub.ops.session import connected_store

        pw = password
        async with connected_store(settings) as store:
            exists = await store.get_user_by_email(email.strip().lower()) is not None
        if pw is None and (not exists or reset_password):
            pw = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return await create_or_promote_admin(
            settings, email=email, username=username, password=pw, reset_password=reset_password
        )

    result = _run(_go())
    verb = "created" if result.created else "promoted"
    extra = " (password changed)" if result.password_changed and not result.created else ""
    typer.echo(
        f"{verb} administrator {result.username} <{result.email}> id {result.user_id}{extra}"
    )


# --- demos and builds --------------------------------------------------------------------
@demos_app.command("list")
def demos_list(
    all_: Annotated[bool, typer.Option("--all", help="also list stopped demos")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Demos that run (or should): the store's state beside the engine's."""
    from modelhub.ops.demos import list_demos

    rows = _run(list_demos(_settings(), include_stopped=all_))
    if as_json:
        _print_json([asdict(r) for r in rows])
        return
    if not rows:
        typer.echo("no demos running")
        return
    typer.echo(f"{'SLUG':<32} {'STATE':<9} {'CONTAINER':<10} {'STARTED':<26} PROJECT ID")
    for r in rows:
        typer.echo(f"{r.slug:<32} {r.state:<9} {r.container:<10} {r.started_at:<26} {r.project_id}")
        if r.reason:
            typer.echo(f"    {r.reason}")


@demos_app.command("stop")
def demos_stop(
    project: Annotated[str, typer.Argument(help="project id or slug")],
) -> None:
    """Stop a project's demo (any project: the operator acts as its owner)."""
    from modelhub.ops.demos import stop_demo

    slug, state, how = _run(stop_demo(_settings(), project))
    typer.echo(f"{slug}: {state} ({how})")


@app.command()
def rebuild(
    project: Annotated[str, typer.Argument(help="project id or slug")],
) -> None:
    """Queue a new build of a project on the running hub (builds run in its process)."""
    from modelhub.ops.hub_api import call_as_owner

    found, body = _run(call_as_owner(_settings(), project, "POST", "/projects/{id}/rebuild"))
    build_id = body.get("id") or body.get("build_id") or "?"
    typer.echo(f"{found.slug}: build {build_id} {body.get('state', 'queued')}")


# --- housekeeping ------------------------------------------------------------------------
@app.command()
def prune(
    dangling: Annotated[
        bool, typer.Option(help="also remove untagged images labelled modelhub.project")
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="only say what would go")] = False,
) -> None:
    """Remove old demo images of this hub's projects and its orphan demo containers."""
    from modelhub.ops.prune import prune as prune_engine

    report = _run(prune_engine(_settings(), dangling=dangling, dry_run=dry_run))
    verb = "would remove" if dry_run else "removed"
    typer.echo(
        f"{verb} {len(report.images_removed)} old image(s), "
        f"{len(report.containers_removed)} orphan container(s), "
        f"{report.dangling_removed} dangling image(s)"
    )
    for name in report.images_removed + report.containers_removed:
        typer.echo(f"  {name}")
    for error in report.errors:
        typer.secho(f"  kept: {error}", err=True)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Health of the database, Docker, Traefik and the hub; projects and demos."""
    from modelhub.ops.status import status as hub_status

    info = _run(hub_status(_settings()))
    if as_json:
        _print_json(info)
    else:
        typer.echo(
            f"instance {info['instance']}: database {info['database']}, storage "
            f"{info['storage']}, data {info['data_dir']}, public {info['public_url']}"
        )
        for name, check in info["checks"].items():
            typer.echo(f"  {name:<9} {check['status']:<6} {check.get('detail', '')}")
        by_status = ", ".join(f"{k} {v}" for k, v in sorted(info["projects_by_status"].items()))
        typer.echo(f"projects: {info['projects']} ({by_status or 'none'})")
        typer.echo(
            f"demos running: {info['demos_running']} (containers: {info['demo_containers']})"
        )
    if any(c["status"] != "ok" for c in info["checks"].values()):
        raise typer.Exit(1)


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="a new (or empty) directory")],
) -> None:
    """Back up the database and the bundle storage into DEST."""
    from modelhub.ops.backup import backup as do_backup

    report = _run(do_backup(_settings(), dest))
    typer.echo(
        f"backed up {report.users} user(s), {report.projects} project(s), {report.bundles} "
        f"bundle(s) ({report.files} files) from {report.database_backend} into {report.path}"
    )


@app.command()
def restore(
    src: Annotated[Path, typer.Argument(help="a directory written by `modelhub backup`")],
    force: Annotated[
        bool, typer.Option(help="replace a hub that already has users or projects")
    ] = False,
) -> None:
    """Restore the database and bundles from SRC (stop the control plane first)."""
    from modelhub.ops.backup import restore as do_restore

    report = _run(do_restore(_settings(), src, force=force))
    typer.echo(
        f"restored {report.users} user(s), {report.projects} project(s), {report.bundles} "
        f"bundle(s) into the {report.database_backend} database; {report.demos_reset} "
        "demo(s) set to stopped"
    )
    if report.missing_images:
        typer.echo(
            f"{len(report.missing_images)} project(s) have no image on this engine; rebuild "
            "them once the hub runs: "
            + " ".join(f"`modelhub rebuild {pid}`" for pid in report.missing_images)
        )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``modelhub`` script and ``python -m modelhub.cli``."""
    try:
        app(args=argv, prog_name="modelhub", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
