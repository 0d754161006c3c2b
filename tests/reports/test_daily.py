"""The daily situation report's content: counts, the day in the mission's time zone, what staff may read, and
the same bytes for the same data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.orm import Session

from mission_examples import Scene
from reports.conftest import DAY, SECRET, Towns
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.policy import Actor
from truce.reports import build, charts, render, service


def html_of(session: Session, mission: Mission, on: date) -> str:
    return service.daily_document(session, mission, on, "html").decode("utf-8")


def written(day: date) -> str:
    """A day as the English report writes it: "21 November 2020"."""
    return f"{day.day} {day:%B %Y}"


def test_the_same_data_gives_the_same_bytes(session: Session, mission: Mission, day: date) -> None:
    first = service.daily_document(session, mission, day, "html")
    second = service.daily_document(session, mission, day, "html")
    assert first == second
    text = first.decode("utf-8")
    # Nothing depends on when it was generated: no dates of today, no matplotlib creation stamp.
    assert "<dc:date>" not in text
    assert "Matplotlib v" not in text
    assert f"Daily situation report, {written(day)}" in text


def test_chart_svg_is_stable_and_self_contained(session: Session, mission: Mission, day: date) -> None:
    context = build.daily(session, mission, day)
    svgs = [charts.trend_chart(context.trend) for _ in range(2)]
    assert svgs[0] == svgs[1]
    assert svgs[0].startswith("<svg")
    assert not re.search(r'(href|src)="(?!#|data:)', svgs[0]), "a chart must not point outside itself"


def test_summary_counts_by_zone_against_the_previous_day(
    session: Session, mission: Mission, file_incident: Callable[..., Incident], day: date, towns: Towns
) -> None:
    before = build.daily(session, mission, day)
    incident = file_incident()
    after = build.daily(session, mission, day)
    assert after.total_today == before.total_today + 1
    assert after.total_previous == before.total_previous
    row = next(r for r in after.incidents if r.id == incident.id)
    now = {z.zone: z.today for z in after.zones}
    was = {z.zone: z.today for z in before.zones}
    assert now[row.zone] == was.get(row.zone, 0) + 1
    assert all(now[zone] == was.get(zone, 0) for zone in now if zone != row.zone)
    html = html_of(session, mission, day)
    summary = (
        f"recorded <strong>{after.total_today}</strong> incidents on {written(day)}, against {after.total_previous}"
    )
    assert summary in html
    assert row.local_time == "14:30"
    assert f"of {towns.near}" in row.place
    assert f"<strong>No. {incident.id}</strong>" in html


def test_the_day_is_the_mission_day_not_the_utc_day(
    session: Session, mission: Mission, file_incident: Callable[..., Incident], day: date, scene: Scene
) -> None:
    # In nk-2020 (UTC+04:00), 21:30 UTC on 21 November is 01:30 on 22 November in the mission.
    midnight = datetime.combine(day, time(), tzinfo=UTC) - scene.offset  # the day's first moment, mission time
    late = file_incident(start=(midnight + timedelta(days=1, hours=1, minutes=30)).isoformat())
    early = file_incident(start=(midnight + timedelta(minutes=30)).isoformat())  # 00:30 on the day, mission time
    on_21 = {r.id: r for r in build.daily(session, mission, day).incidents}
    on_22 = {r.id for r in build.daily(session, mission, day + timedelta(days=1)).incidents}
    assert late.id in on_22
    assert late.id not in on_21
    assert early.id in on_21
    assert on_21[early.id].local_time == "00:30"


def test_staff_report_leaves_out_restricted_records_and_retractions(
    session: Session,
    mission: Mission,
    file_incident: Callable[..., Incident],
    member: Callable[[str], Actor],
    day: date,
    scene: Scene,
) -> None:
    only = [scene.delegation("tr")]
    hidden = file_incident(member("verifier-tr"), classification="restricted", restricted_to=only, narrative=SECRET)
    staff = file_incident(classification="mission", narrative="Mission-only observation near the road.")
    ids = {r.id for r in build.daily(session, mission, day).incidents}
    assert staff.id in ids
    assert hidden.id not in ids
    assert SECRET not in html_of(session, mission, day)


@pytest.mark.demo_content  # the demo's returns and its provisions due that week
def test_summary_bullets_cover_harm_access_returns_and_provisions(
    session: Session, mission: Mission, file_incident: Callable[..., Incident]
) -> None:
    file_incident(type="civilian_harm", subtype="injured", casualties={"injured": {"civilian": 2}})
    file_incident(type="access", subtype="monitors_restricted", lon=46.55, lat=39.64)
    context = build.daily(session, mission, DAY)
    html = html_of(session, mission, DAY)
    # The demo's own allegations of that day count casualties too; the filed 2 injured are among the total.
    killed = sum(i.civilian_killed for i in context.civilian_harm)
    injured = sum(i.civilian_injured for i in context.civilian_harm)
    assert injured >= 2
    assert f"{killed} civilians killed and {injured} injured" in html
    assert "Restrictions on the monitors: 1 (monitors restricted" in html
    assert "of Lachin / Berdzor" in html
    assert context.returns.on_day > 0
    assert (
        f"Returns: {context.returns.on_day:,} people returned on the day; {context.returns.cumulative:,} in all" in html
    )
    assert context.provisions, "the demo's Kalbajar handover (extended to 25 November) is due within a week"
    assert all(f"point {p.number}, {p.when}" in html for p in context.provisions)


def test_trend_covers_seven_days_ending_on_the_day(session: Session, mission: Mission, day: date) -> None:
    context = build.daily(session, mission, day)
    assert [d.on for d in context.trend] == [day - timedelta(days=n) for n in range(6, -1, -1)]
    assert context.trend[-1].total == context.total_today
    assert context.trend[-2].total == context.total_previous


def test_pdf_fetcher_refuses_everything_but_data_uris() -> None:
    fetcher = render._fetcher()
    for url in ("file:///etc/hostname", "http://127.0.0.1:9/x.png", "https://example.org/logo.png"):
        try:
            fetcher.fetch(url)
        except ValueError:
            continue
        raise AssertionError(f"fetched {url}")
    response = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert response is not None


def test_a_busy_day_lists_the_first_few_in_the_summary_and_all_in_the_annex(
    session: Session, mission: Mission, file_incident: Callable[..., Incident], day: date, scene: Scene
) -> None:
    filed = [file_incident(type="access", subtype="convoy_blocked", start=scene.moment(10 + n)) for n in range(9)]
    html = html_of(session, mission, day)
    assert "Restrictions on the monitors: 9 (" in html
    assert "; and 1 more (see the annex))." in html
    assert all(f"<strong>No. {incident.id}</strong>" in html for incident in filed)
