"""`truce patrol`: a patrol's track imported from a GPX file, and its deviation from the plan printed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from truce import console

# The patrols' service (numpy, pyproj, the tables) is imported when a command runs, not for `--help`.

app = typer.Typer(help="Patrols: tracks and their deviation from the plan.", no_args_is_help=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data directory (default: $TRUCE_DATA_DIR or ./truce-data)")
]
Slug = Annotated[str, typer.Argument(help="the mission's slug, e.g. nk-2020")]
PatrolId = Annotated[int, typer.Argument(help="the patrol's id", min=1)]
AsUser = Annotated[str | None, typer.Option("--as", help="act as this user (default: the operator)")]


@app.command("import-gpx")
def import_gpx_command(
    slug: Slug,
    patrol_id: PatrolId,
    file: Annotated[Path, typer.Argument(help="the GPX file (trk/trkseg/trkpt, with or without times)")],
    as_user: AsUser = None,
    data_dir: DataDir = None,
) -> None:
    """Add the track a GPX file holds to a patrol; a bad file is refused with the reason and nothing is stored."""
    from truce.errors import Invalid
    from truce.evidence import stores
    from truce.evidence.store import MB
    from truce.patrols import uploads
    from truce.policy import Actor

    with console.friendly_errors():
        settings = console.settings_for(data_dir)
        if not file.is_file():
            raise Invalid(f"{file} is not a readable file", "file")
        db = console.open_database(settings, migrate=False)
        try:
            with db.session() as session, file.open("rb") as handle:
                mission = console.mission_by_slug(session, slug)
                actor = Actor.system(mission.id) if as_user is None else console.member(session, mission, as_user)
                track = uploads.import_gpx(
                    session, mission, patrol_id, handle, file.name, evidence=stores.for_settings(settings, db),
                    limit=settings.max_upload_mb * MB, actor=actor,
                )  # fmt: skip
                summary = (f"track {track.id} of patrol {patrol_id}: {track.point_count:,} points, "
                           f"{track.length_m / 1000:.1f} km, {'timed' if track.timed else 'untimed'}")  # fmt: skip
        finally:
            db.dispose()
        console.out.print(summary, highlight=False, markup=False)


@app.command("deviations")
def deviations_command(slug: Slug, patrol_id: PatrolId, as_user: AsUser = None, data_dir: DataDir = None) -> None:
    """Print where each track of a patrol left the buffer around its route, and the places it did not reach."""
    from truce.patrols import service
    from truce.policy import Actor

    with console.friendly_errors():
        db = console.open_database(console.settings_for(data_dir), migrate=False)
        try:
            with db.session() as session:
                mission = console.mission_by_slug(session, slug)
                actor = Actor.system(mission.id) if as_user is None else console.member(session, mission, as_user)
                patrol, compared = service.deviations(session, mission, patrol_id, actor=actor)
                lines = [f"patrol {patrol.id} ({patrol.name}), buffer {patrol.buffer_m:.0f} m"]
                for track, found in compared:
                    lines.append(f"track {track.id}: {found.length_km:.1f} km, {len(found.segments)} outside")
                    for s in found.segments:
                        when = f", {s.duration_min:.0f} min from {s.left_at:%H:%M}Z" if s.left_at else ""
                        lines.append(f"  {s.distance_km:.2f} km off the route, {s.length_km:.2f} km travelled{when}")
                    missed = [p.name for p in found.places if not p.reached]
                    if missed:
                        lines.append(f"  not reached: {', '.join(missed)}")
        finally:
            db.dispose()
        for line in lines:
            console.out.print(line, highlight=False, markup=False)
