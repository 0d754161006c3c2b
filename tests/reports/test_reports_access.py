"""Who may list, read, download and publish reports through the API: every demo account, and a guessed id."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from reports.conftest import DAY
from support import ACCOUNTS, STAFF, Login
from truce.missions.models import Mission
from truce.policy import Actor
from truce.reports import service

BASE = "/api/v1/missions/nk-2020"


@pytest.fixture
def stored(session: Session, mission: Mission, member: Callable[[str], Actor]) -> dict[str, int]:
    daily = service.create_daily(session, mission, DAY, "html", actor=Actor.system(mission.id))
    bulletin = service.publish_bulletin(session, mission, DAY, actor=member("verifier-tr"))
    session.commit()
    return {"daily": daily.id, "bulletin": bulletin.id}


# One stored pair of reports serves the whole matrix: generating them is the slow part.
def test_list_and_download_matrix(client: TestClient, login: Login, stored: dict[str, int]) -> None:
    for account in ACCOUNTS:
        listed = client.get(f"{BASE}/reports", headers=login(account))
        assert listed.status_code == 200, listed.text
        ids = {r["id"] for r in listed.json()}
        assert stored["bulletin"] in ids, account
        assert (stored["daily"] in ids) == (account in STAFF), account
        for kind, report_id in stored.items():
            may = kind == "bulletin" or account in STAFF
            meta = client.get(f"{BASE}/reports/{report_id}", headers=login(account))
            content = client.get(f"{BASE}/reports/{report_id}/content", headers=login(account))
            assert (meta.status_code, content.status_code) == ((200, 200) if may else (404, 404)), (account, kind)
            if may:
                digest = hashlib.sha256(content.content).hexdigest()
                assert digest == meta.json()["sha256"] == content.headers["x-content-sha256"]
                assert content.headers["content-type"].startswith("text/html")
                assert f"-{DAY.isoformat()}.html" in content.headers["content-disposition"]


@pytest.mark.parametrize("account", ACCOUNTS)
def test_only_verifiers_publish_bulletins(client: TestClient, login: Login, account: str) -> None:
    answer = client.post(f"{BASE}/bulletins", json={"date": "2020-11-21"}, headers=login(account))
    expected = {"verifier-ru": 201, "verifier-tr": 201, "public": 401}.get(account, 403)
    assert answer.status_code == expected, answer.text
    if expected == 201:
        assert answer.json()["kind"] == "bulletin"
        assert answer.json()["log_size"] > 0


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        ({"date": "2020-11-01"}, "before mission nk-2020 began on 2020-11-10"),
        ({"date": "2150-01-01"}, "is in the future"),
        ({"date": "21/11/2020"}, "date"),
        ({"date": "2020-11-21", "format": "pdf"}, "format"),
    ],
)
def test_bad_bulletin_requests_store_nothing(
    client: TestClient, login: Login, body: dict[str, str], phrase: str
) -> None:
    headers = login("verifier-ru")
    before = client.get(f"{BASE}/reports", headers=headers).json()
    answer = client.post(f"{BASE}/bulletins", json=body, headers=headers)
    assert answer.status_code in (400, 422), answer.text
    assert phrase in answer.json()["detail"]
    assert client.get(f"{BASE}/reports", headers=headers).json() == before


def test_guessed_ids_and_other_missions_answer_404(client: TestClient, login: Login, stored: dict[str, int]) -> None:
    headers = login("analyst-ru")
    assert client.get(f"{BASE}/reports/{max(stored.values()) + 1000}", headers=headers).status_code == 404
    assert client.get("/api/v1/missions/no-such-mission/reports", headers=headers).status_code == 404
