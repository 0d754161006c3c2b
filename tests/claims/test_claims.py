"""Claims: the demo's claims, stated numbers, assessment with evidence, the claimed-against-counted view, bad input."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, Scene
from support import Login
from truce.claims.models import Claim
from truce.ledger import service as ledger
from truce.missions.models import Mission

CLAIMS = "/api/v1/missions/nk-2020/claims"  # the demo's claims, read by the tests of its own content
# Each mission's checkpoint where people cross: the demo's corridor checkpoint, the example's Mill crossing.
CHECKPOINT = {DEMO_SLUG: "CHK-1", EXAMPLE_SLUG: "X-1"}


def claims(client: TestClient, login: Login, account: str = "public", **params: str) -> list[dict[str, Any]]:
    answer = client.get(CLAIMS, params=params, headers=login(account))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def url(scene: Scene) -> str:
    return f"{scene.api}/claims"


def day(scene: Scene) -> str:
    """The day of the claims the tests make: the demo's 24 November 2020, moved into the scene's mission."""
    return scene.shifted(date(2020, 11, 24)).isoformat()


def a_claim(scene: Scene, **extra: Any) -> dict[str, Any]:
    return {"speaker": "Spokesperson", "affiliation": scene.delegation("az"), "said_on": day(scene),
            "source_title": "Briefing", "source_url": "https://example.org/briefing",
            "summary": "Says 300 people returned to Aghdam.",
            "numbers": [{"value": 300, "counts": "returnees", "cumulative": False}], **extra}  # fmt: skip


def state(session: Session) -> tuple[int, int]:
    return session.scalar(select(func.count()).select_from(Claim)) or 0, ledger.size(session)


def comparison(
    client: TestClient, login: Login, scene: Scene, party: str, account: str = "public", **params: str
) -> Any:
    return client.get(f"{url(scene)}/comparison", params={"party": party, **params}, headers=login(account))


@pytest.mark.demo_content  # the demo's claims of November 2020
def test_the_claims_of_the_period(client: TestClient, login: Login) -> None:
    found = claims(client, login)
    speakers = {(c["affiliation"], c["speaker"]) for c in found}
    assert ("az", "President of Azerbaijan") in speakers
    assert ("tr", "Minister of National Defence of Türkiye") in speakers
    syrians = next(c for c in found if c["affiliation"] is None)
    assert syrians["numbers"][0] | {"as_of": None} == {
        "value": 2000, "counts": "fighters", "qualifier": "at least", "cumulative": True, "as_of": None,
    }  # fmt: skip
    seven = next(c for c in found if c["said_on"] == "2020-11-21")
    assert {"value": 7000, "counts": "returnees"}.items() <= seven["numbers"][0].items()
    assert seven["status"] == "corroborated"
    assert seven["status_by"] == "tr"
    assert all(c["status"] == "unverified" for c in found if c["id"] != seven["id"])


@pytest.mark.demo_content  # the demo's claims and their statuses
def test_filters(client: TestClient, login: Login) -> None:
    assert {c["affiliation"] for c in claims(client, login, affiliation="ru")} == {"ru"}
    assert len(claims(client, login, status="corroborated")) == 1


@pytest.mark.demo_content  # the demo's return claims against its returns
def test_claimed_against_counted_returns_day_by_day(client: TestClient, login: Login, scene: Scene) -> None:
    answer = comparison(client, login, scene, "ru", since="2020-11-14", until="2020-12-01")
    assert answer.status_code == 200, answer.text
    days = {d["date"]: d for d in answer.json()["days"]}
    assert len(days) == 18
    running = {c["value"]: c for c in days["2020-11-21"]["claimed"] if c["cumulative"]}
    assert running[7000]["counted"] == days["2020-11-21"]["cumulative"] == 6_900
    assert running[7000]["difference"] == 100
    daily = {c["value"]: c for c in days["2020-11-21"]["claimed"] if not c["cumulative"]}
    assert daily[1100]["counted"] == 1_100
    assert daily[1100]["difference"] == 0
    assert [c["value"] for c in days["2020-11-22"]["claimed"]] == [1400]
    assert [c["qualifier"] for c in days["2020-11-25"]["claimed"]] == ["over"]
    over = days["2020-12-01"]["claimed"][0]
    assert over["value"] == 26_000
    assert over["counted"] > over["value"]
    assert days["2020-11-18"]["claimed"] == []


@pytest.mark.demo_content  # the demo's returns, counted for a party
def test_a_party_without_return_claims_gets_only_the_count(client: TestClient, login: Login, scene: Scene) -> None:
    days = comparison(client, login, scene, "am").json()["days"]
    assert days
    assert all(d["claimed"] == [] for d in days)
    assert comparison(client, login, scene, "xx").status_code == 404
    assert comparison(client, login, scene, "NOT A CODE").status_code == 422


@pytest.mark.demo_content  # the demo's returns counted on 24 November
def test_a_new_claim_enters_the_comparison(client: TestClient, login: Login, scene: Scene) -> None:
    created = client.post(CLAIMS, json=a_claim(scene), headers=login("liaison-az"))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "unverified"
    assert created.json()["numbers"][0]["as_of"] == "2020-11-24"  # the claim's date when not given
    days = {d["date"]: d for d in comparison(client, login, scene, "az", "liaison-az").json()["days"]}
    [figure] = days["2020-11-24"]["claimed"]
    assert (figure["value"], figure["counted"], figure["difference"]) == (300, 1_000, -700)


def test_a_restricted_claim_stays_out_of_other_readers_comparison(
    client: TestClient, login: Login, scene: Scene
) -> None:
    south = scene.delegation("az")
    body = a_claim(scene, classification="restricted", restricted_to=[south])
    assert client.post(url(scene), json=body, headers=login("admin")).status_code == 201
    hidden = {d["date"]: d["claimed"] for d in comparison(client, login, scene, south, "liaison-am").json()["days"]}
    # Nothing claimed that day (a reader who sees neither claims nor counted returns is shown no day at all).
    assert hidden.get(day(scene), []) == []
    shown = {d["date"]: d["claimed"] for d in comparison(client, login, scene, south, "liaison-az").json()["days"]}
    assert [c["value"] for c in shown[day(scene)]] == [300]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"numbers": [{"value": -7000, "counts": "returnees"}]}, "a negative number"),
        ({"numbers": [{"value": 7, "counts": ""}]}, "a number that counts nothing"),
        ({"numbers": [{"value": 7, "counts": "returnees", "qualifier": "roughly"}]}, "an unknown qualifier"),
        ({"affiliation": "xx"}, "an unknown party"),
        ({"affiliation": None}, "no affiliation at all"),
        ({"source_url": "javascript:alert(1)"}, "not a web address"),
        ({"said_on": "2999-01-01"}, "a statement from the future"),
        ({"summary": ""}, "no claim"),
        ({"links": {"incidents": [987654]}}, "a link to nothing"),
        ({"links": {"claims": [1]}}, "claims do not link claims"),
        ({"classification": "public", "restricted_to": ["az"]}, "delegations on an unrestricted record"),
    ],
)
def test_bad_claims_are_refused_and_nothing_stored(
    client: TestClient, login: Login, session: Session, scene: Scene, change: dict[str, Any], why: str
) -> None:
    if "restricted_to" in change:
        change = {**change, "restricted_to": [scene.delegation(code) for code in change["restricted_to"]]}
    before = state(session)
    answer = client.post(url(scene), json=a_claim(scene, **change), headers=login("liaison-az"))
    assert answer.status_code == 422, (why, answer.text)
    assert state(session) == before


def test_a_claim_made_before_the_mission_may_be_recorded(
    client: TestClient, login: Login, scene: Scene, mission: Mission
) -> None:
    assert mission.starts_on is not None
    said_on = (mission.starts_on - timedelta(days=21)).isoformat()  # the demo's 20 October 2020
    answer = client.post(url(scene), json=a_claim(scene, said_on=said_on, numbers=[]), headers=login("liaison-am"))
    assert answer.status_code == 201


def test_assessing_needs_evidence_or_linked_records(
    client: TestClient, login: Login, session: Session, scene: Scene
) -> None:
    claim = client.post(url(scene), json=a_claim(scene), headers=login("liaison-az")).json()
    sites = client.get(f"{scene.api}/sites", headers=login("admin")).json()["features"]
    checkpoint = next(s["id"] for s in sites if s["properties"].get("code") == CHECKPOINT[scene.slug])
    counted = {"site_id": checkpoint, "direction": "incoming", "kind": "return", "on_date": day(scene),
               "individuals": 1000}  # fmt: skip
    movement = client.post(f"{scene.api}/movements", json=counted, headers=login("humanitarian-unhcr"))
    assert movement.status_code == 201, movement.text
    before = state(session)
    bare = {"status": "contradicted", "note": "The checkpoints counted more."}
    answer = client.post(f"{url(scene)}/{claim['id']}/assessments", json=bare, headers=login("verifier-ru"))
    assert answer.status_code == 422
    assert state(session) == before
    linked = {**bare, "links": {"movements": [movement.json()["id"]]}, "evidence": ["cd" * 32]}
    answer = client.post(f"{url(scene)}/{claim['id']}/assessments", json=linked, headers=login("verifier-ru"))
    assert answer.status_code == 200, answer.text
    assessed = answer.json()
    assert (assessed["status"], assessed["status_by"]) == ("contradicted", scene.delegation("ru"))
    assert assessed["links"] == {"movements": [movement.json()["id"]]}
    assert assessed["status_evidence"] == ["cd" * 32]
    history = client.get(f"/api/v1/log/entries?start={before[1]}&end={state(session)[1]}", headers=login("admin"))
    assert [e["action"] for e in history.json()] == ["claim.assess"]
