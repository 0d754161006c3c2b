"""Limits on wrong passwords at /login, /api/v1/auth/token and OpenRosa (Basic and Digest).

Per account: 5 failures in a row free (a quiet quarter-hour or a success ends a run), then waits of 1, 2, 4 ... s
(at most 5 minutes) after the last one; per address: 50 failures in a row free over any accounts. A limited try
answers 429 with Retry-After before any password is hashed; the right password works once the wait is over; the
limits live in the database, so two app instances on one database share them. The clock is the app's own, moved on
by the tests (no sleeping).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import argon2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from openrosa.collect import account_of, basic
from openrosa.test_digest import OPENROSA, authorization, digest_challenge
from security.conftest import Clock
from support import TEST_SECRET
from truce.app import create_app
from truce.config import Settings
from truce.db import Database, connect, utcnow
from truce.demo import loader
from truce.users import logins
from truce.users.models import LoginAttempt
from web.conftest import WebClient

TOKEN = "/api/v1/auth/token"
RIGHT = loader.DEMO_PASSWORD  # every account's password, the example's too (mission_examples.PASSWORD)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many passwords argon2 has checked: a counter around the library's verify (which still runs)."""
    calls: list[int] = []
    original = argon2.PasswordHasher.verify

    def counted(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        calls.append(1)
        return original(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counted)
    return calls


def token(client: TestClient, username: str, password: str, **kwargs: Any) -> Any:
    return client.post(TOKEN, data={"username": username, "password": password}, **kwargs)


def failures(session: Session, username: str) -> int:
    stmt = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username == username)
    return int(session.execute(stmt.where(~LoginAttempt.success)).scalar_one())


def test_200_wrong_passwords_are_cut_off_after_5_and_the_right_one_works_after_the_wait(
    client: TestClient, clock: Clock, hashes: list[int], session: Session, scene: Scene
) -> None:
    verifier = account_of(scene, "verifier-ru")
    statuses = [token(client, verifier, f"guess-{n:03d}").status_code for n in range(200)]
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}
    # Refused before hashing: only the five free tries cost an argon2 check, and only they are counted.
    assert len(hashes) == 5
    assert failures(session, verifier) == 5
    refused = token(client, verifier, RIGHT)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert "try again in 1 s" in refused.json()["detail"]
    clock.advance(1)
    assert token(client, verifier, RIGHT).status_code == 200
    # The success cleared the count: the next mistake is an ordinary 401, not a wait.
    assert token(client, verifier, "typo-typo").status_code == 401


def test_the_wait_doubles_with_each_failure_and_stops_at_five_minutes(
    client: TestClient, clock: Clock, scene: Scene
) -> None:
    analyst = account_of(scene, "analyst-ru")
    for _ in range(5):
        assert token(client, analyst, "wrong-one").status_code == 401
    waits = []
    for _ in range(12):
        refused = token(client, analyst, "wrong-one")
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        clock.advance(waits[-1])
        assert token(client, analyst, "wrong-one").status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    # The run goes on while the tries do; a quiet quarter-hour ends it.
    clock.advance(15 * 60 + 1)
    assert token(client, analyst, "wrong-one").status_code == 401


def test_the_login_page_says_to_wait_and_then_lets_the_user_in(web: WebClient, clock: Clock, scene: Scene) -> None:
    monitor = account_of(scene, "monitor-ru")
    for _ in range(5):
        assert web.post_form("/login", {"username": monitor, "password": "nope-nope"}).status_code == 401
    refused = web.post_form("/login", {"username": monitor, "password": RIGHT})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert "Too many failed log-ins for this account or from this address. Wait 1 seconds" in refused.text
    assert f'value="{monitor}"' in refused.text
    assert "truce_session" not in refused.headers.get("set-cookie", "")
    russian = web.post_form("/login", {"username": monitor, "password": RIGHT}, headers={"Accept-Language": "ru"})
    assert "Слишком много неудачных попыток входа" in russian.text
    clock.advance(1)
    assert web.post_form("/login", {"username": monitor, "password": RIGHT}).status_code == 303


def test_openrosa_basic_failures_are_limited_with_429_and_retry_after(
    client: TestClient, clock: Clock, hashes: list[int], scene: Scene
) -> None:
    form_list, monitor = f"/openrosa/{scene.slug}/formList", account_of(scene, "monitor-ru")
    wrong = {**OPENROSA, **basic(monitor, "wrong-pass")}
    for _ in range(5):
        assert client.get(form_list, headers=wrong).status_code == 401
    for _ in range(20):
        refused = client.get(form_list, headers={**OPENROSA, **basic(monitor, RIGHT)})
        assert refused.status_code == 429
    assert len(hashes) == 5
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["x-openrosa-version"] == "1.0"
    assert '<message nature="error">too many failed log-ins' in refused.text
    # No challenge: asking for credentials again would only make Collect send the same ones.
    assert "www-authenticate" not in refused.headers
    clock.advance(1)
    assert client.get(form_list, headers={**OPENROSA, **basic(monitor, RIGHT)}).status_code == 200
    submission = client.head(f"/openrosa/{scene.slug}/submission", headers={**OPENROSA, **basic(monitor, RIGHT)})
    assert submission.status_code == 204


def test_openrosa_digest_failures_count_too(client: TestClient, clock: Clock, session: Session, scene: Scene) -> None:
    form_list, verifier = f"/openrosa/{scene.slug}/formList", account_of(scene, "verifier-tr")
    challenge = digest_challenge(client.get(form_list, headers=OPENROSA))
    for count in range(1, 6):
        header = authorization(challenge, verifier, "wrong-pass", "GET", form_list, count)
        assert client.get(form_list, headers={**OPENROSA, "Authorization": header}).status_code == 401
    assert failures(session, verifier) == 5
    right = authorization(challenge, verifier, RIGHT, "GET", form_list, 6)
    refused = client.get(form_list, headers={**OPENROSA, "Authorization": right})
    assert refused.status_code == 429
    clock.advance(1)
    right = authorization(challenge, verifier, RIGHT, "GET", form_list, 7)
    assert client.get(form_list, headers={**OPENROSA, "Authorization": right}).status_code == 200
    # The success that cleared the failures is recorded; later ones, with nothing to clear, are not written.
    again = authorization(challenge, verifier, RIGHT, "GET", form_list, 8)
    assert client.get(form_list, headers={**OPENROSA, "Authorization": again}).status_code == 200
    rows = session.execute(select(LoginAttempt.success).where(LoginAttempt.username == verifier)).scalars()
    assert sorted(rows) == [False] * 5 + [True]


def test_one_address_is_limited_across_accounts(app: FastAPI, clock: Clock, scene: Scene) -> None:
    with (
        TestClient(app, client=("203.0.113.7", 40000)) as attacker,
        TestClient(app, client=("198.51.100.9", 40000)) as colleague,
    ):
        # Every try at another name: no account reaches its own limit.
        admin = account_of(scene, "admin")
        for n in range(logins.LIMITS.address_free):
            assert token(attacker, f"user-{n}", "password1").status_code == 401
        refused = token(attacker, admin, RIGHT)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        # Someone at another address is not held up, nor the accounts themselves.
        assert token(colleague, admin, RIGHT).status_code == 200
        clock.advance(1)
        assert token(attacker, admin, RIGHT).status_code == 200


def test_ipv6_hosts_count_by_their_64() -> None:
    assert logins.address_key("2001:db8:1:2:aaaa::1") == logins.address_key("2001:db8:1:2:bbbb::2")
    assert logins.address_key("2001:db8:1:3::1") != logins.address_key("2001:db8:1:2::1")
    assert logins.address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert logins.address_key(None) == logins.UNKNOWN_ADDRESS


@pytest.fixture
def two_apps(own_database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, Clock]]:
    """Two app instances, each with its own connection pool, on one database (as `truce serve` processes are)."""
    clock = Clock(utcnow())
    databases: list[Database] = [connect(own_database_url), connect(own_database_url)]
    apps = [create_app(Settings(data_dir=tmp_path / f"data-{n}", secret_key=TEST_SECRET), db) for n, db in
            enumerate(databases)]  # fmt: skip
    for instance in apps:
        instance.state.clock = clock
    with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
        yield first, second, clock
    for db in databases:
        db.dispose()


def test_two_app_instances_share_the_limits(two_apps: tuple[TestClient, TestClient, Clock]) -> None:
    first, second, clock = two_apps
    for _ in range(5):
        assert token(first, "nobody", "wrong-pass").status_code == 401
    refused = token(second, "nobody", "wrong-pass")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    clock.advance(1)
    assert token(second, "nobody", "wrong-pass").status_code == 401
    assert token(first, "nobody", "wrong-pass").status_code == 429
    assert first.post(TOKEN, data={"username": "nobody", "password": "x" * 8}).headers["retry-after"] == "2"
