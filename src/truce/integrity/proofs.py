"""Offline proofs of records: the latest entry about a record, in a C2SP tlog-proof file with a cosigned checkpoint."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from truce import policy
from truce.errors import NotFound
from truce.ledger import merkle, note
from truce.ledger import proof as tlog_proof
from truce.ledger import service as ledger
from truce.ledger.models import Checkpoint, Cosignature, LogEntry
from truce.policy import Actor


def latest_entry(session: Session, mission_id: int, kind: str, record_id: str, *, actor: Actor) -> LogEntry:
    """The latest entry about a record of the mission, if the actor may read it; NotFound otherwise."""
    query = (
        select(LogEntry)
        .where(LogEntry.entity_type == kind, LogEntry.entity_id == record_id, LogEntry.mission_id == mission_id)
        .order_by(LogEntry.idx.desc())
        .limit(1)
    )
    entry = session.execute(query).scalar_one_or_none()
    if entry is None or not policy.can_read_logged(actor, kind, json.loads(entry.data)["entity"]):
        raise NotFound(f"no logged record {kind}:{record_id} you may read in this mission")
    return entry


def entry_at(session: Session, mission_id: int, index: int, *, actor: Actor) -> LogEntry:
    """Entry `index`, if it is about a record of the mission the actor may read; NotFound otherwise."""
    entry = session.get(LogEntry, index)
    if (
        entry is None
        or entry.mission_id != mission_id
        or not policy.can_read_logged(actor, entry.entity_type, json.loads(entry.data)["entity"])
    ):
        raise NotFound(f"no entry {index} you may read in this mission")
    return entry


def best_checkpoint(session: Session, index: int, signer: note.Signer, mission_id: int | None = None) -> Checkpoint:
    """The checkpoint to prove entry `index` with: the latest the mission's policy counts as witnessed, or else
    the most cosigned (the latest among those) that covers it."""
    rule = None if mission_id is None else ledger.witness_policy(session, mission_id)
    if rule is not None:
        witnessed = ledger.witnessed_checkpoint(session, rule)
        if witnessed is not None and witnessed[0].size > index:
            return witnessed[0]
    cosigned = func.count(Cosignature.id)
    query = (
        select(Checkpoint)
        .outerjoin(Cosignature, Cosignature.checkpoint_id == Checkpoint.id)
        .where(Checkpoint.size > index)
        .group_by(Checkpoint.id)
        .order_by(cosigned.desc(), Checkpoint.size.desc(), Checkpoint.id.desc())
        .limit(1)
    )
    found = session.execute(query).scalar_one_or_none()
    return found if found is not None else ledger.checkpoint(session, signer)


def proof_for(session: Session, entry: LogEntry, signer: note.Signer) -> str:
    """The tlog-proof text of one entry."""
    checkpoint = best_checkpoint(session, entry.idx, signer, entry.mission_id)
    hashes = merkle.inclusion_proof(entry.idx, checkpoint.size, ledger.StoredNodes(session))
    text = ledger.checkpoint_with_cosignatures(session, checkpoint)
    return tlog_proof.Proof(entry.data.encode("utf-8"), entry.idx, tuple(hashes), text).to_text()
