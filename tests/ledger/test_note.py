"""Tests for truce.ledger.note: published known answers, tampering, malformed input and round trips."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from truce.ledger.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    MAX_SIGNATURES,
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    add_signatures,
    cosign,
    cosignature_message,
    cosignature_timestamp,
    decode_note,
    generate_signer,
    key_id,
    open_note,
    sign_note,
    split_note,
    verify_cosignature,
)

# golang.org/x/mod/sumdb/note: the example in the package documentation (note.go) and note_test.go.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# c2sp.org/signed-note (C2SP/C2SP signed-note.md), section "Verifier keys", "Example".
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    "This is an example message.\n\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# c2sp.org/tlog-cosignature (C2SP/C2SP tlog-cosignature.md): the example checkpoint, its witness
# cosignature line and the example signed message for "time 1679315147".
SOFA_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_NOTE = (
    SOFA_BODY + "\n"
    "— example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "— witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
SOFA_MESSAGE = b"cosignature/v1\ntime 1679315147\n" + SOFA_BODY.encode()

# transparency-dev/formats note/note_cosigv1_test.go: TestCoSigV1NewVerifier and TestCosignatureTimestamp.
FORMATS_ED25519_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
FORMATS_COSIG = (
    "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
)
FORMATS_COSIG_TIME = 1727964367
FORMATS_NOT_COSIG = "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="

# florolf/tlog-scales tests/test_signing.py TestCheckpointSigning: a real checkpoint of the
# arche2025h1 staging CT log with its RFC 6962 (0x05) and Ed25519 note signatures and four real
# witness cosignatures, and the vkeys of the log and of the remora.n621.de witness.
ARCHE_VKEY = "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
ARCHE_BODY = "arche2025h1.staging.ct.transparency.dev\n1432088532\nU7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
ARCHE_LINES = [
    "— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkpt"
    "QIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n",
    "— arche2025h1.staging.ct.transparency.dev "
    "ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n",
    "— transparency.dev/DEV:witness-little-garden "
    "2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n",
    "— witness1.smartit.nu/witness1 "
    "pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n",
    "— remora.n621.de "
    "2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n",
    "— witness.stagemole.eu "
    "Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n",
]
ARCHE_NOTE = ARCHE_BODY + "\n" + "".join(ARCHE_LINES)
REMORA_TIME = 1779573024  # bytes 4..12 of remora's line: 0x000000006a122120

SEED = bytes(range(32))


def line_for(name: str, payload: bytes) -> str:
    """Build a signature line by hand."""
    return f"— {name} {base64.b64encode(payload).decode()}\n"


def checkpoint_body(size: int = 3) -> str:
    """A small valid checkpoint body."""
    return Checkpoint("example.org/log", size, hashlib.sha256(b"root").digest()).to_body()


# Known answers.


def test_go_note_signature_known_answer() -> None:
    signer = Signer.from_text(PETER_SKEY)
    assert sign_note(GO_TEXT, [signer]) == GO_TEXT + "\n" + PETER_SIG
    assert signer.verifier_text() == PETER_VKEY
    assert signer.to_text() == PETER_SKEY
    assert signer.key_id.hex() == "c74f20a3"


def test_go_note_open() -> None:
    peter = Verifier.from_text(PETER_VKEY)
    enoch = Verifier.from_text(ENOCH_VKEY)
    message = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(message, [peter]) == (GO_TEXT, ["PeterNeumann"])
    assert open_note(message, [peter, enoch]) == (GO_TEXT, ["PeterNeumann", "EnochRoot"])
    assert open_note(message, [enoch, peter, enoch]) == (GO_TEXT, ["PeterNeumann", "EnochRoot"])
    with pytest.raises(NoteError, match="not signed by any known key"):
        open_note(message, [])


def test_go_note_duplicated_and_unknown_signatures() -> None:
    # note_test.go TestOpen: repeated lines count once; a corrupted line from an unknown key is ignored.
    enoch_abcd = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    message = GO_TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_abcd
    assert open_note(message, [Verifier.from_text(PETER_VKEY)]) == (GO_TEXT, ["PeterNeumann"])


def test_go_note_invalid_signature_from_known_key() -> None:
    message = GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(NoteError, match="invalid signature from known key PeterNeumann"):
        open_note(message, [Verifier.from_text(PETER_VKEY)])


def test_go_note_signature_limit() -> None:
    peter = Verifier.from_text(PETER_VKEY)
    assert open_note(GO_TEXT + "\n" + PETER_SIG * MAX_SIGNATURES, [peter])[1] == ["PeterNeumann"]
    for verifiers in ([peter], []):
        with pytest.raises(NoteError, match="more than 100 signatures"):
            open_note(GO_TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1), verifiers)


@pytest.mark.parametrize(
    "message",
    [  # note_test.go TestOpen badMsgs, then further malformed notes.
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + PETER_SIG,
        GO_TEXT
        + "\n"
        + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        GO_TEXT
        + "\n"
        + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        GO_TEXT + "\n" + PETER_SIG + "\n",
        GO_TEXT + "\n" + PETER_SIG.replace("—", "-"),
        GO_TEXT + "\n" + PETER_SIG.replace("— ", "—"),
        GO_TEXT + "\n" + PETER_SIG.replace("— ", "—  "),
        GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"),
        GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann ", "PeterNeumann"),
        GO_TEXT + "\n" + PETER_SIG.replace("AM=", "AN="),  # non-zero padding bits
        GO_TEXT + "\n" + PETER_SIG.replace("AM=", "AM"),  # missing padding
        GO_TEXT + "\n" + PETER_SIG.replace("x08g", "x08g\t"),
        GO_TEXT + "\n" + "— PeterNeumann AAAAAA==\n",  # shorter than a key ID and one byte
        GO_TEXT + "\n" + "— PeterNeumann \n",
        "tab\there\n\n" + PETER_SIG,
        GO_TEXT + "\r\n" + PETER_SIG,
        "\ud800\n\n" + PETER_SIG,
    ],
)
def test_malformed_notes_are_refused(message: str) -> None:
    with pytest.raises(NoteError):
        open_note(message, [Verifier.from_text(PETER_VKEY)])


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(NoteError, match="UTF-8"):
        decode_note(b"\xff" + (GO_TEXT + "\n" + PETER_SIG).encode())
    assert decode_note((GO_TEXT + "\n" + PETER_SIG).encode()) == GO_TEXT + "\n" + PETER_SIG


def test_go_verifier_key_manglings_are_refused() -> None:
    # note_test.go TestNewVerifier: every proper substring and every single-character increment.
    assert Verifier.from_text(PETER_VKEY).to_text() == PETER_VKEY
    for start in range(len(PETER_VKEY)):
        for end in range(start + 1, len(PETER_VKEY) + 1):
            if (start, end) != (0, len(PETER_VKEY)):
                with pytest.raises(NoteError):
                    Verifier.from_text(PETER_VKEY[start:end])
    for position in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:position] + chr(ord(PETER_VKEY[position]) + 1) + PETER_VKEY[position + 1 :]
        with pytest.raises(NoteError):
            Verifier.from_text(mangled)
    for bad in [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # wrong key length
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown algorithm
    ]:
        with pytest.raises(NoteError):
            Verifier.from_text(bad)


def test_go_signer_key_manglings_are_refused() -> None:
    # note_test.go TestNewSigner: every proper substring and every single-character increment.
    for start in range(len(PETER_SKEY)):
        for end in range(start + 1, len(PETER_SKEY) + 1):
            if (start, end) != (0, len(PETER_SKEY)):
                with pytest.raises(NoteError):
                    Signer.from_text(PETER_SKEY[start:end])
    for position in range(len(PETER_SKEY)):
        mangled = PETER_SKEY[:position] + chr(ord(PETER_SKEY[position]) + 1) + PETER_SKEY[position + 1 :]
        with pytest.raises(NoteError):
            Signer.from_text(mangled)


def test_c2sp_signed_note_example() -> None:
    verifier = Verifier.from_text(C2SP_VKEY)
    assert verifier.algorithm == ALG_ED25519
    assert open_note(C2SP_NOTE, [verifier]) == ("This is an example message.\n", ["example.com/foo"])
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(C2SP_NOTE.replace("example message", "example massage"), [verifier])


def test_c2sp_cosignature_example() -> None:
    assert cosignature_message(SOFA_BODY, 1679315147) == SOFA_MESSAGE
    body, lines = split_note(SOFA_NOTE)
    assert body == SOFA_BODY
    assert lines == SOFA_NOTE.split("\n", 4)[-1].splitlines(keepends=True)
    assert cosignature_timestamp(lines[1]) == 1679315147
    checkpoint = Checkpoint.parse(body)
    assert (checkpoint.origin, checkpoint.size, len(checkpoint.root_hash)) == (
        "example.com/behind-the-sofa",
        20852163,
        32,
    )
    assert checkpoint.to_body() == SOFA_BODY


def test_formats_verifier_keys() -> None:
    assert Verifier.from_text(FORMATS_ED25519_VKEY).algorithm == ALG_ED25519
    remora = Verifier.from_text(REMORA_VKEY)
    assert remora.algorithm == ALG_COSIGNATURE_V1
    assert remora.key_id == key_id("remora.n621.de", ALG_COSIGNATURE_V1, remora.public_key)
    assert remora.to_text() == REMORA_VKEY
    material = REMORA_VKEY.rsplit("+", 1)[1]
    for bad in [
        "bananas.sigstore.dev+12344556",  # wrong number of parts
        "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!",
        "rekor.sigstore.dev+12345678+AwEB",  # unknown algorithm
        "remora.n621.de+NOT_A_NUMBER+" + material,
        "remora.n621.de+00000000+" + material,  # incorrect key ID
        "remora.n621.de+DA77ADE7+" + material,  # key IDs are lowercase hex
        "remora.n621.de+da77ade7+" + material + "\n",
    ]:
        with pytest.raises(NoteError):
            Verifier.from_text(bad)


def test_formats_cosignature_timestamps() -> None:
    assert cosignature_timestamp(f"— w {FORMATS_COSIG}\n") == FORMATS_COSIG_TIME
    with pytest.raises(NoteError, match="wrong length"):
        cosignature_timestamp(f"— w {FORMATS_NOT_COSIG}\n")
    with pytest.raises(NoteError):
        cosignature_timestamp("— w 5%/$!\n 2\n")


def test_real_checkpoint_with_witness_cosignatures() -> None:
    log = Verifier.from_text(ARCHE_VKEY)
    remora = Verifier.from_text(REMORA_VKEY)
    body, names = open_note(ARCHE_NOTE, [log, remora])
    assert body == ARCHE_BODY
    assert names == ["arche2025h1.staging.ct.transparency.dev", "remora.n621.de"]
    assert verify_cosignature(ARCHE_BODY, ARCHE_LINES[4], remora) == REMORA_TIME
    assert Checkpoint.parse(body).size == 1432088532
    # The other lines (an RFC 6962 signature and three other witnesses) are from unknown keys.
    assert open_note(ARCHE_NOTE, [remora])[1] == ["remora.n621.de"]


def test_real_checkpoint_tampered() -> None:
    remora = Verifier.from_text(REMORA_VKEY)
    tampered = ARCHE_NOTE.replace("1432088532", "1432088533")
    with pytest.raises(NoteError, match="invalid signature from known key remora"):
        open_note(tampered, [remora])
    with pytest.raises(NoteError, match="invalid cosignature"):
        verify_cosignature(tampered.split("\n\n")[0] + "\n", ARCHE_LINES[4], remora)
    with pytest.raises(NoteError, match="not from this cosigner"):
        verify_cosignature(ARCHE_BODY, ARCHE_LINES[3], remora)
    with pytest.raises(NoteError, match="type 0x04"):
        verify_cosignature(ARCHE_BODY, ARCHE_LINES[1], Verifier.from_text(ARCHE_VKEY))


# Cosigning built independently from the spec text.


def test_cosignature_matches_a_hand_built_one() -> None:
    signer = Signer.from_seed("witness.example/w9", SEED)
    body = checkpoint_body()
    timestamp = 1_700_000_000
    private = Ed25519PrivateKey.from_private_bytes(SEED)
    public = private.public_key().public_bytes_raw()
    cosigner_id = hashlib.sha256(b"witness.example/w9\n\x04" + public).digest()[:4]
    message = b"cosignature/v1\ntime 1700000000\n" + body.encode()
    payload = cosigner_id + timestamp.to_bytes(8, "big") + private.sign(message)
    assert cosign(body, signer, timestamp) == line_for("witness.example/w9", payload)
    assert (
        signer.cosigner_verifier_text()
        == f"witness.example/w9+{cosigner_id.hex()}+" + base64.b64encode(b"\x04" + public).decode()
    )
    note_id = hashlib.sha256(b"witness.example/w9\n\x01" + public).digest()[:4]
    assert signer.key_id == note_id


def test_log_signature_then_witness_cosignature() -> None:
    log = generate_signer("example.org/log")
    witness = generate_signer("witness.example/w1")
    body = checkpoint_body(10)
    signed = sign_note(body, [log])
    line = cosign(body, witness, 1_800_000_000)
    cosigned = add_signatures(signed, [line])
    cosigner = Verifier.from_text(witness.cosigner_verifier_text())
    assert open_note(cosigned, [log.verifier(), cosigner]) == (body, ["example.org/log", "witness.example/w1"])
    assert verify_cosignature(body, line, cosigner) == 1_800_000_000
    # The witness's plain note key has another key ID, so it does not recognise the cosignature.
    with pytest.raises(NoteError, match="not signed by any known key"):
        open_note(cosigned, [witness.verifier()])
    with pytest.raises(NoteError, match="invalid cosignature"):
        verify_cosignature(checkpoint_body(11), line, cosigner)


@pytest.mark.parametrize("timestamp", [-1, 2**63])
def test_cosign_refuses_out_of_range_times(timestamp: int) -> None:
    with pytest.raises(NoteError, match="timestamp"):
        cosign(checkpoint_body(), generate_signer("w"), timestamp)


def test_cosignature_with_time_beyond_the_limit_fails() -> None:
    witness = Signer.from_seed("w", SEED)
    body = checkpoint_body()
    # A hand-built line claiming time 2**63 must fail even if its Ed25519 signature is sound.
    message = b"cosignature/v1\ntime " + str(2**63).encode() + b"\n" + body.encode()
    cosigner = witness.cosigner_verifier()
    payload = cosigner.key_id + (2**63).to_bytes(8, "big") + witness.sign(message)
    line = line_for("w", payload)
    with pytest.raises(NoteError, match="invalid cosignature"):
        verify_cosignature(body, line, cosigner)
    with pytest.raises(NoteError, match="timestamp"):
        cosignature_timestamp(line)


def test_cosign_refuses_non_checkpoints() -> None:
    with pytest.raises(NoteError):
        cosign("just text\n", generate_signer("w"), 1)


# Signing, tampering and signature management.


def test_sign_and_open_round_trip() -> None:
    first = generate_signer("example.org/a")
    second = generate_signer("example.org/b")
    note = sign_note("hello\n\nworld\n", [first, second, first])
    body, lines = split_note(note)
    assert body == "hello\n\nworld\n"
    assert len(lines) == 2
    assert open_note(note, [second.verifier()]) == (body, ["example.org/b"])
    restored = Signer.from_text(first.to_text())
    assert restored.verifier() == first.verifier()
    assert sign_note(body, [restored]) == sign_note(body, [first])


def test_tampering_is_detected() -> None:
    signer = generate_signer("example.org/log")
    verifier = signer.verifier()
    note = sign_note("line one\nline two\n", [signer])
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(note.replace("line two", "line 2"), [verifier])
    body, lines = split_note(note)
    payload = bytearray(base64.b64decode(lines[0].split(" ")[2]))
    payload[10] ^= 1
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(body + "\n" + line_for("example.org/log", bytes(payload)), [verifier])


def test_wrong_and_unknown_keys() -> None:
    signer = generate_signer("example.org/log")
    impostor = generate_signer("example.org/log")
    stranger = generate_signer("example.org/other")
    note = sign_note("text\n", [signer, stranger])
    # Same name, different key: a different key ID, so the line is not the impostor's and is ignored.
    with pytest.raises(NoteError, match="not signed by any known key"):
        open_note(note, [impostor.verifier()])
    assert open_note(note, [signer.verifier(), impostor.verifier()])[1] == ["example.org/log"]
    # A line claiming the known name and key ID but signed by another key fails the whole note.
    forged = line_for("example.org/log", signer.key_id + impostor.sign(b"text\n"))
    with pytest.raises(NoteError, match="invalid signature from known key"):
        open_note(add_signatures(note, [forged]), [signer.verifier(), stranger.verifier()])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("no final newline", "end with a newline"),
        ("tab\tinside\n", "control character"),
        ("cosignature/v1\ntime 1\nexample.org/log\n", "cosignature header"),
        ("\udc80\n", "UTF-8"),
    ],
)
def test_sign_note_refuses_bad_bodies(body: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        sign_note(body, [generate_signer("example.org/log")])


def test_sign_note_signer_count() -> None:
    with pytest.raises(NoteError, match="at least one signer"):
        sign_note("text\n", [])
    signers = [Signer.from_seed(f"s{i}", SEED) for i in range(MAX_SIGNATURES + 1)]
    with pytest.raises(NoteError, match="at most 100"):
        sign_note("text\n", signers)
    assert len(split_note(sign_note("text\n", signers[:-1]))[1]) == MAX_SIGNATURES


def test_ambiguous_verifiers_are_refused() -> None:
    first = generate_signer("example.org/log").verifier()
    second = generate_signer("example.org/log").verifier()
    # A real clash of name and key ID needs about 2**32 key generations, so one is forced here.
    object.__setattr__(second, "key_id", first.key_id)
    note = sign_note("text\n", [generate_signer("other")])
    with pytest.raises(NoteError, match="ambiguous verifiers"):
        open_note(note, [first, second])


def test_cosigner_key_on_a_plain_signature_line_fails() -> None:
    witness = generate_signer("witness.example/w1")
    cosigner = witness.cosigner_verifier()
    # Right name and cosigner key ID, but a 64-byte payload with no timestamp.
    line = line_for(witness.name, cosigner.key_id + witness.sign(b"text\n"))
    note = sign_note("text\n", [generate_signer("example.org/log")])
    with pytest.raises(NoteError, match="invalid signature from known key"):
        open_note(add_signatures(note, [line]), [cosigner])


def test_add_signatures_replaces_and_deduplicates() -> None:
    log = generate_signer("example.org/log")
    witness = generate_signer("witness.example/w1")
    body = checkpoint_body()
    signed = sign_note(body, [log])
    old = cosign(body, witness, 100)
    new = cosign(body, witness, 200)
    once = add_signatures(signed, [old, old])
    assert split_note(once)[1] == [split_note(signed)[1][0], old]
    twice = add_signatures(once, [new])
    assert split_note(twice)[1] == [split_note(signed)[1][0], new]
    assert add_signatures(twice, [new]) == twice


@pytest.mark.parametrize(
    "line",
    [
        "— w AAAAAAAA",  # no final newline
        "— w AAAAAAAA\n— v AAAAAAAA\n",  # two lines
        "- w AAAAAAAA\n",
        "— w AAAAAAA\n",
    ],
)
def test_add_signatures_refuses_bad_lines(line: str) -> None:
    signed = sign_note("text\n", [generate_signer("example.org/log")])
    with pytest.raises(NoteError):
        add_signatures(signed, [line])


def test_add_signatures_keeps_the_limit() -> None:
    signed = sign_note("text\n", [generate_signer("example.org/log")])
    lines = [line_for(f"w{i}", b"\x00\x00\x00\x00\x01") for i in range(MAX_SIGNATURES)]
    with pytest.raises(NoteError, match="at most 100"):
        add_signatures(signed, lines)
    assert len(split_note(add_signatures(signed, lines[:-1]))[1]) == MAX_SIGNATURES


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u00a0b", "a\u2028b", "a\nb", "a\x7fb\x01"])
def test_invalid_key_names(name: str) -> None:
    with pytest.raises(NoteError, match="key name"):
        generate_signer(name)


def test_signer_helpers() -> None:
    signer = Signer.from_seed("example.org/log", SEED)
    assert SEED.hex() not in repr(signer)
    assert signer.to_text() not in repr(signer)
    assert Signer.from_text(signer.to_text()).public_key == signer.public_key
    with pytest.raises(NoteError, match="32 bytes"):
        Signer.from_seed("example.org/log", SEED[:31])
    with pytest.raises(NoteError, match="PRIVATE"):
        Signer.from_text(signer.verifier_text())
    with pytest.raises(NoteError, match="32 bytes"):
        Verifier("example.org/log", SEED[:31])
    with pytest.raises(NoteError, match="unsupported"):
        Verifier("example.org/log", SEED, 0x02)


# Checkpoints.


def test_checkpoint_with_extensions() -> None:
    root = hashlib.sha256(b"x").digest()
    checkpoint = Checkpoint("example.org/log", 0, root, ("ext one", "ext—two"))
    body = checkpoint.to_body()
    assert body == f"example.org/log\n0\n{base64.b64encode(root).decode()}\next one\next—two\n"
    assert Checkpoint.parse(body) == checkpoint


ROOT_B64 = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    "body",
    [
        f"origin\n1\n{ROOT_B64}",  # no final newline
        "origin\n1\n",
        f"\n1\n{ROOT_B64}\n",  # empty origin
        f"origin\n01\n{ROOT_B64}\n",
        f"origin\n+1\n{ROOT_B64}\n",
        f"origin\n-1\n{ROOT_B64}\n",
        f"origin\n 1\n{ROOT_B64}\n",
        f"origin\n1 \n{ROOT_B64}\n",
        f"origin\n1_000\n{ROOT_B64}\n",
        f"origin\n\u0661\n{ROOT_B64}\n",  # Arabic-Indic digit one
        f"origin\n{2**64}\n{ROOT_B64}\n",
        f"origin\n{'9' * 5000}\n{ROOT_B64}\n",
        f"origin\n\n{ROOT_B64}\n",
        "origin\n1\nnot base64!\n",
        f"origin\n1\n{base64.b64encode(bytes(31)).decode()}\n",
        f"origin\n1\n{ROOT_B64.rstrip('=')}\n",
        f"origin\n1\n{ROOT_B64}\n\n",  # empty extension line
        f"origin\n1\n{ROOT_B64}\next\n\nmore\n",
        f"ori\tgin\n1\n{ROOT_B64}\n",
    ],
)
def test_checkpoint_parse_is_strict(body: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(body)


def test_checkpoint_fields_are_validated() -> None:
    with pytest.raises(NoteError):
        Checkpoint("two\nlines", 1, bytes(32))
    with pytest.raises(NoteError):
        Checkpoint("origin", 2**64, bytes(32))
    with pytest.raises(NoteError):
        Checkpoint("origin", 1, bytes(32), ("",))
    assert Checkpoint.parse(Checkpoint("origin", 2**64 - 1, bytes(32)).to_body()).size == 2**64 - 1


# Properties.

line_text = st.text(st.characters(min_codepoint=0x20, codec="utf-8"), min_size=1, max_size=40)
key_names = st.text(
    st.characters(min_codepoint=0x21, codec="utf-8", exclude_characters="+"),
    min_size=1,
    max_size=30,
).filter(lambda name: not any(char.isspace() for char in name))


@settings(max_examples=200, deadline=None)
@given(
    line_text,
    st.integers(min_value=0, max_value=2**64 - 1),
    st.binary(min_size=32, max_size=32),
    st.lists(line_text, max_size=4),
)
def test_checkpoint_round_trip(origin: str, size: int, root_hash: bytes, extensions: list[str]) -> None:
    checkpoint = Checkpoint(origin, size, root_hash, tuple(extensions))
    assert Checkpoint.parse(checkpoint.to_body()) == checkpoint


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.text(st.characters(min_codepoint=0x20, codec="utf-8"), max_size=30), min_size=1, max_size=5),
    key_names,
)
def test_note_round_trip(lines: list[str], name: str) -> None:
    body = "".join(f"{line}\n" for line in lines)
    assume(not body.startswith("cosignature/v1\n"))
    signer = generate_signer(name)
    note = sign_note(body, [signer])
    assert open_note(note, [Verifier.from_text(signer.verifier_text())]) == (body, [name])
    assert Signer.from_text(signer.to_text()).verifier() == signer.verifier()


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=2**63 - 1), key_names)
def test_cosignature_round_trip(timestamp: int, name: str) -> None:
    witness = generate_signer(name)
    body = checkpoint_body()
    line = cosign(body, witness, timestamp)
    cosigner = Verifier.from_text(witness.cosigner_verifier_text())
    assert verify_cosignature(body, line, cosigner) == timestamp
    assert cosignature_timestamp(line) == timestamp
