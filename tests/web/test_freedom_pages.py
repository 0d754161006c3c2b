"""The freedom-of-movement pages: restrictions and their statistics for any period, downloads, verification."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import orjson
import pytest
from fastapi.testclient import TestClient

from mission_examples import Scene
from patrol_support import restriction_body
from support import ACCOUNTS, STAFF, Login
from web.conftest import WebClient

BASE = "/m/nk-2020/restrictions"
API = "/api/v1/missions/nk-2020/restrictions"
PERIOD = "since=2020-11-10&until=2020-11-30"


def period(scene: Scene) -> str:
    """The demo's 10 to 30 November 2020, or the matching days of the scene's mission."""
    return f"since={scene.shifted(date(2020, 11, 10))}&until={scene.shifted(date(2020, 11, 30))}"


def filed(client: TestClient, login: Login, scene: Scene) -> int:
    """A denial the monitor records through the API at a place of the scene's mission; its id."""
    point = {"type": "Point", "coordinates": list(scene.at(46.60, 39.62))}
    answer = client.post(f"{scene.api}/restrictions", json=restriction_body(point, scene), headers=login("monitor-ru"))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


@pytest.mark.demo_content
@pytest.mark.parametrize("account", ACCOUNTS)
def test_each_account_sees_what_it_may_read(web: WebClient, client: TestClient, login: Login, account: str) -> None:
    web.login(account)
    page = web.get(f"{BASE}?{PERIOD}")
    assert page.status_code == 200, page.text[:300]
    # The demo's restrictions are classified "parties": the mission's staff and the parties' officers read them.
    readable = client.get(API, headers=login(account)).json()["features"]
    assert len(re.findall(r'<tr id="restriction-\d+"', page.text)) == len(readable)
    readable_ids = {f["id"] for f in readable}
    for restriction_id in (1, 2, 3, 4):
        # A restriction one may not read is not there at all, as in the API.
        assert web.get(f"{BASE}/{restriction_id}").status_code == (200 if restriction_id in readable_ids else 404)
    if account in STAFF:
        assert len(readable) == 4
        assert "Awaiting instructions from the command" not in page.text  # the list names, the detail tells
        assert "Delay: At a checkpoint" in page.text


def test_the_page_in_both_languages(web: WebClient, scene: Scene) -> None:
    web.login("verifier-ru")
    english = web.get(f"{scene.pages}/restrictions?{period(scene)}&period=all").text
    assert "Freedom of movement" in english
    russian = web.get(f"{scene.pages}/restrictions?{period(scene)}", headers={"Accept-Language": "ru"}).text
    assert "Свобода передвижения" in russian


@pytest.mark.demo_content
def test_names_not_codes_in_both_languages(web: WebClient) -> None:
    web.login("verifier-ru")
    english = web.get(f"{BASE}?{PERIOD}&period=all").text
    assert "Azerbaijan" in english
    assert ">az<" not in english
    assert "Denial of access" in english
    assert "mines_uxo" not in english
    russian = web.get(f"{BASE}?{PERIOD}&period=all", headers={"Accept-Language": "ru"}).text
    assert "Свобода передвижения" in russian
    assert "Азербайджан" in russian
    assert "Отказ в доступе" in russian


def test_the_statistics_download_is_the_apis_table(
    web: WebClient, client: TestClient, login: Login, scene: Scene
) -> None:
    filed(client, login, scene)  # one of the mission's own at least: the example has none of its own
    web.login("analyst-ru")
    since, until = scene.shifted(date(2020, 11, 10)), scene.shifted(date(2020, 12, 1))
    for kind, api_format in (("csv", "csv"), ("hxl", "hxl"), ("geojson", "geojson")):
        page = web.get(f"{scene.pages}/restrictions/statistics.{kind}?{period(scene)}&period=week")
        assert page.status_code == 200, page.text[:300]
        assert "attachment" in page.headers["content-disposition"]
        clock = scene.offset_text.replace("+", "%2B")
        query = f"since={since}T00:00:00{clock}&until={until}T00:00:00{clock}&period=week&format={api_format}"
        api = client.get(f"{scene.api}/restrictions/statistics?{query}", headers=login("analyst-ru"))
        assert api.status_code == 200, api.text[:300]
        assert page.content == api.content
    rows = list(csv.DictReader(io.StringIO(web.get(f"{scene.pages}/restrictions/statistics.csv?{period(scene)}").text)))
    assert sum(int(r["restrictions"]) for r in rows) >= 1


@pytest.mark.demo_content
def test_the_demos_statistics(web: WebClient) -> None:
    web.login("analyst-ru")
    rows = list(csv.DictReader(io.StringIO(web.get(f"{BASE}/statistics.csv?{PERIOD}&period=all").text)))
    assert sum(int(r["restrictions"]) for r in rows) == 4
    assert {r["category"] for r in rows} == {"delay", "denial", "other_impediment"}
    geojson = orjson.loads(web.get(f"{BASE}/statistics.geojson?{PERIOD}&category=denial").content)
    assert {f["properties"]["category"] for f in geojson["features"]} == {"denial"}


@pytest.mark.parametrize(
    ("query", "field"),
    [("since=2020-13-01", "since"), ("period=fortnight", "period"), ("category=ambush", "category"),
     ("party=xx", "party"), ("since=2020-11-30&until=2020-11-01", "until")],
)  # fmt: skip
def test_a_bad_filter_is_named_and_the_page_still_answers(web: WebClient, scene: Scene, query: str, field: str) -> None:
    web.login("verifier-ru")
    page = web.get(f"{scene.pages}/restrictions?{query}")
    assert page.status_code == 200
    assert f'href="#f-{field}"' in page.text
    assert web.get(f"{scene.pages}/restrictions/statistics.csv?{query}").status_code == 422


def test_a_verifier_verifies_a_restriction_and_its_status_follows_the_quorum(
    web: WebClient, client: TestClient, login: Login, scene: Scene
) -> None:
    restriction = filed(client, login, scene)
    url = f"{scene.pages}/restrictions/{restriction}"
    web.login("verifier-tr")
    first = web.post_form(f"{url}/verify", {"verdict": "confirm"})
    assert first.status_code == 303, first.text[:500]
    assert 'id="restriction-status">Confirmed<' not in web.get(url).text  # one delegation is not the quorum
    web.client.cookies.clear()
    web.login("verifier-ru")
    detail = web.get(url)
    assert detail.status_code == 200
    assert 'id="verdict-form"' in detail.text
    assert "No order from the commander." in detail.text
    refused = web.post_form(f"{url}/verify", {"note": "no verdict chosen"})
    assert refused.status_code == 422
    assert 'href="#f-verdict"' in refused.text
    done = web.post_form(f"{url}/verify", {"verdict": "confirm", "note": "seen from the post"})
    assert done.status_code == 303, done.text[:500]
    after = web.get(done.headers["location"]).text
    assert f"Your verdict on restriction {restriction} is recorded." in after
    assert "seen from the post" in after
    # The other delegation had confirmed it already: two delegations make the quorum.
    assert 'id="restriction-status">Confirmed<' in after


@pytest.mark.parametrize("account", ["monitor-ru", "liaison-am", "analyst-ru"])
def test_only_verifiers_are_offered_and_may_post_a_verdict(
    web: WebClient, client: TestClient, login: Login, scene: Scene, account: str
) -> None:
    url = f"{scene.pages}/restrictions/{filed(client, login, scene)}"
    web.login(account)
    detail = web.get(url)
    if detail.status_code == 200:
        assert 'id="verdict-form"' not in detail.text
    assert web.post_form(f"{url}/verify", {"verdict": "confirm"}).status_code in (403, 404)


def test_an_unknown_restriction_is_404(web: WebClient, scene: Scene) -> None:
    web.login("verifier-ru")
    assert web.get(f"{scene.pages}/restrictions/99999").status_code == 404
    assert web.get(f"{scene.pages}/restrictions/statistics.pdf").status_code == 404
