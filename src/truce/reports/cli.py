"""`truce report`: daily situation reports, public bulletins, and checking a bulletin against the log."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from truce import console
from truce.errors import BadRequest, Invalid

# The reports' service (WeasyPrint, matplotlib, the tables) is imported when a command runs, not for `--help`.

app = typer.Typer(help="Daily situation reports and public bulletins.", no_args_is_help=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data directory (default: $TRUCE_DATA_DIR or ./truce-data)")
]
Slug = Annotated[str, typer.Argument(help="the mission's slug, e.g. nk-2020")]
Day = Annotated[str, typer.Option("--date", help="the day, YYYY-MM-DD, in the mission's time zone")]
Out = Annotated[Path, typer.Option("--out", help="write the document to FILE")]


@app.command("daily")
def daily_command(
    slug: Slug,
    day: Day,
    out: Out,
    file_format: Annotated[str, typer.Option("--format", help="html or pdf")] = "pdf",
    as_user: Annotated[str | None, typer.Option("--as", help="generate as this user (default: the operator)")] = None,
    language: Annotated[str, typer.Option("--language", help="the report's language: en or ru")] = "en",
    data_dir: DataDir = None,
) -> None:
    """Generate the daily situation report of a day in a language; it is stored and its hash logged."""
    from truce.policy import Actor
    from truce.reports import service

    with console.friendly_errors():
        on = _date(day)
        if file_format not in ("html", "pdf"):
            raise BadRequest(f"unknown report format {file_format!r}; use html or pdf")
        if language not in ("en", "ru"):
            raise BadRequest(f"unknown language {language!r}; use en or ru")
        db = console.open_database(console.settings_for(data_dir), migrate=False)
        try:
            with db.session() as session:
                mission = console.mission_by_slug(session, slug)
                actor = Actor.system(mission.id) if as_user is None else console.member(session, mission, as_user)
                report = service.create_daily(session, mission, on, file_format, actor=actor, locale=language)
                _write(out, report.content)
        finally:
            db.dispose()
        console.err.print(f"daily report of {slug} for {on.isoformat()} ({file_format}, {report.size:,} bytes, "
                          f"sha256 {report.sha256}) written to {out}", highlight=False, markup=False)  # fmt: skip


@app.command("bulletin")
def bulletin_command(
    slug: Slug,
    day: Day,
    as_user: Annotated[str, typer.Option("--as", help="the verifier who publishes it")],
    out: Out,
    data_dir: DataDir = None,
) -> None:
    """Publish the public bulletin of a day, built from public records as the log holds them now."""
    from truce.reports import service

    with console.friendly_errors():
        on = _date(day)
        db = console.open_database(console.settings_for(data_dir), migrate=False)
        try:
            with db.session() as session:
                mission = console.mission_by_slug(session, slug)
                report = service.publish_bulletin(session, mission, on, actor=console.member(session, mission, as_user))
                _write(out, report.content)
        finally:
            db.dispose()
        console.err.print(f"bulletin of {slug} for {on.isoformat()} published at log size {report.log_size} "
                          f"(sha256 {report.sha256}), written to {out}", highlight=False, markup=False)  # fmt: skip


@app.command("check")
def check_command(
    file: Annotated[Path, typer.Argument(help="the bulletin (HTML) to check")],
    data_dir: DataDir = None,
) -> None:
    """Rebuild a bulletin from the log at the size it names and compare byte for byte; exit 1 when they differ."""
    from truce.reports import service

    with console.friendly_errors():
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise BadRequest(f"cannot read {file}: {exc.strerror or exc}") from None
        db = console.open_database(console.settings_for(data_dir), migrate=False)
        try:
            with db.session(write=False) as session:
                try:
                    result = service.check_bulletin(session, content)
                except Invalid as exc:
                    console.err.print(f"FAILED: {file}: {exc.detail}", highlight=False, markup=False)
                    raise typer.Exit(1) from None
        finally:
            db.dispose()
    if not result.ok:
        console.err.print(f"FAILED: {file}: {result.message}", highlight=False, markup=False)
        raise typer.Exit(1)
    console.out.print(f"OK: {file}: {result.message}", highlight=False, markup=False)


def _date(text: str) -> date:
    # limits imports FastAPI's parameter types: only a command that reads a day pays for them.
    from truce import limits

    try:
        return limits.check_day(date.fromisoformat(text), "--date")
    except ValueError:
        raise BadRequest(f"--date must be a day written YYYY-MM-DD, e.g. 2020-11-21, not {text!r}") from None


def _write(path: Path, content: bytes) -> None:
    """Write beside `path` and move over it only when complete, so no half document is ever left."""
    if path.is_dir():
        raise BadRequest(f"cannot write to {path}: it is a directory")
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        partial.write_bytes(content)
        os.replace(partial, path)
    except OSError as exc:
        raise BadRequest(f"cannot write to {path}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
