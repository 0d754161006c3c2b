"""Logging in and out with a server-side session cookie, CSRF on every form, and the language pick."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from truce.db import Database
from truce.web.models import WebSession
from web.conftest import WebClient


def test_login_sets_a_hardened_session_cookie_and_opens_the_mission(web: WebClient, scene: Scene) -> None:
    monitor = web.name("monitor-ru")
    answer = web.post_form("/login", {"username": monitor, "password": "truce-demo", "next": f"{scene.pages}/map"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{scene.pages}/map"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("truce_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
    home = web.get(f"{scene.pages}/")
    assert home.status_code == 200
    assert monitor in home.text


def test_cookies_are_secure_over_https(app: FastAPI, db: Database, scene: Scene) -> None:
    with TestClient(app, base_url="https://truce.example") as client:
        web = WebClient(client, db, scene)
        answer = web.post_form("/login", {"username": web.name("admin"), "password": "truce-demo"})
        assert answer.status_code == 303
        cookies = answer.headers.get_list("set-cookie")
        assert cookies
        assert all("Secure" in c for c in cookies)


def test_a_wrong_password_keeps_the_user_name_and_says_what_is_wrong(web: WebClient) -> None:
    answer = web.post_form("/login", {"username": web.name("monitor-ru"), "password": "nope-nope"})
    assert answer.status_code == 401
    assert f'value="{web.name("monitor-ru")}"' in answer.text
    assert "Wrong user name or password." in answer.text
    assert "truce_session" not in answer.headers.get("set-cookie", "")


def test_empty_fields_are_reported_on_each_field(web: WebClient) -> None:
    answer = web.post_form("/login", {"username": "", "password": ""})
    assert answer.status_code == 422
    assert 'id="e-username"' in answer.text
    assert 'id="e-password"' in answer.text


def test_a_form_without_the_csrf_token_is_refused(web: WebClient) -> None:
    web.csrf()  # the browser has its cookie
    answer = web.client.post("/login", data={"username": "admin", "password": "truce-demo"}, follow_redirects=False)
    assert answer.status_code == 403
    forged = web.client.post(
        "/login", data={"username": "admin", "password": "truce-demo", "csrf_token": "0" * 64}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert "truce_session" not in forged.headers.get("set-cookie", "")


def test_logout_ends_the_session_on_the_server(web: WebClient, session: Session, scene: Scene) -> None:
    web.login_with_form("verifier-ru")
    token = web.client.cookies.get("truce_session")
    assert token
    assert web.logout().headers["location"].startswith("/login")
    # Replaying the old cookie no longer works: the session row is gone.
    web.client.cookies.set("truce_session", token)
    answer = web.get(f"{scene.pages}/verification")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


def test_logging_in_again_starts_a_new_session(web: WebClient, session: Session) -> None:
    before = session.execute(select(func.count()).select_from(WebSession)).scalar_one()
    web.login_with_form("admin")
    first = web.client.cookies.get("truce_session")
    web.login_with_form("admin")
    assert web.client.cookies.get("truce_session") != first
    assert session.execute(select(func.count()).select_from(WebSession)).scalar_one() == before + 2


def test_next_never_leaves_the_site(web: WebClient) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = web.post_form("/login", {"username": web.name("admin"), "password": "truce-demo", "next": target})
        assert answer.headers["location"] == "/"


def test_the_browser_language_is_the_default_and_the_user_can_pick(web: WebClient) -> None:
    assert "Войти" in web.get("/login", headers={"accept-language": "ru-RU,ru;q=0.9,en;q=0.5"}).text
    assert "Log in" in web.get("/login", headers={"accept-language": "de, en;q=0.5"}).text
    answer = web.post_form("/language", {"locale": "ru", "next": "/login"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert "Войти" in web.get("/login", headers={"accept-language": "en"}).text


def test_pages_carry_security_headers(web: WebClient) -> None:
    answer = web.get("/login")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
