"""Incidents through the API: filing, derivation, filters, joint verification, allegations, duplicates."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mission_examples import Scene
from support import Login, point_feature


def incidents_url(scene: Scene) -> str:
    return f"{scene.api}/incidents"


def moved(scene: Scene, when: str) -> str:
    """A demo time with its offset ("2020-11-20T14:30:00+04:00") moved into the scene's mission: the same hour of
    the day as far from the scene's day (Scene.shifted). Other text (no offset, years before either) unchanged."""
    if not when.startswith(("2020-", "2021-")) or "+04:00" not in when:
        return when
    demo = datetime.fromisoformat(when)
    return scene.moment(demo.hour, demo.minute, day=scene.shifted(date(demo.year, demo.month, demo.day)))


def shelling(scene: Scene, lon: float = 46.80, lat: float = 39.90, **extra: Any) -> dict[str, Any]:
    """Mortar fire at a demo position (Scene.at) and time (`moved`), in the scene's mission."""
    properties = {
        "type": "explosion",
        "subtype": "mortar",
        "start": "2020-11-20T14:30:00+04:00",
        "source": "post",
        "means": "seen_and_heard",
        "counts": {"impacts": 4, "outgoing": 0},
        "narrative": "Four impacts observed north-east of the post.",
        # The missions' defaults differ (the demo's is mission, the example's parties): these tests name it.
        "classification": "mission",
        **extra,
    }
    for field in ("start", "end"):
        if isinstance(properties.get(field), str):
            properties[field] = moved(scene, properties[field])
    return point_feature(*scene.at(lon, lat), **properties)


def file(client: TestClient, login: Login, scene: Scene, account: str = "monitor-ru", **extra: Any) -> dict[str, Any]:
    answer = client.post(incidents_url(scene), json=shelling(scene, **extra), headers=login(account))
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def bbox(scene: Scene, *demo_corners: float) -> str:
    """A demo box (min lon, min lat, max lon, max lat) moved into the scene's mission, as the API's parameter."""
    west, south = scene.at(*demo_corners[:2])
    east, north = scene.at(*demo_corners[2:])
    return f"{west},{south},{east},{north}"


def verdict(
    client: TestClient, login: Login, scene: Scene, account: str, incident_id: int, value: str
) -> dict[str, Any]:
    body = {"verdict": value, "note": f"{account} says {value}"}
    answer = client.post(f"{incidents_url(scene)}/{incident_id}/verifications", json=body, headers=login(account))
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_filing_derives_the_place(client: TestClient, login: Login, scene: Scene) -> None:
    created = file(client, login, scene)
    props = created["properties"]
    assert props["status"] == "reported"
    assert props["allegation"] is False
    assert props["controlled_by"] == scene.delegation("am")  # a side's zone: the scene's point lies in it
    assert props["nearest_site"] is not None
    assert props["nearest_site_km"] > 0
    assert props["line_of_contact_km"] > 0
    assert props["in_corridor"] is False
    assert props["acled_event_type"] == "Explosions/Remote violence"
    assert props["author_delegation"] == scene.delegation("ru")


def test_filing_by_bearing_and_distance_from_a_post(client: TestClient, login: Login, scene: Scene) -> None:
    post = client.get(f"{scene.api}/sites", params={"kind": "post"}, headers=login("admin")).json()["features"][0]
    body = shelling(scene, observer_site=post["id"], bearing_deg=90.0, distance_km=3.0)
    del body["geometry"]
    answer = client.post(incidents_url(scene), json=body, headers=login("monitor-ru"))
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
    client: TestClient, login: Login, scene: Scene, change: dict[str, Any], field: str
) -> None:
    before = len(client.get(incidents_url(scene), headers=login("admin")).json()["features"])
    if "restricted_to" in change:
        change = {**change, "restricted_to": [scene.delegation(code) for code in change["restricted_to"]]}
    answer = client.post(incidents_url(scene), json=shelling(scene, **change), headers=login("monitor-ru"))
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"]
    assert len(client.get(incidents_url(scene), headers=login("admin")).json()["features"]) == before


def test_no_place_at_all_is_refused(client: TestClient, login: Login, scene: Scene) -> None:
    body = shelling(scene)
    del body["geometry"]
    answer = client.post(incidents_url(scene), json=body, headers=login("monitor-ru"))
    assert answer.status_code == 422
    assert "observer_site" in answer.json()["detail"]


@pytest.mark.demo_content  # the demo's quorum: both guarantors (the example's force confirms alone)
def test_joint_verification_needs_both_guarantors(client: TestClient, login: Login, scene: Scene) -> None:
    incident = file(client, login, scene)["id"]
    assert verdict(client, login, scene, "verifier-ru", incident, "confirm")["incident_status"] == "under_verification"
    assert verdict(client, login, scene, "verifier-tr", incident, "confirm")["incident_status"] == "confirmed"
    detail = client.get(f"{incidents_url(scene)}/{incident}", headers=login("analyst-ru")).json()
    notes = [(v["delegation"], v["verdict"], v["note"]) for v in detail["properties"]["verifications"]]
    assert notes == [("ru", "confirm", "verifier-ru says confirm"), ("tr", "confirm", "verifier-tr says confirm")]


def test_dissent_is_kept_and_a_change_of_mind_is_added(client: TestClient, login: Login, scene: Scene) -> None:
    incident = file(client, login, scene)["id"]
    verdict(client, login, scene, "verifier-ru", incident, "confirm")
    assert verdict(client, login, scene, "verifier-tr", incident, "reject")["incident_status"] == "disputed"
    assert verdict(client, login, scene, "verifier-tr", incident, "confirm")["incident_status"] == "confirmed"
    history = client.get(f"{incidents_url(scene)}/{incident}/verifications", headers=login("verifier-ru")).json()
    assert [v["verdict"] for v in history] == ["confirm", "reject", "confirm"]


def test_only_verifiers_verify(client: TestClient, login: Login, scene: Scene) -> None:
    incident = file(client, login, scene)["id"]
    for account, expected in [("monitor-ru", 403), ("admin", 403), ("liaison-am", 404), ("analyst-ru", 403)]:
        answer = client.post(
            f"{incidents_url(scene)}/{incident}/verifications", json={"verdict": "confirm"}, headers=login(account)
        )
        assert answer.status_code == expected, (account, answer.text)


def test_allegations_stay_allegations_and_liaisons_see_their_own(
    client: TestClient, login: Login, scene: Scene
) -> None:
    refused = client.post(incidents_url(scene), json=shelling(scene), headers=login("liaison-am"))
    assert refused.status_code == 422
    assert "source must be 'party'" in refused.json()["detail"]
    accused = [{"party": scene.delegation("az"), "actor": ""}]
    allegation = file(client, login, scene, "liaison-am", source="party", means="party_report", alleged_actors=accused)
    assert allegation["properties"]["allegation"] is True
    own = client.get(f"{incidents_url(scene)}/{allegation['id']}", headers=login("liaison-am"))
    assert own.status_code == 200
    assert client.get(f"{incidents_url(scene)}/{allegation['id']}", headers=login("liaison-az")).status_code == 404
    monitors = file(client, login, scene, classification="mission")
    assert client.get(f"{incidents_url(scene)}/{monitors['id']}", headers=login("liaison-am")).status_code == 404
    shared = file(client, login, scene, classification="parties")
    assert client.get(f"{incidents_url(scene)}/{shared['id']}", headers=login("liaison-az")).status_code == 200


def test_a_liaisons_allegation_must_name_the_alleged_actor(client: TestClient, login: Login, scene: Scene) -> None:
    # The service refuses it, so the API does, not only the page: the other side must know what it answers.
    refused = client.post(incidents_url(scene), json=shelling(scene, source="party"), headers=login("liaison-am"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "properties.alleged_actors"
    assert "alleged actor" in refused.json()["detail"]
    accused = [{"party": scene.delegation("az"), "actor": "a mortar crew"}]
    allegation = file(client, login, scene, "liaison-am", source="party", alleged_actors=accused)
    assert allegation["properties"]["alleged_actors"] == accused
    # An amendment that drops the accused is refused too, and the stored record keeps them.
    amended = client.put(
        f"{incidents_url(scene)}/{allegation['id']}", json=shelling(scene, source="party"), headers=login("liaison-am")
    )
    assert amended.status_code == 422
    kept = client.get(f"{incidents_url(scene)}/{allegation['id']}", headers=login("liaison-am")).json()
    assert kept["properties"]["alleged_actors"] == accused
    # A monitor's report need not accuse anyone.
    assert file(client, login, scene, "monitor-ru")["properties"]["alleged_actors"] == []


def test_the_author_amends_or_retracts_before_verification_only(client: TestClient, login: Login, scene: Scene) -> None:
    incident = file(client, login, scene)
    amended = client.put(
        f"{incidents_url(scene)}/{incident['id']}",
        json=shelling(scene, narrative="Three impacts, not four."),
        headers=login("monitor-ru"),
    )
    assert amended.status_code == 200
    assert amended.json()["properties"]["narrative"] == "Three impacts, not four."
    other = client.put(f"{incidents_url(scene)}/{incident['id']}", json=shelling(scene), headers=login("verifier-ru"))
    assert other.status_code == 403
    verdict(client, login, scene, "verifier-ru", incident["id"], "confirm")
    late = client.post(f"{incidents_url(scene)}/{incident['id']}/retract", headers=login("monitor-ru"))
    assert late.status_code == 409
    fresh = file(client, login, scene)
    retracted = client.post(f"{incidents_url(scene)}/{fresh['id']}/retract", headers=login("monitor-ru"))
    assert retracted.json()["properties"]["status"] == "retracted"
    nothing = client.post(
        f"{incidents_url(scene)}/{fresh['id']}/verifications", json={"verdict": "confirm"}, headers=login("verifier-tr")
    )
    assert nothing.status_code == 409


def test_filters_and_pages(client: TestClient, login: Login, scene: Scene) -> None:
    # March 2021 (moved into the scene's mission) lies after either mission's incidents: only these two fall in it.
    file(client, login, scene, start="2021-03-01T08:00:00+04:00")
    file(client, login, scene, lon=46.95, lat=40.00, type="fire", subtype="sniper", start="2021-03-02T08:00:00+04:00")
    headers = login("admin")
    march = {"since": moved(scene, "2021-03-01T00:00:00+04:00"), "until": moved(scene, "2021-04-01T00:00:00+04:00")}
    found = client.get(incidents_url(scene), params=march, headers=headers).json()
    days = [moved(scene, f"2021-03-0{n}T08:00:00+04:00")[:10] for n in (2, 1)]
    assert [f["properties"]["start"][:10] for f in found["features"]] == days
    fire = client.get(incidents_url(scene), params={"type": "fire", **march}, headers=headers).json()
    assert {f["properties"]["subtype"] for f in fire["features"]} == {"sniper"}
    box = client.get(
        incidents_url(scene), params={"bbox": bbox(scene, 46.9, 39.95, 47.0, 40.05), **march}, headers=headers
    ).json()
    assert [f["properties"]["type"] for f in box["features"]] == ["fire"]
    page = client.get(incidents_url(scene), params={"limit": 1, "offset": 1}, headers=headers).json()
    assert len(page["features"]) == 1
    assert client.get(incidents_url(scene), params={"status": "exploded"}, headers=headers).status_code == 422


def test_likely_duplicates_and_merge(client: TestClient, login: Login, scene: Scene) -> None:
    first = file(client, login, scene)
    second = file(client, login, scene, lon=46.801, lat=39.901, start="2020-11-20T14:45:00+04:00")
    far = file(client, login, scene, lon=46.95, lat=40.05)
    found = client.get(f"{incidents_url(scene)}/{first['id']}/duplicates", headers=login("verifier-ru")).json()
    ids = [f["id"] for f in found["features"]]
    assert second["id"] in ids
    assert far["id"] not in ids
    verdict(client, login, scene, "verifier-tr", first["id"], "confirm")
    assert client.post(f"{incidents_url(scene)}/{second['id']}/merge", json={"into": first["id"]},
                       headers=login("monitor-ru")).status_code == 403  # fmt: skip
    merged = client.post(
        f"{incidents_url(scene)}/{second['id']}/merge", json={"into": first["id"]}, headers=login("verifier-ru")
    )
    assert merged.json()["properties"]["merged_into"] == first["id"]
    kept = client.get(f"{incidents_url(scene)}/{first['id']}", headers=login("verifier-ru")).json()
    assert [v["verdict"] for v in kept["properties"]["verifications"]] == ["confirm"]
    itself = client.post(
        f"{incidents_url(scene)}/{first['id']}/merge", json={"into": first["id"]}, headers=login("verifier-ru")
    )
    assert itself.status_code == 422


def test_batch_keeps_the_good_and_reports_the_bad(client: TestClient, login: Login, scene: Scene) -> None:
    features = [shelling(scene), shelling(scene, type="weather"), {"type": "Feature"}, shelling(scene, lon=46.9)]
    answer = client.post(f"{incidents_url(scene)}/batch", json={"type": "FeatureCollection", "features": features},
                         headers=login("monitor-ru"))  # fmt: skip
    assert answer.status_code == 201
    result = answer.json()
    assert len(result["created"]) == 2
    assert [e["index"] for e in result["errors"]] == [1, 2]
    assert "type must be one of" in result["errors"][0]["detail"]


def test_a_new_site_redraws_the_derived_facts(client: TestClient, login: Login, scene: Scene) -> None:
    incident = file(client, login, scene, lon=46.62, lat=39.95)
    site = client.post(
        f"{scene.api}/sites", json=point_feature(*scene.at(46.6201, 39.9501), name="Post 30", kind="post"),
        headers=login("admin"),
    ).json()  # fmt: skip
    again = client.get(f"{incidents_url(scene)}/{incident['id']}", headers=login("monitor-ru")).json()
    assert again["properties"]["nearest_site"] == site["id"]
    assert again["properties"]["nearest_site_km"] < 0.1


def test_an_incidents_history_carries_every_step_with_proofs(client: TestClient, login: Login, scene: Scene) -> None:
    incident = file(client, login, scene)["id"]
    statuses = ["reported"] + [
        verdict(client, login, scene, account, incident, "confirm")["incident_status"]
        for account in ("verifier-ru", "verifier-tr")
    ]
    # Each change of status is a step (two under the demo's quorum of two; one where the force confirms alone).
    changes = sum(before != after for before, after in itertools.pairwise(statuses))
    assert changes >= 1
    history = client.get(f"{incidents_url(scene)}/{incident}/history", headers=login("analyst-ru")).json()
    assert [e["action"] for e in history["entries"]] == ["incident.create"] + ["incident.status"] * changes
    assert client.get(f"{incidents_url(scene)}/{incident}/history", headers=login("liaison-az")).status_code == 404


def test_a_mission_can_forbid_verifying_ones_own_filings(client: TestClient, login: Login, scene: Scene) -> None:
    change = {"allow_self_verification": False}
    assert client.patch(scene.api, json=change, headers=login("verifier-ru")).status_code == 403
    assert client.patch(scene.api, json=change, headers=login("admin")).status_code == 200
    incident = file(client, login, scene)["id"]  # filed by monitor-ru, of the ru delegation
    own = client.post(
        f"{incidents_url(scene)}/{incident}/verifications", json={"verdict": "confirm"}, headers=login("verifier-ru")
    )
    assert own.status_code == 403
    assert "its own members" in own.json()["detail"]
    assert verdict(client, login, scene, "verifier-tr", incident, "confirm")["incident_status"] == "under_verification"


def test_a_restricted_post_is_not_given_away_by_bearing_and_distance(
    client: TestClient, login: Login, scene: Scene
) -> None:
    # The public reads only a public mission's records: the demo is one; the example mission is made one here.
    assert client.patch(scene.api, json={"public": True}, headers=login("admin")).status_code == 200
    secret = client.post(
        f"{scene.api}/sites",
        json=point_feature(*scene.at(46.70, 40.10), name="Hidden post", kind="post", classification="restricted",
                           restricted_to=[scene.delegation("ru"), scene.delegation("tr")]),
        headers=login("admin"),
    ).json()  # fmt: skip
    body = shelling(scene, observer_site=secret["id"], bearing_deg=45.0, distance_km=2.0, classification="public")
    del body["geometry"]
    incident = client.post(incidents_url(scene), json=body, headers=login("monitor-ru")).json()["id"]
    staff = client.get(f"{incidents_url(scene)}/{incident}", headers=login("verifier-tr")).json()["properties"]
    assert staff["observer_site"] == secret["id"]
    assert staff["distance_km"] == 2.0
    public = client.get(f"{incidents_url(scene)}/{incident}").json()["properties"]
    assert public["observer_site"] is None
    assert public["bearing_deg"] is None
    assert public["distance_km"] is None
