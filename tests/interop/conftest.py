"""Fixtures for the open-data tests: the demo mission, its readers, and exports as text."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import point_feature
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.schemas import IncidentIn
from truce.interop.export import view_for
from truce.interop.formats import EXPORTS
from truce.missions.models import Mission
from truce.policy import Actor

SECRET = "Restricted sighting near the post, for the tr delegation only"


@pytest.fixture
def export(session: Session, mission: Mission) -> Callable[[str, Actor], str]:
    """An export in one of the formats, as the given reader sees it, as text."""

    def run(file_format: str, actor: Actor) -> str:
        write, _ = EXPORTS[file_format]
        out = io.StringIO(newline="")
        write(session, view_for(session, mission, actor), out, lambda _n: None)
        return out.getvalue()

    return run


@pytest.fixture
def file_incident(session: Session, mission: Mission, scene: Scene) -> Callable[..., Incident]:
    """File an incident at the scene's point through the service as the given actor, public unless told otherwise."""

    def run(actor: Actor, **properties: Any) -> Incident:
        values: dict[str, Any] = {
            "type": "explosion", "subtype": "mortar", "start": scene.moment(14, 30, day=scene.day - timedelta(days=1)),
            "source": "post", "classification": "public", **properties,
        }  # fmt: skip
        feature = IncidentIn.model_validate(point_feature(*scene.point, **values))
        return incidents_service.create(session, mission, feature, actor=actor)

    return run


@pytest.fixture
def restricted(file_incident: Callable[..., Incident], member: Callable[[str], Actor], scene: Scene) -> Incident:
    """An incident only the `tr` delegation (its counterpart) and administrators may read."""
    only = [scene.delegation("tr")]
    return file_incident(member("verifier-tr"), classification="restricted", restricted_to=only, narrative=SECRET)
