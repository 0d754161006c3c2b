"""C2SP signed notes, tlog checkpoints and Ed25519 tlog cosignatures.

Follows c2sp.org/signed-note, c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature (Ed25519, v1).

Text is handled as ``str`` and converted to bytes only with ``str.encode("utf-8")``; everything
that is signed is the UTF-8 encoding of a note body. Errors in input from the outside world raise
``NoteError``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "MAX_TIMESTAMP",
    "Checkpoint",
    "NoteError",
    "Signer",
    "Verifier",
    "add_signatures",
    "cosign",
    "cosignature_message",
    "cosignature_timestamp",
    "decode_note",
    "generate_signer",
    "key_id",
    "open_note",
    "sign_note",
    "signers_of",
    "split_note",
    "verify_cosignature",
]

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100
MAX_TIMESTAMP = 2**63 - 1

_SIGNATURE_PREFIX = "— "
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_COSIGNATURE_HEADER = "cosignature/v1\n"
_ED25519_SIZE = 64
_KEY_SIZE = 32
_ROOT_SIZE = 32
_MAX_TREE_SIZE = 2**64 - 1
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_HEX_ID = re.compile(r"[0-9a-f]{8}")
_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


class NoteError(ValueError):
    """A note, key, checkpoint or cosignature is malformed or does not verify."""


def _b64encode(data: bytes) -> str:
    """Return the standard, padded base64 text of data."""
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    """Decode canonical standard base64, so that each byte string has exactly one accepted text."""
    # The regex and the re-encoding together refuse whitespace, missing padding and non-zero pad bits.
    if not _BASE64.fullmatch(text):
        raise NoteError(f"{what} is not valid base64")
    data = base64.b64decode(text, validate=True)
    if _b64encode(data) != text:
        raise NoteError(f"{what} is not canonical base64")
    return data


def _check_text(text: str, what: str) -> None:
    """Refuse text that is not encodable UTF-8 or holds ASCII control characters other than newline."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError(f"{what} is not valid UTF-8") from exc
    if _CONTROL.search(text):
        raise NoteError(f"{what} contains a control character")


def _check_body(body: str) -> None:
    """Refuse a note text that is empty, does not end in a newline or has forbidden characters."""
    if not body.endswith("\n"):
        raise NoteError("note text must end with a newline")
    _check_text(body, "note text")


def _check_name(name: str) -> None:
    """Refuse a key name that is empty or holds a plus, a Unicode space or a control character."""
    if not name or "+" in name or any(char.isspace() for char in name):
        raise NoteError(f"invalid key name {name!r}: must be non-empty, without spaces or '+'")
    _check_text(name, "key name")


def _check_timestamp(timestamp: int) -> None:
    """Refuse a cosignature time outside 0 .. 2**63 - 1."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"timestamp {timestamp} is outside 0 .. 2**63 - 1")


def decode_note(data: bytes) -> str:
    """Decode a note received as bytes, refusing invalid UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError("note is not valid UTF-8") from exc


def key_id(name: str, algorithm: int, public_key: bytes) -> bytes:
    """Return the 4-byte key ID: SHA-256(name || 0x0A || algorithm || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([algorithm]) + public_key).digest()[:4]


def _verify_ed25519(public_key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    """Tell whether signature is a valid Ed25519 signature of message."""
    if len(signature) != _ED25519_SIZE:
        return False
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def cosignature_message(checkpoint_body: str, timestamp: int) -> bytes:
    """Return the bytes an Ed25519 v1 cosignature signs: header line, time line, then the checkpoint body."""
    _check_timestamp(timestamp)
    return f"{_COSIGNATURE_HEADER}time {timestamp}\n{checkpoint_body}".encode()


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key for note signatures (0x01) or v1 cosignatures (0x04)."""

    name: str
    public_key: bytes
    algorithm: int = ALG_ED25519
    key_id: bytes = field(init=False, repr=False, compare=False)
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Validate the fields and derive the key ID."""
        _check_name(self.name)
        if self.algorithm not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise NoteError(f"unsupported signature type 0x{self.algorithm:02x}")
        if len(self.public_key) != _KEY_SIZE:
            raise NoteError(f"Ed25519 public key must be {_KEY_SIZE} bytes")
        # Frozen dataclasses can only set derived fields through object.__setattr__.
        object.__setattr__(self, "key_id", key_id(self.name, self.algorithm, self.public_key))
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.public_key))

    @classmethod
    def from_text(cls, text: str) -> Verifier:
        """Parse a vkey: <name>+<hex key ID>+<base64(signature type || public key)>."""
        # Names cannot contain '+', but base64 can, so only the first two pluses separate fields.
        parts = text.split("+", 2)
        if len(parts) != 3 or not _HEX_ID.fullmatch(parts[1]):
            raise NoteError("verifier key must be <name>+<8 lowercase hex digits>+<base64 key>")
        name, hex_id, encoded = parts
        raw = _b64decode(encoded, "verifier key")
        if len(raw) != 1 + _KEY_SIZE:
            raise NoteError("verifier key must hold a type byte and a 32-byte Ed25519 key")
        verifier = cls(name, raw[1:], raw[0])
        if verifier.key_id.hex() != hex_id:
            raise NoteError("verifier key ID does not match its name and key")
        return verifier

    def to_text(self) -> str:
        """Return the vkey text of this verifier."""
        encoded = _b64encode(bytes([self.algorithm]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verify(self, body: str, signature: bytes) -> bool:
        """Tell whether signature (the bytes after the key ID) is valid for this note body."""
        if self.algorithm == ALG_ED25519:
            return _verify_ed25519(self._key, body.encode("utf-8"), signature)
        return self.cosigned_at(body, signature) is not None

    def cosigned_at(self, body: str, signature: bytes) -> int | None:
        """Return the timestamp of a valid cosignature over body, or None."""
        if len(signature) != 8 + _ED25519_SIZE:
            return None
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return None
        valid = _verify_ed25519(self._key, cosignature_message(body, timestamp), signature[8:])
        return timestamp if valid else None


class Signer:
    """A named Ed25519 private key that signs notes and cosigns checkpoints."""

    __slots__ = ("_private", "key_id", "name", "public_key")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        """Bind a key name to an Ed25519 private key."""
        _check_name(name)
        self.name = name
        self._private = private_key
        self.public_key = private_key.public_key().public_bytes_raw()
        self.key_id = key_id(name, ALG_ED25519, self.public_key)

    def __repr__(self) -> str:
        """Show the name and key ID, never the private key."""
        return f"Signer(name={self.name!r}, key_id={self.key_id.hex()})"

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Signer:
        """Make a signer from a 32-byte Ed25519 seed."""
        if len(seed) != _KEY_SIZE:
            raise NoteError(f"Ed25519 seed must be {_KEY_SIZE} bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_text(cls, text: str) -> Signer:
        """Parse a signer key: PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || 32-byte seed)>."""
        if not text.startswith(_PRIVATE_PREFIX):
            raise NoteError("signer key must start with PRIVATE+KEY+")
        parts = text[len(_PRIVATE_PREFIX) :].split("+", 2)
        if len(parts) != 3 or not _HEX_ID.fullmatch(parts[1]):
            raise NoteError("signer key must be PRIVATE+KEY+<name>+<8 lowercase hex digits>+<base64 key>")
        name, hex_id, encoded = parts
        raw = _b64decode(encoded, "signer key")
        if len(raw) != 1 + _KEY_SIZE or raw[0] != ALG_ED25519:
            raise NoteError("signer key must hold type byte 0x01 and a 32-byte Ed25519 seed")
        signer = cls.from_seed(name, raw[1:])
        # The ID names the public key, so it can only be checked after deriving that key.
        if signer.key_id.hex() != hex_id:
            raise NoteError("signer key ID does not match its name and key")
        return signer

    def to_text(self) -> str:
        """Return the secret signer key text; keep it out of logs."""
        encoded = _b64encode(bytes([ALG_ED25519]) + self._private.private_bytes_raw())
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id.hex()}+{encoded}"

    def verifier(self) -> Verifier:
        """Return the verifier for this key's note signatures (type 0x01)."""
        return Verifier(self.name, self.public_key, ALG_ED25519)

    def cosigner_verifier(self) -> Verifier:
        """Return the verifier for this key's v1 cosignatures (type 0x04)."""
        return Verifier(self.name, self.public_key, ALG_COSIGNATURE_V1)

    def verifier_text(self) -> str:
        """Return the vkey text for this key's note signatures."""
        return self.verifier().to_text()

    def cosigner_verifier_text(self) -> str:
        """Return the vkey text for this key's v1 cosignatures."""
        return self.cosigner_verifier().to_text()

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of message."""
        return self._private.sign(message)


def generate_signer(name: str) -> Signer:
    """Make a signer with a fresh random Ed25519 key."""
    return Signer(name, Ed25519PrivateKey.generate())


class _SignatureLine(NamedTuple):
    """One parsed signature line: key name, 4-byte key ID and the signature bytes that follow it."""

    name: str
    key_id: bytes
    signature: bytes

    def text(self) -> str:
        """Return the line as it appears in a note, newline included."""
        return _format_line(self.name, self.key_id + self.signature)


def _format_line(name: str, payload: bytes) -> str:
    """Return the signature line "— <name> <base64 payload>\\n"."""
    return f"{_SIGNATURE_PREFIX}{name} {_b64encode(payload)}\n"


def _parse_line(line: str) -> _SignatureLine:
    """Parse one signature line given without its newline."""
    if not line.startswith(_SIGNATURE_PREFIX):
        raise NoteError("signature line must start with an em dash (U+2014) and a space")
    name, space, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    if not space:
        raise NoteError("signature line must be '— <name> <base64 signature>'")
    _check_name(name)
    raw = _b64decode(encoded, "signature")
    if len(raw) < 5:
        raise NoteError("signature must hold a 4-byte key ID and at least one byte")
    return _SignatureLine(name, raw[:4], raw[4:])


def _parse_single_line(line: str) -> _SignatureLine:
    """Parse one signature line given with exactly one trailing newline."""
    if not line.endswith("\n") or "\n" in line[:-1]:
        raise NoteError("a signature line must be one line ending in a newline")
    _check_text(line, "signature line")
    return _parse_line(line[:-1])


def _parse_note(text: str) -> tuple[str, list[_SignatureLine]]:
    """Split a signed note into its text and parsed signature lines, checking the format."""
    _check_text(text, "note")
    split = text.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("note must end with at least one signature line and a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return body, [_parse_line(line) for line in lines]


def split_note(text: str) -> tuple[str, list[str]]:
    """Return a signed note's text and its signature lines (newlines included), verifying nothing."""
    body, lines = _parse_note(text)
    return body, [line.text() for line in lines]


def signers_of(text: str) -> list[tuple[str, str]]:
    """The (key name, hex key ID) of every signature line of a note, verifying nothing: to name who signed."""
    _, lines = _parse_note(text)
    return [(line.name, line.key_id.hex()) for line in lines]


def sign_note(body: str, signers: Sequence[Signer]) -> str:
    """Return body signed by every signer, as a note with one signature line per key."""
    _check_body(body)
    if body.startswith(_COSIGNATURE_HEADER):
        # Such a signature would also be a valid cosignature should the key be reused as a cosigner.
        raise NoteError("note text must not start with the cosignature header")
    if not signers:
        raise NoteError("a note needs at least one signer")
    message = body.encode("utf-8")
    # Ed25519 is deterministic, so a repeated signer yields an identical line, dropped here.
    lines = dict.fromkeys(_format_line(s.name, s.key_id + s.sign(message)) for s in signers)
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a note carries at most {MAX_SIGNATURES} signatures")
    return body + "\n" + "".join(lines)


def _index_verifiers(verifiers: Sequence[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    """Map (name, key ID) to verifier, refusing two different keys that share both."""
    known: dict[tuple[str, bytes], Verifier] = {}
    for verifier in verifiers:
        slot = (verifier.name, verifier.key_id)
        if known.setdefault(slot, verifier) != verifier:
            raise NoteError(f"ambiguous verifiers for {verifier.name}+{verifier.key_id.hex()}")
    return known


def open_note(text: str, verifiers: Sequence[Verifier]) -> tuple[str, list[str]]:
    """Verify a signed note; return its text and the names of the known keys that signed it.

    Lines from unknown keys (name and key ID not both matching a verifier) are ignored. Raises
    NoteError if the note is malformed, if any line from a known key fails to verify, or if no
    known key signed it. Identical repeated lines count once.
    """
    body, lines = _parse_note(text)
    known = _index_verifiers(verifiers)
    names: dict[str, None] = {}
    for line in dict.fromkeys(lines):
        verifier = known.get((line.name, line.key_id))
        if verifier is None:
            continue
        if not verifier.verify(body, line.signature):
            raise NoteError(f"invalid signature from known key {line.name}+{line.key_id.hex()}")
        names[line.name] = None
    if not names:
        raise NoteError("note is not signed by any known key")
    return body, list(names)


def add_signatures(note_text: str, extra_signature_lines: Sequence[str]) -> str:
    """Append signature lines (each ending in a newline) to a signed note, verifying none of them.

    A new line replaces any existing line from the same key (name and key ID), so a fresh
    cosignature supersedes an older one; identical new lines are added once.
    """
    body, existing = _parse_note(note_text)
    extra = list(dict.fromkeys(_parse_single_line(line) for line in extra_signature_lines))
    replaced = {(line.name, line.key_id) for line in extra}
    kept = [line for line in existing if (line.name, line.key_id) not in replaced]
    lines = kept + extra
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a note carries at most {MAX_SIGNATURES} signatures")
    return body + "\n" + "".join(line.text() for line in lines)


def cosign(checkpoint_body: str, signer: Signer, timestamp: int) -> str:
    """Return the v1 cosignature line (ending in a newline) of signer over a checkpoint at timestamp."""
    Checkpoint.parse(checkpoint_body)
    signature = signer.sign(cosignature_message(checkpoint_body, timestamp))
    cosigner_id = key_id(signer.name, ALG_COSIGNATURE_V1, signer.public_key)
    return _format_line(signer.name, cosigner_id + timestamp.to_bytes(8, "big") + signature)


def cosignature_timestamp(signature_line: str) -> int:
    """Return the timestamp a v1 cosignature line claims, without verifying it."""
    line = _parse_single_line(signature_line)
    if len(line.signature) != 8 + _ED25519_SIZE:
        raise NoteError("not an Ed25519 v1 cosignature: wrong length")
    timestamp = int.from_bytes(line.signature[:8], "big")
    _check_timestamp(timestamp)
    return timestamp


def verify_cosignature(checkpoint_body: str, signature_line: str, verifier: Verifier) -> int:
    """Verify a v1 cosignature line over a checkpoint body with a 0x04 verifier; return its timestamp."""
    if verifier.algorithm != ALG_COSIGNATURE_V1:
        raise NoteError("cosignatures are checked with a cosigner (type 0x04) verifier")
    Checkpoint.parse(checkpoint_body)
    line = _parse_single_line(signature_line)
    if (line.name, line.key_id) != (verifier.name, verifier.key_id):
        raise NoteError("signature line is not from this cosigner")
    timestamp = verifier.cosigned_at(checkpoint_body, line.signature)
    if timestamp is None:
        raise NoteError(f"invalid cosignature from {verifier.name}+{verifier.key_id.hex()}")
    return timestamp


@dataclass(frozen=True)
class Checkpoint:
    """A tlog checkpoint body: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse field values that would not survive to_body and parse unchanged."""
        for line in (self.origin, *self.extensions):
            if not line or "\n" in line:
                raise NoteError("checkpoint origin and extension lines must be non-empty single lines")
            _check_text(line, "checkpoint line")
        if not 0 <= self.size <= _MAX_TREE_SIZE:
            raise NoteError(f"tree size {self.size} is outside 0 .. 2**64 - 1")
        if len(self.root_hash) != _ROOT_SIZE:
            raise NoteError(f"root hash must be {_ROOT_SIZE} bytes")

    def to_body(self) -> str:
        """Return the note text of this checkpoint."""
        lines = (self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions)
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Parse and strictly validate a checkpoint note text."""
        _check_body(body)
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("checkpoint needs origin, tree size and root hash lines")
        origin, size_text, root_text, *extensions = lines
        if not _TREE_SIZE.fullmatch(size_text):
            raise NoteError("tree size must be ASCII decimal without leading zeroes")
        return cls(origin, int(size_text), _b64decode(root_text, "root hash"), tuple(extensions))
