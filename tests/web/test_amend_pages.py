"""Amend, retract and merge in the pages (issue 17, part 3), as the API allows: the author amends or retracts
before verification; verifiers see likely duplicates and merge them; each change is a new version in the log."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene, in_mission
from support import Login, point_feature
from truce.incidents.models import Incident
from truce.ledger.models import LogEntry
from web.conftest import WebClient


def entry(scene: Scene) -> dict[str, str]:
    """Bursts heard from a post, accused on the first side, on a day and at a place of the scene's mission."""
    lon, lat = scene.at(46.74, 39.81)
    return {
        "type": "fire", "subtype": "small_arms", "date": str(scene.shifted(date(2020, 11, 27))), "time": "22:10",
        "source": "post", "narrative": "Bursts heard (amend test).", "classification": "mission", "placement": "map",
        "lat": str(lat), "lon": str(lon), "count.events": "12", f"alleged.{scene.delegation('am')}": "1",
    }  # fmt: skip


def file_by_form(web: WebClient) -> int:
    answer = web.post_form(f"{web.scene.pages}/incidents/new", entry(web.scene))
    assert answer.status_code == 303, answer.text[:800]
    return int(answer.headers["location"].split("?")[0].rsplit("/", 1)[1])


def actions(session: Session, incident_id: int) -> list[str]:
    stmt = select(LogEntry.action).where(LogEntry.entity_type == "incidents", LogEntry.entity_id == str(incident_id))
    return list(session.execute(stmt.order_by(LogEntry.idx)).scalars())


def test_the_author_amends_with_the_form_filled_in(web: WebClient, session: Session, scene: Scene) -> None:
    base, form_data, side = scene.pages, entry(scene), scene.delegation("am")
    web.login("monitor-ru")
    incident_id = file_by_form(web)
    detail = web.get(f"{base}/incidents/{incident_id}").text
    assert 'id="author-actions"' in detail
    form = web.get(f"{base}/incidents/{incident_id}/edit").text
    assert f'value="{form_data["date"]}"' in form
    assert 'value="22:10"' in form
    assert 'value="12"' in form
    assert "Bursts heard (amend test)." in form
    assert f'id="f-alleged.{side}" name="alleged.{side}" value="1" checked' in form
    moved = scene.at(46.74, 39.82)[1]
    answer = web.post_form(
        f"{base}/incidents/{incident_id}/edit", {**form_data, "lat": str(moved), "count.events": "14"}
    )
    assert answer.status_code == 303, answer.text[:800]
    assert answer.headers["location"].endswith("?amended=1")
    incident = session.get(Incident, incident_id)
    assert incident is not None
    session.refresh(incident)
    assert incident.lat == moved
    assert incident.counts == {"events": 14}
    assert actions(session, incident_id) == ["incident.create", "incident.update"]
    wrong = web.post_form(f"{base}/incidents/{incident_id}/edit", {**form_data, "date": "2099-01-01"})
    assert wrong.status_code == 422
    assert "This is in the future" in wrong.text


def test_only_the_author_and_only_before_verification(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    web.login("monitor-ru")
    incident_id = file_by_form(web)
    web.client.cookies.clear()
    web.login("verifier-ru")
    assert 'id="author-actions"' not in web.get(f"{base}/incidents/{incident_id}").text
    assert web.get(f"{base}/incidents/{incident_id}/edit").status_code == 403
    assert web.post_form(f"{base}/incidents/{incident_id}/retract", {}).status_code == 403
    assert web.post_form(f"{base}/incidents/{incident_id}/verify", {"verdict": "confirm"}).status_code == 303
    web.client.cookies.clear()
    web.login("monitor-ru")
    assert web.get(f"{base}/incidents/{incident_id}/edit").status_code == 409
    assert web.post_form(f"{base}/incidents/{incident_id}/retract", {}).status_code == 409
    assert 'id="author-actions"' not in web.get(f"{base}/incidents/{incident_id}").text


def test_the_author_retracts(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    web.login("monitor-ru")
    incident_id = file_by_form(web)
    answer = web.post_form(f"{base}/incidents/{incident_id}/retract", {})
    assert answer.status_code == 303
    assert "retracted=1" in answer.headers["location"]
    assert session.execute(select(Incident.status).where(Incident.id == incident_id)).scalar_one() == "retracted"
    assert actions(session, incident_id)[-1] == "incident.retract"
    assert 'data-status="retracted"' in web.get(f"{base}/incidents/{incident_id}").text


def test_verifiers_see_likely_duplicates_and_merge_them(
    client: TestClient, login: Login, web: WebClient, session: Session, scene: Scene
) -> None:
    base, ids = scene.pages, []
    start = scene.moment(11, day=scene.shifted(date(2020, 12, 4)))
    for account, lon in (("monitor-ru", 46.7001), ("verifier-tr", 46.7021)):
        body = point_feature(*scene.at(lon, 39.7), type="air", subtype="drone_overflight", start=start,
                             source="post")  # fmt: skip
        answer = client.post(f"{scene.api}/incidents", json=body, headers=login(account))
        assert answer.status_code == 201
        ids.append(int(answer.json()["id"]))
    first, second = ids
    web.login("monitor-ru")
    assert 'id="duplicates"' not in web.get(f"{base}/incidents/{second}").text  # a monitor does not merge
    assert web.post_form(f"{base}/incidents/{second}/merge", {"into": str(first)}).status_code == 403
    web.client.cookies.clear()
    web.login("verifier-ru")
    page = web.get(f"{base}/incidents/{second}").text
    assert f'data-duplicate="{first}"' in page
    answer = web.post_form(f"{base}/incidents/{second}/merge", {"into": str(first)})
    assert answer.status_code == 303
    merged = session.get(Incident, second)
    assert merged is not None
    session.refresh(merged)
    assert merged.merged_into_id == first
    assert session.get(Incident, first) is not None  # both records are kept
    assert actions(session, second)[-1] == "incident.merge"
    after = web.get(f"{base}/incidents/{second}").text
    assert 'id="merged-into"' in after
    assert 'id="duplicates"' not in after


@pytest.mark.parametrize(
    ("change", "field", "english", "russian"),
    [
        ({"date": "2099-01-01"}, "date", "This is in the future: give the time the incident began.",
         "Это время в будущем: укажите, когда начался инцидент."),
        ({"date": "2019-06-01"}, "date", "This is before the mission began.", "Это раньше начала миссии."),
        ({"restricted_to.ru": "ru"}, "restricted_to", "Only a restricted incident names delegations.",
         "Делегации указываются только для инцидента с ограниченным доступом."),
        ({"subtype": "made_up"}, "subtype", "Choose a subtype from the list.", "Выберите подтип из списка."),
    ],
    ids=["in_future", "before_mission", "delegations_unrestricted", "subtype_unknown"],
)  # fmt: skip
def test_an_amendment_refused_says_so_on_its_field_in_each_language(
    web: WebClient, scene: Scene, change: dict[str, str], field: str, english: str, russian: str
) -> None:
    web.login("monitor-ru")
    incident_id = file_by_form(web)
    for language, words in (("en", english), ("ru", russian)):
        web.client.cookies.set("truce_lang", language)
        moved = in_mission(change, scene)
        answer = web.post_form(f"{scene.pages}/incidents/{incident_id}/edit", {**entry(scene), **moved})
        assert answer.status_code == 422
        found = re.search(rf'<a href="#f-{re.escape(field)}">([^<]*)</a>', answer.text)
        assert found is not None, answer.text[:1500]
        assert html.unescape(found[1]) == words
