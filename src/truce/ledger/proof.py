"""C2SP tlog-proof files: an entry, its index, its inclusion proof and a cosigned checkpoint, checked offline.

The entry itself travels in the `extra` line (base64 of its exact UTF-8 bytes): the leaf hash is computed from it,
so flipping one byte of the entry breaks the proof. Checking needs only a tlog-policy (trust.py): the log key the
checkpoint must carry and the witnesses whose cosignatures must reach the quorum.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from truce.ledger import merkle, note, trust

HEADER = "c2sp.org/tlog-proof@v1"
MAX_HASHES = 64


class ProofError(ValueError):
    """A proof that is malformed or does not prove what it says; the message says which step failed."""


@dataclass(frozen=True)
class Proof:
    entry: bytes
    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str

    def to_text(self) -> str:
        lines = [HEADER, f"extra {base64.b64encode(self.entry).decode()}", f"index {self.index}"]
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return "\n".join(lines) + "\n\n" + self.checkpoint


@dataclass(frozen=True)
class Checked:
    """What a proof that passed shows."""

    entry: bytes
    index: int
    checkpoint: note.Checkpoint
    cosigners: list[str]


def parse(text: str) -> Proof:
    """Read a proof file; ProofError for anything but the format the spec gives."""
    head, blank, checkpoint = text.partition("\n\n")
    if not blank:
        raise ProofError("no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise ProofError(f"the first line must be {HEADER}")
    if len(lines) < 3 or not lines[1].startswith("extra "):
        raise ProofError("a Truce proof carries its entry in the extra line, then the index line")
    entry = _base64(lines[1].removeprefix("extra "), "the extra line")
    index_text = lines[2].removeprefix("index ")
    if not lines[2].startswith("index ") or not index_text.isdigit() or (index_text != "0" and index_text[0] == "0"):
        raise ProofError("the index line must be 'index <decimal>'")
    if len(lines) - 3 > MAX_HASHES:
        raise ProofError(f"an inclusion proof has at most {MAX_HASHES} hashes")
    hashes = tuple(_base64(line, "an inclusion proof line") for line in lines[3:])
    if any(len(h) != merkle.HASH_SIZE for h in hashes):
        raise ProofError("every inclusion proof line is a 32-byte SHA-256 hash")
    return Proof(entry, int(index_text), hashes, checkpoint)


def _base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProofError(f"{what} is not base64") from None


def check(proof: Proof, policy: trust.Policy) -> Checked:
    """The spec's four steps: leaf hash, log signature, witness quorum, inclusion."""
    leaf = merkle.leaf_hash(proof.entry)
    try:
        body, _ = note.open_note(proof.checkpoint, policy.logs)
        checkpoint = note.Checkpoint.parse(body)
    except note.NoteError as exc:
        raise ProofError(f"the checkpoint is not signed by a log the policy trusts: {exc}") from None
    if not any(log.name == checkpoint.origin for log in policy.logs):
        raise ProofError(f"the checkpoint's origin {checkpoint.origin!r} is no log key's name in the policy")
    cosigners = policy.cosigners(proof.checkpoint)
    if not policy.witnessed_by(set(cosigners)):
        named = ", ".join(cosigners) or "no witness"
        raise ProofError(f"the checkpoint is cosigned by {named}: below the policy's quorum {policy.quorum!r}")
    if not proof.index < checkpoint.size:
        raise ProofError(f"index {proof.index} is outside the checkpoint's {checkpoint.size} entries")
    if not merkle.verify_inclusion(proof.index, checkpoint.size, leaf, proof.hashes, checkpoint.root_hash):
        raise ProofError(f"the entry is not entry {proof.index} of the checkpointed log: the inclusion proof fails")
    return Checked(proof.entry, proof.index, checkpoint, cosigners)
