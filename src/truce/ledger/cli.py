"""`truce log …` commands that need only the log: sign checkpoints, print keys, register witnesses.

The `truce log` group itself, with the commands that check the whole record, is `truce.integrity.cli`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from truce import console
from truce.errors import ConfigError


def checkpoint_command(data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None) -> None:
    """Print a freshly signed checkpoint, with its cosignatures."""
    from truce.ledger import keys
    from truce.ledger import service as ledger

    with console.friendly_errors():
        settings = console.settings_for(data_dir)
        signer = keys.load_or_create(settings.data_dir, settings.log_origin)
        with console.open_database(settings, migrate=False) as db, db.session() as session:
            stored = ledger.checkpoint(session, signer)
            text = ledger.checkpoint_with_cosignatures(session, stored)
    typer.echo(text, nl=False)


def key_command(data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None) -> None:
    """Print the server's verifier key, to hand to every party."""
    from truce.config import prepare_data_dir
    from truce.ledger import keys

    with console.friendly_errors():
        settings = console.settings_for(data_dir)
        prepare_data_dir(settings)
        typer.echo(keys.load_or_create(settings.data_dir, settings.log_origin).verifier_text())


def keygen_command(
    name: Annotated[str, typer.Argument(help="the key's name, e.g. witness.am.example/2020")],
    out: Annotated[Path, typer.Option("--out", help="where to write the private key (mode 0600)")],
) -> None:
    """Create a delegation's cosigning key; prints the public key to register with the operator."""
    from truce.ledger import note

    with console.friendly_errors():
        try:
            signer = note.generate_signer(name)
        except note.NoteError as exc:
            raise ConfigError(f"bad key name: {exc}") from None
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise ConfigError(f"cannot create {out}: {exc.strerror}; it may exist already") from None
        with os.fdopen(fd, "w") as handle:
            handle.write(signer.to_text() + "\n")
    typer.echo(signer.cosigner_verifier_text())


def witness_command(
    vkey: Annotated[str, typer.Argument(help="the delegation's cosigner key (from `truce log keygen`)")],
    delegation: Annotated[str, typer.Option("--delegation", help="whose key it is, for people to read")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="where its `truce witness serve` listens: checkpoints are sent there")
    ] = None,
) -> None:
    """Register a delegation's cosigning key (operator)."""
    from truce.ledger import service as ledger
    from truce.policy import Actor

    with console.friendly_errors():
        with console.open_database(console.settings_for(data_dir), migrate=False) as db, db.session() as session:
            witness = ledger.add_witness(session, vkey, delegation, actor=Actor.system(), url=url)
        console.out.print(f"witness key {witness.key_name} registered for {delegation}", highlight=False)
