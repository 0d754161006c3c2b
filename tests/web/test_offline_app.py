"""The pages as an offline app (issue 21): the manifest, the service worker, and the outbox's offline session.

The outbox's token lets a device send records for `offline_days` (7 by default) after its last online visit;
the server checks the user, their password and their role again when each record arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.auth import OFFLINE_EXPIRED
from truce.config import Settings
from truce.db import Database
from truce.ledger import service as ledger
from truce.policy import Actor
from truce.users import service as users_service
from truce.users.models import Membership
from web.conftest import WebClient

INCIDENTS = "/api/v1/missions/nk-2020/incidents"
DAY = 86400


def feature(narrative: str) -> dict[str, Any]:
    properties = {"type": "explosion", "subtype": "mortar", "start": "2020-11-20T14:30:00+04:00", "source": "post",
                  "narrative": narrative}  # fmt: skip
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [46.8, 39.9]}, "properties": properties}


@contextmanager
def issued_ago(seconds: int) -> Iterator[None]:
    """Tokens signed inside the block carry a time `seconds` in the past."""
    real = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: int(time.time()) - seconds  # type: ignore[method-assign]
    try:
        yield
    finally:
        TimestampSigner.get_timestamp = real  # type: ignore[method-assign]


def outbox_token(web: WebClient, username: str = "monitor-ru") -> str:
    web.login(username)
    answer = web.get("/outbox/token", headers={"Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["user"] == username
    assert body["offline_days"] == 7
    return str(body["token"])


def send(client: TestClient, token: str, narrative: str, key: str) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    return client.post(INCIDENTS, json=feature(narrative), headers=headers)


def test_the_manifest_makes_the_pages_an_installable_app(web: WebClient) -> None:
    answer = web.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert web.get(icon["src"]).status_code == 200
    russian = web.get("/manifest.webmanifest", headers={"Accept-Language": "ru"}).json()
    assert russian["description"] != manifest["description"]


def test_the_service_worker_is_served_from_the_root_with_its_version(
    app: FastAPI, db: Database, settings: Settings
) -> None:
    with TestClient(app) as client:
        answer = client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["service-worker-allowed"] == "/"
    assert answer.headers["cache-control"] == "no-cache"
    assert "__SHELL_VERSION__" not in answer.text
    first = answer.text
    # A new revision (or release, or changed shell file) is a new worker with new caches.
    from truce.app import create_app

    with TestClient(create_app(settings.model_copy(update={"shell_revision": "2"}), db)) as client:
        second = client.get("/sw.js").text
    assert second != first


def test_pages_link_the_manifest_and_show_the_outbox_to_the_logged_in(web: WebClient) -> None:
    public = web.get("/login").text
    assert 'rel="manifest"' in public
    assert 'id="outbox"' not in public
    form = web.login("monitor-ru").get("/m/nk-2020/incidents/new").text
    assert 'id="outbox"' in form
    assert 'data-outbox="incident"' in form
    assert 'id="f-evidence"' in form


def test_the_outbox_token_needs_a_login_and_this_site(web: WebClient) -> None:
    assert web.get("/outbox/token").status_code in (302, 303, 307)
    web.login("monitor-ru")
    assert web.get("/outbox/token", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403


def test_an_offline_token_outlives_the_api_token_for_the_offline_window(web: WebClient, login: Any) -> None:
    with issued_ago(2 * DAY):
        token = outbox_token(web)
        api_token = web.client.post(
            "/api/v1/auth/token", data={"username": "monitor-ru", "password": "truce-demo"}
        ).json()["access_token"]
    assert send(web.client, token, "two days offline", "k-offline").status_code == 201
    stale = send(web.client, api_token, "two days offline", "k-api")
    assert stale.status_code == 401
    assert "expired" in stale.json()["detail"]


def test_after_the_offline_window_the_record_is_refused_with_a_clear_message(web: WebClient) -> None:
    with issued_ago(8 * DAY):
        token = outbox_token(web)
    answer = send(web.client, token, "eight days offline", "k-late")
    assert answer.status_code == 401
    assert answer.json()["detail"] == OFFLINE_EXPIRED


def test_the_window_is_a_setting(app: FastAPI, web: WebClient) -> None:
    app.state.settings = app.state.settings.model_copy(update={"offline_days": 1})
    with issued_ago(2 * DAY):
        token = any_outbox_token(web)
    assert send(web.client, token, "one-day window", "k-window").status_code == 401


def test_a_role_taken_away_while_offline_refuses_the_record(
    web: WebClient, session: Session, member: Callable[[str], Actor]
) -> None:
    token = outbox_token(web)
    user = users_service.get_by_name(session, "monitor-ru")
    assert user is not None
    membership = session.scalars(select(Membership).where(Membership.user_id == user.id)).first()
    assert membership is not None
    membership.role = "analyst"
    ledger.record(session, member("admin"), "membership.update", membership)
    session.commit()
    answer = send(web.client, token, "after the role went", "k-role")
    assert answer.status_code == 403
    assert answer.json()["detail"]


def test_a_deactivated_account_cannot_send_what_it_queued(
    web: WebClient, session: Session, member: Callable[[str], Actor]
) -> None:
    token = outbox_token(web)
    user = users_service.get_by_name(session, "monitor-ru")
    assert user is not None
    user.active = False
    ledger.record(session, member("admin"), "user.update", user)
    session.commit()
    answer = send(web.client, token, "after deactivation", "k-gone")
    assert answer.status_code == 401
    assert "no longer valid" in answer.json()["detail"]


def test_a_window_of_zero_days_keeps_nothing_past_the_api_token(app: FastAPI, web: WebClient) -> None:
    app.state.settings = app.state.settings.model_copy(update={"offline_days": 0})
    with issued_ago(13 * 3600):
        token = any_outbox_token(web)
    assert send(web.client, token, "zero window", "k-zero").status_code == 401


def any_outbox_token(web: WebClient) -> str:
    """The outbox token whatever the window is set to."""
    web.login("monitor-ru")
    return str(web.get("/outbox/token", headers={"Sec-Fetch-Site": "same-origin"}).json()["token"])


def test_a_record_keeps_the_device_s_time_and_flags_a_clock_that_is_off(web: WebClient, login: Any) -> None:
    made = "2020-11-21T09:15:00+00:00"
    ahead = (datetime.now(UTC) + timedelta(minutes=42)).isoformat()
    headers = {**login("monitor-ru"), "Idempotency-Key": "clock-ahead-1", "X-Device-Time": made,
               "X-Device-Clock": ahead}  # fmt: skip
    answer = web.client.post(INCIDENTS, json=feature("clock ahead"), headers=headers)
    assert answer.status_code == 201, answer.text
    properties = answer.json()["properties"]
    assert properties["device_time"] == made
    assert 41 * 60 <= properties["device_clock_offset_s"] <= 43 * 60
    assert properties["device_clock_skewed"] is True
    page = web.login("monitor-ru").get(f"/m/nk-2020/incidents/{answer.json()['id']}").text
    assert 'id="device-time"' in page
    assert "2020-11-21" in page.split('id="device-time"')[1][:200]
    assert 'id="clock-skew"' in page
    assert "42 minutes off" in page


def test_a_clock_a_minute_off_is_kept_but_not_flagged_and_a_plain_post_keeps_no_device_time(
    web: WebClient, login: Any
) -> None:
    close = (datetime.now(UTC) - timedelta(seconds=70)).isoformat()
    headers = {**login("monitor-ru"), "Idempotency-Key": "clock-close-1", "X-Device-Time": close,
               "X-Device-Clock": close}  # fmt: skip
    answer = web.client.post(INCIDENTS, json=feature("clock close"), headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["properties"]["device_clock_skewed"] is False
    page = web.login("monitor-ru").get(f"/m/nk-2020/incidents/{answer.json()['id']}").text
    assert 'id="device-time"' in page
    assert 'id="clock-skew"' not in page
    plain = web.client.post(INCIDENTS, json=feature("no device"), headers=login("monitor-ru"))
    assert "device_time" not in plain.json()["properties"]
    # A time without its offset, or out of any sane range, is not kept.
    odd = {**login("monitor-ru"), "Idempotency-Key": "clock-odd-1", "X-Device-Time": "1970-01-01T00:00:00Z",
           "X-Device-Clock": "yesterday"}  # fmt: skip
    assert "device_time" not in web.client.post(INCIDENTS, json=feature("odd"), headers=odd).json()["properties"]
