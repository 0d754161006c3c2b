"""`truce witness serve`: a delegation's C2SP tlog-witness, on its own machine, with its own key and state."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from truce import console
from truce.errors import ConfigError

app = typer.Typer(help="A delegation's witness (C2SP tlog-witness).", no_args_is_help=True)


@app.command("serve")
def serve_command(
    key: Annotated[Path, typer.Option("--key", help="the witness's private key (from `truce log keygen`)")],
    data_dir: Annotated[Path, typer.Option("--data-dir", help="the witness's own state")],
    port: Annotated[int, typer.Option("--port")] = 8070,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    log: Annotated[
        list[str] | None, typer.Option("--log", help="a log key (vkey) to trust; kept in the data directory")
    ] = None,
) -> None:
    """Cosign checkpoints that extend the last one cosigned; answer POST /api/v1/log/witness/add-checkpoint."""
    from truce import serving
    from truce.integrity.witness import Witness
    from truce.integrity.witness import app as witness_app
    from truce.ledger import note

    with console.friendly_errors():
        try:
            signer = note.Signer.from_text(key.read_text().strip())
        except (OSError, note.NoteError) as exc:
            raise ConfigError(f"cannot use the key in {key}: {exc}") from None
        witness = Witness(data_dir, signer)
        for vkey in log or []:
            try:
                witness.trust(vkey)
            except note.NoteError as exc:
                raise ConfigError(f"--log {vkey}: {exc}") from None
        if not witness.logs():
            raise ConfigError("the witness trusts no log yet: pass --log with the server's key (`truce log key`)")
        console.err.print(
            f"witness {signer.name} cosigning {', '.join(witness.logs())} on http://{host}:{port}", highlight=False
        )
    serving.run(witness_app(witness), host=host, port=port, log_level="warning")
