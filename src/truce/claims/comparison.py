"""A party's claimed numbers beside the mission's own count, day by day."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from truce import limits
from truce.claims import service
from truce.errors import Message, NotFound
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.movements import summaries
from truce.policy import Actor

# What a stated number must count to be set beside the counted returns.
RETURN_COUNTS = frozenset({"returnees", "returns", "returned refugees", "refugees returned"})


# "over 26,000" and "at least 26,000" say the true number is no lower; "up to" says it is no higher.
LOWER_BOUNDS = frozenset({"over", "at least"})
UPPER_BOUNDS = frozenset({"up to"})


def gap(value: int, qualifier: str, counted: int) -> dict[str, Any]:
    """How a stated figure stands against the count, with the sign's meaning.

    `difference` is the stated figure minus the counted one: positive, the claim says more than was counted.
    A bound that the count satisfies ("over 26,000" against 26,250 counted) is no difference at all: `difference`
    is 0 and `verdict` says "within the bound". `verdict` is one of: "same", "more" (the claim says more than
    counted), "fewer", "within" (a bound the count satisfies); `bound` is "lower", "upper" or None, and
    `approximate` is true for "about".
    """
    bound = "lower" if qualifier in LOWER_BOUNDS else "upper" if qualifier in UPPER_BOUNDS else None
    strict = qualifier == "over"
    if bound == "lower" and (counted > value or (counted == value and not strict)):
        return {"difference": 0, "verdict": "within", "bound": bound, "approximate": False}
    if bound == "upper" and counted <= value:
        return {"difference": 0, "verdict": "within", "bound": bound, "approximate": False}
    difference = value - counted
    verdict = "more" if difference > 0 else "fewer" if difference < 0 else "same"
    if bound == "lower" and difference == 0:
        # "over 26,000" against exactly 26,000 counted: the claim says more than was counted.
        verdict = "more"
    return {"difference": difference, "verdict": verdict, "bound": bound, "approximate": qualifier == "about"}


def claiming_party(session: Session, mission: Mission, *, actor: Actor) -> str | None:
    """The party whose claims the actor may read state the most return figures (the mission's first party on a
    tie, or when none states any); None for a mission without parties."""
    codes = [party.code for party in missions_service.parties(session, mission)]
    figures = dict.fromkeys(codes, 0)
    for claim in service.list_claims(session, mission, actor=actor):
        if claim.affiliation in figures:
            figures[claim.affiliation] += sum(1 for n in claim.numbers if n["counts"] in RETURN_COUNTS)
    return max(codes, key=figures.__getitem__) if codes else None  # max() keeps the first of equals


def claimed_returns(session: Session, mission: Mission, party: str, *, actor: Actor) -> list[dict[str, Any]]:
    """Every return figure in the party's claims that the actor may read, by the day it refers to."""
    figures: list[dict[str, Any]] = []
    for claim in service.list_claims(session, mission, actor=actor, affiliation=party):
        for number in claim.numbers:
            if number["counts"] in RETURN_COUNTS:
                figures.append(
                    {
                        "claim": claim.id,
                        "speaker": claim.speaker,
                        "said_on": claim.said_on.isoformat(),
                        "as_of": number["as_of"],
                        "value": number["value"],
                        "qualifier": number["qualifier"],
                        "cumulative": number["cumulative"],
                        "status": claim.status,
                    }
                )
    return sorted(figures, key=lambda f: (f["as_of"], f["claim"]))


def compare_returns(
    session: Session,
    mission: Mission,
    party: str,
    *,
    actor: Actor,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """Claimed against counted returns for each day: the counted daily and running totals, and each claim's gap."""
    if party not in {p.code for p in missions_service.parties(session, mission)}:
        raise NotFound(Message("mission %(mission)s has no party %(party)r", mission=mission.slug, party=party))
    limits.check_range(since, until)
    figures = claimed_returns(session, mission, party, actor=actor)
    claimed_days = [date.fromisoformat(f["as_of"]) for f in figures]
    counted = summaries.returns(session, mission, actor=actor)
    counted_days = [date.fromisoformat(d["date"]) for d in counted["days"]]
    every = claimed_days + counted_days
    if not every:
        return {"party": party, "days": []}
    first = since or min(every)
    last = until or max(every)
    series = summaries.returns(session, mission, actor=actor, since=first, until=last)["days"]
    by_day = {d["date"]: {**d, "claimed": []} for d in series}
    for figure in figures:
        day = by_day.get(figure["as_of"])
        if day is None:
            continue
        counted_figure = day["cumulative"] if figure["cumulative"] else day["returned"]
        day["claimed"].append(
            {**figure, "counted": counted_figure, **gap(figure["value"], figure["qualifier"], counted_figure)}
        )
    return {"party": party, "counts": "returnees", "days": list(by_day.values())}
