"""Incidents through the API: filing, derivation, filters, joint verification, allegations, duplicates."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from support import Login, point_feature

INCIDENTS = "/api/v1/missions/nk-2020/incidents"


def shelling(lon: float = 46.80, lat: float = 39.90, **extra: Any) -> dict[str, Any]:
    properties = {
        "type": "explosion",
        "subtype": "mortar",
        "start": "2020-11-20T14:30:00+04:00",
        "source": "post",
        "means": "seen_and_heard",
        "counts": {"impacts": 4, "outgoing": 0},
        "narrative": "Four impacts observed north-east of the post.",
        **extra,
    }
    return point_feature(lon, lat, **properties)


def file(client: TestClient, login: Login, account: str = "monitor-ru", **extra: Any) -> dict[str, Any]:
    answer = client.post(INCIDENTS, json=shelling(**extra), headers=login(account))
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def verdict(client: TestClient, login: Login, account: str, incident_id: int, value: str) -> dict[str, Any]:
    answer = client.post(
        f"{INCIDENTS}/{incident_id}/verifications", json={"verdict": value, "note": f"{account} says {value}"},
        headers=login(account),
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_filing_derives_the_place(client: TestClient, login: Login) -> None:
    created = file(client, login)
    props = created["properties"]
    assert props["status"] == "reported"
    assert props["allegation"] is False
    assert props["controlled_by"] == "am"
    assert props["nearest_site"] is not None
    assert props["nearest_site_km"] > 0
    assert props["line_of_contact_km"] > 0
    assert props["in_corridor"] is False
    assert props["acled_event_type"] == "Explosions/Remote violence"
    assert props["author_delegation"] == "ru"


def test_filing_by_bearing_and_distance_from_a_post(client: TestClient, login: Login) -> None:
    post = client.get("/api/v1/missions/nk-2020/sites", params={"kind": "post"}).json()["features"][0]
    body = shelling(observer_site=post["id"], bearing_deg=90.0, distance_km=3.0)
    del body["geometry"]
    answer = client.post(INCIDENTS, json=body, headers=login("monitor-ru"))
    assert answer.status_code == 201, answer.text
    lon, lat = answer.json()["geometry"]["coordinates"]
    assert lon > post["geometry"]["coordinates"][0]
    assert lat == pytest.approx(post["geometry"]["coordinates"][1], abs=0.001)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "weather"}, "type must be one of"),
        ({"subtype": "nuclear"}, "subtype of explosion"),
        ({"start": "2020-11-20T14:30:00"}, "properties.start"),
        ({"start": "2020-11-20T14:30:00+04:00", "end": "2020-11-19T00:00:00+04:00"}, "end is before start"),
        ({"counts": {"impacts": -1}}, "properties.counts.impacts: Input should be greater than or equal to 0"),
        ({"counts": {"bananas": 1}}, "counts may hold"),
        ({"source": "rumour"}, "properties.source"),
        ({"bearing_deg": 400}, "properties.bearing_deg"),
        ({"start": "2019-01-01T00:00:00+00:00"}, "before the mission began"),
        ({"restricted_to": ["tr"]}, "only restricted records"),
        ({"classification": "restricted", "restricted_to": ["xx"]}, "unknown delegation"),
        ({"alleged_actors": [{"party": "zz", "actor": "?"}]}, "unknown party"),
    ],
)
def test_bad_incidents_are_refused_precisely(
    client: TestClient, login: Login, change: dict[str, Any], field: str
) -> None:
    before = len(client.get(INCIDENTS, headers=login("admin")).json()["features"])
    answer = client.post(INCIDENTS, json=shelling(**change), headers=login("monitor-ru"))
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"]
    assert len(client.get(INCIDENTS, headers=login("admin")).json()["features"]) == before


def test_no_place_at_all_is_refused(client: TestClient, login: Login) -> None:
    body = shelling()
    del body["geometry"]
    answer = client.post(INCIDENTS, json=body, headers=login("monitor-ru"))
    assert answer.status_code == 422
    assert "observer_site" in answer.json()["detail"]


def test_joint_verification_needs_both_guarantors(client: TestClient, login: Login) -> None:
    incident = file(client, login)["id"]
    assert verdict(client, login, "verifier-ru", incident, "confirm")["incident_status"] == "under_verification"
    assert verdict(client, login, "verifier-tr", incident, "confirm")["incident_status"] == "confirmed"
    detail = client.get(f"{INCIDENTS}/{incident}", headers=login("analyst-ru")).json()
    notes = [(v["delegation"], v["verdict"], v["note"]) for v in detail["properties"]["verifications"]]
    assert notes == [("ru", "confirm", "verifier-ru says confirm"), ("tr", "confirm", "verifier-tr says confirm")]


def test_dissent_is_kept_and_a_change_of_mind_is_added(client: TestClient, login: Login) -> None:
    incident = file(client, login)["id"]
    verdict(client, login, "verifier-ru", incident, "confirm")
    assert verdict(client, login, "verifier-tr", incident, "reject")["incident_status"] == "disputed"
    assert verdict(client, login, "verifier-tr", incident, "confirm")["incident_status"] == "confirmed"
    history = client.get(f"{INCIDENTS}/{incident}/verifications", headers=login("verifier-ru")).json()
    assert [v["verdict"] for v in history] == ["confirm", "reject", "confirm"]


def test_only_verifiers_verify(client: TestClient, login: Login) -> None:
    incident = file(client, login)["id"]
    for account, expected in [("monitor-ru", 403), ("admin", 403), ("liaison-am", 404), ("analyst-ru", 403)]:
        answer = client.post(
            f"{INCIDENTS}/{incident}/verifications", json={"verdict": "confirm"}, headers=login(account)
        )
        assert answer.status_code == expected, (account, answer.text)


def test_allegations_stay_allegations_and_liaisons_see_their_own(client: TestClient, login: Login) -> None:
    refused = client.post(INCIDENTS, json=shelling(), headers=login("liaison-am"))
    assert refused.status_code == 422
    assert "source must be 'party'" in refused.json()["detail"]
    accused = [{"party": "az", "actor": ""}]
    allegation = file(client, login, "liaison-am", source="party", means="party_report", alleged_actors=accused)
    assert allegation["properties"]["allegation"] is True
    own = client.get(f"{INCIDENTS}/{allegation['id']}", headers=login("liaison-am"))
    assert own.status_code == 200
    assert client.get(f"{INCIDENTS}/{allegation['id']}", headers=login("liaison-az")).status_code == 404
    monitors = file(client, login, classification="mission")
    assert client.get(f"{INCIDENTS}/{monitors['id']}", headers=login("liaison-am")).status_code == 404
    shared = file(client, login, classification="parties")
    assert client.get(f"{INCIDENTS}/{shared['id']}", headers=login("liaison-az")).status_code == 200


def test_a_liaisons_allegation_must_name_the_alleged_actor(client: TestClient, login: Login) -> None:
    # The service refuses it, so the API does, not only the page: the other side must know what it answers.
    refused = client.post(INCIDENTS, json=shelling(source="party"), headers=login("liaison-am"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "properties.alleged_actors"
    assert "alleged actor" in refused.json()["detail"]
    accused = [{"party": "az", "actor": "a mortar crew"}]
    allegation = file(client, login, "liaison-am", source="party", alleged_actors=accused)
    assert allegation["properties"]["alleged_actors"] == accused
    # An amendment that drops the accused is refused too, and the stored record keeps them.
    amended = client.put(f"{INCIDENTS}/{allegation['id']}", json=shelling(source="party"), headers=login("liaison-am"))
    assert amended.status_code == 422
    kept = client.get(f"{INCIDENTS}/{allegation['id']}", headers=login("liaison-am")).json()
    assert kept["properties"]["alleged_actors"] == accused
    # A monitor's report need not accuse anyone.
    assert file(client, login, "monitor-ru")["properties"]["alleged_actors"] == []


def test_the_author_amends_or_retracts_before_verification_only(client: TestClient, login: Login) -> None:
    incident = file(client, login)
    amended = client.put(
        f"{INCIDENTS}/{incident['id']}",
        json=shelling(narrative="Three impacts, not four."),
        headers=login("monitor-ru"),
    )
    assert amended.status_code == 200
    assert amended.json()["properties"]["narrative"] == "Three impacts, not four."
    other = client.put(f"{INCIDENTS}/{incident['id']}", json=shelling(), headers=login("verifier-ru"))
    assert other.status_code == 403
    verdict(client, login, "verifier-ru", incident["id"], "confirm")
    late = client.post(f"{INCIDENTS}/{incident['id']}/retract", headers=login("monitor-ru"))
    assert late.status_code == 409
    fresh = file(client, login)
    retracted = client.post(f"{INCIDENTS}/{fresh['id']}/retract", headers=login("monitor-ru"))
    assert retracted.json()["properties"]["status"] == "retracted"
    nothing = client.post(
        f"{INCIDENTS}/{fresh['id']}/verifications", json={"verdict": "confirm"}, headers=login("verifier-tr")
    )
    assert nothing.status_code == 409


def test_filters_and_pages(client: TestClient, login: Login) -> None:
    # March 2021 lies after the demo's incidents, so only these two fall in it.
    file(client, login, start="2021-03-01T08:00:00+04:00")
    file(client, login, lon=46.95, lat=40.00, type="fire", subtype="sniper", start="2021-03-02T08:00:00+04:00")
    headers = login("admin")
    march = {"since": "2021-03-01T00:00:00+04:00", "until": "2021-04-01T00:00:00+04:00"}
    found = client.get(INCIDENTS, params=march, headers=headers).json()
    assert [f["properties"]["start"][:10] for f in found["features"]] == ["2021-03-02", "2021-03-01"]
    fire = client.get(INCIDENTS, params={"type": "fire", **march}, headers=headers).json()
    assert {f["properties"]["subtype"] for f in fire["features"]} == {"sniper"}
    box = client.get(INCIDENTS, params={"bbox": "46.9,39.95,47.0,40.05", **march}, headers=headers).json()
    assert [f["properties"]["type"] for f in box["features"]] == ["fire"]
    page = client.get(INCIDENTS, params={"limit": 1, "offset": 1}, headers=headers).json()
    assert len(page["features"]) == 1
    assert client.get(INCIDENTS, params={"status": "exploded"}, headers=headers).status_code == 422


def test_likely_duplicates_and_merge(client: TestClient, login: Login) -> None:
    first = file(client, login)
    second = file(client, login, lon=46.801, lat=39.901, start="2020-11-20T14:45:00+04:00")
    far = file(client, login, lon=46.95, lat=40.05)
    found = client.get(f"{INCIDENTS}/{first['id']}/duplicates", headers=login("verifier-ru")).json()
    ids = [f["id"] for f in found["features"]]
    assert second["id"] in ids
    assert far["id"] not in ids
    verdict(client, login, "verifier-tr", first["id"], "confirm")
    assert client.post(f"{INCIDENTS}/{second['id']}/merge", json={"into": first["id"]},
                       headers=login("monitor-ru")).status_code == 403  # fmt: skip
    merged = client.post(f"{INCIDENTS}/{second['id']}/merge", json={"into": first["id"]}, headers=login("verifier-ru"))
    assert merged.json()["properties"]["merged_into"] == first["id"]
    kept = client.get(f"{INCIDENTS}/{first['id']}", headers=login("verifier-ru")).json()
    assert [v["verdict"] for v in kept["properties"]["verifications"]] == ["confirm"]
    itself = client.post(f"{INCIDENTS}/{first['id']}/merge", json={"into": first["id"]}, headers=login("verifier-ru"))
    assert itself.status_code == 422


def test_batch_keeps_the_good_and_reports_the_bad(client: TestClient, login: Login) -> None:
    features = [shelling(), shelling(type="weather"), {"type": "Feature"}, shelling(lon=46.9)]
    answer = client.post(f"{INCIDENTS}/batch", json={"type": "FeatureCollection", "features": features},
                         headers=login("monitor-ru"))  # fmt: skip
    assert answer.status_code == 201
    result = answer.json()
    assert len(result["created"]) == 2
    assert [e["index"] for e in result["errors"]] == [1, 2]
    assert "type must be one of" in result["errors"][0]["detail"]


def test_a_new_site_redraws_the_derived_facts(client: TestClient, login: Login) -> None:
    incident = file(client, login, lon=46.62, lat=39.95)
    site = client.post(
        "/api/v1/missions/nk-2020/sites", json=point_feature(46.6201, 39.9501, name="Post 30", kind="post"),
        headers=login("admin"),
    ).json()  # fmt: skip
    again = client.get(f"{INCIDENTS}/{incident['id']}", headers=login("monitor-ru")).json()
    assert again["properties"]["nearest_site"] == site["id"]
    assert again["properties"]["nearest_site_km"] < 0.1


def test_an_incidents_history_carries_every_step_with_proofs(client: TestClient, login: Login) -> None:
    incident = file(client, login)["id"]
    verdict(client, login, "verifier-ru", incident, "confirm")
    verdict(client, login, "verifier-tr", incident, "confirm")
    history = client.get(f"{INCIDENTS}/{incident}/history", headers=login("analyst-ru")).json()
    assert [e["action"] for e in history["entries"]] == ["incident.create", "incident.status", "incident.status"]
    assert client.get(f"{INCIDENTS}/{incident}/history", headers=login("liaison-az")).status_code == 404


def test_a_mission_can_forbid_verifying_ones_own_filings(client: TestClient, login: Login) -> None:
    change = {"allow_self_verification": False}
    assert client.patch("/api/v1/missions/nk-2020", json=change, headers=login("verifier-ru")).status_code == 403
    assert client.patch("/api/v1/missions/nk-2020", json=change, headers=login("admin")).status_code == 200
    incident = file(client, login)["id"]  # filed by monitor-ru, of the ru delegation
    own = client.post(
        f"{INCIDENTS}/{incident}/verifications", json={"verdict": "confirm"}, headers=login("verifier-ru")
    )
    assert own.status_code == 403
    assert "its own members" in own.json()["detail"]
    assert verdict(client, login, "verifier-tr", incident, "confirm")["incident_status"] == "under_verification"


def test_a_restricted_post_is_not_given_away_by_bearing_and_distance(client: TestClient, login: Login) -> None:
    secret = client.post(
        "/api/v1/missions/nk-2020/sites",
        json=point_feature(46.70, 40.10, name="Hidden post", kind="post", classification="restricted",
                           restricted_to=["ru", "tr"]),
        headers=login("admin"),
    ).json()  # fmt: skip
    body = shelling(observer_site=secret["id"], bearing_deg=45.0, distance_km=2.0, classification="public")
    del body["geometry"]
    incident = client.post(INCIDENTS, json=body, headers=login("monitor-ru")).json()["id"]
    staff = client.get(f"{INCIDENTS}/{incident}", headers=login("verifier-tr")).json()["properties"]
    assert staff["observer_site"] == secret["id"]
    assert staff["distance_km"] == 2.0
    public = client.get(f"{INCIDENTS}/{incident}").json()["properties"]
    assert public["observer_site"] is None
    assert public["bearing_deg"] is None
    assert public["distance_km"] is None
