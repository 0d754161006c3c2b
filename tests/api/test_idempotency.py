"""POST with an Idempotency-Key: a repeat answers the original record, the key with another request 422.

Covers DESIGN.md section 5 ("POST of any record with header Idempotency-Key") on both backends.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select, update

from mission_examples import DEMO_DAY, Scene
from support import Login, point_feature
from truce.db import Database, utcnow
from truce.evidence.models import Evidence
from truce.idempotency import store
from truce.idempotency.models import IdempotencyKey
from truce.incidents.models import Incident

KEY = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


def incidents_url(scene: Scene) -> str:
    return f"{scene.api}/incidents"


def body(scene: Scene, narrative: str = "two rounds, north-east", **extra: Any) -> dict[str, Any]:
    start = scene.moment(14, 30, day=scene.shifted(DEMO_DAY - timedelta(days=1)))
    properties = {"type": "explosion", "subtype": "mortar", "start": start, "source": "post",
                  "narrative": narrative, **extra}  # fmt: skip
    return point_feature(*scene.point, **properties)


def post(
    client: TestClient, login: Login, scene: Scene, data: dict[str, Any], key: str = KEY, user: str = "monitor-ru"
) -> Any:
    return client.post(incidents_url(scene), json=data, headers={**login(user), "Idempotency-Key": key})


def incidents(db: Database, narrative: str) -> int:
    with db.session(write=False) as session:
        return int(session.scalar(select(func.count()).where(Incident.narrative == narrative)) or 0)


def test_a_repeat_answers_the_original_record_and_stores_nothing_more(
    client: TestClient, login: Login, scene: Scene, db: Database
) -> None:
    first = post(client, login, scene, body(scene, "repeat me"))
    assert first.status_code == 201, first.text
    assert "x-received-at" in first.headers
    again = post(client, login, scene, body(scene, "repeat me"))
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert incidents(db, "repeat me") == 1


def test_the_same_key_with_another_body_is_refused_and_the_first_kept(
    client: TestClient, login: Login, scene: Scene, db: Database
) -> None:
    assert post(client, login, scene, body(scene, "the first")).status_code == 201
    other = post(client, login, scene, body(scene, "another"))
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert "already used" in other.json()["detail"]
    assert incidents(db, "the first") == 1
    assert incidents(db, "another") == 0


def test_the_same_key_at_another_address_is_refused(client: TestClient, login: Login, scene: Scene) -> None:
    assert post(client, login, scene, body(scene, "here")).status_code == 201
    elsewhere = client.post(incidents_url(scene) + "/batch", json={"features": [body(scene, "here")]},
                            headers={**login("monitor-ru"), "Idempotency-Key": KEY})  # fmt: skip
    assert elsewhere.status_code == 422


def test_keys_are_each_senders_own(client: TestClient, login: Login, scene: Scene, db: Database) -> None:
    assert post(client, login, scene, body(scene, "ours")).status_code == 201
    theirs = post(client, login, scene, body(scene, "ours"), user="verifier-ru")
    assert theirs.status_code == 201
    assert theirs.headers.get("idempotent-replayed") is None
    assert incidents(db, "ours") == 2


def test_a_refused_record_keeps_no_key_so_it_can_be_corrected_and_sent_again(
    client: TestClient, login: Login, scene: Scene, db: Database
) -> None:
    wrong = post(client, login, scene, body(scene, "fixed later", subtype="no-such-subtype"))
    assert wrong.status_code == 422
    fixed = post(client, login, scene, body(scene, "fixed later"))
    assert fixed.status_code == 201, fixed.text
    assert incidents(db, "fixed later") == 1


def test_a_refused_caller_is_refused_the_same_way_with_a_key(
    client: TestClient, login: Login, scene: Scene, db: Database
) -> None:
    # An analyst may not file; the key does not change the answer, and keeps nothing.
    refused = post(client, login, scene, body(scene, "not mine"), user="analyst-ru")
    assert refused.status_code == 403
    assert post(client, login, scene, body(scene, "not mine"), user="analyst-ru").status_code == 403
    with db.session(write=False) as session:
        assert session.get(IdempotencyKey, (_principal(session, scene, "analyst-ru"), KEY)) is None


def test_a_malformed_key_is_refused_before_anything_is_read(client: TestClient, login: Login, scene: Scene) -> None:
    for key in ("", "has space", "x" * 201):
        answer = post(client, login, scene, body(scene, "bad key"), key=key)
        assert answer.status_code == 400, key
        assert "Idempotency-Key" in answer.json()["detail"]


def test_without_credentials_the_gate_answers_first(client: TestClient, scene: Scene) -> None:
    answer = client.post(incidents_url(scene), json=body(scene), headers={"Idempotency-Key": KEY})
    assert answer.status_code == 401


def test_the_device_time_and_the_receipt_time_are_kept(
    client: TestClient, login: Login, scene: Scene, db: Database
) -> None:
    headers = {**login("monitor-ru"), "Idempotency-Key": KEY, "X-Device-Time": "2026-01-02T03:04:05Z"}
    assert client.post(incidents_url(scene), json=body(scene, "timed"), headers=headers).status_code == 201
    with db.session(write=False) as session:
        row = session.get(IdempotencyKey, (_principal(session, scene, "monitor-ru"), KEY))
        assert row is not None
        assert row.device_time is not None
        assert row.device_time.isoformat() == "2026-01-02T03:04:05+00:00"
        assert abs((utcnow() - row.received_at).total_seconds()) < 60


def test_keys_older_than_the_retention_period_are_forgotten(
    client: TestClient, login: Login, scene: Scene, db: Database
) -> None:
    assert post(client, login, scene, body(scene, "old"), key="old-key").status_code == 201
    with db.session(write=True) as session:
        old = utcnow() - timedelta(days=store.RETENTION_DAYS + 1)
        session.execute(update(IdempotencyKey).where(IdempotencyKey.key == "old-key").values(received_at=old))
    assert post(client, login, scene, body(scene, "new"), key="new-key").status_code == 201
    with db.session(write=False) as session:
        assert session.scalar(select(func.count()).where(IdempotencyKey.key == "old-key")) == 0


def test_a_long_answer_is_kept_as_its_status_alone(
    client: TestClient, login: Login, scene: Scene, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A created incident's answer is about 1 KB: lower the bound under it rather than build a huge record.
    monkeypatch.setattr(store, "MAX_ANSWER_BYTES", 200)
    long = "a long record"
    first = post(client, login, scene, body(scene, long))
    assert len(first.content) > 200
    assert first.status_code == 201, first.text[:300]
    again = post(client, login, scene, body(scene, long))
    assert again.status_code == 201
    assert "too long to keep" in again.json()["detail"]
    assert incidents(db, long) == 1


def _photo(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(out, "PNG")
    return out.getvalue()


def test_an_upload_repeated_with_another_multipart_boundary_is_the_same_request(
    client: TestClient, login: Login, scene: Scene, db: Database
) -> None:
    created = post(client, login, scene, body(scene, "with photo"))
    url = f"{incidents_url(scene)}/{created.json()['id']}/evidence"
    headers = {**login("monitor-ru"), "Idempotency-Key": "photo-1"}
    data = _photo((10, 20, 30))
    # The test client draws a new random boundary for each request.
    first = client.post(url, files={"file": ("a.png", data)}, headers=headers)
    again = client.post(url, files={"file": ("a.png", data)}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    other = client.post(url, files={"file": ("a.png", _photo((1, 2, 3)))}, headers=headers)
    assert other.status_code == 422
    with db.session(write=False) as session:
        assert session.scalar(select(func.count()).where(Evidence.incident_id == created.json()["id"])) == 1


def _principal(session: Any, scene: Scene, username: str) -> str:
    from truce.users import service as users_service

    user = users_service.get_by_name(session, scene.account(username))
    assert user is not None
    return f"user:{user.id}"


def test_a_file_that_arrives_with_another_hash_than_the_devices_is_refused(
    client: TestClient, login: Login, scene: Scene, db: Database
) -> None:
    created = post(client, login, scene, body(scene, "hash checked"))
    url = f"{incidents_url(scene)}/{created.json()['id']}/evidence"
    data = _photo((40, 50, 60))
    wrong = client.post(url, files={"file": ("a.png", data)}, data={"sha256": "0" * 64}, headers=login("monitor-ru"))
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "sha256"
    digest = hashlib.sha256(data).hexdigest()
    right = client.post(url, files={"file": ("a.png", data)}, data={"sha256": digest}, headers=login("monitor-ru"))
    assert right.status_code == 201, right.text
    with db.session(write=False) as session:
        assert session.scalar(select(func.count()).where(Evidence.incident_id == created.json()["id"])) == 1


def test_a_key_names_its_record_in_the_record_s_transaction(
    client: TestClient, login: Login, scene: Scene, db: Database
) -> None:
    made = post(client, login, scene, body(scene, "named"))
    assert made.status_code == 201
    with db.session(write=False) as session:
        row = session.scalars(select(IdempotencyKey).where(IdempotencyKey.key == KEY)).one()
        assert (row.record_type, row.record_id) == ("incidents", str(made.json()["id"]))
        assert row.committed_at is not None
        assert row.committed_at >= row.received_at


def test_an_answer_lost_after_the_commit_is_found_again_from_the_record(
    client: TestClient, login: Login, scene: Scene, db: Database
) -> None:
    # The state a server leaves when it dies between the commit and keeping the answer (a real process is
    # killed there in tests/deploy/test_idempotency_processes.py).
    made = post(client, login, scene, body(scene, "answer lost"))
    assert made.status_code == 201
    lost = update(IdempotencyKey).where(IdempotencyKey.key == KEY)
    with db.session() as session:
        session.execute(lost.values(status=None, media_type=None, answer=None, committed_at=utcnow()))
    # The key is visible, so the record's transaction committed: the retry gets the record at once.
    later = post(client, login, scene, body(scene, "answer lost"))
    assert later.status_code == 200, later.text
    assert later.headers["idempotent-replayed"] == "true"
    assert later.json()["id"] == made.json()["id"]
    assert later.json()["properties"]["narrative"] == "answer lost"
    assert post(client, login, scene, body(scene, "answer lost")).content == later.content
    assert post(client, login, scene, body(scene, "something else")).status_code == 422
    assert incidents(db, "answer lost") == 1
