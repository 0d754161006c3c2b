"""The events' listeners cost a mission that sends nothing no statement (issue 22, the phones' hot path).

Every batch of log entries reaches the outbox and the CAP listener. A mission that never had a subscription or a
rule (`Mission.events_out` false) is skipped from the mission the request already holds; once it has one, each
write reads the subscriptions and the rules once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select

from support import Login
from test_policy_matrix import make_incident
from truce.db import Database
from truce.integrity import verify
from truce.missions.models import Mission

BASE = "/api/v1/missions/nk-2020"
EVENT_TABLES = ("webhook_subscriptions", "cap_alert_rules")


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def reading(seen: list[str], table: str) -> int:
    return sum(1 for s in seen if s.lstrip().upper().startswith("SELECT") and table in s)


def sends(db: Database) -> bool:
    with db.writer() as session:
        return bool(session.execute(select(Mission.events_out).where(Mission.slug == "nk-2020")).scalar_one())


def test_a_mission_without_subscriptions_or_rules_costs_the_listeners_nothing(
    client: TestClient, login: Login, db: Database
) -> None:
    make_incident(client, login, "public", [])  # the login and the first-use reads out of the way
    assert not sends(db)
    with statements(db) as without:
        make_incident(client, login, "public", [])
    assert [reading(without, table) for table in EVENT_TABLES] == [0, 0], "no statement for events"

    rule = {"name": "any", "types": ["fire"], "area_id": None, "within_km": 2, "severity": "Severe"}
    assert client.post(f"{BASE}/alert-rules", json=rule, headers=login("verifier-ru")).status_code == 201
    assert sends(db), "a rule makes the mission send events"
    answer = client.post(f"{BASE}/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=login("verifier-ru"))
    assert answer.status_code == 201
    with statements(db) as with_them:
        make_incident(client, login, "public", [])
    assert [reading(with_them, table) for table in EVENT_TABLES] == [1, 1], "read once each per write"


def test_the_hint_is_not_logged_content(client: TestClient, login: Login, db: Database) -> None:
    answer = client.post(f"{BASE}/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=login("verifier-ru"))
    assert answer.status_code == 201
    assert sends(db)
    report = verify.Report()
    with db.writer() as session:
        verify._check_records(session, Mission, report)
    assert report.problems == [], "the missions still match their entries"
