"""Issue 17 part 7: the overview names the phones that have not reported. Who is told is `policy.watches_phones`
(administrators: every phone; a delegation's monitors and verifiers: their own delegation's)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mission_examples import Scene
from openrosa.collect import Phone, fill, incident_values
from support import Login
from truce.missions.models import Mission
from truce.openrosa import devices
from truce.policy import Actor

NewDevice = Callable[..., tuple[Phone, dict[str, object]]]


def test_phones_that_sent_nothing_lately_are_named_to_those_who_watch_them(
    new_device: NewDevice, session: Session, client: TestClient, login: Login, mission: Mission,
    member: Callable[[str], Actor], scene: Scene,
) -> None:  # fmt: skip
    def silent_names(account: str, since: datetime) -> set[str]:
        return {p.name for p in devices.silent_devices(session, mission, since, actor=member(account))}

    talking, _ = new_device("talking-phone", "ru")
    new_device("quiet-phone", "ru")
    new_device("quiet-az-phone", "az")
    assert talking.submit(fill(talking.form("incident"), incident_values(scene))).status_code == 201
    lately = datetime.now(UTC) - timedelta(hours=24)
    # The administrator watches every phone; the phone that has just sent is not among the silent ones.
    admin = silent_names("admin", lately)
    assert {"quiet-phone", "quiet-az-phone"} <= admin
    assert "talking-phone" not in admin
    # A Russian monitor (or its counterpart) watches its own delegation's phones only.
    own = silent_names("monitor-ru", lately)
    assert "quiet-phone" in own
    assert "quiet-az-phone" not in own
    # Asked about a later moment, the phone that sent before it is silent too, with its last time.
    admin_actor = member("admin")
    later = devices.silent_devices(session, mission, datetime.now(UTC) + timedelta(minutes=1), actor=admin_actor)
    last = {p.name: p.last_received for p in later}
    assert last["talking-phone"] is not None
    assert last["quiet-phone"] is None
    # A liaison officer or an analyst is told nothing of the phones.
    assert silent_names("liaison-am", lately) == set()
    assert silent_names("analyst-ru", lately) == set()
    # Revoked phones are not working phones.
    quiet = devices.get_device_by_name(session, mission, "quiet-phone", actor=admin_actor)
    revoked = client.post(f"{scene.api}/devices/{quiet.id}/revoke", headers=login("admin"))
    assert revoked.status_code == 200, revoked.text
    session.expire_all()
    assert "quiet-phone" not in silent_names("admin", lately)
