"""Offline proofs (C2SP tlog-proof) checked with nothing but a witness policy (C2SP tlog-policy)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.logworld import World, world
from support import copy_data_dir, truce
from truce import console
from truce.ledger import note, proof, trust
from truce.ledger import service as ledger


def cosign_latest(data: Path, *witnesses: note.Signer) -> None:
    """The delegations' witnesses cosign the latest checkpoint (as `truce log cosign` would, without a server)."""
    with console.open_database(console.settings_for(data), migrate=False) as db, db.session() as session:
        stored = ledger.latest_checkpoint(session)
        assert stored is not None
        body, _ = note.split_note(stored.note)
        for witness in witnesses:
            ledger.add_cosignature(session, stored.size, note.cosign(body, witness, int(time.time())))
    db.dispose()


@pytest.fixture
def proved(demo_data_dir: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A data directory with two registered witnesses that cosigned; its policy (quorum 2) and a proof file."""
    data = copy_data_dir(demo_data_dir, tmp_path / "data")
    witnesses = [note.generate_signer("witness.ru.example"), note.generate_signer("witness.tr.example")]
    for witness, code in zip(witnesses, ("ru", "tr"), strict=True):
        added = truce("log", "witness", witness.cosigner_verifier_text(), "--delegation", code, "--data-dir", str(data))
        assert added.returncode == 0, added.stderr
    assert truce("log", "checkpoint", "--data-dir", str(data)).returncode == 0
    cosign_latest(data, *witnesses)
    policy = tmp_path / "nk-2020.policy"
    made = truce("log", "policy", "--quorum", "2", "--data-dir", str(data))
    assert made.returncode == 0, made.stderr
    policy.write_text(made.stdout)
    out = tmp_path / "incident-1.tlog-proof"
    written = truce("log", "proof", "nk-2020", "--entity", "incidents:1", "--out", str(out), "--data-dir", str(data))
    assert written.returncode == 0, written.stderr
    return data, policy, out


def test_a_proof_passes_as_given_with_no_network(proved: tuple[Path, Path, Path]) -> None:
    _, policy, out = proved
    assert out.read_text().startswith("c2sp.org/tlog-proof@v1\nextra ")
    checked = truce("log", "check-proof", str(out), "--policy", str(policy))
    assert checked.returncode == 0, checked.stderr
    assert "cosigned by witness.ru.example, witness.tr.example" in checked.stdout
    assert '"entity_type":"incidents"' in checked.stdout


def test_one_byte_of_the_entry_flipped_fails(proved: tuple[Path, Path, Path]) -> None:
    _, policy, out = proved
    parsed = proof.parse(out.read_text())
    flipped = bytearray(parsed.entry)
    flipped[len(flipped) // 2] ^= 0x01
    out.write_text(proof.Proof(bytes(flipped), parsed.index, parsed.hashes, parsed.checkpoint).to_text())
    checked = truce("log", "check-proof", str(out), "--policy", str(policy))
    assert checked.returncode == 1
    assert "the inclusion proof fails" in checked.stderr


def test_cosignatures_below_the_quorum_fail(proved: tuple[Path, Path, Path]) -> None:
    _, policy, out = proved
    text = out.read_text()
    without = "".join(line for line in text.splitlines(keepends=True) if "witness.tr.example" not in line)
    out.write_text(without)
    checked = truce("log", "check-proof", str(out), "--policy", str(policy))
    assert checked.returncode == 1
    assert "cosigned by witness.ru.example: below the policy's quorum" in checked.stderr
    # A policy that asks for one of the two is met by the other.
    policy.write_text(policy.read_text().replace("group registered 2 ", "group registered any "))
    assert truce("log", "check-proof", str(out), "--policy", str(policy)).returncode == 0


def test_a_checkpoint_signed_by_another_log_key_fails(proved: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, policy, out = proved
    impostor = note.generate_signer(note.Verifier.from_text(policy.read_text().split()[1]).name)
    parsed = proof.parse(out.read_text())
    body, lines = note.split_note(parsed.checkpoint)
    forged = note.add_signatures(note.sign_note(body, [impostor]), [x for x in lines if "witness" in x])
    out.write_text(proof.Proof(parsed.entry, parsed.index, parsed.hashes, forged).to_text())
    checked = truce("log", "check-proof", str(out), "--policy", str(policy))
    assert checked.returncode == 1
    assert "not signed by a log the policy trusts" in checked.stderr


@pytest.fixture
def server(backend: str, tmp_path: Path) -> Iterator[World]:
    made = world(backend, tmp_path, "proofs")
    yield made
    made.db.dispose()


def test_the_api_answers_a_proof_to_those_who_may_read_the_record(server: World) -> None:
    policy = trust.parse(f"log {server.signer.verifier_text()}\nquorum none\n")
    with server.party("verifier-ru") as client:
        answer = client.get("/api/v1/missions/nk-2020/sites/3/proof")
        assert answer.status_code == 200, answer.text
        checked = proof.check(proof.parse(answer.text), policy)
        assert b'"name":"Lachin / Berdzor"' in checked.entry
        assert client.get("/api/v1/missions/nk-2020/sites/999999/proof").status_code == 404
    with server.party("liaison-am") as client:
        # An account is the administrators' business: a liaison learns nothing, not even that it exists.
        assert client.get("/api/v1/missions/nk-2020/users/1/proof").status_code == 404


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("quorum none\nquorum none\n", "exactly one quorum line"),
        ("group g any w1\nquorum g\n", "not defined on an earlier line"),
        ("quorum w1\n", "not defined on an earlier line"),
        ("log nonsense\nquorum none\n", "line 1"),
        ("", "no quorum line"),
        ("frobnicate\nquorum none\n", "unknown line"),
    ],
)
def test_policies_that_do_not_follow_the_format_are_refused(text: str, error: str) -> None:
    with pytest.raises(trust.PolicyError, match=error):
        trust.parse(text)


def test_a_policy_of_two_groups_as_the_spec_shows() -> None:
    signers = [note.generate_signer(f"w{i}.example") for i in range(6)]
    lines = [f"witness W{i} {s.cosigner_verifier_text()}" for i, s in enumerate(signers)]
    text = "\n".join([*lines, "group X 2 W0 W1 W2", "group Y any W3 W4 W5", "group XY all X Y", "quorum XY", ""])
    policy = trust.parse(text)
    assert policy.witnessed_by({"W0", "W1", "W5"})
    assert not policy.witnessed_by({"W0", "W3", "W4"})
    assert not policy.witnessed_by({"W0", "W1"})
    assert trust.parse(policy.to_text()).witnessed_by({"W0", "W2", "W3"})
    duplicate = text.replace(signers[1].cosigner_verifier_text(), signers[0].cosigner_verifier_text())
    with pytest.raises(trust.PolicyError, match="listed twice"):
        trust.parse(duplicate)
