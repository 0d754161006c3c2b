"""Deliveries with real processes on both backends: a loopback receiver failing three times, then succeeding;
`truce worker` in a process of its own, killed with SIGKILL mid-delivery and the job run again by another."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from events.processes import (
    api_client,
    database_url,
    demo_data_dir,
    received,
    receiver,
    start_worker,
    stop,
    token,
    wait_until,
)
from support import free_port, point_feature

MISSION = "/api/v1/missions/nk-2020"


@pytest.fixture
def data_dir(backend: str, tmp_path: Path) -> Path:
    """A data directory of the test's own; its database (SQLite inside it, or PostGIS) holds the demo."""
    return demo_data_dir(backend, tmp_path, "events")


def worker_env(data_dir: Path) -> dict[str, str]:
    return {"TRUCE_DATABASE_URL": database_url(data_dir)}


@pytest.fixture
def api(data_dir: Path) -> Iterator[TestClient]:
    with api_client(data_dir) as client:
        yield client


def subscribe(api: TestClient, username: str, url: str, **filters: Any) -> dict[str, Any]:
    answer = api.post(f"{MISSION}/webhooks", json={"url": url, **filters}, headers=token(api, username))
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    assert created["secret"].startswith("whsec_")
    return created


def file_incident(api: TestClient, username: str = "monitor-ru", **extra: Any) -> dict[str, Any]:
    properties = {
        "type": "explosion", "subtype": "mortar", "start": "2020-11-20T14:30:00+04:00", "source": "post",
        "means": "seen_and_heard", "narrative": "Four impacts observed north-east of the post.", **extra,
    }  # fmt: skip
    answer = api.post(
        f"{MISSION}/incidents", json=point_feature(46.80, 39.90, **properties), headers=token(api, username)
    )
    assert answer.status_code == 201, answer.text
    filed: dict[str, Any] = answer.json()
    return filed


def deliveries(api: TestClient, username: str, webhook_id: int) -> list[dict[str, Any]]:
    answer = api.get(f"{MISSION}/webhooks/{webhook_id}/deliveries", headers=token(api, username))
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def test_three_failures_then_one_delivery_with_one_id_and_the_same_bytes(
    api: TestClient, data_dir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "received.jsonl"
    # The secret is known only once the subscription exists: subscribe first, then start the receiver at the URL.
    port = free_port()
    hook = subscribe(api, "verifier-ru", f"http://127.0.0.1:{port}/hook", kinds=["incident.*"])
    incident = file_incident(api)
    with receiver(log, hook["secret"], "fail-first", "3", port=port):
        worker = start_worker(data_dir, tmp_path / "worker.txt", worker_env(data_dir))
        try:
            wait_until(lambda: received(log), message="the first attempt")
            # An edit between attempts: a new entry, so a new event; the first event's body does not change.
            answer = api.post(
                f"{MISSION}/incidents/{incident['id']}/verifications",
                json={"verdict": "confirm", "note": "seen from the post"},
                headers=token(api, "verifier-ru"),
            )
            assert answer.status_code == 201, answer.text
            events = wait_until(
                lambda: (
                    (found := deliveries(api, "verifier-ru", hook["id"]))
                    and len(found) >= 2
                    and all(e["state"] == "delivered" for e in found)
                    and found
                ),
                message="every event delivered",
            )
        finally:
            errors = stop(worker)
    assert "Traceback" not in errors, errors
    requests = received(log)
    first = events[-1]  # newest first: the filing is the oldest
    mine = [r for r in requests if r["id"] == first["message_id"]]
    assert len(mine) == 4, requests
    assert [r["n"] for r in mine] == [1, 2, 3, 4]
    assert all(r["verified"] == [True] for r in requests)
    assert len({r["body"] for r in mine}) == 1, "every attempt sends the same bytes"
    assert first["attempts"] == 4
    assert [a["outcome"] for a in first["attempt_log"]] == ["failed", "failed", "failed", "delivered"]
    assert [a["status_code"] for a in first["attempt_log"]] == [500, 500, 500, 204]
    # The body carries the entry: its leaf hash is SHA-256(0x00 || entry) and its index is the log's.
    body = json.loads(mine[0]["body"])
    entry = body["data"]["entry"]
    assert hashlib.sha256(b"\x00" + entry.encode()).hexdigest() == body["data"]["leaf_hash"]
    assert f"msg_log{body['data']['log_index']}_sub{hook['id']}" == first["message_id"]
    assert json.loads(entry)["entity"]["narrative"].startswith("Four impacts")
    # The edit made other events with other ids, each delivered once it succeeded; none changed the first.
    later = [e for e in events if e["message_id"] != first["message_id"]]
    assert later
    assert all(e["log_index"] > first["log_index"] for e in later)
    assert {r["id"] for r in requests} == {e["message_id"] for e in events}


def test_a_worker_killed_mid_delivery_leaves_the_job_to_another(
    api: TestClient, data_dir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "received.jsonl"
    port = free_port()
    hook = subscribe(api, "verifier-ru", f"http://127.0.0.1:{port}/hook", kinds=["incident.create"])
    # A short lease: a worker silent for 2 s has died, and its job goes back to the queue.
    lease = {**worker_env(data_dir), "TRUCE_WEBHOOK_HEARTBEAT_S": "0.5", "TRUCE_WEBHOOK_STALLED_S": "2"}
    with receiver(log, hook["secret"], "hang-first", "5", port=port):
        first = start_worker(data_dir, tmp_path / "first.txt", lease)
        try:
            file_incident(api)
            wait_until(lambda: received(log), message="the first worker's request")
            first.process.kill()  # SIGKILL: no clean-up, the job stays claimed by a dead worker
            first.process.wait(10)
        finally:
            stop(first)
        second = start_worker(data_dir, tmp_path / "second.txt", lease)
        try:
            events = wait_until(
                lambda: (
                    (found := deliveries(api, "verifier-ru", hook["id"])) and found[0]["state"] == "delivered" and found
                ),
                message="the second worker's delivery",
            )
        finally:
            output = stop(second)
    assert "Traceback" not in output, output
    requests = received(log)
    assert len(events) == 1
    assert [r["id"] for r in requests] == [events[0]["message_id"]] * 2
    assert requests[0]["body"] == requests[1]["body"]
    # Its effect happened once: one attempt recorded, by the worker that lived; the receiver saw one id.
    assert events[0]["attempts"] == 1
    assert [a["outcome"] for a in events[0]["attempt_log"]] == ["delivered"]


def test_bad_receivers_hold_up_neither_good_ones_nor_the_workers_memory(
    api: TestClient, data_dir: Path, tmp_path: Path
) -> None:
    behaviours = {
        "slow": ("slow", "60"),
        "failing": ("fail-first", "1000000"),
        "redirect": ("redirect", "http://127.0.0.2:9/elsewhere"),
        "huge": ("huge", ""),
        "good": ("ok", ""),
    }
    ports = {name: free_port() for name in behaviours}
    hooks = {
        name: subscribe(api, "verifier-ru", f"http://127.0.0.1:{ports[name]}/hook", kinds=["incident.create"])
        for name in behaviours
    }
    env = {**worker_env(data_dir), "TRUCE_WEBHOOK_TIMEOUT_S": "20", "TRUCE_WEBHOOK_BACKOFF_S": "0.5"}
    with ExitStack() as receivers:
        for name, (behaviour, arg) in behaviours.items():
            log = tmp_path / f"{name}.jsonl"
            receivers.enter_context(receiver(log, str(hooks[name]["secret"]), behaviour, arg, port=ports[name]))
        for _ in range(4):
            file_incident(api)
        worker = start_worker(data_dir, tmp_path / "worker.txt", env)
        try:
            good = wait_until(
                lambda: (
                    (found := deliveries(api, "verifier-ru", hooks["good"]["id"]))
                    and all(e["state"] == "delivered" for e in found)
                    and found
                ),
                message="the good receiver's deliveries",
            )
            # Every good delivery is done while the slow receiver still holds its first attempts (20 s each).
            slow = deliveries(api, "verifier-ru", hooks["slow"]["id"])
            huge = wait_until(
                lambda: (
                    (found := deliveries(api, "verifier-ru", hooks["huge"]["id"])) and found[0]["attempts"] and found
                ),
                message="an attempt at the receiver with the endless body",
            )
            redirect = wait_until(
                lambda: (
                    (found := deliveries(api, "verifier-ru", hooks["redirect"]["id"]))
                    and found[0]["attempts"]
                    and found
                ),
                message="an attempt at the redirecting receiver",
            )
            failing = wait_until(
                lambda: (
                    (found := deliveries(api, "verifier-ru", hooks["failing"]["id"]))
                    and found[0]["attempts"] >= 2
                    and found
                ),
                message="retries at the failing receiver",
            )
            rss_mb = resident_mb(worker.process.pid)
        finally:
            # The receivers go first: the slow one's held requests then fail at once, where a worker asked to stop
            # would wait out their 20-second timeout (it finishes the POSTs in flight).
            receivers.close()
            output = stop(worker)
    assert "Traceback" not in output, output
    assert len(good) == 4
    assert all(e["attempts"] == 0 for e in slow), slow
    assert huge[0]["attempt_log"][0]["status_code"] == 200
    assert huge[0]["state"] == "delivered"
    assert redirect[0]["state"] == "pending"
    assert "redirect not followed" in redirect[0]["attempt_log"][0]["error"]
    assert received(tmp_path / "redirect.jsonl"), "the redirect was answered by the subscribed receiver only"
    assert {a["status_code"] for a in failing[0]["attempt_log"]} == {500}
    # The 1 GB body was never read whole: the worker stays far below it.
    assert rss_mb < 300, rss_mb


def resident_mb(pid: int) -> float:
    """A process's resident memory, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")
