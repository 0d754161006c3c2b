"""`truce backup --out DIR` and `truce restore DIR`: the commands over `archive` and `restore`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from truce import console

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data directory (default: $TRUCE_DATA_DIR or ./truce-data)")
]
SHOWN = 200
MB = 1024 * 1024


def backup_command(
    out: Annotated[Path, typer.Option("--out", help="a new or empty directory to write the backup into")],
    data_dir: DataDir = None,
) -> None:
    """Write a consistent copy (database, evidence files, keys, a fresh checkpoint) while the server runs."""
    from truce.backup import archive

    with console.friendly_errors():
        settings = console.settings_for(data_dir)
        with console.open_database(settings, migrate=False) as db:
            written = archive.write(settings, db, out)
    console.out.print(
        f"backup written to {out}: {written.backend} database ({written.database_bytes / MB:.1f} MB), "
        f"{written.evidence_files:,} evidence files ({written.evidence_bytes / MB:.1f} MB), "
        f"checkpoint of {written.checkpoint_size:,} entries",
        highlight=False,
    )
    if written.damaged:
        console.out.print(
            f"WARNING: {len(written.damaged)} evidence files no longer match their hash and were left out:",
            highlight=False,
        )
        for sha256 in written.damaged[:SHOWN]:
            console.out.print(f"  - {sha256}", highlight=False)
        raise typer.Exit(1)


def restore_command(
    source: Annotated[Path, typer.Argument(help="the backup directory `truce backup --out` wrote")],
    data_dir: DataDir = None,
) -> None:
    """Restore a backup into an empty data directory (and empty database), then verify the whole record."""
    from truce.backup import restore

    with console.friendly_errors():
        settings = console.settings_for(data_dir)
        restored = restore.restore(settings, source)
    report = restored.report
    summary = (
        f"{report.entries:,} entries, {report.checkpoints} checkpoints, {report.records:,} records, "
        f"{report.files:,} evidence files checked; the log extends the backup's checkpoint of "
        f"{restored.checkpoint_size:,} entries"
    )
    if restored.intact:
        console.out.print(f"restored into {settings.data_dir} and verified intact: {summary}", highlight=False)
        return
    problems = restored.problems + report.problems
    console.out.print(
        f"RESTORED BUT NOT INTACT: {len(problems)} problems; do not serve this copy ({summary})", highlight=False
    )
    for problem in problems[:SHOWN]:
        console.out.print(f"  - {problem}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)
