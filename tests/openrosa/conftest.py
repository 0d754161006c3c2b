"""Phones for the OpenRosa tests: a registered device of the ru delegation (or its counterpart in the mission the
test runs against), and people by HTTP Basic."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from mission_examples import PASSWORD, Scene
from openrosa.collect import Phone, account_of, basic
from support import Login

NewDevice = Callable[..., tuple[Phone, dict[str, object]]]


@pytest.fixture
def new_device(client: TestClient, login: Login, scene: Scene) -> NewDevice:
    """Register a device through the administrators' API and return a phone logged in with its token.

    `delegation` is a demo delegation's code: the device joins its counterpart in the test's mission.
    """

    def make(name: str = "post-7-phone", delegation: str = "ru", **extra: object) -> tuple[Phone, dict[str, object]]:
        body = {"name": name, "delegation": scene.delegation(delegation), **extra}
        answer = client.post(f"{scene.api}/devices", json=body, headers=login("admin"))
        assert answer.status_code == 201, answer.text
        created = answer.json()
        return Phone(client, basic(str(created["username"]), str(created["token"])), scene.slug), created

    return make


@pytest.fixture
def phone(new_device: NewDevice) -> Phone:
    return new_device()[0]


@pytest.fixture
def person(client: TestClient, scene: Scene) -> Callable[[str], Phone]:
    """A phone logged in with a demo person's account, or its counterpart's (HTTP Basic)."""
    return lambda username: Phone(client, basic(account_of(scene, username), PASSWORD), scene.slug)
