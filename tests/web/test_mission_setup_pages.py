"""The mission set-up page (operators) and the settings page (a mission's administrators): who opens and uses
them, and the same checks and messages as `truce mission create`."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from mission_examples import EXAMPLE
from support import ACCOUNTS
from truce.missions import service as missions_service
from truce.policy import Actor
from truce.users import service as users_service
from web.conftest import WebClient

WHO = [*ACCOUNTS, "operator"]
EXAMPLE_TEXT = EXAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def operator(session: Session) -> str:
    users_service.create_operator(session, "ops", "a-long-password", actor=Actor.system())
    session.commit()
    return "ops"


def refusal(who: str) -> int:
    return 303 if who == "public" else 403


@pytest.mark.parametrize("who", WHO)
def test_only_an_operator_sets_up_missions(web: WebClient, session: Session, operator: str, who: str) -> None:
    web.login(operator if who == "operator" else who)
    page = web.get("/setup/missions")
    created = web.post_form("/setup/missions", {"mission_file": EXAMPLE_TEXT})
    if who == "operator":
        assert page.status_code == 200
        assert "nk-2020" in page.text
        assert created.status_code == 303, created.text[:800]
        assert created.headers["location"] == "/m/valley-buffer/"
        assert missions_service.get_by_slug(session, "valley-buffer") is not None
        return
    assert page.status_code == refusal(who)
    assert created.status_code in (refusal(who), 403)
    assert missions_service.get_by_slug(session, "valley-buffer") is None


def test_the_page_lists_every_problem_and_creates_nothing(web: WebClient, session: Session, operator: str) -> None:
    web.login(operator)
    bad = EXAMPLE_TEXT.replace("kind: side\n", "kind: ally\n", 1).replace("time_zone: Etc/GMT-2", "time_zone: Mars/x")
    answer = web.post_form("/setup/missions", {"mission_file": bad})
    assert answer.status_code == 422
    assert "parties[0].kind: &#39;ally&#39; is not one of side, guarantor, mediator, agency, observer" in answer.text
    assert missions_service.get_by_slug(session, "valley-buffer") is None
    meaning = web.post_form("/setup/missions", {"mission_file": EXAMPLE_TEXT.replace("Etc/GMT-2", "Mars/Olympus")})
    assert "time_zone: &#39;Mars/Olympus&#39; is not a time zone" in meaning.text
    paths = EXAMPLE_TEXT.replace("  lines:\n    type: FeatureCollection", "  lines: /etc/passwd.json\n  x:", 1)
    assert web.post_form("/setup/missions", {"mission_file": paths}).status_code == 422


def test_the_operator_names_the_first_administrator(web: WebClient, session: Session, operator: str) -> None:
    web.login(operator)
    answer = web.post_form(
        "/setup/missions",
        {"mission_file": EXAMPLE_TEXT, "admin": "chief", "delegation": "force", "password": "a-long-password"},
    )
    assert answer.status_code == 303
    chief = users_service.get_by_name(session, "chief")
    mission = missions_service.get_by_slug(session, "valley-buffer")
    assert users_service.actor_for(session, chief, mission).role == "admin"


@pytest.mark.parametrize("who", WHO)
def test_who_changes_the_settings(web: WebClient, session: Session, operator: str, who: str) -> None:
    web.login(operator if who == "operator" else who)
    page = web.get("/m/nk-2020/admin/settings")
    saved = web.post_form(
        "/m/nk-2020/admin/settings",
        {"quorum_delegations": "3", "quorum_required": "ru tr", "allow_self_verification": "on",
         "time_zone": "Etc/GMT-4", "languages": "en ru", "ceiling_personnel": "2000",
         "ceiling_armoured_vehicles": "90", "ceiling_other_vehicles": "380"},
    )  # fmt: skip
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    session.refresh(mission)
    if who in ("admin", "operator"):
        assert page.status_code == 200
        assert 'value="Etc/GMT-4"' in page.text
        assert saved.status_code == 303, saved.text[:800]
        assert (mission.quorum_delegations, mission.ceiling_personnel) == (3, 2000)
        return
    assert page.status_code in (refusal(who), 404)
    assert saved.status_code in (refusal(who), 403, 404)
    assert (mission.quorum_delegations, mission.ceiling_personnel) == (2, 1960)


def test_settings_are_checked_as_the_mission_file_is(web: WebClient, session: Session) -> None:
    web.login("admin")
    answer = web.post_form(
        "/m/nk-2020/admin/settings",
        {"quorum_delegations": "2", "quorum_required": "ru unfm", "time_zone": "Mars/Olympus", "languages": "en fr"},
    )
    assert answer.status_code == 422
    for message in ("time_zone: &#39;Mars/Olympus&#39; is not a time zone",
                    "verification.required[1]: &#39;unfm&#39; is not a declared delegation",
                    "name.fr: missing: the mission works in en, fr"):  # fmt: skip
        assert message in answer.text
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    session.refresh(mission)
    assert mission.time_zone == "Etc/GMT-4"


def test_the_pages_speak_russian(web: WebClient, operator: str) -> None:
    web.login(operator)
    page = web.get("/setup/missions", headers={"Accept-Language": "ru"})
    assert "Создать миссию из её файла" in page.text
    web.login("admin")
    settings = web.get("/m/nk-2020/admin/settings", headers={"Accept-Language": "ru"})
    assert "Настройки миссии" in settings.text


def test_the_incident_form_offers_the_missions_own_subtypes(web: WebClient, session: Session) -> None:
    from truce.missionfile import create, spec

    mission, _ = create.create(session, spec.read(EXAMPLE), actor=Actor.system())
    users_service.create(
        session, "monitor-force", "a-long-password", mission=mission, role="monitor", delegation_code="force",
        actor=Actor.system(mission.id),
    )  # fmt: skip
    session.commit()
    web.login("monitor-force")
    form = web.get("/m/valley-buffer/incidents/new")
    assert form.status_code == 200
    assert '<option value="crossing_closed" data-type="access">Crossing point closed</option>' in form.text
    nk = web.login("monitor-ru").get("/m/nk-2020/incidents/new")
    assert "crossing_closed" not in nk.text
