"""The tamper-evident log over HTTP: key, checkpoint, entries, proofs, cosignatures, record history."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Query, Request, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import policy
from truce.api.problems import FORBIDDEN, NOT_FOUND
from truce.deps import CurrentUser, ReadScope, ReportSession, WriteScope, WriteSession, database
from truce.errors import Invalid, NotFound, Unauthorized
from truce.incidents import service as incidents_service
from truce.ledger import service as ledger
from truce.ledger.models import LogEntry
from truce.ledger.tiles import BundleEntry
from truce.missions.models import Delegation, Mission
from truce.numbers import Id, Position
from truce.places import service as places_service
from truce.places.models import Area, Line, Site
from truce.routers import DeclaredRouter
from truce.users import service as users_service
from truce.users.models import Membership, User

router = DeclaredRouter(prefix="/log", tags=["log"])
MAX_ENTRIES = 1000
HISTORY_KINDS: dict[str, type[Area] | type[Line] | type[Site]] = {"areas": Area, "lines": Line, "sites": Site}


def _logged_in(user: User | None) -> User:
    if user is None:
        raise Unauthorized("log in to read the log")
    return user


@router.get("/key", response_class=PlainTextResponse)
def key(request: Request, user: CurrentUser) -> str:
    """The server's verifier key (C2SP vkey)."""
    _logged_in(user)
    return request.app.state.log_signer.verifier_text()  # type: ignore[no-any-return]


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(request: Request, session: WriteSession, user: CurrentUser) -> str:
    """The latest signed checkpoint (C2SP signed note), with its cosignatures."""
    _logged_in(user)
    stored = ledger.checkpoint(session, request.app.state.log_signer)
    return ledger.checkpoint_with_cosignatures(session, stored)


class CosignatureIn(BaseModel):
    size: Position
    signature: str = Field(max_length=1000, description="the C2SP tlog-cosignature line")


class CosignatureOut(BaseModel):
    size: int
    key_name: str
    cosigned_at: str


class EntryOut(BaseModel):
    """An entry; one about a record the caller may not read shows only its index and leaf hash."""

    index: int
    leaf_hash: str
    data: str | None = Field(default=None, description="the exact text whose RFC 9162 leaf hash is leaf_hash")
    time: str | None = None
    actor: str | None = None
    delegation: str | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None


class InclusionProofOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    hashes: list[str]
    root: str


class ConsistencyProofOut(BaseModel):
    first: int
    second: int
    hashes: list[str]
    first_root: str
    second_root: str


class HistoryEntryOut(BaseModel):
    index: int
    data: str
    action: str
    actor: str
    time: str
    proof: list[str] = Field(description="the entry's inclusion proof in the tree of `size` entries")


class HistoryOut(BaseModel):
    size: int
    root: str
    entries: list[HistoryEntryOut]


@router.post("/cosignatures", status_code=status.HTTP_201_CREATED, responses={**FORBIDDEN, **NOT_FOUND})
def cosign(session: WriteSession, body: CosignatureIn) -> CosignatureOut:
    """Store a registered witness's cosignature; the signature itself is the credential."""
    stored = ledger.add_cosignature(session, body.size, body.signature)
    return CosignatureOut(size=body.size, key_name=stored.key_name, cosigned_at=stored.cosigned_at.isoformat())


@router.get("/entries", response_model=list[EntryOut], response_model_exclude_unset=True)
def entries(
    session: ReportSession,
    user: CurrentUser,
    start: Position = 0,
    end: Position | None = None,
) -> list[dict[str, Any]]:
    """Entries in [start, end); those about records the caller may not read show only their hash."""
    reader = _logged_in(user)
    end = start + MAX_ENTRIES if end is None else end
    if end < start or end - start > MAX_ENTRIES:
        raise Invalid(f"ask for at most {MAX_ENTRIES} entries with start <= end", "end")
    log_reader = log_reader_for(session, reader)
    found = ledger.entries(session, start, end)
    owners = entry_owners(session, found)
    return [entry_view(entry, log_reader, owners) for entry in found]


def log_reader_for(session: Session, user: User) -> policy.LogReader:
    actors = {}
    for mission_id in users_service.memberships(session, user.id):
        actors[mission_id] = users_service.actor_for(session, user, session.get(Mission, mission_id))
    public = session.execute(select(Mission.id).where(Mission.public.is_(True))).scalars()
    return policy.LogReader(actors, frozenset(public))


def entry_owners(session: Session, found: Sequence[LogEntry | BundleEntry]) -> dict[tuple[str, str], set[int]]:
    """The missions each entry of no mission concerns: an account's memberships, a witness key's delegation's."""
    owners: dict[tuple[str, str], set[int]] = {}
    users = {int(e.entity_id) for e in found if e.mission_id is None and e.entity_type == "users"}
    if users:
        rows = session.execute(select(Membership.user_id, Membership.mission_id).where(Membership.user_id.in_(users)))
        for user_id, mission_id in rows:
            owners.setdefault(("users", str(user_id)), set()).add(mission_id)
    witnesses = {e.entity_id: json.loads(e.data)["entity"] for e in found if e.entity_type == "log_witnesses"}
    codes = {entity["delegation"] for entity in witnesses.values() if entity}
    if codes:
        by_code: dict[str, set[int]] = {}
        for code, mission_id in session.execute(
            select(Delegation.code, Delegation.mission_id).where(Delegation.code.in_(codes))
        ):
            by_code.setdefault(code, set()).add(mission_id)
        for entity_id, entity in witnesses.items():
            if entity:
                owners[("log_witnesses", entity_id)] = by_code.get(entity["delegation"], set())
    return owners


def entry_view(entry: LogEntry, reader: policy.LogReader, owners: dict[tuple[str, str], set[int]]) -> dict[str, Any]:
    view: dict[str, Any] = {"index": entry.idx, "leaf_hash": entry.leaf_hash.hex()}
    entity = json.loads(entry.data)["entity"]
    concerned = owners.get((entry.entity_type, entry.entity_id), set())
    if policy.can_read_entry(reader, entry.mission_id, entry.entity_type, entity, concerned):
        view.update(
            data=entry.data,
            time=entry.time.isoformat(),
            actor=entry.actor,
            delegation=entry.delegation,
            action=entry.action,
            entity_type=entry.entity_type,
            entity_id=entry.entity_id,
        )
    return view


@router.get("/proof/inclusion")
def inclusion(
    request: Request,
    session: ReportSession,
    user: CurrentUser,
    index: Position,
    size: Annotated[Position, Query(ge=1)],
) -> InclusionProofOut:
    """An RFC 9162 inclusion proof."""
    _logged_in(user)
    if ledger.size(session) < size:
        return InclusionProofOut.model_validate(
            _on_primary(request, lambda primary: ledger.inclusion(primary, index, size))
        )
    return InclusionProofOut.model_validate(ledger.inclusion(session, index, size))


@router.get("/proof/consistency")
def consistency(
    request: Request, session: ReportSession, user: CurrentUser, first: Position, second: Position
) -> ConsistencyProofOut:
    """An RFC 9162 consistency proof."""
    _logged_in(user)
    if ledger.size(session) < second:
        found = _on_primary(request, lambda primary: ledger.consistency(primary, first, second))
        return ConsistencyProofOut.model_validate(found)
    return ConsistencyProofOut.model_validate(ledger.consistency(session, first, second))


def _on_primary(request: Request, proof: Callable[[Session], dict[str, Any]]) -> dict[str, Any]:
    """A proof for a tree the read replica has not caught up with yet (a checkpoint just signed): the primary's."""
    with database(request).session(write=False) as primary:
        return proof(primary)


history_router = DeclaredRouter(tags=["log"])


@history_router.get("/missions/{slug}/{kind}/{record_id}/history")
def record_history(scope: ReadScope, kind: str, record_id: Id) -> HistoryOut:
    """Every log entry about one record, each with an inclusion proof in the current tree."""
    if kind == "incidents":
        incidents_service.get(scope.session, scope.mission, record_id, actor=scope.actor)
    elif kind in HISTORY_KINDS:
        places_service.get_place(scope.session, HISTORY_KINDS[kind], scope.mission, record_id, actor=scope.actor)
    else:
        raise Invalid(f"history is kept for incidents, {', '.join(HISTORY_KINDS)}", "kind")
    tree_size = ledger.size(scope.session)
    rows = ledger.history(scope.session, kind, str(record_id))
    entries = [
        HistoryEntryOut(
            index=entry.idx,
            data=entry.data,
            action=entry.action,
            actor=entry.actor,
            time=entry.time.isoformat(),
            proof=ledger.inclusion(scope.session, entry.idx, tree_size)["hashes"],
        )
        for entry in rows
    ]
    return HistoryOut(size=tree_size, root=ledger.current_root(scope.session)[1].hex(), entries=entries)


@history_router.get("/missions/{slug}/{kind}/{record_id}/proof", response_class=PlainTextResponse)
def record_proof(request: Request, scope: WriteScope, kind: str, record_id: str) -> str:
    """A C2SP tlog-proof file of the latest entry about one record: checkable offline with the witness policy."""
    from truce.integrity import proofs

    if len(kind) > 64 or len(record_id) > 64:
        raise Invalid("kind and id are at most 64 characters", "kind")
    entry = proofs.latest_entry(scope.session, scope.mission.id, kind, record_id, actor=scope.actor)
    return proofs.proof_for(scope.session, entry, request.app.state.log_signer)


@history_router.get("/missions/{slug}/witness-policy", response_class=PlainTextResponse, responses={**NOT_FOUND})
def mission_witness_policy(scope: ReadScope) -> str:
    """The mission's witness policy (C2SP tlog-policy): what `truce log check-proof --policy` needs."""
    rule = ledger.witness_policy(scope.session, scope.mission.id)
    if rule is None:
        raise NotFound(f"mission {scope.mission.slug} has no witness policy")
    return rule.to_text()


@history_router.get("/missions/{slug}/log-proof/{index}", response_class=PlainTextResponse, responses={**NOT_FOUND})
def entry_proof(request: Request, scope: WriteScope, index: Position) -> str:
    """A C2SP tlog-proof file of one entry about a record of the mission the caller may read (a bulletin links them)."""
    from truce.integrity import proofs

    entry = proofs.entry_at(scope.session, scope.mission.id, index, actor=scope.actor)
    return proofs.proof_for(scope.session, entry, request.app.state.log_signer)
