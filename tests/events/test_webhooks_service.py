"""Subscriptions: the secret shown once and stored sealed, rotation's two signatures, replay, bad input, and no
event for a change that rolled back."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from standardwebhooks.webhooks import Webhook

from support import TEST_SECRET, Login
from test_policy_matrix import make_incident
from truce.db import Database
from truce.events import sealing, signing, subscriptions
from truce.events.models import Event, Subscription
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.policy import Actor

BASE = "/api/v1/missions/nk-2020"


def subscribe(client: TestClient, login: Login, account: str = "verifier-ru", **body: object) -> dict[str, object]:
    answer = client.post(f"{BASE}/webhooks", json={"url": "http://127.0.0.1:9/hook", **body}, headers=login(account))
    assert answer.status_code == 201, answer.text
    made: dict[str, object] = answer.json()
    return made


def test_the_secret_is_shown_once_and_stored_sealed(client: TestClient, login: Login, db: Database) -> None:
    made = subscribe(client, login)
    secret = str(made["secret"])
    assert secret.startswith("whsec_")
    assert len(sealing.secret_key_bytes(secret)) == 32
    again = client.get(f"{BASE}/webhooks/{made['id']}", headers=login("verifier-ru")).json()
    assert "secret" not in again
    assert secret not in client.get(f"{BASE}/webhooks", headers=login("verifier-ru")).text
    with db.writer() as session:
        stored = session.get(Subscription, made["id"])
        assert stored is not None
        assert secret not in stored.secret_sealed
        assert sealing.unseal(stored.secret_sealed, TEST_SECRET) == secret
        with pytest.raises(ValueError, match="does not open"):
            sealing.unseal(stored.secret_sealed, "another-secret-key-of-enough-length-0123456789")


def test_during_a_rotation_both_secrets_sign(client: TestClient, login: Login, db: Database) -> None:
    made = subscribe(client, login)
    rotated = client.post(f"{BASE}/webhooks/{made['id']}/rotate", headers=login("verifier-ru"))
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != made["secret"]
    assert rotated.json()["previous_secret_until"] is not None
    with db.writer() as session:
        stored = session.get(Subscription, made["id"])
        both = subscriptions.secrets(stored, TEST_SECRET)
    assert both == [new_secret, made["secret"]]
    body = b'{"type":"incident.create"}'
    headers = signing.headers(both, "msg_log1_sub1", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in both:
        assert Webhook(str(secret)).verify(body, headers) == {"type": "incident.create"}


def test_an_event_commits_or_rolls_back_with_its_entry(client: TestClient, login: Login, db: Database) -> None:
    subscribe(client, login, kinds=["mission.*"])
    count = select(func.count()).select_from(Event)
    with db.writer() as session:
        mission = missions_service.get_by_slug(session, "nk-2020")
        assert mission is not None
        before = session.execute(count).scalar_one()
        savepoint = session.begin_nested()
        mission.name = mission.name + " (edited)"
        ledger.record(session, Actor.system(), "mission.update", mission)
        ledger.size(session)  # a reader of the log stores the transaction's entries now, and their events with them
        assert session.execute(count).scalar_one() == before + 1, "born in the entry's transaction"
        savepoint.rollback()
        assert session.execute(count).scalar_one() == before, "gone with the entry"
        mission.name = mission.name + " (edited again)"
        ledger.record(session, Actor.system(), "mission.update", mission)
        session.commit()
    with db.writer() as session:
        assert session.execute(count).scalar_one() == before + 1


def test_a_replay_sends_the_same_events_again_and_earlier_entries_too(
    client: TestClient, login: Login, db: Database
) -> None:
    first = make_incident(client, login, "mission", [])
    made = subscribe(client, login, kinds=["incident.create"])
    second = make_incident(client, login, "mission", [])
    with db.writer() as session:
        events = session.execute(select(Event).where(Event.subscription_id == made["id"])).scalars().all()
        assert [json.loads(e.body)["data"]["entity_id"] for e in events] == [str(second)]
        original = {e.message_id: e.body for e in events}
        for event in events:
            event.state = "delivered"
    answer = client.post(f"{BASE}/webhooks/{made['id']}/replay", json={"from_index": 0}, headers=login("verifier-ru"))
    assert answer.status_code == 200, answer.text
    with db.writer() as session:
        events = session.execute(select(Event).where(Event.subscription_id == made["id"])).scalars().all()
    ids = {json.loads(e.body)["data"]["entity_id"] for e in events}
    assert {str(first), str(second)} <= ids
    assert all(e.state == "pending" for e in events)
    again = {e.message_id: e.body for e in events if e.message_id in original}
    assert again == original, "a replay sends the same id and the same bytes"
    bad = client.post(f"{BASE}/webhooks/{made['id']}/replay", json={"from_index": -1}, headers=login("verifier-ru"))
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://127.0.0.1/x"}, "url"),
        ({"url": "http://user:pw@127.0.0.1/x"}, "url"),
        ({"url": "http://127.0.0.1/x", "kinds": ["incident"]}, "kinds"),
        ({"url": "http://127.0.0.1/x", "zone_ids": [0]}, "zone_ids"),
        ({"url": "http://127.0.0.1/x", "secret": "mine"}, "secret"),
    ],
)
def test_bad_subscriptions_are_refused_with_the_field(
    client: TestClient, login: Login, body: dict[str, object], field: str
) -> None:
    answer = client.post(f"{BASE}/webhooks", json=body, headers=login("verifier-ru"))
    assert answer.status_code == 422
    assert field in answer.text


def test_writes_leave_one_waiting_job_per_receiver(client: TestClient, login: Login, db: Database) -> None:
    """PostgreSQL: many transactions making events for one receiver defer one job, which takes them all."""
    if db.is_sqlite:
        pytest.skip("SQLite has no queue: its worker reads the due events")
    made = subscribe(client, login, kinds=["mission.*"])
    waiting = text("SELECT count(*) FROM procrastinate_jobs WHERE queueing_lock = :lock AND status = 'todo'")
    for n in range(3):
        with db.writer() as session:
            mission = missions_service.get_by_slug(session, "nk-2020")
            assert mission is not None
            mission.name = f"{mission.name} ({n})"
            ledger.record(session, Actor.system(), "mission.update", mission)
            session.commit()
    with db.writer() as session:
        assert session.execute(waiting, {"lock": f"sub{made['id']}"}).scalar_one() == 1
        queued = select(func.count()).select_from(Event).where(Event.subscription_id == made["id"], Event.queued)
        assert session.execute(queued).scalar_one() == 3
