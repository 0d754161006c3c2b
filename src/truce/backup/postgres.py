"""PostgreSQL's own tools for a consistent copy: `pg_dump` out of a running database, `pg_restore` into an empty one."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine

from truce.errors import ConfigError

# PostGIS keeps its table of coordinate systems in the public schema; an empty database may hold it.
EXTENSION_TABLES = {"spatial_ref_sys"}
DEBIAN_BINARIES = Path("/usr/lib/postgresql")


def tool(name: str, bin_dir: Path | None) -> str:
    """The path of `pg_dump` or `pg_restore`: in `bin_dir`, on PATH, or the newest of Debian's versions."""
    if bin_dir is not None:
        found = bin_dir / name
        if not found.is_file():
            raise ConfigError(f"no {name} in TRUCE_PG_BIN_DIR={bin_dir}")
        return str(found)
    on_path = shutil.which(name)
    if on_path is not None:
        return on_path
    versions = sorted(DEBIAN_BINARIES.glob(f"*/bin/{name}"), key=_major)
    if versions:
        return str(versions[-1])
    raise ConfigError(f"{name} not found: install PostgreSQL's client tools or set TRUCE_PG_BIN_DIR")


def _major(binary: Path) -> int:
    version = binary.parts[-3]
    return int(version) if version.isdigit() else 0


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq address of a SQLAlchemy URL, without its password, and the environment that carries the password.

    A password on the command line would show in every process listing.
    """
    parsed = make_url(url)
    password = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    environment = {**os.environ}
    if password is not None:
        environment["PGPASSWORD"] = str(password)
    return plain.render_as_string(hide_password=False), environment


def dump(url: str, out: Path, bin_dir: Path | None) -> None:
    """`pg_dump` the database at `url` into `out` (custom format): one snapshot, taken while others write."""
    address, environment = libpq(url)
    command = [tool("pg_dump", bin_dir), "--format=custom", "--no-owner", "--no-privileges", f"--file={out}", address]
    _run(command, environment, "pg_dump")


def restore(url: str, dump_file: Path, bin_dir: Path | None) -> None:
    """`pg_restore` a dump into the (empty) database at `url`, stopping at the first error."""
    address, environment = libpq(url)
    command = [
        tool("pg_restore", bin_dir),
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--no-comments",  # COMMENT ON EXTENSION needs the extension's owner; the comments are PostGIS's own
        f"--dbname={address}",
        str(dump_file),
    ]
    _run(command, environment, "pg_restore")


def tables(engine: Engine) -> list[str]:
    """The tables of the database's public schema, leaving out the extension's own."""
    with engine.connect() as connection:
        names = connection.execute(
            text(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ).scalars()
        return [name for name in names if name not in EXTENSION_TABLES]


def _run(command: list[str], environment: dict[str, str], name: str) -> None:
    try:
        finished = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as exc:
        raise ConfigError(f"could not run {name}: {exc.strerror or exc}") from exc
    if finished.returncode != 0:
        message = " ".join(finished.stderr.strip().splitlines()[-3:]) or f"exit status {finished.returncode}"
        raise ConfigError(f"{name} failed: {message}")
