"""The log as C2SP tlog-tiles, read by an independent tiles client written here from the spec alone.

The client below knows only the spec: tile paths, 32-byte hashes, 256 to a tile, level L holding tree level 8L,
RFC 6962 hashing. From the tiles and the checkpoints it verifies the root, an entry's inclusion and the consistency
of two checkpoints, without Truce's Merkle code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from integrity.logworld import World, world
from mission_examples import SCENES
from support import point_feature
from truce.ledger import merkle, note, store, tiles
from truce.ledger import service as ledger
from truce.ledger.models import LogHead
from truce.missions import service as missions_service
from truce.places import service as places_service
from truce.places.schemas import SiteIn
from truce.policy import Actor

PREFIX = "/api/v1/log/tiles"


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def spec_index(n: int) -> str:
    """N as the spec writes it: groups of three digits, x before all but the last."""
    text = str(n)
    text = "0" * (-len(text) % 3) + text
    groups = [text[i : i + 3] for i in range(0, len(text), 3)]
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


class TilesClient:
    """Reads a log through its tiles only, for a tree of `size` leaves."""

    def __init__(self, client: TestClient, size: int) -> None:
        self.client, self.size, self.fetched = client, size, 0
        self.cache: dict[tuple[int, int], list[bytes]] = {}

    def tile(self, level: int, index: int) -> list[bytes]:
        if (level, index) not in self.cache:
            width = min(256, (self.size >> (8 * level)) - index * 256)
            path = f"{PREFIX}/tile/{level}/{spec_index(index)}" + ("" if width == 256 else f".p/{width}")
            answer = self.client.get(path)
            assert answer.status_code == 200, (path, answer.text)
            assert answer.headers["content-type"] == "application/octet-stream"
            assert len(answer.content) == 32 * width
            self.fetched += 1
            self.cache[level, index] = [answer.content[i : i + 32] for i in range(0, len(answer.content), 32)]
        return self.cache[level, index]

    def node(self, height: int, index: int) -> bytes:
        """The hash of the complete subtree of 2**height leaves starting at leaf index * 2**height."""
        level, rest = divmod(height, 8)
        first = index << rest
        row = [self.tile(level, (first + k) // 256)[(first + k) % 256] for k in range(1 << rest)]
        while len(row) > 1:
            row = [sha(b"\x01" + row[i] + row[i + 1]) for i in range(0, len(row), 2)]
        return row[0]

    def root(self, size: int) -> bytes:
        """RFC 6962 root of the first `size` leaves, from the complete subtrees making them up."""
        if size == 0:
            return sha(b"")
        subtrees, start = [], 0
        for height in reversed(range(size.bit_length())):
            if size & (1 << height):
                subtrees.append(self.node(height, start >> height))
                start += 1 << height
        root = subtrees[-1]
        for left in reversed(subtrees[:-1]):
            root = sha(b"\x01" + left + root)
        return root


def signed(text: str, key: note.Verifier) -> tuple[int, bytes]:
    body, _ = note.open_note(text, [key])
    parsed = note.Checkpoint.parse(body)
    return parsed.size, parsed.root_hash


@pytest.fixture
def server(backend: str, mission_slug: str, tmp_path: Path) -> Iterator[World]:
    """The mission's server: the demo with 12 incidents, or the example with its incidents."""
    made = world(backend, tmp_path, "tiles", SCENES[mission_slug], incidents=True)
    yield made
    made.db.dispose()


def filled(server: World, size: int = 300) -> World:
    """The server's log holding at least `size` entries (a full tile and part of the next), through real logged
    writes: sites recorded by the places service (the demo's log already holds more; the example's, about 200)."""
    missing = size - server.size()
    with server.db.session() as session:
        mission = missions_service.get_by_slug(session, server.scene.slug)
        assert mission is not None
        for number in range(missing):
            point = server.scene.at(46.5 + number / 1000, 39.8)
            feature = SiteIn.model_validate(point_feature(*point, name=f"Filler post {number + 1}", kind="post"))
            places_service.create_site(session, mission, feature, actor=Actor.system(mission.id))
    assert server.size() >= size
    return server


def test_index_and_paths_as_the_spec_writes_them() -> None:
    assert tiles.format_index(1234067) == "x001/x234/067" == spec_index(1234067)
    assert [tiles.format_index(n) for n in (0, 5, 273, 1000)] == ["000", "005", "273", "x001/000"]
    assert tiles.parse("0/x001/x234/067.p/8") == tiles.Tile(0, 1234067, 8)
    assert tiles.parse("entries/273.p/112").path() == "tile/entries/273.p/112"
    # The spec's example: a tree of 70,000 leaves.
    assert [tiles.hashes_at(70_000, level) for level in (0, 1, 2)] == [273 * 256 + 112, 256 + 17, 1]


@pytest.mark.parametrize(
    "path", ["0/1234", "0/x1/234", "0/x001", "0/x000/001", "0/000.p/256", "0/000.p/0", "64/000", "01/000", "a/000"]
)
def test_paths_the_spec_does_not_name_are_not_found(server: World, path: str) -> None:
    with server.party() as client:
        assert client.get(f"{PREFIX}/tile/{path}").status_code == 404


def test_an_independent_client_verifies_root_inclusion_and_consistency(server: World) -> None:
    filled(server)
    key = server.signer.verifier()
    with server.party("admin") as client:
        old_size, old_root = signed(client.get(f"{PREFIX}/checkpoint").text, key)
        server.add_site("Observation post 24")
        answer = client.get(f"{PREFIX}/checkpoint")
        assert answer.headers["cache-control"] == "no-cache"
        size, root = signed(answer.text, key)
        reader = TilesClient(client, size)
        assert reader.root(size) == root  # the checkpoint
        assert reader.root(old_size) == old_root  # consistency: the old tree is a prefix of the new one
        bundle = client.get(f"{PREFIX}/tile/entries/000")
        assert bundle.status_code == 200, bundle.text
        assert "immutable" in bundle.headers["cache-control"]
        data, at = [], 0
        while at < len(bundle.content):
            length = int.from_bytes(bundle.content[at : at + 2], "big")
            data.append(bundle.content[at + 2 : at + 2 + length])
            at += 2 + length
        assert len(data) == 256
        # Inclusion: each entry hashes to its place in the level-0 tile, which builds the signed root above.
        assert [sha(b"\x00" + d) for d in data] == reader.tile(0, 0)
        partial = client.get(f"{PREFIX}/tile/0/001.p/{size - 256}")
        assert partial.status_code == 200
        assert client.get(f"{PREFIX}/tile/0/001.p/{size - 255}").status_code == 404  # not in the tree yet
        assert client.get(f"{PREFIX}/tile/0/001").status_code == 404


def test_a_liaison_reads_hash_tiles_but_not_bundles_of_records_it_may_not_read(server: World) -> None:
    filled(server)
    with server.party("liaison-am") as client:
        refused = client.get(f"{PREFIX}/tile/entries/000")
        assert refused.status_code == 403
        assert "level-0 tile" in refused.json()["detail"]
        level0 = client.get(f"{PREFIX}/tile/0/000").content
        entries = client.get("/api/v1/log/entries", params={"start": 0, "end": 256}).json()
        hidden = [e for e in entries if "data" not in e]
        assert hidden
        for entry in entries:
            leaf = bytes.fromhex(entry["leaf_hash"])
            assert level0[32 * entry["index"] : 32 * entry["index"] + 32] == leaf
            if "data" in entry:
                assert sha(b"\x00" + entry["data"].encode()) == leaf
    with TestClient(client.app) as anonymous:
        assert anonymous.get(f"{PREFIX}/tile/0/000").status_code == 401


def test_the_spec_example_of_70000_leaves(server: World) -> None:
    """Enough entries for full level-1 tiles: synthetic ones, stored as the append path stores them."""
    with server.db.session(write=False) as session:
        start = ledger.size(session)
        tree = merkle.CompactRange.load(start, ledger.StoredNodes(session))
    entries, nodes = [], []
    for idx in range(start, 70_000):
        data = f'{{"action":"test.fill","entity":null,"entity_id":"{idx}","entity_type":"fill","index":{idx}}}'
        leaf = merkle.leaf_hash(data.encode())
        entries.append({"i": idx, "e": str(idx), "d": data, "h": leaf})
        nodes += [{"l": level, "i": index, "h": h} for level, index, h in tree.append(leaf)[1:]]
    with server.db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO log_entries (idx, time, actor, action, entity_type, entity_id, data, leaf_hash)"
                " VALUES (:i, '2020-12-01 00:00:00', 'system', 'test.fill', 'fill', :e, :d, :h)"
            ),
            entries,
        )
        connection.execute(text("INSERT INTO log_nodes (level, idx, hash) VALUES (:l, :i, :h)"), nodes)
    with server.db.session() as session:
        head = session.get(LogHead, store.HEAD_ID)
        assert head is not None
        head.size, head.border = 70_000, [h.hex() for h in tree.border_hashes()]
    with server.party() as client:
        size, root = signed(client.get(f"{PREFIX}/checkpoint").text, server.signer.verifier())
        assert size == 70_000
        reader = TilesClient(client, size)
        assert reader.root(size) == root
        for path in ("0/273.p/112", "1/000", "1/001.p/17", "2/000.p/1"):
            assert client.get(f"{PREFIX}/tile/{path}").status_code == 200, path
        assert client.get(f"{PREFIX}/tile/1/001").status_code == 404
