"""Phones for the OpenRosa tests: a registered device of the ru delegation, and people by HTTP Basic."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from openrosa.collect import Phone, basic
from support import Login
from truce.demo import loader

NewDevice = Callable[..., tuple[Phone, dict[str, object]]]


@pytest.fixture
def new_device(client: TestClient, login: Login) -> NewDevice:
    """Register a device through the administrators' API and return a phone logged in with its token."""

    def make(name: str = "post-7-phone", delegation: str = "ru", **extra: object) -> tuple[Phone, dict[str, object]]:
        body = {"name": name, "delegation": delegation, **extra}
        answer = client.post("/api/v1/missions/nk-2020/devices", json=body, headers=login("admin"))
        assert answer.status_code == 201, answer.text
        created = answer.json()
        return Phone(client, basic(str(created["username"]), str(created["token"]))), created

    return make


@pytest.fixture
def phone(new_device: NewDevice) -> Phone:
    return new_device()[0]


@pytest.fixture
def person(client: TestClient) -> Callable[[str], Phone]:
    """A phone logged in with a demo person's account (HTTP Basic)."""
    return lambda username: Phone(client, basic(username, loader.DEMO_PASSWORD))
