"""Issue 17 part 6 and issue 15 part 7: the map's filters (source, alleged party, zone, subtype, date presets)
read into one `IncidentQuery`, which the map's JSON, the list page, the API and the exports all take."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene
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


def map_of(scene: Scene) -> str:
    return f"/m/{scene.slug}/map"


def map_rows(web: WebClient, query: str, scene: Scene) -> list[list[object]]:
    answer = web.get(f"{map_of(scene)}/incidents.json?{query}")
    assert answer.status_code == 200, answer.text
    rows: list[list[object]] = answer.json()["rows"]
    return rows


def api_ids(client: TestClient, login: Login, scene: Scene, **params: object) -> set[int]:
    answer = client.get(f"{scene.api}/incidents", params={**params, "limit": 10_000}, headers=login("analyst-ru"))
    assert answer.status_code == 200, answer.text
    return {int(f["id"]) for f in answer.json()["features"]}


def test_source_party_zone_and_subtype_narrow_the_map_and_the_api_alike(
    web: WebClient, client: TestClient, login: Login, session: Session, mission: Mission, scene: Scene
) -> None:
    web.login(scene.account("analyst-ru"))
    everything = map_rows(web, "", scene)
    allegations = map_rows(web, "source=party", scene)
    monitors = map_rows(web, "source=monitor", scene)
    assert allegations
    assert monitors
    assert all(row[9] == "party" for row in allegations)
    assert all(row[9] != "party" for row in monitors)
    assert len(allegations) + len(monitors) == len(everything)
    # Alleged against Azerbaijan (or its counterpart): each such incident names the party among its alleged actors.
    side = scene.delegation("az")
    against = map_rows(web, f"party={side}", scene)
    assert against
    for row in against:
        alleged = session.get(Incident, row[0])
        assert alleged is not None
        assert side in {a["party"] for a in alleged.alleged_actors}
    zone = session.scalars(
        select(Area).where(Area.mission_id == mission.id, Area.kind == "zone_of_control").order_by(Area.id)
    ).first()
    assert zone is not None
    in_zone = map_rows(web, f"zone={zone.id}", scene)
    assert in_zone
    assert {session.get(Incident, row[0]).zone_id for row in in_zone} == {zone.id}  # type: ignore[union-attr]
    mortars = map_rows(web, "type=explosion&subtype=mortar", scene)
    assert mortars
    assert {row[7] for row in mortars} == {"mortar"}
    # The API takes the same filters, through the same query object, and finds the same incidents.
    assert api_ids(client, login, scene, source="party") == {row[0] for row in allegations}
    assert api_ids(client, login, scene, party=side) == {row[0] for row in against}
    assert api_ids(client, login, scene, zone=zone.id) == {row[0] for row in in_zone}
    assert api_ids(client, login, scene, type="explosion", subtype="mortar") == {row[0] for row in mortars}


def test_bad_filters_are_refused_with_their_field_named(
    web: WebClient, client: TestClient, login: Login, scene: Scene
) -> None:
    web.login(scene.account("analyst-ru"))
    map_page = map_of(scene)
    for query, field in (("source=rumour", "source"), ("party=zz", "party"), ("zone=999999", "zone"),
                         ("subtype=made_up", "subtype"), ("type=fire&subtype=mortar", "subtype")):  # fmt: skip
        answer = web.get(f"{map_page}/incidents.json?{query}")
        assert answer.status_code == 422, query
        assert field in answer.text, (query, answer.text)
        page = web.get(f"{map_page}?{query}")
        assert page.status_code == 200
        assert f'id="e-{field}"' in page.text, query
    refused = client.get(f"{scene.api}/incidents", params={"source": "rumour"}, headers=login("analyst-ru"))
    assert refused.status_code == 422
    since, until = scene.shifted(date(2020, 11, 20)), scene.shifted(date(2020, 11, 1))
    backwards = client.get(
        f"{scene.api}/incidents", params={"since": f"{since}T00:00:00Z", "until": f"{until}T00:00:00Z"},
        headers=login("analyst-ru"),
    )  # fmt: skip
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


def test_the_service_and_the_exports_take_the_same_object(session: Session, mission: Mission, scene: Scene) -> None:
    actor = Actor.system(mission.id)
    where = IncidentQuery(source="party", since=datetime.combine(scene.shifted(date(2020, 11, 1)), time(), UTC))
    listed = {row.id for row in service.list_incidents(session, mission, where, actor=actor, limit=10_000)}
    exported = {
        row.id
        for row in session.execute(
            selection(view_for(session, mission, actor, where=where), [Incident.id], events_only=False)
        )
    }
    assert listed
    assert listed == exported


def test_the_map_page_offers_the_filters_presets_and_a_slider(web: WebClient, scene: Scene) -> None:
    web.login(scene.account("analyst-ru"))
    map_page = map_of(scene)
    html = web.get(map_page).text
    for name in ("since", "until", "type", "subtype", "status", "source", "party", "zone"):
        assert f'name="{name}"' in html, name
    # Dates as the pages print them, not the browser's own format.
    assert 'placeholder="YYYY-MM-DD"' in html
    presets = re.findall(r'data-since="(\d{4}-\d\d-\d\d)" data-until="(\d{4}-\d\d-\d\d)"', html)
    assert len(presets) == 3
    # The mission's presets end on its latest day, so that they show something.
    assert presets[0][0] == presets[0][1]
    assert presets[0][1].startswith(f"{scene.day.year}-")
    assert 'id="time-slider-day"' in html
    chosen = web.get(f"{map_page}?since={presets[1][0]}&until={presets[1][1]}").text
    assert f"Incidents from {presets[1][0]} to {presets[1][1]}" in chosen
    assert 'aria-current="true"' in chosen
    russian = web.get(f"{map_page}?since={presets[1][0]}&until={presets[1][1]}", headers={"Accept-Language": "ru"}).text
    assert f"с {presets[1][0]} по {presets[1][1]}" in russian
