"""HXL-tagged CSV: a hashtag row right under the header, tags from STANDARDS.md, valid to libhxl."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import hxl
import pytest

from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.policy import Actor

Export = Callable[[str, Actor], str]


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def validate(rows: list[list[str]]) -> dict[str, Any]:
    """libhxl's verdict on a table, with its default schema (numbers, dates, coordinates)."""
    report: dict[str, Any] = hxl.validate(hxl.data(rows))
    return report


def test_the_hashtag_row_is_right_under_the_header(export: Export, mission: Mission) -> None:
    header, hashtags, *events = table(export("hxl", Actor.anonymous(mission.id)))
    assert header[0] == "event_id"
    assert all(tag.startswith("#") for tag in hashtags)
    for tag in ("#event+id", "#date+occurred", "#geo+lat", "#geo+lon", "#affected+killed", "#group+name"):
        assert tag in hashtags
    assert len(events) > 10
    assert all(len(row) == len(header) for row in events)


@pytest.mark.parametrize("reader", ["public", "analyst-ru"])
def test_libhxl_validates_the_export(
    export: Export, mission: Mission, member: Callable[[str], Actor], restricted: Incident, reader: str
) -> None:
    actor = Actor.anonymous(mission.id) if reader == "public" else member(reader)
    rows = table(export("hxl", actor))
    report = validate(rows)
    assert report["is_valid"], report["issues"]
    dataset = hxl.data(rows)
    assert "#affected+killed" in [str(column.get_display_tag()) for column in dataset.columns]


def test_the_validator_does_catch_a_bad_value(export: Export, mission: Mission) -> None:
    rows = table(export("hxl", Actor.anonymous(mission.id)))
    killed = rows[1].index("#affected+killed")
    rows[2][killed] = "several"
    assert not validate(rows)["is_valid"]


def test_public_hxl_has_no_restricted_incident(export: Export, mission: Mission, restricted: Incident) -> None:
    text = export("hxl", Actor.anonymous(mission.id))
    assert restricted.narrative not in text
    assert f"TRUCE-nk-2020-{restricted.id}" not in text
