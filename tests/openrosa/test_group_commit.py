"""Group commit: submissions waiting together share one transaction, and a bad one spoils none of the others."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import fresh_database
from openrosa.demo_phone import demo_with_phone
from truce.errors import Invalid
from truce.incidents.models import Incident
from truce.ledger import keys
from truce.ledger.verify import verify
from truce.models import LOGGED
from truce.openrosa import service
from truce.openrosa.models import Submission
from truce.openrosa.writer import GroupWriter

GOOD = "<placed_by>gps</placed_by><location>39.85 46.75 0 5</location>"
# Parses and validates, but names a site the mission lacks: it fails inside its transaction, after its row is in.
BAD = "<placed_by>bearing</placed_by><observer_site>999999</observer_site><bearing_deg>10</bearing_deg>"
BAD += "<distance_km>1</distance_km>"
TOGETHER = 6


def _xml(instance: str, placed: str) -> bytes:
    return (
        '<data id="truce-nk-2020-incident" version="1"><observed>2020-11-20T10:00:00+04:00</observed>'
        "<incident_type>explosion</incident_type><subtype>mortar</subtype><source>post</source>"
        f"{placed}<meta><instanceID>uuid:{instance}</instanceID></meta></data>"
    ).encode()


def test_waiting_submissions_share_a_transaction_and_a_bad_one_is_rolled_back_alone(
    backend: str, tmp_path: Path
) -> None:
    db = fresh_database(backend, tmp_path, "openrosa_group")
    try:
        mission, caller, incidents_before = demo_with_phone(db, "batch-phone")
        ids = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(TOGETHER)]
        bad = ids[2]
        prepared = {i: service.prepare(mission, caller, _xml(i, BAD if i == bad else GOOD)) for i in ids}
        writer = GroupWriter(db)
        sessions: dict[str, Session] = {}
        answers: dict[str, object] = {}

        async def store(instance: str) -> None:
            def work(session: Session) -> service.Receipt:
                sessions[instance] = session
                here = session.merge(mission, load=False)
                return service.receive(session, here, prepared[instance], {}, caller=caller)

            try:
                answers[instance] = (await writer.run(work)).created
            except Exception as exc:  # the bad one's error is its own answer
                answers[instance] = exc

        async def store_all() -> None:
            # Every task reaches its write before the loop turns to the batch: all of them are stored together.
            await asyncio.gather(*(store(i) for i in ids))

        asyncio.run(store_all())

        assert len({id(s) for s in sessions.values()}) == 1, "the waiting submissions were not stored together"
        assert isinstance(answers[bad], Invalid)
        assert "999999" in str(answers[bad])
        assert {i: answers[i] for i in ids if i != bad} == {i: True for i in ids if i != bad}
        with db.session(write=False) as session:
            stored = set(session.scalars(select(Submission.instance_id)))
            assert stored == {f"uuid:{i}" for i in ids if i != bad}
            incidents = session.scalar(select(func.count()).select_from(Incident))
            assert incidents == incidents_before + TOGETHER - 1
            assert verify(session, keys.load_or_create(tmp_path).verifier(), LOGGED).intact
    finally:
        db.dispose()
