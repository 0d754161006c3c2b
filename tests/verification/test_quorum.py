"""The quorum rule, as properties that hold for any sequence of verdicts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from truce.verification.service import Quorum, positions, status_from

DELEGATIONS = ["ru", "tr", "am", "az", "unhcr"]
GUARANTORS = Quorum(delegations=2, required=frozenset({"ru", "tr"}))
verdict_streams = st.lists(
    st.tuples(st.sampled_from(DELEGATIONS), st.sampled_from(["confirm", "reject", "inconclusive"]))
)


def test_the_nk_2020_rule_by_hand() -> None:
    assert status_from({}, GUARANTORS) == "reported"
    assert status_from({"ru": "confirm"}, GUARANTORS) == "under_verification"
    assert status_from({"ru": "confirm", "tr": "confirm"}, GUARANTORS) == "confirmed"
    assert status_from({"ru": "confirm", "am": "confirm"}, GUARANTORS) == "under_verification"
    assert status_from({"ru": "confirm", "tr": "reject"}, GUARANTORS) == "disputed"
    assert status_from({"ru": "reject", "tr": "reject"}, GUARANTORS) == "not_confirmed"
    assert status_from({"ru": "inconclusive", "tr": "confirm"}, GUARANTORS) == "inconclusive"


def test_a_change_of_mind_is_a_newer_verdict() -> None:
    standing = positions([("ru", "reject"), ("tr", "confirm"), ("ru", "confirm")])
    assert standing == {"ru": "confirm", "tr": "confirm"}
    assert status_from(standing, GUARANTORS) == "confirmed"


@given(verdict_streams)
def test_confirmed_needs_every_guarantor_and_no_reject(stream: list[tuple[str, str]]) -> None:
    standing = positions(stream)
    if status_from(standing, GUARANTORS) == "confirmed":
        assert standing.get("ru") == "confirm"
        assert standing.get("tr") == "confirm"
        assert "reject" not in standing.values()


@given(verdict_streams)
def test_disputed_exactly_when_confirm_and_reject_stand(stream: list[tuple[str, str]]) -> None:
    standing = positions(stream)
    both = "confirm" in standing.values() and "reject" in standing.values()
    assert (status_from(standing, GUARANTORS) == "disputed") == both


@given(verdict_streams)
def test_one_delegation_alone_never_decides(stream: list[tuple[str, str]]) -> None:
    lone = [(d, v) for d, v in stream if d == "ru"]
    assert status_from(positions(lone), GUARANTORS) in {"reported", "under_verification"}


@given(verdict_streams, st.integers(min_value=1, max_value=4))
def test_no_required_delegations_counts_distinct_ones(stream: list[tuple[str, str]], needed: int) -> None:
    quorum = Quorum(delegations=needed, required=frozenset())
    standing = positions(stream)
    status = status_from(standing, quorum)
    confirms = {d for d, v in standing.items() if v == "confirm"}
    if status == "confirmed":
        assert len(confirms) >= needed
    if len(confirms) >= needed and "reject" not in standing.values():
        assert status == "confirmed"


@given(verdict_streams)
def test_the_status_depends_only_on_standing_verdicts(stream: list[tuple[str, str]]) -> None:
    standing = positions(stream)
    assert status_from(standing, GUARANTORS) == status_from(dict(sorted(standing.items())), GUARANTORS)
