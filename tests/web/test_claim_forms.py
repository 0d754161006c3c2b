"""Claims in the pages: filing a claim with its numbers and qualifiers, assessing and linking it, success messages,
and the comparison that reads "over 26,000" as a lower bound."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from support import ACCOUNTS
from truce.claims.comparison import gap
from truce.claims.models import Claim
from truce.incidents.models import Incident
from web.conftest import WebClient

BASE = "/m/nk-2020"
FILERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr", "liaison-am", "liaison-az"}
ASSESSORS = {"admin", "verifier-ru", "verifier-tr"}
CLAIM = {
    "speaker": "A spokesman",
    "affiliation": "am",
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


def test_a_claim_is_filed_with_its_qualified_number_and_said_to_be_recorded(web: WebClient, session: Session) -> None:
    web.login("monitor-ru")
    answer = web.post_form(f"{BASE}/claims", CLAIM)
    assert answer.status_code == 303, answer.text[:2000]
    claim = session.execute(select(Claim).where(Claim.speaker == "A spokesman")).scalar_one()
    assert claim.numbers == [
        {"value": 26000, "counts": "returnees", "as_of": "2020-11-22", "cumulative": True, "qualifier": "over"}
    ]
    assert claim.status == "unverified"
    assert claim.affiliation == "am"
    page = web.get(answer.headers["location"])
    assert f'<p class="flash" role="status">Claim {claim.id} is recorded, unverified.</p>' in page.text
    # Shown once: the next page says nothing.
    assert 'class="flash"' not in web.get(answer.headers["location"]).text


def test_a_bad_claim_names_its_fields_and_stores_nothing(web: WebClient, session: Session) -> None:
    web.login("monitor-ru")
    bad = {**CLAIM, "speaker": "", "said_on": "2999-01-01", "n0_value": "many", "link_incidents": "999999"}
    answer = web.post_form(f"{BASE}/claims", bad)
    assert answer.status_code == 422
    summary = answer.text.split('class="error-summary"')[1].split("</div>")[0]
    assert 'href="#f-speaker"' in summary
    assert 'href="#f-n0_value"' in summary
    assert session.execute(select(Claim).where(Claim.summary == CLAIM["summary"])).first() is None
    # The service's refusals reach their fields too once the form is otherwise right.
    answer = web.post_form(f"{BASE}/claims", {**CLAIM, "said_on": "2150-01-01"})
    assert answer.status_code == 422
    assert 'href="#f-said_on"' in answer.text
    assert "2150-01-01 is in the future" in answer.text
    answer = web.post_form(f"{BASE}/claims", {**CLAIM, "link_incidents": "999999"})
    assert answer.status_code == 422
    assert "mission nk-2020 has no incident 999999" in answer.text


def test_assessing_links_records_and_says_so(web: WebClient, session: Session) -> None:
    web.login("monitor-ru")
    created = web.post_form(f"{BASE}/claims", CLAIM)
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
    assert f'href="{BASE}/incidents/{incident}"' in page
    session.expire_all()
    claim = session.get(Claim, claim_id)
    assert claim is not None
    assert claim.status == "corroborated"
    assert claim.links["incidents"] == [incident]


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_file_and_assess(web: WebClient, account: str, session: Session) -> None:
    web.login(account)
    form = web.get(f"{BASE}/claims/new")
    expected = 200 if account in FILERS else 303 if account == "public" else 403
    assert form.status_code == expected
    assert (f'href="{BASE}/claims/new"' in web.get(f"{BASE}/claims").text) == (account in FILERS)
    claim = session.execute(select(Claim).where(Claim.classification == "public").limit(1)).scalar_one()
    detail = web.get(f"{BASE}/claims/{claim.id}").text
    assert ('id="assess-form"' in detail) == (account in ASSESSORS)
    answer = web.post_form(f"{BASE}/claims/{claim.id}/assessment", {"status": "unverified", "status_note": "Again."})
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


def test_the_comparison_explains_the_sign(web: WebClient) -> None:
    page = web.login("analyst-ru").get(f"{BASE}/claims/compare?party=ru").text
    assert 'id="sign"' in page
    assert "lower bound" in page
    assert re.search(r'data-verdict="(more|fewer|same|within)"', page)
