"""`truce log proof`, `truce log check-proof` and `truce log policy`: offline proofs and the policy that checks them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from truce import console
from truce.errors import ConfigError, Invalid


def proof_command(
    slug: Annotated[str, typer.Argument(help="the mission")],
    entity: Annotated[str, typer.Option("--entity", help="the record, TYPE:ID, e.g. incidents:12")],
    out: Annotated[Path, typer.Option("--out", help="where to write the .tlog-proof file")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
) -> None:
    """Write a C2SP tlog-proof file of a record's latest entry, with the most cosigned checkpoint covering it."""
    from truce.integrity import proofs
    from truce.ledger import keys
    from truce.policy import Actor

    kind, colon, record_id = entity.partition(":")
    with console.friendly_errors():
        if not colon or not kind or not record_id:
            raise Invalid("expected TYPE:ID, e.g. incidents:12", "--entity")
        settings = console.settings_for(data_dir)
        signer = keys.load(settings.data_dir)
        with console.open_database(settings, migrate=False) as db, db.session() as session:
            mission = console.mission_by_slug(session, slug)
            entry = proofs.latest_entry(session, mission.id, kind, record_id, actor=Actor.system(mission.id))
            text = proofs.proof_for(session, entry, signer)
        try:
            out.write_text(text)
        except OSError as exc:
            raise ConfigError(f"cannot write {out}: {exc.strerror}") from None
    console.out.print(f"proof of entry {entry.idx} ({kind} {record_id}) written to {out}", highlight=False)


def check_proof_command(
    proof_file: Annotated[Path, typer.Argument(help="a .tlog-proof file")],
    policy_file: Annotated[Path, typer.Option("--policy", help="the mission's witness policy (C2SP tlog-policy)")],
) -> None:
    """Check a proof file with nothing but the policy: no network, no database."""
    from truce.ledger import proof, trust

    with console.friendly_errors():
        try:
            policy = trust.parse(policy_file.read_text())
            proof_text = proof_file.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read: {exc}") from None
        except trust.PolicyError as exc:
            raise ConfigError(f"{policy_file}: {exc}") from None
    try:
        checked = proof.check(proof.parse(proof_text), policy)
    except proof.ProofError as exc:
        console.err.print(f"[bold red]NOT PROVED:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    cosigners = ", ".join(checked.cosigners) or "no witness (the policy asks for none)"
    console.out.print(
        f"proved: entry {checked.index} is in the log {checked.checkpoint.origin} of {checked.checkpoint.size:,} "
        f"entries, cosigned by {cosigners}",
        highlight=False,
    )
    typer.echo(checked.entry.decode("utf-8", "replace"))


def policy_command(
    quorum: Annotated[
        str, typer.Option("--quorum", help="how many registered witnesses must cosign: a number, any, all or none")
    ] = "any",
    mission: Annotated[
        str | None, typer.Option("--mission", help="print (or --set) this mission's stored policy")
    ] = None,
    set_file: Annotated[Path | None, typer.Option("--set", help="store this policy file as the mission's")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
) -> None:
    """Print a C2SP tlog-policy: the mission's stored one, or one of the server key and every registered witness."""
    from truce.ledger import keys, trust
    from truce.ledger import service as ledger
    from truce.policy import Actor

    with console.friendly_errors():
        settings = console.settings_for(data_dir)
        server = keys.load(settings.data_dir).verifier()
        if set_file is not None and mission is None:
            raise Invalid("--set stores a mission's policy: name the mission with --mission", "--mission")
        with console.open_database(settings, migrate=False) as db, db.session() as session:
            if mission is not None:
                found = console.mission_by_slug(session, mission)
                if set_file is not None:
                    try:
                        text = set_file.read_text()
                    except (OSError, UnicodeDecodeError) as exc:
                        raise ConfigError(f"cannot read {set_file}: {exc}") from None
                    ledger.set_witness_policy(session, found.id, text, server, actor=Actor.system(found.id))
                stored = ledger.witness_policy(session, found.id)
                if stored is None:
                    raise Invalid(f"mission {mission} has no witness policy yet; set one with --set", "--mission")
                text = stored.to_text()
            else:
                witnesses = ledger.witnesses(session)
                text = f"log {server.to_text()}\n" + "".join(f"witness {w.name} {w.to_text()}\n" for w in witnesses)
                if quorum == "none" or not witnesses:
                    text += "quorum none\n"
                else:
                    text += f"group registered {quorum} {' '.join(w.name for w in witnesses)}\nquorum registered\n"
                try:
                    trust.parse(text)
                except trust.PolicyError as exc:
                    raise Invalid(str(exc), "--quorum") from None
    typer.echo(text, nl=False)
