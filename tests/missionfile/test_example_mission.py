"""The mission-independent parts of Truce against the second, illustrative mission (a buffer zone, three parties,
a UN-style force, English and French): nothing may assume nk-2020. With its own subtypes (issue 19, part 4):
they are offered, accepted, mapped to ACLED in every export and in the phones' forms, which are re-versioned."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from mission_examples import EXAMPLE
from support import point_feature
from truce.db import Database
from truce.errors import Invalid
from truce.incidents import presenters as incident_presenters
from truce.incidents import service as incidents_service
from truce.incidents.schemas import IncidentIn, VerdictIn
from truce.interop.export import view_for
from truce.interop.formats import EXPORTS
from truce.missionfile import create, spec
from truce.missions.models import Mission
from truce.openrosa import submissions, xforms
from truce.openrosa.instance import Node
from truce.places.models import Area
from truce.policy import Actor
from truce.reports import service as report_service
from truce.users import service as users_service
from truce.verification import service as verification_service
from truce.web import filters
from truce.web.pages import mapview
from web.conftest import WebClient

PASSWORD = "a-long-password"


@pytest.fixture
def valley(session: Session) -> Mission:
    mission, _ = create.create(session, spec.read(EXAMPLE), actor=Actor.system())
    accounts = [("monitor-force", "monitor", "force"), ("verifier-force", "verifier", "force"),
                ("liaison-north", "liaison", "north"), ("liaison-south", "liaison", "south")]  # fmt: skip
    for name, role, delegation in accounts:
        users_service.create(
            session,
            name,
            PASSWORD,
            mission=mission,
            role=role,
            delegation_code=delegation,
            actor=Actor.system(mission.id),
        )
    return mission


@pytest.fixture
def actor(session: Session, valley: Mission) -> Callable[[str], Actor]:
    return lambda name: users_service.actor_for(session, users_service.get_by_name(session, name), valley)


def incident(subtype: str, kind: str = "movement", lon: float = 20.4, lat: float = 10.7, **extra: Any) -> IncidentIn:
    properties = {"type": kind, "subtype": subtype, "start": "2024-05-03T10:00:00+02:00", "source": "patrol",
                  "classification": "parties", **extra}  # fmt: skip
    return IncidentIn.model_validate(point_feature(lon, lat, **properties))


def test_an_incident_is_placed_in_this_missions_zones(session: Session, valley: Mission, actor: Any) -> None:
    filed = incidents_service.create(session, valley, incident("incursion"), actor=actor("monitor-force"))
    props = incident_presenters.feature(filed, local=valley.taxonomy)["properties"]
    zone = session.get(Area, props["zone"])
    assert zone is not None
    assert (zone.name, props["controlled_by"]) == ("Northern zone", "north")
    assert props["nearest_site"] is not None


def test_the_quorum_of_one_force(session: Session, valley: Mission, actor: Any) -> None:
    alleged = incidents_service.create(
        session,
        valley,
        incident("incursion", source="party", alleged_actors=[{"party": "south", "actor": ""}]),
        actor=actor("liaison-north"),
    )
    assert alleged.status == "reported"
    verification_service.verify(
        session, valley, alleged.id, VerdictIn(verdict="confirm"), actor=actor("verifier-force")
    )
    assert alleged.status == "confirmed"


def test_a_local_subtype_is_filed_and_mapped_to_acled(session: Session, valley: Mission, actor: Any) -> None:
    filed = incidents_service.create(
        session, valley, incident("construction_in_buffer_zone", lat=10.5), actor=actor("monitor-force")
    )
    props = incident_presenters.feature(filed, local=valley.taxonomy)["properties"]
    assert (props["acled_event_type"], props["acled_sub_event_type"]) == (
        "Strategic developments", "Headquarters or base established",
    )  # fmt: skip
    with pytest.raises(Invalid, match=r"subtype of movement must be one of .*construction_in_buffer_zone"):
        incidents_service.create(session, valley, incident("crossing_closed"), actor=actor("monitor-force"))


def test_another_missions_subtypes_are_refused(session: Session, mission: Mission, member: Any) -> None:
    with pytest.raises(Invalid, match="subtype of movement must be one of"):
        incidents_service.create(session, mission, incident("construction_in_buffer_zone", lon=46.8, lat=39.9),
                                 actor=member("monitor-ru"))  # fmt: skip


@pytest.mark.parametrize("file_format", ["csv", "acled", "hxl", "geojson"])
def test_exports_carry_the_local_mapping(session: Session, valley: Mission, actor: Any, file_format: str) -> None:
    closed = incident("crossing_closed", kind="access", lat=10.5, classification="public")
    incidents_service.create(session, valley, closed, actor=actor("monitor-force"))
    write, _ = EXPORTS[file_format]
    out = io.StringIO(newline="")
    write(session, view_for(session, valley, actor("verifier-force")), out, lambda _n: None)
    text = out.getvalue()
    if file_format == "geojson":
        props = json.loads(text)["features"][0]["properties"]
        assert (props["subtype"], props["acled_sub_event_type"]) == ("crossing_closed", "Other")
        return
    rows = list(csv.reader(io.StringIO(text)))
    row = next(r for r in rows if "crossing_closed" in r or "Strategic developments" in r)
    assert "Strategic developments" in row


def test_the_phones_form_offers_the_local_subtypes_and_changes_version(valley: Mission) -> None:
    sheets = xforms.workbook("incident", [], valley.taxonomy)
    local = [c for c in sheets["choices"] if c["list_name"] == "subtype" and c["name"] == "crossing_closed"]
    assert local == [{"list_name": "subtype", "name": "crossing_closed", "type_group": "access",
                      "label": "Crossing point closed"}]  # fmt: skip
    with_local = xforms.build(valley.slug, valley.name, "incident", [], valley.taxonomy)
    without = xforms.build(valley.slug, valley.name, "incident", [])
    assert with_local.version != without.version
    assert "crossing_closed" in with_local.xml
    assert "crossing_closed" not in without.xml


def test_a_record_that_names_no_classification_takes_the_missions_default(
    session: Session, valley: Mission, actor: Any, mission: Mission, member: Any
) -> None:
    assert (valley.default_classification, mission.default_classification) == ("parties", "mission")
    unnamed = point_feature(20.4, 10.7, type="movement", subtype="incursion", start="2024-05-03T10:00:00+02:00",
                            source="patrol")  # fmt: skip
    filed = incidents_service.create(session, valley, IncidentIn.model_validate(unnamed), actor=actor("monitor-force"))
    assert filed.classification == "parties"
    named = incident("incursion", classification="mission")
    assert incidents_service.create(session, valley, named, actor=actor("monitor-force")).classification == "mission"
    in_demo = point_feature(46.8, 39.9, type="fire", subtype="small_arms", start="2020-11-20T10:00:00+04:00",
                            source="post")  # fmt: skip
    demo = incidents_service.create(session, mission, IncidentIn.model_validate(in_demo), actor=member("monitor-ru"))
    assert demo.classification == "mission"


def test_the_forms_preselect_the_missions_default(
    session: Session, valley: Mission, client: TestClient, db: Database
) -> None:
    for kind in ("incident", "patrol"):
        sheets = xforms.workbook(kind, [], valley.taxonomy, classification=valley.default_classification)
        (row,) = [r for r in sheets["survey"] if r.get("name") == "classification"]
        assert row["default"] == "parties"
    checkpoint = xforms.workbook("checkpoint", [], classification="public")
    assert [r["default"] for r in checkpoint["survey"] if r.get("name") == "classification"] == ["parties"]
    with_default = xforms.build(valley.slug, valley.name, "incident", [], classification="public")
    assert with_default.version != xforms.build(valley.slug, valley.name, "incident", []).version
    # A phone's answer without a classification leaves it to the mission, as the API does.
    answers = {"observed": "2024-05-03T10:00:00+02:00", "incident_type": "fire", "subtype": "small_arms",
               "source": "patrol", "placed_by": "gps", "location": "10.7 20.4 0 5", "classification": ""}  # fmt: skip
    root = Node("data", children=[Node(name, text) for name, text in answers.items()])
    ((planned, _files),) = submissions.plan("incident", root).incidents
    assert "classification" not in planned.properties.model_fields_set
    # The web form preselects it.
    session.commit()
    web = WebClient(client, db).login("monitor-force")
    page = web.get(f"/m/{valley.slug}/incidents/new")
    assert page.status_code == 200, page.text
    assert re.search(r'<option value="parties"[^>]*selected', page.text), "parties is not preselected"


def test_the_daily_report_names_a_local_subtype_with_its_acled_mapping(
    session: Session, valley: Mission, actor: Any
) -> None:
    filed = incidents_service.create(
        session, valley, incident("construction_in_buffer_zone", lat=10.5), actor=actor("monitor-force")
    )
    html = report_service.daily_document(session, valley, date(2024, 5, 3), "html").decode("utf-8")
    assert f"No. {filed.id}" in html
    kind = "Construction in the buffer zone (ACLED: Strategic developments, Headquarters or base established)"
    assert f"Movement of forces: {kind}" in html


def test_the_maps_words_name_the_local_subtypes_in_the_readers_language(valley: Mission) -> None:
    def words(language: str) -> dict[str, str]:
        request = Request({"type": "http", "headers": [(b"accept-language", language.encode())]})
        return dict(mapview.map_text(request, valley)["subtypes"])

    assert words("en")["crossing_closed"] == "Crossing point closed"
    # Russian is not among the example's languages: its first language stands in.
    assert words("ru")["crossing_closed"] == "Crossing point closed"
    assert words("ru")["mortar"] != "mortar"
    assert "crossing_closed" not in mapview.map_text(Request({"type": "http", "headers": []}))["subtypes"]


def test_the_filters_offer_and_apply_the_local_subtypes(
    session: Session, valley: Mission, actor: Any, mission: Mission, member: Any, client: TestClient, db: Database
) -> None:
    closed = incidents_service.create(
        session, valley, incident("crossing_closed", kind="access", lat=10.5), actor=actor("monitor-force")
    )
    incidents_service.create(session, valley, incident("incursion"), actor=actor("monitor-force"))
    offered = filters.choices(session, valley, actor("monitor-force"))
    chosen = filters.parse(QueryParams("subtype=crossing_closed"), valley, offered)
    assert (chosen.form.errors, chosen.query.subtype) == ({}, "crossing_closed")
    found = session.execute(incidents_service.query(valley, actor("verifier-force"), chosen.query,
                                                    dialect="sqlite")).scalars().all()  # fmt: skip
    assert [i.id for i in found] == [closed.id]
    assert "subtype" in filters.parse(QueryParams("type=fire&subtype=crossing_closed"), valley, offered).form.errors
    in_demo = filters.choices(session, mission, member("monitor-ru"))
    assert "subtype" in filters.parse(QueryParams("subtype=crossing_closed"), mission, in_demo).form.errors
    session.commit()
    page = WebClient(client, db).login("verifier-force").get(f"/m/{valley.slug}/map").text
    # The subtype list names each subtype after its type, the mission's own by their label.
    assert '<option value="crossing_closed">Access: Crossing point closed</option>' in page
