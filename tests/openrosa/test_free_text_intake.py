"""Free text from and to the phones: the OpenRosa intake applies the input schemas' rule (`truce.text`), and
site names reach the forms' CSV files without bidirectional overrides."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene
from openrosa.collect import Phone, fill, incident_values
from support import Login, point_feature
from truce import text
from truce.incidents.models import Incident


def test_a_site_name_reaches_the_phones_csv_without_bidi_overrides(
    client: TestClient, login: Login, phone: Phone, scene: Scene
) -> None:
    body = point_feature(*scene.at(46.7, 39.8), name="Post \u202eevil\u202c 9", kind="post", classification="mission")
    created = client.post(f"{scene.api}/sites", json=body, headers=login("admin"))
    assert created.status_code == 201, created.text
    assert created.json()["properties"]["name"] == "Post evil 9"
    posts = phone.get(f"{phone.base}/forms/{phone.form_id('incident')}/media/posts.csv").text
    assert "Post evil 9" in posts
    assert not set(posts) & set(text.BIDI_FORMATTING)


def test_the_openrosa_intake_applies_the_same_rule(phone: Phone, session: Session, scene: Scene) -> None:
    refused = phone.submit(fill(phone.form("incident"), incident_values(scene, narrative="Impacts\x9b31m north")))
    assert refused.status_code == 422, refused.text
    taken = phone.submit(fill(phone.form("incident"), incident_values(scene, narrative="Impacts \u2067north\u2069.")))
    assert taken.status_code == 201, taken.text
    narratives = set(session.scalars(select(Incident.narrative)))
    assert "Impacts north." in narratives
