"""Fixtures for the report tests: the demo mission, its members, and incidents filed on the report's day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from support import point_feature
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.schemas import IncidentIn
from truce.missions.models import Mission
from truce.policy import Actor

DAY = date(2020, 11, 21)
SECRET = "Restricted sighting by the tr delegation, never to be published"


@pytest.fixture
def file_incident(session: Session, mission: Mission, member: Callable[[str], Actor]) -> Callable[..., Incident]:
    """File an incident near Shusha/Shushi through the service (as monitor-ru unless told otherwise)."""

    def run(actor: Actor | None = None, lon: float = 46.76, lat: float = 39.74, **properties: Any) -> Incident:
        values: dict[str, Any] = {
            "type": "explosion", "subtype": "mortar", "start": "2020-11-21T14:30:00+04:00", "source": "post",
            "classification": "public", **properties,
        }  # fmt: skip
        feature = IncidentIn.model_validate(point_feature(lon, lat, **values))
        return incidents_service.create(session, mission, feature, actor=actor or member("monitor-ru"))

    return run
