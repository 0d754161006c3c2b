"""Real `truce serve` processes over one database, and the phones and clients that talk to them (issue 23)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from forkserver import Child, popen
from support import clean_env, free_port, truce, wait_for_health
from truce.backup.archive import KEY_FILES

JPEG_START, JPEG_END = bytes.fromhex("ffd8ffe000104a46494600010100000100010000"), b"\xff\xd9"
OPENROSA = {"X-OpenRosa-Version": "1.0"}
SUBMISSION = "/openrosa/nk-2020/submission"
INCIDENTS = "/api/v1/missions/nk-2020/incidents"


@dataclass
class Deployment:
    """A data directory and the database it serves, with the demo loaded and one phone added."""

    data_dir: Path
    env: dict[str, str]
    phone_auth: tuple[str, str]

    @property
    def database_url(self) -> str:
        return self.env.get("TRUCE_DATABASE_URL") or f"sqlite:///{self.data_dir / 'truce.db'}"


@dataclass
class Server:
    url: str
    process: Child
    log: Path

    def kill(self) -> None:
        """kill -9: no shutdown, no flush, no goodbye."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def deploy(data_dir: Path, env: dict[str, str]) -> Deployment:
    """`truce demo --no-serve` and `truce device add` as an operator runs them."""
    loaded = truce("demo", "--no-serve", "--data-dir", str(data_dir), env=env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    added = truce("device", "add", "field-phone", "--mission", "nk-2020", "--delegation", "ru",
                  "--data-dir", str(data_dir), env=env)  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    username = re.search(r"username: (\S+)", added.stdout)
    token = re.search(r"token:\s+(\S+)", added.stdout)
    assert username is not None, added.stdout
    assert token is not None, added.stdout
    return Deployment(data_dir, env, (username.group(1), token.group(1)))


def machine(deployment: Deployment, data_dir: Path) -> Deployment:
    """Another machine's data directory for the same site: only the secret key and the log's signing key, copied
    as an operator copies them; every other state is in the shared database (evidence too, with
    TRUCE_EVIDENCE_STORE=postgres)."""
    data_dir.mkdir(parents=True, mode=0o700)
    for name in KEY_FILES:
        if (deployment.data_dir / name).is_file():  # the tests' secret comes from TRUCE_SECRET_KEY, not a file
            (data_dir / name).write_bytes((deployment.data_dir / name).read_bytes())
            (data_dir / name).chmod(0o600)
    return Deployment(data_dir, deployment.env, deployment.phone_auth)


@contextmanager
def serving(deployment: Deployment, log: Path, *extra: str) -> Iterator[Server]:
    """`truce serve` on a free loopback port until the block ends (or the test kills it)."""
    port = free_port()
    command = [sys.executable, "-m", "truce", "serve", "--data-dir", str(deployment.data_dir), "--port", str(port)]
    with log.open("wb") as stderr:
        process = popen([*command, *extra], env=clean_env(deployment.env), stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        wait_for_health(process, port)
        yield Server(f"http://127.0.0.1:{port}", process, log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def photo(size: int) -> bytes:
    """A JPEG-looking file of `size` bytes, different every time."""
    return JPEG_START + os.urandom(max(size - len(JPEG_START) - len(JPEG_END), 16)) + JPEG_END


def phone_report(photo_name: str, instance_id: str | None = None) -> bytes:
    """The instance XML ODK Collect sends for the demo's incident form, with a photo."""
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    return (
        '<data xmlns="http://www.w3.org/2002/xforms" id="truce-nk-2020-incident">'
        "<observed>2020-11-20T10:00:00.000+04:00</observed><incident_type>explosion</incident_type>"
        "<subtype>mortar</subtype><source>post</source><means>heard</means><placed_by>gps</placed_by>"
        f"<location>39.85 46.75 1200 5</location><classification>mission</classification><photo>{photo_name}</photo>"
        f"<meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()


def shelling() -> dict[str, object]:
    properties = {"type": "explosion", "subtype": "mortar", "start": "2020-11-20T14:30:00+04:00",
                  "source": "post", "means": "seen_and_heard", "narrative": "Impacts near the post."}  # fmt: skip
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [46.80, 39.90]}, "properties": properties}
