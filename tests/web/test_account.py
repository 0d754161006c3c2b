"""A person changes their own password with the current one; other sessions, tokens and Digest secrets follow."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import ACCOUNTS
from truce.demo import loader
from truce.ledger import service as ledger
from truce.policy import Actor
from truce.users import digest_secrets
from truce.users import service as users_service
from web.conftest import WebClient

PATH = "/account/password"
NEW = "a-new-long-password"


def change(web: WebClient, current: str, new: str = NEW, repeat: str | None = None) -> object:
    form = {"current_password": current, "new_password": new, "repeat_password": new if repeat is None else repeat}
    return web.post_form(PATH, form)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_every_account_has_the_page_and_the_public_is_sent_to_log_in(web: WebClient, account: str) -> None:
    answer = web.login(account).get(PATH)
    if account == "public":
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")
    else:
        assert answer.status_code == 200
        assert 'name="current_password"' in answer.text


def test_a_wrong_current_password_changes_nothing_and_names_the_field(web: WebClient, session: Session) -> None:
    web.login("monitor-ru")
    answer = change(web, "not-my-password")
    assert answer.status_code == 422  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert '<a href="#f-current_password">This is not your current password.</a>' in text
    assert 'id="e-current_password"' in text
    assert users_service.authenticate(session, web.name("monitor-ru"), loader.DEMO_PASSWORD) is not None


def test_the_new_password_is_typed_twice_and_long_enough(web: WebClient) -> None:
    web.login("monitor-ru")
    differ = change(web, loader.DEMO_PASSWORD, repeat="something-else-entirely")
    assert differ.status_code == 422  # type: ignore[attr-defined]
    assert "The two new passwords differ." in differ.text  # type: ignore[attr-defined]
    short = change(web, loader.DEMO_PASSWORD, new="short")
    assert short.status_code == 422  # type: ignore[attr-defined]
    assert "at least 8 characters" in short.text  # type: ignore[attr-defined]
    assert NEW not in short.text  # type: ignore[attr-defined]  # passwords are never shown back


def test_a_change_ends_other_sessions_and_tokens_and_renews_digest(
    app: FastAPI, web: WebClient, session: Session
) -> None:
    verifier = web.name("verifier-tr")
    user = users_service.get_by_name(session, verifier)
    assert user is not None
    users_service.enable_digest(session, user, loader.DEMO_PASSWORD, actor=Actor.system())
    session.commit()
    token = web.client.post("/api/v1/auth/token", data={"username": verifier, "password": loader.DEMO_PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert web.client.get("/api/v1/missions", headers=bearer).status_code == 200
    with TestClient(app, raise_server_exceptions=False) as other_browser:
        other = WebClient(other_browser, web.db, web.scene).login("verifier-tr")
        assert other.get(PATH).status_code == 200
        web.login("verifier-tr")
        before = ledger.size(session)
        answer = change(web, loader.DEMO_PASSWORD)
        assert answer.status_code == 303  # type: ignore[attr-defined]
        assert answer.headers["location"] == f"{PATH}?changed=1"  # type: ignore[attr-defined]
        # This browser carries on with a fresh session; the other one is logged out.
        assert "Your password is changed" in web.get(f"{PATH}?changed=1").text
        assert other.get(PATH).status_code == 303
    assert web.client.get("/api/v1/missions", headers=bearer).status_code == 401
    session.expire_all()
    assert users_service.authenticate(session, verifier, loader.DEMO_PASSWORD) is None
    user = users_service.authenticate(session, verifier, NEW)
    assert user is not None
    assert users_service.digest_secret(session, user, "MD5") == digest_secrets.ha1("MD5", verifier, NEW)
    actions = [e.action for e in ledger.entries(session, before, ledger.size(session))]
    assert "user.password" in actions


@pytest.mark.parametrize("account", ACCOUNTS)
def test_only_the_administrator_deactivates_an_account(web: WebClient, scene: Scene, account: str) -> None:
    analyst = web.name("analyst-ru")
    answer = web.login(account).post_form(f"{scene.pages}/admin/users/{analyst}/active", {"active": "no"})
    if account == "admin":
        assert answer.status_code == 303
        assert answer.headers["location"].endswith("/admin/users#members")
        listed = web.get(answer.headers["location"].split("#")[0]).text
        assert f"{analyst} is deactivated: their sessions, tokens and phone log-ins have ended." in listed
    else:
        # The public is sent to log in (before its form is read).
        assert answer.status_code == (303 if account == "public" else 403)
        if account == "public":
            assert answer.headers["location"].startswith("/login")


def test_deactivation_ends_sessions_and_tokens_at_once_and_reactivation_restores(
    app: FastAPI, web: WebClient, session: Session, scene: Scene
) -> None:
    name = web.name("analyst-ru")
    token = web.client.post("/api/v1/auth/token", data={"username": name, "password": loader.DEMO_PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    with TestClient(app, raise_server_exceptions=False) as analyst_browser:
        analyst = WebClient(analyst_browser, web.db, scene).login("analyst-ru")
        assert analyst.get(f"{scene.pages}/incidents").status_code == 200
        web.login("admin")
        done = web.post_form(f"{scene.pages}/admin/users/{name}/active", {"active": "no"})
        assert done.status_code == 303
        assert "their sessions, tokens and phone log-ins have ended" in web.get(done.headers["location"]).text
        assert analyst.get(PATH).status_code == 303  # no longer logged in: sent to log in
        assert web.client.get("/api/v1/missions", headers=bearer).status_code == 401
        again = web.post_form(f"{scene.pages}/admin/users/{name}/active", {"active": "yes"})
        assert again.status_code == 303
    assert web.client.get("/api/v1/missions", headers=bearer).status_code == 200
    session.expire_all()
    assert users_service.authenticate(session, name, loader.DEMO_PASSWORD) is not None


def test_an_administrator_cannot_lock_themselves_out_nor_reach_another_missions_users(
    web: WebClient, scene: Scene
) -> None:
    web.login("admin")
    assert web.post_form(f"{scene.pages}/admin/users/{web.name('admin')}/active", {"active": "no"}).status_code == 409
    assert web.post_form(f"{scene.pages}/admin/users/no-such-user/active", {"active": "no"}).status_code == 404
