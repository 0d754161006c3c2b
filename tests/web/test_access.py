"""Every page against every account (and the public, and another mission): the pages refuse what the API refuses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from support import ACCOUNTS, STAFF, Login
from test_policy_matrix import CAN_READ, make_incident
from truce.evidence.models import Evidence
from truce.incidents.models import Incident
from truce.jobs import service as jobs_service
from truce.jobs.models import Job
from truce.missions import service as missions_service
from truce.missions.schemas import DelegationIn, MissionIn, PartyIn
from truce.movements.models import Exchange
from truce.policy import Actor
from web.conftest import WebClient

BASE = "/m/nk-2020"
FILERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr", "liaison-am", "liaison-az"}
VERIFIERS = {"verifier-ru", "verifier-tr"}
# policy.WRITERS["restriction.create"]: the mission's own staff who go out on patrol, as the API allows.
RESTRICTION_FILERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr"}
# Page -> the accounts that may open it; nk-2020 is a public mission, so the public sees its public pages.
PAGES = {
    f"{BASE}/": set(ACCOUNTS),
    f"{BASE}/map": set(ACCOUNTS),
    f"{BASE}/map/places.json": set(ACCOUNTS),
    f"{BASE}/map/incidents.json": set(ACCOUNTS),
    f"{BASE}/incidents": set(ACCOUNTS),
    f"{BASE}/incidents/new": FILERS,
    f"{BASE}/verification": VERIFIERS,
    f"{BASE}/verification?source=allegation&sort=event": VERIFIERS,
    f"{BASE}/incidents/1/verify": VERIFIERS,
    f"{BASE}/admin/places": {"admin"},
    f"{BASE}/admin/sites/1/retire": {"admin"},
    f"{BASE}/admin/users": {"admin"},
    f"{BASE}/admin/users/analyst-ru/reset": {"admin"},
    f"{BASE}/admin/sites/1/edit": {"admin"},
    f"{BASE}/admin/areas/1/edit": {"admin"},
    f"{BASE}/admin/lines/1/edit": {"admin"},
    f"{BASE}/admin/phones": {"admin"},
    f"{BASE}/webhooks": set(ACCOUNTS) - {"public"},
    f"{BASE}/claims/new": FILERS,
    f"{BASE}/restrictions/new": RESTRICTION_FILERS,
    f"{BASE}/bulletins": set(ACCOUNTS),
    f"{BASE}/reports": STAFF,
    f"{BASE}/patrols": set(ACCOUNTS),
    f"{BASE}/patrols/new": {"admin", "monitor-ru", "verifier-ru", "verifier-tr"},
    f"{BASE}/restrictions": set(ACCOUNTS),
    f"{BASE}/restrictions/statistics.csv": set(ACCOUNTS),
    f"{BASE}/exports": set(ACCOUNTS) - {"public"},
}


def expected_refusal(account: str) -> int:
    # The public is sent to the login page; a logged-in account without the right is told no.
    return 303 if account == "public" else 403


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_opens_each_page(web: WebClient, account: str) -> None:
    web.login(account)
    for path, allowed in PAGES.items():
        answer = web.get(path)
        if account in allowed:
            assert answer.status_code == 200, (path, answer.text[:500])
        else:
            assert answer.status_code == expected_refusal(account), (path, answer.text[:500])
            if account == "public":
                assert answer.headers["location"].startswith("/login?next=")


@pytest.fixture
def other_mission(session: Session) -> str:
    """A second, private mission that no demo account belongs to."""
    mission = missions_service.create(session, MissionIn(slug="other-2021", name="Another"), actor=Actor.system())
    scoped = Actor.system(mission.id)
    missions_service.create_party(session, mission, PartyIn(code="x", name="X", kind="side"), actor=scoped)
    missions_service.create_delegation(session, mission, DelegationIn(code="x", name="X", party="x"), actor=scoped)
    session.commit()
    return mission.slug


@pytest.mark.parametrize("account", ACCOUNTS)
@pytest.mark.parametrize("slug_kind", ["other", "missing"])
def test_other_and_unknown_missions_answer_alike(
    web: WebClient, other_mission: str, account: str, slug_kind: str
) -> None:
    slug = other_mission if slug_kind == "other" else "no-such-mission"
    web.login(account)
    for suffix in ("/", "/map", "/incidents", "/incidents/1", "/map/incidents.json", "/admin/users"):
        answer = web.get(f"/m/{slug}{suffix}")
        assert answer.status_code == (303 if account == "public" else 404), (suffix, answer.text[:300])
    assert other_mission not in web.get("/").text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_incident_pages_by_classification(client: TestClient, login: Login, web: WebClient, account: str) -> None:
    made = {c: make_incident(client, login, c, ["tr"] if c == "restricted" else []) for c in CAN_READ}
    web.login(account)
    listed = web.get(f"{BASE}/map/incidents.json", params={"since": "2020-11-21", "until": "2020-11-21"}).json()
    shown = {row[0] for row in listed["rows"]}
    table = web.get(f"{BASE}/incidents", params={"since": "2020-11-21", "until": "2020-11-21"}).text
    for classification, incident_id in made.items():
        may = account in CAN_READ[classification]
        assert (incident_id in shown) == may, classification
        assert (f'data-incident="{incident_id}"' in table) == may, classification
        answer = web.get(f"{BASE}/incidents/{incident_id}")
        # As in the API, an unreadable record is "not found", for the public too (the same as a missing one).
        assert answer.status_code == (200 if may else 404), classification


@pytest.mark.parametrize("account", ACCOUNTS)
def test_guessed_incident_ids(web: WebClient, account: str) -> None:
    web.login(account)
    for guess in ("999999", "0", "-1"):
        answer = web.get(f"{BASE}/incidents/{guess}")
        assert answer.status_code == 404, guess
    assert web.get(f"{BASE}/incidents/abc").status_code == 400


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_file_through_the_form(web: WebClient, account: str) -> None:
    web.login(account)
    form = {
        "type": "fire", "subtype": "sniper", "date": "2020-11-21", "time": "10:00", "source": "post",
        "placement": "map", "lat": "39.9", "lon": "46.8", "classification": "mission",
    }  # fmt: skip
    answer = web.post_form(f"{BASE}/incidents/new", form)
    if account in {"liaison-am", "liaison-az"}:
        # The same rule as the API: a liaison officer files allegations only.
        assert answer.status_code == 422
        assert "allegations" in answer.text
        allegation = {**form, "source": "party", "classification": "parties", "alleged.az": "1"}
        answer = web.post_form(f"{BASE}/incidents/new", allegation)
    if account in FILERS:
        assert answer.status_code == 303, answer.text[:500]
        assert answer.headers["location"].startswith(f"{BASE}/incidents/")
    else:
        assert answer.status_code == expected_refusal(account)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_file_a_restriction_through_the_form(web: WebClient, account: str) -> None:
    web.login(account)
    form = {
        "category": "denial", "kind": "checkpoint", "start": "2020-11-21T09:30", "duration_min": "45",
        "lat": "39.9", "lon": "46.8", "reason_given": "no reason", "classification": "mission",
    }  # fmt: skip
    answer = web.post_form(f"{BASE}/restrictions/new", form)
    if account in RESTRICTION_FILERS:
        assert answer.status_code == 303, answer.text[:500]
        assert answer.headers["location"].startswith(f"{BASE}/restrictions/new?recorded=")
    else:
        assert answer.status_code == expected_refusal(account)


@pytest.fixture
def public_incident(session: Session) -> int:
    """An incident everyone may read, so that only the right to verify differs between accounts."""
    stmt = select(Incident.id).where(Incident.classification == "public", Incident.status != "retracted")
    return int(session.execute(stmt.order_by(Incident.id).limit(1)).scalar_one())


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_verify_through_the_form(web: WebClient, public_incident: int, account: str) -> None:
    web.login(account)
    path = f"{BASE}/incidents/{public_incident}"
    answer = web.post_form(f"{path}/verify", {"verdict": "confirm", "note": "seen on the drone video"})
    if account in VERIFIERS:
        assert answer.status_code == 303, answer.text[:500]
        assert "seen on the drone video" in web.get(path).text
    else:
        assert answer.status_code == expected_refusal(account)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_administer(web: WebClient, account: str) -> None:
    web.login(account)
    site = {"name": "OP 24", "kind": "post", "code": "OP-24", "lat": "39.9", "lon": "46.8", "classification": "mission"}
    user = {"username": f"new-{account}", "password": "long-enough-1", "role": "monitor", "delegation": "ru"}
    for path, form in ((f"{BASE}/admin/sites", site), (f"{BASE}/admin/users", user)):
        answer = web.post_form(path, form)
        expected = 303 if account == "admin" else expected_refusal(account)
        assert answer.status_code == expected, (path, answer.text[:500])


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_manage_places_accounts_and_phones(web: WebClient, account: str) -> None:
    web.login(account)
    moved = {"name": "Moved", "kind": "post", "classification": "mission",
             "geometry": '{"type": "Point", "coordinates": [44.5, 41.2]}'}  # fmt: skip
    posts = (
        (f"{BASE}/admin/sites/1/edit", moved, 303),
        (f"{BASE}/admin/users/analyst-ru/role", {"role": "analyst"}, 303),
        (f"{BASE}/admin/users/analyst-ru/reset", {"confirm": "yes"}, 200),
        (f"{BASE}/admin/phones", {"name": f"phone-{account}", "delegation": "ru", "role": "monitor"}, 200),
        (f"{BASE}/admin/phones/999/revoke", {}, 404),
    )
    for path, form, allowed in posts:
        answer = web.post_form(path, form)
        expected = allowed if account == "admin" else expected_refusal(account)
        assert answer.status_code == expected, (path, answer.text[:500])


def test_staff_set_is_what_the_pages_assume() -> None:
    assert {"admin", "monitor-ru", "verifier-ru", "verifier-tr", "analyst-ru"} == STAFF


@pytest.fixture
def parties_incident(client: TestClient, login: Login) -> int:
    """An incident of the mission's monitor that the sides' liaison officers may read (classification parties)."""
    return make_incident(client, login, "parties", [])


# Who may add evidence to the monitor's incident from its page: staff who file, not a liaison of either side
# (a liaison adds to their own side's allegations only), not those who only read.
EVIDENCE_ADDERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr"}


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_add_evidence_on_the_incident_page(
    web: WebClient, session: Session, parties_incident: int, account: str
) -> None:
    web.login(account)
    files = [("evidence", ("note.txt", f"Seen by {account}.".encode(), "text/plain"))]
    answer = web.post_form(f"{BASE}/incidents/{parties_incident}/evidence", {}, files=files)
    readers = CAN_READ["parties"]
    if account in EVIDENCE_ADDERS:
        assert answer.status_code == 303, answer.text[:500]
    elif account == "public":
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login")
    else:
        assert answer.status_code == (403 if account in readers else 404), answer.text[:300]
    page = web.get(f"{BASE}/incidents/{parties_incident}")
    shown = 'action="/m/nk-2020/incidents/' in page.text and "add-evidence" in page.text
    assert shown == (account in EVIDENCE_ADDERS)
    stored = session.execute(select(Evidence.id).where(Evidence.incident_id == parties_incident)).all()
    assert len(stored) == (1 if account in EVIDENCE_ADDERS else 0)


def refusal_for(account: str, readers: set[str], *, post: bool = True) -> int:
    """How an action is refused: a post by the public is sent to log in, a reader is told no, anyone else
    (the public reading too, in this public mission) finds nothing there."""
    if account == "public" and post:
        return 303
    return 403 if account in readers else 404


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_amend_retract_and_merge(
    client: TestClient, login: Login, web: WebClient, session: Session, account: str
) -> None:
    # Filed by verifier-tr (make_incident): only its author amends or retracts it; admins and verifiers merge.
    incident, other = make_incident(client, login, "parties", []), make_incident(client, login, "parties", [])
    readers = CAN_READ["parties"]
    web.login(account)
    edit = web.get(f"{BASE}/incidents/{incident}/edit")
    assert edit.status_code == (200 if account == "verifier-tr" else refusal_for(account, readers, post=False))
    merge = web.post_form(f"{BASE}/incidents/{other}/merge", {"into": str(incident)})
    mergers = {"admin", "verifier-ru", "verifier-tr"}
    assert merge.status_code == (303 if account in mergers else refusal_for(account, readers)), merge.text[:300]
    retract = web.post_form(f"{BASE}/incidents/{incident}/retract", {})
    assert retract.status_code == (303 if account == "verifier-tr" else refusal_for(account, readers))
    status = session.execute(select(Incident.status).where(Incident.id == incident)).scalar_one()
    assert (status == "retracted") == (account == "verifier-tr")


# Personal identifiers of an exchange: the two sides and the intermediary, never another delegation's admin.
IDENTIFIER_READERS = {"liaison-am", "liaison-az"}
EXCHANGE_READERS = STAFF | {"liaison-am", "liaison-az", "humanitarian-unhcr"}


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_sees_an_exchanges_personal_identifiers(web: WebClient, session: Session, account: str) -> None:
    exchange = session.execute(select(Exchange.id).where(Exchange.kind == "detainees")).scalar_one()
    web.login(account)
    page = web.get(f"{BASE}/exchanges/{exchange}")
    if account not in EXCHANGE_READERS:
        assert page.status_code in (303, 404)
        return
    assert page.status_code == 200
    # Everyone who reads the exchange sees the counts and that the lists differ ...
    assert "13 detainees" in page.text
    # ... and only the sides (and the intermediary) the identifiers behind them.
    assert ("AM-D-014" in page.text) == (account in IDENTIFIER_READERS), account


@pytest.mark.parametrize("account", ACCOUNTS)
def test_a_job_is_its_requesters_only(web: WebClient, session: Session, account: str) -> None:
    web.login("liaison-am")
    asked = web.post_form(f"{BASE}/exports", {"format": "csv", "language": "en"})
    assert asked.status_code == 303, asked.text[:500]
    job_page = asked.headers["location"]
    jobs_service.perform(session, session.execute(select(Job)).scalar_one())
    session.flush()
    web.logout()
    web.login(account)
    for path in (job_page, job_page + "/file"):
        answer = web.get(path)
        if account == "liaison-am":
            assert answer.status_code == 200, (path, answer.text[:300])
        else:
            # To anyone else the job does not exist; the public is asked to log in first.
            assert answer.status_code == (303 if account == "public" else 404), (path, answer.text[:300])
