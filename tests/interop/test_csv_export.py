"""Plain CSV: one column per fact, every incident the reader may read, nothing a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.policy import Actor

Export = Callable[[str, Actor], str]
FileIncident = Callable[..., Incident]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_columns_and_public_rows(session: Session, mission: Mission, export: Export, restricted: Incident) -> None:
    text = export("csv", Actor.anonymous(mission.id))
    header = next(csv.reader(io.StringIO(text)))
    assert header[:4] == ["id", "external_id", "type", "subtype"]
    assert {"start", "latitude", "longitude", "killed_civilian", "narrative", "status"} <= set(header)
    assert not {"observer_site", "bearing_deg", "distance_km", "restricted_to", "author_delegation"} & set(header)
    found = rows(text)
    public = session.scalar(
        select(func.count()).where(Incident.mission_id == mission.id, Incident.classification == "public")
    )
    assert len(found) == public
    assert {row["classification"] for row in found} == {"public"}
    assert restricted.narrative not in text


def test_values_are_in_the_mission_s_time_and_escaped(
    mission: Mission, export: Export, member: Callable[[str], Actor], file_incident: FileIncident, scene: Scene
) -> None:
    side = scene.delegation("az")
    utc = datetime.fromisoformat(scene.moment(23, 30)).replace(tzinfo=None)  # 23:30 UTC, in the mission's clock:
    incident = file_incident(
        member("monitor-ru"), start=f"{utc.isoformat()}+00:00", narrative="@SUM(A1:A9) then -1",
        external_id="=1+1", casualties={"killed": {"combatant": 2}}, counts={"impacts": 3},
        alleged_actors=[{"party": side, "actor": "Armed forces"}],
    )  # fmt: skip
    row = next(r for r in rows(export("csv", Actor.anonymous(mission.id))) if r["id"] == str(incident.id))
    local = datetime.fromisoformat(f"{utc.isoformat()}+00:00").astimezone(timezone(scene.offset))
    assert row["start"] == local.isoformat()
    assert row["narrative"] == "'@SUM(A1:A9) then -1"
    assert row["external_id"] == "'=1+1"
    assert (row["killed_combatant"], row["killed_civilian"], row["count_impacts"]) == ("2", "0", "3")
    assert row["alleged_actors"] == f"{side}: Armed forces"
    assert (row["latitude"], row["longitude"]) == (f"{scene.point[1]:.6f}", f"{scene.point[0]:.6f}")


def test_a_member_sees_more(mission: Mission, export: Export, member: Callable[[str], Actor]) -> None:
    assert len(rows(export("csv", member("liaison-am")))) > len(rows(export("csv", Actor.anonymous(mission.id))))
