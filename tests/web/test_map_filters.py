"""Issue 17 part 6 and issue 15 part 7: the map's filters (source, alleged party, zone, subtype, date presets)
read into one `IncidentQuery`, which the map's JSON, the list page, the API and the exports all take."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from support import Login
from truce.errors import Invalid
from truce.incidents import service
from truce.incidents.models import Incident
from truce.incidents.query import IncidentQuery
from truce.interop.export import selection, view_for
from truce.missions.models import Mission
from truce.places.models import Area
from truce.policy import Actor
from web.conftest import WebClient

MAP = "/m/nk-2020/map"
API = "/api/v1/missions/nk-2020/incidents"


def map_rows(web: WebClient, query: str) -> list[list[object]]:
    answer = web.get(f"{MAP}/incidents.json?{query}")
    assert answer.status_code == 200, answer.text
    rows: list[list[object]] = answer.json()["rows"]
    return rows


def api_ids(client: TestClient, login: Login, **params: object) -> set[int]:
    answer = client.get(API, params={**params, "limit": 10_000}, headers=login("analyst-ru"))
    assert answer.status_code == 200, answer.text
    return {int(f["id"]) for f in answer.json()["features"]}


def test_source_party_zone_and_subtype_narrow_the_map_and_the_api_alike(
    web: WebClient, client: TestClient, login: Login, session: Session
) -> None:
    web.login("analyst-ru")
    everything = map_rows(web, "")
    allegations = map_rows(web, "source=party")
    monitors = map_rows(web, "source=monitor")
    assert allegations
    assert monitors
    assert all(row[9] == "party" for row in allegations)
    assert all(row[9] != "party" for row in monitors)
    assert len(allegations) + len(monitors) == len(everything)
    # Alleged against Azerbaijan: each such incident names the party among its alleged actors.
    against = map_rows(web, "party=az")
    assert against
    for row in against:
        alleged = session.get(Incident, row[0])
        assert alleged is not None
        assert "az" in {a["party"] for a in alleged.alleged_actors}
    zone = session.scalars(select(Area).where(Area.kind == "zone_of_control")).first()
    assert zone is not None
    in_zone = map_rows(web, f"zone={zone.id}")
    assert in_zone
    assert {session.get(Incident, row[0]).zone_id for row in in_zone} == {zone.id}  # type: ignore[union-attr]
    mortars = map_rows(web, "type=explosion&subtype=mortar")
    assert mortars
    assert {row[7] for row in mortars} == {"mortar"}
    # The API takes the same filters, through the same query object, and finds the same incidents.
    assert api_ids(client, login, source="party") == {row[0] for row in allegations}
    assert api_ids(client, login, party="az") == {row[0] for row in against}
    assert api_ids(client, login, zone=zone.id) == {row[0] for row in in_zone}
    assert api_ids(client, login, type="explosion", subtype="mortar") == {row[0] for row in mortars}


def test_bad_filters_are_refused_with_their_field_named(web: WebClient, client: TestClient, login: Login) -> None:
    web.login("analyst-ru")
    for query, field in (("source=rumour", "source"), ("party=zz", "party"), ("zone=999999", "zone"),
                         ("subtype=made_up", "subtype"), ("type=fire&subtype=mortar", "subtype")):  # fmt: skip
        answer = web.get(f"{MAP}/incidents.json?{query}")
        assert answer.status_code == 422, query
        assert field in answer.text, (query, answer.text)
        page = web.get(f"{MAP}?{query}")
        assert page.status_code == 200
        assert f'id="e-{field}"' in page.text, query
    refused = client.get(API, params={"source": "rumour"}, headers=login("analyst-ru"))
    assert refused.status_code == 422
    backwards = client.get(
        API, params={"since": "2020-11-20T00:00:00Z", "until": "2020-11-01T00:00:00Z"}, headers=login("analyst-ru")
    )
    assert backwards.status_code == 422
    assert "until" in backwards.text


def test_the_query_object_bounds_its_values() -> None:
    with pytest.raises(Invalid) as caught:
        IncidentQuery(source="rumour")
    assert caught.value.field == "source"
    with pytest.raises(Invalid):
        IncidentQuery(since=datetime(2020, 11, 1))
    with pytest.raises(Invalid):
        IncidentQuery(party="x'; drop table incidents; --")
    with pytest.raises(Invalid):
        IncidentQuery(zone=0)
    assert IncidentQuery().is_empty()
    assert not IncidentQuery(status="confirmed").is_empty()


def test_the_service_and_the_exports_take_the_same_object(session: Session, mission: Mission) -> None:
    actor = Actor.system(mission.id)
    where = IncidentQuery(source="party", since=datetime(2020, 11, 1, tzinfo=UTC))
    listed = {row.id for row in service.list_incidents(session, mission, where, actor=actor, limit=10_000)}
    exported = {
        row.id
        for row in session.execute(
            selection(view_for(session, mission, actor, where=where), [Incident.id], events_only=False)
        )
    }
    assert listed
    assert listed == exported


def test_the_map_page_offers_the_filters_presets_and_a_slider(web: WebClient) -> None:
    web.login("analyst-ru")
    html = web.get(MAP).text
    for name in ("since", "until", "type", "subtype", "status", "source", "party", "zone"):
        assert f'name="{name}"' in html, name
    # Dates as the pages print them, not the browser's own format.
    assert 'placeholder="YYYY-MM-DD"' in html
    presets = re.findall(r'data-since="(\d{4}-\d\d-\d\d)" data-until="(\d{4}-\d\d-\d\d)"', html)
    assert len(presets) == 3
    # The demo's presets end on its latest day, so that they show something.
    assert presets[0][0] == presets[0][1]
    assert presets[0][1].startswith("2020-")
    assert 'id="time-slider-day"' in html
    chosen = web.get(f"{MAP}?since={presets[1][0]}&until={presets[1][1]}").text
    assert f"Incidents from {presets[1][0]} to {presets[1][1]}" in chosen
    assert 'aria-current="true"' in chosen
    russian = web.get(f"{MAP}?since={presets[1][0]}&until={presets[1][1]}", headers={"Accept-Language": "ru"}).text
    assert f"с {presets[1][0]} по {presets[1][1]}" in russian
