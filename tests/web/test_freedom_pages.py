"""The freedom-of-movement pages: restrictions and their statistics for any period, downloads, verification."""

from __future__ import annotations

import csv
import io
import re

import orjson
import pytest
from fastapi.testclient import TestClient

from support import ACCOUNTS, STAFF, Login
from web.conftest import WebClient

BASE = "/m/nk-2020/restrictions"
API = "/api/v1/missions/nk-2020/restrictions"
PERIOD = "since=2020-11-10&until=2020-11-30"


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


def test_the_statistics_download_is_the_apis_table(web: WebClient, client: TestClient, login: Login) -> None:
    web.login("analyst-ru")
    for kind, api_format in (("csv", "csv"), ("hxl", "hxl"), ("geojson", "geojson")):
        page = web.get(f"{BASE}/statistics.{kind}?{PERIOD}&period=week")
        assert page.status_code == 200, page.text[:300]
        assert "attachment" in page.headers["content-disposition"]
        query = f"since=2020-11-10T00:00:00%2B04:00&until=2020-12-01T00:00:00%2B04:00&period=week&format={api_format}"
        api = client.get(f"{API}/statistics?{query}", headers=login("analyst-ru"))
        assert api.status_code == 200, api.text[:300]
        assert page.content == api.content
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
def test_a_bad_filter_is_named_and_the_page_still_answers(web: WebClient, query: str, field: str) -> None:
    web.login("verifier-ru")
    page = web.get(f"{BASE}?{query}")
    assert page.status_code == 200
    assert f'href="#f-{field}"' in page.text
    assert web.get(f"{BASE}/statistics.csv?{query}").status_code == 422


def test_a_verifier_verifies_a_restriction_and_its_status_follows_the_quorum(web: WebClient) -> None:
    web.login("verifier-ru")
    detail = web.get(f"{BASE}/1")
    assert detail.status_code == 200
    assert 'id="verdict-form"' in detail.text
    assert "Awaiting instructions from the command" in detail.text
    refused = web.post_form(f"{BASE}/1/verify", {"note": "no verdict chosen"})
    assert refused.status_code == 422
    assert 'href="#f-verdict"' in refused.text
    done = web.post_form(f"{BASE}/1/verify", {"verdict": "confirm", "note": "seen from the post"})
    assert done.status_code == 303, done.text[:500]
    after = web.get(done.headers["location"]).text
    assert "Your verdict on restriction 1 is recorded." in after
    assert "seen from the post" in after
    # The Turkish delegation had confirmed it already: two delegations make the quorum.
    assert 'id="restriction-status">Confirmed<' in after


@pytest.mark.parametrize("account", ["monitor-ru", "liaison-am", "analyst-ru"])
def test_only_verifiers_are_offered_and_may_post_a_verdict(web: WebClient, account: str) -> None:
    web.login(account)
    detail = web.get(f"{BASE}/1")
    if detail.status_code == 200:
        assert 'id="verdict-form"' not in detail.text
    assert web.post_form(f"{BASE}/1/verify", {"verdict": "confirm"}).status_code in (403, 404)


def test_an_unknown_restriction_is_404(web: WebClient) -> None:
    web.login("verifier-ru")
    assert web.get(f"{BASE}/99999").status_code == 404
    assert web.get(f"{BASE}/statistics.pdf").status_code == 404
