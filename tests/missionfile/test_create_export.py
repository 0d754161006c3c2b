"""A mission from its file and back: create, export and compare gives the same file, on every backend."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import DEMO, EXAMPLE, example
from truce.incidents.models import Incident
from truce.ledger import service as ledger
from truce.ledger.models import LogEntry
from truce.missionfile import canonical, create, export, spec
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor
from truce.users import service as users_service


def without_comments(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))


def test_create_then_export_gives_back_the_example_file(session: Session) -> None:
    checked = spec.read(EXAMPLE)
    before = ledger.size(session)
    mission, created = create.create(session, checked, actor=Actor.system())
    assert created[:3] == ["mission valley-buffer", "party north", "party south"]
    assert len(created) == 1 + 5 + 5 + 3 + 4 + 8 + 4
    # One log entry per record created, in the same transaction.
    assert ledger.size(session) == before + len(created)
    document = export.mission_file(session, mission)
    assert document == canonical.of_spec(checked)
    assert without_comments(canonical.dump_yaml(document)) == without_comments(EXAMPLE.read_text(encoding="utf-8"))
    # The JSON form says the same.
    assert spec.from_text(canonical.dump_json(document), base=None).mission == checked.mission


def test_the_demo_is_its_mission_file(session: Session, mission: Mission) -> None:
    assert export.mission_file(session, mission) == canonical.of_spec(spec.read(DEMO))
    assert mission.names["ru"].startswith("Мониторинг")
    assert mission.languages == ["en", "ru"]
    assert mission.illustrative


def test_an_exported_file_creates_the_same_mission_again(session: Session, mission: Mission) -> None:
    document = export.mission_file(session, mission)
    document["slug"] = "nk-2020-copy"
    checked = spec.from_data(document, base=None)
    copy, _ = create.create(session, checked, actor=Actor.system())
    again = export.mission_file(session, copy)
    assert again == document
    # Only the mission's set-up: none of the demo's incidents came along.
    assert session.scalar(select(func.count()).where(Incident.mission_id == copy.id)) == 0


def test_the_first_administrator_is_named_with_the_mission(session: Session) -> None:
    first = create.FirstAdmin("admin-valley", "a-long-password", "force")
    mission, created = create.create(session, spec.read(EXAMPLE), actor=Actor.system(), first_admin=first)
    assert created[-1] == "user admin-valley"
    actor = users_service.actor_for(session, users_service.get_by_name(session, "admin-valley"), mission)
    assert (actor.role, actor.delegation_code) == ("admin", "force")


def test_an_operators_setup_is_logged_under_the_operators_name(session: Session) -> None:
    operator = users_service.create_operator(session, "ops", "a-long-password", actor=Actor.system())
    actor = users_service.actor_for(session, operator, None)
    assert actor.operator
    assert actor.role == "public"
    mission, created = create.create(session, spec.read(EXAMPLE), actor=actor)
    session.commit()  # the command ends: what it logged is in the log
    actors = set(session.execute(select(LogEntry.actor).where(LogEntry.mission_id == mission.id)).scalars())
    assert actors == {"ops"}
    assert len(created) > 20


def test_places_may_live_in_geojson_files_beside_the_mission_file(tmp_path: Path, session: Session) -> None:
    data = example()
    for kind in ("areas", "lines", "sites"):
        (tmp_path / f"{kind}.geojson").write_text(__import__("json").dumps(data["places"][kind]), encoding="utf-8")
        data["places"][kind] = f"{kind}.geojson"
    (tmp_path / "mission.yaml").write_text(canonical.dump_yaml(data), encoding="utf-8")
    checked = spec.read(tmp_path / "mission.yaml")
    assert canonical.of_spec(checked) == canonical.of_spec(spec.read(EXAMPLE))
    mission, _ = create.create(session, checked, actor=Actor.system())
    assert missions_service.get_by_slug(session, "valley-buffer") is mission
