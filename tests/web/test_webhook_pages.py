"""Webhook pages: subscribe with a form (the secret shown once), the list, the delivery log, in both
languages; the public is asked to log in and nobody sees another member's subscription."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import ACCOUNTS
from truce.events.models import Event, Subscription
from web.conftest import WebClient


def test_subscribe_see_the_secret_once_then_the_delivery_log(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    client = web.login("liaison-am")
    made = client.post_form(f"{base}/webhooks", {"url": "http://127.0.0.1:9/hook", "kinds": "incident.*"})
    assert made.status_code == 200, made.text
    assert "whsec_" in made.text
    listed = client.get(f"{base}/webhooks")
    assert "127.0.0.1:9/hook" in listed.text
    assert "whsec_" not in listed.text
    subscription = session.query(Subscription).filter_by(url="http://127.0.0.1:9/hook").one()
    log = client.get(f"{base}/webhooks/{subscription.id}")
    assert log.status_code == 200
    assert "Nothing sent yet." in log.text
    russian = client.get(f"{base}/webhooks", headers={"Accept-Language": "ru"})
    assert "Новая подписка" in russian.text


def test_bad_input_is_named_and_nothing_is_stored(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    client = web.login("analyst-ru")
    answer = client.post_form(f"{base}/webhooks", {"url": "ftp://example/x", "kinds": "incident"})
    assert answer.status_code == 422
    assert 'id="f-url"' in answer.text
    assert session.query(Subscription).filter_by(url="ftp://example/x").count() == 0


def test_pages_are_for_members_and_owners(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    owner = web.login("verifier-ru")
    owner.post_form(f"{base}/webhooks", {"url": "http://127.0.0.1:9/mine"})
    subscription = session.query(Subscription).filter_by(url="http://127.0.0.1:9/mine").one()
    session.execute(update(Event).where(Event.subscription_id == subscription.id).values(state="dead"))
    assert web.login("liaison-az").get(f"{base}/webhooks/{subscription.id}").status_code == 404
    assert web.login("admin").get(f"{base}/webhooks/{subscription.id}").status_code == 200
    web.client.cookies.clear()
    asked = web.get(f"{base}/webhooks", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/login?next=")


def test_rotate_replay_and_end_from_the_pages(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    client = web.login("verifier-ru")
    client.post_form(f"{base}/webhooks", {"url": "http://127.0.0.1:9/rotating", "kinds": "incident.*"})
    subscription = session.query(Subscription).filter_by(url="http://127.0.0.1:9/rotating").one()
    page = f"{base}/webhooks/{subscription.id}"
    first_secret = subscription.secret_sealed

    rotated = client.post_form(f"{page}/rotate", {})
    assert rotated.status_code == 200, rotated.text
    assert 'id="new-secret"' in rotated.text
    assert "whsec_" in rotated.text
    session.refresh(subscription)
    assert subscription.previous_sealed == first_secret, "the old secret signs during the rotation"
    again = client.get(page)
    assert "whsec_" not in again.text, "shown once"
    assert 'id="rotation"' in again.text

    bad = client.post_form(f"{page}/replay", {"from_index": "-3"})
    assert bad.status_code == 422
    assert 'id="f-from_index"' in bad.text
    assert 'aria-invalid="true"' in bad.text
    replayed = client.post_form(f"{page}/replay", {"from_index": "0"})
    assert replayed.status_code == 200, replayed.text
    made = session.query(Event).filter_by(subscription_id=subscription.id).count()
    assert made > 0, "the demo's incident entries are sent from index 0"
    assert f"{made} events are due again." in replayed.text
    assert client.get(f"{page}?state=pending").text.count('id="delivery-') == min(made, 200)
    assert 'id="delivery-' not in client.get(f"{page}?state=delivered").text
    russian = client.get(page, headers={"Accept-Language": "ru"})
    assert "Повторить" in russian.text

    # Another member may not touch it; the public is sent to log in.
    assert web.login("liaison-az").post_form(f"{page}/rotate", {}).status_code == 404
    web.client.cookies.clear()
    assert web.post_form(f"{page}/end", {}).status_code == 303
    ended = web.login("verifier-ru").post_form(f"{page}/end", {})
    assert ended.status_code == 303
    session.refresh(subscription)
    assert not subscription.active
    assert session.query(Event).filter_by(subscription_id=subscription.id, state="pending").count() == 0
    assert 'id="replay"' not in web.get(page).text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_rotate_replay_and_end(web: WebClient, session: Session, scene: Scene, account: str) -> None:
    """The owner and the mission's administrator; another member is told it does not exist; the public logs in."""
    base = scene.pages
    web.login("liaison-am").post_form(f"{base}/webhooks", {"url": "http://127.0.0.1:9/matrix"})
    subscription = session.query(Subscription).filter_by(url="http://127.0.0.1:9/matrix").one()
    page = f"{base}/webhooks/{subscription.id}"
    web.client.cookies.clear()
    client = web.login(account)
    expected = {"liaison-am": 200, "admin": 200, "public": 303}.get(account, 404)
    assert client.post_form(f"{page}/rotate", {}).status_code == expected
    assert client.post_form(f"{page}/replay", {"from_index": "0"}).status_code == expected
    assert client.post_form(f"{page}/end", {}).status_code == (303 if expected == 200 else expected)
    session.refresh(subscription)
    assert subscription.active is (expected != 200)
