"""`truce device add|list|revoke`: phones for field collection, their tokens and QR codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from truce.console import friendly_errors, mission_by_slug, open_database, out, settings_for

# The devices module and pyxform are imported when a command runs, not for `truce --help`.

app = typer.Typer(help="Phones that submit with ODK Collect, KoboCollect or Enketo.", no_args_is_help=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data directory (default: $TRUCE_DATA_DIR or ./truce-data)")
]
MissionSlug = Annotated[str, typer.Option("--mission", help="the mission's slug")]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="the device's name, e.g. post-7-phone")],
    mission: MissionSlug,
    delegation: Annotated[str, typer.Option("--delegation", help="the delegation's code")],
    role: Annotated[str, typer.Option("--role", help="monitor or humanitarian")] = "monitor",
    form: Annotated[
        list[str] | None, typer.Option("--form", help="incident, checkpoint or patrol; repeat; all when absent")
    ] = None,
    server: Annotated[
        str, typer.Option("--server", help="the address phones reach Truce at")
    ] = "http://127.0.0.1:8000",
    data_dir: DataDir = None,
) -> None:
    """Register a phone; prints its token and a QR code of ODK Collect's settings, once."""
    from truce.openrosa import devices
    from truce.policy import Actor

    with friendly_errors():
        with open_database(settings_for(data_dir), migrate=False) as db, db.session() as session:
            found = mission_by_slug(session, mission)
            added = devices.add_device(
                session, found, name, delegation_code=delegation, role=role, forms=form,
                actor=Actor.system(found.id),
            )  # fmt: skip
            title = found.name
        server_url = f"{server.rstrip('/')}/openrosa/{mission}"
        payload = devices.settings_payload(devices.collect_settings(server_url, added.username, added.token, title))
        out.print(f"device {name} added: {role} of delegation {delegation} in {mission}", highlight=False)
        out.print(f"server:   {server_url}", highlight=False)
        out.print(f"username: {added.username}", highlight=False)
        out.print(f"token:    {added.token}   (shown once; only its hash is kept)", highlight=False)
        out.print("Scan with ODK Collect (Configure with QR code):", highlight=False)
        typer.echo(devices.qr_terminal(payload))


@app.command("list")
def list_command(mission: MissionSlug, data_dir: DataDir = None) -> None:
    """The mission's devices: id, name, state, forms and the account each logs in with."""
    from truce.openrosa import devices
    from truce.policy import Actor

    with (
        friendly_errors(),
        open_database(settings_for(data_dir), migrate=False) as db,
        db.session(write=False) as session,
    ):
        found = mission_by_slug(session, mission)
        for device in devices.list_devices(session, found, actor=Actor.system(found.id)):
            state = f"revoked {device.revoked_at:%Y-%m-%d %H:%M}" if device.revoked_at else "active"
            account = devices.account_name(session, device)
            line = f"{device.id:>4}  {device.name:<30} {state:<24} {' '.join(device.forms)}  {account}"
            out.print(line, highlight=False)


@app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="the device's name")], mission: MissionSlug, data_dir: DataDir = None
) -> None:
    """Stop a device at once."""
    from truce.openrosa import devices
    from truce.policy import Actor

    with friendly_errors():
        with open_database(settings_for(data_dir), migrate=False) as db, db.session() as session:
            found = mission_by_slug(session, mission)
            actor = Actor.system(found.id)
            device = devices.get_device_by_name(session, found, name, actor=actor)
            devices.revoke_device(session, found, device.id, actor=actor)
        out.print(f"device {name} revoked in {mission}", highlight=False)
