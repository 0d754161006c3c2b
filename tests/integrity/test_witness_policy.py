"""A mission's witness policy (C2SP tlog-policy): stored and logged; bulletins wait for a witnessed checkpoint."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import Login
from truce.config import Settings
from truce.errors import Conflict, Forbidden, Invalid
from truce.integrity import proofs
from truce.ledger import keys, note, proof, trust
from truce.ledger import service as ledger
from truce.ledger.models import WitnessPolicy
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import MissionUpdate
from truce.places import service as places_service
from truce.places.models import Site
from truce.policy import Actor
from truce.reports import bulletin
from truce.reports import service as reports_service


def policy_text(server: note.Verifier, *witnesses: note.Signer, quorum: str = "all") -> str:
    lines = [f"log {server.to_text()}"]
    lines += [f"witness {w.name} {w.cosigner_verifier_text()}" for w in witnesses]
    lines += [f"group sides {quorum} {' '.join(w.name for w in witnesses)}", "quorum sides"]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def public(session: Session, mission: Mission, member: Callable[[str], Actor]) -> None:
    """Only a public mission publishes bulletins and shows the public its proofs: the demo is one; the example
    mission is made one here."""
    if not mission.public:
        missions_service.update(session, mission, MissionUpdate(public=True), actor=member("admin"))


@pytest.fixture
def witnesses(session: Session, scene: Scene) -> list[note.Signer]:
    made = [note.generate_signer("witness.ru.example"), note.generate_signer("witness.tr.example")]
    for signer, code in zip(made, (scene.delegation("ru"), scene.delegation("tr")), strict=True):
        ledger.add_witness(session, signer.cosigner_verifier_text(), code, actor=Actor.system())
    return made


def cosign(session: Session, signer: note.Signer, *witnesses: note.Signer) -> int:
    stored = ledger.checkpoint(session, signer)
    body, _ = note.split_note(stored.note)
    for witness in witnesses:
        ledger.add_cosignature(session, stored.size, note.cosign(body, witness, int(time.time())))
    return stored.size


def test_the_policy_is_set_by_the_operator_only_valid_and_logged(
    session: Session, mission: Mission, witnesses: list[note.Signer], member: Callable[[str], Actor], tmp_path: Path
) -> None:
    server = keys.load_or_create(tmp_path, "truce.test/log").verifier()
    text = policy_text(server, *witnesses)
    with pytest.raises(Forbidden):
        ledger.set_witness_policy(session, mission.id, text, server, actor=member("admin"))
    with pytest.raises(Invalid, match="line 1"):
        ledger.set_witness_policy(session, mission.id, "log nonsense\n", server, actor=Actor.system(mission.id))
    other = note.generate_signer("another.example/log").verifier()
    with pytest.raises(Invalid, match="does not list this log's key"):
        ledger.set_witness_policy(session, mission.id, text, other, actor=Actor.system(mission.id))
    ledger.set_witness_policy(session, mission.id, text, server, actor=Actor.system(mission.id))
    stored = ledger.witness_policy(session, mission.id)
    assert stored is not None
    assert stored.witnessed_by({"witness.ru.example", "witness.tr.example"})
    # Its row's id, not 1: on PostgreSQL the sequences go on from the worker's earlier tests.
    policy_id = session.scalars(select(WitnessPolicy.id).where(WitnessPolicy.mission_id == mission.id)).one()
    (entry,) = ledger.history(session, "log_witness_policies", str(policy_id))
    assert entry.action == "witness_policy.set"


def test_a_bulletin_is_published_only_on_a_witnessed_checkpoint_and_names_its_cosigners(
    session: Session,
    mission: Mission,
    witnesses: list[note.Signer],
    member: Callable[[str], Actor],
    tmp_path: Path,
    scene: Scene,
) -> None:
    signer = keys.load_or_create(tmp_path, "truce.test/log")
    ledger.set_witness_policy(session, mission.id, policy_text(signer.verifier(), *witnesses), signer.verifier(),
                              actor=Actor.system(mission.id))  # fmt: skip
    cosign(session, signer, witnesses[0])  # one of the two: below the quorum "all"
    with pytest.raises(Conflict, match="no checkpoint is witnessed"):
        reports_service.publish_bulletin(session, mission, scene.day, actor=member("verifier-ru"))
    size = cosign(session, signer, *witnesses)
    report = reports_service.publish_bulletin(session, mission, scene.day, actor=member("verifier-ru"))
    manifest = bulletin.read_manifest(report.content)
    assert manifest.log_size == size
    assert manifest.witnessed_by == ("witness.ru.example", "witness.tr.example")
    checked = reports_service.check_bulletin(session, report.content)
    assert checked.ok, checked.message


def test_a_proof_uses_the_witnessed_checkpoint_and_passes_the_stored_policy(
    session: Session, mission: Mission, witnesses: list[note.Signer], tmp_path: Path
) -> None:
    signer = keys.load_or_create(tmp_path, "truce.test/log")
    ledger.set_witness_policy(session, mission.id, policy_text(signer.verifier(), *witnesses, quorum="2"),
                              signer.verifier(), actor=Actor.system(mission.id))  # fmt: skip
    cosign(session, signer, *witnesses)
    ledger.checkpoint(session, signer)  # a newer, not yet witnessed checkpoint
    site = str(places_service.list_places(session, Site, mission, actor=Actor.system(mission.id))[0].id)
    entry = proofs.latest_entry(session, mission.id, "sites", site, actor=Actor.system(mission.id))
    text = proofs.proof_for(session, entry, signer)
    stored = ledger.witness_policy(session, mission.id)
    assert stored is not None
    checked = proof.check(proof.parse(text), trust.parse(stored.to_text()))
    assert checked.cosigners == ["witness.ru.example", "witness.tr.example"]


def test_every_party_reads_the_policy(
    client: TestClient, login: Login, session: Session, mission: Mission, witnesses: list[note.Signer],
    settings: Settings, scene: Scene,
) -> None:  # fmt: skip
    path = f"{scene.api}/witness-policy"
    assert client.get(path, headers=login("liaison-az")).status_code == 404
    server = keys.load_or_create(settings.data_dir, settings.log_origin).verifier()
    ledger.set_witness_policy(session, mission.id, policy_text(server, *witnesses), server,
                              actor=Actor.system(mission.id))  # fmt: skip
    session.flush()
    for account in ("liaison-az", "liaison-am", "verifier-tr"):
        answer = client.get(path, headers=login(account))
        assert answer.status_code == 200, answer.text
        assert trust.parse(answer.text).quorum == "sides"
    # The mission is public: its public bulletins' proofs are checked with the same policy by anyone.
    assert client.get(path).status_code == 200


def test_the_bulletin_links_each_record_to_a_proof_anyone_can_check(
    client: TestClient, session: Session, mission: Mission, witnesses: list[note.Signer],
    member: Callable[[str], Actor], settings: Settings, scene: Scene,
) -> None:  # fmt: skip
    signer = keys.load_or_create(settings.data_dir, settings.log_origin)
    text = policy_text(signer.verifier(), *witnesses)
    ledger.set_witness_policy(session, mission.id, text, signer.verifier(), actor=Actor.system(mission.id))
    cosign(session, signer, *witnesses)
    report = reports_service.publish_bulletin(session, mission, scene.day, actor=member("verifier-ru"))
    session.flush()
    records = bulletin.read_manifest(report.content).records
    assert records
    for record in records[:3]:
        answer = client.get(record["proof"])  # the public: the bulletin's records are public
        assert answer.status_code == 200, answer.text
        checked = proof.check(proof.parse(answer.text), trust.parse(text))
        assert checked.index == record["entry"]
    account = ledger.history(session, "users", "1")[0].idx  # an account: no mission's record, nobody's to prove
    assert client.get(f"{scene.api}/log-proof/{account}").status_code == 404
