"""Administration that cannot hurt (issue 18 parts 4-5): places changed through the map's flow with the count of
incidents it touched; passwords reset and roles changed by an administrator; phones registered, listed, revoked."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene
from truce.demo import loader
from truce.incidents.models import Incident
from truce.ledger import service as ledger
from truce.openrosa.models import Device
from truce.places.models import Area, Site
from truce.users import service as users_service
from truce.users.models import Membership, User
from web.conftest import WebClient


def test_the_places_page_carries_the_map_editor(web: WebClient, scene: Scene) -> None:
    page = web.login("admin").get(f"{scene.pages}/admin/places").text
    assert 'id="place-draw"' in page
    assert "/static/vendor/leaflet-draw/leaflet.draw.js" in page
    assert "/static/js/placedraw.js" in page
    assert web.get("/static/vendor/leaflet-draw/leaflet.draw.js").status_code == 200


def test_moving_a_site_on_its_edit_page_rederives_and_says_how_many(
    web: WebClient, session: Session, scene: Scene
) -> None:
    used = session.scalars(select(Incident.nearest_site_id).where(Incident.nearest_site_id.is_not(None))).first()
    site = session.get(Site, used)
    assert site is not None
    web.login("admin")
    page = web.get(f"{scene.pages}/admin/sites/{site.id}/edit")
    assert page.status_code == 200
    assert 'data-mode="edit"' in page.text
    name, kind, code = site.name, site.kind, site.code or ""
    before = ledger.size(session)
    # Moved far away: the incidents that had it as their nearest site get another one.
    far = scene.at(44.5, 41.2)
    moved = {"name": name, "kind": kind, "code": code, "classification": site.classification,
             "geometry": json.dumps({"type": "Point", "coordinates": list(far)})}  # fmt: skip
    done = web.post_form(f"{scene.pages}/admin/sites/{site.id}/edit", moved)
    assert done.status_code == 303, done.text[:500]
    changed = int(re.search(r"rederived=(\d+)", done.headers["location"]).group(1))  # type: ignore[union-attr]
    actions = [e.action for e in ledger.entries(session, before, ledger.size(session))]
    assert actions.count("incident.rederive") == changed > 0
    assert "site.update" in actions
    listed = web.get(done.headers["location"].split("#")[0]).text
    assert f"{name} is changed. {changed} incidents had their derived place changed" in listed
    session.expire_all()
    again = session.get(Site, site.id)
    assert again is not None
    assert (again.min_lon, again.min_lat, again.alt_names, again.kind) == (*far, site.alt_names, kind)


def test_an_area_gets_its_controlling_party_from_the_picker(web: WebClient, session: Session, scene: Scene) -> None:
    area = session.scalars(select(Area).order_by(Area.id)).first()
    assert area is not None
    web.login("admin")
    page = web.get(f"{scene.pages}/admin/areas/{area.id}/edit").text
    assert 'name="controlled_by"' in page
    geometry = re.search(r'<textarea id="f-geometry"[^>]*>([^<]*)</textarea>', page).group(1)  # type: ignore[union-attr]
    form = {"name": area.name, "kind": area.kind, "classification": area.classification,
            "controlled_by": scene.delegation("az"),
            "geometry": geometry.replace("&#34;", '"').replace("&quot;", '"')}  # fmt: skip
    done = web.post_form(f"{scene.pages}/admin/areas/{area.id}/edit", form)
    assert done.status_code == 303, done.text[:800]
    session.expire_all()
    changed = session.get(Area, area.id)
    assert changed is not None
    assert changed.controlled_by_id is not None
    bad = web.post_form(f"{scene.pages}/admin/areas/{area.id}/edit", {**form, "geometry": "{not json"})
    assert bad.status_code == 422
    assert 'href="#f-geometry"' in bad.text
    assert web.get(f"{scene.pages}/admin/towers/1/edit").status_code == 404


def test_a_drawn_site_added_from_the_form_says_how_many_incidents_changed(web: WebClient, scene: Scene) -> None:
    web.login("admin")
    lon, lat = scene.at(46.62, 39.95)
    site = {"name": "OP 40", "kind": "post", "lat": str(lat), "lon": str(lon), "classification": "mission"}
    done = web.post_form(f"{scene.pages}/admin/sites", site)
    assert done.status_code == 303
    assert re.search(r"\?added=sites:\d+&rederived=\d+#sites$", done.headers["location"])
    assert "OP 40 is added." in web.get(done.headers["location"].split("#")[0]).text


def test_an_administrator_resets_a_password_shown_once(
    app: FastAPI, web: WebClient, session: Session, scene: Scene
) -> None:
    analyst_name = web.name("analyst-ru")
    with TestClient(app, raise_server_exceptions=False) as analyst_browser:
        analyst = WebClient(analyst_browser, web.db, scene).login("analyst-ru")
        assert analyst.get("/account/password").status_code == 200
        web.login("admin")
        asked = web.get(f"{scene.pages}/admin/users/{analyst_name}/reset")
        assert asked.status_code == 200
        assert "Every session, token and phone log-in" in asked.text
        # Without the confirmation nothing changes: the question is asked first.
        assert web.post_form(f"{scene.pages}/admin/users/{analyst_name}/reset", {}).status_code == 303
        done = web.post_form(f"{scene.pages}/admin/users/{analyst_name}/reset", {"confirm": "yes"})
        assert done.status_code == 200
        assert done.headers["cache-control"] == "no-store"
        temporary = re.search(r'id="temporary-password">([^<]+)<', done.text).group(1)  # type: ignore[union-attr]
        assert analyst.get("/account/password").status_code == 303  # the old session ended: sent to log in
    session.expire_all()
    assert users_service.authenticate(session, analyst_name, loader.DEMO_PASSWORD) is None
    assert users_service.authenticate(session, analyst_name, temporary) is not None
    # Shown once: the users page never shows it again.
    assert temporary not in web.get(f"{scene.pages}/admin/users").text
    # Their own account is changed on the password page, and an unknown member is not found.
    assert web.post_form(f"{scene.pages}/admin/users/{web.name('admin')}/reset", {"confirm": "yes"}).status_code == 403
    assert web.post_form(f"{scene.pages}/admin/users/nobody/reset", {"confirm": "yes"}).status_code == 404


def test_an_administrator_changes_a_role(web: WebClient, session: Session, scene: Scene) -> None:
    analyst_name = web.name("analyst-ru")
    web.login("admin")
    done = web.post_form(f"{scene.pages}/admin/users/{analyst_name}/role", {"role": "verifier"})
    assert done.status_code == 303
    assert f"{analyst_name} is now" in web.get(done.headers["location"].split("#")[0]).text
    user = session.scalars(select(User).where(User.username == analyst_name)).one()
    session.expire_all()
    assert session.scalars(select(Membership.role).where(Membership.user_id == user.id)).one() == "verifier"
    assert web.login("analyst-ru").get(f"{scene.pages}/verification").status_code == 200
    web.login("admin")
    assert web.post_form(f"{scene.pages}/admin/users/{analyst_name}/role", {"role": "emperor"}).status_code == 422
    assert web.post_form(f"{scene.pages}/admin/users/{web.name('admin')}/role", {"role": "monitor"}).status_code == 403


def test_phones_are_registered_with_a_qr_code_once_listed_and_revoked(
    web: WebClient, session: Session, scene: Scene
) -> None:
    own = scene.delegation("ru")
    web.login("admin")
    assert "No phone is registered yet." in web.get(f"{scene.pages}/admin/phones").text
    bad = web.post_form(f"{scene.pages}/admin/phones", {"name": "Bad Name!", "delegation": own, "role": "monitor"})
    assert bad.status_code == 422
    assert 'href="#f-name"' in bad.text
    phone = {"name": "post-7-tablet", "delegation": own, "role": "monitor"}
    added = web.post_form(f"{scene.pages}/admin/phones", phone)
    assert added.status_code == 200, added.text[:500]
    assert "<svg" in added.text
    token = re.search(r'id="phone-token">([^<]+)<', added.text).group(1)  # type: ignore[union-attr]
    listed = web.get(f"{scene.pages}/admin/phones").text
    assert "post-7-tablet" in listed
    assert token not in listed
    assert "<svg" not in listed
    device = session.scalars(select(Device).where(Device.name == "post-7-tablet")).one()
    done = web.post_form(f"{scene.pages}/admin/phones/{device.id}/revoke", {})
    assert done.status_code == 303
    assert "post-7-tablet is revoked" in web.get(done.headers["location"].split("#")[0]).text
    assert web.post_form(f"{scene.pages}/admin/phones/{device.id}/revoke", {}).status_code == 409


@pytest.mark.demo_content
def test_the_admin_forms_name_delegations_in_the_readers_language(web: WebClient, scene: Scene) -> None:
    """The delegation a phone or an account joins is chosen by its name in the page's language, as listed."""
    web.login("admin")
    web.client.cookies.set("truce_lang", "ru")
    for form in ("admin/phones", "admin/users"):
        page = web.get(f"{scene.pages}/{form}").text
        assert re.search(r'<option value="am"[^>]*>\s*Офицер связи Армении\s*</option>', page), form
        assert "Armenia liaison" not in page, form
