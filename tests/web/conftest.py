"""A TestClient that logs in through the login form and sends CSRF tokens like a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mission_examples import DEMO_SLUG, SCENES, Scene
from truce.db import Database
from truce.demo import loader
from truce.users import service as users_service
from truce.web import sessions

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    """A browser stand-in: cookies, CSRF tokens taken from the pages, and form posts.

    It logs in as a demo account's counterpart in the scene's mission (`monitor-ru` is `monitor-force` in the
    example), as the `login` fixture does; an account of that mission is itself.
    """

    def __init__(self, client: TestClient, db: Database, scene: Scene | None = None) -> None:
        self.client = client
        self.db = db
        self.scene = scene or SCENES[DEMO_SLUG]

    def name(self, username: str) -> str:
        """The account that stands for `username` in the scene's mission."""
        return self.scene.account(username)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("follow_redirects", False)
        return self.client.get(url, **kwargs)

    def csrf(self) -> str:
        """The token the login page hands this client (the same for every form of this browser)."""
        found = TOKEN.search(self.client.get("/login").text)
        assert found, "no CSRF token on the login page"
        return found.group(1)

    def post_form(self, url: str, data: dict[str, Any], files: Any = None, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(url, data={"csrf_token": self.csrf(), **data}, files=files, **kwargs)

    def login_with_form(self, username: str) -> WebClient:
        answer = self.post_form("/login", {"username": self.name(username), "password": loader.DEMO_PASSWORD})
        assert answer.status_code == 303, answer.text
        return self

    def login(self, username: str) -> WebClient:
        """Open a session as the login form would, without paying for argon2 in every matrix cell."""
        if username != "public":
            with self.db.writer() as session:
                user = users_service.get_by_name(session, self.name(username))
                assert user is not None, username
                token = sessions.start(session, user, hours=1)
                session.commit()
            self.client.cookies.set(sessions.COOKIE, token)
        return self

    def logout(self) -> httpx.Response:
        return self.post_form("/logout", {})


@pytest.fixture
def web(app: FastAPI, db: Database, scene: Scene) -> Iterator[WebClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield WebClient(client, db, scene)
