"""Success messages: shown once after an action, in the reader's language, and only as this installation signed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import truce.web
from truce.agreement.models import Provision
from truce.web import flash
from web.conftest import WebClient

BASE = "/m/nk-2020"
SETTINGS = {
    "quorum_delegations": "3",
    "quorum_required": "ru tr",
    "time_zone": "Etc/GMT-4",
    "languages": "en ru",
    "ceiling_personnel": "2000",
    "ceiling_armoured_vehicles": "90",
    "ceiling_other_vehicles": "380",
}


def test_an_assessment_is_acknowledged_once_in_russian(web: WebClient, session: Session) -> None:
    provision = session.execute(select(Provision.id).order_by(Provision.id).limit(1)).scalar_one()
    web.login("verifier-ru")
    web.client.cookies.set("truce_lang", "ru")
    answer = web.post_form(f"{BASE}/provisions/{provision}/statuses", {"level": "2", "as_of": "2020-11-20"})
    assert answer.status_code == 303
    page = web.get(answer.headers["location"].split("#")[0]).text
    assert '<p class="flash" role="status">Оценка записана.</p>' in page
    assert 'class="flash"' not in web.get(f"{BASE}/provisions/{provision}").text


def test_a_message_not_signed_here_is_not_shown(web: WebClient) -> None:
    web.login("verifier-ru")
    forged = flash.encode("another secret", "You have been logged out; call %(n)s", {"n": "+1 555"})
    web.client.cookies.set(flash.COOKIE, forged)
    page = web.get(f"{BASE}/provisions").text
    assert "555" not in page
    assert 'class="flash"' not in page
    assert flash.decode("s", flash.encode("s", "Claim %(id)s is recorded, unverified.", {"id": 7})) == (
        "Claim %(id)s is recorded, unverified.",
        {"id": "7"},
    )
    assert flash.decode("s", "garbage.0000") is None


def flash_of(page: str) -> str | None:
    found = re.search(r'<p class="flash" role="status">([^<]*)</p>', page)
    return found.group(1) if found else None


def test_administration_says_what_it_did_once(web: WebClient) -> None:
    web.login("admin")
    user = {"username": "monitor-ru-3", "password": "long-enough-1", "role": "monitor", "delegation": "ru"}
    made = web.post_form(f"{BASE}/admin/users", user)
    assert made.status_code == 303, made.text[:800]
    assert flash_of(web.get(made.headers["location"]).text) == (
        "The account monitor-ru-3 is created; it may log in to this mission."
    )
    assert flash_of(web.get(f"{BASE}/admin/users").text) is None
    web.client.cookies.set("truce_lang", "ru")
    gone = web.post_form(f"{BASE}/admin/users/monitor-ru-3/active", {"active": "no"})
    assert flash_of(web.get(gone.headers["location"]).text) == (
        "Учётная запись monitor-ru-3 отключена: её сеансы, токены и входы с телефонов завершены."
    )
    saved = web.post_form(f"{BASE}/admin/settings", SETTINGS)
    assert saved.status_code == 303, saved.text[:800]
    assert flash_of(web.get(saved.headers["location"]).text) == "Настройки сохранены."


def test_a_link_cannot_make_the_users_page_say_something() -> None:
    # The old notice read the name from the address: `?deactivated=...` put any words on the page.
    template = (Path(truce.web.__file__).parent / "templates/admin/users.html").read_text(encoding="utf-8")
    assert "deactivated" not in template
    assert "reactivated" not in template


def test_a_planned_patrol_is_acknowledged_in_russian(web: WebClient) -> None:
    web.login("monitor-ru")
    web.client.cookies.set("truce_lang", "ru")
    plan = {"name": "Corridor patrol", "team": "Team 3", "date": "2020-11-23", "start": "08:00", "end": "12:00",
            "route": "46.41 39.556; 46.47 39.6", "buffer_m": "250", "classification": "mission"}  # fmt: skip
    answer = web.post_form(f"{BASE}/patrols/new", plan)
    assert answer.status_code == 303, answer.text[:800]
    assert flash_of(web.get(answer.headers["location"]).text) == "Патруль Corridor patrol запланирован."


SHAPE = '{"type": "Polygon", "coordinates": [[[46.6, 39.9], [46.7, 39.9], [46.7, 40.0], [46.6, 39.9]]]}'
PATROL = {"name": "", "date": "2020-11-23", "start": "08:00", "end": "07:00", "route": "46.41 39.556", "buffer_m": "x"}
TAKEN = {"username": "monitor-ru", "password": "long-enough-1", "role": "monitor", "delegation": "ru"}
FAILED_SUBMITS = {
    "site": ("admin", "/admin/sites", {"name": "", "kind": "post", "lat": "north", "lon": "46.8"}),
    # The shape form shares the page and its field names with the site form: its ids are its own.
    "shape": ("admin", "/admin/shapes", {"name": "", "kind": "area:buffer_zone", "geometry": SHAPE}),
    "user": ("admin", "/admin/users", {"username": "Bad Name", "password": "x", "role": "", "delegation": "ru"}),
    "taken user": ("admin", "/admin/users", TAKEN),
    "phone": ("admin", "/admin/phones", {"name": "", "delegation": "", "role": "monitor"}),
    "settings": ("admin", "/admin/settings", {"quorum_delegations": "", "ceiling_personnel": "many"}),
    "patrol": ("monitor-ru", "/patrols/new", PATROL),
}


@pytest.mark.parametrize("what", FAILED_SUBMITS)
def test_a_failed_submit_leads_from_the_summary_to_each_named_field(web: WebClient, what: str) -> None:
    """The summary's links go to labelled fields: the page's script names each by its label and focuses the
    summary (layout.js `errors`), so an error on a field the form lacks would be a link to nowhere."""
    account, path, values = FAILED_SUBMITS[what]
    web.login(account)
    answer = web.post_form(BASE + path, values)
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
