"""Phones' names are the mission's own: two missions may each have a `post-7`, each phone works in its mission only,
a name used twice within a mission is refused (in English and Russian), and no answer tells of another mission's
phones. Phones registered before their accounts carried the mission (`device.<name>`) keep working."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from openrosa.collect import Phone, basic, fill, incident_values
from support import Login
from truce.db import Database
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import DelegationIn, MissionIn, PartyIn
from truce.openrosa import devices, xforms
from truce.openrosa.models import Device, Submission
from truce.policy import Actor
from truce.users import service as users_service
from truce.web import sessions
from web.conftest import WebClient

NewDevice = Callable[..., tuple[Phone, dict[str, object]]]
OTHER = "other-mission"
OTHER_ADMIN = "admin.other-mission"
OTHER_PASSWORD = "other-mission-password"
SAME_NAME = "post-7"
REFUSED = f"this mission already has a phone named {SAME_NAME}"
REFUSED_RU = f"в этой миссии уже есть телефон с именем {SAME_NAME}"


def other_mission(session: Session, mission: Mission) -> Mission:
    """A second mission on the same server, with the scene's taxonomy, one delegation and its administrator."""
    other = missions_service.create(
        session, MissionIn(slug=OTHER, name="Other", taxonomy=mission.taxonomy), actor=Actor.system()
    )
    scoped = Actor.system(other.id)
    missions_service.create_party(session, other, PartyIn(code="un", name="UN", kind="mediator"), actor=scoped)
    missions_service.create_delegation(session, other, DelegationIn(code="un", name="UN", party="un"), actor=scoped)
    users_service.create(
        session, OTHER_ADMIN, OTHER_PASSWORD, mission=other, role="admin", delegation_code="un", actor=scoped
    )
    session.commit()
    return other


def other_admin(client: TestClient) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", data={"username": OTHER_ADMIN, "password": OTHER_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def register(client: TestClient, slug: str, headers: dict[str, str], delegation: str) -> dict[str, object]:
    answer = client.post(
        f"/api/v1/missions/{slug}/devices", json={"name": SAME_NAME, "delegation": delegation}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, object] = answer.json()
    return created


def stored_in(session: Session, mission: Mission) -> int:
    session.expire_all()
    count = select(func.count()).select_from(Submission).where(Submission.mission_id == mission.id)
    return int(session.scalar(count) or 0)


def test_two_missions_each_have_a_phone_of_the_same_name_that_works_in_its_own_only(
    client: TestClient, login: Login, session: Session, mission: Mission, scene: Scene
) -> None:
    other = other_mission(session, mission)
    mine = register(client, scene.slug, login("admin"), scene.delegation("ru"))
    theirs = register(client, OTHER, other_admin(client), "un")
    assert mine["username"] == devices.device_username(SAME_NAME, mission.id)
    assert theirs["username"] == devices.device_username(SAME_NAME, other.id)
    assert mine["username"] != theirs["username"]
    # The QR code carries the account each phone logs in with.
    for created in (mine, theirs):
        assert devices.read_payload(str(created["settings"]))["general"]["username"] == created["username"]

    my_phone = Phone(client, basic(str(mine["username"]), str(mine["token"])), scene.slug)
    their_phone = Phone(client, basic(str(theirs["username"]), str(theirs["token"])), OTHER)
    assert set(my_phone.form_list()) == {xforms.form_id(scene.slug, kind) for kind in xforms.KINDS}
    assert set(their_phone.form_list()) == {xforms.form_id(OTHER, kind) for kind in xforms.KINDS}

    mine_before, theirs_before = stored_in(session, mission), stored_in(session, other)
    assert my_phone.submit(fill(my_phone.form("incident"), incident_values(scene))).status_code == 201
    assert their_phone.submit(fill(their_phone.form("incident"), incident_values(scene))).status_code == 201
    assert (stored_in(session, mission), stored_in(session, other)) == (mine_before + 1, theirs_before + 1)

    # Each phone, at the other mission's address, is refused, and nothing is stored there.
    for phone, form_xml, elsewhere in ((my_phone, my_phone.form("incident"), OTHER),
                                       (their_phone, their_phone.form("incident"), scene.slug)):  # fmt: skip
        astray = Phone(client, phone.headers, elsewhere)
        assert astray.get(f"{astray.base}/formList").status_code == 403
        refused = astray.submit(fill(form_xml, incident_values(scene)), head=False)
        assert refused.status_code == 403, refused.text
    assert (stored_in(session, mission), stored_in(session, other)) == (mine_before + 1, theirs_before + 1)
    rows = session.execute(select(Submission.mission_id, Device.mission_id).join(Device)).all()
    assert all(submitted_to == registered_in for submitted_to, registered_in in rows)


def test_a_name_used_twice_in_one_mission_is_refused_and_says_so(
    client: TestClient, login: Login, session: Session, mission: Mission, scene: Scene
) -> None:
    register(client, scene.slug, login("admin"), scene.delegation("ru"))
    again = client.post(
        f"{scene.api}/devices", json={"name": SAME_NAME, "delegation": scene.delegation("ru")}, headers=login("admin")
    )
    assert again.status_code == 409
    assert REFUSED in again.json()["detail"]
    # A revoked phone keeps its name: a new phone needs another one.
    listed = client.get(f"{scene.api}/devices", headers=login("admin")).json()
    [device_id] = [d["id"] for d in listed if d["name"] == SAME_NAME]
    assert client.post(f"{scene.api}/devices/{device_id}/revoke", headers=login("admin")).status_code == 200
    third = client.post(
        f"{scene.api}/devices", json={"name": SAME_NAME, "delegation": scene.delegation("ru")}, headers=login("admin")
    )
    assert third.status_code == 409
    assert REFUSED in third.json()["detail"]


def test_the_phones_page_refuses_a_name_used_in_the_mission_in_english_and_russian(
    client: TestClient, db: Database, scene: Scene
) -> None:
    web = WebClient(client, db, scene).login("admin")
    form = {"name": SAME_NAME, "delegation": scene.delegation("ru"), "role": "monitor"}
    assert web.post_form(f"{scene.pages}/admin/phones", form).status_code == 200
    refused = web.post_form(f"{scene.pages}/admin/phones", form)
    assert refused.status_code == 422
    assert REFUSED in refused.text
    assert 'href="#f-name"' in refused.text
    web.client.cookies.set("truce_lang", "ru")
    refused_ru = web.post_form(f"{scene.pages}/admin/phones", form)
    assert refused_ru.status_code == 422
    assert REFUSED_RU in refused_ru.text


def test_nothing_tells_a_mission_of_another_missions_phones(
    client: TestClient, login: Login, session: Session, mission: Mission, db: Database, scene: Scene
) -> None:
    other_mission(session, mission)
    mine = register(client, scene.slug, login("admin"), scene.delegation("ru"))
    headers = other_admin(client)
    # The other mission registers the same name without a word about this mission's phone ...
    theirs = register(client, OTHER, headers, "un")
    # ... and its list, its page and its refusals never name it, its account or this mission.
    listed = client.get(f"/api/v1/missions/{OTHER}/devices", headers=headers)
    assert [d["username"] for d in listed.json()] == [theirs["username"]]
    again = client.post(f"/api/v1/missions/{OTHER}/devices", json={"name": SAME_NAME, "delegation": "un"},
                        headers=headers)  # fmt: skip
    assert again.status_code == 409
    web = WebClient(client, db, scene)
    with db.writer() as writer:
        admin = users_service.get_by_name(writer, OTHER_ADMIN)
        assert admin is not None
        web.client.cookies.set(sessions.COOKIE, sessions.start(writer, admin, hours=1))
        writer.commit()
    page = web.get(f"/m/{OTHER}/admin/phones")
    assert page.status_code == 200
    refused_page = web.post_form(f"/m/{OTHER}/admin/phones", {"name": SAME_NAME, "delegation": "un"})
    assert refused_page.status_code == 422
    for answer in (listed.text, again.text, page.text, refused_page.text):
        assert str(mine["username"]) not in answer
        assert scene.slug not in answer
        assert not re.search(rf"device\.{mission.id}\.", answer)
    # Trying this mission's phones' account names over Basic: a name a phone has answers as one it has not.
    probes = [f"device.{mission.id}.{SAME_NAME}", f"device.{mission.id}.no-such-phone", "device.no-such-phone"]
    for slug in (OTHER, scene.slug):
        answers = [Phone(client, basic(name, "guessed"), slug).get(f"/openrosa/{slug}/formList") for name in probes]
        assert {(a.status_code, a.text) for a in answers} == {(401, answers[0].text)}
        assert "the device token is not valid" in answers[0].text


def test_a_person_cannot_take_a_name_kept_for_phones(
    client: TestClient, db: Database, mission: Mission, scene: Scene
) -> None:
    """Else a mission's administrator could take the name of a phone another mission is yet to register."""
    web = WebClient(client, db, scene).login("admin")
    user = {"username": f"device.{mission.id}.post-8", "password": "long-enough-1", "role": "monitor",
            "delegation": scene.delegation("ru")}  # fmt: skip
    refused = web.post_form(f"{scene.pages}/admin/users", user)
    assert refused.status_code == 422
    assert "names beginning with 'device.' are kept for phones' accounts" in html.unescape(refused.text)
    web.client.cookies.set("truce_lang", "ru")
    refused_ru = web.post_form(f"{scene.pages}/admin/users", user)
    assert "имена, начинающиеся с «device.», отведены учётным записям телефонов" in html.unescape(refused_ru.text)


def test_a_phone_registered_before_keeps_its_account_and_works(
    client: TestClient, login: Login, session: Session, mission: Mission, scene: Scene
) -> None:
    # As an older Truce registered it: an account named `device.<name>`, the same device row.
    admin = Actor.system(mission.id)
    token = devices.new_token()
    account = users_service.create(
        session, f"device.{SAME_NAME}", devices.new_token(), mission=mission, role="monitor",
        delegation_code=scene.delegation("ru"), actor=admin, device=True,
    )  # fmt: skip
    device = Device(mission_id=mission.id, name=SAME_NAME, user_id=account.id, token_hash=devices.token_hash(token),
                    forms=[xforms.form_id(mission.slug, k) for k in xforms.KINDS], created_by="system")  # fmt: skip
    session.add(device)
    ledger.record(session, admin, "device.create", device)
    session.commit()

    phone = Phone(client, basic(f"device.{SAME_NAME}", token), scene.slug)
    assert phone.submit(fill(phone.form("incident"), incident_values(scene))).status_code == 201
    assert devices.account_name(session, device) == f"device.{SAME_NAME}"
    listed = client.get(f"{scene.api}/devices", headers=login("admin")).json()
    assert [d["username"] for d in listed if d["name"] == SAME_NAME] == [f"device.{SAME_NAME}"]
    # Its name stays taken in its mission, and only there.
    again = client.post(
        f"{scene.api}/devices", json={"name": SAME_NAME, "delegation": scene.delegation("ru")}, headers=login("admin")
    )
    assert again.status_code == 409
    assert REFUSED in again.json()["detail"]
    other = other_mission(session, mission)
    theirs = register(client, OTHER, other_admin(client), "un")
    assert theirs["username"] == devices.device_username(SAME_NAME, other.id)
