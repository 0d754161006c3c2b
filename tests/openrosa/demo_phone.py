"""A demo database of a test's own with one phone registered, for tests that need real, committed transactions (or
the example mission's, for a test that runs against both)."""

from __future__ import annotations

from sqlalchemy import func, select

from mission_examples import DEMO_SLUG, SCENES, load_example
from openrosa.collect import account_of, basic
from truce.db import Database
from truce.demo import loader
from truce.incidents.models import Incident
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.openrosa import callers, devices
from truce.users import service as users_service


def demo_with_device(db: Database, name: str, slug: str = DEMO_SLUG) -> tuple[Mission, devices.NewDevice, int]:
    """Load the demo into `db` (a no-op on conftest's demo_database) and add phone `name` to the ru delegation.

    With the example's `slug`, load the example instead (`db` is empty) and add the phone to ru's counterpart.
    The mission, the new device with its token (shown once), and how many incidents the mission held then.
    """
    scene = SCENES[slug]
    with db.session() as session:
        if slug == DEMO_SLUG:
            loader.load(session)
        else:
            load_example(session)
        mission = missions_service.get_by_slug(session, slug)
        assert mission is not None
        admin = users_service.actor_for(
            session, users_service.get_by_name(session, account_of(scene, "admin")), mission
        )
        added = devices.add_device(session, mission, name, delegation_code=scene.delegation("ru"), actor=admin)
        incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
    return mission, added, incidents


def demo_with_phone(db: Database, name: str) -> tuple[Mission, callers.Caller, int]:
    """The same, with the phone's caller as its token logs it in."""
    mission, added, incidents = demo_with_device(db, name)
    with db.session(write=False) as session:
        header = basic(added.username, added.token)["Authorization"]
        caller = callers.caller_for(session, mission, header)
    return mission, caller, incidents
