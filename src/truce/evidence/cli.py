"""`truce evidence move`: a mission's evidence files from one store to the other (evidence/stores.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from truce import console

app = typer.Typer(help="Evidence files: where they are kept.", no_args_is_help=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data directory (default: $TRUCE_DATA_DIR or ./truce-data)")
]
SHOWN = 200
MB = 1024 * 1024


@app.command("move")
def move_command(
    mission_slug: Annotated[str, typer.Option("--mission", help="the mission's slug, e.g. nk-2020")],
    to: Annotated[
        Literal["postgres", "files"],
        typer.Option("--to", help="postgres: into the database; files: into the data directory"),
    ],
    delete_source: Annotated[
        bool,
        typer.Option("--delete-source", help="remove each file from the other store once it arrived intact"),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Copy a mission's evidence files into the other store, reading each back and checking its SHA-256 there."""
    from truce.evidence import move, stores

    source_kind: stores.StoreKind = "files" if to == "postgres" else "postgres"
    with console.friendly_errors():
        settings = console.settings_for(data_dir)
        with console.open_database(settings, migrate=False) as db:
            source = stores.for_settings(settings, db, source_kind)
            target = stores.for_settings(settings, db, to)
            with db.session(write=False) as session:
                mission = console.mission_by_slug(session, mission_slug)
                moved = move.move(session, mission, source, target, delete_source=delete_source)
    console.out.print(
        f"{mission_slug}: {moved.copied:,} evidence files moved to {to} ({moved.copied_bytes / MB:.1f} MB), "
        f"each read back there and checked against its SHA-256; {moved.present:,} were there already and intact"
        + (f"; {moved.deleted:,} removed from {source_kind}" if delete_source else ""),
        highlight=False,
    )
    if moved.problems:
        console.out.print(f"NOT MOVED: {len(moved.problems)} files:", highlight=False)
        for problem in moved.problems[:SHOWN]:
            console.out.print(f"  - {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    if settings.evidence_store != to:
        console.out.print(
            f"The servers still read evidence from {settings.evidence_store}: set TRUCE_EVIDENCE_STORE={to} and "
            "restart them.",
            highlight=False,
        )
