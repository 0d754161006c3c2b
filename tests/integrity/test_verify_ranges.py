"""`truce log verify`'s worker processes: each reads its ranges of a committed log on a connection of its own.

They say yes only when every entry of the log is there and clean; anything else is left to the check in the
session, which names it (tests/integrity/test_verify.py runs every tamper through them). Batches of 16 entries,
ranges of 64, so that the mission's log (the demo's, the example's) spans several ranges and the stored subtrees
several levels.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from databases import mission_database
from truce.db import Database
from truce.integrity import ranges
from truce.integrity.verify import Levels
from truce.ledger import merkle
from truce.ledger import service as ledger

BATCH = 16


@pytest.fixture
def demo(backend: str, mission_slug: str, tmp_path: Path) -> Iterator[Database]:
    """A committed database of the mission: the demo with 12 incidents, or the example with its incidents."""
    db = mission_database(backend, tmp_path, "ranges", mission_slug)
    yield db
    db.dispose()


def url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def workers(db: Database, address: str | None = None) -> ranges.Checked | None:
    with db.session(write=False) as session:
        return ranges.check(session, address or url(db), ledger.size(session), BATCH)


def tamper(db: Database, statement: str, **values: object) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(statement), values)


def test_the_workers_build_the_tree_the_log_signs(demo: Database) -> None:
    checked = workers(demo)
    assert checked is not None
    assert checked.nodes_clean
    assert checked.heights == 6  # ranges of 64 entries: subtrees of 2 to 64 compared by the workers
    with demo.session(write=False) as session:
        size = ledger.size(session)
        assert size > 4 * BATCH * 2  # several ranges, the last one partial
        stored = session.execute(text("SELECT leaf_hash FROM log_entries ORDER BY idx")).scalars()
        assert bytes(checked.leaves) == b"".join(bytes(leaf) for leaf in stored)
        tree = Levels(checked.leaves, checked.levels)
        assert merkle.root(size, tree) == ledger.current_root(session)[1]
        assert ranges.rest_intact(session, tree.levels, checked.heights)


def test_an_edited_entry_is_left_to_the_session(demo: Database) -> None:
    tamper(demo, "UPDATE log_entries SET data = replace(data, '\"actor\":', '\"actor\": ') WHERE idx = 70")
    assert workers(demo) is None


def test_an_entry_moved_with_its_hash_is_left_to_the_session(demo: Database) -> None:
    # The leaf hash still matches the data; only the index the entry names gives it away.
    tamper(demo, "UPDATE log_entries SET idx = -1 WHERE idx = 65")
    tamper(demo, "UPDATE log_entries SET idx = 65 WHERE idx = 66")
    tamper(demo, "UPDATE log_entries SET idx = 66 WHERE idx = -1")
    assert workers(demo) is None


@pytest.mark.parametrize("where", ["idx = 0", "idx = 64", "idx = (SELECT max(idx) FROM log_entries)"])
def test_a_deleted_entry_is_left_to_the_session(demo: Database, where: str) -> None:
    tamper(demo, f"DELETE FROM log_entries WHERE {where}")  # noqa: S608 - the test's own conditions
    assert workers(demo) is None


def test_an_entry_beyond_the_head_is_left_to_the_session(demo: Database) -> None:
    with demo.session(write=False) as session:
        size = ledger.size(session)
    tamper(
        demo,
        "INSERT INTO log_entries (idx, time, actor, action, entity_type, entity_id, data, leaf_hash) "
        "SELECT :size, time, actor, action, entity_type, entity_id, data, leaf_hash FROM log_entries WHERE idx = 0",
        size=size,
    )
    assert workers(demo) is None


def test_a_wrong_stored_subtree_is_flagged(demo: Database) -> None:
    tamper(demo, "UPDATE log_nodes SET hash = :h WHERE level = 3 AND idx = 9", h=b"\1" * 32)
    checked = workers(demo)
    assert checked is not None
    assert not checked.nodes_clean


def test_a_stored_subtree_beyond_the_tree_is_flagged(demo: Database) -> None:
    checked = workers(demo)
    assert checked is not None
    tree = Levels(checked.leaves, checked.levels)
    tamper(demo, "INSERT INTO log_nodes (level, idx, hash) VALUES (2, :idx, :h)", idx=tree.count(2), h=b"\2" * 32)
    again = workers(demo)
    assert again is not None
    assert again.nodes_clean  # within the ranges all is well: the extra one lies beyond them
    with demo.session(write=False) as session:
        assert not ranges.rest_intact(session, tree.levels, again.heights)


def test_a_stored_subtree_above_the_workers_levels_is_compared(demo: Database) -> None:
    checked = workers(demo)
    assert checked is not None
    tree = Levels(checked.leaves, checked.levels)
    level = checked.heights + 1
    assert tree.count(level) >= 1
    tamper(demo, "UPDATE log_nodes SET hash = :h WHERE level = :level AND idx = 0", h=b"\3" * 32, level=level)
    with demo.session(write=False) as session:
        assert not ranges.rest_intact(session, tree.levels, checked.heights)


def test_a_database_the_workers_cannot_open_is_left_to_the_session(demo: Database, tmp_path: Path) -> None:
    missing = demo.engine.url.set(database=str(tmp_path / "nowhere.db") if demo.engine.url.get_backend_name() ==
                                  "sqlite" else "truce_no_such_database")  # fmt: skip
    assert workers(demo, missing.render_as_string(hide_password=False)) is None
