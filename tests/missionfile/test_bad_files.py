"""A mission file with problems: a precise message per problem, with its path in the file, and nothing created.

Covers issue 19, part 6: YAML errors, unknown keys, a party referenced but not declared, a delegation without a
party, a quorum naming an unknown delegation, overlapping zones of control, a self-intersecting area, a time zone
that does not exist, a provision deadline before the mission starts; and the bounds of the reader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import EXAMPLE, example
from truce.errors import Conflict
from truce.missionfile import create, spec
from truce.missionfile.problems import MissionFileInvalid
from truce.missionfile.reading import schema
from truce.missions.models import Mission
from truce.policy import Actor


def problems(data: Any, base: Path | None = None) -> list[str]:
    with pytest.raises(MissionFileInvalid) as caught:
        spec.from_data(data, base=base)
    return [str(p) for p in caught.value.problems]


def text_problems(text: str) -> list[str]:
    with pytest.raises(MissionFileInvalid) as caught:
        spec.from_text(text, base=None)
    return [str(p) for p in caught.value.problems]


def test_the_shipped_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(schema())


def test_the_examples_are_valid() -> None:
    assert spec.read(EXAMPLE).mission.slug == "valley-buffer"


def change(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = example()
    edit(data)
    return data


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "a party of an unknown kind",
        lambda d: d["parties"][2].update(kind="ally"),
        "parties[2].kind: 'ally' is not one of side, guarantor, mediator, agency, observer",
    ),
    ("an unknown key", lambda d: d.update(colour="blue"), "colour: unknown key; expected one of format, slug"),
    (
        "an unknown key deep down",
        lambda d: d["verification"].update(quorom=2),
        "verification.quorom: unknown key; expected one of quorum, required",
    ),
    (
        "a delegation of an undeclared party",
        lambda d: d["delegations"][1].update(party="west"),
        "delegations[1].party: 'west' is not a declared party (declared: east, force, north, relief, south)",
    ),
    ("a delegation without a party", lambda d: d["delegations"][2].pop("party"), "delegations[2].party: is required"),
    (
        "a quorum naming an unknown delegation",
        lambda d: d["verification"].update(required=["force", "unfm"]),
        "verification.required[1]: 'unfm' is not a declared delegation",
    ),
    (
        "an area controlled by an undeclared party",
        lambda d: d["places"]["areas"]["features"][0]["properties"].update(controlled_by="west"),
        "places.areas.features[0].properties.controlled_by: 'west' is not a declared party",
    ),
    (
        "overlapping zones of control",
        lambda d: d["places"]["areas"]["features"][2]["geometry"].update(
            coordinates=[[[20.6, 10.0], [21.0, 10.0], [21.0, 11.0], [20.6, 11.0], [20.6, 10.0]]]
        ),
        "places.areas.features[2]: zone of control 'Eastern zone' overlaps 'Northern zone' (places.areas.features[0])",
    ),
    (
        "a self-intersecting area",
        lambda d: d["places"]["areas"]["features"][3]["geometry"].update(
            coordinates=[[[20.0, 10.45], [20.8, 10.55], [20.8, 10.45], [20.0, 10.55], [20.0, 10.45]]]
        ),
        "places.areas.features[3].geometry: invalid geometry: Self-intersection",
    ),
    (
        "a time zone that does not exist",
        lambda d: d.update(time_zone="Europe/Atlantis"),
        "time_zone: 'Europe/Atlantis' is not a time zone",
    ),
    (
        "a provision deadline before the mission starts",
        lambda d: d["agreement"]["provisions"][1].update(deadline="2024-03-01"),
        "agreement.provisions[1].deadline: 2024-03-01 is before the mission starts (2024-04-01)",
    ),
    (
        "a date that is not one",
        lambda d: d.update(starts_on="2024-02-30"),
        "starts_on: '2024-02-30' is not a real date",
    ),
    (
        "a code declared twice",
        lambda d: d["parties"][3].update(code="north"),
        "parties[3].code: 'north' is declared twice",
    ),
    (
        "a site operated by an undeclared delegation",
        lambda d: d["places"]["sites"]["features"][0]["properties"].update(operated_by="unfm"),
        "places.sites.features[0].properties.operated_by: 'unfm' is not a declared delegation",
    ),
    (
        "a provision owed by an undeclared party",
        lambda d: d["agreement"]["provisions"][0]["responsible"].append("west"),
        "agreement.provisions[0].responsible[3]: 'west' is not a declared party",
    ),
    (
        "a name missing in one of the languages",
        lambda d: d["name"].pop("fr"),
        "name.fr: missing: the mission works in en, fr",
    ),
    (
        "a local subtype mapped to no ACLED sub-event type",
        lambda d: d["taxonomy"]["subtypes"][0]["acled"].update(sub_event_type="Armed clash"),
        "taxonomy.subtypes[0].acled.sub_event_type: 'Armed clash' is not one of Agreement, Arrests",
    ),
    (
        "a local subtype Truce already has",
        lambda d: d["taxonomy"]["subtypes"][1].update(subtype="convoy_blocked"),
        "taxonomy.subtypes[1].subtype: 'convoy_blocked' is already a subtype of access",
    ),
    (
        "a site in the wrong kind of geometry",
        lambda d: d["places"]["sites"]["features"][0]["geometry"].update(type="Polygon"),
        "places.sites.features[0].geometry.type: 'Polygon' is not one of Point",
    ),
    (
        "a quorum larger than the delegations",
        lambda d: d["verification"].update(quorum=9),
        "verification.quorum: 9 delegations, but only 5 exist",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [(e, m) for _, e, m in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_named_at_its_path(edit: Callable[[dict[str, Any]], None], expected: str) -> None:
    found = problems(change(edit))
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_reported_at_once() -> None:
    def many(d: dict[str, Any]) -> None:
        d["parties"][2]["kind"] = "ally"
        d["time_zone"] = "Mars/Olympus"
        d["delegations"][1]["party"] = "west"
        d["agreement"]["provisions"][1]["deadline"] = "2023-01-01"

    # The schema's problems come first; a file that passes it gets every problem of meaning at once.
    assert problems(change(many)) == [
        "parties[2].kind: 'ally' is not one of side, guarantor, mediator, agency, observer"
    ]
    many_meanings = change(many)
    many_meanings["parties"][2]["kind"] = "side"
    found = problems(many_meanings)
    assert len(found) == 3, found
    assert [p.split(":")[0] for p in found] == ["agreement.provisions[1].deadline", "delegations[1].party", "time_zone"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("format: truce-mission/1\nslug: [a\n", "the file, line 3, column 1: while parsing a flow sequence"),
        ("slug: a\nslug: b\n", "the file, line 2, column 1: the key 'slug' appears twice"),
        ("base: &b {a: 1}\nother: *b\n", "aliases (*name) are not accepted"),
        ("- just\n- a list\n", "must be a mapping, not a list"),
        ("", "must be a mapping, not empty"),
    ],
)
def test_malformed_yaml(text: str, expected: str) -> None:
    found = text_problems(text)
    assert any(expected in p for p in found), found


def test_json_is_read_as_well() -> None:
    found = text_problems('{"format": "truce-mission/1", "slug": "x-1", "nmae": {}}')
    assert "nmae: unknown key; expected one of format, slug, name" in "\n".join(found)


def test_a_places_file_is_read_beside_the_mission_file(tmp_path: Path) -> None:
    data = example()
    areas = data["places"]["areas"]
    areas["features"][1]["properties"]["kind"] = "zone"
    (tmp_path / "areas.geojson").write_text(__import__("json").dumps(areas), encoding="utf-8")
    data["places"]["areas"] = "areas.geojson"
    assert problems(data, base=tmp_path) == [
        "places.areas (areas.geojson).features[1].properties.kind: 'zone' is not one of zone_of_control, "
        "separation_zone, buffer_zone, corridor, area_of_responsibility"
    ]
    data["places"]["areas"] = "missing.geojson"
    assert problems(data, base=tmp_path)[0].startswith("places.areas: cannot read")
    # An upload (the set-up page) reads no file of the server's.
    assert problems(data, base=None) == ["places.areas: a file name is not accepted here; give the GeoJSON inline"]


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (21 * 1024 * 1024))
    with pytest.raises(MissionFileInvalid) as caught:
        spec.read(big)
    assert "is over 20 MB" in str(caught.value.problems[0])


def test_nothing_is_created_when_the_slug_is_taken(session: Session) -> None:
    data = example()
    data["slug"] = "nk-2020"
    checked = spec.from_data(data, base=None)
    before = session.scalar(select(func.count()).select_from(Mission))
    with pytest.raises(Conflict, match="exists already"), session.begin_nested():
        create.create(session, checked, actor=Actor.system())
    assert session.scalar(select(func.count()).select_from(Mission)) == before
