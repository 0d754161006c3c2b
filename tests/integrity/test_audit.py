"""A party's audit reads the entries: every tamper an attacker with the database can make is named by entry.

The party holds a checkpoint it saved (and, for the incremental cases, its state file) and the pinned server key;
the attacker changes the server's database with raw SQL; the mission goes on writing; then the party audits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.logworld import World, world
from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, SCENES
from truce.integrity import audit as party
from truce.ledger import keys, note, store
from truce.ledger.models import LogHead


@pytest.fixture
def server(backend: str, mission_slug: str, tmp_path: Path) -> Iterator[World]:
    made = world(backend, tmp_path, "audit", SCENES[mission_slug])
    yield made
    made.db.dispose()


# Site 3 of each mission (recorded when the mission was set up) and the shorter name a forger gives it.
RENAMED = {DEMO_SLUG: ("Lachin / Berdzor", "Lachin"), EXAMPLE_SLUG: ("Observation post East", "Observation post")}


def forge_site_3(server: World) -> int:
    """Site 3's first entry edited (its leaf hash recomputed), and the row too: the entry's index."""
    idx = server.entry_about("sites", "3")
    name, forged = RENAMED[server.scene.slug]
    server.rewrite_entry(idx, name, forged)
    return idx


def run(server: World, saved: str, state: party.State | None = None, user: str = "verifier-ru") -> party.Result:
    with server.party(user) as client:
        return party.audit(client, server.signer.verifier(), saved, state)


def failure(server: World, saved: str, state: party.State | None = None, key: note.Verifier | None = None) -> str:
    with server.party() as client, pytest.raises(party.AuditError) as caught:
        party.audit(client, key or server.signer.verifier(), saved, state)
    return "\n".join(caught.value.problems)


def signed_then_written(server: World) -> str:
    """A checkpoint the party saved; then more writes and a checkpoint someone else fetched."""
    saved = server.checkpoint()
    server.add_site("Observation post 24")
    server.add_site("Observation post 25")
    server.checkpoint()
    return saved


def test_an_untouched_log_passes_and_the_state_makes_the_next_audit_incremental(server: World) -> None:
    saved = signed_then_written(server)
    first = run(server, saved)
    assert first.read + first.hashes_only == server.size()
    assert first.read > first.hashes_only
    assert first.state.size == server.size()
    server.add_site("Observation post 26")
    second = run(server, saved, first.state)
    assert second.read == 1  # only the new entry was fetched and checked
    assert second.state.size == first.state.size + 1


def test_a_liaison_checks_the_entries_it_may_not_read_by_leaf_hash(server: World) -> None:
    saved = signed_then_written(server)
    result = run(server, saved, user="liaison-am")
    staff = run(server, saved)
    assert result.hashes_only > staff.hashes_only
    assert result.read > 0
    assert result.read + result.hashes_only == server.size()


def test_the_last_entry_deleted(server: World) -> None:
    saved = signed_then_written(server)
    last = server.size() - 1
    server.tamper(f"DELETE FROM log_entries WHERE idx = {last}")  # noqa: S608 - an int
    server.add_site("Observation post 26")
    assert f"entry {last}" in failure(server, saved)


def test_an_entry_in_the_middle_deleted(server: World) -> None:
    saved = signed_then_written(server)
    server.tamper("DELETE FROM log_entries WHERE idx = 7")
    server.add_site("Observation post 26")
    assert "entry 7: the server did not serve it" in failure(server, saved)


def test_two_entries_swapped(server: World) -> None:
    saved = signed_then_written(server)
    server.tamper(
        "UPDATE log_entries SET idx = -1 WHERE idx = 10",
        "UPDATE log_entries SET idx = 10 WHERE idx = 11",
        "UPDATE log_entries SET idx = 11 WHERE idx = -1",
    )
    server.add_site("Observation post 26")
    found = failure(server, saved)
    assert "entry 10 (" in found
    assert "its data says index 11" in found


def test_a_payload_edited_with_its_leaf_hash_recomputed(server: World) -> None:
    saved = signed_then_written(server)
    idx = forge_site_3(server)
    server.tamper("UPDATE sites SET name = :name WHERE id = 3", name=RENAMED[server.scene.slug][1])
    server.add_site("Observation post 26")
    found = failure(server, saved)
    # The forged entry and its sibling are named: their stored parent hash is all a signature covers.
    pair = sorted({idx, idx ^ 1})
    assert found.startswith(f"entry {pair[0]} (")
    assert f" or entry {pair[1]} (" in found
    assert "sites 3, site.create by " in found
    assert "is not the one the checkpoint" in found


def test_a_rollback_to_an_older_copy(server: World) -> None:
    saved = server.checkpoint()
    old_size = server.size()
    server.add_site("Observation post 24")
    verified = run(server, saved).state
    # The older copy: the entries, subtrees, checkpoints and site of the last write are gone.
    server.tamper(
        f"DELETE FROM log_nodes WHERE ((idx + 1) * (1 << level)) > {old_size}",  # noqa: S608 - an int
        f"DELETE FROM log_entries WHERE idx >= {old_size}",  # noqa: S608
        f"DELETE FROM log_checkpoints WHERE size > {old_size}",  # noqa: S608
        f"UPDATE log_head SET size = {old_size}",  # noqa: S608
    )
    with server.db.session() as session:
        head = session.get(LogHead, store.HEAD_ID)
        assert head is not None
        head.border = [h.hex() for h in party.State(**_state_at(server, old_size)).border]
    assert "rollback: the server's log holds" in failure(server, saved, verified)


def _state_at(server: World, size: int) -> dict[str, object]:
    from truce.ledger import merkle
    from truce.ledger import service as ledger

    with server.db.session(write=False) as session:
        tree = merkle.CompactRange.load(size, ledger.StoredNodes(session))
    return {"size": size, "root": tree.root(), "border": tree.border_hashes()}


def test_a_fork_to_a_larger_size(server: World) -> None:
    saved = signed_then_written(server)
    verified = run(server, saved).state
    # With the key, the whole tree rebuilt around an edited entry, and a new checkpoint signed over it.
    forge_site_3(server)
    server.rebuild_tree()
    server.add_site("Observation post 26")
    found = failure(server, saved, verified)
    assert found.startswith(f"fork: the checkpoint of {server.size()} entries does not extend the {verified.size}")


def test_a_fork_at_the_same_size(server: World) -> None:
    saved = signed_then_written(server)
    verified = run(server, saved).state
    forge_site_3(server)
    server.rebuild_tree()
    assert "fork: two roots signed for the same size" in failure(server, saved, verified)


def test_a_replaced_server_key(server: World) -> None:
    saved = signed_then_written(server)
    pinned = server.signer.verifier()
    impostor = note.generate_signer(pinned.name)
    keys.key_path(server.data_dir).unlink()
    keys.key_path(server.data_dir).write_text(impostor.to_text() + "\n")
    # Every stored checkpoint re-signed with the new key: the server's own records agree with themselves.
    with server.db.engine.begin() as connection:
        from sqlalchemy import text

        for checkpoint_id, stored in connection.execute(text("SELECT id, note FROM log_checkpoints")).all():
            body, _ = note.split_note(stored)
            resigned = note.sign_note(body, [impostor])
            connection.execute(
                text("UPDATE log_checkpoints SET note = :n WHERE id = :i"), {"n": resigned, "i": checkpoint_id}
            )
    server.add_site("Observation post 26")
    found = failure(server, saved, key=pinned)
    assert f"not validly signed by the pinned key {pinned.name} (id {pinned.key_id.hex()})" in found
    assert (
        f"signatures by {pinned.name} (id {impostor.verifier().key_id.hex()}) (was the server key replaced?)" in found
    )


def test_the_server_refuses_to_sign_over_entries_that_do_not_build_its_border(server: World) -> None:
    server.checkpoint()
    server.add_site("Observation post 24")
    last = server.size() - 1
    server.tamper(f"DELETE FROM log_entries WHERE idx = {last}")  # noqa: S608 - an int
    with server.party() as client:
        answer = client.get("/api/v1/log/checkpoint")
    assert answer.status_code == 500
    assert answer.json()["detail"].startswith(f"entry {last} is missing from the log")
