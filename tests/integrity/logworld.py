"""A server's database and app of a test's own, a party's client against it, and an attacker's raw SQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from conftest import demo_database, fresh_database
from databases import mission_database
from mission_examples import DEMO_SLUG, EXAMPLE, EXAMPLE_ACCOUNTS, SCENES, Scene
from support import TEST_SECRET, point_feature
from truce.app import create_app
from truce.config import Settings
from truce.db import Database
from truce.demo import loader
from truce.ledger import keys, merkle, note, store
from truce.ledger import service as ledger
from truce.ledger.models import LogHead
from truce.missionfile import create, spec
from truce.missions import service as missions_service
from truce.places import service as places_service
from truce.places.schemas import SiteIn
from truce.policy import Actor
from truce.users import service as users_service


@dataclass
class World:
    """A server: its data directory, its database and the key it signs with; the mission it holds."""

    data_dir: Path
    db: Database
    scene: Scene = field(default_factory=lambda: SCENES[DEMO_SLUG])

    @property
    def signer(self) -> note.Signer:
        return keys.load(self.data_dir)

    @contextmanager
    def party(self, username: str = "verifier-ru") -> Iterator[TestClient]:
        """A party's HTTP client, logged in as a demo account (or its counterpart in the mission); a new app each
        time, so it signs with the key the directory holds now."""
        app = create_app(Settings(data_dir=self.data_dir, secret_key=TEST_SECRET), self.db)
        with TestClient(app, raise_server_exceptions=False) as client:
            name = self.scene.account(username)
            answer = client.post("/api/v1/auth/token", data={"username": name, "password": loader.DEMO_PASSWORD})
            assert answer.status_code == 200, answer.text
            client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
            yield client

    def checkpoint(self) -> str:
        """The server's latest checkpoint, as a party saves it."""
        with self.party() as client:
            answer = client.get("/api/v1/log/checkpoint")
            assert answer.status_code == 200, answer.text
            return answer.text

    def size(self) -> int:
        with self.db.session(write=False) as session:
            return ledger.size(session)

    def add_site(self, name: str) -> None:
        """A write through Truce's own services, as the mission goes on."""
        with self.db.session() as session:
            mission = missions_service.get_by_slug(session, self.scene.slug)
            assert mission is not None
            feature = SiteIn.model_validate(point_feature(*self.scene.at(46.7, 39.8), name=name, kind="post"))
            places_service.create_site(session, mission, feature, actor=Actor.system(mission.id))

    def tamper(self, *statements: str, **values: object) -> None:
        """What an attacker with the database does: raw SQL, in one transaction."""
        with self.db.engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement), values)

    def entry_about(self, kind: str, record_id: str) -> int:
        """The index of the first entry about a record."""
        with self.db.session(write=False) as session:
            return min(entry.idx for entry in ledger.history(session, kind, record_id))

    def rewrite_entry(self, idx: int, old: str, new: str) -> None:
        """Edit an entry's payload and recompute its leaf hash, as a careful forger would."""
        with self.db.session(write=False) as session:
            data = ledger.entries(session, idx, idx + 1)[0].data.replace(old, new)
        assert old in data or new in data
        self.tamper(
            "UPDATE log_entries SET data = :d, leaf_hash = :h WHERE idx = :i",
            d=data,
            h=merkle.leaf_hash(data.encode()),
            i=idx,
        )

    def rebuild_tree(self) -> None:
        """Recompute every stored subtree and the head from the entries, and forget the checkpoints (a fork)."""
        with self.db.session(write=False) as session:
            leaves = [e.leaf_hash for e in ledger.entries(session, 0, ledger.size(session))]
        tree = merkle.MemoryTree()
        nodes = []
        for leaf in leaves:
            tree.append_leaf_hash(leaf)
        for level in range(1, len(tree._levels)):
            nodes += [{"l": level, "i": i, "h": h} for i, h in enumerate(tree._levels[level])]
        border = merkle.CompactRange()
        border.extend(leaves)
        with self.db.engine.begin() as connection:
            connection.execute(text("DELETE FROM log_cosignatures"))
            connection.execute(text("DELETE FROM log_checkpoints"))
            connection.execute(text("DELETE FROM log_nodes"))
            connection.execute(text("INSERT INTO log_nodes (level, idx, hash) VALUES (:l, :i, :h)"), nodes)
        with self.db.session() as session:
            head = session.get(LogHead, store.HEAD_ID)
            assert head is not None
            head.border = [h.hex() for h in border.border_hashes()]


def world(backend: str, directory: Path, name: str, scene: Scene | None = None, *, incidents: bool = False) -> World:
    """A server of the test's own, with its signing key: the demo (12 incidents), or the example mission of `scene`
    from its file with its accounts (no incidents; with `incidents`, those `load_example` records)."""
    data_dir = directory / "data"
    data_dir.mkdir()
    keys.load_or_create(data_dir, "truce.test/log")
    if scene is None or scene.slug == DEMO_SLUG:
        return World(data_dir, demo_database(backend, directory, name=name, incidents=12))
    if incidents:
        return World(data_dir, mission_database(backend, directory, name, scene.slug), scene)
    db = fresh_database(backend, directory, name)
    with db.session() as session:
        mission, _ = create.create(session, spec.read(EXAMPLE), actor=Actor.system())
        for username, role, delegation in EXAMPLE_ACCOUNTS:
            users_service.create(session, username, loader.DEMO_PASSWORD, mission=mission, role=role,
                                 delegation_code=delegation, actor=Actor.system(mission.id))  # fmt: skip
    return World(data_dir, db, scene)
