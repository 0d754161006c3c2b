"""Pages that write or show more than a list: incident entry, evidence previews, administration, the overview."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, Scene
from support import Login, point_feature
from truce.app import create_app
from truce.config import Settings
from truce.db import Database
from truce.evidence.models import Custody
from truce.incidents.models import Incident
from truce.ledger import service as ledger
from truce.places.models import Site
from web.conftest import WebClient

# The observation posts each mission's file lists.
POSTS = {DEMO_SLUG: 23, EXAMPLE_SLUG: 3}


def entry(scene: Scene) -> dict[str, Any]:
    """Rounds heard, on a day of the scene's mission."""
    return {
        "type": "explosion", "subtype": "artillery", "date": str(scene.shifted(date(2020, 11, 25))), "time": "06:40",
        "source": "post", "means": "heard", "narrative": "Two outgoing rounds heard to the north-east.",
        "classification": "mission",
    }  # fmt: skip


def first_post(session: Session) -> Site:
    return session.execute(select(Site).where(Site.kind == "post").order_by(Site.id).limit(1)).scalar_one()


def test_file_by_bearing_and_distance_from_a_post(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    post = first_post(session)
    web.login("monitor-ru")
    form = {
        **entry(scene),
        "placement": "post",
        "observer_site": str(post.id),
        "bearing_deg": "45",
        "distance_km": "3.5",
    }
    answer = web.post_form(f"{base}/incidents/new", form)
    assert answer.status_code == 303, answer.text[:800]
    incident_id = int(answer.headers["location"].split("?")[0].rsplit("/", 1)[1])
    incident = session.get(Incident, incident_id)
    assert incident is not None
    assert incident.observer_site_id == post.id
    assert incident.lat > post.min_lat
    assert incident.lon > post.min_lon
    assert incident.author_delegation == scene.delegation("ru")
    detail = web.get(answer.headers["location"]).text
    assert "3.50 km at 45° from" in detail
    assert "Two outgoing rounds heard" in detail


def test_mistakes_are_shown_on_their_fields_and_the_typing_is_kept(
    web: WebClient, session: Session, scene: Scene
) -> None:
    base, (lon, lat) = scene.pages, scene.point
    before = session.execute(select(func.count(Incident.id))).scalar_one()
    web.login("monitor-ru")
    form = {**entry(scene), "subtype": "sniper", "date": "25/11/2020", "placement": "map", "lat": "95", "lon": lon}
    answer = web.post_form(f"{base}/incidents/new", form)
    assert answer.status_code == 422
    assert 'id="e-date"' in answer.text
    assert 'id="e-lat"' in answer.text
    assert "Two outgoing rounds heard to the north-east." in answer.text
    assert 'value="25/11/2020"' in answer.text
    fixed = web.post_form(f"{base}/incidents/new", {**form, "date": entry(scene)["date"], "lat": lat})
    assert fixed.status_code == 422
    assert 'id="e-subtype"' in fixed.text  # sniper is not an explosion
    assert session.execute(select(func.count(Incident.id))).scalar_one() == before


def test_a_restricted_incident_names_its_delegations(web: WebClient, session: Session, scene: Scene) -> None:
    base, (lon, lat), own = scene.pages, scene.point, scene.delegation("tr")
    web.login("verifier-tr")
    form = {**entry(scene), "placement": "map", "lat": lat, "lon": lon, "classification": "restricted"}
    answer = web.post_form(f"{base}/incidents/new", {**form, f"restricted_to.{own}": own})
    assert answer.status_code == 303, answer.text[:800]
    incident = session.get(Incident, int(answer.headers["location"].split("?")[0].rsplit("/", 1)[1]))
    assert incident is not None
    assert incident.restricted_to == [own]
    unknown = web.post_form(f"{base}/incidents/new", {**form, "restricted_to.zz": "zz"})
    assert unknown.status_code == 422
    assert "zz" in unknown.text


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 160, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_evidence_previews_and_downloads(
    client: TestClient, login: Login, web: WebClient, session: Session, scene: Scene
) -> None:
    base = scene.pages
    # A mission record (the demo's default classification; the example's is parties).
    body = point_feature(*scene.point, type="fire", subtype="sniper", start=scene.moment(10), source="post",
                         classification="mission")  # fmt: skip
    filed = client.post(f"{scene.api}/incidents", json=body, headers=login("monitor-ru"))
    assert filed.status_code == 201, filed.text
    incident_id = filed.json()["id"]
    upload = client.post(
        f"{scene.api}/incidents/{incident_id}/evidence",
        files={"file": ("post-4.jpg", photo(), "image/jpeg")},
        headers=login("monitor-ru"),
    )
    assert upload.status_code == 201, upload.text
    sha = upload.json()["sha256"]
    web.login("verifier-ru")
    detail = web.get(f"{base}/incidents/{incident_id}").text
    thumb_url = f"{base}/incidents/{incident_id}/evidence/{sha}/thumbnail"
    assert thumb_url in detail
    thumb = web.get(thumb_url)
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
    downloads = select(func.count(Custody.id)).where(Custody.action == "download")
    before = session.execute(downloads).scalar_one()
    # As Chromium sends it when the incident page's link is followed (another site's link is refused).
    full = web.get(f"{base}/incidents/{incident_id}/evidence/{sha}", headers={"Sec-Fetch-Site": "same-origin"})
    assert full.status_code == 200
    assert "attachment" in full.headers["content-disposition"]
    assert session.execute(downloads).scalar_one() == before + 1  # the chain of custody grows
    web.client.cookies.clear()
    web.login("liaison-am")
    assert web.get(thumb_url).status_code == 404  # a mission record: the liaison officer does not see it


def test_admin_adds_a_site_with_its_other_names_and_keeps_mistakes(
    web: WebClient, session: Session, scene: Scene
) -> None:
    base, (lon, lat) = scene.pages, scene.at(46.76, 39.82)
    web.login("admin")
    bad = web.post_form(f"{base}/admin/sites", {"name": "OP 24", "kind": "post", "lat": "north", "lon": lon})
    assert bad.status_code == 422
    assert 'id="e-lat"' in bad.text
    assert 'value="OP 24"' in bad.text
    good = web.post_form(
        f"{base}/admin/sites",
        {"name": "Khankendi gate", "kind": "checkpoint", "code": "CHK-9", "alt_names": "Stepanakert gate:hy",
         "lat": lat, "lon": lon, "classification": "public"},
    )  # fmt: skip
    assert good.status_code == 303, good.text[:500]
    site = session.execute(select(Site).where(Site.code == "CHK-9")).scalar_one()
    assert site.alt_names[0]["name"] == "Stepanakert gate"
    assert "Stepanakert gate" in web.get(f"{base}/admin/places").text


def test_admin_adds_a_line_from_geojson_and_cannot_remove_a_post_in_use(
    web: WebClient, session: Session, scene: Scene
) -> None:
    base = scene.pages
    web.login("admin")
    route = [list(scene.at(46.7, 39.8)), list(scene.at(46.8, 39.85))]
    line = {"name": "Patrol route 7", "kind": "line:patrol_route",
            "geometry": json.dumps({"type": "LineString", "coordinates": route})}  # fmt: skip
    assert web.post_form(f"{base}/admin/shapes", line).status_code == 303
    broken = web.post_form(f"{base}/admin/shapes", {**line, "geometry": "{not json"})
    assert broken.status_code == 422
    assert "{not json" in broken.text
    used = session.execute(
        select(Incident.nearest_site_id).where(Incident.nearest_site_id.is_not(None)).limit(1)
    ).scalar_one()
    # One click asks first: the question names how many incidents the site touches.
    asked = web.post_form(f"{base}/admin/sites/{used}/delete", {})
    assert asked.status_code == 303
    assert asked.headers["location"] == f"{base}/admin/sites/{used}/retire"
    touched = session.execute(
        select(func.count()).where((Incident.nearest_site_id == used) | (Incident.observer_site_id == used))
    ).scalar_one()
    question = web.get(asked.headers["location"]).text
    assert f"{touched} incident" in question
    assert session.get(Site, used).valid_until is None  # type: ignore[union-attr]
    # Confirmed, the site is retired (valid until today), never deleted; the incidents keep naming it.
    before = ledger.size(session)
    done = web.post_form(f"{base}/admin/sites/{used}/delete", {"confirm": "yes"})
    assert done.status_code == 303
    assert f"retired={used}&rederived=" in done.headers["location"]
    session.expire_all()
    site = session.get(Site, used)
    assert site is not None
    assert site.status == "closed"
    assert site.valid_until is not None
    assert "site.retire" in [e.action for e in ledger.entries(session, before, ledger.size(session))]
    listed = web.get(done.headers["location"].split("#")[0]).text
    assert 'id="success"' in listed
    assert "is retired (valid until today)" in listed


def test_admin_adds_a_user_who_can_then_log_in(web: WebClient, scene: Scene) -> None:
    base, own = scene.pages, scene.delegation("ru")
    web.login("admin")
    taken = web.post_form(f"{base}/admin/users", {"username": web.name("monitor-ru"), "password": "long-enough-1",
                                                  "role": "monitor", "delegation": own})  # fmt: skip
    assert taken.status_code == 422
    assert "exists already" in taken.text
    new = {"username": "monitor-ru-2", "display_name": "Second monitor", "password": "long-enough-1"}
    made = web.post_form(f"{base}/admin/users", {**new, "role": "monitor", "delegation": own})
    assert made.status_code == 303
    assert "monitor-ru-2" in web.get(f"{base}/admin/users").text
    web.logout()
    answer = web.post_form("/login", {"username": "monitor-ru-2", "password": "long-enough-1"})
    assert answer.status_code == 303


def test_the_overview_counts_what_the_reader_may_see(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    web.login("liaison-am")
    html = web.get(f"{base}/").text
    shown = sum(int(n.replace(",", "")) for n in re.findall(r'data-status-count="\w+">([\d,]+)<', html))
    everything = session.execute(select(func.count(Incident.id))).scalar_one()
    assert 0 < shown < everything  # mission-only incidents are not counted for a liaison officer
    assert re.search(rf'data-stat="posts">{POSTS[scene.slug]}<', html)


def test_a_tile_layer_only_when_configured(web: WebClient, settings: Settings, db: Database, scene: Scene) -> None:
    base = scene.pages
    plain = web.login("monitor-ru").get(f"{base}/map")  # the example mission is not public
    assert "data-tiles" not in plain.text
    assert "img-src 'self' data: blob:;" in plain.headers["content-security-policy"]
    tiled = settings.model_copy(update={"tile_url": "https://{s}.tiles.example.org/{z}/{x}/{y}.png"})
    with TestClient(create_app(tiled, db)) as client:
        answer = WebClient(client, db, scene).login("monitor-ru").get(f"{base}/map")
    assert 'data-tiles="https://{s}.tiles.example.org/{z}/{x}/{y}.png"' in answer.text
    assert "https://*.tiles.example.org" in answer.headers["content-security-policy"]
