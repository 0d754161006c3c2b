"""What a party runs on its own machine: check that the log extends a checkpoint it kept, and cosign it.

Only the server's public key and earlier checkpoints are trusted; everything else is proved.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from truce.ledger import merkle, note


class AuditError(Exception):
    """The log does not prove what it must; the message says what failed."""


class HttpClient(Protocol):
    def get(self, url: str, *, params: Any = None) -> Any: ...

    def post(self, url: str, *, json: Any = None) -> Any: ...


@dataclass(frozen=True)
class Signed:
    """A checkpoint whose server signature has been checked."""

    text: str
    checkpoint: note.Checkpoint


def open_checkpoint(text: str, server: note.Verifier) -> Signed:
    """Check the server's signature on a checkpoint note and parse it."""
    try:
        body, _ = note.open_note(text, [server])
        return Signed(text=text, checkpoint=note.Checkpoint.parse(body))
    except note.NoteError as exc:
        raise AuditError(f"the checkpoint is not validly signed by {server.name}: {exc}") from None


def fetch_checkpoint(client: HttpClient, server: note.Verifier) -> Signed:
    """The server's latest checkpoint, signature checked."""
    answer = client.get("/api/v1/log/checkpoint")
    if answer.status_code != 200:
        raise AuditError(f"the server answered {answer.status_code} for its checkpoint: {answer.text[:200]}")
    return open_checkpoint(answer.text, server)


def prove_extends(client: HttpClient, old: note.Checkpoint, new: note.Checkpoint) -> None:
    """Ask for a consistency proof and check that `new` extends `old` without rewriting it."""
    if old.origin != new.origin:
        raise AuditError(f"the checkpoints are of different logs ({old.origin!r}, {new.origin!r})")
    if new.size < old.size:
        raise AuditError(
            f"the log shrank from {old.size} to {new.size} entries: entries were removed or an older copy restored"
        )
    if new.size == old.size:
        if new.root_hash != old.root_hash:
            raise AuditError(f"two different roots for the same size {old.size}: the log was rewritten")
        return
    answer = client.get("/api/v1/log/proof/consistency", params={"first": old.size, "second": new.size})
    if answer.status_code != 200:
        raise AuditError(f"the server gave no consistency proof ({answer.status_code}): {answer.text[:200]}")
    proof = [bytes.fromhex(h) for h in answer.json()["hashes"]]
    if not merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof):
        raise AuditError(
            f"the log of {new.size} entries does not extend the checkpoint of {old.size}: the record was rewritten"
        )


def audit(client: HttpClient, server: note.Verifier, saved_text: str) -> tuple[Signed, Signed]:
    """Prove that the server's current log extends a checkpoint saved earlier."""
    saved = open_checkpoint(saved_text, server)
    current = fetch_checkpoint(client, server)
    prove_extends(client, saved.checkpoint, current.checkpoint)
    return saved, current


def cosign(client: HttpClient, signer: note.Signer, server: note.Verifier, state: Path) -> Signed:
    """Cosign the server's latest checkpoint if it extends the last one this key cosigned."""
    current = fetch_checkpoint(client, server)
    last = _load_state(state, server)
    if last is not None:
        prove_extends(client, last.checkpoint, current.checkpoint)
    body = current.checkpoint.to_body()
    line = note.cosign(body, signer, int(time.time()))
    answer = client.post("/api/v1/log/cosignatures", json={"size": current.checkpoint.size, "signature": line})
    if answer.status_code != 201:
        raise AuditError(f"the server refused the cosignature ({answer.status_code}): {answer.text[:200]}")
    state.write_text(json.dumps({"checkpoint": current.text}))
    return current


def _load_state(state: Path, server: note.Verifier) -> Signed | None:
    if not state.exists():
        return None
    try:
        text = json.loads(state.read_text())["checkpoint"]
    except (ValueError, KeyError, TypeError):
        raise AuditError(f"{state} is not a cosigner state file; move it away to start afresh") from None
    return open_checkpoint(text, server)
