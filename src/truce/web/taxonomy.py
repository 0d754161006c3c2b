"""A mission's taxonomy in the pages: Truce's types and subtypes, and the mission's own subtypes with their labels."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastapi import Request

from truce.incidents import taxonomy
from truce.missions.models import Mission
from truce.web import i18n, labels


def subtypes(mission: Mission) -> dict[str, dict[str, taxonomy.AcledType]]:
    """Every subtype a form of the mission offers, by type: Truce's own, then the mission's."""
    return taxonomy.of_mission(mission.taxonomy)


def labels_for(request: Request, mission: Mission) -> SimpleNamespace:
    """The pages' labels, with the mission's own subtypes named in the reader's language (else the mission's)."""
    local: dict[str, Any] = {}
    language = i18n.negotiate(request)
    for entry in mission.taxonomy:
        local[entry["subtype"]] = taxonomy.label(mission.taxonomy, entry["type"], entry["subtype"], language)
    names = {name: getattr(labels, name) for name in dir(labels) if name.isupper()}
    return SimpleNamespace(**{**names, "SUBTYPE": {**labels.SUBTYPE, **local}})
