"""`truce log verify` finds every kind of tampering and names it precisely."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from databases import mission_database
from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, SCENES, Scene
from support import point_feature
from truce.db import Database
from truce.integrity import verify as verifying
from truce.integrity.verify import Report, verify
from truce.ledger import keys, merkle, note, store
from truce.ledger import service as ledger
from truce.ledger.models import LogHead
from truce.missions import service as missions_service
from truce.missions.schemas import DeploymentIn
from truce.models import LOGGED
from truce.places import service as places_service
from truce.places.schemas import SiteIn
from truce.policy import Actor

# Whether `run` and `check` let worker processes read the committed database on their own connections.
OWN_CONNECTIONS = False


@pytest.fixture(autouse=True, params=["one process", "two processes", "own connections"])
def processes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every check runs as it does on a small log, and as on a big one: leaves hashed in a second process, in
    batches of 64 (whole subtrees, as the 16,384 of a big log), so that a tamper falls inside one batch; and as
    `truce log verify` checks a big log, worker processes reading ranges of 4 batches of 16 on connections of their
    own, so that the log spans several ranges."""
    if request.param == "two processes":
        monkeypatch.setattr(verifying, "PARALLEL_FROM", 0)
        monkeypatch.setattr(verifying, "HASHED_BATCH", 64)
    if request.param == "own connections":
        monkeypatch.setattr(verifying, "PARALLEL_FROM", 0)
        monkeypatch.setattr(verifying, "HASHED_BATCH", 16)
        monkeypatch.setattr(sys.modules[__name__], "OWN_CONNECTIONS", True)
    return str(request.param)


@pytest.fixture
def signer(tmp_path: Path) -> note.Signer:
    return keys.load_or_create(tmp_path, "truce.test/log")


@pytest.fixture
def demo(backend: str, mission_slug: str, tmp_path: Path, signer: note.Signer) -> Iterator[Database]:
    """A committed database of the mission (the demo with 12 incidents, or the example with its incidents) with one
    checkpoint handed out."""
    db = mission_database(backend, tmp_path, "verify", mission_slug)
    with db.session() as session:
        ledger.checkpoint(session, signer)
    yield db
    db.dispose()


def run(db: Database, signer: note.Signer) -> Report:
    return check(db, signer.verifier())


def check(db: Database, key: note.Verifier, **options: Any) -> Report:
    """`verify` of the committed database `db` with `key`, as the fixture's way of reading it says."""
    readers = db.engine.url.render_as_string(hide_password=False) if OWN_CONNECTIONS else None
    with db.session(write=False) as session:
        return verify(session, key, LOGGED, readers=readers, **options)


def tamper(db: Database, *statements: str) -> None:
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


# Site 3 of each mission (recorded when the mission was set up) and the shorter name a forger gives it.
RENAMED = {DEMO_SLUG: ("Lachin / Berdzor", "Lachin"), EXAMPLE_SLUG: ("Observation post East", "Observation post")}
# A row of each mission that SQL deletes (its table and id: the demo's second deployment; the example, which
# records no deployments, its fourth provision), and a row SQL inserts in the same table with id 99.
FORGED_ROWS = {
    DEMO_SLUG: ("deployments", 2, "INSERT INTO deployments (id, mission_id, on_date, personnel, armoured_vehicles,"
                " other_vehicles, note) VALUES (99, 1, '2020-12-24', 5000, 0, 0, 'forged')"),
    EXAMPLE_SLUG: ("provisions", 4, "INSERT INTO provisions (id, mission_id, number, summary, text, category,"
                   " responsible, level, links, classification, restricted_to, created_at) VALUES (99, 1, '99',"
                   " 'forged', '', 'Other', '[]', 0, '{}', 'public', '[]', '2024-05-21 12:00:00')"),
}  # fmt: skip


def mission_of(db: Database) -> Scene:
    """The scene of the one mission `db` holds."""
    with db.session(write=False) as session:
        (slug,) = session.execute(text("SELECT slug FROM missions")).scalars()
    return SCENES[slug]


def add_site(db: Database, name: str) -> None:
    scene = mission_of(db)
    with db.session() as session:
        mission = missions_service.get_by_slug(session, scene.slug)
        assert mission is not None
        feature = SiteIn.model_validate(point_feature(*scene.at(46.7, 39.8), name=name, kind="post"))
        places_service.create_site(session, mission, feature, actor=Actor.system(mission.id))


def add_deployment(db: Database) -> date:
    """A deployment recorded through the service, on the mission's counterpart of 24 December 2020: its day."""
    scene = mission_of(db)
    day = scene.shifted(date(2020, 12, 24))
    with db.session() as session:
        mission = missions_service.get_by_slug(session, scene.slug)
        assert mission is not None
        data = DeploymentIn(on_date=day, personnel=800)
        missions_service.record_deployment(session, mission, data, actor=Actor.system(mission.id))
    return day


def only(report: Report, fragment: str) -> list[str]:
    found = [p for p in report.problems if fragment in p]
    assert found, f"{fragment!r} not among {report.problems}"
    return found


def test_an_untouched_log_is_intact(demo: Database, signer: note.Signer) -> None:
    report = run(demo, signer)
    assert report.intact, report.problems
    assert report.entries > report.records > 70
    assert report.checkpoints == 1


def test_a_row_edited_with_sql(demo: Database, signer: note.Signer, mission_slug: str) -> None:
    tamper(demo, "UPDATE sites SET name = 'Renamed' WHERE id = 3")
    report = run(demo, signer)
    (problem,) = report.problems
    name = RENAMED[mission_slug][0]
    assert problem.startswith(f"sites 3: field 'name' is 'Renamed' in the table but '{name}' in entry")


def test_a_row_inserted_and_a_row_deleted_with_sql(demo: Database, signer: note.Signer, mission_slug: str) -> None:
    table, deleted, insert = FORGED_ROWS[mission_slug]
    tamper(demo, f"DELETE FROM {table} WHERE id = {deleted}")  # noqa: S608 - the test's own table and id
    tamper(demo, insert)
    report = run(demo, signer)
    only(report, f"{table} {deleted}: the row is missing but entry")
    only(report, f"{table} 99: no log entry accounts for this row")


def test_a_deleted_entry(demo: Database, signer: note.Signer) -> None:
    tamper(demo, "DELETE FROM log_entries WHERE idx = 5")
    report = run(demo, signer)
    assert report.problems[0] == "entry 5 missing (deleted from the log)"
    only(report, "checkpoint 1 (size ")
    only(report, "the entries no longer hash to the signed root")


def test_reordered_entries(demo: Database, signer: note.Signer) -> None:
    # Swap the whole content of two entries, hashes included, as a careful forger would.
    tamper(
        demo,
        "UPDATE log_entries SET idx = -1 WHERE idx = 10",
        "UPDATE log_entries SET idx = 10 WHERE idx = 11",
        "UPDATE log_entries SET idx = 11 WHERE idx = -1",
    )
    report = run(demo, signer)
    only(report, "entry 10: its data says index 11")
    only(report, "entry 11: its data says index 10")
    only(report, "the entries no longer hash to the signed root")


def lachin_entry(db: Database) -> int:
    """The index of the entry that created site 3 (in the demo, Lachin / Berdzor): found, so the mission may log
    more before it."""
    with db.session() as session:
        return min(entry.idx for entry in ledger.history(session, "sites", "3"))


def test_an_entry_payload_changed(demo: Database, signer: note.Signer, mission_slug: str) -> None:
    idx = lachin_entry(demo)
    name, forged = RENAMED[mission_slug]
    with demo.engine.begin() as connection:
        connection.execute(
            text("UPDATE log_entries SET data = replace(data, :name, :forged) WHERE idx = :idx"),
            {"name": name, "forged": forged, "idx": idx},
        )
    report = run(demo, signer)
    only(report, f"entry {idx}: its data no longer matches its leaf hash")
    only(report, f"sites 3: field 'name' is '{name}' in the table but '{forged}' in entry {idx}")


def test_an_entry_rewritten_with_a_matching_hash(demo: Database, signer: note.Signer, mission_slug: str) -> None:
    idx = lachin_entry(demo)
    name, forged = RENAMED[mission_slug]
    with demo.session() as session:
        entry = ledger.entries(session, idx, idx + 1)[0]
        assert name in entry.data
        entry.data = entry.data.replace(name, forged)
        entry.leaf_hash = merkle.leaf_hash(entry.data.encode())
    tamper(demo, f"UPDATE sites SET name = '{forged}' WHERE id = 3")  # noqa: S608 - the test's own name
    report = run(demo, signer)
    first, second = sorted({idx, idx ^ 1})
    (named,) = only(report, "was rewritten with its leaf hash recomputed")
    assert named.startswith(f"entry {first} (")
    assert f" or entry {second} (" in named
    assert "sites 3, site.create by " in named
    only(report, "checkpoint 1 (size ")
    # Named once: not a line for every stored hash above it, nor for the head.
    assert len(report.problems) == 2, report.problems


def test_a_tampered_subtree_hash(demo: Database, signer: note.Signer) -> None:
    with demo.session() as session:
        session.execute(text("UPDATE log_nodes SET hash = :h WHERE level = 2 AND idx = 3"), {"h": b"\0" * 32})
    report = run(demo, signer)
    assert report.problems == ["stored subtree hash (2, 3) is wrong; proofs built on it would fail"]


def test_a_replaced_server_key(demo: Database, signer: note.Signer) -> None:
    impostor = note.generate_signer(signer.name)
    report = check(demo, impostor.verifier())
    only(report, f"the key {signer.name} id {impostor.verifier().key_id.hex()} did not sign checkpoint 1 (size ")
    only(report, f"they are signed by {signer.name} id {signer.verifier().key_id.hex()} (the server key was replaced)")


def test_a_replaced_key_that_re_signed_every_checkpoint_is_caught_by_the_pinned_key(
    demo: Database, signer: note.Signer
) -> None:
    impostor = note.generate_signer(signer.name)
    witness = note.generate_signer("witness.am")
    with demo.session() as session:
        ledger.add_witness(session, witness.cosigner_verifier_text(), "am", actor=Actor.system())
        stored = ledger.checkpoint(session, signer)
        body, _ = note.split_note(stored.note)
        ledger.add_cosignature(session, stored.size, note.cosign(body, witness, 1_700_000_000))
    with demo.engine.begin() as connection:
        for checkpoint_id, old in connection.execute(text("SELECT id, note FROM log_checkpoints")).all():
            resigned = note.sign_note(note.split_note(old)[0], [impostor])
            connection.execute(
                text("UPDATE log_checkpoints SET note = :n WHERE id = :i"), {"n": resigned, "i": checkpoint_id}
            )
    assert check(demo, impostor.verifier()).intact  # the data directory agrees with itself
    report = check(demo, impostor.verifier(), pinned=signer.verifier())
    pinned, replaced = signer.verifier().key_id.hex(), impostor.verifier().key_id.hex()
    assert report.problems[0] == (
        f"the key in the data directory, {signer.name} id {replaced}, is not the pinned key, {signer.name} id "
        f"{pinned}: the server key was replaced"
    )
    only(report, f"the key {signer.name} id {pinned} did not sign checkpoints 1-2 (sizes ")
    assert report.checkpoints == 2
    assert report.cosignatures == 1  # checked even though the checkpoint's own signature failed


def test_a_cosignature_is_checked_when_the_server_signature_fails(demo: Database, signer: note.Signer) -> None:
    witness = note.generate_signer("witness.tr")
    with demo.session() as session:
        ledger.add_witness(session, witness.cosigner_verifier_text(), "tr", actor=Actor.system())
        stored = ledger.checkpoint(session, signer)
        body, _ = note.split_note(stored.note)
        ledger.add_cosignature(session, stored.size, note.cosign(body, witness, 1_700_000_000))
    forged = note.cosign(body, note.generate_signer("witness.tr"), 1_700_000_000)
    tamper(demo, f"UPDATE log_cosignatures SET signature_line = '{forged}'")  # noqa: S608 - base64 and a name
    report = run(demo, note.generate_signer(signer.name))
    only(report, "cosignature by witness.tr on checkpoint 2")
    assert report.cosignatures == 1


def test_a_forged_cosignature(demo: Database, signer: note.Signer) -> None:
    witness = note.generate_signer("witness.az")
    with demo.session() as session:
        ledger.add_witness(session, witness.cosigner_verifier_text(), "az", actor=Actor.system())
        stored = ledger.checkpoint(session, signer)
        body, _ = note.split_note(stored.note)
        ledger.add_cosignature(session, stored.size, note.cosign(body, witness, 1_700_000_000))
    assert run(demo, signer).intact
    other = note.generate_signer("witness.az")
    with demo.session() as session:
        forged = note.cosign(body, other, 1_700_000_000)
        session.execute(text("UPDATE log_cosignatures SET signature_line = :l"), {"l": forged})
    only(run(demo, signer), "cosignature by witness.az on checkpoint 2")


def test_an_older_database_restored_after_a_checkpoint(demo: Database, signer: note.Signer, tmp_path: Path) -> None:
    with demo.session() as session:
        old_size = ledger.size(session)
    day = add_deployment(demo)
    with demo.session() as session:
        handed_out = ledger.checkpoint_with_cosignatures(session, ledger.checkpoint(session, signer))
    saved = tmp_path / "checkpoint.txt"
    saved.write_text(handed_out)
    # A backup from before the new site is restored: every table consistent, as of the older state.
    tamper(
        demo,
        f"DELETE FROM log_nodes WHERE ((idx + 1) * (1 << level)) > {old_size}",  # noqa: S608 - test data
        f"DELETE FROM log_entries WHERE idx >= {old_size}",  # noqa: S608
        "DELETE FROM log_checkpoints WHERE id > 1",
        f"DELETE FROM deployments WHERE on_date = '{day}'",  # noqa: S608
    )
    with demo.session() as session:
        border = merkle.CompactRange.load(old_size, ledger.StoredNodes(session))
        head = session.get(LogHead, store.HEAD_ID)
        assert head is not None
        head.size = old_size
        head.border = [h.hex() for h in border._stack]
    assert run(demo, signer).intact  # on its own, the restored copy looks whole
    problems = check(demo, signer.verifier(), saved=(str(saved), saved.read_text())).problems
    assert problems == [
        f"saved checkpoint {saved}: it covers {old_size + 1} entries but the log holds {old_size} (rolled back)"
    ]


def test_a_saved_checkpoint_the_log_extends(demo: Database, signer: note.Signer, tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.txt"
    with demo.session() as session:
        saved.write_text(ledger.checkpoint(session, signer).note)
    add_site(demo, "Observation post 24")
    assert check(demo, signer.verifier(), saved=(str(saved), saved.read_text())).intact
