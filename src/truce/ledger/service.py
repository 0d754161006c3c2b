"""The log as services and readers see it: the verb to record a write, the tree, proofs, checkpoints, witnesses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import Session

from truce import policy
from truce.db import utcnow
from truce.errors import Conflict, Forbidden, Invalid, NotFound, TruceError
from truce.ledger import journal, merkle, note, store, trust
from truce.ledger.models import Checkpoint, Cosignature, LogEntry, LogNode, Witness, WitnessPolicy
from truce.policy import Actor

# The one verb services log with, and the journal's few other doors (see journal.py).
record = journal.record
savepoint = journal.savepoint
after_ids = journal.after_ids
cached = journal.cached
listen = store.listen
UnloggedWriteError = journal.UnloggedWriteError


def border_root(border: Sequence[bytes]) -> bytes:
    """The tree head from the right border's subtree hashes."""
    if not border:
        return merkle.EMPTY_ROOT
    root = border[-1]
    for node in reversed(border[:-1]):
        root = merkle.node_hash(node, root)
    return root


def size(session: Session) -> int:
    """How many entries the log holds."""
    journal.write_pending(session)
    head = session.execute(store.READ_HEAD).one_or_none()
    return int(head.size) if head else 0


def current_root(session: Session) -> tuple[int, bytes]:
    """The log's size and root hash now."""
    journal.write_pending(session)
    head = session.execute(store.READ_HEAD).one_or_none()
    if head is None:
        return 0, merkle.EMPTY_ROOT
    return head.size, border_root([bytes.fromhex(h) for h in head.border])


class StoredNodes:
    """Reads complete subtree hashes: leaves from the entries, higher levels from log_nodes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _where(self, coords: Sequence[tuple[int, int]]) -> Any:
        if self.session.get_bind().dialect.name != "sqlite":
            return tuple_(LogNode.level, LogNode.idx).in_(coords)
        # SQLite cannot use the primary key for a row-value IN list and scans the whole table
        # (138 ms a proof at a million entries); one IN list per level uses it (about 3 ms).
        by_level: dict[int, list[int]] = {}
        for level, index in coords:
            by_level.setdefault(level, []).append(index)
        return or_(*(and_(LogNode.level == level, LogNode.idx.in_(ixs)) for level, ixs in by_level.items()))

    def node(self, level: int, index: int) -> bytes:
        return self.nodes([(level, index)])[0]

    def nodes(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        found: dict[tuple[int, int], bytes] = {}
        leaves = [index for level, index in coords if level == 0]
        inner = [(level, index) for level, index in coords if level > 0]
        if leaves:
            rows = self.session.execute(select(LogEntry.idx, LogEntry.leaf_hash).where(LogEntry.idx.in_(leaves)))
            found.update({(0, idx): leaf for idx, leaf in rows})
        if inner:
            rows = self.session.execute(select(LogNode.level, LogNode.idx, LogNode.hash).where(self._where(inner)))
            found.update({(level, idx): node for level, idx, node in rows})
        missing = [c for c in coords if c not in found]
        if missing:
            raise LookupError(f"the log lacks subtree hashes {missing[:5]}")
        return [found[c] for c in coords]


# --- checkpoints, proofs and entries -------------------------------------------------------------


def checkpoint(session: Session, signer: note.Signer) -> Checkpoint:
    """A signed checkpoint of the log as it is now; stored once per tree size."""
    tree_size, root_hash = current_root(session)
    latest = latest_checkpoint(session)
    if latest is not None and latest.size == tree_size:
        return latest
    _refuse_broken_border(session, latest, tree_size, root_hash)
    body = note.Checkpoint(origin=signer.name, size=tree_size, root_hash=root_hash).to_body()
    stored = Checkpoint(size=tree_size, root_hash=root_hash, note=note.sign_note(body, [signer]))
    session.add(stored)
    session.flush()
    return stored


class LogDamaged(TruceError):
    """The stored log does not hold together: the server signs nothing until an operator has looked."""

    status_code = 500


def _refuse_broken_border(session: Session, latest: Checkpoint | None, tree_size: int, root_hash: bytes) -> None:
    """Check, before signing `root_hash`, that it is what the entries since the last checkpoint build.

    The head's border is what appends wrote; an attacker with the database can change entries under it. The
    entries after the last signed size are rehashed here (the ones before it are fixed by that signature: the
    border at that size is read back and must build its signed root), so the cost is the new entries only.
    """
    start, tree = 0, merkle.CompactRange()
    if latest is not None:
        if latest.size > tree_size:
            raise LogDamaged(
                f"the log holds {tree_size} entries but checkpoint {latest.id} signed {latest.size}: "
                "it was rolled back; run `truce log verify`"
            )
        try:
            tree = merkle.CompactRange.load(latest.size, StoredNodes(session))
        except LookupError:
            leaf = f"entry {latest.size - 1} or " if latest.size % 2 else ""
            raise LogDamaged(
                f"{leaf}a stored subtree of checkpoint {latest.id} (size {latest.size}) is missing: "
                "it was deleted; run `truce log verify`"
            ) from None
        if tree.root() != latest.root_hash:
            raise LogDamaged(
                f"the stored tree no longer builds the root checkpoint {latest.id} signed: run `truce log verify`"
            )
        start = latest.size
    rows = session.execute(
        select(LogEntry.idx, LogEntry.data, LogEntry.leaf_hash)
        .where(LogEntry.idx >= start, LogEntry.idx < tree_size)
        .order_by(LogEntry.idx)
        .execution_options(yield_per=20_000)
    )
    for idx, data, stored_leaf in rows:
        if idx != tree.size:
            raise LogDamaged(f"entry {tree.size} is missing from the log: run `truce log verify`")
        if merkle.leaf_hash(data.encode("utf-8")) != stored_leaf:
            raise LogDamaged(f"entry {idx} no longer matches its leaf hash: run `truce log verify`")
        tree.append(stored_leaf)
    if tree.size != tree_size:
        raise LogDamaged(f"entry {tree.size} is missing from the log: run `truce log verify`")
    if tree.root() != root_hash:
        raise LogDamaged("the log head's border does not match the entries: run `truce log verify`")


def latest_checkpoint(session: Session) -> Checkpoint | None:
    """The most recent stored checkpoint."""
    query = select(Checkpoint).order_by(Checkpoint.size.desc(), Checkpoint.id.desc()).limit(1)
    return session.execute(query).scalar_one_or_none()


def checkpoint_with_cosignatures(session: Session, stored: Checkpoint) -> str:
    """The checkpoint's signed note with every stored cosignature appended."""
    lines = session.execute(
        select(Cosignature.signature_line).where(Cosignature.checkpoint_id == stored.id).order_by(Cosignature.id)
    ).scalars()
    extra = list(lines)
    return note.add_signatures(stored.note, extra) if extra else stored.note


def witnesses(session: Session) -> list[note.Verifier]:
    """The cosigner keys of every registered witness."""
    return [note.Verifier.from_text(w.vkey) for w in session.execute(select(Witness)).scalars()]


def add_witness(session: Session, vkey: str, delegation: str, *, actor: Actor, url: str | None = None) -> Witness:
    """Register a delegation's cosigning key (its public half, type 0x04), and where its witness listens if it does."""
    if not policy.registers_witnesses(actor):
        raise Forbidden("witness keys are registered from the command line by the operator")
    try:
        verifier = note.Verifier.from_text(vkey.strip())
    except note.NoteError as exc:
        raise Invalid(str(exc), "vkey") from None
    if verifier.algorithm != note.ALG_COSIGNATURE_V1:
        raise Invalid("a witness key must be a cosignature (type 0x04) verifier key", "vkey")
    if url is not None and not (url.startswith(("http://", "https://")) and len(url) <= 500):
        raise Invalid("an http:// or https:// address of at most 500 characters", "url")
    if session.execute(select(Witness).where(Witness.key_name == verifier.name)).scalar_one_or_none():
        raise Conflict(f"a witness key named {verifier.name!r} is registered already")
    witness = Witness(key_name=verifier.name, vkey=verifier.to_text(), delegation=delegation, url=url)
    session.add(witness)
    record(session, actor, "witness.add", witness)
    return witness


def cosigners(session: Session, checkpoint_id: int) -> list[str]:
    """The key names of the witnesses whose cosignatures over a stored checkpoint are kept."""
    query = select(Cosignature.key_name).where(Cosignature.checkpoint_id == checkpoint_id).order_by(Cosignature.id)
    return list(session.execute(query).scalars())


def add_cosignature(session: Session, size: int, signature_line: str) -> Cosignature:
    """Store a witness's cosignature over the stored checkpoint of `size`, once it verifies."""
    stored = session.execute(
        select(Checkpoint).where(Checkpoint.size == size).order_by(Checkpoint.id.desc()).limit(1)
    ).scalar_one_or_none()
    if stored is None:
        raise NotFound(f"no checkpoint of size {size}")
    body, _ = note.split_note(stored.note)
    line = signature_line if signature_line.endswith("\n") else signature_line + "\n"
    known = {v.name: v for v in witnesses(session)}
    name = line.removeprefix("— ").split(" ", 1)[0]
    if name not in known:
        raise Forbidden(f"{name!r} is not a registered witness key")
    try:
        timestamp = note.verify_cosignature(body, line, known[name])
    except note.NoteError as exc:
        raise Invalid(str(exc), "signature") from None
    existing = session.execute(
        select(Cosignature).where(Cosignature.checkpoint_id == stored.id, Cosignature.key_name == name)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    cosignature = Cosignature(
        checkpoint_id=stored.id,
        key_name=name,
        signature_line=line,
        cosigned_at=datetime.fromtimestamp(timestamp, UTC),
    )
    session.add(cosignature)
    session.flush()
    return cosignature


def set_witness_policy(session: Session, mission_id: int, text: str, server: note.Verifier, *, actor: Actor) -> None:
    """Store (and log) a mission's witness policy; it must be valid and trust this server's key."""
    if not policy.registers_witnesses(actor):
        raise Forbidden("a mission's witness policy is set from the command line by the operator")
    try:
        parsed = trust.parse(text)
    except trust.PolicyError as exc:
        raise Invalid(str(exc), "policy") from None
    if server not in parsed.logs:
        raise Invalid(f"the policy does not list this log's key ({server.to_text()})", "policy")
    stored = session.execute(select(WitnessPolicy).where(WitnessPolicy.mission_id == mission_id)).scalar_one_or_none()
    if stored is None:
        stored = WitnessPolicy(mission_id=mission_id, text=text)
        session.add(stored)
    else:
        stored.text, stored.set_at = text, utcnow()
    session.flush()
    record(session, actor, "witness_policy.set", stored)


def witness_policy(session: Session, mission_id: int) -> trust.Policy | None:
    """A mission's witness policy, if one is set."""
    text = session.execute(select(WitnessPolicy.text).where(WitnessPolicy.mission_id == mission_id)).scalar()
    return None if text is None else trust.parse(text)


def witnessed_checkpoint(
    session: Session, rule: trust.Policy, *, look_back: int = 100
) -> tuple[Checkpoint, list[str]] | None:
    """The latest stored checkpoint whose cosignatures meet the policy's quorum, with its cosigners."""
    query = select(Checkpoint).order_by(Checkpoint.size.desc(), Checkpoint.id.desc()).limit(look_back)
    for stored in session.execute(query).scalars().all():
        cosigners = rule.cosigners(checkpoint_with_cosignatures(session, stored))
        if rule.witnessed_by(set(cosigners)):
            return stored, cosigners
    return None


def inclusion(session: Session, index: int, tree_size: int) -> dict[str, Any]:
    """An RFC 9162 inclusion proof of entry `index` in the tree of `tree_size` entries."""
    _check_size(session, tree_size)
    if not 0 <= index < tree_size:
        raise Invalid(f"index must be within 0..{tree_size - 1}", "index")
    reader = StoredNodes(session)
    proof = merkle.inclusion_proof(index, tree_size, reader)
    return {
        "index": index,
        "size": tree_size,
        "leaf_hash": reader.node(0, index).hex(),
        "hashes": [h.hex() for h in proof],
        "root": merkle.root(tree_size, reader).hex(),
    }


def consistency(session: Session, first: int, second: int) -> dict[str, Any]:
    """An RFC 9162 consistency proof between the trees of `first` and `second` entries."""
    _check_size(session, second)
    if not 0 <= first <= second:
        raise Invalid(f"first must be within 0..{second}", "first")
    reader = StoredNodes(session)
    return {
        "first": first,
        "second": second,
        "hashes": [h.hex() for h in merkle.consistency_proof(first, second, reader)],
        "first_root": merkle.root(first, reader).hex(),
        "second_root": merkle.root(second, reader).hex(),
    }


def _check_size(session: Session, tree_size: int) -> None:
    have = size(session)
    if not 0 <= tree_size <= have:
        raise Invalid(f"the log holds {have} entries; size must be within 0..{have}", "size")


def entries(session: Session, start: int, end: int) -> list[LogEntry]:
    """Entries with index in [start, end)."""
    journal.write_pending(session)
    query = select(LogEntry).where(LogEntry.idx >= start, LogEntry.idx < end).order_by(LogEntry.idx)
    return list(session.execute(query).scalars())


def history(session: Session, kind: str, record_id: str) -> list[LogEntry]:
    """Every entry about one record, oldest first."""
    journal.write_pending(session)
    query = select(LogEntry).where(LogEntry.entity_type == kind, LogEntry.entity_id == record_id).order_by(LogEntry.idx)
    return list(session.execute(query).scalars())
