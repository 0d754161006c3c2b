"""The log over HTTP: key, checkpoint, entries with per-caller visibility, proofs, cosigning and audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, Scene
from support import Login, point_feature
from truce.integrity import audit as party
from truce.ledger import merkle, note
from truce.ledger import service as ledger
from truce.policy import Actor

# A site of each mission recorded once, when the mission was set up: its history is that one entry.
SET_UP_SITE = {DEMO_SLUG: "Lachin / Berdzor", EXAMPLE_SLUG: "Mill crossing"}


class Authorized:
    """A TestClient that sends one account's token with every request, as `truce log audit` would."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def get(self, url: str, *, params: object = None) -> object:
        return self.client.get(url, params=params, headers=self.headers)  # type: ignore[arg-type]

    def post(self, url: str, *, json: object = None) -> object:
        return self.client.post(url, json=json, headers=self.headers)


def server_key(client: TestClient, login: Login) -> note.Verifier:
    return note.Verifier.from_text(client.get("/api/v1/log/key", headers=login("analyst-ru")).text)


def test_the_log_is_for_logged_in_users(client: TestClient) -> None:
    for path in ("/key", "/checkpoint", "/entries", "/proof/inclusion?index=0&size=1"):
        assert client.get(f"/api/v1/log{path}").status_code == 401


def test_checkpoint_is_signed_by_the_published_key(client: TestClient, login: Login) -> None:
    verifier = server_key(client, login)
    text = client.get("/api/v1/log/checkpoint", headers=login("liaison-az")).text
    body, signers = note.open_note(text, [verifier])
    checkpoint = note.Checkpoint.parse(body)
    assert signers == [verifier.name]
    assert checkpoint.origin == verifier.name
    assert checkpoint.size >= 76


def test_every_entry_is_provably_included(client: TestClient, login: Login) -> None:
    headers = login("admin")
    size = note.Checkpoint.parse(note.split_note(client.get("/api/v1/log/checkpoint", headers=headers).text)[0]).size
    start = max(0, size - 300)
    entries = client.get("/api/v1/log/entries", params={"start": start, "end": size}, headers=headers).json()
    assert [e["index"] for e in entries] == list(range(start, size))
    for entry in entries[:: max(1, len(entries) // 60)]:
        assert merkle.leaf_hash(entry["data"].encode()).hex() == entry["leaf_hash"]
        proof = client.get(
            "/api/v1/log/proof/inclusion", params={"index": entry["index"], "size": size}, headers=headers
        ).json()
        hashes = [bytes.fromhex(h) for h in proof["hashes"]]
        root = bytes.fromhex(proof["root"])
        assert merkle.verify_inclusion(entry["index"], size, bytes.fromhex(entry["leaf_hash"]), hashes, root)


def test_consistency_between_two_sizes(client: TestClient, login: Login) -> None:
    headers = login("verifier-tr")
    proof = client.get("/api/v1/log/proof/consistency", params={"first": 10, "second": 70}, headers=headers).json()
    assert merkle.verify_consistency(
        10,
        70,
        bytes.fromhex(proof["first_root"]),
        bytes.fromhex(proof["second_root"]),
        [bytes.fromhex(h) for h in proof["hashes"]],
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"index": 5, "size": 10**9}, "size"),
        ({"index": 10, "size": 10}, "index"),
    ],
)
def test_bad_proof_requests(client: TestClient, login: Login, params: dict[str, int], field: str) -> None:
    answer = client.get("/api/v1/log/proof/inclusion", params=params, headers=login("admin"))
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(field)


def test_entries_hide_what_the_caller_may_not_read(client: TestClient, login: Login, scene: Scene) -> None:
    secret = {"name": "Secret post", "kind": "post", "classification": "restricted",
              "restricted_to": [scene.delegation("tr")]}  # fmt: skip
    created = client.post(
        f"{scene.api}/sites", json=point_feature(*scene.point, **secret), headers=login("admin")
    ).json()
    history = client.get(f"{scene.api}/sites/{created['id']}/history", headers=login("verifier-tr")).json()
    index = history["entries"][0]["index"]
    for account, sees in [("verifier-tr", True), ("admin", True), ("verifier-ru", False), ("liaison-am", False)]:
        (entry,) = client.get(
            "/api/v1/log/entries", params={"start": index, "end": index + 1}, headers=login(account)
        ).json()
        assert ("data" in entry) == sees, account
        assert entry["leaf_hash"]
    users = client.get("/api/v1/log/entries", params={"start": 0, "end": 200}, headers=login("monitor-ru")).json()
    hidden = [e for e in users if "data" not in e]
    assert hidden, "user records are an administrator's business"
    shown_types = {e["entity_type"] for e in users if "data" in e}
    assert "users" not in shown_types
    assert "memberships" not in shown_types


def test_history_of_a_site_with_proofs(client: TestClient, login: Login, scene: Scene) -> None:
    sites = client.get(f"{scene.api}/sites", headers=login("liaison-am")).json()["features"]
    site = next(s for s in sites if s["properties"]["name"] == SET_UP_SITE[scene.slug])
    history = client.get(f"{scene.api}/sites/{site['id']}/history", headers=login("liaison-am")).json()
    (entry,) = history["entries"]
    assert json.loads(entry["data"])["entity"]["name"] == SET_UP_SITE[scene.slug]
    leaf = merkle.leaf_hash(entry["data"].encode())
    hashes = [bytes.fromhex(h) for h in entry["proof"]]
    assert merkle.verify_inclusion(entry["index"], history["size"], leaf, hashes, bytes.fromhex(history["root"]))
    assert client.get(f"{scene.api}/sites/987654/history", headers=login("admin")).status_code == 404
    assert client.get(f"{scene.api}/users/1/history", headers=login("admin")).status_code == 422


def test_audit_proves_the_log_grew_honestly(client: TestClient, login: Login, scene: Scene, tmp_path: Path) -> None:
    verifier = server_key(client, login)
    auditor = Authorized(client, login("liaison-am"))
    saved = client.get("/api/v1/log/checkpoint", headers=login("liaison-am")).text
    post = point_feature(*scene.point, name="Post 25", kind="post")
    assert client.post(f"{scene.api}/sites", json=post, headers=login("admin")).status_code == 201
    result = party.audit(auditor, verifier, saved)  # type: ignore[arg-type]
    # The new post may also move some incidents' nearest site: each move is an entry too.
    assert result.current.checkpoint.size > result.saved.checkpoint.size
    assert result.read + result.hashes_only == result.current.checkpoint.size


def test_audit_refuses_a_forged_checkpoint(client: TestClient, login: Login) -> None:
    verifier = server_key(client, login)
    forger = note.generate_signer(verifier.name)
    forged = note.sign_note(note.Checkpoint(verifier.name, 3, b"\1" * 32).to_body(), [forger])
    with pytest.raises(party.AuditError, match="not validly signed"):
        party.audit(Authorized(client, login("liaison-az")), verifier, forged)  # type: ignore[arg-type]


def test_cosigning_by_a_registered_witness(
    client: TestClient, login: Login, scene: Scene, app: object, tmp_path: Path
) -> None:
    witness = note.generate_signer("witness.am.example/2020")
    db = app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        ledger.add_witness(session, witness.cosigner_verifier_text(), scene.delegation("am"), actor=Actor.system())
    verifier = server_key(client, login)
    state = tmp_path / "am.state"
    cosigner = Authorized(client, login("liaison-am"))
    first = party.cosign(cosigner, witness, verifier, state)  # type: ignore[arg-type]
    text = client.get("/api/v1/log/checkpoint", headers=login("liaison-az")).text
    assert "— witness.am.example/2020 " in text
    body, _ = note.split_note(text)
    cosignature = next(line for line in note.split_note(text)[1] if "witness.am" in line)
    assert note.verify_cosignature(body, cosignature, witness.cosigner_verifier()) > 0
    post = point_feature(*scene.point, name="Post 26", kind="post")
    assert client.post(f"{scene.api}/sites", json=post, headers=login("admin")).status_code == 201
    second = party.cosign(cosigner, witness, verifier, state)  # type: ignore[arg-type]
    assert second.checkpoint.size > first.checkpoint.size


def test_cosigner_refuses_a_log_that_shrank(client: TestClient, login: Login, app: object, tmp_path: Path) -> None:
    verifier = server_key(client, login)
    witness = note.generate_signer("witness.az")
    state = tmp_path / "az.state"
    # The server once signed a bigger tree (as it would have before a backup was restored).
    server = app.state.log_signer  # type: ignore[attr-defined]
    bigger = note.Checkpoint(verifier.name, 10**6, b"\2" * 32).to_body()
    state.write_text(json.dumps({"checkpoint": note.sign_note(bigger, [server])}))
    shrank = r"rollback: the server's log holds \d+ entries, fewer than the 1000000 of your saved checkpoint"
    with pytest.raises(party.AuditError, match=shrank):
        party.cosign(Authorized(client, login("liaison-az")), witness, verifier, state)  # type: ignore[arg-type]
    impostor = note.generate_signer(verifier.name)
    state.write_text(json.dumps({"checkpoint": note.sign_note(bigger, [impostor])}))
    with pytest.raises(party.AuditError, match="not validly signed"):
        party.cosign(Authorized(client, login("liaison-az")), witness, verifier, state)  # type: ignore[arg-type]


def test_an_unregistered_or_forged_cosignature_is_refused(client: TestClient, login: Login) -> None:
    text = client.get("/api/v1/log/checkpoint", headers=login("admin")).text
    body, _ = note.split_note(text)
    size = note.Checkpoint.parse(body).size
    stranger = note.generate_signer("stranger")
    line = note.cosign(body, stranger, 1_700_000_000)
    answer = client.post("/api/v1/log/cosignatures", json={"size": size, "signature": line})
    assert answer.status_code == 403
    assert client.post("/api/v1/log/cosignatures", json={"size": 10**9, "signature": line}).status_code == 404
