"""Issue S, part 2: each hostile request of the outside testers is refused with a clear 4xx before it costs.

Every test runs on both backends (the `client` fixture). None asserts a time: each asserts that the body
was not read (bytes pulled from a counting stream), that the answer is small, and that it names the field.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mission_examples import Scene
from support import Login, point_feature
from truce import limits

CHUNK = 64 * 1024


def streamed(app: FastAPI, method: str, url: str, size: int, headers: dict[str, str]) -> tuple[httpx.Response, int]:
    """Send `size` bytes as a stream; the answer and how many bytes the server pulled before it answered."""
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        while pulled < size:
            pulled += CHUNK
            yield b" " * CHUNK

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://truce.test") as client:
            return await client.request(method, url, content=body(), headers=headers)

    return asyncio.run(send()), pulled


def incident(scene: Scene, **geometry: Any) -> dict[str, Any]:
    """A side's allegation inside the scene's mission, on the demo's 20 November 2020 moved into it."""
    start = scene.moment(10, day=scene.shifted(date(2020, 11, 20)))
    feature = point_feature(
        *scene.at(46.75, 39.81), type="explosion", subtype="mortar", start=start, source="party",
        means="party_report",
    )  # fmt: skip
    if geometry:
        feature["geometry"] = geometry
    return feature


# --- 1. JSON bodies: credentials first, a size limit, few errors and no echo ------------------------------


def test_a_json_body_without_login_is_refused_before_it_is_read(app: FastAPI, scene: Scene) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": str(150 * limits.MB)}
    answer, pulled = streamed(app, "POST", f"{scene.api}/incidents", 150 * limits.MB, headers)
    assert answer.status_code == 401
    assert "bearer token" in answer.json()["detail"]
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert pulled <= 2 * CHUNK, f"pulled {pulled:,} bytes before refusing"


def test_a_forged_token_is_refused_before_the_body_is_read(app: FastAPI, scene: Scene) -> None:
    headers = {"Content-Type": "application/json", "Authorization": "Bearer not-a-token"}
    answer, pulled = streamed(app, "POST", f"{scene.api}/incidents", 50 * limits.MB, headers)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "the token is not valid"
    assert pulled <= 2 * CHUNK


def test_a_json_body_over_the_limit_is_refused_at_once_or_as_it_streams(
    app: FastAPI, login: Login, scene: Scene
) -> None:
    declared = {**login("liaison-az"), "Content-Type": "application/json", "Content-Length": str(3 * limits.MB)}
    answer, pulled = streamed(app, "POST", f"{scene.api}/incidents", 3 * limits.MB, declared)
    assert answer.status_code == 413
    assert "1 MB" in answer.json()["detail"]
    assert pulled <= 2 * CHUNK
    chunked = {**login("liaison-az"), "Content-Type": "application/json"}
    answer, pulled = streamed(app, "POST", f"{scene.api}/incidents", 100 * limits.MB, chunked)
    assert answer.status_code == 413
    assert pulled < 2 * limits.MB


def test_sixty_thousand_unknown_keys_give_one_short_error(client: TestClient, login: Login, scene: Scene) -> None:
    body = incident(scene)
    body.update({f"k{i}": 0 for i in range(60_000)})
    answer = client.post(f"{scene.api}/incidents", json=body, headers=login("liaison-az"))
    assert answer.status_code == 422
    assert len(answer.content) < 4096, "the error echoes the input"
    assert "60000 unknown fields, such as 'k0'" in answer.json()["detail"]


def test_many_field_errors_are_listed_up_to_twenty_and_counted(client: TestClient, login: Login, scene: Scene) -> None:
    too_long = ["x" * 65 + str(i) for i in range(5_000)]
    body = {"side": scene.delegation("am"), "hands_over": {"detainees": 10_000, "identifiers": too_long}}
    answer = client.post(f"{scene.api}/exchanges/1/lists", json=body, headers=login("humanitarian-unhcr"))
    assert answer.status_code == 422
    found = answer.json()
    assert found["error_count"] == 5_000
    assert len(found["errors"]) == limits.MAX_REPORTED_ERRORS
    assert found["errors"][0]["field"] == "hands_over.identifiers.0"
    assert "and 4980 more errors" in found["detail"]
    assert "x" * 65 not in answer.text, "the error echoes the input"


# --- 2. date ranges: bounded, and never an overflow -----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "{api}/movements/returns",
        "{api}/movements/checkpoints",
        "{api}/claims/comparison?party={party}",
        "{api}/movements",
    ],
)
def test_a_range_of_year_1_to_9999_is_refused(client: TestClient, login: Login, scene: Scene, url: str) -> None:
    url = url.format(api=scene.api, party=scene.delegation("ru"))
    joiner = "&" if "?" in url else "?"
    answer = client.get(f"{url}{joiner}since=0001-01-01&until=9999-12-31", headers=login("analyst-ru"))
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert fields == {"query.since", "query.until"}


@pytest.mark.parametrize("url", ["{api}/movements/returns", "{api}/claims/comparison?party={party}"])
def test_a_series_longer_than_ten_years_is_refused(client: TestClient, login: Login, scene: Scene, url: str) -> None:
    url = url.format(api=scene.api, party=scene.delegation("ru"))
    joiner = "&" if "?" in url else "?"
    answer = client.get(f"{url}{joiner}since=1990-01-01&until=2020-12-31", headers=login("analyst-ru"))
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("until: the range from 1990-01-01 to 2020-12-31 is longer than 3660")


def test_the_last_representable_day_is_a_422_not_a_500(client: TestClient, login: Login, scene: Scene) -> None:
    verifier = login("verifier-ru")
    for url in (f"{scene.api}/movements/returns?until=9999-12-31", f"{scene.api}/provisions?on=9999-12-31"):
        answer = client.get(url, headers=verifier)
        assert answer.status_code == 422, url
    answer = client.post(f"{scene.api}/bulletins", json={"date": "9999-12-31"}, headers=verifier)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "date"
    answer = client.get(f"{scene.api}/incidents?until=9999-12-31T23:59:59-12:00", headers=verifier)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "query.until"


def test_a_record_dated_outside_the_bounds_is_refused(client: TestClient, login: Login, scene: Scene) -> None:
    # A movement on 0001-01-01 would stretch every later returns series over two thousand years.
    movement = {"site_id": 1, "direction": "incoming", "kind": "return", "on_date": "0001-01-01", "individuals": 1}
    answer = client.post(f"{scene.api}/movements", json=movement, headers=login("humanitarian-unhcr"))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "on_date"
    late = incident(scene)
    late["properties"]["start"] = "9999-12-31T23:59:59-12:00"
    answer = client.post(f"{scene.api}/incidents", json=late, headers=login("liaison-az"))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "properties.start"


def test_a_page_with_the_last_day_shows_a_form_error(client: TestClient, login: Login, scene: Scene) -> None:
    # A private mission's pages send the public to the login page before reading the day: the demo is public; the
    # example mission is made so here.
    assert client.patch(scene.api, json={"public": True}, headers=login("admin")).status_code == 200
    answer = client.get(f"/m/{scene.slug}/incidents?until=9999-12-31", headers=login("public"))
    assert answer.status_code in (200, 303)
    assert answer.status_code != 500


def test_a_range_inside_the_bounds_still_answers_day_by_day(client: TestClient, login: Login, scene: Scene) -> None:
    since, until = scene.shifted(date(2020, 11, 10)), scene.shifted(date(2020, 11, 30))
    answer = client.get(f"{scene.api}/movements/returns?since={since}&until={until}", headers=login("analyst-ru"))
    assert answer.status_code == 200
    assert len(answer.json()["days"]) == 21


# --- 3. multipart and forms: credentials and the route's limit before reading -----------------------------


def test_a_150_mb_upload_without_login_is_refused_unread(app: FastAPI, scene: Scene) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": str(150 * limits.MB)}
    answer, pulled = streamed(app, "POST", f"{scene.api}/incidents/1/evidence", 150 * limits.MB, headers)
    assert answer.status_code == 401
    assert pulled <= 2 * CHUNK


def test_an_upload_over_the_limit_is_refused_at_once(app: FastAPI, login: Login, scene: Scene) -> None:
    size = 250 * limits.MB
    headers = {**login("monitor-ru"), "Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": str(size)}
    answer, pulled = streamed(app, "POST", f"{scene.api}/incidents/1/evidence", size, headers)
    assert answer.status_code == 413
    assert "200 MB" in answer.json()["detail"]
    assert pulled <= 2 * CHUNK


def test_multipart_to_a_json_route_has_the_json_limit(app: FastAPI, login: Login, scene: Scene) -> None:
    headers = {**login("monitor-ru"), "Content-Type": "multipart/form-data; boundary=xyz"}
    answer, pulled = streamed(app, "POST", f"{scene.api}/incidents", 150 * limits.MB, headers)
    assert answer.status_code == 413
    assert pulled < 2 * limits.MB


@pytest.mark.parametrize("url", ["/login", "/api/v1/auth/token"])
def test_a_login_form_has_a_limit_of_a_few_kilobytes(app: FastAPI, url: str) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": str(150 * limits.MB)}
    answer, pulled = streamed(app, "POST", url, 150 * limits.MB, headers)
    assert answer.status_code == 413
    assert "8 KB" in answer.json()["detail"]
    assert pulled <= 2 * CHUNK
    answer, pulled = streamed(app, "POST", url, 150 * limits.MB, {"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 413
    assert pulled <= 2 * CHUNK


def test_a_page_form_without_a_session_goes_to_the_login_unread(app: FastAPI, scene: Scene) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": str(150 * limits.MB)}
    answer, pulled = streamed(app, "POST", f"/m/{scene.slug}/incidents/new", 150 * limits.MB, headers)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")
    assert pulled <= 2 * CHUNK


def test_a_stale_session_cookie_is_no_session(app: FastAPI, scene: Scene) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "truce_session=forged"}
    answer, pulled = streamed(app, "POST", f"/m/{scene.slug}/incidents/new", 10 * limits.MB, headers)
    assert answer.status_code == 303
    assert pulled <= 2 * CHUNK


# --- 4. geometries: bounded at parse time, with the field named ------------------------------------------


def test_a_polygon_of_too_many_vertices_is_refused(client: TestClient, login: Login, scene: Scene) -> None:
    ring = [[46 + (i % 2), 39 + (i % 3)] for i in range(limits.MAX_VERTICES + 1)]
    body = incident(scene, type="Polygon", coordinates=[[*ring, ring[0]]])
    answer = client.post(f"{scene.api}/incidents", json=body, headers=login("liaison-az"))
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("geometry.coordinates: 20,002 positions; at most 20,000")


def test_a_multipolygon_of_too_many_parts_and_a_polygon_of_too_many_rings(
    client: TestClient, login: Login, scene: Scene
) -> None:
    square = [[46.0, 39.0], [46.001, 39.0], [46.001, 39.001], [46.0, 39.0]]
    parts = {"type": "MultiPoint", "coordinates": [[46.0, 39.0]] * (limits.MAX_PARTS + 1)}
    rings = {"type": "Polygon", "coordinates": [square] * (limits.MAX_RINGS + 1)}
    for geometry, phrase in ((parts, "1,001 parts"), (rings, "1,001 rings")):
        answer = client.post(f"{scene.api}/incidents", json=incident(scene, **geometry), headers=login("liaison-az"))
        assert answer.status_code == 422
        assert answer.json()["detail"].startswith("geometry.coordinates: ")
        assert phrase in answer.json()["detail"]


def test_an_area_of_too_many_vertices_is_refused(client: TestClient, login: Login, scene: Scene) -> None:
    line = [[46 + i * 1e-5, 39.5] for i in range(limits.MAX_VERTICES + 1)]
    body = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": line},
        "properties": {"name": "x", "kind": "road"},
    }
    answer = client.post(f"{scene.api}/lines", json=body, headers=login("admin"))
    assert answer.status_code == 422
    assert "at most 20,000 are accepted" in answer.json()["detail"]


# --- 5. collections: a bounded page, the total and the next page ------------------------------------------


def test_a_list_answers_a_page_with_its_total_and_next_link(client: TestClient, login: Login, scene: Scene) -> None:
    answer = client.get(f"{scene.api}/parties?limit=2", headers=login("analyst-ru"))
    assert answer.status_code == 200
    assert len(answer.json()) == 2
    total = int(answer.headers["X-Total-Count"])
    assert total > 2
    assert 'rel="next"' in answer.headers["Link"]
    assert "offset=2" in answer.headers["Link"]
    answer = client.get(f"{scene.api}/parties?limit={limits.MAX_PAGE + 1}", headers=login("analyst-ru"))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "query.limit"


def test_the_limits_are_in_the_openapi_document(client: TestClient) -> None:
    spec = json.dumps(client.get("/openapi.json").json())
    assert "X-Total-Count" in spec
    assert "3,660 days" in spec
