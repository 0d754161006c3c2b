"""FastAPI dependencies: sessions that commit once at the edge, the caller, and the mission in scope."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from truce import auth
from truce.config import Settings
from truce.db import BUSY, BUSY_TIMEOUT_S, DELIVERY, PARALLEL_WRITERS, Database, Delivery
from truce.errors import NotFound, Unavailable
from truce.idempotency import store as idempotency
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor
from truce.users import logins
from truce.users import service as users_service
from truce.users.models import User
from truce.writelock import Turn


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def settings(request: Request) -> Settings:
    config: Settings = request.app.state.settings
    return config


def reject(request: Request) -> None:
    """Keep nothing this request wrote: its session rolls back at the edge instead of committing (a failed post)."""
    request.state.rejected = True


def rejected(request: Request) -> bool:
    return bool(getattr(request.state, "rejected", False))


def _session(request: Request, *, write: bool, turn: Turn | None = None) -> Iterator[Session]:
    with database(request).session(write=write, turn=turn) as session:
        claim: idempotency.Claim | None = getattr(request.state, "idempotency", None)
        if write and claim is not None and not claim.claimed:
            # The request's Idempotency-Key commits with what the request writes, or not at all.
            idempotency.claim(session, claim)
        if write and claim is not None:
            # The records the request adds keep the device's time and its clock's offset (db.DeviceTimes).
            session.info[DELIVERY] = Delivery(claim.device_time, claim.clock_offset_s)
        yield session
        if write and rejected(request):
            # The page has shown the form again with its errors: nothing of the post is kept, the key neither.
            session.rollback()
            return
        if write and claim is not None and claim.claimed:
            idempotency.note(session, claim)


def read_session(request: Request) -> Iterator[Session]:
    yield from _session(request, write=False)


def report_session(request: Request) -> Iterator[Session]:
    """Reports, statistics and proofs: the read replica while it keeps up, else the primary (db.report_session)."""
    with database(request).report_session() as session:
        yield session


async def writer_turn(request: Request) -> AsyncIterator[Turn | None]:
    """On SQLite, the writer lock for this request, awaited on the event loop before a thread or a connection.

    A writer that waited in its worker thread held the thread and a pooled connection meanwhile: with sixty API
    clients writing at once they took every thread, the holder could not get one to commit, and the server
    stalled for the pool's timeout (writelock.Turn). 503 with Retry-After when the turn does not come in time.
    The session's first write transaction takes the lock over; if none began, it is given back here, whatever
    became of the request.

    On PostgreSQL writers run in parallel, but the log's head (`FOR UPDATE`) takes them one at a time too: sixty
    at once held every pooled connection and thread the same way. There a request awaits one of
    `PARALLEL_WRITERS` places on the loop instead, and yields None.
    """
    lock = database(request).writer_lock
    if lock is None:
        places = _writer_places(request)
        try:
            async with asyncio.timeout(BUSY_TIMEOUT_S):
                await places.acquire()
        except TimeoutError:
            raise Unavailable(BUSY) from None
        try:
            yield None
        finally:
            places.release()
        return
    if not await lock.acquire_async(BUSY_TIMEOUT_S):
        raise Unavailable(BUSY)
    turn = Turn(lock)
    try:
        yield turn
    finally:
        turn.give_back()


def _writer_places(request: Request) -> asyncio.Semaphore:
    """The running loop's places for writers in parallel, kept on the app's state (one per loop, as writer.py)."""
    places: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] | None
    places = getattr(request.app.state, "writer_places", None)
    if places is None:
        places = request.app.state.writer_places = weakref.WeakKeyDictionary()
    loop = asyncio.get_running_loop()
    found = places.get(loop)
    if found is None:
        found = places[loop] = asyncio.Semaphore(PARALLEL_WRITERS)
    return found


# scope="function": the turn ends with the request's session, before the response is sent.
WriterTurn = Annotated[Turn | None, Depends(writer_turn, scope="function")]


def write_session(request: Request, turn: WriterTurn) -> Iterator[Session]:
    yield from _session(request, write=True, turn=turn)


def now(request: Request) -> datetime:
    """The application's clock (tests turn it forward instead of sleeping)."""
    clock: logins.Clock = request.app.state.clock
    return clock()


def client_address(request: Request) -> str:
    """What the login limits count the client's attempts under."""
    return logins.address_key(request.client.host if request.client else None)


# scope="function": the commit happens before the response is sent, so a failed commit is never a 201.
ReadSession = Annotated[Session, Depends(read_session, scope="function")]
ReportSession = Annotated[Session, Depends(report_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return None


def current_user(request: Request) -> User | None:
    """The user of the request's bearer token, or None for the public (the pages read their own session)."""
    token = bearer_token(request)
    if token is None:
        return None
    with database(request).session(write=False) as session:
        config = settings(request)
        secret = request.app.state.secret
        return auth.user_from_token(session, secret, token, config.token_hours * 3600, config.offline_days * 86400)


CurrentUser = Annotated[User | None, Depends(current_user)]


@dataclass
class MissionScope:
    """What a mission-scoped route works with: the session, the mission and who is acting."""

    session: Session
    mission: Mission
    actor: Actor


def _scope(session: Session, user: User | None, slug: str) -> MissionScope:
    mission = missions_service.get_by_slug(session, slug)
    if mission is None:
        raise NotFound(f"mission {slug!r} not found")
    actor = users_service.actor_for(session, user, mission)
    if not missions_service.visible(actor, mission):
        raise NotFound(f"mission {slug!r} not found")
    return MissionScope(session=session, mission=mission, actor=actor)


Slug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$", description="the mission's slug")]


def read_scope(session: ReadSession, user: CurrentUser, slug: Slug) -> MissionScope:
    return _scope(session, user, slug)


def write_scope(user: CurrentUser, session: WriteSession, slug: Slug) -> MissionScope:
    # The caller first: its token is checked before the request waits for its turn to write, not while holding it.
    return _scope(session, user, slug)


def report_scope(session: ReportSession, user: CurrentUser, slug: Slug) -> MissionScope:
    return _scope(session, user, slug)


ReadScope = Annotated[MissionScope, Depends(read_scope)]
# A mission's reports and statistics, read from the replica while it keeps up (never in a request that writes).
ReportScope = Annotated[MissionScope, Depends(report_scope)]
WriteScope = Annotated[MissionScope, Depends(write_scope)]
