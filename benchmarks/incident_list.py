"""The incident list page at 1,000,000 incidents: GET /m/{slug}/incidents through the whole web stack.

What it measures (issue 5): the latency of the incident list page (session cookie, CSRF-free GET,
policy, the incidents service's query, Jinja2 rendering of 50 rows and the pager) for a logged-in
monitor, over N incidents (default 1,000,000) bulk-inserted with Core executemany into a temporary
SQLite database, with the data generator of benchmarks/incidents_map_query.py (uniform over 3 x 2
degrees and two months; statuses drawn at random). Each scenario is one URL, asked REPEAT times
after a warm-up; p50 and p99 are printed.

Baseline: the page's own SELECT (the service's statement with LIMIT 51, as the page emits it) run
through the DB-API cursor, i.e. the floor the database sets; the ratio shows what HTTP, policy and
the template add. Target: p50 <= 200 ms for every scenario.

    .venv/bin/python benchmarks/incident_list.py [--n 1000000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import html
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from incidents_map_query import SEED, bulk_insert, create_mission, sqlite_database
from truce import schema
from truce.app import create_app
from truce.config import Settings
from truce.db import Database
from truce.incidents.taxonomy import STATUSES
from truce.policy import Actor
from truce.users import service as users_service
from truce.web import sessions

TARGET_MS = 200.0
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
SCENARIOS = {
    "newest first (default)": "",
    "page 20 (offset link)": "?page=20",
    "page 50 (Next links)": "?page=50&follow=1",
    "status=confirmed": "?status=confirmed",
    "type=air, 7 days": "?type=air&since=2020-12-01&until=2020-12-07",
    "status=disputed, page 50": "?status=disputed&page=50&follow=1",
    "filing order, oldest": "?sort=id&dir=asc",
    "when, oldest first": "?sort=start&dir=asc",
}


def with_random_statuses(rows: Iterator[dict[str, Any]], rng: random.Random) -> Iterator[dict[str, Any]]:
    for row in rows:
        row["status"] = rng.choice(STATUSES)
        yield row


def load(db: Database, n: int) -> tuple[str, str]:
    """The mission and its incidents; a monitor's session token."""
    schema.upgrade(db.engine)
    mission = create_mission(db)
    import incidents_map_query

    original = incidents_map_query.incident_rows
    rng = random.Random(SEED)
    incidents_map_query.incident_rows = lambda *a: with_random_statuses(original(*a), rng)  # type: ignore[assignment]
    try:
        rate = bulk_insert(db, mission.id, n, random.Random(SEED))
    finally:
        incidents_map_query.incident_rows = original
    print(f"inserted {n:,} incidents at {rate:,.0f} rows/s")
    with db.session() as session:
        user = users_service.create(
            session, "bench-monitor", "bench-password", mission=mission, role="monitor",
            delegation_code="obs", actor=Actor.system(mission.id),
        )  # fmt: skip
        session.flush()
        token = sessions.start(session, user, hours=2)
    return mission.slug, token


def resolve(client: TestClient, path: str, query: str) -> str:
    """The URL itself, or (`follow=1`) the page reached by following Next links from the first, as a reader would."""
    if "follow=1" not in query:
        return path + query
    target = int(query.split("page=")[1].split("&")[0])
    url = path + query.split("page=")[0].rstrip("&?").replace("?", "?", 1)
    url = url if "?" in url else path
    for _ in range(target - 1):
        found = NEXT.search(client.get(url).text)
        assert found, "no Next link"
        url = path + html.unescape(found.group(1))
    return url


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    for _ in range(3):
        call()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def _fetch(cursor: Any, statement: str, parameters: Any) -> list[Any]:
    return list(cursor.execute(statement, parameters).fetchall())


def pct(seconds: list[float], p: int) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[p - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        db = sqlite_database(Path(directory))
        slug, token = load(db, args.n)
        app = create_app(Settings(data_dir=Path(directory), secret_key="bench-" + "x" * 40), db)
        captured: list[tuple[str, Any]] = []

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
            if "FROM incidents" in statement and "LIMIT" in statement:
                captured.append((statement, parameters))

        header = f"{'scenario':<26} {'page p50':>9} {'page p99':>9} {'SQL p50':>8} {'ratio':>6}"
        print(f"{header}  target p50 <= {TARGET_MS:.0f} ms")
        missed = []
        # On every engine: on SQLite the pages read through the readers' own.
        with db.listening("before_cursor_execute", capture), TestClient(app) as client:
            client.cookies.set(sessions.COOKIE, token)
            for name, query in SCENARIOS.items():
                url = resolve(client, f"/m/{slug}/incidents", query)
                captured.clear()
                first = client.get(url)
                assert first.status_code == 200, first.text[:300]
                statement, parameters = captured[-1]
                page = timed(lambda url=url: client.get(url), args.repeat)
                raw = db.engine.raw_connection()
                try:
                    cursor = raw.cursor()
                    floor = timed(partial(_fetch, cursor, statement, parameters), args.repeat)
                finally:
                    raw.close()
                p50 = pct(page, 50)
                if p50 > TARGET_MS:
                    missed.append(name)
                ratio = p50 / max(pct(floor, 50), 0.01)
                print(f"{name:<26} {p50:>7.1f}ms {pct(page, 99):>7.1f}ms {pct(floor, 50):>6.1f}ms {ratio:>5.1f}x")
        db.dispose()
    print("target met for every scenario" if not missed else f"target MISSED for: {', '.join(missed)}")


if __name__ == "__main__":
    main()
