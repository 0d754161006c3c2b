"""Claims in the pages: filing a claim with its numbers and qualifiers, assessing and linking it, success messages,
and the comparison that reads "over 26,000" as a lower bound."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import ACCOUNTS
from truce.claims import service as claims_service
from truce.claims.comparison import gap
from truce.claims.models import Claim
from truce.claims.schemas import ClaimIn
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.policy import Actor
from web.conftest import WebClient

FILERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr", "liaison-am", "liaison-az"}
ASSESSORS = {"admin", "verifier-ru", "verifier-tr"}
CLAIM = {
    "speaker": "A spokesman",
    "affiliation": "am",  # a demo party and day: `claim` gives the scene's
    "said_on": "2020-11-22",
    "source_title": "Press conference",
    "source_url": "https://example.org/briefing",
    "summary": "Over 26,000 people have returned.",
    "n0_qualifier": "over",
    "n0_value": "26 000",
    "n0_counts": "returnees",
    "n0_cumulative": "total",
    "classification": "mission",
}


def claim_form(scene: Scene) -> dict[str, str]:
    """The claim of a side of the scene's mission, on its day."""
    return {**CLAIM, "affiliation": scene.delegation("am"), "said_on": str(scene.shifted(date(2020, 11, 22)))}


def test_a_claim_is_filed_with_its_qualified_number_and_said_to_be_recorded(
    web: WebClient, session: Session, scene: Scene
) -> None:
    base = scene.pages
    web.login("monitor-ru")
    answer = web.post_form(f"{base}/claims", claim_form(scene))
    assert answer.status_code == 303, answer.text[:2000]
    filed = session.execute(select(Claim).where(Claim.speaker == "A spokesman")).scalar_one()
    assert filed.numbers == [
        {
            "value": 26000,
            "counts": "returnees",
            "as_of": claim_form(scene)["said_on"],
            "cumulative": True,
            "qualifier": "over",
        }
    ]
    assert filed.status == "unverified"
    assert filed.affiliation == scene.delegation("am")
    page = web.get(answer.headers["location"])
    assert f'<p class="flash" role="status">Claim {filed.id} is recorded, unverified.</p>' in page.text
    # Shown once: the next page says nothing.
    assert 'class="flash"' not in web.get(answer.headers["location"]).text


def test_a_bad_claim_names_its_fields_and_stores_nothing(
    web: WebClient, session: Session, scene: Scene, mission: Mission
) -> None:
    base, filled = scene.pages, claim_form(scene)
    web.login("monitor-ru")
    bad = {**filled, "speaker": "", "said_on": "2999-01-01", "n0_value": "many", "link_incidents": "999999"}
    answer = web.post_form(f"{base}/claims", bad)
    assert answer.status_code == 422
    summary = answer.text.split('class="error-summary"')[1].split("</div>")[0]
    assert 'href="#f-speaker"' in summary
    assert 'href="#f-n0_value"' in summary
    assert session.execute(select(Claim).where(Claim.summary == filled["summary"])).first() is None
    # The service's refusals reach their fields too once the form is otherwise right.
    answer = web.post_form(f"{base}/claims", {**filled, "said_on": "2150-01-01"})
    assert answer.status_code == 422
    assert 'href="#f-said_on"' in answer.text
    assert "2150-01-01 is in the future" in answer.text
    answer = web.post_form(f"{base}/claims", {**filled, "link_incidents": "999999"})
    assert answer.status_code == 422
    assert f"mission {mission.slug} has no incident 999999" in answer.text


def test_assessing_links_records_and_says_so(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    web.login("monitor-ru")
    created = web.post_form(f"{base}/claims", claim_form(scene))
    claim_url = created.headers["location"]
    claim_id = int(claim_url.rsplit("/", 1)[1])
    incident = session.execute(select(Incident.id).where(Incident.classification == "public").limit(1)).scalar_one()
    web.login("verifier-tr")
    refused = web.post_form(f"{claim_url}/assessment", {"status": "corroborated", "status_note": "Counted."})
    assert refused.status_code == 422
    assert 'href="#f-evidence"' in refused.text
    answer = web.post_form(
        f"{claim_url}/assessment",
        {"status": "corroborated", "status_note": "The checkpoints counted more.", "link_incidents": f"#{incident}"},
    )
    assert answer.status_code == 303
    page = web.get(answer.headers["location"].split("#")[0]).text
    assert f"The assessment of claim {claim_id} is recorded." in page
    assert f'href="{base}/incidents/{incident}"' in page
    session.expire_all()
    claim = session.get(Claim, claim_id)
    assert claim is not None
    assert claim.status == "corroborated"
    assert claim.links["incidents"] == [incident]


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_file_and_assess(
    web: WebClient, account: str, session: Session, scene: Scene, mission: Mission
) -> None:
    base = scene.pages
    web.login(account)
    form = web.get(f"{base}/claims/new")
    expected = 200 if account in FILERS else 303 if account == "public" else 403
    assert form.status_code == expected
    assert (f'href="{base}/claims/new"' in web.get(f"{base}/claims").text) == (account in FILERS)
    # A public claim (the example mission has none of its own).
    data = ClaimIn(speaker="A public source", affiliation=scene.delegation("am"), said_on=scene.day,
                   source_title="Briefing", summary="Public claim", classification="public")  # fmt: skip
    claim = claims_service.create(session, mission, data, actor=Actor.system(mission.id))
    session.commit()
    detail = web.get(f"{base}/claims/{claim.id}").text
    assert ('id="assess-form"' in detail) == (account in ASSESSORS)
    answer = web.post_form(f"{base}/claims/{claim.id}/assessment", {"status": "unverified", "status_note": "Again."})
    if account in ASSESSORS:
        assert answer.status_code == 303
    else:
        assert answer.status_code in {303, 403}
        assert "/login" in answer.headers.get("location", "/login")


@pytest.mark.parametrize(
    ("value", "qualifier", "counted", "difference", "verdict"),
    [
        (26000, "over", 26250, 0, "within"),  # "over 26,000" against 26,250 counted: no difference, not -250
        (26000, "at least", 26000, 0, "within"),
        (26000, "over", 26000, 0, "more"),
        (26000, "over", 25000, 1000, "more"),
        (26000, "up to", 25000, 0, "within"),
        (26000, "up to", 27000, -1000, "fewer"),
        (26000, "about", 25750, 250, "more"),
        (26000, "exactly", 26250, -250, "fewer"),
    ],
)
def test_a_bound_is_no_difference_when_the_count_meets_it(
    value: int, qualifier: str, counted: int, difference: int, verdict: str
) -> None:
    found = gap(value, qualifier, counted)
    assert (found["difference"], found["verdict"]) == (difference, verdict)


@pytest.mark.demo_content  # the demo's return figures, which get verdicts; the example mission has no claims
def test_the_comparison_explains_the_sign(web: WebClient, scene: Scene) -> None:
    page = web.login("analyst-ru").get(f"{scene.pages}/claims/compare?party=ru").text
    assert 'id="sign"' in page
    assert "lower bound" in page
    assert re.search(r'data-verdict="(more|fewer|same|within)"', page)
