"""The `truce` command."""

from __future__ import annotations

import gc
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from truce.backup.cli import backup_command, restore_command
from truce.console import err, friendly_errors, open_database, out, settings_for
from truce.errors import ConfigError
from truce.evidence.cli import app as evidence_app
from truce.integrity.cli import app as log_app
from truce.integrity.replica_cli import app as replica_app
from truce.integrity.witness_cli import app as witness_app
from truce.interop.cli import export_command, import_command
from truce.missionfile.cli import app as mission_app
from truce.openrosa.cli import app as device_app
from truce.patrols.cli import app as patrol_app
from truce.reports.cli import app as report_app
from truce.worker_cli import worker_command

# The command modules import what they work with when a command runs: `truce --help` and the commands that
# never open the database load neither the tables (truce.models, alembic) nor pyxform, WeasyPrint or FastAPI.
if TYPE_CHECKING:
    from truce.config import Settings
    from truce.db import Database

app = typer.Typer(help="Truce: the system of record for a ceasefire-monitoring mission.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(log_app, name="log")
app.add_typer(witness_app, name="witness")
app.add_typer(replica_app, name="replica")
app.add_typer(report_app, name="report")
app.add_typer(device_app, name="device")
app.add_typer(evidence_app, name="evidence")
app.add_typer(mission_app, name="mission")
app.add_typer(patrol_app, name="patrol")
app.command("export")(export_command)
app.command("import")(import_command)
app.command("worker")(worker_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)


DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data directory (default: $TRUCE_DATA_DIR or ./truce-data)")
]
Host = Annotated[str, typer.Option("--host", help="address to listen on")]
Port = Annotated[int, typer.Option("--port", min=1, max=65535, help="port to listen on")]
Workers = Annotated[
    int, typer.Option("--workers", min=1, max=64, help="server processes sharing the port (PostgreSQL only)")
]
# Uvicorn's 5 s default killed workers still importing: four starting at once on a busy 2-core machine missed the
# ping, were killed and restarted in a loop (benchmarks/many_workers.py). A worker that is really hung still goes.
WORKER_HEALTHCHECK_S = 60
WORKERS_NEED_POSTGRESQL = (
    "--workers above 1 needs PostgreSQL: a SQLite file takes one writing process, and the phones' group commit and "
    "the Digest nonce counts live in that process; set TRUCE_DATABASE_URL to a PostgreSQL database, or serve one "
    "process (docs/deployment.md)"
)


def summary(created: list[str]) -> str:
    """'mission nk-2020', 'party ru', 'party tr', '320 incidents' -> '1 mission, 2 parties, 320 incidents'."""
    counts: dict[str, int] = {}
    for line in created:
        first, _, rest = line.partition(" ")
        if first.isdigit():
            counts[rest] = counts.get(rest, 0) + int(first)
        else:
            counts[first] = counts.get(first, 0) + 1
    return ", ".join(f"{n} {_plural(kind, n)}" for kind, n in counts.items())


def _plural(kind: str, n: int) -> str:
    if n == 1 or kind.endswith("s"):
        return kind
    return kind[:-1] + "ies" if kind.endswith("y") else kind + "s"


def check_port_free(host: str, port: int) -> None:
    """Fail early, with a clear message, when the port is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port} ({exc.strerror}); stop what uses it or pass --port"
            ) from None


def run_server(settings: Settings, db: Database, host: str, port: int) -> None:
    """Serve the app with Uvicorn until interrupted."""
    from truce import serving
    from truce.app import create_app
    from truce.integrity import distribute

    if settings.password_hashing == "fast":  # noqa: S105 - a hashing profile, not a password
        err.print(
            "[bold red]warning:[/] TRUCE_PASSWORD_HASHING=fast hashes new passwords at the test suite's cost, "
            "which any guessing breaks; never serve real accounts with it",
            highlight=False,
        )
    application = create_app(settings, db)
    # Move start-up objects out of the collector's way: full collections over them made the slowest
    # requests several times slower (benchmarks/sites_bbox.py).
    gc.collect()
    gc.freeze()
    # Checkpoints go to the registered witnesses from a thread of their own: a witness that is down delays nothing.
    sender = distribute.Sender(db, application.state.log_signer).start()
    try:
        serving.run(application, host=host, port=port, log_level="info", access_log=False)
    finally:
        sender.stop()


def run_workers(settings: Settings, db: Database, host: str, port: int, workers: int) -> None:
    """Serve with `workers` Uvicorn processes on one port, each with its own pool to the same PostgreSQL database."""
    import os

    from truce import serving
    from truce.config import resolve_secret
    from truce.ledger import keys

    if db.is_sqlite:
        raise ConfigError(WORKERS_NEED_POSTGRESQL)
    # Made once here, before the processes start: each would otherwise race to create the same files.
    resolve_secret(settings)
    keys.load_or_create(settings.data_dir, settings.log_origin)
    db.dispose()
    # The processes read their settings from the environment, as any `truce` does; --data-dir goes with them.
    os.environ["TRUCE_DATA_DIR"] = str(settings.data_dir.resolve())
    serving.run(
        "truce.cli:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )


def worker_app() -> object:
    """The application of one `--workers` process, from the environment `run_workers` prepared."""
    from truce.app import create_app

    application = create_app()
    gc.collect()
    gc.freeze()
    return application


@app.command()
def demo(
    data_dir: DataDir = None,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="load the demo and exit")] = False,
    demo_password: Annotated[str, typer.Option("--demo-password", help="password of the demo accounts")] = "",
) -> None:
    """Load the bundled Nagorno-Karabakh 2020 mission and serve it."""
    from truce.config import resolve_secret
    from truce.demo import loader
    from truce.evidence import stores

    with friendly_errors():
        settings = settings_for(data_dir)
        if not no_serve:
            check_port_free(host, port)
        # Closed however the command ends (a refused secret, say), also when it runs inside another process.
        with open_database(settings, migrate=True) as db:
            resolve_secret(settings)
            password = demo_password or loader.DEMO_PASSWORD
            with db.session() as session:
                report = loader.load(session, password=password, evidence_root=stores.for_settings(settings, db))
            out.print(f"Mission [bold]{report.mission}[/] ready in {settings.data_dir.resolve()}", highlight=False)
            out.print(f"created: {summary(report.created)}" if report.created else "already loaded; nothing changed")
            out.print("Demo accounts (password: " + password + "):", highlight=False)
            for username, role, delegation in report.accounts:
                out.print(f"  {username:<20} {role:<13} {delegation}", highlight=False)
            if no_serve:
                return
            out.print(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", highlight=False)
            run_server(settings, db, host, port)


@app.command()
def serve(data_dir: DataDir = None, host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1) -> None:
    """Serve the web app, the API and the OpenRosa endpoints."""
    with friendly_errors():
        settings = settings_for(data_dir)
        if workers > 1 and settings.effective_database_url().startswith("sqlite"):
            raise ConfigError(WORKERS_NEED_POSTGRESQL)
        check_port_free(host, port)
        with open_database(settings, migrate=False) as db:
            if workers > 1:
                run_workers(settings, db, host, port, workers)
            else:
                run_server(settings, db, host, port)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None) -> None:
    """Apply the database migrations."""
    with friendly_errors():
        open_database(settings_for(data_dir), migrate=True).dispose()
        out.print("database schema is up to date")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="the user's login name")],
    mission: Annotated[str, typer.Option("--mission", help="the mission's slug")],
    role: Annotated[str, typer.Option("--role", help="admin, monitor, verifier, liaison, humanitarian, analyst")],
    delegation: Annotated[str, typer.Option("--delegation", help="the delegation's code")],
    digest_login: Annotated[
        bool, typer.Option("--digest", help="also allow HTTP Digest logins to the OpenRosa endpoints")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a user; the password is read from standard input."""
    from truce.errors import NotFound
    from truce.missions import service as missions_service
    from truce.policy import Actor
    from truce.users import service as users_service

    with friendly_errors():
        password = read_password()
        with open_database(settings_for(data_dir), migrate=False) as db, db.session() as session:
            found = missions_service.get_by_slug(session, mission)
            if found is None:
                raise NotFound(f"no mission with slug {mission!r}")
            users_service.create(
                session, name, password, mission=found, role=role, delegation_code=delegation,
                actor=Actor.system(), digest_login=digest_login,
            )  # fmt: skip
        out.print(f"user {name} created: {role} in {mission}, delegation {delegation}", highlight=False)


@user_app.command("digest")
def user_digest(
    name: Annotated[str, typer.Argument(help="the user's login name")],
    off: Annotated[bool, typer.Option("--off", help="turn Digest off: only HTTP Basic logs the account in")] = False,
    data_dir: DataDir = None,
) -> None:
    """Allow HTTP Digest logins to the OpenRosa endpoints (the account's password from standard input proves it)."""
    from truce.errors import NotFound
    from truce.policy import Actor
    from truce.users import service as users_service

    with friendly_errors():
        password = "" if off else read_password()
        with open_database(settings_for(data_dir), migrate=False) as db, db.session() as session:
            user = users_service.get_by_name(session, name)
            if user is None:
                raise NotFound(f"no user named {name!r}")
            if off:
                users_service.disable_digest(session, user, actor=Actor.system())
            else:
                users_service.enable_digest(session, user, password, actor=Actor.system())
        out.print(f"HTTP Digest {'off' if off else 'on'} for {name}", highlight=False)


@user_app.command("operator")
def user_operator(
    name: Annotated[str, typer.Argument(help="the user's login name")],
    off: Annotated[bool, typer.Option("--off", help="the account is no longer an operator")] = False,
    data_dir: DataDir = None,
) -> None:
    """Make an account an operator of the installation (above missions: creates them and names their first
    administrators); a new account's password is read from standard input."""
    from truce.errors import NotFound
    from truce.policy import Actor
    from truce.users import service as users_service

    with friendly_errors():
        with open_database(settings_for(data_dir), migrate=False) as db, db.session() as session:
            user = users_service.get_by_name(session, name)
            if user is None and off:
                raise NotFound(f"no user named {name!r}")
            if user is None:
                users_service.create_operator(session, name, read_password(), actor=Actor.system())
            else:
                users_service.set_operator(session, user, not off, actor=Actor.system())
        out.print(f"{name} is {'no longer ' if off else ''}an operator", highlight=False)


def read_password() -> str:
    """The first line of standard input; prompts when it is a terminal."""
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise ConfigError("no password on standard input; pipe one in, e.g. `echo PASSWORD | truce user add ...`")
    return line


def main() -> None:
    """Entry point of the `truce` script."""
    app()
