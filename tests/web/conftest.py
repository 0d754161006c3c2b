"""A TestClient that logs in through the login form and sends CSRF tokens like a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from truce.demo import loader

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    """A browser stand-in: cookies, CSRF tokens taken from the pages, and form posts."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

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

    def login(self, username: str) -> WebClient:
        if username != "public":
            answer = self.post_form("/login", {"username": username, "password": loader.DEMO_PASSWORD})
            assert answer.status_code == 303, answer.text
        return self

    def logout(self) -> httpx.Response:
        return self.post_form("/logout", {})


@pytest.fixture
def web(app: FastAPI) -> Iterator[WebClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield WebClient(client)
