"""The verification workspace (issue 17, part 4): the queue split by whose verdict it waits for, with filters,
orders and true totals; the verify form shows the whole incident; after a verdict, a confirmation and the next."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import Login, point_feature
from truce import policy
from truce.incidents.models import Incident, Verification
from truce.policy import Actor
from truce.verification.queue import OPEN
from web.conftest import WebClient
from web.exif_photo import jpeg_with_gps


def file_one(client: TestClient, login: Login, scene: Scene, account: str = "monitor-ru", **properties: object) -> int:
    start = scene.moment(9, day=scene.shifted(date(2020, 12, 1)))
    body = point_feature(*scene.point, type="explosion", subtype="rocket", start=start, source="post")
    body["properties"].update(properties)
    answer = client.post(f"{scene.api}/incidents", json=body, headers=login(account))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def rows(html: str, side: str) -> list[int]:
    section = html.split(f'id="queue-{side}"', 1)[1].split("</section>", 1)[0]
    return [int(n) for n in re.findall(r'<tr data-incident="(\d+)"', section)]


def total(html: str, side: str) -> int:
    section = html.split(f'id="queue-{side}"', 1)[1]
    return int(re.search(r'data-total="(\d+)"', section).group(1))  # type: ignore[union-attr]


def open_count(session: Session, actor: Actor) -> int:
    """The open incidents the verifier may read (the example's restricted records are its force's alone)."""
    stmt = select(func.count(Incident.id)).where(
        Incident.status.in_(OPEN), Incident.merged_into_id.is_(None), policy.readable(actor, Incident)
    )
    return session.execute(stmt).scalar_one()


def test_the_queue_splits_by_whose_verdict_is_awaited(
    client: TestClient, login: Login, web: WebClient, session: Session, scene: Scene, member: Callable[[str], Actor]
) -> None:
    base = scene.pages
    web.login("verifier-tr")
    before = web.get(f"{base}/verification").text
    fresh = file_one(client, login, scene, narrative="Queue test.")
    page = web.get(f"{base}/verification").text
    assert total(page, "mine") == total(before, "mine") + 1
    assert total(page, "other") == total(before, "other")
    # The totals are true totals, however many rows a page shows.
    assert total(page, "mine") + total(page, "other") == open_count(session, member("verifier-tr"))
    assert len(rows(page, "mine")) == min(100, total(page, "mine"))
    verdict = web.post_form(f"{base}/incidents/{fresh}/verify", {"verdict": "confirm", "note": "Crater seen."})
    assert verdict.status_code == 303
    again = web.get(f"{base}/verification?sort=event&type=explosion").text
    after = web.get(f"{base}/verification").text
    assert total(after, "mine") == total(before, "mine")
    assert total(after, "other") == total(before, "other") + 1
    assert fresh not in rows(again, "mine")
    assert fresh in rows(again, "other") or total(again, "other") > len(rows(again, "other"))
    assert "by event time, oldest first" in again


def test_filters_narrow_the_queue(
    client: TestClient, login: Login, web: WebClient, session: Session, scene: Scene
) -> None:
    base = scene.pages
    allegation = file_one(client, login, scene, "liaison-am", source="party", classification="parties",
                          alleged_actors=[{"party": scene.delegation("az"), "actor": ""}])  # fmt: skip
    web.login("verifier-ru")
    only = web.get(f"{base}/verification?source=allegation&type=explosion&sort=filed").text
    shown = rows(only, "mine") + rows(only, "other")
    assert allegation in shown or total(only, "mine") > len(rows(only, "mine"))
    ids = set(shown)
    found = session.execute(select(Incident.source, Incident.type).where(Incident.id.in_(ids))).all()
    assert found
    assert all(source == "party" and kind == "explosion" for source, kind in found)
    monitors = web.get(f"{base}/verification?source=monitor").text
    assert allegation not in rows(monitors, "mine") + rows(monitors, "other")


def test_the_verify_form_shows_the_whole_incident_then_the_next(
    client: TestClient, login: Login, web: WebClient, session: Session, scene: Scene
) -> None:
    base = scene.pages
    incident_id = file_one(
        client, login, scene, narrative="Rocket impact near the school.", counts={"impacts": 2},
        casualties={"injured": {"civilian": 1}},
    )  # fmt: skip
    upload = client.post(
        f"{scene.api}/incidents/{incident_id}/evidence",
        # Taken 11 km north of the report's position.
        files={"file": ("crater.jpg", jpeg_with_gps(scene.point[1] + 0.1, scene.point[0]), "image/jpeg")},
        headers=login("monitor-ru"),
    )
    assert upload.status_code == 201
    web.login("verifier-tr")
    first = web.post_form(f"{base}/incidents/{incident_id}/verify", {"verdict": "confirm", "note": "TR saw it."})
    assert first.status_code == 303
    web.client.cookies.clear()
    web.login("verifier-ru")
    page = web.get(f"{base}/incidents/{incident_id}/verify").text
    assert "Rocket impact near the school." in page
    assert 'id="verify-map"' in page
    assert "crater.jpg" in page
    assert "metadata disagrees with the report" in page
    assert 'id="filer"' in page
    assert "TR saw it." in page  # the other delegation's verdict and note
    assert "Impacts: 2" in page
    done = web.post_form(f"{base}/incidents/{incident_id}/verify", {"verdict": "confirm", "note": "RU agrees."})
    assert done.status_code == 303
    assert f"after={incident_id}&status=confirmed" in done.headers["location"]
    following = web.get(done.headers["location"]).text
    assert 'id="verdict-notice"' in following
    assert "Confirmed" in following
    stmt = select(func.count(Verification.id)).where(Verification.incident_id == incident_id)
    assert session.execute(stmt).scalar_one() == 2


def test_a_verdict_without_a_choice_keeps_the_note(
    client: TestClient, login: Login, web: WebClient, scene: Scene
) -> None:
    base = scene.pages
    incident_id = file_one(client, login, scene)
    web.login("verifier-tr")
    answer = web.post_form(f"{base}/incidents/{incident_id}/verify", {"note": "Half-written note."})
    assert answer.status_code == 422
    assert 'id="e-verdict"' in answer.text
    assert "Half-written note." in answer.text
