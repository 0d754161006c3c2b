"""`truce log …`: verify the whole record, and the party-side audit and cosigning; the group of commands.

The commands that need only the log (checkpoint, key, keygen, witness) live in `truce.ledger.cli`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from truce import console
from truce.errors import ConfigError
from truce.integrity.proof_cli import check_proof_command, policy_command, proof_command
from truce.ledger.cli import checkpoint_command, key_command, keygen_command, witness_command

# What the commands work with is imported when one runs: `truce --help` loads neither the tables nor pyxform, nor
# the evidence stores (asyncio, Pillow).
if TYPE_CHECKING:
    import httpx2 as httpx
    from rich.progress import Progress

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
    server_key: Annotated[
        str | None, typer.Option("--server-key", help="the server key you trust (default: the data directory's)")
    ] = None,
) -> None:
    """Rebuild the tree and check every entry, checkpoint, cosignature and record."""
    from truce.evidence import stores
    from truce.integrity.verify import verify
    from truce.ledger import keys
    from truce.models import LOGGED

    with console.friendly_errors():
        settings = console.settings_for(data_dir)
        server = keys.load(settings.data_dir).verifier()
        pinned = _server_key(server_key) if server_key else None
        saved = None
        if checkpoint is not None:
            try:
                saved = (str(checkpoint), checkpoint.read_text())
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"cannot read {checkpoint}: {exc}") from None
        with (
            console.open_database(settings, migrate=False) as db,
            db.session(write=False) as session,
            _spinner() as progress,
        ):
            task = progress.add_task("verifying the log", total=None)
            report = verify(
                session,
                server,
                LOGGED,
                progress=lambda what, n: progress.update(task, description=f"{what}: {n:,}"),
                evidence_root=stores.for_settings(settings, db),
                pinned=pinned,
                saved=saved,
                # Committed data: worker processes may read it on connections of their own.
                readers=db.engine.url.render_as_string(hide_password=False),
            )
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


def _spinner() -> Progress:
    from rich.progress import Progress, SpinnerColumn, TextColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True, console=console.err)


# In the order `truce log --help` has always listed them.
app.command("checkpoint")(checkpoint_command)
app.command("key")(key_command)
app.command("keygen")(keygen_command)
app.command("witness")(witness_command)
app.command("proof")(proof_command)
app.command("check-proof")(check_proof_command)
app.command("policy")(policy_command)


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
    state: Annotated[
        Path | None, typer.Option("--state", help="what you verified so far; the next audit fetches only what is new")
    ] = None,
    save: Annotated[bool, typer.Option("--save", help="replace the saved checkpoint with the new one")] = False,
) -> None:
    """Prove, from your own machine, that every entry the log adds checks out and that it extends your checkpoint."""
    from truce.integrity import audit as party

    with console.friendly_errors():
        verifier = _server_key(server_key)
        try:
            saved_text = checkpoint.read_text()
        except OSError as exc:
            raise ConfigError(f"cannot read {checkpoint}: {exc.strerror}") from None
        # Closed when done: an in-process caller (the tests) would otherwise be left with open sockets.
        with _client(url, token) as client:
            try:
                result = party.audit(client, verifier, saved_text, party.load_state(state, verifier))
            except party.AuditError as exc:
                _fail("FAILED", exc.problems)
        if state is not None:
            party.save_state(state, result.state, verifier)
        if save:
            checkpoint.write_text(result.current.text)
    console.out.print(
        f"consistent: the log of {result.current.checkpoint.size:,} entries extends your checkpoint of "
        f"{result.saved.checkpoint.size:,}; {result.read:,} new entries checked against their data, "
        f"{result.hashes_only:,} by leaf hash only (records you may not read)",
        highlight=False,
    )


def _fail(what: str, problems: list[str]) -> NoReturn:
    for problem in problems[:SHOWN]:
        console.err.print(f"[bold red]{what}:[/] {problem}", highlight=False, soft_wrap=True)
    if len(problems) > SHOWN:
        console.err.print(f"  … and {len(problems) - SHOWN} more", highlight=False)
    raise typer.Exit(1)


@app.command("cosign")
def cosign_command(
    url: Annotated[str, typer.Argument(help="the Truce server")],
    key: Annotated[Path, typer.Option("--key", help="your delegation's private key file")],
    server_key: ServerKey,
    token: Token = None,
    state: Annotated[Path | None, typer.Option("--state", help="last cosigned checkpoint (default: KEY.state)")] = None,
) -> None:
    """Cosign the latest checkpoint, after proving it extends the last one you cosigned."""
    from truce.integrity import audit as party
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
                _fail("REFUSED", exc.problems)
    console.out.print(
        f"cosigned the checkpoint of {signed.checkpoint.size:,} entries as {signer.name}", highlight=False
    )
