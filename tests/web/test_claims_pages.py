"""Claims pages: who said what with which numbers and status, and claimed against counted returns day by day."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, Scene
from support import ACCOUNTS, STAFF
from truce.claims import service as claims_service
from truce.claims.models import Claim
from truce.claims.schemas import ClaimIn
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor
from web.conftest import WebClient

BASE = "/m/nk-2020"  # the demo's claims; the tests of any mission's take the scene's pages
# The party the comparison shows when none is named: the demo's Russian defence ministry states the most return
# figures; the example mission has no claims, so its first party (None here).
CLAIMING = {DEMO_SLUG: "ru", EXAMPLE_SLUG: None}


def ru_7000(session: Session) -> Claim:
    return session.execute(select(Claim).where(Claim.summary.like("%about 7,000%"))).scalar_one()


@pytest.mark.demo_content  # the demo's claims: the example mission has none
def test_the_list_shows_speaker_source_numbers_and_status(web: WebClient, session: Session) -> None:
    page = web.login("public").get(f"{BASE}/claims").text
    row = page.split(f'id="claim-{ru_7000(session).id}"')[1].split("</tr>")[0]
    assert "2020-11-21" in row
    assert "Russian Ministry of Defence" in row
    assert "Daily briefing (illustrative)" in row
    assert "about <strong>7,000</strong> returnees" in row
    assert 'data-status="corroborated"' in row
    assert "Corroborated" in row
    assert page.count('<tr id="claim-') == len(session.execute(select(Claim.id)).all())


@pytest.mark.demo_content  # the demo's one corroborated claim
def test_the_status_filter(web: WebClient) -> None:
    page = web.get(f"{BASE}/claims?status=corroborated").text
    assert page.count('data-status="corroborated"') == page.count('<tr id="claim-') == 1
    assert web.get(f"{BASE}/claims?status=bogus").status_code == 404


@pytest.mark.demo_content  # the demo's claim of about 7,000 returns and its assessment
def test_a_claim_page_shows_its_assessment_and_links(web: WebClient, session: Session) -> None:
    claim = ru_7000(session)
    page = web.login("analyst-ru").get(f"{BASE}/claims/{claim.id}").text
    assert f'<p class="status-note">{claim.status_note}</p>' in page
    assert re.search(r"by Turkish officers of the joint monitoring centre on \d{4}-\d\d-\d\d", page)
    for provision_id in claim.links["provisions"]:
        assert f'href="{BASE}/provisions/{provision_id}"' in page
    assert f'href="{BASE}/claims/compare?party=ru"' in page


@pytest.fixture
def staff_claim(session: Session, mission: Mission, scene: Scene) -> int:
    """A claim for mission staff only, with a link to a restricted record that no one else may follow."""
    data = ClaimIn(
        speaker="A staff source", affiliation=scene.delegation("am"), said_on=scene.shifted(date(2020, 11, 24)),
        source_title="Internal note",
        summary="Staff only claim", classification="mission",
    )  # fmt: skip
    claim = claims_service.create(session, mission, data, actor=Actor.system(mission.id))
    session.commit()
    return claim.id


@pytest.mark.parametrize("account", ACCOUNTS)
def test_claims_by_classification(
    web: WebClient, staff_claim: int, scene: Scene, mission: Mission, account: str
) -> None:
    web.login(account)
    may = account in STAFF
    refused = 303 if account == "public" and not mission.public else 404  # the public logs in to a private mission
    assert ("Staff only claim" in web.get(f"{scene.pages}/claims").text) == may
    assert web.get(f"{scene.pages}/claims/{staff_claim}").status_code == (200 if may else refused)


@pytest.mark.demo_content  # the demo's claimed and counted returns
def test_claimed_against_counted_returns_day_by_day(web: WebClient) -> None:
    page = web.login("analyst-ru").get(f"{BASE}/claims/compare?party=ru").text
    assert '<svg role="img" aria-label="Returns claimed by' in page
    table = page.split('id="compare"')[1].split("</table>")[0]
    # Every return figure of the party's claims has its row, linked to its claim.
    differences = re.findall(r'<td data-difference="(-?\d+)" data-verdict="(\w+)">', table)
    assert len(differences) == 6
    assert table.count('href="/m/nk-2020/claims/') == 6
    # 21 Nov: about 7,000 claimed in all against 6,900 counted, and 1,100 claimed for that day against 1,100.
    assert "about 7,000" in table
    assert '<td data-difference="100" data-verdict="more">~+100<br>' in table
    assert '<td data-difference="0" data-verdict="same">0<br>' in table


def test_an_unknown_party_is_not_found(web: WebClient, scene: Scene) -> None:
    web.login("analyst-ru")
    assert web.get(f"{scene.pages}/claims/compare?party=zz").status_code == 404
    assert web.get(f"{scene.pages}/claims/compare?party=%3Cscript%3E").status_code == 404


def test_without_a_party_the_comparison_shows_the_one_that_claims_returns(
    web: WebClient, session: Session, scene: Scene, mission: Mission
) -> None:
    """Every claims page links to the comparison without a party: it once fell back on the demo's `ru`, which
    another mission need not have (the example's answered 404)."""
    parties = missions_service.parties(session, mission)
    party = next((p for p in parties if p.code == CLAIMING[scene.slug]), parties[0])
    page = web.login("analyst-ru").get(f"{scene.pages}/claims/compare")
    assert page.status_code == 200
    assert f'<option value="{party.code}" selected>' in page.text
    assert f"The return figures stated by {party.name}," in html.unescape(page.text)
    named = web.get(f"{scene.pages}/claims/compare?party={party.code}").text
    assert page.text.split("</h1>")[1] == named.split("</h1>")[1]  # the same page but for its own address


@pytest.mark.demo_content  # the demo's claim of about 7,000 returns
def test_the_comparison_in_russian(web: WebClient) -> None:
    web.client.cookies.set("truce_lang", "ru")
    page = web.get(f"{BASE}/claims/compare?party=ru").text
    assert "Заявленные и подсчитанные возвращения" in page
    assert "около 7" in page
    # The party by its Russian name, in the picker, the sentence and the chart's title, never its English one.
    assert page.count("Российская Федерация") >= 3, page
    assert "Russian Federation" not in page
