"""`truce mission`: create a mission from its file, export it back, apply a changed file, list missions.

Only typer and the console at import: `truce --help` stays fast; each command imports what it works with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from truce.console import err, friendly_errors, mission_by_slug, open_database, out, settings_for

app = typer.Typer(help="Missions and their files (docs/mission-file.md).", no_args_is_help=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data directory (default: $TRUCE_DATA_DIR or ./truce-data)")
]
MissionFile = Annotated[Path, typer.Argument(help="the mission file, YAML or JSON", dir_okay=False)]


@app.command("create")
def create_command(
    file: MissionFile,
    admin: Annotated[
        str | None, typer.Option("--admin", help="the mission's first administrator (password from standard input)")
    ] = None,
    admin_delegation: Annotated[
        str | None, typer.Option("--admin-delegation", help="the delegation of the first administrator")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a mission from its file: every problem is reported and nothing is created, or all of it is."""
    from truce.cli import read_password
    from truce.errors import BadRequest
    from truce.missionfile import create, spec
    from truce.policy import Actor

    with friendly_errors():
        checked = spec.read(file)
        first_admin = None
        if (admin is None) != (admin_delegation is None):
            raise BadRequest("--admin and --admin-delegation go together")
        if admin is not None and admin_delegation is not None:
            first_admin = create.FirstAdmin(admin, read_password(), admin_delegation)
        with open_database(settings_for(data_dir), migrate=True) as db, db.session() as session:
            mission, created = create.create(session, checked, actor=Actor.system(), first_admin=first_admin)
            slug = mission.slug
        out.print(f"mission [bold]{slug}[/] created: {summary(created)}", highlight=False)


@app.command("export")
def export_command(
    slug: Annotated[str, typer.Argument(help="the mission's slug")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write here (.json for JSON) instead of standard output")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Write a mission's file: its settings, parties, delegations, agreement and places as they stand."""
    from truce.missionfile import canonical, export

    with friendly_errors():
        with open_database(settings_for(data_dir), migrate=False) as db, db.session(write=False) as session:
            mission = mission_by_slug(session, slug)
            document = export.mission_file(session, mission)
            head = export.header(mission)
        as_json = out_file is not None and out_file.suffix.lower() == ".json"
        text = canonical.dump_json(document) if as_json else canonical.dump_yaml(document, head)
        if out_file is None:
            typer.echo(text, nl=False)
            return
        _write(out_file, text)
        err.print(f"mission {slug} written to {out_file}", highlight=False)


@app.command("apply")
def apply_command(
    slug: Annotated[str, typer.Argument(help="the mission's slug")],
    file: MissionFile,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the changes and change nothing")] = False,
    data_dir: DataDir = None,
) -> None:
    """Show what a changed mission file would change, then apply it (refused whole if any change would orphan
    records)."""
    from truce.missionfile import apply, spec
    from truce.policy import Actor

    with friendly_errors():
        checked = spec.read(file)
        with open_database(settings_for(data_dir), migrate=False) as db, db.session() as session:
            mission = mission_by_slug(session, slug)
            plan = apply.plan(session, mission, checked)
            for line in plan.lines() or ["nothing to change"]:
                out.print(f"  {line}", highlight=False)
            if not dry_run and plan.changes:
                apply.apply(session, mission, plan, actor=Actor.system())
        if dry_run:
            out.print("dry run: nothing changed", highlight=False)
        elif plan.changes:
            out.print(f"mission {slug}: {len(plan.changes)} changes applied", highlight=False)
        if plan.refused:
            err.print(
                f"{len(plan.refused)} changes refused (they would orphan records); the rest applied", highlight=False
            )
            raise typer.Exit(1)


@app.command("list")
def list_command(data_dir: DataDir = None) -> None:
    """List the missions of this installation."""
    from truce.missionfile import listing

    with friendly_errors():
        with open_database(settings_for(data_dir), migrate=False) as db, db.session(write=False) as session:
            rows = listing.missions(session)
        if not rows:
            out.print("no missions yet; create one with `truce mission create FILE`")
        for row in rows:
            label = "illustrative" if row.illustrative else ""
            out.print(
                f"{row.slug:<24} {row.starts_on or ''!s:<10} {row.time_zone:<18} {row.parties:>3} parties "
                f"{row.delegations:>3} delegations {row.users:>4} users {label:<12} {row.name}",
                highlight=False,
            )


def _write(path: Path, text: str) -> None:
    """`text` into a file beside `path`, moved over it when complete: never half a mission file."""
    import os

    from truce.errors import BadRequest

    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        raise BadRequest(f"cannot write to {path}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)


def summary(created: list[str]) -> str:
    """'mission x', 'party ru', 'party tr', 'site A' -> '1 mission, 2 parties, 1 site'."""
    counts: dict[str, int] = {}
    for line in created:
        kind = line.partition(" ")[0]
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{n} {kind if n == 1 else _plural(kind)}" for kind, n in counts.items())


def _plural(kind: str) -> str:
    return kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
