"""Success messages: shown once after an action, in the reader's language, and only as this installation signed."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import truce.web
from mission_examples import Scene
from truce.agreement.models import Provision
from truce.missions.models import Mission
from truce.web import flash
from web.conftest import WebClient


def settings_of(mission: Mission) -> dict[str, str]:
    """The mission's settings form with its own quorum, clock and languages, one more delegation to confirm, and
    other ceilings."""
    return {
        "quorum_delegations": str(mission.quorum_delegations + 1),
        "quorum_required": " ".join(mission.quorum_required),
        "time_zone": mission.time_zone,
        "languages": " ".join(mission.languages),
        "ceiling_personnel": "2000",
        "ceiling_armoured_vehicles": "90",
        "ceiling_other_vehicles": "380",
    }


def test_an_assessment_is_acknowledged_once_in_russian(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    provision = session.execute(select(Provision.id).order_by(Provision.id).limit(1)).scalar_one()
    web.login("verifier-ru")
    web.client.cookies.set("truce_lang", "ru")
    answer = web.post_form(
        f"{base}/provisions/{provision}/statuses", {"level": "2", "as_of": str(scene.shifted(date(2020, 11, 20)))}
    )
    assert answer.status_code == 303
    page = web.get(answer.headers["location"].split("#")[0]).text
    assert '<p class="flash" role="status">Оценка записана.</p>' in page
    assert 'class="flash"' not in web.get(f"{base}/provisions/{provision}").text


def test_a_message_not_signed_here_is_not_shown(web: WebClient, scene: Scene) -> None:
    base = scene.pages
    web.login("verifier-ru")
    # A number no page holds: digits alone turned up in a random CSRF token (hexadecimal) now and then.
    forged = flash.encode("another secret", "You have been logged out; call %(n)s", {"n": "+1 555 FORGED"})
    web.client.cookies.set(flash.COOKIE, forged)
    page = web.get(f"{base}/provisions").text
    assert "FORGED" not in page
    assert "logged out; call" not in page
    assert 'class="flash"' not in page
    assert flash.decode("s", flash.encode("s", "Claim %(id)s is recorded, unverified.", {"id": 7})) == (
        "Claim %(id)s is recorded, unverified.",
        {"id": "7"},
    )
    assert flash.decode("s", "garbage.0000") is None


def flash_of(page: str) -> str | None:
    found = re.search(r'<p class="flash" role="status">([^<]*)</p>', page)
    return found.group(1) if found else None


def test_administration_says_what_it_did_once(web: WebClient, scene: Scene, mission: Mission) -> None:
    base = scene.pages
    web.login("admin")
    user = {"username": "monitor-ru-3", "password": "long-enough-1", "role": "monitor",
            "delegation": scene.delegation("ru")}  # fmt: skip
    made = web.post_form(f"{base}/admin/users", user)
    assert made.status_code == 303, made.text[:800]
    assert flash_of(web.get(made.headers["location"]).text) == (
        "The account monitor-ru-3 is created; it may log in to this mission."
    )
    assert flash_of(web.get(f"{base}/admin/users").text) is None
    web.client.cookies.set("truce_lang", "ru")
    gone = web.post_form(f"{base}/admin/users/monitor-ru-3/active", {"active": "no"})
    assert flash_of(web.get(gone.headers["location"]).text) == (
        "Учётная запись monitor-ru-3 отключена: её сеансы, токены и входы с телефонов завершены."
    )
    saved = web.post_form(f"{base}/admin/settings", settings_of(mission))
    assert saved.status_code == 303, saved.text[:800]
    assert flash_of(web.get(saved.headers["location"]).text) == "Настройки сохранены."


def test_a_link_cannot_make_the_users_page_say_something() -> None:
    # The old notice read the name from the address: `?deactivated=...` put any words on the page.
    template = (Path(truce.web.__file__).parent / "templates/admin/users.html").read_text(encoding="utf-8")
    assert "deactivated" not in template
    assert "reactivated" not in template


def test_a_planned_patrol_is_acknowledged_in_russian(web: WebClient, scene: Scene) -> None:
    web.login("monitor-ru")
    web.client.cookies.set("truce_lang", "ru")
    plan = {"name": "Corridor patrol", "team": "Team 3", "date": str(scene.shifted(date(2020, 11, 23))),
            "start": "08:00", "end": "12:00", "route": route(scene, (46.41, 39.556), (46.47, 39.6)), "buffer_m": "250",
            "classification": "mission"}  # fmt: skip
    answer = web.post_form(f"{scene.pages}/patrols/new", plan)
    assert answer.status_code == 303, answer.text[:800]
    assert flash_of(web.get(answer.headers["location"]).text) == "Патруль Corridor patrol запланирован."


def route(scene: Scene, *demo_points: tuple[float, float]) -> str:
    """A route typed into the patrol form: demo positions moved into the scene's mission."""
    return "; ".join("{} {}".format(*scene.at(lon, lat)) for lon, lat in demo_points)


def failed_submits(scene: Scene, web: WebClient) -> dict[str, tuple[str, str, dict[str, str]]]:
    """A form filled wrongly for each kind of form: the account that sends it, its path and its values."""
    corner = [list(scene.at(lon, lat)) for lon, lat in ((46.6, 39.9), (46.7, 39.9), (46.7, 40.0), (46.6, 39.9))]
    shape = json.dumps({"type": "Polygon", "coordinates": [corner]})
    own = scene.delegation("ru")
    patrol = {"name": "", "date": str(scene.shifted(date(2020, 11, 23))), "start": "08:00", "end": "07:00",
              "route": route(scene, (46.41, 39.556)), "buffer_m": "x"}  # fmt: skip
    taken = {"username": web.name("monitor-ru"), "password": "long-enough-1", "role": "monitor", "delegation": own}
    return {
        "site": ("admin", "/admin/sites", {"name": "", "kind": "post", "lat": "north", "lon": str(scene.point[0])}),
        # The shape form shares the page and its field names with the site form: its ids are its own.
        "shape": ("admin", "/admin/shapes", {"name": "", "kind": "area:buffer_zone", "geometry": shape}),
        "user": ("admin", "/admin/users", {"username": "Bad Name", "password": "x", "role": "", "delegation": own}),
        "taken user": ("admin", "/admin/users", taken),
        "phone": ("admin", "/admin/phones", {"name": "", "delegation": "", "role": "monitor"}),
        "settings": ("admin", "/admin/settings", {"quorum_delegations": "", "ceiling_personnel": "many"}),
        "patrol": ("monitor-ru", "/patrols/new", patrol),
    }


@pytest.mark.parametrize("what", ["site", "shape", "user", "taken user", "phone", "settings", "patrol"])
def test_a_failed_submit_leads_from_the_summary_to_each_named_field(web: WebClient, scene: Scene, what: str) -> None:
    """The summary's links go to labelled fields: the page's script names each by its label and focuses the
    summary (layout.js `errors`), so an error on a field the form lacks would be a link to nowhere."""
    account, path, values = failed_submits(scene, web)[what]
    web.login(account)
    answer = web.post_form(scene.pages + path, values)
    assert answer.status_code == 422, answer.text[:800]
    summary = answer.text.split('<div class="error-summary" role="alert" tabindex="-1">')[1].split("</div>")[0]
    targets = re.findall(r'href="#(f-[^"]+)"', summary)
    assert targets, summary
    for target in targets:
        assert answer.text.count(f'<label for="{target}"') == 1, target
        assert answer.text.count(f'id="{target}"') == 1, target
    if what == "shape":
        assert targets == ["f-shape-name"]
    assert "<li>" not in summary.replace("<li><a", ""), "an error on no field of the form"
