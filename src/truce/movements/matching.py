"""Matching the two sides' exchange lists: every difference is shown, and none is resolved by Truce."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from truce.movements.models import Exchange, ExchangeList

KINDS = ("detainees", "bodies")


def identifier_key(identifier: str) -> str:
    """How identifiers are compared: without spaces and case, so 'az 0012' matches 'AZ0012'."""
    return "".join(identifier.split()).upper()


def directions(exchange: Exchange) -> list[tuple[str, str, str]]:
    """(key, giver, receiver) for both ways of the exchange."""
    return [("a_to_b", exchange.side_a, exchange.side_b), ("b_to_a", exchange.side_b, exchange.side_a)]


def _listed(row: ExchangeList | None) -> dict[str, int] | None:
    return None if row is None else {"detainees": row.hands_over_detainees, "bodies": row.hands_over_bodies}


def _expected(row: ExchangeList | None) -> dict[str, int] | None:
    return None if row is None else {"detainees": row.receives_detainees, "bodies": row.receives_bodies}


def compare(exchange: Exchange, lists: Mapping[str, ExchangeList], *, show_identifiers: bool) -> dict[str, Any]:
    """Both directions of the exchange side by side, with every difference between lists and handover."""
    result: dict[str, Any] = {
        "missing_lists": [side for side in (exchange.side_a, exchange.side_b) if side not in lists],
        "directions": [],
        "differences": [],
    }
    for key, giver, receiver in directions(exchange):
        sent, expected = lists.get(giver), lists.get(receiver)
        listed, wanted = _listed(sent), _expected(expected)
        handed = exchange.handed_over.get(key)
        result["directions"].append(
            {"key": key, "from": giver, "to": receiver, "listed": listed, "expected": wanted, "handed_over": handed}
        )
        differences = result["differences"]
        if listed is not None and wanted is not None:
            for kind in KINDS:
                if listed[kind] != wanted[kind]:
                    differences.append(_count_difference(key, kind, giver, listed[kind], receiver, wanted[kind]))
        if sent is not None and expected is not None:
            differences.extend(_identifier_differences(key, giver, sent, receiver, expected, show_identifiers))
        if handed is not None and listed is not None:
            for kind in KINDS:
                if handed.get(kind, 0) != listed[kind]:
                    differences.append(
                        {
                            "direction": key,
                            "what": f"handed_over_{kind}",
                            "giver": giver,
                            "receiver": receiver,
                            "kind": kind,
                            "listed": listed[kind],
                            "handed": handed.get(kind, 0),
                            "detail": f"{giver} listed {listed[kind]} {kind} for {receiver}; "
                            f"{handed.get(kind, 0)} were handed over",
                        }
                    )
    result["lists_agree"] = not result["missing_lists"] and not any(
        d["what"] in (*KINDS, "identifiers") for d in result["differences"]
    )
    return result


def _count_difference(key: str, kind: str, giver: str, listed: int, receiver: str, wanted: int) -> dict[str, Any]:
    return {
        "direction": key,
        "what": kind,
        "giver": giver,
        "receiver": receiver,
        "kind": kind,
        "listed": listed,
        "expected": wanted,
        "detail": f"{giver} lists {listed} {kind} to hand over; {receiver} expects {wanted}",
    }


def _identifier_differences(
    key: str, giver: str, sent: ExchangeList, receiver: str, expected: ExchangeList, show: bool
) -> list[dict[str, Any]]:
    given = {identifier_key(i): i for i in sent.hands_over_ids}
    wanted = {identifier_key(i): i for i in expected.receives_ids}
    only_given = sorted(given[k] for k in given.keys() - wanted.keys())
    only_wanted = sorted(wanted[k] for k in wanted.keys() - given.keys())
    if not only_given and not only_wanted:
        return []
    difference: dict[str, Any] = {
        "direction": key,
        "what": "identifiers",
        "giver": giver,
        "receiver": receiver,
        "count_giver_only": len(only_given),
        "count_receiver_only": len(only_wanted),
        "detail": f"{len(only_given)} identifiers only on {giver}'s list, {len(only_wanted)} only on {receiver}'s",
    }
    if show:
        difference[f"only_{giver}"] = only_given
        difference[f"only_{receiver}"] = only_wanted
    return [difference]


def status(exchange: Exchange, comparison: dict[str, Any]) -> str:
    """The exchange's status from its lists, handover and confirmations."""
    if exchange.handed_over_on is not None:
        confirmed = {exchange.side_a, exchange.side_b} <= set(exchange.confirmations)
        return "confirmed" if confirmed else "handed_over"
    if comparison["missing_lists"]:
        return "lists_pending"
    return "lists_match" if comparison["lists_agree"] else "lists_differ"
