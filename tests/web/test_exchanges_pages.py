"""Exchanges: who sees them, who sees the personal identifiers, differences shown, and the forms of each role."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from support import ACCOUNTS, STAFF
from truce.missions import service as missions_service
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


def demo_exchange(session: Session, kind: str) -> int:
    return int(session.execute(select(Exchange.id).where(Exchange.kind == kind)).scalar_one())


def exchanges(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Exchange)).scalar_one())


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
def test_who_may_open_an_exchange(web: WebClient, session: Session, account: str) -> None:
    before = exchanges(session)
    form = {"kind": "bodies", "side_a": "az", "side_b": "am", "intermediary": "icrc", "planned_on": "2020-12-10"}
    answer = web.login(account).post_form(f"{BASE}/exchanges/new", {**form, "classification": "parties"})
    if account in OPENERS:
        assert answer.status_code == 303, answer.text[:1000]
        assert re.fullmatch(rf"{BASE}/exchanges/\d+", answer.headers["location"])
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
        ({"planned_on": "2020-01-01"}, "planned_on", "before the mission began"),
    ],
)
def test_a_bad_exchange_is_refused_on_its_field(
    web: WebClient, session: Session, changes: dict[str, str], field: str, message: str
) -> None:
    before = exchanges(session)
    form = {"kind": "bodies", "side_a": "az", "side_b": "am", "place": "typed place", "classification": "parties"}
    answer = web.login("humanitarian-unhcr").post_form(f"{BASE}/exchanges/new", {**form, **changes})
    assert answer.status_code == 422
    error = re.search(rf'<p class="field-error" id="e-{field}">([^<]+)</p>', answer.text)
    assert error, answer.text[:3000]
    assert message in error.group(1)
    assert 'value="typed place"' in answer.text
    assert exchanges(session) == before


def test_a_handover_before_both_lists_is_refused(web: WebClient, session: Session) -> None:
    bodies = demo_exchange(session, "bodies")
    form = {"on_date": "2020-12-20", "a_to_b_bodies": "2", "place": "typed"}
    answer = web.login("humanitarian-unhcr").post_form(f"{BASE}/exchanges/{bodies}/handover", form)
    assert answer.status_code == 422
    assert "waiting for the list of az" in answer.text
    assert 'value="typed"' in answer.text
    session.expire_all()
    assert session.get(Exchange, bodies).handed_over_on is None  # type: ignore[union-attr]


@pytest.fixture
def handed_over(session: Session) -> int:
    """An exchange whose lists differ by one body, handed over and not yet confirmed."""
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    system = Actor.system(mission.id)
    body = ExchangeIn(kind="bodies", side_a="am", side_b="az", intermediary="icrc", planned_on=date(2020, 12, 1))
    exchange = movements_service.create_exchange(session, mission, body, actor=system)
    for side, gives, expects in (("am", 2, 3), ("az", 3, 1)):
        data = ExchangeListIn.model_validate(
            {"side": side, "hands_over": {"bodies": gives}, "receives": {"bodies": expects}}
        )
        movements_service.submit_list(session, mission, exchange.id, data, actor=system)
    handover = HandoverIn(on_date=date(2020, 12, 1), a_to_b={"bodies": 2}, b_to_a={"bodies": 3})  # type: ignore[arg-type]
    movements_service.record_handover(session, mission, exchange.id, handover, actor=system)
    session.commit()
    return exchange.id


@pytest.mark.parametrize("account", ACCOUNTS)
def test_only_the_sides_confirm_and_differences_must_be_acknowledged(
    web: WebClient, session: Session, handed_over: int, account: str
) -> None:
    path = f"{BASE}/exchanges/{handed_over}"
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
    side = account.removeprefix("liaison-")
    session.expire_all()
    confirmation = session.get(Exchange, handed_over).confirmations[side]  # type: ignore[union-attr]
    assert confirmation["differences"]
    assert re.search(r"accepting \d+ differences? as (it|they) stood then", web.get(path).text)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_only_a_side_submits_its_list(web: WebClient, session: Session, account: str) -> None:
    bodies = demo_exchange(session, "bodies")
    path = f"{BASE}/exchanges/{bodies}"
    web.login(account)
    if account in READERS:
        has_form = 'action="' + path + '/lists"' in web.get(path).text
        assert has_form == account.startswith("liaison-")
    form = {"side": "az", "hands_over_bodies": "6", "receives_bodies": "2", "hands_over_ids": "AM-B-001\n\nAM-B-002\n"}
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
    web: WebClient, session: Session, changes: dict[str, str], field: str, message: str
) -> None:
    bodies = demo_exchange(session, "bodies")
    form = {"side": "az", "hands_over_bodies": "2", "receives_bodies": "2", "hands_over_ids": "AM-B-001", **changes}
    answer = web.login("liaison-az").post_form(f"{BASE}/exchanges/{bodies}/lists", form)
    assert answer.status_code == 422
    error = re.search(rf'<p class="field-error" id="e-{field}">([^<]+)</p>', answer.text)
    assert error, answer.text[:3000]
    assert message in error.group(1)
    session.expire_all()
    assert session.get(Exchange, bodies).status == "lists_pending"  # type: ignore[union-attr]
