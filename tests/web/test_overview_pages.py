"""The role-aware overview (issue 17, part 7): an "as of" day (the latest with data unless chosen) and a panel
of what needs the reader's action, counted from what the reader may read."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import Login
from truce import policy
from truce.incidents.models import Incident
from truce.policy import Actor
from web.conftest import WebClient


def stat(page: str, name: str) -> int:
    found = re.search(rf'data-stat="{name}">([\d,\xa0 ]+)<', page)
    assert found, name
    return int(re.sub(r"\D", "", found.group(1)))


def action(page: str, key: str) -> int:
    found = re.search(rf'data-action="{key}" data-count="(\d+)"', page)
    assert found, key
    return int(found.group(1))


def test_the_day_is_the_latest_with_data_unless_chosen(
    web: WebClient, session: Session, scene: Scene, member: Callable[[str], Actor]
) -> None:
    base = scene.pages
    page = web.login("analyst-ru").get(f"{base}/").text
    latest = session.execute(select(func.max(Incident.start))).scalar_one()
    assert latest is not None
    shown = re.search(r'name="as_of" type="date" value="(\d{4}-\d\d-\d\d)"', page)
    assert shown is not None
    assert shown.group(1) <= str(scene.shifted(date(2020, 12, 31)))
    assert stat(page, "today") >= 1  # the mission's own last day has incidents
    chosen_day = scene.shifted(date(2020, 11, 12))
    chosen = web.get(f"{base}/?as_of={chosen_day}").text
    assert f'value="{chosen_day}"' in chosen
    midnight = datetime.combine(chosen_day, time(), UTC) - scene.offset  # the day at the mission's clock
    day = session.execute(
        select(func.count(Incident.id)).where(
            Incident.start >= midnight,
            Incident.start < midnight + timedelta(days=1),
            policy.readable(member("analyst-ru"), Incident),
        )
    ).scalar_one()  # fmt: skip
    assert stat(chosen, "today") == day
    assert 'value="' in web.get(f"{base}/?as_of=not-a-day").text  # a bad day falls back, it does not fail


def test_a_verifier_is_told_the_verdicts_owed(web: WebClient, scene: Scene) -> None:
    base = scene.pages
    web.login("verifier-ru")
    page = web.get(f"{base}/").text
    queue = web.get(f"{base}/verification").text
    owed = int(re.search(r'id="queue-mine".*?data-total="(\d+)"', queue, re.S).group(1))  # type: ignore[union-attr]
    assert action(page, "owed") == owed > 0


def test_a_liaison_sees_their_allegations_and_the_public_no_panel(
    web: WebClient, session: Session, scene: Scene
) -> None:
    base = scene.pages
    page = web.login("liaison-am").get(f"{base}/").text
    assert 'data-action="owed"' not in page
    mine = session.execute(
        select(func.count(Incident.id)).where(
            Incident.author_delegation == scene.delegation("am"), Incident.status == "confirmed"
        )
    ).scalar_one()
    assert action(page, "mine-confirmed") == mine
    assert "Your allegations still waiting for verification" in page
    web.client.cookies.clear()
    assert 'id="needs-action"' not in web.get(f"{base}/").text


def test_the_overview_has_a_small_map_and_names_silent_phones_to_who_watches_them(
    web: WebClient, client: TestClient, login: Login, scene: Scene
) -> None:
    base = scene.pages
    made = client.post(f"{scene.api}/devices", json={"name": "post-9-phone", "delegation": scene.delegation("ru")},
                       headers=login("admin"))  # fmt: skip
    assert made.status_code == 201, made.text
    page = web.login("monitor-ru").get(f"{base}/").text
    assert 'id="silent-phones"' in page
    assert 'data-phone="post-9-phone"' in page
    assert "never sent anything" in page
    # The small map asks the map's own route for the week to the "as of" day.
    shown = re.search(r'name="as_of" type="date" value="(\d{4}-\d\d-\d\d)"', page)
    assert shown is not None
    assert f"until={shown.group(1)}" in page
    assert 'id="overview-map"' in page
    # An analyst is not told of phones; the Turkish verifier (or its counterpart) of its own delegation's only.
    assert 'id="silent-phones"' not in web.login("analyst-ru").get(f"{base}/").text
    turkish = web.login("verifier-tr").get(f"{base}/").text
    assert 'id="silent-phones"' in turkish
    assert 'data-phone="post-9-phone"' not in turkish


@pytest.mark.demo_content  # the demo's crossings: the example mission has recorded none
def test_who_counts_crossings_sees_that_days_count(web: WebClient, session: Session, scene: Scene) -> None:
    from truce.movements.models import Movement

    base = scene.pages
    day = session.execute(select(func.max(Movement.on_date))).scalar_one()
    assert day is not None
    page = web.login("humanitarian-unhcr").get(f"{base}/?as_of={day.isoformat()}").text
    expected = session.execute(select(func.count(Movement.id)).where(Movement.on_date == day)).scalar_one()
    assert action(page, "crossings") == expected > 0
    assert 'data-action="crossings"' not in web.login("analyst-ru").get(f"{base}/").text
