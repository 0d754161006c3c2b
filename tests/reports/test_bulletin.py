"""Public bulletins: only public records, a manifest of what they were built from, and a byte-for-byte check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mission_examples import Scene
from reports.conftest import SECRET
from truce.errors import Forbidden, Invalid
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.ledger import service as ledger
from truce.ledger.models import LogEntry
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import MissionUpdate
from truce.policy import Actor
from truce.reports import bulletin, service
from truce.reports.models import Report


@pytest.fixture(autouse=True)
def public(session: Session, mission: Mission, member: Callable[[str], Actor]) -> None:
    """Only a public mission publishes bulletins: the demo is one; the example mission is made one here."""
    if not mission.public:
        missions_service.update(session, mission, MissionUpdate(public=True), actor=member("admin"))


@pytest.fixture
def published(
    session: Session,
    mission: Mission,
    file_incident: Callable[..., Incident],
    member: Callable[[str], Actor],
    scene: Scene,
    day: date,
) -> tuple[Report, dict[str, Incident]]:
    filed = {
        "public": file_incident(narrative="Public narrative of a shelling"),
        "mission": file_incident(classification="mission", narrative="Staff-only narrative"),
        "restricted": file_incident(member("verifier-tr"), classification="restricted",
                                    restricted_to=[scene.delegation("tr")], narrative=SECRET),
    }  # fmt: skip
    report = service.publish_bulletin(session, mission, day, actor=member("verifier-ru"))
    return report, filed


def mission_of(session: Session, report: Report) -> Mission:
    found = session.get(Mission, report.mission_id)
    assert found is not None
    return found


def test_built_only_from_public_records(
    session: Session, published: tuple[Report, dict[str, Incident]], scene: Scene
) -> None:
    report, filed = published
    assert report.kind == "bulletin"
    assert report.classification == "public"
    text = report.content.decode("utf-8")
    manifest = bulletin.read_manifest(report.content)
    incidents = {int(r["id"]) for r in manifest.records if r["kind"] == "incidents"}
    assert filed["public"].id in incidents
    assert filed["mission"].id not in incidents
    assert filed["restricted"].id not in incidents
    # No restricted field, narrative, personal name, account or photo metadata.
    accounts = [scene.account(name) for name in ("monitor-ru", "verifier-ru", "verifier-tr")]
    for absent in (SECRET, "Staff-only narrative", "Public narrative", *accounts, "author", "photo_metadata", "GPS",
                   "restricted_to"):  # fmt: skip
        assert absent not in text, absent
    kinds = {r["kind"] for r in manifest.records}
    # The publishing delegation's record: the bulletin names it (edition 2).
    assert kinds <= {"missions", "areas", "lines", "sites", "incidents", "provisions", "delegations"}
    assert f"<strong>No. {filed['public'].id}</strong>" in text
    publisher = missions_service.delegation_by_code(session, mission_of(session, report), scene.delegation("ru"))
    assert f"Published by a verifier of the {publisher.name} delegation" in text


def test_manifest_names_the_checkpoint_and_the_record_hashes(
    session: Session, published: tuple[Report, dict[str, Incident]]
) -> None:
    report, _ = published
    manifest = bulletin.read_manifest(report.content)
    assert manifest.log_size == report.log_size
    assert manifest.log_root == report.log_root
    entry = session.execute(select(LogEntry).where(LogEntry.idx == manifest.records[0]["entry"])).scalar_one()
    assert entry.entity_type == manifest.records[0]["kind"]
    assert all(len(r["sha256"]) == 64 for r in manifest.records)


def test_check_passes_then_fails_on_one_changed_byte(
    session: Session, published: tuple[Report, dict[str, Incident]], day: date
) -> None:
    report, _ = published
    result = service.check_bulletin(session, report.content)
    assert result.ok, result.message
    assert "matches, byte for byte" in result.message
    changed = bytearray(report.content)
    at = changed.index(f"Public bulletin, {day.day}".encode())
    changed[at] = ord("p")
    failed = service.check_bulletin(session, bytes(changed))
    assert not failed.ok
    assert f"differs from its rebuild from the log at byte {at:,}" in failed.message


def test_check_uses_the_log_not_the_tables_as_they_are_now(
    session: Session,
    mission: Mission,
    published: tuple[Report, dict[str, Incident]],
    member: Callable[[str], Actor],
    day: date,
) -> None:
    report, filed = published
    incidents_service.retract(session, mission, filed["public"].id, actor=member("monitor-ru"))
    assert service.check_bulletin(session, report.content).ok
    # A bulletin published now is different: the retracted incident no longer counts.
    newer = service.publish_bulletin(session, mission, day, actor=member("verifier-tr"))
    assert newer.sha256 != report.sha256


def test_check_fails_when_a_log_entry_was_edited(
    session: Session, published: tuple[Report, dict[str, Incident]]
) -> None:
    report, filed = published
    manifest = bulletin.read_manifest(report.content)
    entry = next(
        r["entry"] for r in manifest.records if r["kind"] == "incidents" and int(r["id"]) == filed["public"].id
    )
    data = session.execute(select(LogEntry.data).where(LogEntry.idx == entry)).scalar_one()
    session.execute(update(LogEntry).where(LogEntry.idx == entry).values(data=data.replace("mortar", "rocket")))
    result = service.check_bulletin(session, report.content)
    assert not result.ok
    assert f"log entry {entry} no longer matches its leaf hash" in result.message


def test_check_refuses_what_is_not_a_bulletin(session: Session) -> None:
    with pytest.raises(Invalid, match="not a Truce bulletin"):
        service.check_bulletin(session, b"<html><body>hello</body></html>")


@pytest.mark.parametrize("username", ["monitor-ru", "analyst-ru", "liaison-am", "admin"])
def test_only_verifiers_publish(
    session: Session, mission: Mission, member: Callable[[str], Actor], username: str, day: date
) -> None:
    with pytest.raises(Forbidden):
        service.publish_bulletin(session, mission, day, actor=member(username))


def test_a_later_bulletin_is_built_at_the_later_log_size(
    session: Session, mission: Mission, member: Callable[[str], Actor], day: date
) -> None:
    first = service.publish_bulletin(session, mission, day, actor=member("verifier-ru"))
    count = ledger.size(session) - 1  # the index of the last entry: the first bulletin's
    # The log grew by the first bulletin's entry, so the second is built at a new size: a new document.
    second = service.publish_bulletin(session, mission, day, actor=member("verifier-ru"))
    assert second.id != first.id
    assert second.log_size == count + 1
