"""Numbers are numbers: counts have a person's bounds, and ids beyond BIGINT answer 404 or 422, never 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import Login, point_feature
from truce.api import problems
from truce.ledger.models import LogEntry
from truce.numbers import ID_MAX, MAX_EVENTS, MAX_PEOPLE, MAX_PERSONNEL, MAX_STATED

# Beyond BIGINT, far beyond it, and below anything valid (0 is a valid offset or log index, never an id; ids
# stop at INTEGER's 2**31 - 1, the type of their columns).
HUGE = [2**63, 10**30, -1]
ID_HUGE = [*HUGE, 0, ID_MAX + 1]


def entries(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(LogEntry)) or 0)


def incident(scene: Scene, **properties: Any) -> dict[str, Any]:
    """Mortar fire near the scene's point, the day before its day (the demo's 20 November 2020)."""
    return point_feature(
        *scene.at(46.75, 39.85), type="explosion", subtype="mortar", source="post",
        start=scene.moment(10, 15, day=scene.shifted(date(2020, 11, 20))), **properties,
    )  # fmt: skip


def movement(scene: Scene, **counts: Any) -> dict[str, Any]:
    return {"site_id": 1, "direction": "in", "kind": "return", "on_date": scene.day.isoformat(), "individuals": 1,
            **counts}  # fmt: skip


def claim(scene: Scene, value: int) -> dict[str, Any]:
    return {
        "speaker": "A minister", "affiliation": scene.delegation("az"), "said_on": scene.day.isoformat(),
        "source_title": "TV", "summary": "Many returned.", "numbers": [{"value": value, "counts": "returnees"}],
    }  # fmt: skip


def deployment(scene: Scene, personnel: int) -> dict[str, Any]:
    return {"on_date": scene.shifted(date(2020, 12, 1)).isoformat(), "personnel": personnel}


# (path, body in the scene's mission, the field the 422 names, account)
TOO_BIG: list[tuple[str, Callable[[Scene], dict[str, Any]], str, str]] = [
    ("incidents", lambda s: incident(s, counts={"events": 10**30}), "properties.counts.events", "monitor-ru"),
    ("incidents", lambda s: incident(s, counts={"impacts": MAX_EVENTS + 1}), "properties.counts.impacts",
     "monitor-ru"),
    ("incidents", lambda s: incident(s, casualties={"killed": {"civilian": 10**30}}),
     "properties.casualties.killed.civilian", "monitor-ru"),
    ("incidents", lambda s: incident(s, observer_site=2**63, bearing_deg=10, distance_km=1),
     "properties.observer_site", "monitor-ru"),
    ("movements", lambda s: movement(s, individuals=10**30), "individuals", "humanitarian-unhcr"),
    ("movements", lambda s: movement(s, individuals=MAX_PEOPLE + 1), "individuals", "humanitarian-unhcr"),
    ("movements", lambda s: movement(s, site_id=2**63), "site_id", "humanitarian-unhcr"),
    ("deployments", lambda s: deployment(s, 10**30), "personnel", "admin"),
    ("deployments", lambda s: deployment(s, MAX_PERSONNEL + 1), "personnel", "admin"),
    ("claims", lambda s: claim(s, 10**30), "numbers.0.value", "liaison-az"),
    ("claims", lambda s: claim(s, MAX_STATED + 1), "numbers.0.value", "liaison-az"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body", "field", "account"), TOO_BIG)
def test_a_number_beyond_its_bound_is_a_422_naming_the_field(
    client: TestClient, login: Login, session: Session, scene: Scene, path: str,
    body: Callable[[Scene], dict[str, Any]], field: str, account: str,
) -> None:  # fmt: skip
    before = entries(session)
    answer = client.post(f"{scene.api}/{path}", json=body(scene), headers=login(account))
    assert answer.status_code == 422, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
    assert entries(session) == before


def test_a_count_at_its_bound_comes_back_exactly(client: TestClient, login: Login, scene: Scene) -> None:
    created = client.post(
        f"{scene.api}/incidents", json=incident(scene, counts={"events": MAX_EVENTS}), headers=login("monitor-ru")
    )
    assert created.status_code == 201, created.text
    again = client.get(f"{scene.api}/incidents/{created.json()['id']}", headers=login("verifier-ru")).json()
    assert again["properties"]["counts"] == {"events": MAX_EVENTS}


@pytest.mark.parametrize("huge", [ID_MAX + 1, 2**63, 10**30])
def test_ids_in_bodies_beyond_integer_are_refused(client: TestClient, login: Login, scene: Scene, huge: int) -> None:
    merge = client.post(f"{scene.api}/incidents/1/merge", json={"into": huge}, headers=login("verifier-ru"))
    assert merge.status_code == 422, merge.text
    link = client.post(f"{scene.api}/provisions/1/links", json={"kind": "incident", "id": huge}, headers=login("admin"))
    assert link.status_code == 422, link.text


@pytest.mark.parametrize("huge", [2**63, 10**30, -1])
def test_log_sizes_beyond_bigint_are_refused(client: TestClient, huge: int) -> None:
    cosign = client.post("/api/v1/log/cosignatures", json={"size": huge, "signature": "x"})
    assert cosign.status_code == 422, cosign.text


# --- every route with a whole number in its path or query, found from the app itself ---------------------------


def samples(scene: Scene) -> dict[str, str]:
    """What a route's path parameters other than whole numbers stand for, in the scene's mission."""
    return {"slug": scene.slug, "sha256": "0" * 64, "kind": "incidents", "form_id": f"truce-{scene.slug}-incident",
            "filename": "x.png"}  # fmt: skip


def _int_params(app: FastAPI) -> list[tuple[str, str, str, str, bool]]:
    found = []
    for route in problems.api_routes(app.routes):
        page = not route.include_in_schema
        for param in route.dependant.path_params + route.dependant.query_params:
            if param.field_info.annotation is int or "int" in str(param.field_info.annotation):
                where = "path" if param in route.dependant.path_params else "query"
                for method in sorted(route.methods or ()):
                    found.append((method, route.path_format, param.alias, where, page))
    return found


def _app_for_discovery() -> FastAPI:
    import tempfile
    from pathlib import Path

    from support import TEST_SECRET
    from truce.app import create_app
    from truce.config import Settings
    from truce.db import connect

    # Only the routes are read: the database closes before the app is used (an unclosed one warns at collection).
    with tempfile.TemporaryDirectory() as directory, connect("sqlite://") as db:
        return create_app(Settings(data_dir=Path(directory), secret_key=TEST_SECRET), db)


INT_PARAMS = _int_params(_app_for_discovery())


def test_the_discovery_finds_the_routes() -> None:
    # A guard against a discovery that silently finds nothing (and so tests nothing).
    paths = {path for _, path, *_ in INT_PARAMS}
    assert "/api/v1/missions/{slug}/incidents/{incident_id}" in paths
    assert "/api/v1/log/proof/inclusion" in paths
    assert any(page for *_, page in INT_PARAMS)


@pytest.mark.parametrize(("method", "path", "name", "where", "page"), INT_PARAMS, ids=lambda v: str(v))
def test_a_whole_number_beyond_bigint_is_a_404_or_422(
    client: TestClient, login: Login, scene: Scene, method: str, path: str, name: str, where: str, page: bool
) -> None:
    # Pages answer a number no record can have with their 404 page. Their form posts, sent here without a session,
    # are turned to the login page by the gate before anything is read (303); with one, CSRF is checked first (403).
    allowed = ({303, 403, 404} if method == "POST" else {404}) if page else {404, 422}
    # Pages of a private mission send a caller without a session to the login page before reading the number: the
    # demo is public; the example mission is made so here.
    assert client.patch(scene.api, json={"public": True}, headers=login("admin")).status_code == 200
    # A log index counts from 0, so 0 is a real entry there; a record's id counts from 1.
    numbers = HUGE if where != "path" or name == "index" else ID_HUGE
    for huge in numbers:
        url = path
        for key, sample in samples(scene).items():
            url = url.replace("{" + key + "}", sample)
        url = url.replace("{" + name + "}", str(huge)) if where == "path" else url
        for other in [part[1:-1] for part in url.split("/") if part.startswith("{")]:
            url = url.replace("{" + other + "}", "1")
        params = {name: str(huge)} if where == "query" else {}
        answer = client.request(method, url, params=params, headers=login("admin"), follow_redirects=False)
        assert answer.status_code in allowed, (huge, url, answer.status_code, answer.text[:300])


def test_the_largest_id_is_simply_not_found_and_the_next_is_invalid(
    client: TestClient, login: Login, scene: Scene
) -> None:
    answer = client.get(f"{scene.api}/incidents/{ID_MAX}", headers=login("admin"))
    assert answer.status_code == 404, answer.text
    answer = client.get(f"{scene.api}/incidents/{ID_MAX + 1}", headers=login("admin"))
    assert answer.status_code == 422, answer.text
