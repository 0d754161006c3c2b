"""Success messages: shown once after an action, in the reader's language, and only as this installation signed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.agreement.models import Provision
from truce.web import flash
from web.conftest import WebClient

BASE = "/m/nk-2020"


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
