"""`truce export` and `truce import`: open data out of and into a mission, from the command line."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from truce import console
from truce.errors import BadRequest, Forbidden

# What the commands work with is imported when one runs: `truce --help` loads neither the tables nor pyxform.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from truce.incidents.query import IncidentQuery
    from truce.interop.importer import ImportReport
    from truce.missions.models import Mission
    from truce.policy import Actor

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data directory (default: $TRUCE_DATA_DIR or ./truce-data)")
]
Slug = Annotated[str, typer.Argument(help="the mission's slug, e.g. nk-2020")]
AsUser = Annotated[str | None, typer.Option("--as", help="act as this user (see the help above for the default)")]


def export_command(
    slug: Slug,
    file_format: Annotated[str, typer.Option("--format", help="geojson, csv, acled or hxl")],
    out: Annotated[Path | None, typer.Option("--out", help="write to FILE (default: standard output)")] = None,
    as_user: AsUser = None,
    iso: Annotated[str, typer.Option("--iso", help="ACLED `iso` column (ISO 3166 numeric code)")] = "",
    country: Annotated[str, typer.Option("--country", help="ACLED `country` column")] = "",
    region: Annotated[str, typer.Option("--region", help="ACLED `region` column")] = "",
    since: Annotated[str, typer.Option("--since", help="first day, YYYY-MM-DD (the mission's time zone)")] = "",
    until: Annotated[str, typer.Option("--until", help="last day included, YYYY-MM-DD")] = "",
    status: Annotated[str | None, typer.Option("--status", help="only incidents in this status")] = None,
    incident_type: Annotated[str | None, typer.Option("--type", help="only incidents of this type")] = None,
    source: Annotated[str | None, typer.Option("--source", help="a source, or `monitor` (no allegations)")] = None,
    party: Annotated[str | None, typer.Option("--party", help="only incidents alleged against this party")] = None,
    language: Annotated[str, typer.Option("--language", help="language of the names in CSV and HXL: en or ru")] = "en",
    data_dir: DataDir = None,
) -> None:
    """Export the mission's incidents: the public view, or what `--as USER` may read, filtered as the list is."""
    from truce.interop.export import count, selection, view_for
    from truce.interop.formats import EXPORTS

    with console.friendly_errors():
        if file_format not in EXPORTS:
            raise BadRequest(f"unknown export format {file_format!r}; use one of {', '.join(EXPORTS)}")
        if language not in ("en", "ru"):
            raise BadRequest(f"unknown language {language!r}; use en or ru")
        write, events_only = EXPORTS[file_format]
        db = console.open_database(console.settings_for(data_dir), migrate=False)
        try:
            # On the read replica when TRUCE_REPLICA_URL names one that keeps up: an export never writes.
            with db.report_session() as session:
                mission = console.mission_by_slug(session, slug)
                actor = _reader(session, mission, as_user)
                where = _query(mission, since, until, status, incident_type, source, party)
                view = view_for(
                    session, mission, actor, iso=iso, country=country, region=region, where=where, locale=language
                )
                if out is None:
                    with _stdout() as stream:
                        write(session, view, stream, lambda _n: None)
                    return
                # Counting costs a pass over the incidents; only a bar someone watches needs the total.
                total = count(session, selection(view, events_only=events_only)) if _watched() else None
                with _atomic(out) as stream, _bar(f"exporting {file_format}", total) as advance:
                    written = write(session, view, stream, advance)
        finally:
            db.dispose()
        who = f"as {as_user}" if as_user else "public view"
        console.err.print(f"exported {written:,} incidents of {slug} ({who}) to {out}", highlight=False, markup=False)


def _query(
    mission: Mission,
    since: str,
    until: str,
    status: str | None,
    incident_type: str | None,
    source: str | None,
    party: str | None,
) -> IncidentQuery:
    """The export's filters as the query object the list and the map use; days in the mission's time zone."""
    from datetime import UTC, date, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from truce import limits
    from truce.incidents.query import IncidentQuery

    zone = ZoneInfo(mission.time_zone or "UTC")

    def day(text: str, name: str) -> date | None:
        if not text:
            return None
        try:
            return limits.check_day(date.fromisoformat(text), name)
        except ValueError:
            raise BadRequest(f"--{name}: give a day as YYYY-MM-DD, not {text!r}") from None

    def start_of(value: date) -> datetime:
        return datetime.combine(value, time(), tzinfo=zone).astimezone(UTC)

    first, last = day(since, "since"), day(until, "until")
    return IncidentQuery(
        since=start_of(first) if first else None,
        until=start_of(last + timedelta(days=1)) if last else None,
        status=status,
        incident_type=incident_type,
        source=source,
        party=party,
    )


def import_command(
    slug: Slug,
    file: Annotated[Path, typer.Argument(help="the file to import")],
    file_format: Annotated[str, typer.Option("--format", help="acled, ucdp or geojson")],
    as_user: AsUser = None,
    data_dir: DataDir = None,
) -> None:
    """Import ACLED or UCDP GED incidents (CSV) or areas, lines and sites (GeoJSON), as the operator or --as USER.

    Every row that cannot go in is reported with its line (GeoJSON: its index) while the others go in;
    the exit status is then 1. Rows already imported (same event id) are left alone.
    """
    from truce.interop.importer import FORMATS as IMPORT_FORMATS
    from truce.interop.importer import import_file
    from truce.policy import Actor

    with console.friendly_errors():
        if file_format not in IMPORT_FORMATS:
            raise BadRequest(f"unknown import format {file_format!r}; use one of {', '.join(IMPORT_FORMATS)}")
        try:
            stream = file.open("rb")
        except OSError as exc:
            raise BadRequest(f"cannot read {file}: {exc.strerror or exc}") from None
        db = console.open_database(console.settings_for(data_dir), migrate=False)
        try:
            with stream, db.session() as session:
                mission = console.mission_by_slug(session, slug)
                actor = Actor.system(mission.id) if as_user is None else console.member(session, mission, as_user)
                size = os.fstat(stream.fileno()).st_size
                with _bar(f"importing {file.name}", size) as advance:
                    report = import_file(session, mission, stream, str(file), file_format, actor=actor,
                                         progress=advance)  # fmt: skip
        finally:
            db.dispose()
    _print_report(report, slug, "places" if file_format == "geojson" else "incidents")
    if report.problems:
        raise typer.Exit(1)


def _print_report(report: ImportReport, slug: str, what: str) -> None:
    refused = len(report.problems)
    summary = f"imported {report.created:,} {what} into {slug}; {report.unchanged:,} already there"
    console.out.print(f"{summary}; {refused:,} refused" + (":" if refused else ""), highlight=False, markup=False)
    for problem in report.problems:
        console.out.print(f"  {problem}", highlight=False, markup=False)


def _reader(session: Session, mission: Mission, username: str | None) -> Actor:
    """Who the export is for: the public by default, or a member of the mission."""
    from truce.policy import Actor

    if username is not None:
        return console.member(session, mission, username)
    if not mission.public:
        raise Forbidden(f"mission {mission.slug} is not public, so it has no public view; export --as one of its users")
    return Actor.anonymous(mission.id)


@contextmanager
def _stdout() -> Iterator[TextIO]:
    """Standard output as UTF-8 text that csv may write its own line endings to."""
    stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
    try:
        yield stream
        stream.flush()
    except BrokenPipeError:
        # The reader (`head`, say) has had enough; that is not an error of the export.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        stream.detach()


@contextmanager
def _atomic(path: Path) -> Iterator[TextIO]:
    """A file written beside `path` and moved over it only when complete: no half export is ever left."""
    if path.is_dir():
        raise BadRequest(f"cannot write to {path}: it is a directory")
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        stream = partial.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise BadRequest(f"cannot write to {path}: {exc.strerror or exc}") from None
    try:
        with stream:
            yield stream
        os.replace(partial, path)
    except OSError as exc:
        raise BadRequest(f"cannot write to {path}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)


def _watched() -> bool:
    """Whether standard error is a terminal, where a progress bar has someone to watch it."""
    return console.err.is_terminal


@contextmanager
def _bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error; the callback it yields takes how far the work has got."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    # Off when nobody watches: it would only leave a blank line in a log.
    with Progress(*columns, console=console.err, transient=True, disable=not _watched()) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.update(task, completed=done)
