"""Cross-site requests: evidence downloads by cookie need this site to ask, CSRF tokens are bound to the session,
and /docs loads nothing from elsewhere under a strict CSP."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from support import Login, point_feature
from truce.db import Database
from truce.demo import loader
from truce.evidence.models import Custody
from web.conftest import TOKEN, WebClient

INCIDENTS = "/api/v1/missions/nk-2020/incidents"


def _evidence(client: TestClient, login: Login) -> tuple[int, str]:
    properties = {"type": "explosion", "subtype": "mortar", "start": "2020-11-20T14:30:00+04:00",
                  "source": "post", "classification": "parties"}  # fmt: skip
    made = client.post(INCIDENTS, json=point_feature(46.8, 39.9, **properties), headers=login("monitor-ru"))
    assert made.status_code == 201, made.text
    incident_id = int(made.json()["id"])
    files = {"file": ("log.txt", b"observation log, 20 November")}
    stored = client.post(f"{INCIDENTS}/{incident_id}/evidence", files=files, headers=login("monitor-ru"))
    assert stored.status_code == 201, stored.text
    return incident_id, str(stored.json()["sha256"])


def _downloads(session: Session) -> int:
    stmt = select(func.count()).select_from(Custody).where(Custody.action == "download")
    return int(session.execute(stmt).scalar_one())


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Sec-Fetch-Site": "same-origin"}, 200),
        ({"Sec-Fetch-Site": "none"}, 200),  # typed or bookmarked by the user
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),  # a sibling subdomain is another origin
        ({"Sec-Fetch-Site": "cross-site", "Referer": "http://testserver/m/nk-2020/"}, 403),
        ({"Referer": "http://testserver/m/nk-2020/incidents/1"}, 200),  # an older browser, from our page
        ({"Referer": "https://attacker.example/page"}, 403),
        ({}, 403),  # nothing says this site asked
    ],
)
def test_a_cookie_download_needs_this_site_to_ask(
    client: TestClient, login: Login, db: Database, session: Session, headers: dict[str, str], status: int
) -> None:
    incident_id, sha256 = _evidence(client, login)
    web = WebClient(client, db).login("verifier-ru")
    before = _downloads(session)
    answer = web.get(f"/m/nk-2020/incidents/{incident_id}/evidence/{sha256}", headers=headers)
    assert answer.status_code == status, answer.text
    # A refused download leaves no custody entry in the user's name.
    assert _downloads(session) == before + (status == 200)
    if status == 403:
        assert "another site" in answer.text


def test_bearer_downloads_are_not_affected(client: TestClient, login: Login) -> None:
    # A token travels in a header another site cannot make a browser send.
    incident_id, sha256 = _evidence(client, login)
    answer = client.get(f"{INCIDENTS}/{incident_id}/evidence/{sha256}", headers=login("verifier-ru"))
    assert answer.status_code == 200


def _token(page_html: str) -> str:
    found = TOKEN.search(page_html)
    assert found
    return found.group(1)


def test_a_csrf_token_works_only_in_its_own_session(app: FastAPI, db: Database) -> None:
    with TestClient(app) as a_browser, TestClient(app) as b_browser:
        alice, bob = WebClient(a_browser, db).login("verifier-ru"), WebClient(b_browser, db).login("verifier-tr")
        alice_token = _token(alice.get("/login").text)
        # Bob's browser given Alice's CSRF cookie too: the token still names Alice's session, not Bob's.
        b_browser.cookies.set("truce_csrf", str(a_browser.cookies.get("truce_csrf")))
        forged = b_browser.post("/logout", data={"csrf_token": alice_token}, follow_redirects=False)
        assert forged.status_code == 403
        own = b_browser.post("/logout", data={"csrf_token": _token(bob.get("/login").text)}, follow_redirects=False)
        assert own.status_code == 303


def test_logging_in_rotates_the_csrf_token(web: WebClient) -> None:
    before = _token(web.get("/login").text)
    before_cookie = web.client.cookies.get("truce_csrf")
    answer = web.client.post(
        "/login", data={"csrf_token": before, "username": "admin", "password": loader.DEMO_PASSWORD}
    , follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    assert web.client.cookies.get("truce_csrf") != before_cookie
    after = _token(web.get("/login").text)
    assert after != before
    # The token from before the login no longer works; the new one does.
    assert web.client.post("/logout", data={"csrf_token": before}, follow_redirects=False).status_code == 403
    assert web.client.post("/logout", data={"csrf_token": after}, follow_redirects=False).status_code == 303


def test_docs_are_served_from_here_under_a_strict_csp(client: TestClient) -> None:
    answer = client.get("/docs")
    assert answer.status_code == 200
    csp = answer.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp
    assert "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", answer.text)
    for asset in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", answer.text):
        assert client.get(asset).status_code == 200, asset
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_pages_keep_a_csp_without_plugins(client: TestClient) -> None:
    csp = client.get("/login").headers["content-security-policy"]
    assert "object-src 'none'" in csp
    assert "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
