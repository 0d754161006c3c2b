"""UCDP GED CSV: events in as public media incidents keyed `ucdp-<id>`, bad rows reported by line."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene
from truce.errors import Invalid
from truce.incidents.models import Incident
from truce.interop.importer import ImportReport, import_file
from truce.missions.models import Mission
from truce.policy import Actor

COLUMNS = [
    "id", "year", "type_of_violence", "side_a", "side_b", "source_headline", "where_prec", "where_coordinates",
    "adm_1", "latitude", "longitude", "country", "date_start", "date_end", "deaths_a", "deaths_b",
    "deaths_civilians", "deaths_unknown", "best", "high", "low",
]  # fmt: skip


def day(scene: Scene, demo_day: date) -> str:
    """A GED date cell for the scene's counterpart of a demo day."""
    return f"{scene.shifted(demo_day).isoformat()} 00:00:00.000"


@pytest.fixture
def event(scene: Scene) -> Callable[..., dict[str, Any]]:
    """A GED row of a clash between the mission's two sides, inside the mission, the day before the scene's."""
    lon, lat = scene.at(47.03, 39.52)
    on = day(scene, date(2020, 11, 20))

    def row(event_id: int, **cells: Any) -> dict[str, Any]:
        return {
            "id": event_id, "year": int(on[:4]), "type_of_violence": 1,
            "side_a": scene.actor("Government of Azerbaijan"), "side_b": scene.actor("Government of Armenia"),
            "source_headline": "Clashes reported", "where_prec": 2,
            "where_coordinates": "Hadrut town", "adm_1": "Khojavend", "latitude": lat, "longitude": lon,
            "country": "Azerbaijan", "date_start": on, "date_end": on, "best": 3, "high": 5, "low": 2, **cells,
        }  # fmt: skip

    return row


Event = Callable[..., dict[str, Any]]


def ged(*events: dict[str, Any]) -> io.BytesIO:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, restval="")
    writer.writeheader()
    writer.writerows(events)
    return io.BytesIO(out.getvalue().encode())


def run_import(session: Session, mission: Mission, data: io.BytesIO) -> ImportReport:
    return import_file(session, mission, data, "ged.csv", "ucdp", actor=Actor.system(mission.id))


def incident(session: Session, key: str) -> Incident:
    return session.execute(select(Incident).where(Incident.external_id == key)).scalar_one()


def test_events_go_in_with_the_mapping(session: Session, mission: Mission, event: Event, scene: Scene) -> None:
    report = run_import(
        session, mission,
        ged(event(1), event(2, type_of_violence=3, where_prec=4, side_b="Civilians", best=1,
                            date_end=day(scene, date(2020, 11, 24)))),
    )  # fmt: skip
    assert (report.created, report.problems) == (2, [])
    clash = incident(session, "ucdp-1")
    assert (clash.type, clash.subtype, clash.geo_precision, clash.time_precision) == ("fire", "small_arms", 2, "day")
    assert clash.casualties["killed"]["unknown"] == 3
    assert [a["party"] for a in clash.alleged_actors] == [scene.delegation("az"), scene.delegation("am")]
    assert (clash.source, clash.classification) == ("media", "public")
    assert "Hadrut town" in clash.narrative
    one_sided = incident(session, "ucdp-2")
    assert (one_sided.type, one_sided.subtype, one_sided.geo_precision) == ("civilian_harm", "killed", 3)
    assert one_sided.time_precision == "week"
    assert one_sided.end is not None
    assert "Civilians" in one_sided.narrative


def test_again_changes_nothing_and_bad_rows_are_reported(session: Session, mission: Mission, event: Event) -> None:
    run_import(session, mission, ged(event(1)))
    report = run_import(
        session, mission,
        ged(event(1), event(3, type_of_violence=4), event(4, latitude=-91), event(5, date_start="20/11/2020"),
            event(6, date_end="2000-01-01"), event(7, best=-2), event(8)),
    )  # fmt: skip
    assert (report.created, report.unchanged) == (1, 1)
    reasons = [str(problem) for problem in report.problems]
    assert reasons[0] == "line 3: type_of_violence 4 is out of range [1, 3]"
    assert reasons[1] == "line 4: latitude -91 is out of range [-90, 90]"
    assert reasons[2].startswith("line 5: date_start '20/11/2020' is not a date")
    assert reasons[3] == "line 6: date_end is before date_start"
    assert reasons[4] == "line 7: best -2 is out of range [0, 100000]"


def test_missing_ged_columns_are_named(session: Session, mission: Mission) -> None:
    with pytest.raises(Invalid, match="no column where_prec, best"):
        run_import(
            session, mission, io.BytesIO(b"id,date_start,latitude,longitude,type_of_violence\n1,2020-11-20,39,46,1\n")
        )
