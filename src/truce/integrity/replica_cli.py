"""`truce replica`: a delegation's verifying mirror and witness; `truce replica status` prints its state."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from truce import console
from truce.errors import ConfigError

app = typer.Typer(help="A delegation's verifying mirror of the log and its witness.", invoke_without_command=True)


@app.callback()
def replica_command(
    context: typer.Context,
    server: Annotated[str | None, typer.Option("--server", help="the Truce server")] = None,
    server_key: Annotated[str | None, typer.Option("--server-key", help="the server key you pinned")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="your delegation's account (password: $TRUCE_PASSWORD or stdin)")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="the replica's own data directory")] = None,
    peer: Annotated[list[str] | None, typer.Option("--peer", help="another replica's address")] = None,
    port: Annotated[int, typer.Option("--port")] = 8090,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
) -> None:
    """Mirror and verify the log, serve the copy read-only, witness, and compare checkpoints with the peers."""
    if context.invoked_subcommand is not None:
        return
    import httpx2 as httpx

    from truce import serving
    from truce.integrity import replica as mirror
    from truce.ledger import note

    with console.friendly_errors():
        if not (server and server_key and user and data_dir):
            raise ConfigError("--server, --server-key, --user and --data-dir are needed")
        try:
            pinned = note.Verifier.from_text(server_key.strip())
        except note.NoteError as exc:
            raise ConfigError(f"--server-key: {exc}") from None
        password = os.environ.get("TRUCE_PASSWORD") or sys.stdin.readline().rstrip("\n")
        answer = httpx.post(f"{server.rstrip('/')}/api/v1/auth/token", data={"username": user, "password": password})
        if answer.status_code != 200:
            raise ConfigError(f"the server refused the login of {user} ({answer.status_code})")
        token = answer.json()["access_token"]
        data_dir.mkdir(parents=True, exist_ok=True)
        key_file = data_dir / mirror.KEY
        if not key_file.exists():
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(note.generate_signer(f"replica.{user}").to_text() + "\n")
        signer = note.Signer.from_text(key_file.read_text().strip())
        replica = mirror.Replica(data_dir, pinned, signer)
    console.err.print(
        f"replica of {server} in {data_dir}, witness key {signer.cosigner_verifier_text()}", highlight=False
    )
    client = httpx.Client(base_url=server.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=120)
    stop = threading.Event()
    worker = threading.Thread(target=mirror.run, args=(replica, client, list(peer or []), stop), daemon=True)
    worker.start()
    try:
        serving.run(mirror.app(replica), host=host, port=port, log_level="warning")
    finally:
        stop.set()
        client.close()


@app.command("status")
def status_command(data_dir: Annotated[Path, typer.Option("--data-dir")]) -> None:
    """Print the replica's state: ok, audit_failed or split_view, with the alarms' signed notes."""
    from truce.integrity import replica as mirror
    from truce.ledger import note

    with console.friendly_errors():
        state = data_dir / mirror.STATE
        if not state.exists():
            raise ConfigError(f"{data_dir} holds no replica state yet")
        pinned = note.Verifier.from_text(json.loads(state.read_text())["server_key"])
        signer = note.Signer.from_text((data_dir / mirror.KEY).read_text().strip())
        found = mirror.Replica(data_dir, pinned, signer).status()
    typer.echo(json.dumps(found, indent=1))
    if found["status"] != "ok":
        raise typer.Exit(1)
