"""Who may read and write patrols, tracks, restrictions and UAV flights: every role against every classification."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from patrol_support import flight_body, gpx, patrol_body, restriction_body, track_points
from support import ACCOUNTS, STAFF, Login

BASE = "/api/v1/missions/nk-2020"
CAN_READ = {
    "restricted": {"admin", "verifier-tr"},
    "mission": STAFF,
    "parties": STAFF | {"liaison-am", "liaison-az", "humanitarian-unhcr"},
    "public": set(ACCOUNTS),
}
# Each kind: its collection, and a body of a given classification.
KINDS: dict[str, tuple[str, Any]] = {
    "patrols": ("patrols", lambda c, r: patrol_body(classification=c, restricted_to=r)),
    "restrictions": (
        "restrictions",
        lambda c, r: restriction_body(
            {"type": "Point", "coordinates": [46.6, 39.62]}, classification=c, restricted_to=r
        ),
    ),
    "uav-flights": ("uav-flights", lambda c, r: flight_body(classification=c, restricted_to=r)),
}
WRITERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr"}


def make(client: TestClient, login: Login, kind: str, classification: str) -> int:
    path, body = KINDS[kind]
    restricted_to = ["tr"] if classification == "restricted" else []
    # Filed by the tr delegation, which may read all four anyway: a delegation always sees its own filings.
    answer = client.post(f"{BASE}/{path}", json=body(classification, restricted_to), headers=login("verifier-tr"))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


@pytest.fixture
def classified(client: TestClient, login: Login) -> dict[str, dict[str, int]]:
    return {kind: {c: make(client, login, kind, c) for c in CAN_READ} for kind in KINDS}


@pytest.mark.parametrize("account", ACCOUNTS)
def test_reading_by_classification(
    client: TestClient, login: Login, classified: dict[str, dict[str, int]], account: str
) -> None:
    for kind, ids in classified.items():
        listed = client.get(f"{BASE}/{kind}", headers=login(account))
        assert listed.status_code == 200, (kind, listed.text)
        seen = {f["id"] for f in listed.json()["features"]}
        for classification, record_id in ids.items():
            may = account in CAN_READ[classification]
            assert (record_id in seen) == may, (kind, classification)
            suffixes = {"patrols": ("", "/track", "/deviations"), "restrictions": ("", "/verifications")}
            for suffix in suffixes.get(kind, ("",)):
                answer = client.get(f"{BASE}/{kind}/{record_id}{suffix}", headers=login(account))
                assert answer.status_code == (200 if may else 404), (kind, classification, suffix, answer.text)


@pytest.mark.parametrize("account", ACCOUNTS)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_who_records(client: TestClient, login: Login, account: str, kind: str) -> None:
    path, body = KINDS[kind]
    answer = client.post(f"{BASE}/{path}", json=body("mission", []), headers=login(account))
    expected = 201 if account in WRITERS else 401 if account == "public" else 403
    assert answer.status_code == expected, answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_adds_a_track(client: TestClient, login: Login, account: str) -> None:
    patrol = make(client, login, "patrols", "parties")
    files = {"file": ("t.gpx", gpx(track_points(5.0)), "application/gpx+xml")}
    answer = client.post(f"{BASE}/patrols/{patrol}/track", files=files, headers=login(account))
    # Those who cannot read the patrol learn nothing of it; those who read it but may not write are refused.
    expected = 201 if account in WRITERS else 401 if account == "public" else 403
    assert answer.status_code == expected, answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_verifies_a_restriction(client: TestClient, login: Login, account: str) -> None:
    restriction = make(client, login, "restrictions", "parties")
    path = f"{BASE}/restrictions/{restriction}/verifications"
    answer = client.post(path, json={"verdict": "confirm"}, headers=login(account))
    # Verifiers only, of either guarantor delegation (the demo mission lets a delegation verify its own filing).
    expected = {"verifier-ru": 201, "verifier-tr": 201, "public": 401}.get(account, 403)
    assert answer.status_code == expected, answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_guessed_ids_are_not_found(client: TestClient, login: Login, account: str) -> None:
    for path in ("patrols/987654", "patrols/987654/track", "patrols/987654/deviations", "restrictions/987654",
                 "restrictions/987654/verifications", "uav-flights/987654"):  # fmt: skip
        assert client.get(f"{BASE}/{path}", headers=login(account)).status_code == 404, path
