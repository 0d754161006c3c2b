"""A replica's catch-up from tiles, in process against a server of the test's own: what it keeps, and what it refuses.

The processes, the kill -9 and the request counts are in test_replica_tiles.py; here each tamper is one sync.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.logworld import World, world
from truce.integrity import audit as party
from truce.integrity import mirror
from truce.integrity.replica import Replica
from truce.ledger import note, tiles


@pytest.fixture
def server(backend: str, tmp_path: Path) -> Iterator[World]:
    made = world(backend, tmp_path, "replica_sync")
    yield made
    made.db.dispose()


def replica(server: World, directory: Path) -> Replica:
    return Replica(directory, server.signer.verifier(), note.generate_signer("replica.test"))


def test_a_replica_keeps_the_tiles_the_server_serves(server: World, tmp_path: Path) -> None:
    copy = replica(server, tmp_path / "replica")
    with server.party("admin") as client:
        size = copy.sync(client)
        assert size == server.size()
        width = size % tiles.WIDTH
        for level, index, wide in ((0, 0, tiles.WIDTH), (0, size // tiles.WIDTH, width), (1, 0, size >> 8)):
            served = client.get(mirror.tile_path(level, index, wide))
            assert served.status_code == 200
            assert copy.store.tile(tiles.Tile(level, index, wide), size) == served.content
        bundle = client.get(mirror.tile_path(None, 0, tiles.WIDTH))
        assert copy.store.tile(tiles.Tile(None, 0), size) == bundle.content
    assert copy.root_at(size) == note.Checkpoint.parse(note.split_note(copy.state().checkpoint)[0]).root_hash
    assert copy.status()["status"] == "ok"


def test_an_entry_edited_in_a_bundle_is_named_and_nothing_is_kept(server: World, tmp_path: Path) -> None:
    server.checkpoint()  # signed first: the server rehashes only what came after
    edited = 300  # in the second tile
    server.tamper(
        """UPDATE log_entries SET data = replace(data, '"actor":"', '"actor":"not ') WHERE idx = :i""", i=edited
    )
    copy = replica(server, tmp_path / "replica")
    with server.party("admin") as client, pytest.raises(party.AuditError) as caught:
        copy.sync(client)
    assert f"entry {edited} (" in str(caught.value)
    assert "by not " in str(caught.value)  # its record named as the entry now says
    assert "does not hash to its leaf hash" in str(caught.value)
    assert copy.state().size == 0


def test_a_replica_resumed_inside_a_tile_takes_the_rest_of_it_from_the_entries_api(
    server: World, tmp_path: Path
) -> None:
    copy = replica(server, tmp_path / "replica")
    with server.party("admin") as client:
        first = copy.sync(client)
    assert first % tiles.WIDTH  # the demo's log ends inside a tile
    server.add_site("Post 41")
    with server.party("admin") as client:
        assert copy.sync(client) == server.size() > first
    with copy.store.connect() as connection:
        count = connection.execute("SELECT count(*), count(DISTINCT idx) FROM entries").fetchone()
    connection.close()
    assert count == (server.size(), server.size())
