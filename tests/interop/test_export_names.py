"""The exports' human-readable columns: kinds, statuses, sources and parties by name, in English or Russian,
beside the codes machines read."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from truce.incidents.models import Incident
from truce.interop.export import view_for
from truce.interop.formats import EXPORTS
from truce.missions.models import Mission
from truce.policy import Actor

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def exported(session: Session, mission: Mission, file_format: str, locale: str) -> list[dict[str, str]]:
    write, _ = EXPORTS[file_format]
    out = io.StringIO(newline="")
    write(session, view_for(session, mission, Actor.anonymous(mission.id), locale=locale), out, lambda _n: None)
    lines = out.getvalue().splitlines()
    if file_format == "hxl":
        del lines[1]  # the hashtag row
    return list(csv.DictReader(lines))


@pytest.fixture
def mine(file_incident: Callable[..., Incident], member: Callable[[str], Actor]) -> Incident:
    return file_incident(member("monitor-ru"), type="mine_uxo", subtype="uxo_found", source="patrol")


@pytest.mark.parametrize(
    ("locale", "kind", "subtype", "status", "source"),
    [
        ("en", "Mine or UXO", "UXO found", "reported", "Patrol"),
        ("ru", "Мина или ВОП", "обнаружен ВОП", "зарегистрирован", "Патруль"),
    ],
)
def test_csv_names_codes_in_the_language(
    session: Session, mission: Mission, mine: Incident, locale: str, kind: str, subtype: str, status: str, source: str
) -> None:
    found = exported(session, mission, "csv", locale)
    row = next(r for r in found if r["id"] == str(mine.id))
    assert (row["type"], row["subtype"]) == ("mine_uxo", "uxo_found")  # the codes stay for machines
    assert (row["type_name"], row["subtype_name"], row["status_name"], row["source_name"]) == (
        kind, subtype, status, source,
    )  # fmt: skip
    names = ("type_name", "subtype_name", "status_name", "source_name", "controlled_by_name", "zone", "nearest_site")
    for r in found:
        for column in names:
            assert not SNAKE.search(r[column]), (column, r[column])


def test_hxl_names_beside_the_codes(session: Session, mission: Mission, mine: Incident) -> None:
    row = next(r for r in exported(session, mission, "hxl", "ru") if r["type"] == "mine_uxo")
    assert (row["type_name"], row["subtype_name"], row["status_name"]) == (
        "Мина или ВОП",
        "обнаружен ВОП",
        "зарегистрирован",
    )


@pytest.mark.demo_content  # the demo's parties, by their codes and names
@pytest.mark.parametrize(
    ("locale", "named"),
    [
        ("en", "Republic of Azerbaijan: Armed forces; Republic of Armenia"),
        ("ru", "Азербайджанская Республика: Armed forces; Республика Армения"),
    ],
)
def test_csv_names_the_alleged_actors_beside_their_codes(
    session: Session,
    mission: Mission,
    file_incident: Callable[..., Incident],
    member: Callable[[str], Actor],
    locale: str,
    named: str,
) -> None:
    accused = [{"party": "az", "actor": "Armed forces"}, {"party": "am"}]
    incident = file_incident(member("monitor-ru"), alleged_actors=accused)
    row = next(r for r in exported(session, mission, "csv", locale) if r["id"] == str(incident.id))
    assert row["alleged_actors"] == "az: Armed forces; am"  # the codes stay for machines
    assert row["alleged_actors_name"] == named  # what was said of an actor stays as written
