"""Webhook subscriptions as an access matrix: every account subscribes, every classification is filed, and
each subscription's outbox holds exactly the records the API shows its owner; the public may not subscribe."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from support import ACCOUNTS, Login
from test_policy_matrix import make_incident
from truce.db import Database
from truce.events.models import Event

BASE = "/api/v1/missions/nk-2020"
MEMBERS = [a for a in ACCOUNTS if a != "public"]


@pytest.fixture
def subscriptions(client: TestClient, login: Login) -> dict[str, int]:
    made = {}
    for account in MEMBERS:
        answer = client.post(
            f"{BASE}/webhooks", json={"url": f"http://127.0.0.1:9/{account}", "kinds": ["incident.create"]},
            headers=login(account),
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
        made[account] = answer.json()["id"]
    return made


@pytest.mark.parametrize("account", MEMBERS)
def test_a_subscriber_is_sent_exactly_what_the_api_shows_it(
    client: TestClient, login: Login, db: Database, subscriptions: dict[str, int], account: str
) -> None:
    incidents = {
        "restricted": make_incident(client, login, "restricted", ["tr"]),
        "mission": make_incident(client, login, "mission", []),
        "parties": make_incident(client, login, "parties", []),
        "public": make_incident(client, login, "public", []),
    }
    with db.writer() as session:
        bodies = session.execute(select(Event.body).where(Event.subscription_id == subscriptions[account])).scalars()
        sent = {int(json.loads(body)["data"]["entity_id"]) for body in bodies}
    shown = {
        i for i in incidents.values() if client.get(f"{BASE}/incidents/{i}", headers=login(account)).status_code == 200
    }
    assert sent == shown
    assert shown, "every member reads at least the public incident"
    if account not in ("admin", "verifier-tr"):
        assert incidents["restricted"] not in sent


def test_the_public_may_not_subscribe(client: TestClient, login: Login) -> None:
    answer = client.post(f"{BASE}/webhooks", json={"url": "http://127.0.0.1:9/x"})
    assert answer.status_code == 401
    assert client.get(f"{BASE}/webhooks").status_code in (401, 403)


def test_a_subscription_is_its_owners_and_its_administrators(client: TestClient, login: Login) -> None:
    made = client.post(f"{BASE}/webhooks", json={"url": "http://127.0.0.1:9/a"}, headers=login("liaison-am")).json()
    path = f"{BASE}/webhooks/{made['id']}"
    assert client.get(path, headers=login("liaison-am")).status_code == 200
    assert client.get(path, headers=login("admin")).status_code == 200
    for other in ("liaison-az", "verifier-ru", "analyst-ru"):
        assert client.get(path, headers=login(other)).status_code == 404
        assert client.get(path + "/deliveries", headers=login(other)).status_code == 404
        assert client.post(path + "/rotate", headers=login(other)).status_code == 404
        assert client.delete(path, headers=login(other)).status_code == 404
    listed = [s["id"] for s in client.get(f"{BASE}/webhooks", headers=login("liaison-az")).json()]
    assert made["id"] not in listed
    assert made["id"] in [s["id"] for s in client.get(f"{BASE}/webhooks", headers=login("admin")).json()]
