"""Hashing a batch of entries, in a second process while `verify` reads the next batch in the first.

Imports nothing but hashlib, so a worker costs nothing to start: leaf hashes, the index each entry claims, and
the complete subtrees above the batch (a batch of 2^k entries starting on a multiple of 2^k holds whole ones).
"""

from __future__ import annotations

import hashlib


def leaves_and_levels(first: int, datas: list[bytes]) -> tuple[bytes, bool, list[bytes]]:
    """The joined leaf hashes of entries `first`, `first + 1`, …; whether each names its own index; the levels."""
    joined, claims = leaves(first, datas)
    return joined, claims, levels_above(joined)


def leaves(first: int, datas: list[bytes]) -> tuple[bytes, bool]:
    """The joined leaf hashes of entries `first`, `first + 1`, …; whether each names its own index."""
    sha256 = hashlib.sha256
    joined = b"".join([sha256(b"\x00" + data).digest() for data in datas])
    # Only says yes when verify._claimed_index would: keys are sorted, so the last "index" key is the entry's own.
    claims = all(
        data.startswith(b'"index":%d,' % idx, data.rfind(b'"index":')) for idx, data in enumerate(datas, first)
    )
    return joined, claims


def levels_above(joined: bytes) -> list[bytes]:
    """Each level of interior hashes above joined 32-byte hashes, lowest first, an odd last hash left out."""
    sha256 = hashlib.sha256
    levels = []
    below = joined
    while len(below) >= 64:
        below = b"".join([sha256(b"\x01" + below[at : at + 64]).digest() for at in range(0, len(below) - 63, 64)])
        levels.append(below)
    return levels
