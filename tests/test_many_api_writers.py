"""Issue S, part 1 follow-up: sixty API clients writing at once against a real `truce serve`, on both backends.

Before the fix, on SQLite, each writer waiting for the writer lock held a worker thread and a pooled connection
while it waited; together they took every thread, the request holding the lock could not get one to commit, and
the server stalled for the pool's 30-second timeout, ending in 500s. Writers now wait for their turn on the event
loop, before they take a thread or a connection; a request that cannot get one in time hears 503 with Retry-After.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx2 as httpx

from openrosa.test_phones_and_api_at_once import (
    INCIDENTS,
    REQUEST_TIMEOUT_S,
    Outcomes,
    Server,
    counts,
    health_poller,
    server,
    shelling,
    until,
)

__all__ = ["server"]  # the fixture, used by name

DURATION_S = 10  # sixty writers meet in the first second; a stall holds requests for 30 s, past SLOWEST_S
WRITERS = 60
SLOWEST_S = 10.0  # generous for a loaded machine; the stall held requests for the pool's 30-second timeout


def tokens(server: Server, count: int) -> list[str]:
    """`count` bearer tokens for the demo's monitor, from POST /api/v1/auth/token with the right password."""
    with httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT_S) as client:
        found = []
        for _ in range(count):
            login = client.post("/api/v1/auth/token", data={"username": "monitor-ru", "password": "truce-demo"})
            assert login.status_code == 200, login.text
            found.append(login.json()["access_token"])
        return found


def writer(server: Server, token: str, deadline: float, outcomes: Outcomes, start: threading.Barrier) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=REQUEST_TIMEOUT_S) as client:

        def send() -> httpx.Response:
            answer = client.post(INCIDENTS, json=shelling())
            if answer.status_code == 503:
                with outcomes.lock:
                    outcomes.statuses.setdefault("retry-after", []).append(int(answer.headers.get("Retry-After", 0)))
            return answer

        start.wait()
        until(deadline, outcomes, "api", send)


def test_sixty_api_writers_at_once_never_stall_the_server(server: Server, tmp_path: Path) -> None:
    before = counts(server.database_url)
    bearer = tokens(server, WRITERS)
    outcomes = Outcomes()
    start = threading.Barrier(WRITERS + 1)
    deadline = time.monotonic() + DURATION_S
    threads = [threading.Thread(target=writer, args=(server, token, deadline, outcomes, start)) for token in bearer]
    threads.append(threading.Thread(target=lambda: (start.wait(), health_poller(server, deadline, outcomes))))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log = server.log.read_text(errors="replace")[-3000:]

    api = outcomes.statuses.get("api", [])
    summary = {status: api.count(status) for status in sorted(set(api))}
    print(f"api answers by status: {summary}; slowest s: {outcomes.slowest}; failures: {len(outcomes.failures)}")
    assert outcomes.failures == [], (outcomes.failures[:5], log)
    # Nothing but 201, or 503 with Retry-After (a writer that could not get its turn in time; nothing stored).
    assert set(api) <= {201, 503}, (summary, log)
    assert all(seconds > 0 for seconds in outcomes.statuses.get("retry-after", [])), outcomes.statuses
    assert outcomes.created("api") >= DURATION_S, summary  # a few a second even on a loaded machine
    assert outcomes.slowest["api"] < SLOWEST_S, (outcomes.slowest, log)
    # The server answers everyone else throughout.
    assert set(outcomes.statuses.get("healthz", [])) == {200}, (outcomes.statuses.get("healthz"), log)
    assert outcomes.slowest["healthz"] < SLOWEST_S, (outcomes.slowest, log)
    # Every answer 201 is a stored incident.
    after = counts(server.database_url)
    assert after["Incident"] - before["Incident"] == outcomes.created("api")
