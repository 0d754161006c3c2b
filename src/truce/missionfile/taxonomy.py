"""A mission's own subtypes, checked against Truce's taxonomy and ACLED's event types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from truce.errors import Message
from truce.incidents.taxonomy import ACLED_TYPES, TAXONOMY
from truce.missionfile.problems import Problem


def check_subtypes(subtypes: list[dict[str, Any]], languages: list[str]) -> list[Problem]:
    """Each local subtype is new to its type, given once, mapped to a real ACLED pair, labelled in known languages."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for i, entry in enumerate(subtypes):
        path = f"taxonomy.subtypes[{i}]"
        key = (entry["type"], entry["subtype"])
        if entry["subtype"] in TAXONOMY[entry["type"]]:
            problems.append(
                Problem(
                    f"{path}.subtype",
                    Message(
                        "%(subtype)r is already a subtype of %(type)s", subtype=entry["subtype"], type=entry["type"]
                    ),
                )
            )
        if key in seen:
            problems.append(
                Problem(
                    f"{path}.subtype",
                    Message(
                        "%(subtype)r is given twice (also %(other)s)",
                        subtype=entry["subtype"],
                        other=f"taxonomy.subtypes[{seen[key]}]",
                    ),
                )
            )
        seen.setdefault(key, i)
        event_type, sub_event_type = entry["acled"]["event_type"], entry["acled"]["sub_event_type"]
        if event_type not in ACLED_TYPES:
            problems.append(Problem(f"{path}.acled.event_type", _not_one_of(event_type, ACLED_TYPES)))
        elif sub_event_type not in ACLED_TYPES[event_type]:
            problems.append(
                Problem(
                    f"{path}.acled.sub_event_type",
                    _not_one_of(sub_event_type, ACLED_TYPES[event_type]),
                )
            )
        for language in entry.get("labels", {}):
            if language not in languages:
                problems.append(
                    Problem(
                        f"{path}.labels.{language}",
                        Message("%(language)s is not among the mission's languages", language=language),
                    )
                )
    return problems


def _not_one_of(value: str, choices: Iterable[str]) -> Message:
    return Message("%(value)r is not one of %(choices)s", value=value, choices=", ".join(choices))
