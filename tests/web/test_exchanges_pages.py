"""Exchanges: who sees them, who sees the personal identifiers, differences shown, and the forms of each role."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene, with_intermediary
from support import ACCOUNTS, STAFF
from truce.missions.models import Mission
from truce.movements import service as movements_service
from truce.movements.models import Exchange
from truce.movements.schemas import ExchangeIn, ExchangeListIn, HandoverIn
from truce.policy import Actor
from web.conftest import WebClient

BASE = "/m/nk-2020"
# Exchanges are classified `parties`; their lists are restricted to the two sides and the intermediary.
READERS = STAFF | {"liaison-am", "liaison-az", "humanitarian-unhcr"}
# The two sides only (the demo's exchanges have no intermediary with an account): never the administrator.
IDENTIFIER_READERS = {"liaison-am", "liaison-az"}
OPENERS = {"admin", "humanitarian-unhcr"}


@pytest.fixture(autouse=True)
def intermediary(request: pytest.FixtureRequest) -> None:
    with_intermediary(request)


@pytest.fixture
def pending(session: Session, mission: Mission, scene: Scene) -> int:
    """An exchange of bodies as the demo's own: side am's list in (2 bodies to hand over, with identifiers; 6 to
    receive), side az's awaited."""
    system, am, az = Actor.system(mission.id), scene.delegation("am"), scene.delegation("az")
    body = ExchangeIn(kind="bodies", side_a=am, side_b=az, intermediary="icrc",
                      planned_on=scene.shifted(date(2020, 12, 20)), place="the corridor")  # fmt: skip
    exchange = movements_service.create_exchange(session, mission, body, actor=system)
    data = ExchangeListIn.model_validate(
        {"side": am, "hands_over": {"bodies": 2, "identifiers": ["AZ-B-001", "AZ-B-002"]}, "receives": {"bodies": 6}}
    )
    movements_service.submit_list(session, mission, exchange.id, data, actor=system)
    session.commit()
    return exchange.id


def demo_exchange(session: Session, kind: str) -> int:
    return int(session.execute(select(Exchange.id).where(Exchange.kind == kind)).scalar_one())


def exchanges(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Exchange)).scalar_one())


@pytest.mark.demo_content
@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_sees_exchanges_and_their_identifiers(web: WebClient, session: Session, account: str) -> None:
    detainees = demo_exchange(session, "detainees")
    web.login(account)
    listed = web.get(f"{BASE}/exchanges").text
    detail = web.get(f"{BASE}/exchanges/{detainees}")
    if account not in READERS:
        assert f'id="exchange-{detainees}"' not in listed
        assert detail.status_code == 404
        return
    assert f'id="exchange-{detainees}"' in listed
    assert detail.status_code == 200
    # The difference itself is shown to every reader, never resolved; the names behind it only to the sides.
    # In words, with the parties by name.
    assert "Republic of Azerbaijan lists 13 detainees to hand over; Republic of Armenia expects 14" in detail.text
    assert "0 identifiers only on the list of Republic of Azerbaijan, 1 only on the list of Republic of Armenia" in (
        detail.text
    )
    shows_identifiers = "AM-D-014" in detail.text
    assert shows_identifiers == (account in IDENTIFIER_READERS)
    assert ("AZ-D-001" in detail.text) == (account in IDENTIFIER_READERS)
    assert ("AM-D-014" in listed) == (account in IDENTIFIER_READERS)


@pytest.mark.demo_content
def test_the_exchange_page_shows_handover_intermediary_and_confirmations(web: WebClient, session: Session) -> None:
    page = web.login("humanitarian-unhcr").get(f"{BASE}/exchanges/{demo_exchange(session, 'detainees')}").text
    assert 'data-status="confirmed"' in page
    assert "Handed over on 2020-12-14" in page
    assert "through" in page
    assert "International Committee of the Red Cross" in page or "icrc" in page
    assert page.count("confirmed by liaison-") == 2
    assert "the fourteenth listed person remains missing" in page
    assert 'action="' not in page.split('id="handover"')[1].split("</section>")[0]  # handed over already


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_open_an_exchange(web: WebClient, session: Session, scene: Scene, account: str) -> None:
    before = exchanges(session)
    form = {"kind": "bodies", "side_a": scene.delegation("az"), "side_b": scene.delegation("am"),
            "intermediary": "icrc", "planned_on": str(scene.shifted(date(2020, 12, 10)))}  # fmt: skip
    answer = web.login(account).post_form(f"{scene.pages}/exchanges/new", {**form, "classification": "parties"})
    if account in OPENERS:
        assert answer.status_code == 303, answer.text[:1000]
        assert re.fullmatch(rf"{scene.pages}/exchanges/\d+", answer.headers["location"])
        assert exchanges(session) == before + 1
    else:
        assert answer.status_code == (303 if account == "public" else 403)
        assert exchanges(session) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"side_b": "az"}, "side_b", "between two different parties"),
        ({"side_a": ""}, "side_a", "This field is required."),
        ({"side_a": "zz"}, "side_a", "has no party"),
        ({"planned_on": "before"}, "planned_on", "before the mission began"),
    ],
)
def test_a_bad_exchange_is_refused_on_its_field(
    web: WebClient, session: Session, mission: Mission, scene: Scene, changes: dict[str, str], field: str, message: str
) -> None:
    before = exchanges(session)
    assert mission.starts_on is not None
    # A side's code is the mission's ("az" is its counterpart); "before": the day before the mission began.
    moved = {
        key: scene.delegation(value) if key.startswith("side") and value else value for key, value in changes.items()
    }
    if moved.get("planned_on") == "before":
        moved["planned_on"] = str(mission.starts_on - timedelta(days=1))
    sides = {"side_a": scene.delegation("az"), "side_b": scene.delegation("am")}
    form = {"kind": "bodies", **sides, "place": "typed place", "classification": "parties"}
    answer = web.login("humanitarian-unhcr").post_form(f"{scene.pages}/exchanges/new", {**form, **moved})
    assert answer.status_code == 422
    error = re.search(rf'<p class="field-error" id="e-{field}">([^<]+)</p>', answer.text)
    assert error, answer.text[:3000]
    assert message in error.group(1)
    assert 'value="typed place"' in answer.text
    assert exchanges(session) == before


def test_a_handover_before_both_lists_is_refused(web: WebClient, session: Session, scene: Scene, pending: int) -> None:
    bodies = pending
    form = {"on_date": str(scene.shifted(date(2020, 12, 20))), "a_to_b_bodies": "2", "place": "typed"}
    answer = web.login("humanitarian-unhcr").post_form(f"{scene.pages}/exchanges/{bodies}/handover", form)
    assert answer.status_code == 422
    assert f"waiting for the list of {scene.delegation('az')}" in answer.text
    assert 'value="typed"' in answer.text
    session.expire_all()
    assert session.get(Exchange, bodies).handed_over_on is None  # type: ignore[union-attr]


@pytest.fixture
def handed_over(session: Session, mission: Mission, scene: Scene) -> int:
    """An exchange whose lists differ by one body, handed over and not yet confirmed."""
    system, am, az, on = (
        Actor.system(mission.id),
        scene.delegation("am"),
        scene.delegation("az"),
        scene.shifted(date(2020, 12, 1)),
    )
    body = ExchangeIn(kind="bodies", side_a=am, side_b=az, intermediary="icrc", planned_on=on)
    exchange = movements_service.create_exchange(session, mission, body, actor=system)
    for side, gives, expects in ((am, 2, 3), (az, 3, 1)):
        data = ExchangeListIn.model_validate(
            {"side": side, "hands_over": {"bodies": gives}, "receives": {"bodies": expects}}
        )
        movements_service.submit_list(session, mission, exchange.id, data, actor=system)
    handover = HandoverIn(on_date=on, a_to_b={"bodies": 2}, b_to_a={"bodies": 3})  # type: ignore[arg-type]
    movements_service.record_handover(session, mission, exchange.id, handover, actor=system)
    session.commit()
    return exchange.id


@pytest.mark.parametrize("account", ACCOUNTS)
def test_only_the_sides_confirm_and_differences_must_be_acknowledged(
    web: WebClient, session: Session, handed_over: int, scene: Scene, account: str
) -> None:
    path = f"{scene.pages}/exchanges/{handed_over}"
    web.login(account)
    if account in READERS:
        page = web.get(path).text
        assert ('action="' + path + '/confirm"' in page) == account.startswith("liaison-")
    answer = web.post_form(f"{path}/confirm", {"confirm_note": "typed note"})
    if not account.startswith("liaison-"):
        # The public is sent to log in before its form is read (docs/limits.md), whatever it names.
        assert answer.status_code == (303 if account == "public" else 403)
        return
    assert answer.status_code == 422
    assert 'id="e-acknowledge"' in answer.text
    assert "confirm with acknowledge_differences" in answer.text
    assert ">typed note</textarea>" in answer.text
    answer = web.post_form(f"{path}/confirm", {"confirm_note": "typed note", "acknowledge": "yes"})
    assert answer.status_code == 303
    side = web.name(account).removeprefix("liaison-")  # the side's code in the mission
    session.expire_all()
    confirmation = session.get(Exchange, handed_over).confirmations[side]  # type: ignore[union-attr]
    assert confirmation["differences"]
    assert re.search(r"accepting \d+ differences? as (it|they) stood then", web.get(path).text)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_only_a_side_submits_its_list(
    web: WebClient, session: Session, pending: int, scene: Scene, account: str
) -> None:
    bodies = pending
    path = f"{scene.pages}/exchanges/{bodies}"
    web.login(account)
    if account in READERS:
        has_form = 'action="' + path + '/lists"' in web.get(path).text
        assert has_form == account.startswith("liaison-")
    side = scene.delegation("az")
    form = {"side": side, "hands_over_bodies": "6", "receives_bodies": "2", "hands_over_ids": "AM-B-001\n\nAM-B-002\n"}
    answer = web.post_form(f"{path}/lists", form)
    if account == "liaison-az":
        assert answer.status_code == 303
        page = web.get(path).text
        assert "AM-B-002" in page
        assert 'data-status="lists_differ"' in page  # am lists 2 bodies for az, az expects 2; az 6 for am, am expects 6
    elif account == "public":
        # Sent to log in before its form is read (docs/limits.md).
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login")
    else:
        # A liaison officer of the other side, or anyone who is neither a side nor the intermediary.
        assert answer.status_code == 403
    session.expire_all()
    assert (session.get(Exchange, bodies).status != "lists_pending") == (account == "liaison-az")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hands_over_bodies": "1", "hands_over_ids": "AM-B-001\nAM-B-002"}, "hands_over_ids", "more identifiers than"),
        ({"hands_over_ids": "AM-B-001\nam-b- 001"}, "hands_over_ids", "listed twice"),
        ({"receives_bodies": "-1"}, "receives_bodies", "Give at least 0."),
        ({"hands_over_ids": "x" * 65}, "hands_over_ids", "at most 64 characters"),
        ({"side": "ru"}, "side", "not a side of exchange"),
    ],
)
def test_a_bad_list_is_refused_on_its_field(
    web: WebClient, session: Session, pending: int, scene: Scene, changes: dict[str, str], field: str, message: str
) -> None:
    bodies = pending
    changes = {k: scene.delegation(v) if k == "side" else v for k, v in changes.items()}
    form = {"side": scene.delegation("az"), "hands_over_bodies": "2", "receives_bodies": "2",
            "hands_over_ids": "AM-B-001", **changes}  # fmt: skip
    answer = web.login("liaison-az").post_form(f"{scene.pages}/exchanges/{bodies}/lists", form)
    assert answer.status_code == 422
    error = re.search(rf'<p class="field-error" id="e-{field}">([^<]+)</p>', answer.text)
    assert error, answer.text[:3000]
    assert message in error.group(1)
    session.expire_all()
    assert session.get(Exchange, bodies).status == "lists_pending"  # type: ignore[union-attr]
