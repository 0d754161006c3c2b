"""RFC 9162 (section 2.1) Merkle tree hashes, proofs and proof verification over stored subtree hashes.

Storage model: the caller keeps the hash of every complete, aligned subtree. The node at
``(level, index)`` covers leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the
leaf hashes. Hashes of incomplete subtrees on the right border of a tree are never stored, because
they change as the tree grows; they are recomputed from the few complete subtrees that make them up.
Proof functions first list every coordinate they need, read them in one ``NodeReader.nodes`` call
(one query for a database), then hash, so a proof costs O(log n) reads and hashes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeAlias

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "Coord",
    "MemoryTree",
    "NodeReader",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "needed_nodes_for_consistency",
    "needed_nodes_for_inclusion",
    "new_nodes_on_append",
    "node_hash",
    "range_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

Coord: TypeAlias = tuple[int, int]
"""A stored subtree as (level, index)."""

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Return SHA-256(0x00 || data), the hash of one leaf."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), the hash of an interior node."""
    return _sha256(_NODE_PREFIX + left + right).digest()


class NodeReader(Protocol):
    """Read access to the stored hashes of complete, aligned subtrees."""

    def node(self, level: int, index: int) -> bytes:
        """Return the hash of the complete subtree at (level, index); raise LookupError if absent."""
        ...

    def nodes(self, coords: Sequence[Coord]) -> list[bytes]:
        """Return the hashes at coords, in the same order; raise LookupError if any is absent."""
        # Database readers override this with a single query; in-memory readers inherit the loop.
        return [self.node(level, index) for level, index in coords]


def _check_subtree(start: int, end: int) -> None:
    """Raise ValueError unless [start, end) is a range whose hash can be built from stored subtrees."""
    if start < 0 or end < start:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    length = end - start
    # MTH splits a range at start + (largest power of two below its length); those split points
    # coincide with aligned subtree boundaries only when start is a multiple of bit_ceil(length).
    if start and length and start % (1 << (length - 1).bit_length()):
        raise ValueError(f"[{start}, {end}) is not left-aligned, so its hash is not made of stored subtrees")


def _range_coords(start: int, end: int) -> list[Coord]:
    """Return the complete subtrees that make up the left-aligned range [start, end), rightmost first."""
    coords = []
    remaining = end - start
    while remaining:
        level = (remaining & -remaining).bit_length() - 1
        end -= 1 << level
        coords.append((level, end >> level))
        remaining &= remaining - 1
    return coords


def border_coords(size: int) -> list[Coord]:
    """The complete subtrees that make up a tree of `size` leaves, largest (leftmost) first."""
    return _range_coords(0, size)[::-1]


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Combine subtree hashes given rightmost first into the hash of the range they make up."""
    acc = hashes[0]
    for left in hashes[1:]:
        acc = node_hash(left, acc)
    return acc


def _read(reader: NodeReader, coords: Sequence[Coord]) -> list[bytes]:
    """Read the hashes at coords in one batch, checking the reader answered every one."""
    hashes = reader.nodes(coords)
    if len(hashes) != len(coords):
        raise LookupError(f"reader returned {len(hashes)} hashes for {len(coords)} nodes")
    return hashes


def range_hash(start: int, end: int, reader: NodeReader) -> bytes:
    """Return MTH of leaves [start, end); start must be 0 or a multiple of bit_ceil(end - start)."""
    _check_subtree(start, end)
    if start == end:
        return EMPTY_ROOT
    return _fold(_read(reader, _range_coords(start, end)))


def root(size: int, reader: NodeReader) -> bytes:
    """Return the root hash of the tree made of the first size leaves."""
    return range_hash(0, size, reader)


def _path_ranges(index: int, size: int, from_level: int) -> list[tuple[int, int]]:
    """Return the leaf ranges of the siblings on the path from (from_level, index's ancestor) to the root."""
    last = size - 1
    inner = (index ^ last).bit_length()
    ranges = []
    for level in range(from_level, inner):
        start = ((index >> level) ^ 1) << level
        # Only the sibling at level inner - 1 can reach past the tree's end; it is truncated there.
        ranges.append((start, min(start + (1 << level), size)))
    for level in range(inner, last.bit_length()):
        # Above the split with the last leaf the path runs along the right border, where only
        # left siblings exist; a right child's slot is empty, so the node is promoted instead.
        if (index >> level) & 1:
            start = ((index >> level) ^ 1) << level
            ranges.append((start, start + (1 << level)))
    return ranges


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form the inclusion proof, in proof order."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    return _path_ranges(index, size, 0)


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form the consistency proof, in proof order."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    level = (first & -first).bit_length() - 1
    # The largest complete subtree ending at first is the proof's first node, unless it is the
    # whole first tree, whose root the verifier already holds (RFC 9162 SUBPROOF with b = true).
    head = [] if first == 1 << level else [(first - (1 << level), first)]
    return head + _path_ranges(first - 1, second, level)


def _coords(ranges: Sequence[tuple[int, int]]) -> list[Coord]:
    """Return the stored subtrees needed to hash every range, range by range."""
    return [coord for start, end in ranges for coord in _range_coords(start, end)]


def needed_nodes_for_inclusion(index: int, size: int) -> list[Coord]:
    """Return the stored subtrees that inclusion_proof(index, size) reads."""
    return _coords(_inclusion_ranges(index, size))


def needed_nodes_for_consistency(first: int, second: int) -> list[Coord]:
    """Return the stored subtrees that consistency_proof(first, second) reads."""
    return _coords(_consistency_ranges(first, second))


def _prove(ranges: Sequence[tuple[int, int]], reader: NodeReader) -> list[bytes]:
    """Read all subtrees the ranges need in one batch and return one hash per range."""
    per_range = [_range_coords(start, end) for start, end in ranges]
    hashes = _read(reader, [coord for coords in per_range for coord in coords])
    proof = []
    offset = 0
    for coords in per_range:
        proof.append(_fold(hashes[offset : offset + len(coords)]))
        offset += len(coords)
    return proof


def inclusion_proof(index: int, size: int, reader: NodeReader) -> list[bytes]:
    """Return the RFC 9162 PATH(index, D[size]); raise ValueError unless 0 <= index < size."""
    return _prove(_inclusion_ranges(index, size), reader)


def consistency_proof(first: int, second: int, reader: NodeReader) -> list[bytes]:
    """Return the RFC 9162 PROOF(first, D[second]); empty when first is 0 or equals second."""
    return _prove(_consistency_ranges(first, second), reader)


def _all_hashes(values: Iterable[bytes]) -> bool:
    """Tell whether every value has the length of a SHA-256 hash."""
    return all(len(value) == HASH_SIZE for value in values)


def _skip_zeros(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift fn and sn until fn's lowest bit is set or fn is 0 (the RFC 9162 "LSB(fn) not set" step)."""
    while not fn & 1 and fn:
        fn >>= 1
        sn >>= 1
    return fn, sn


def _chain_inclusion(fn: int, sn: int, acc: bytes, proof: Sequence[bytes]) -> bytes | None:
    """Run the RFC 9162 2.1.3.2 loop; return the computed root, or None if the proof shape is wrong."""
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            acc = node_hash(p, acc)
            fn, sn = _skip_zeros(fn, sn)
        else:
            acc = node_hash(acc, p)
        fn >>= 1
        sn >>= 1
    return acc if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Tell whether proof shows leaf_hash at index in the tree of size with this root (RFC 9162 2.1.3.2).

    Never raises: any malformed input (index outside the tree, hashes that are not 32 bytes, a proof
    of the wrong length) gives False.
    """
    # The length bound only stops a huge proof from being scanned; the RFC loop rejects it anyway.
    if not 0 <= index < size or len(proof) > size.bit_length():
        return False
    if not _all_hashes((leaf_hash, root, *proof)):
        return False
    computed = _chain_inclusion(index, size - 1, leaf_hash, proof)
    return computed is not None and hmac.compare_digest(computed, root)


def _chain_consistency(
    first: int, second: int, first_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes] | None:
    """Run the RFC 9162 2.1.4.2 loop; return (first root, second root) computed, or None on a bad shape."""
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _skip_zeros(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return (fr, sr) if sn == 0 else None


def _verify_trivial_consistency(first: int, second: int, first_root: bytes, second_root: bytes) -> bool:
    """Decide the cases RFC 9162 leaves out, first == 0 or first == second, which need an empty proof."""
    if first == 0:
        # The empty tree is a prefix of every tree, so only the claimed empty root itself is checked.
        empty_ok = hmac.compare_digest(first_root, EMPTY_ROOT)
        return empty_ok and (second > 0 or hmac.compare_digest(second_root, EMPTY_ROOT))
    return hmac.compare_digest(first_root, second_root)


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """Tell whether proof shows the tree of size first is a prefix of the one of size second (RFC 9162 2.1.4.2).

    For 0 < first < second this is exactly the RFC algorithm. When first == second the proof must be
    empty and the roots equal; when first == 0 the proof must be empty and first_root the empty root.
    Never raises: malformed input (first > second, negative sizes, hashes that are not 32 bytes, a
    proof of the wrong length) gives False.
    """
    if not 0 <= first <= second or len(proof) > 2 * second.bit_length():
        return False
    if not _all_hashes((first_root, second_root, *proof)):
        return False
    if first in (0, second):
        return not proof and _verify_trivial_consistency(first, second, first_root, second_root)
    if not proof:
        return False
    computed = _chain_consistency(first, second, first_root, proof)
    if computed is None:
        return False
    # Both comparisons always run so the time taken does not say which root differed.
    first_ok = hmac.compare_digest(computed[0], first_root)
    second_ok = hmac.compare_digest(computed[1], second_root)
    return first_ok and second_ok


def new_nodes_on_append(size_before: int) -> list[Coord]:
    """Return the subtrees that become complete when leaf number size_before is appended, lowest first."""
    if size_before < 0:
        raise ValueError(f"negative tree size {size_before}")
    level, index = 0, size_before
    coords = [(0, index)]
    while index & 1:
        level += 1
        index >>= 1
        coords.append((level, index))
    return coords


class CompactRange:
    """The right border of a growing tree: one hash per set bit of its size, O(log n) memory."""

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        """Start an empty tree."""
        self._size = 0
        # Hashes of the complete subtrees that make up [0, size), largest (leftmost) first.
        self._stack: list[bytes] = []

    @classmethod
    def load(cls, size: int, reader: NodeReader) -> CompactRange:
        """Rebuild the border of a stored tree of this size from its complete subtrees."""
        _check_subtree(0, size)
        compact = cls()
        coords = _range_coords(0, size)
        compact._stack = _read(reader, coords)[::-1] if coords else []
        compact._size = size
        return compact

    @classmethod
    def from_border(cls, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """Resume a tree of this size from its border's subtree hashes, largest first (as `border` gives them)."""
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {max(size, 0).bit_count()} border hashes, not {len(hashes)}")
        if any(len(h) != HASH_SIZE for h in hashes):
            raise ValueError(f"border hashes must be {HASH_SIZE} bytes")
        compact = cls()
        compact._stack = list(hashes)
        compact._size = size
        return compact

    @property
    def size(self) -> int:
        """Return the number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf hash; return (level, index, hash) of every subtree it completes, lowest first."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf_hash)}")
        stack = self._stack
        index = self._size
        level = 0
        new = [(0, index, leaf_hash)]
        acc = leaf_hash
        while index & 1:
            acc = _sha256(_NODE_PREFIX + stack.pop() + acc).digest()
            index >>= 1
            level += 1
            new.append((level, index, acc))
        stack.append(acc)
        self._size += 1
        return new

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaf hashes without reporting the completed subtrees (the fast path)."""
        # Everything the loop touches is a local, because per-leaf Python overhead, not SHA-256,
        # dominates at 32 bytes a leaf; the length check is a single comparison per leaf.
        stack = self._stack
        pop = stack.pop
        push = stack.append
        sha256 = _sha256
        prefix = _NODE_PREFIX
        size = self._size
        try:
            for acc in leaf_hashes:
                if len(acc) != HASH_SIZE:
                    raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(acc)}")
                index = size
                while index & 1:
                    acc = sha256(prefix + pop() + acc).digest()
                    index >>= 1
                push(acc)
                size += 1
        finally:
            # Leaves taken before a failure stay appended, so size must match the stack.
            self._size = size

    def root(self) -> bytes:
        """Return the root hash of the leaves appended so far."""
        stack = self._stack
        if not stack:
            return EMPTY_ROOT
        return _fold(stack[::-1])

    def border_hashes(self) -> list[bytes]:
        """Return the hashes of the complete subtrees that make up the tree, largest first."""
        return list(self._stack)

    def border(self) -> list[tuple[int, int, bytes]]:
        """Return (level, index, hash) of the complete subtrees that make up the tree, largest first."""
        coords = _range_coords(0, self._size)[::-1]
        return [(level, index, h) for (level, index), h in zip(coords, self._stack, strict=True)]


class MemoryTree(NodeReader):
    """An in-memory store of every complete subtree hash, built from leaf data (tests and small logs)."""

    __slots__ = ("_levels", "_range")

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        """Build the tree from leaf data, in order."""
        self._levels: list[list[bytes]] = []
        self._range = CompactRange()
        self.extend(leaves)

    @property
    def size(self) -> int:
        """Return the number of leaves."""
        return self._range.size

    def append(self, data: bytes) -> int:
        """Append one leaf's data and return its index."""
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, hash_: bytes) -> int:
        """Append one precomputed leaf hash and return its index."""
        index = self._range.size
        levels = self._levels
        for level, _, value in self._range.append(hash_):
            if level == len(levels):
                levels.append([])
            # Subtrees complete left to right, so the new one always lands at the end of its level.
            levels[level].append(value)
        return index

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append many leaves' data, in order."""
        for data in leaves:
            self.append(data)

    def root(self) -> bytes:
        """Return the root hash of the whole tree."""
        return self._range.root()

    def node(self, level: int, index: int) -> bytes:
        """Return the hash of the complete subtree at (level, index); raise IndexError if absent."""
        # Negative indices would silently wrap around in a list, so they are refused explicitly.
        if level < 0 or index < 0 or level >= len(self._levels) or index >= len(self._levels[level]):
            raise IndexError(f"no complete subtree at level {level}, index {index}")
        return self._levels[level][index]
