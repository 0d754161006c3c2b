"""The server's Ed25519 checkpoint key, kept in the data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from truce.errors import ConfigError
from truce.ledger import note

KEY_FILE = "log_signing_key"


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def load_or_create(data_dir: Path, origin: str | None = None) -> note.Signer:
    """The server's signer; created on first use with mode 0600, named after the log's origin."""
    path = key_path(data_dir)
    if path.exists():
        return load(data_dir)
    signer = note.generate_signer(origin or f"truce.local/{secrets.token_hex(4)}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(signer.to_text() + "\n")
    return signer


def load(data_dir: Path) -> note.Signer:
    """The server's signer from the data directory; it must exist."""
    path = key_path(data_dir)
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise ConfigError(f"no log signing key at {path}; it is created when Truce first runs") from None
    try:
        return note.Signer.from_text(text)
    except note.NoteError as exc:
        raise ConfigError(f"the log signing key at {path} is unreadable: {exc}") from None
