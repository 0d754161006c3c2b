"""ACLED-compatible CSV: the 31 columns in order, only what the reader may see, and imports that go in
row by row, report every bad row by line, and change nothing the second time."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from truce.errors import Forbidden, Unauthorized
from truce.incidents.models import Incident
from truce.incidents.taxonomy import TAXONOMY
from truce.interop import acled
from truce.interop.export import PartyFacts
from truce.interop.importer import ImportReport, import_file
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor

Export = Callable[[str, Actor], str]
FileIncident = Callable[..., Incident]

# Straight from STANDARDS.md (the ACLED codebook's standard export), not from the code under test.
ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
    "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
    "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
]  # fmt: skip


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def rows_by_id(text: str) -> dict[str, dict[str, str]]:
    return {row["event_id_cnty"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}


def acled_file(*rows: dict[str, Any]) -> io.BytesIO:
    """An ACLED CSV file: the standard header, then each row (missing cells empty)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=ACLED_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8"))


Clash = Callable[..., dict[str, Any]]


def clash_day(scene: Scene) -> date:
    """The day of the clashes: 16 November 2020 in nk-2020, as far before the scene's day elsewhere."""
    return scene.shifted(date(2020, 11, 16))


@pytest.fixture
def clash(scene: Scene) -> Clash:
    """A plausible ACLED row of an armed clash between the mission's sides, inside its area."""
    lon, lat = scene.at(47.03, 39.52)
    on = clash_day(scene)

    def row(event_id: str, **cells: Any) -> dict[str, Any]:
        return {
            "event_id_cnty": event_id, "event_date": on.isoformat(), "year": on.year, "time_precision": 1,
            "disorder_type": "Political violence", "event_type": "Battles", "sub_event_type": "Armed clash",
            "actor1": scene.actor("Military Forces of Azerbaijan (2003-)"), "inter1": "State forces",
            "actor2": scene.actor("Military Forces of Armenia (2018-)"), "inter2": "State forces",
            "interaction": "State forces-State forces", "country": "Azerbaijan", "location": "Hadrut",
            "latitude": f"{lat:.4f}", "longitude": f"{lon:.4f}", "geo_precision": 2, "source": "Armenpress; Trend",
            "notes": "Exchange of fire reported near Hadrut.", "fatalities": 0, **cells,
        }  # fmt: skip

    return row


def event_id(mission: Mission, incident: Incident) -> str:
    return f"TRUCE-{mission.slug}-{incident.id}"


def events(session: Session, mission: Mission) -> int:
    """The mission's incidents that are events: all but the retracted."""
    stmt = select(func.count()).where(Incident.mission_id == mission.id, Incident.status != "retracted")
    return int(session.scalar(stmt) or 0)


def run_import(session: Session, mission: Mission, data: io.BytesIO, actor: Actor | None = None) -> ImportReport:
    return import_file(session, mission, data, "events.csv", "acled", actor=actor or Actor.system(mission.id))


def by_external_id(session: Session, mission: Mission, external_id: str) -> Incident:
    stmt = select(Incident).where(Incident.mission_id == mission.id, Incident.external_id == external_id)
    return session.execute(stmt).scalar_one()


# --- export ------------------------------------------------------------------------------------


def test_the_31_columns_in_the_standard_order(export: Export, mission: Mission) -> None:
    rows = table(export("acled", Actor.anonymous(mission.id)))
    assert rows[0] == ACLED_COLUMNS
    assert len(rows[0]) == 31
    assert all(len(row) == 31 for row in rows[1:])


def test_public_export_holds_exactly_the_public_events(
    session: Session, mission: Mission, export: Export, restricted: Incident, scene: Scene
) -> None:
    public = session.execute(
        select(Incident).where(
            Incident.mission_id == mission.id, Incident.classification == "public", Incident.status != "retracted"
        )
    ).scalars()
    text = export("acled", Actor.anonymous(mission.id))
    # An event's id is its incident's external id (every demo incident has one), else Truce's own.
    assert set(rows_by_id(text)) == {incident.external_id or event_id(mission, incident) for incident in public}
    assert restricted.narrative not in text
    for leak in ("restricted_to", "photo_metadata", "GPS", scene.account("monitor-ru"), scene.account("verifier-tr")):
        assert leak not in text


def test_a_member_sees_more_and_only_their_delegation_sees_restricted(
    session: Session, mission: Mission, export: Export, member: Callable[[str], Actor], restricted: Incident
) -> None:
    public = rows_by_id(export("acled", Actor.anonymous(mission.id)))
    analyst = rows_by_id(export("acled", member("analyst-ru")))
    turkish = rows_by_id(export("acled", member("verifier-tr")))
    assert len(public) < len(analyst) == events(session, mission) - 1  # all but the restricted one
    assert set(public) < set(analyst)
    assert event_id(mission, restricted) not in analyst
    assert turkish[event_id(mission, restricted)]["notes"] == restricted.narrative


def test_row_values_follow_the_mapping(
    session: Session,
    mission: Mission,
    export: Export,
    member: Callable[[str], Actor],
    file_incident: FileIncident,
    scene: Scene,
) -> None:
    incident = file_incident(
        member("monitor-ru"), type="civilian_harm", subtype="killed",
        # 23:30 UTC is 03:30 the next day in nk-2020's time zone (UTC+4), 01:30 in the example's (UTC+2).
        start=datetime.combine(scene.day - timedelta(days=1), time(23, 30), tzinfo=UTC).isoformat(),
        time_precision="week", geo_precision=2,
        casualties={"killed": {"civilian": 2, "unknown": 1}, "injured": {"civilian": 4}},
        alleged_actors=[{"party": scene.delegation("az"), "actor": "=cmd|' /C calc'!A0"},
                        {"party": scene.delegation("am")}],
        narrative="+1 shell hit a house.",
    )  # fmt: skip
    row = rows_by_id(export("acled", Actor.anonymous(mission.id)))[event_id(mission, incident)]
    expected = (scene.day.isoformat(), str(scene.day.year), "2")
    assert (row["event_date"], row["year"], row["time_precision"]) == expected
    assert (row["event_type"], row["sub_event_type"]) == ("Violence against civilians", "Attack")
    assert (row["disorder_type"], row["civilian_targeting"]) == ("Political violence", "Civilian targeting")
    assert row["fatalities"] == "3"
    assert row["geo_precision"] == "2"
    assert (row["latitude"], row["longitude"]) == (f"{scene.point[1]:.4f}", f"{scene.point[0]:.4f}")
    assert row["actor1"] == "'=cmd|' /C calc'!A0"
    assert row["actor2"] == missions_service.party_by_code(session, mission, scene.delegation("am")).name
    assert (row["inter1"], row["inter2"], row["interaction"]) == (
        "State forces", "State forces", "State forces-State forces",
    )  # fmt: skip
    assert row["notes"] == "'+1 shell hit a house."
    assert row["source"] == "Monitoring post"
    assert row["tags"] == "status=reported"
    assert int(row["timestamp"]) == int(incident.reported_at.timestamp())
    assert row["location"]  # the nearest site, public in both missions


def test_retracted_incidents_are_not_events(
    session: Session, mission: Mission, export: Export, member: Callable[[str], Actor], file_incident: FileIncident
) -> None:
    incident = file_incident(member("monitor-ru"))
    incident.status = "retracted"
    session.flush()
    assert event_id(mission, incident) not in rows_by_id(export("acled", Actor.system(mission.id)))


# --- import ------------------------------------------------------------------------------------


def test_round_trip_into_the_same_mission_changes_nothing(
    session: Session, mission: Mission, export: Export, restricted: Incident
) -> None:
    text = export("acled", Actor.system(mission.id))
    count_before = session.scalar(select(func.count()).select_from(Incident))
    log_before = ledger.size(session)
    report = run_import(session, mission, io.BytesIO(text.encode()))
    assert (report.created, report.unchanged, report.problems) == (0, events(session, mission), [])
    assert session.scalar(select(func.count()).select_from(Incident)) == count_before
    assert ledger.size(session) == log_before


def test_importing_the_same_file_twice_changes_nothing(
    session: Session, mission: Mission, clash: Clash, scene: Scene
) -> None:
    next_day = clash_day(scene) + timedelta(days=1)
    first = run_import(session, mission, acled_file(clash("AZE1"), clash("AZE2", event_date=f"{next_day:%d %B %Y}")))
    assert (first.created, first.problems) == (2, [])
    log_before = ledger.size(session)
    again = run_import(session, mission, acled_file(clash("AZE1"), clash("AZE2", notes="Edited since.")))
    assert (again.created, again.unchanged, again.problems) == (0, 2, [])
    assert ledger.size(session) == log_before


def test_an_imported_row_becomes_a_public_media_incident(
    session: Session, mission: Mission, clash: Clash, scene: Scene
) -> None:
    run_import(session, mission, acled_file(clash("AZE7", fatalities=2)))
    incident = by_external_id(session, mission, "AZE7")
    assert (incident.type, incident.subtype, incident.source, incident.classification) == (
        "fire", "small_arms", "media", "public",
    )  # fmt: skip
    midnight = datetime.combine(clash_day(scene), time(), tzinfo=UTC) - scene.offset  # in nk-2020, 20:00 UTC
    assert incident.start == midnight
    assert (incident.time_precision, incident.geo_precision) == ("day", 2)
    assert incident.casualties["killed"]["unknown"] == 2
    assert [a["party"] for a in incident.alleged_actors] == [scene.delegation("az"), scene.delegation("am")]
    assert incident.narrative.startswith("Exchange of fire reported near Hadrut.")
    assert "Hadrut" in incident.narrative
    assert "Armenpress" in incident.narrative
    assert incident.controlled_by is not None  # derived through the service, like any other incident


def test_both_date_formats(session: Session, mission: Mission, clash: Clash, scene: Scene) -> None:
    on = clash_day(scene)
    report = run_import(
        session, mission,
        acled_file(clash("D1", event_date=on.isoformat()), clash("D2", event_date=f"{on:%d %B %Y}"),
                   clash("D3", event_date=f"{on:%d %b %Y}"), clash("D4", event_date=f"{on:%d-%b-%Y}")),
    )  # fmt: skip
    assert report.problems == []
    starts = {by_external_id(session, mission, key).start for key in ("D1", "D2", "D3", "D4")}
    assert len(starts) == 1


@pytest.mark.parametrize("inter", ["7", "Civilians"])
def test_inter_codes_as_text_or_integer(session: Session, mission: Mission, clash: Clash, inter: str) -> None:
    row = clash("C1", event_type="Violence against civilians", sub_event_type="Attack", inter2=inter, fatalities=1)
    assert run_import(session, mission, acled_file(row)).problems == []
    incident = by_external_id(session, mission, "C1")
    assert (incident.type, incident.subtype) == ("civilian_harm", "killed")
    assert incident.casualties["killed"]["civilian"] == 1


def test_every_bad_row_is_reported_by_line_while_good_rows_go_in(
    session: Session, mission: Mission, clash: Clash
) -> None:
    data = acled_file(
        clash("OK1"),  # line 2
        clash("BAD1", event_date="31 Febtember 2020"),
        clash("BAD2", latitude="95.0"),
        clash("BAD3", sub_event_type="Cavalry charge"),
        clash("BAD4", event_date="2019-01-01"),
        clash("BAD5", fatalities="many"),
        clash("BAD6", inter1="12"),
        clash(""),
        clash("BAD8", longitude="east"),
        clash("OK2", notes="Second good row."),  # line 11
    )
    report = run_import(session, mission, data)
    assert report.created == 2
    reasons = {problem.where: problem.reason for problem in report.problems}
    assert list(reasons) == [f"line {n}" for n in range(3, 11)]
    assert "Febtember" in reasons["line 3"]
    assert "latitude 95.0 is out of range" in reasons["line 4"]
    assert "Cavalry charge" in reasons["line 5"]
    assert reasons["line 6"].startswith("event_date: is before the mission began")
    assert "fatalities 'many'" in reasons["line 7"]
    assert "inter code 12" in reasons["line 8"]
    assert "event_id_cnty is empty" in reasons["line 9"]
    assert "longitude 'east'" in reasons["line 10"]
    assert by_external_id(session, mission, "OK2").narrative.startswith("Second good row.")


def test_import_needs_a_role_that_files_events(
    session: Session, mission: Mission, member: Callable[[str], Actor], clash: Clash, scene: Scene
) -> None:
    with pytest.raises(Unauthorized):
        run_import(session, mission, acled_file(clash("X1")), Actor.anonymous(mission.id))
    with pytest.raises(Forbidden):
        run_import(session, mission, acled_file(clash("X1")), member("analyst-ru"))
    with pytest.raises(Forbidden, match="liaison"):
        run_import(session, mission, acled_file(clash("X1")), member("liaison-am"))
    report = run_import(session, mission, acled_file(clash("X1")), member("monitor-ru"))
    assert report.created == 1
    assert by_external_id(session, mission, "X1").author_delegation == scene.delegation("ru")


def test_every_acled_sub_event_type_maps_to_a_truce_subtype() -> None:
    assert len(acled.FROM_ACLED) == 25  # 25 sub-event types, STANDARDS.md
    for kind, subtype in acled.FROM_ACLED.values():
        assert subtype in TAXONOMY[kind]
    exported = {(m.event_type.lower(), m.sub_event_type.lower()) for subs in TAXONOMY.values() for m in subs.values()}
    assert exported <= set(acled.FROM_ACLED)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Military Forces of Azerbaijan (2003-)", "az"),
        ("Armenian forces (alleged)", "am"),
        ("Military Forces of Russia (2000-)", "ru"),
        ("az", "az"),
        ("UNHCR: United Nations High Commissioner for Refugees", "unhcr"),
        ("Unidentified Armed Group", None),
        ("Civilians (International)", None),
    ],
)
def test_actor_names_find_the_mission_s_parties(name: str, code: str | None) -> None:
    parties = {
        "am": PartyFacts("Republic of Armenia", "side"),
        "az": PartyFacts("Republic of Azerbaijan", "side"),
        "ru": PartyFacts("Russian Federation", "guarantor"),
        "unhcr": PartyFacts("UNHCR", "agency"),
    }
    assert acled.party_for(name, parties) == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-05-16", date(2025, 5, 16)),
        ("16 May 2025", date(2025, 5, 16)),
        ("1 January 2020", date(2020, 1, 1)),
        (" 05 Sept 2021 ", date(2021, 9, 5)),
        ("16-may-2025", date(2025, 5, 16)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert acled.parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "2025-02-30", "16/05/2025", "16 Mai 2025", "May 16, 2025", "2025-5"])
def test_parse_date_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"date|month|calendar"):
        acled.parse_date(text)
