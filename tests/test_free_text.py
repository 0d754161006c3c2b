"""Free text everywhere it enters: control characters refused, bidirectional formatting characters removed.

Checked once, in the input schemas' shared base, so that every schema, the OpenRosa intake and the importers
apply the same rule (`truce.text`).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import Login, point_feature
from truce import text
from truce.agreement.schemas import ProvisionIn
from truce.claims.schemas import ClaimIn
from truce.errors import Invalid
from truce.incidents.models import Incident
from truce.incidents.schemas import IncidentIn, VerdictIn
from truce.interop.importer import import_file
from truce.missions.models import Mission
from truce.missions.schemas import MissionIn, PartyIn
from truce.movements.schemas import MovementIn
from truce.places.schemas import SiteIn
from truce.policy import Actor
from truce.users import service as users_service

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f"]
CONTROLS = ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\u2028"]


def incident(**properties: Any) -> dict[str, Any]:
    return point_feature(46.8, 39.9, type="fire", subtype="sniper", start="2020-11-21T10:00:00+04:00",
                         source="post", **properties)  # fmt: skip


# One single-line and one multi-line field of each input schema that has them.
SAMPLES: list[tuple[type[BaseModel], dict[str, Any], list[str], str | None]] = [
    (MissionIn, {"slug": "m1", "name": "N", "description": "D"}, ["name"], "description"),
    (PartyIn, {"code": "p", "name": "N", "kind": "side"}, ["name"], None),
    (SiteIn, point_feature(46.8, 39.9, name="N", kind="post", note="D"), ["properties", "name"], "properties.note"),
    (IncidentIn, incident(narrative="D", alleged_actors=[{"party": "am", "actor": "A"}]),
     ["properties", "alleged_actors", 0, "actor"], "properties.narrative"),
    (VerdictIn, {"verdict": "confirm", "note": "D"}, [], "note"),
    (ClaimIn, {"said_on": "2020-11-20", "speaker": "S", "affiliation_text": "A", "source_title": "T",
                "summary": "D"}, ["speaker"], "summary"),
    (ProvisionIn, {"number": "1", "summary": "D", "category": "Cease Fire"}, [], "summary"),
    (MovementIn, {"site_id": 1, "direction": "incoming", "kind": "return", "on_date": "2020-11-20", "individuals": 1,
                  "origin": "O", "note": "D"}, ["origin"], "note"),
]  # fmt: skip


def with_value(data: dict[str, Any], path: list[Any], value: str) -> dict[str, Any]:
    copied: Any = __import__("copy").deepcopy(data)
    node = copied
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return dict(copied)


def dotted(data: dict[str, Any], path: str) -> list[Any]:
    return path.split(".")


@pytest.mark.parametrize(("model", "data", "line", "paragraph"), SAMPLES, ids=[s[0].__name__ for s in SAMPLES])
def test_every_schema_refuses_controls_and_drops_bidi(
    model: type[BaseModel], data: dict[str, Any], line: list[str], paragraph: str | None
) -> None:
    try:
        model.model_validate(data)
    except ValidationError as exc:  # a sample must be valid to begin with
        pytest.fail(str(exc))
    for path in ([line] if line else []) + ([dotted(data, paragraph)] if paragraph else []):
        for control in CONTROLS:
            with pytest.raises(ValidationError, match="control character"):
                model.model_validate(with_value(data, path, f"Post{control}7"))
        for mark in BIDI:
            cleaned = model.model_validate(with_value(data, path, f"Post {mark}7{mark}"))
            assert mark not in repr(cleaned.model_dump())
    if line:
        with pytest.raises(ValidationError, match="line break"):
            model.model_validate(with_value(data, line, "two\nlines"))
        with pytest.raises(ValidationError, match="U\\+0009"):
            model.model_validate(with_value(data, line, "a\tb"))
    if paragraph:
        kept = model.model_validate(with_value(data, dotted(data, paragraph), "First line,\r\n\tsecond line"))
        assert "First line,\r\n\tsecond line" in repr(kept.model_dump()).replace("\\r", "\r").replace(
            "\\n", "\n"
        ).replace("\\t", "\t")


@given(st.text())
def test_clean_never_lets_a_control_or_bidi_character_through(value: str) -> None:
    try:
        cleaned = text.clean(value, multiline=True)
    except ValueError:
        return
    assert not set(cleaned) & set(text.BIDI_FORMATTING)
    assert all(ch in "\t\n\r" or (ord(ch) >= 0x20 and not 0x7F <= ord(ch) <= 0x9F) for ch in cleaned)


def test_the_api_refuses_a_nul_in_a_narrative(client: TestClient, login: Login, scene: Scene) -> None:
    body = point_feature(
        *scene.point,
        type="fire",
        subtype="sniper",
        start=scene.moment(10),
        source="post",
        narrative="Shots\u0000 heard",
    )
    answer = client.post(f"{scene.api}/incidents", json=body, headers=login("monitor-ru"))
    assert answer.status_code == 422, answer.text
    assert "narrative" in answer.text


def test_an_import_reports_the_row_and_keeps_the_rest(session: Session, mission: Mission, scene: Scene) -> None:
    lon, lat = scene.at(46.80, 39.80)
    on = scene.shifted(date(2020, 11, 16)).isoformat()
    rows = (
        "event_id_cnty,event_date,event_type,sub_event_type,latitude,longitude,notes\n"
        f"TXT1,{on},Battles,Armed clash,{lat},{lon},Shots\x1b[31m heard\n"
        f"TXT2,{on},Battles,Armed clash,{lat},{lon},Shots \u202eheard\n"
    )
    report = import_file(session, mission, io.BytesIO(rows.encode()), "e.csv", "acled", actor=Actor.system(mission.id))
    problems = [str(problem) for problem in report.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith("line 2:")
    assert "control character" in problems[0]
    imported = session.scalars(select(Incident.narrative).where(Incident.external_id.like("%TXT2%"))).all()
    assert imported
    assert all("\u202e" not in narrative for narrative in imported)


def test_display_names_follow_the_rule(session: Session, mission: Mission, scene: Scene) -> None:
    with pytest.raises(Invalid, match="display_name"):
        users_service.create(
            session, "named-user", "a-long-password", mission=mission, role="analyst",
            delegation_code=scene.delegation("ru"),
            actor=Actor.system(mission.id), display_name="Ann\x00",
        )  # fmt: skip
