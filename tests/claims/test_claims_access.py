"""Who may read, file and assess claims, and see them in the comparison: every demo account."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from support import ACCOUNTS, STAFF, Login
from truce.claims import service
from truce.claims.schemas import ClaimIn
from truce.missions import service as missions_service
from truce.policy import Actor

CAN_READ = {
    "restricted": {"admin", "liaison-am"},
    "mission": STAFF,
    "parties": STAFF | {"liaison-am", "liaison-az", "humanitarian-unhcr"},
    "public": set(ACCOUNTS),
}
CLAIMS = "/api/v1/missions/nk-2020/claims"
FILERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr", "liaison-am", "liaison-az"}
ASSESSORS = {"admin", "verifier-ru", "verifier-tr"}
# A return figure of a distinct size per classification, claimed by the `am` side for 5 December.
SIZES = {"restricted": 1, "mission": 10, "parties": 100, "public": 1000}


def expected(account: str, writers: set[str], success: int) -> int:
    return success if account in writers else 401 if account == "public" else 403


@pytest.fixture
def classified(session: Session) -> dict[str, int]:
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    found = {}
    for level, size in SIZES.items():
        data = ClaimIn(
            speaker="Spokesperson", affiliation="am", said_on=date(2020, 12, 5), source_title="Briefing",
            summary=f"A {level} claim.", numbers=[{"value": size, "counts": "returnees", "cumulative": False}],
            classification=level, restricted_to=["am"] if level == "restricted" else [],
        )  # fmt: skip
        found[level] = service.create(session, mission, data, actor=Actor.system(mission.id)).id
    session.commit()
    return found


@pytest.mark.parametrize("account", ACCOUNTS)
def test_reading_claims_by_classification(
    client: TestClient, login: Login, classified: dict[str, int], account: str
) -> None:
    listed = {c["id"] for c in client.get(CLAIMS, headers=login(account)).json()}
    for level, claim_id in classified.items():
        may = account in CAN_READ[level]
        assert (claim_id in listed) == may, level
        assert client.get(f"{CLAIMS}/{claim_id}", headers=login(account)).status_code == (200 if may else 404)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_the_comparison_holds_only_readable_claims(
    client: TestClient, login: Login, classified: dict[str, int], account: str
) -> None:
    window = {"party": "am", "since": "2020-12-05", "until": "2020-12-05"}
    [day] = client.get(f"{CLAIMS}/comparison", params=window, headers=login(account)).json()["days"]
    shown = {c["value"] for c in day["claimed"]}
    assert shown == {size for level, size in SIZES.items() if account in CAN_READ[level]}


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_files_claims(client: TestClient, login: Login, account: str) -> None:
    body = {"speaker": "Spokesperson", "affiliation": "az", "said_on": "2020-11-24", "source_title": "Briefing",
            "summary": "Says the road is open."}  # fmt: skip
    answer = client.post(CLAIMS, json=body, headers=login(account))
    assert answer.status_code == expected(account, FILERS, 201), answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_assesses_claims(client: TestClient, login: Login, classified: dict[str, int], account: str) -> None:
    body = {"status": "corroborated", "note": "Seen at the checkpoint.", "evidence": ["ef" * 32]}
    answer = client.post(f"{CLAIMS}/{classified['public']}/assessments", json=body, headers=login(account))
    assert answer.status_code == expected(account, ASSESSORS, 200), answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_guessed_claim_ids_are_not_found(client: TestClient, login: Login, account: str) -> None:
    assert client.get(f"{CLAIMS}/987654", headers=login(account)).status_code == 404
    body = {"status": "corroborated", "note": "x", "evidence": ["ef" * 32]}
    answer = client.post(f"{CLAIMS}/987654/assessments", json=body, headers=login(account))
    # A write without a login is refused before its body is read, the same for every id (docs/limits.md).
    assert answer.status_code == (401 if account == "public" else 404)
