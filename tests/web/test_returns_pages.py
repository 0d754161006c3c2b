"""The returns dashboard and the crossing form: the same checks as the API, field by field; the chart's SVG."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import ACCOUNTS
from truce.missions.models import Mission
from truce.movements import charts
from truce.movements.models import Movement
from truce.places.models import Site
from web.conftest import WebClient

BASE = "/m/nk-2020"
MOVERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr", "humanitarian-unhcr"}
LABELS = charts.Labels(title="Returns", cumulative="in all", daily="that day", claimed_total="c", claimed_day="d")


def site(session: Session, scene: Scene, kind: str) -> int:
    """The mission's site where people cross ("checkpoint": the scene's), or its first settlement."""
    mission = select(Mission.id).where(Mission.slug == scene.slug).scalar_subquery()
    where = Site.code == scene.checkpoint if kind == "checkpoint" else Site.kind == kind
    found = select(Site.id).where(Site.mission_id == mission, where).order_by(Site.id).limit(1)
    return int(session.execute(found).scalar_one())


def movements(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Movement)).scalar_one())


def crossing(session: Session, scene: Scene, **changes: str) -> dict[str, str]:
    form = {
        "site_id": str(site(session, scene, "checkpoint")), "direction": "incoming", "kind": "return",
        "on_date": str(scene.shifted(date(2020, 12, 2))), "individuals": "120", "adults_female": "50",
        "escort": "UNHCR", "classification": "parties",
    }  # fmt: skip
    return {**form, **changes}


@pytest.mark.demo_content
def test_the_dashboard_shows_the_returns_from_14_november(web: WebClient) -> None:
    page = web.login("analyst-ru").get(f"{BASE}/returns").text
    assert 'data-total="26250"' in page
    assert "since Nov 14, 2020" in page
    svg = page.split('id="returns-chart">')[1].split("</svg>")[0]
    assert svg.startswith('<svg role="img" aria-label="Cumulative returns" class="chart"')
    assert "<script" not in svg
    # No style for the pages' CSP to refuse (it once left the chart a black box): colours are attributes.
    assert "style" not in svg
    assert 'fill="#ffffff"' in svg
    days = re.findall(r"<tr><td>(2020-\d\d-\d\d)</td><td>([\d,]+)</td><td>([\d,]+)</td></tr>", page)
    assert days[0] == ("2020-11-14", "300", "300")
    assert days[-1] == ("2020-12-01", "2,700", "26,250")
    counters = page.split('id="counters"')[1].split("</table>")[0]
    assert counters.count("<tr data-site=") == 3
    assert "Russian peacekeeping contingent" in page.split('id="convoys"')[1].split("</table>")[0]
    assert "Stepanakert / Khankendi" in page.split('id="settlements"')[1]


@pytest.mark.demo_content  # the demo's total of returns, read by the public of a public mission
def test_the_public_sees_only_public_crossings(web: WebClient, session: Session, scene: Scene) -> None:
    hidden = crossing(session, scene, classification="mission", individuals="777", adults_female="")
    assert web.login("monitor-ru").post_form(f"{BASE}/movements/new", hidden).status_code == 303
    web.logout()
    public = web.get(f"{BASE}/returns").text
    assert 'data-total="26250"' in public
    assert ">777<" not in public
    staff = web.login("analyst-ru").get(f"{BASE}/returns").text
    assert 'data-total="27027"' in staff


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_record_a_crossing(web: WebClient, session: Session, scene: Scene, account: str) -> None:
    before = movements(session)
    answer = web.login(account).post_form(f"{scene.pages}/movements/new", crossing(session, scene))
    if account in MOVERS:
        assert answer.status_code == 303, answer.text[:1000]
        assert re.fullmatch(rf"{scene.pages}/returns\?recorded=\d+#recent", answer.headers["location"])
        assert movements(session) == before + 1
        page = web.get(answer.headers["location"]).text
        assert 'class="highlight"' in page
    else:
        assert answer.status_code == (303 if account == "public" else 403)
        assert movements(session) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"individuals": "-5"}, "individuals", "Give at least 0."),
        ({"individuals": ""}, "individuals", "This field is required."),
        ({"individuals": "ten"}, "individuals", "Write a whole number."),
        ({"individuals": "10", "adults_female": "50"}, "individuals", "add up to more than the individuals"),
        ({"on_date": "before"}, "on_date", "before the mission began"),
        ({"on_date": "2199-01-01"}, "on_date", "in the future"),
        ({"site_id": "settlement"}, "site_id", "not a checkpoint or crossing point"),
        ({"site_id": "987654"}, "site_id", "has no site 987654"),
        ({"kind": "tourism"}, "kind", "Choose one of the offered values."),
        ({"destination_site_id": "checkpoint"}, "destination_site_id", "not a settlement"),
    ],
)
def test_a_bad_crossing_is_refused_on_its_field_and_keeps_the_values(
    web: WebClient, session: Session, mission: Mission, scene: Scene, changes: dict[str, str], field: str, message: str
) -> None:
    assert mission.starts_on is not None
    changes = dict(changes)  # the parameter's own dict is shared by the runs against each mission
    for name, value in changes.items():
        if value in ("settlement", "checkpoint"):
            changes[name] = str(site(session, scene, value))
        if value == "before":  # the day before the mission began
            changes[name] = str(mission.starts_on - timedelta(days=1))
    before = movements(session)
    form = crossing(session, scene, **changes)
    answer = web.login("humanitarian-unhcr").post_form(f"{scene.pages}/movements/new", form)
    assert answer.status_code == 422
    error = re.search(rf'<p class="field-error" id="e-{field}">([^<]+)</p>', answer.text)
    assert error, answer.text[:3000]
    assert message in error.group(1)
    assert 'value="UNHCR"' in answer.text
    assert movements(session) == before


def test_a_crossing_has_its_own_page(web: WebClient, session: Session, scene: Scene) -> None:
    form = crossing(session, scene, convoy="T-1")
    answer = web.login("humanitarian-unhcr").post_form(f"{scene.pages}/movements/new", form)
    movement_id = re.search(r"recorded=(\d+)", answer.headers["location"])
    assert movement_id
    page = web.get(f"{scene.pages}/movements/{movement_id.group(1)}").text
    assert "Women" in page
    assert "T-1" in page
    assert scene.delegation("unhcr") in page  # the recording delegation


def test_the_chart_is_the_same_bytes_for_the_same_data() -> None:
    days = [
        {"date": "2020-11-14", "returned": 300, "cumulative": 300},
        {"date": "2020-11-15", "returned": 450, "cumulative": 750},
    ]
    draw = charts.cumulative_returns.__wrapped__  # type: ignore[attr-defined]  # drawn twice, not kept
    first = draw(days, LABELS)
    assert first == draw(days, LABELS)
    assert first != draw([{**days[0], "returned": 301, "cumulative": 301}], LABELS)
    assert first.startswith('<svg role="img" aria-label="Returns" class="chart"')
    assert "viewBox=" in first
    assert "<?xml" not in first
    assert " width=" not in first.split(">")[0]


def test_chart_labels_are_escaped() -> None:
    labels = charts.Labels(title='"><script>x</script>', cumulative="a", daily="b")
    svg = charts.cumulative_returns([{"date": "2020-11-14", "returned": 1, "cumulative": 1}], labels)
    assert "<script>" not in svg
    assert 'aria-label="&quot;&gt;&lt;script&gt;' in svg


def test_claimed_figures_are_drawn_as_markers() -> None:
    days = [
        {"date": "2020-11-21", "returned": 1100, "cumulative": 6900, "claimed": [{"value": 7000, "cumulative": True}]},
        {"date": "2020-11-22", "returned": 1400, "cumulative": 8300, "claimed": [{"value": 1400, "cumulative": False}]},
    ]
    with_claims = charts.claimed_and_counted(days, LABELS)
    without = charts.claimed_and_counted([{**d, "claimed": []} for d in days], LABELS)
    assert with_claims == charts.claimed_and_counted.__wrapped__(days, LABELS)  # type: ignore[attr-defined]
    assert len(with_claims) > len(without)


def test_a_chart_is_drawn_once_for_the_same_data_and_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages ask for the same chart again and again; it is drawn again only when its data or its words change."""
    drawn: list[str] = []
    real = charts._svg

    def counting(figure: Any, title: str, salt: str) -> str:
        drawn.append(title)
        return real(figure, title, salt)

    monkeypatch.setattr(charts, "_svg", counting)
    days = [{"date": "2020-11-14", "returned": 7_654_321, "cumulative": 7_654_321}]  # figures no other test draws
    first = charts.cumulative_returns(days, LABELS)
    assert charts.cumulative_returns([dict(day) for day in days], LABELS) == first
    assert len(drawn) == 1
    assert charts.cumulative_returns([{**days[0], "returned": 7_654_322}], LABELS) != first
    russian = charts.Labels(title="Возвращения", cumulative="Всего", daily="За день")
    assert 'aria-label="Возвращения"' in charts.cumulative_returns(days, russian)
    assert len(drawn) == 3
