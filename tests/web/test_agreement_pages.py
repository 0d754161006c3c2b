"""The agreement pages against every demo account, the public and another mission; the provisions tracker's forms."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import ACCOUNTS
from truce.agreement import service as agreement_service
from truce.agreement.models import DeadlineExtension, Provision, ProvisionStatus
from truce.agreement.schemas import ProvisionIn, StatusIn
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import DelegationIn, MissionIn, PartyIn
from truce.policy import Actor
from web.conftest import WebClient

BASE = "/m/nk-2020"
MOVERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr", "humanitarian-unhcr"}
EXCHANGERS = {"admin", "humanitarian-unhcr"}
ASSESSORS = {"admin", "verifier-ru", "verifier-tr"}
# Page -> who may open it. nk-2020 is public, and its agreement, returns and claims are public records; the
# example mission is private, and the public is sent to log in to any of its pages.
PAGES = {
    "provisions": set(ACCOUNTS),
    "returns": set(ACCOUNTS),
    "claims": set(ACCOUNTS),
    "claims/compare": set(ACCOUNTS),
    "exchanges": set(ACCOUNTS),
    "movements/new": MOVERS,
    "exchanges/new": EXCHANGERS,
}
DETAILS = ("provisions", "movements", "exchanges", "claims")


def refusal(account: str) -> int:
    # The public is sent to the login page; a logged-in account without the right is told no.
    return 303 if account == "public" else 403


def kalbajar(session: Session) -> Provision:
    return session.execute(select(Provision).where(Provision.number == "6.1")).scalar_one()


def fresh_provision(session: Session, mission: Mission, scene: Scene) -> Provision:
    """A public provision of the mission with a deadline (the demo's 15 November 2020, or the matching day)."""
    data = ProvisionIn(
        number="42", summary="Withdrawal from the district", category="Cease Fire",
        deadline=scene.shifted(date(2020, 11, 15)), classification="public",
    )  # fmt: skip
    provision = agreement_service.create(session, mission, data, actor=Actor.system(mission.id))
    session.commit()
    return provision


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_opens_each_page(web: WebClient, scene: Scene, mission: Mission, account: str) -> None:
    web.login(account)
    for page, allowed in PAGES.items():
        path = f"{scene.pages}/{page}"
        answer = web.get(path)
        if account in allowed and (mission.public or account != "public"):
            assert answer.status_code == 200, (path, answer.text[:500])
        else:
            assert answer.status_code == refusal(account), path
            if account == "public":
                assert answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("account", [a for a in ACCOUNTS if a != "public"])
def test_the_navigation_offers_the_pages(web: WebClient, scene: Scene, account: str) -> None:
    nav = web.login(account).get(f"{scene.pages}/provisions").text.split("</nav>")[0]
    for route in ("provisions", "returns", "claims", "exchanges"):
        assert f'href="{scene.pages}/{route}"' in nav


@pytest.mark.demo_content
def test_the_publics_navigation_leaves_out_the_exchanges(web: WebClient) -> None:
    nav = web.login("public").get(f"{BASE}/provisions").text.split("</nav>")[0]  # nk-2020 is public
    for route in ("provisions", "returns", "claims"):
        assert f'href="{BASE}/{route}"' in nav
    assert f'href="{BASE}/exchanges"' not in nav


@pytest.fixture
def other_mission(session: Session) -> tuple[str, int]:
    """A second, private mission no demo account belongs to, with one provision in it."""
    mission = missions_service.create(session, MissionIn(slug="other-2021", name="Another"), actor=Actor.system())
    scoped = Actor.system(mission.id)
    missions_service.create_party(session, mission, PartyIn(code="x", name="X", kind="side"), actor=scoped)
    missions_service.create_delegation(session, mission, DelegationIn(code="x", name="X", party="x"), actor=scoped)
    data = ProvisionIn(number="1", summary="Hidden", category="Cease Fire", classification="public")
    provision = agreement_service.create(session, mission, data, actor=scoped)
    session.commit()
    return mission.slug, provision.id


@pytest.mark.parametrize("account", ACCOUNTS)
def test_another_mission_and_guessed_ids_are_not_found(
    web: WebClient, other_mission: tuple[str, int], scene: Scene, mission: Mission, account: str
) -> None:
    slug, foreign = other_mission
    web.login(account)
    for suffix in ("/provisions", "/returns", "/exchanges", "/claims", f"/provisions/{foreign}"):
        answer = web.get(f"/m/{slug}{suffix}")
        assert answer.status_code == (303 if account == "public" else 404), suffix
    if account == "public" and not mission.public:
        assert web.get(f"{scene.pages}/provisions/{foreign}").status_code == 303  # a private mission: log in first
        return
    # Its provision is not reachable through this mission either, and neither is any guessed id.
    assert web.get(f"{scene.pages}/provisions/{foreign}").status_code == 404
    for kind in DETAILS:
        for guess in ("987654", "0", "-1"):
            assert web.get(f"{scene.pages}/{kind}/{guess}").status_code == 404, (kind, guess)
        assert web.get(f"{scene.pages}/{kind}/abc").status_code == 400, kind


@pytest.fixture
def restricted_provision(session: Session, mission: Mission, scene: Scene) -> int:
    """A provision restricted to the Turkish delegation (or its counterpart), with one assessment."""
    system = Actor.system(mission.id)
    data = ProvisionIn(
        number="40", summary="A restricted provision", category="Refugees", deadline=scene.shifted(date(2020, 11, 30)),
        classification="restricted", restricted_to=[scene.delegation("tr")],
    )  # fmt: skip
    provision = agreement_service.create(session, mission, data, actor=system)
    assessment = StatusIn(level=1, as_of=scene.shifted(date(2020, 11, 20)))
    agreement_service.assess(session, mission, provision.id, assessment, actor=system)
    session.commit()
    return provision.id


@pytest.mark.parametrize("account", ACCOUNTS)
def test_a_restricted_provision_is_shown_only_to_its_readers(
    web: WebClient, restricted_provision: int, scene: Scene, mission: Mission, account: str
) -> None:
    web.login(account)
    may = account in {"admin", "verifier-tr"}
    assert ("A restricted provision" in web.get(f"{scene.pages}/provisions").text) == may
    path = f"{scene.pages}/provisions/{restricted_provision}"
    # The public of a private mission is sent to log in before anything.
    hidden = 303 if account == "public" and not mission.public else 404
    assert web.get(path).status_code == (200 if may else hidden)
    # A write to it is refused as if it did not exist, or by the role.
    answer = web.post_form(f"{path}/statuses", {"level": "2", "as_of": str(scene.shifted(date(2020, 11, 25)))})
    if may and account in ASSESSORS:
        assert answer.status_code == 303
    else:
        assert answer.status_code in ({404, refusal(account)} if not may else {refusal(account)})


@pytest.mark.demo_content
def test_the_tracker_shows_every_provision_with_its_deadline_and_timeline(web: WebClient, session: Session) -> None:
    page = web.login("analyst-ru").get(f"{BASE}/provisions").text
    provisions = session.execute(select(Provision).where(Provision.classification == "public")).scalars().all()
    assert page.count('<article class="provision') == len(provisions) >= 10
    article = page.split(f'id="provision-{kalbajar(session).id}"')[1].split("</article>")[0]
    assert '<del title="original deadline">Nov 15, 2020</del>' in article
    assert 'data-deadline="2020-11-25"' in article
    assert 'data-extension="2020-11-15:2020-11-25"' in article
    assert "Azerbaijan agreed to Armenia&#39;s request for ten more days." in article
    assert article.count('class="step step-') == 2
    assert "3 · full" in article
    for note in ("Withdrawal under way", "District handed over on 25 November."):
        assert note in article
    assert "Overdue" not in article  # handed over on the extended deadline


def test_an_overdue_provision_is_flagged_in_words(
    web: WebClient, session: Session, mission: Mission, scene: Scene
) -> None:
    system = Actor.system(mission.id)
    data = ProvisionIn(
        number="41", summary="Late work", category="Refugees", deadline=scene.shifted(date(2020, 11, 30)),
        classification="public",
    )  # fmt: skip
    provision = agreement_service.create(session, mission, data, actor=system)
    assessment = StatusIn(level=2, as_of=scene.shifted(date(2020, 11, 20)))
    agreement_service.assess(session, mission, provision.id, assessment, actor=system)
    session.commit()
    reader = "public" if mission.public else "analyst-ru"  # the public reads a public mission's agreement
    page = web.login(reader).get(f"{scene.pages}/provisions").text
    article = page.split(f'id="provision-{provision.id}"')[1].split("</article>")[0]
    assert 'data-overdue="1"' in article
    assert "Overdue" in article
    # The count in words is of every overdue provision the page shows (the example's own include some).
    articles = [part.split("</article>")[0] for part in page.split('<article class="provision')[1:]]
    overdue = sum('data-overdue="1"' in part for part in articles)
    assert (f"{overdue} provisions are overdue" if overdue > 1 else "1 provision is overdue") in page


@pytest.mark.demo_content
def test_links_lead_to_the_linked_records(web: WebClient, session: Session) -> None:
    refugees = session.execute(select(Provision).where(Provision.number == "7")).scalar_one()
    page = web.login("analyst-ru").get(f"{BASE}/provisions/{refugees.id}").text
    claims = re.findall(rf'href="{BASE}/claims/(\d+)"', page)
    movements = re.findall(rf'href="{BASE}/movements/(\d+)"', page)
    assert claims
    assert movements
    assert web.get(f"{BASE}/claims/{claims[0]}").status_code == 200
    assert web.get(f"{BASE}/movements/{movements[0]}").status_code == 200


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_sees_and_uses_the_forms(
    web: WebClient, session: Session, mission: Mission, scene: Scene, account: str
) -> None:
    provision = fresh_provision(session, mission, scene)
    path = f"{scene.pages}/provisions/{provision.id}"
    page = web.login(account).get(path).text
    assert ('action="' + path + '/statuses"' in page) == (account in ASSESSORS)
    assert ('action="' + path + '/extensions"' in page) == (account == "admin")
    day = scene.shifted
    assessment = {"level": "3", "as_of": str(day(date(2020, 11, 26))), "note": "Checked again."}
    assessed = web.post_form(f"{path}/statuses", assessment)
    extension = {"new_deadline": str(day(date(2020, 11, 30))), "decided_on": str(day(date(2020, 11, 20)))}
    extended = web.post_form(f"{path}/extensions", extension)
    if account in ASSESSORS:
        assert assessed.status_code == 303
        assert assessed.headers["location"] == f"{path}#history"
        assert "Checked again." in web.get(path).text
    else:
        assert assessed.status_code == refusal(account)
    if account == "admin":
        assert extended.status_code == 303
        session.refresh(provision)
        assert provision.deadline == scene.shifted(date(2020, 11, 30))
        assert provision.original_deadline == scene.shifted(date(2020, 11, 15))
    else:
        assert extended.status_code == refusal(account)


def count(session: Session, model: type[DeadlineExtension] | type[ProvisionStatus]) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.mark.demo_content
def test_an_extension_earlier_than_the_deadline_is_refused_and_nothing_stored(web: WebClient, session: Session) -> None:
    provision = kalbajar(session)
    before = count(session, DeadlineExtension)
    form = {"new_deadline": "2020-11-10", "decided_on": "2020-11-12", "extension_note": "typed by hand"}
    answer = web.login("admin").post_form(f"{BASE}/provisions/{provision.id}/extensions", form)
    assert answer.status_code == 422
    assert 'id="e-new_deadline"' in answer.text
    assert "2020-11-10 is not later than the current deadline 2020-11-25 (originally 2020-11-15)" in answer.text
    assert 'value="2020-11-10"' in answer.text
    assert ">typed by hand</textarea>" in answer.text
    session.expire_all()
    assert count(session, DeadlineExtension) == before
    assert kalbajar(session).deadline == date(2020, 11, 25)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"level": "", "as_of": "scene"}, "level", "This field is required."),
        ({"level": "4", "as_of": "scene"}, "level", "Give at most 3."),
        ({"level": "2", "as_of": "20.11.2020"}, "as_of", "Give a day as YYYY-MM-DD."),
        ({"level": "2", "as_of": "before"}, "as_of", "before the mission began"),
        (
            {"level": "2", "as_of": "scene", "evidence": "not-a-hash"},
            "evidence",
            "This is not in the expected form.",
        ),
    ],
)
def test_a_bad_assessment_is_refused_on_its_field(
    web: WebClient, session: Session, mission: Mission, scene: Scene, form: dict[str, str], field: str, message: str
) -> None:
    provision = fresh_provision(session, mission, scene)
    assert mission.starts_on is not None
    # "scene": the scene's day; "before": the day before the mission began.
    days = {"scene": str(scene.day), "before": str(mission.starts_on - timedelta(days=1))}
    form = {**form, "as_of": days.get(form["as_of"], form["as_of"])}
    before = count(session, ProvisionStatus)
    path = f"{scene.pages}/provisions/{provision.id}/statuses"
    answer = web.login("verifier-tr").post_form(path, {"note": "kept", **form})
    assert answer.status_code == 422
    error = re.search(rf'<p class="field-error" id="e-{field}">([^<]+)</p>', answer.text)
    assert error, answer.text[:2000]
    assert message in error.group(1)
    assert ">kept</textarea>" in answer.text
    assert count(session, ProvisionStatus) == before


def test_the_tracker_in_russian(web: WebClient, session: Session, mission: Mission, scene: Scene) -> None:
    provision = fresh_provision(session, mission, scene)
    full = StatusIn(level=3, as_of=scene.day)
    agreement_service.assess(session, mission, provision.id, full, actor=Actor.system(mission.id))
    session.commit()
    web.client.cookies.set("truce_lang", "ru")
    page = web.login("analyst-ru").get(f"{scene.pages}/provisions").text
    assert "Положения соглашения" in page
    assert "Ход выполнения" in page
    assert "3 · полностью" in page
