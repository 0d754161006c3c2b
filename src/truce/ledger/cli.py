"""`truce log …`: verify the record, sign checkpoints, and the party-side audit and cosigning."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from truce import console
from truce.errors import ConfigError

# What the commands work with is imported when one runs: `truce --help` loads neither the tables nor pyxform.
if TYPE_CHECKING:
    import httpx2 as httpx
    from rich.progress import Progress
    from sqlalchemy.orm import Session

    from truce.ledger import note

app = typer.Typer(help="The tamper-evident log.", no_args_is_help=True)
SHOWN = 200

Token = Annotated[
    str | None, typer.Option("--token", help="a bearer token (default: $TRUCE_TOKEN)", show_default=False)
]
ServerKey = Annotated[str, typer.Option("--server-key", help="the server's verifier key, as published")]


@app.command("verify")
def verify_command(
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
    checkpoint: Annotated[
        Path | None, typer.Option("--checkpoint", help="also prove the log extends this saved checkpoint")
    ] = None,
) -> None:
    """Rebuild the tree and check every entry, checkpoint, cosignature and record."""
    from truce.ledger import keys
    from truce.ledger.verify import verify
    from truce.models import LOGGED

    with console.friendly_errors():
        settings = console.settings_for(data_dir)
        db = console.open_database(settings, migrate=False)
        server = keys.load(settings.data_dir).verifier()
        with db.session(write=False) as session, _spinner() as progress:
            task = progress.add_task("verifying the log", total=None)
            report = verify(
                session,
                server,
                LOGGED,
                progress=lambda what, n: progress.update(task, description=f"{what}: {n:,}"),
                evidence_root=settings.data_dir,
            )
            if checkpoint is not None:
                report.problems.extend(_saved_checkpoint_problems(session, server, checkpoint))
    summary = (
        f"{report.entries:,} entries, {report.checkpoints} checkpoints, "
        f"{report.cosignatures} cosignatures, {report.records:,} records, {report.files:,} evidence files checked"
    )
    if report.intact:
        console.out.print(f"intact: {summary}", highlight=False)
        return
    console.out.print(f"NOT INTACT: {len(report.problems)} problems ({summary})", highlight=False)
    for problem in report.problems[:SHOWN]:
        console.out.print(f"  - {problem}", highlight=False, soft_wrap=True)
    if len(report.problems) > SHOWN:
        console.out.print(f"  … and {len(report.problems) - SHOWN} more of the same kinds", highlight=False)
    raise typer.Exit(1)


def _saved_checkpoint_problems(session: Session, server: note.Verifier, path: Path) -> list[str]:
    from truce.ledger import audit as party
    from truce.ledger import merkle
    from truce.ledger import service as ledger

    try:
        saved = party.open_checkpoint(path.read_text(), server).checkpoint
    except (OSError, party.AuditError) as exc:
        return [f"saved checkpoint {path}: {exc}"]
    size, root = ledger.current_root(session)
    if saved.size > size:
        return [f"saved checkpoint {path}: it covers {saved.size} entries but the log holds {size} (rolled back)"]
    proof = [bytes.fromhex(h) for h in ledger.consistency(session, saved.size, size)["hashes"]]
    if not merkle.verify_consistency(saved.size, size, saved.root_hash, root, proof):
        return [f"saved checkpoint {path}: the log does not extend it (the record was rewritten)"]
    return []


def _spinner() -> Progress:
    from rich.progress import Progress, SpinnerColumn, TextColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True, console=console.err)


@app.command("checkpoint")
def checkpoint_command(data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None) -> None:
    """Print a freshly signed checkpoint, with its cosignatures."""
    from truce.ledger import keys
    from truce.ledger import service as ledger

    with console.friendly_errors():
        settings = console.settings_for(data_dir)
        db = console.open_database(settings, migrate=False)
        signer = keys.load_or_create(settings.data_dir, settings.log_origin)
        with db.session() as session:
            stored = ledger.checkpoint(session, signer)
            text = ledger.checkpoint_with_cosignatures(session, stored)
    typer.echo(text, nl=False)


@app.command("key")
def key_command(data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None) -> None:
    """Print the server's verifier key, to hand to every party."""
    from truce.config import prepare_data_dir
    from truce.ledger import keys

    with console.friendly_errors():
        settings = console.settings_for(data_dir)
        prepare_data_dir(settings)
        typer.echo(keys.load_or_create(settings.data_dir, settings.log_origin).verifier_text())


@app.command("keygen")
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


@app.command("witness")
def witness_command(
    vkey: Annotated[str, typer.Argument(help="the delegation's cosigner key (from `truce log keygen`)")],
    delegation: Annotated[str, typer.Option("--delegation", help="whose key it is, for people to read")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
) -> None:
    """Register a delegation's cosigning key (operator)."""
    from truce.ledger import service as ledger
    from truce.policy import Actor

    with console.friendly_errors():
        db = console.open_database(console.settings_for(data_dir), migrate=False)
        with db.session() as session:
            witness = ledger.add_witness(session, vkey, delegation, actor=Actor.system())
        console.out.print(f"witness key {witness.key_name} registered for {delegation}", highlight=False)


def _client(url: str, token: str | None) -> httpx.Client:
    import httpx2 as httpx

    token = token or os.environ.get("TRUCE_TOKEN")
    if not token:
        raise ConfigError("the log is read by logged-in users: pass --token or set TRUCE_TOKEN")
    return httpx.Client(base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _server_key(text: str) -> note.Verifier:
    from truce.ledger import note

    try:
        return note.Verifier.from_text(text.strip())
    except note.NoteError as exc:
        raise ConfigError(f"--server-key: {exc}") from None


@app.command("audit")
def audit_command(
    url: Annotated[str, typer.Argument(help="the Truce server, e.g. https://truce.example.org")],
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="a checkpoint you saved earlier")],
    server_key: ServerKey,
    token: Token = None,
    save: Annotated[bool, typer.Option("--save", help="replace the saved checkpoint with the new one")] = False,
) -> None:
    """Prove, from your own machine, that the server's log extends a checkpoint you kept."""
    from truce.ledger import audit as party

    with console.friendly_errors():
        verifier = _server_key(server_key)
        try:
            saved_text = checkpoint.read_text()
        except OSError as exc:
            raise ConfigError(f"cannot read {checkpoint}: {exc.strerror}") from None
        # Closed when done: an in-process caller (the tests) would otherwise be left with open sockets.
        with _client(url, token) as client:
            try:
                saved, current = party.audit(client, verifier, saved_text)
            except party.AuditError as exc:
                console.err.print(f"[bold red]FAILED:[/] {exc}", highlight=False)
                raise typer.Exit(1) from None
        if save:
            checkpoint.write_text(current.text)
    console.out.print(
        f"consistent: the log of {current.checkpoint.size:,} entries extends your checkpoint of "
        f"{saved.checkpoint.size:,}",
        highlight=False,
    )


@app.command("cosign")
def cosign_command(
    url: Annotated[str, typer.Argument(help="the Truce server")],
    key: Annotated[Path, typer.Option("--key", help="your delegation's private key file")],
    server_key: ServerKey,
    token: Token = None,
    state: Annotated[Path | None, typer.Option("--state", help="last cosigned checkpoint (default: KEY.state)")] = None,
) -> None:
    """Cosign the latest checkpoint, after proving it extends the last one you cosigned."""
    from truce.ledger import audit as party
    from truce.ledger import note

    with console.friendly_errors():
        try:
            signer = note.Signer.from_text(key.read_text().strip())
        except (OSError, note.NoteError) as exc:
            raise ConfigError(f"cannot use the key in {key}: {exc}") from None
        with _client(url, token) as client:
            try:
                signed = party.cosign(client, signer, _server_key(server_key), state or key.with_suffix(".state"))
            except party.AuditError as exc:
                console.err.print(f"[bold red]REFUSED:[/] {exc}", highlight=False)
                raise typer.Exit(1) from None
    console.out.print(
        f"cosigned the checkpoint of {signed.checkpoint.size:,} entries as {signer.name}", highlight=False
    )
