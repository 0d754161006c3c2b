"""Webhook pages: subscribe with a form (the secret shown once), the list, the delivery log, in both
languages; the public is asked to log in and nobody sees another member's subscription."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from truce.events.models import Event, Subscription
from web.conftest import WebClient

BASE = "/m/nk-2020"


def test_subscribe_see_the_secret_once_then_the_delivery_log(web: WebClient, session: Session) -> None:
    client = web.login("liaison-am")
    made = client.post_form(f"{BASE}/webhooks", {"url": "http://127.0.0.1:9/hook", "kinds": "incident.*"})
    assert made.status_code == 200, made.text
    assert "whsec_" in made.text
    listed = client.get(f"{BASE}/webhooks")
    assert "127.0.0.1:9/hook" in listed.text
    assert "whsec_" not in listed.text
    subscription = session.query(Subscription).filter_by(url="http://127.0.0.1:9/hook").one()
    log = client.get(f"{BASE}/webhooks/{subscription.id}")
    assert log.status_code == 200
    assert "Nothing sent yet." in log.text
    russian = client.get(f"{BASE}/webhooks", headers={"Accept-Language": "ru"})
    assert "Новая подписка" in russian.text


def test_bad_input_is_named_and_nothing_is_stored(web: WebClient, session: Session) -> None:
    client = web.login("analyst-ru")
    answer = client.post_form(f"{BASE}/webhooks", {"url": "ftp://example/x", "kinds": "incident"})
    assert answer.status_code == 422
    assert 'id="f-url"' in answer.text
    assert session.query(Subscription).filter_by(url="ftp://example/x").count() == 0


def test_pages_are_for_members_and_owners(web: WebClient, session: Session) -> None:
    owner = web.login("verifier-ru")
    owner.post_form(f"{BASE}/webhooks", {"url": "http://127.0.0.1:9/mine"})
    subscription = session.query(Subscription).filter_by(url="http://127.0.0.1:9/mine").one()
    session.execute(update(Event).where(Event.subscription_id == subscription.id).values(state="dead"))
    assert web.login("liaison-az").get(f"{BASE}/webhooks/{subscription.id}").status_code == 404
    assert web.login("admin").get(f"{BASE}/webhooks/{subscription.id}").status_code == 200
    web.client.cookies.clear()
    asked = web.get(f"{BASE}/webhooks", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/login?next=")
