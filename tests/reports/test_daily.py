"""The daily situation report's content: counts, the day in the mission's time zone, what staff may read, and
the same bytes for the same data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from reports.conftest import DAY, SECRET
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.policy import Actor
from truce.reports import build, charts, render, service


def html_of(session: Session, mission: Mission, on: date = DAY) -> str:
    return service.daily_document(session, mission, on, "html").decode("utf-8")


def test_the_same_data_gives_the_same_bytes(session: Session, mission: Mission) -> None:
    first = service.daily_document(session, mission, DAY, "html")
    second = service.daily_document(session, mission, DAY, "html")
    assert first == second
    text = first.decode("utf-8")
    # Nothing depends on when it was generated: no dates of today, no matplotlib creation stamp.
    assert "<dc:date>" not in text
    assert "Matplotlib v" not in text
    assert "Daily situation report, 21 November 2020" in text


def test_chart_svg_is_stable_and_self_contained(session: Session, mission: Mission) -> None:
    context = build.daily(session, mission, DAY)
    svgs = [charts.trend_chart(context.trend) for _ in range(2)]
    assert svgs[0] == svgs[1]
    assert svgs[0].startswith("<svg")
    assert not re.search(r'(href|src)="(?!#|data:)', svgs[0]), "a chart must not point outside itself"


def test_summary_counts_by_zone_against_the_previous_day(
    session: Session, mission: Mission, file_incident: Callable[..., Incident]
) -> None:
    before = build.daily(session, mission, DAY)
    incident = file_incident()
    after = build.daily(session, mission, DAY)
    assert after.total_today == before.total_today + 1
    assert after.total_previous == before.total_previous
    row = next(r for r in after.incidents if r.id == incident.id)
    now = {z.zone: z.today for z in after.zones}
    was = {z.zone: z.today for z in before.zones}
    assert now[row.zone] == was.get(row.zone, 0) + 1
    assert all(now[zone] == was.get(zone, 0) for zone in now if zone != row.zone)
    html = html_of(session, mission)
    summary = (
        f"recorded <strong>{after.total_today}</strong> incidents on 21 November 2020, against {after.total_previous}"
    )
    assert summary in html
    assert row.local_time == "14:30"
    assert "of Shusha / Shushi" in row.place
    assert f"<strong>No. {incident.id}</strong>" in html


def test_the_day_is_the_mission_day_not_the_utc_day(
    session: Session, mission: Mission, file_incident: Callable[..., Incident]
) -> None:
    # 21:30 UTC on 21 November is 01:30 on 22 November in the mission (UTC+04:00).
    late = file_incident(start="2020-11-21T21:30:00+00:00")
    early = file_incident(start="2020-11-20T20:30:00+00:00")  # 00:30 on 21 November, mission time
    on_21 = {r.id: r for r in build.daily(session, mission, DAY).incidents}
    on_22 = {r.id for r in build.daily(session, mission, date(2020, 11, 22)).incidents}
    assert late.id in on_22
    assert late.id not in on_21
    assert early.id in on_21
    assert on_21[early.id].local_time == "00:30"


def test_staff_report_leaves_out_restricted_records_and_retractions(
    session: Session, mission: Mission, file_incident: Callable[..., Incident], member: Callable[[str], Actor]
) -> None:
    hidden = file_incident(member("verifier-tr"), classification="restricted", restricted_to=["tr"], narrative=SECRET)
    staff = file_incident(classification="mission", narrative="Mission-only observation near the road.")
    ids = {r.id for r in build.daily(session, mission, DAY).incidents}
    assert staff.id in ids
    assert hidden.id not in ids
    assert SECRET not in html_of(session, mission)


def test_summary_bullets_cover_harm_access_returns_and_provisions(
    session: Session, mission: Mission, file_incident: Callable[..., Incident]
) -> None:
    file_incident(type="civilian_harm", subtype="injured", casualties={"injured": {"civilian": 2}})
    file_incident(type="access", subtype="monitors_restricted", lon=46.55, lat=39.64)
    context = build.daily(session, mission, DAY)
    html = html_of(session, mission)
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


def test_trend_covers_seven_days_ending_on_the_day(session: Session, mission: Mission) -> None:
    context = build.daily(session, mission, DAY)
    assert [d.on.day for d in context.trend] == [15, 16, 17, 18, 19, 20, 21]
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
    session: Session, mission: Mission, file_incident: Callable[..., Incident]
) -> None:
    filed = [
        file_incident(type="access", subtype="convoy_blocked", start=f"2020-11-21T1{n}:00:00+04:00") for n in range(9)
    ]
    html = html_of(session, mission)
    assert "Restrictions on the monitors: 9 (" in html
    assert "; and 1 more (see the annex))." in html
    assert all(f"<strong>No. {incident.id}</strong>" in html for incident in filed)
