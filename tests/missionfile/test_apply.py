"""`apply`: the plan a changed file gives, the changes it makes, and the changes it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import EXAMPLE
from truce.errors import Forbidden
from truce.incidents.models import Incident
from truce.missionfile import apply, create, export, spec
from truce.missions.models import Mission
from truce.places.models import Site
from truce.policy import Actor


def planned(session: Session, mission: Mission, document: dict[str, Any]) -> apply.Plan:
    return apply.plan(session, mission, spec.from_data(document, base=None))


def test_the_file_as_it_stands_changes_nothing(session: Session, mission: Mission) -> None:
    plan = planned(session, mission, export.mission_file(session, mission))
    assert plan.changes == []
    assert plan.refused == []


def test_additions_and_changes_are_shown_then_applied(session: Session, mission: Mission) -> None:
    document = export.mission_file(session, mission)
    document["verification"]["quorum"] = 3
    document["mandate"]["personnel"] = 2000
    document["parties"][1]["name"] = "Türkiye"
    document["delegations"].append({"code": "osce", "party": "icrc", "name": "A new delegation"})
    sites = document["places"]["sites"]["features"]
    sites.append({"type": "Feature", "properties": {"name": "New post", "kind": "post", "classification": "public"},
                  "geometry": {"type": "Point", "coordinates": [46.8, 39.9]}})  # fmt: skip
    moved = next(f for f in sites if f["properties"].get("code") == "OP-01")
    moved["geometry"]["coordinates"] = [46.6, 40.29]
    document["agreement"]["provisions"][0]["summary"] = "A reworded summary."
    plan = planned(session, mission, document)
    assert plan.lines() == [
        "~ mission settings: quorum_delegations, ceiling_personnel",
        "~ party tr: name or kind",
        "+ delegation osce",
        "~ site 'Observation post 01 (line of contact)'",
        "+ site 'New post'",
        "~ provision 1",
    ]
    site_id = session.scalar(select(Site.id).where(Site.mission_id == mission.id, Site.code == "OP-01"))
    apply.apply(session, mission, plan, actor=Actor.system())
    # The moved post keeps its id, so incidents that name it still do.
    assert session.scalar(select(Site.id).where(Site.mission_id == mission.id, Site.code == "OP-01")) == site_id
    assert export.mission_file(session, mission) == spec_form(document)
    assert planned(session, mission, document).changes == []


def spec_form(document: dict[str, Any]) -> dict[str, Any]:
    from truce.missionfile import canonical

    return canonical.of_spec(spec.from_data(document, base=None))


def test_what_would_orphan_records_is_refused(session: Session, mission: Mission) -> None:
    document = export.mission_file(session, mission)
    sites = document["places"]["sites"]["features"]
    used = [f for f in sites if f["properties"].get("code") == "OP-01"]
    document["places"]["sites"]["features"] = [f for f in sites if f not in used]
    document["parties"] = [p for p in document["parties"] if p["code"] != "icrc"]
    document["delegations"] = [d for d in document["delegations"] if d["code"] != "icrc"]
    document["agreement"]["provisions"] = document["agreement"]["provisions"][1:]
    incidents = session.scalar(
        select(func.count())
        .select_from(Incident)
        .where(
            Incident.nearest_site_id
            == select(Site.id).where(Site.mission_id == mission.id, Site.code == "OP-01").scalar_subquery()
        )
    )
    assert incidents
    plan = planned(session, mission, document)
    assert plan.changes == []
    assert plan.refused == [
        "party icrc is not in the file; parties stay, since the log and records name them (1 delegation)",
        "delegation icrc is not in the file; delegations stay, since the log and records name them (0 members)",
        f"site 'Observation post 01 (line of contact)' is not in the file, but {incidents} incidents refer to it "
        "(set valid_until instead)",
        "provision 1 is not in the file; provisions stay, since assessments and links name them "
        "(4 assessments and extensions)",
    ]


def test_an_unused_place_may_be_removed(session: Session) -> None:
    mission, _ = create.create(session, spec.read(EXAMPLE), actor=Actor.system())
    document = export.mission_file(session, mission)
    document["places"]["sites"]["features"].pop()
    plan = planned(session, mission, document)
    assert plan.lines() == ["- site 'Eastgate'"]
    apply.apply(session, mission, plan, actor=Actor.system())
    assert export.mission_file(session, mission) == document


def test_a_file_for_another_mission_is_refused(session: Session, mission: Mission) -> None:
    plan = planned(session, mission, spec_form_of_example())
    assert plan.refused == ["the file is for mission 'valley-buffer', not 'nk-2020' (slugs never change)"]


def spec_form_of_example() -> dict[str, Any]:
    from truce.missionfile import canonical

    return canonical.of_spec(spec.read(EXAMPLE))


@pytest.mark.parametrize("username", ["monitor-ru", "verifier-ru", "liaison-am", "analyst-ru"])
def test_only_administrators_and_operators_apply(
    session: Session, mission: Mission, member: Any, username: str
) -> None:
    document = export.mission_file(session, mission)
    document["verification"]["quorum"] = 3
    plan = planned(session, mission, document)
    with pytest.raises(Forbidden):
        apply.apply(session, mission, plan, actor=member(username))
    apply.apply(session, mission, plan, actor=member("admin"))
    assert mission.quorum_delegations == 3
