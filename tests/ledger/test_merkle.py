"""Tests for truce.ledger.merkle: published vectors, exhaustive small trees and property tests."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truce.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    Coord,
    MemoryTree,
    NodeReader,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    needed_nodes_for_consistency,
    needed_nodes_for_inclusion,
    new_nodes_on_append,
    node_hash,
    range_hash,
    root,
    verify_consistency,
    verify_inclusion,
)


def h(hex_text: str) -> bytes:
    """Decode a hex test vector."""
    return bytes.fromhex(hex_text)


# Vectors from github.com/transparency-dev/merkle at commit 417fb0c314750d94e53942e9f92e79b6d35915db.
# They are data only: no Go code is reproduced.

# testonly/constants.go LeafInputs().
LEAF_INPUTS = [
    h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]

# testonly/constants.go NodeHashes(): every complete subtree of the tree of LEAF_INPUTS, by (level, index).
N: dict[Coord, bytes] = {
    (0, 0): h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    (0, 1): h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
    (0, 2): h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
    (0, 3): h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
    (0, 4): h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    (0, 5): h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
    (0, 6): h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
    (0, 7): h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    (1, 0): h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    (1, 1): h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
    (1, 2): h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
    (1, 3): h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    (2, 0): h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    (2, 1): h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    (3, 0): h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
}

# testonly/constants.go EmptyRootHash() and RootHashes(): the root of the first n LEAF_INPUTS, for n = 0..8.
EMPTY = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
ROOTS = [
    EMPTY,
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# proof/verify_test.go (as of bcba819^) sha256SomeHash, the "random" hash the probes below use.
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
# testdata/inclusion/single-entry/*.json: the leaf hash of b"data" (a one-leaf tree's root too).
DATA_LEAF = h("0d3aed023148ffd2a259fbd0cdc7fb3cf975658760d3775b82af6f90aacc2dfc")

# testdata/inclusion/**/*.json, run by proof/verify_test.go TestVerifyInclusionProbes. Each row is
# (file under testdata/, leaf index, tree size, root, leaf hash, proof, whether it must verify).
# Negative rows are the generated corruptions: off-by-one and XOR-ed indices, doubled and halved
# sizes, wrong, empty and random roots and leaves, garbage or roots before and after the proof,
# single flipped bits, removed and inserted components.
INCLUSION_PROBES: list[tuple[str, int, int, bytes, bytes, tuple[bytes, ...], bool]] = [
    ("inclusion/0/empty-root", 0, 1, EMPTY, N[0, 0], (), False),
    ("inclusion/0/happy-path", 0, 1, ROOTS[1], N[0, 0], (), True),
    ("inclusion/0/leafIdx-XOR-@2", 2, 1, ROOTS[1], N[0, 0], (), False),
    ("inclusion/0/leafIdx-plus-@1", 1, 1, ROOTS[1], N[0, 0], (), False),
    ("inclusion/0/leafIdx-sub-@1", 18446744073709551615, 1, ROOTS[1], N[0, 0], (), False),
    ("inclusion/0/preceding-garbage", 0, 1, ROOTS[1], N[0, 0], (b"",), False),
    ("inclusion/0/preceding-root", 0, 1, ROOTS[1], N[0, 0], (N[0, 0],), False),
    ("inclusion/0/random-root", 0, 1, SOME_HASH, N[0, 0], (), False),
    ("inclusion/0/trailing-garbage", 0, 1, ROOTS[1], N[0, 0], (b"",), False),
    ("inclusion/0/trailing-root", 0, 1, ROOTS[1], N[0, 0], (N[0, 0],), False),
    ("inclusion/0/treeSize-div-@2", 0, 0, ROOTS[1], N[0, 0], (), False),
    ("inclusion/0/treeSize-mul-@2", 0, 2, ROOTS[1], N[0, 0], (), False),
    ("inclusion/0/wrong-leaf", 0, 1, ROOTS[1], b"WrongLeaf", (), False),
    ("inclusion/1/empty-root", 0, 8, EMPTY, N[0, 0], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("inclusion/1/happy-path", 0, 8, ROOTS[8], N[0, 0], (N[0, 1], N[1, 1], N[2, 1]), True),
    ("inclusion/1/inserted-component", 0, 8, ROOTS[8], N[0, 0], (N[0, 1], SOME_HASH, N[1, 1], N[2, 1]), False),
    ("inclusion/1/leafIdx-XOR-@2", 2, 8, ROOTS[8], N[0, 0], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("inclusion/1/leafIdx-plus-@1", 1, 8, ROOTS[8], N[0, 0], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("inclusion/1/leafIdx-sub-@1", 18446744073709551615, 8, ROOTS[8], N[0, 0], (N[0, 1], N[1, 1], N[2, 1]), False),
    (
        "inclusion/1/modified-proof[0]-bit-@3",
        0,
        8,
        ROOTS[8],
        N[0, 0],
        (h("9ea296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"), N[1, 1], N[2, 1]),
        False,
    ),
    (
        "inclusion/1/modified-proof[1]-bit-@3",
        0,
        8,
        ROOTS[8],
        N[0, 0],
        (N[0, 1], h("57083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"), N[2, 1]),
        False,
    ),
    (
        "inclusion/1/modified-proof[2]-bit-@3",
        0,
        8,
        ROOTS[8],
        N[0, 0],
        (N[0, 1], N[1, 1], h("6347aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
        False,
    ),
    ("inclusion/1/preceding-garbage", 0, 8, ROOTS[8], N[0, 0], (b"", N[0, 1], N[1, 1], N[2, 1]), False),
    ("inclusion/1/preceding-root", 0, 8, ROOTS[8], N[0, 0], (N[3, 0], N[0, 1], N[1, 1], N[2, 1]), False),
    ("inclusion/1/random-root", 0, 8, SOME_HASH, N[0, 0], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("inclusion/1/removed-component", 0, 8, ROOTS[8], N[0, 0], (N[0, 1], N[1, 1]), False),
    ("inclusion/1/trailing-garbage", 0, 8, ROOTS[8], N[0, 0], (N[0, 1], N[1, 1], N[2, 1], b""), False),
    ("inclusion/1/trailing-root", 0, 8, ROOTS[8], N[0, 0], (N[0, 1], N[1, 1], N[2, 1], N[3, 0]), False),
    ("inclusion/1/treeSize-div-@2", 0, 4, ROOTS[8], N[0, 0], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("inclusion/1/treeSize-mul-@2", 0, 16, ROOTS[8], N[0, 0], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("inclusion/1/wrong-leaf", 0, 8, ROOTS[8], b"WrongLeaf", (N[0, 1], N[1, 1], N[2, 1]), False),
    ("inclusion/2/empty-root", 5, 8, EMPTY, N[0, 5], (N[0, 4], N[1, 3], N[2, 0]), False),
    ("inclusion/2/happy-path", 5, 8, ROOTS[8], N[0, 5], (N[0, 4], N[1, 3], N[2, 0]), True),
    ("inclusion/2/inserted-component", 5, 8, ROOTS[8], N[0, 5], (N[0, 4], SOME_HASH, N[1, 3], N[2, 0]), False),
    ("inclusion/2/leafIdx-XOR-@2", 7, 8, ROOTS[8], N[0, 5], (N[0, 4], N[1, 3], N[2, 0]), False),
    ("inclusion/2/leafIdx-plus-@1", 6, 8, ROOTS[8], N[0, 5], (N[0, 4], N[1, 3], N[2, 0]), False),
    ("inclusion/2/leafIdx-sub-@1", 4, 8, ROOTS[8], N[0, 5], (N[0, 4], N[1, 3], N[2, 0]), False),
    (
        "inclusion/2/modified-proof[0]-bit-@3",
        5,
        8,
        ROOTS[8],
        N[0, 5],
        (h("b41a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"), N[1, 3], N[2, 0]),
        False,
    ),
    (
        "inclusion/2/modified-proof[1]-bit-@3",
        5,
        8,
        ROOTS[8],
        N[0, 5],
        (N[0, 4], h("c2854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"), N[2, 0]),
        False,
    ),
    (
        "inclusion/2/modified-proof[2]-bit-@3",
        5,
        8,
        ROOTS[8],
        N[0, 5],
        (N[0, 4], N[1, 3], h("db7ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
        False,
    ),
    ("inclusion/2/preceding-garbage", 5, 8, ROOTS[8], N[0, 5], (b"", N[0, 4], N[1, 3], N[2, 0]), False),
    ("inclusion/2/preceding-root", 5, 8, ROOTS[8], N[0, 5], (N[3, 0], N[0, 4], N[1, 3], N[2, 0]), False),
    ("inclusion/2/random-root", 5, 8, SOME_HASH, N[0, 5], (N[0, 4], N[1, 3], N[2, 0]), False),
    ("inclusion/2/removed-component", 5, 8, ROOTS[8], N[0, 5], (N[0, 4], N[1, 3]), False),
    ("inclusion/2/trailing-garbage", 5, 8, ROOTS[8], N[0, 5], (N[0, 4], N[1, 3], N[2, 0], b""), False),
    ("inclusion/2/trailing-root", 5, 8, ROOTS[8], N[0, 5], (N[0, 4], N[1, 3], N[2, 0], N[3, 0]), False),
    ("inclusion/2/treeSize-div-@2", 5, 4, ROOTS[8], N[0, 5], (N[0, 4], N[1, 3], N[2, 0]), False),
    ("inclusion/2/treeSize-mul-@2", 5, 16, ROOTS[8], N[0, 5], (N[0, 4], N[1, 3], N[2, 0]), False),
    ("inclusion/2/wrong-leaf", 5, 8, ROOTS[8], b"WrongLeaf", (N[0, 4], N[1, 3], N[2, 0]), False),
    ("inclusion/3/empty-root", 2, 3, EMPTY, N[0, 2], (N[1, 0],), False),
    ("inclusion/3/happy-path", 2, 3, ROOTS[3], N[0, 2], (N[1, 0],), True),
    ("inclusion/3/leafIdx-XOR-@2", 0, 3, ROOTS[3], N[0, 2], (N[1, 0],), False),
    ("inclusion/3/leafIdx-plus-@1", 3, 3, ROOTS[3], N[0, 2], (N[1, 0],), False),
    ("inclusion/3/leafIdx-sub-@1", 1, 3, ROOTS[3], N[0, 2], (N[1, 0],), False),
    (
        "inclusion/3/modified-proof[0]-bit-@3",
        2,
        3,
        ROOTS[3],
        N[0, 2],
        (h("f2c54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),),
        False,
    ),
    ("inclusion/3/preceding-garbage", 2, 3, ROOTS[3], N[0, 2], (b"", N[1, 0]), False),
    ("inclusion/3/preceding-root", 2, 3, ROOTS[3], N[0, 2], (ROOTS[3], N[1, 0]), False),
    ("inclusion/3/random-root", 2, 3, SOME_HASH, N[0, 2], (N[1, 0],), False),
    ("inclusion/3/removed-component", 2, 3, ROOTS[3], N[0, 2], (), False),
    ("inclusion/3/trailing-garbage", 2, 3, ROOTS[3], N[0, 2], (N[1, 0], b""), False),
    ("inclusion/3/trailing-root", 2, 3, ROOTS[3], N[0, 2], (N[1, 0], ROOTS[3]), False),
    ("inclusion/3/treeSize-div-@2", 2, 1, ROOTS[3], N[0, 2], (N[1, 0],), False),
    ("inclusion/3/treeSize-mul-@2", 2, 6, ROOTS[3], N[0, 2], (N[1, 0],), False),
    ("inclusion/3/wrong-leaf", 2, 3, ROOTS[3], b"WrongLeaf", (N[1, 0],), False),
    ("inclusion/4/empty-root", 1, 5, EMPTY, N[0, 1], (N[0, 0], N[1, 1], N[0, 4]), False),
    ("inclusion/4/happy-path", 1, 5, ROOTS[5], N[0, 1], (N[0, 0], N[1, 1], N[0, 4]), True),
    ("inclusion/4/inserted-component", 1, 5, ROOTS[5], N[0, 1], (N[0, 0], SOME_HASH, N[1, 1], N[0, 4]), False),
    ("inclusion/4/leafIdx-XOR-@2", 3, 5, ROOTS[5], N[0, 1], (N[0, 0], N[1, 1], N[0, 4]), False),
    ("inclusion/4/leafIdx-plus-@1", 2, 5, ROOTS[5], N[0, 1], (N[0, 0], N[1, 1], N[0, 4]), False),
    ("inclusion/4/leafIdx-sub-@1", 0, 5, ROOTS[5], N[0, 1], (N[0, 0], N[1, 1], N[0, 4]), False),
    (
        "inclusion/4/modified-proof[0]-bit-@3",
        1,
        5,
        ROOTS[5],
        N[0, 1],
        (h("66340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"), N[1, 1], N[0, 4]),
        False,
    ),
    (
        "inclusion/4/modified-proof[1]-bit-@3",
        1,
        5,
        ROOTS[5],
        N[0, 1],
        (N[0, 0], h("57083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"), N[0, 4]),
        False,
    ),
    (
        "inclusion/4/modified-proof[2]-bit-@3",
        1,
        5,
        ROOTS[5],
        N[0, 1],
        (N[0, 0], N[1, 1], h("b41a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
        False,
    ),
    ("inclusion/4/preceding-garbage", 1, 5, ROOTS[5], N[0, 1], (b"", N[0, 0], N[1, 1], N[0, 4]), False),
    ("inclusion/4/preceding-root", 1, 5, ROOTS[5], N[0, 1], (ROOTS[5], N[0, 0], N[1, 1], N[0, 4]), False),
    ("inclusion/4/random-root", 1, 5, SOME_HASH, N[0, 1], (N[0, 0], N[1, 1], N[0, 4]), False),
    ("inclusion/4/removed-component", 1, 5, ROOTS[5], N[0, 1], (N[0, 0], N[1, 1]), False),
    ("inclusion/4/trailing-garbage", 1, 5, ROOTS[5], N[0, 1], (N[0, 0], N[1, 1], N[0, 4], b""), False),
    ("inclusion/4/trailing-root", 1, 5, ROOTS[5], N[0, 1], (N[0, 0], N[1, 1], N[0, 4], ROOTS[5]), False),
    ("inclusion/4/treeSize-div-@2", 1, 2, ROOTS[5], N[0, 1], (N[0, 0], N[1, 1], N[0, 4]), False),
    ("inclusion/4/treeSize-mul-@2", 1, 10, ROOTS[5], N[0, 1], (N[0, 0], N[1, 1], N[0, 4]), False),
    ("inclusion/4/wrong-leaf", 1, 5, ROOTS[5], b"WrongLeaf", (N[0, 0], N[1, 1], N[0, 4]), False),
    ("inclusion/additional/0/empty-root-and-random-leaf", 0, 0, EMPTY, SOME_HASH, (), False),
    ("inclusion/additional/0/empty-root", 0, 0, EMPTY, b"", (), False),
    ("inclusion/additional/0/random-leaf", 0, 0, b"", SOME_HASH, (), False),
    ("inclusion/additional/1/empty-root-and-random-leaf", 0, 1, EMPTY, SOME_HASH, (), False),
    ("inclusion/additional/1/empty-root", 0, 1, EMPTY, b"", (), False),
    ("inclusion/additional/1/random-leaf", 0, 1, b"", SOME_HASH, (), False),
    ("inclusion/additional/2/empty-root-and-random-leaf", 1, 0, EMPTY, SOME_HASH, (), False),
    ("inclusion/additional/2/empty-root", 1, 0, EMPTY, b"", (), False),
    ("inclusion/additional/2/random-leaf", 1, 0, b"", SOME_HASH, (), False),
    ("inclusion/additional/3/empty-root-and-random-leaf", 2, 1, EMPTY, SOME_HASH, (), False),
    ("inclusion/additional/3/empty-root", 2, 1, EMPTY, b"", (), False),
    ("inclusion/additional/3/random-leaf", 2, 1, b"", SOME_HASH, (), False),
    ("inclusion/single-entry/empty-leaf", 0, 1, DATA_LEAF, b"", (), False),
    ("inclusion/single-entry/empty-root-and-leaf", 0, 1, b"", b"", (), False),
    ("inclusion/single-entry/empty-root", 0, 1, b"", DATA_LEAF, (), False),
    ("inclusion/single-entry/matching-root-and-leaf", 0, 1, DATA_LEAF, DATA_LEAF, (), True),
]

# testdata/consistency/**/*.json, run by proof/verify_test.go TestVerifyConsistencyProbes. Each row is
# (file under testdata/, first size, second size, first root, second root, proof, whether it must verify).
CONSISTENCY_PROBES: list[tuple[str, int, int, bytes, bytes, tuple[bytes, ...], bool]] = [
    ("consistency/0/happy-path", 1, 1, ROOTS[1], ROOTS[1], (), True),
    ("consistency/1/empty-proof", 1, 8, ROOTS[1], ROOTS[8], (), False),
    ("consistency/1/happy-path", 1, 8, ROOTS[1], ROOTS[8], (N[0, 1], N[1, 1], N[2, 1]), True),
    (
        "consistency/1/modified-proof@0-bit-@4",
        1,
        8,
        ROOTS[1],
        ROOTS[8],
        (h("86a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"), N[1, 1], N[2, 1]),
        False,
    ),
    (
        "consistency/1/modified-proof@1-bit-@4",
        1,
        8,
        ROOTS[1],
        ROOTS[8],
        (N[0, 1], h("4f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"), N[2, 1]),
        False,
    ),
    (
        "consistency/1/modified-proof@2-bit-@4",
        1,
        8,
        ROOTS[1],
        ROOTS[8],
        (N[0, 1], N[1, 1], h("7b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
        False,
    ),
    ("consistency/1/preceding-garbage", 1, 8, ROOTS[1], ROOTS[8], (b"", N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/1/preceding-proof-@0", 1, 8, ROOTS[1], ROOTS[8], (N[0, 1], N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/1/preceding-root1", 1, 8, ROOTS[1], ROOTS[8], (N[0, 0], N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/1/preceding-root2", 1, 8, ROOTS[1], ROOTS[8], (N[3, 0], N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/1/size1-XOR-@2", 3, 8, ROOTS[1], ROOTS[8], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/1/size1-plus-@1", 2, 8, ROOTS[1], ROOTS[8], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/1/size1-sub-@1", 0, 8, ROOTS[1], ROOTS[8], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/1/size2-div-@2", 1, 4, ROOTS[1], ROOTS[8], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/1/size2-mul-@2", 1, 16, ROOTS[1], ROOTS[8], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/1/swapped-roots", 1, 8, ROOTS[8], ROOTS[1], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/1/trailing-garbage", 1, 8, ROOTS[1], ROOTS[8], (N[0, 1], N[1, 1], N[2, 1], b""), False),
    ("consistency/1/trailing-root1", 1, 8, ROOTS[1], ROOTS[8], (N[0, 1], N[1, 1], N[2, 1], N[0, 0]), False),
    ("consistency/1/trailing-root2", 1, 8, ROOTS[1], ROOTS[8], (N[0, 1], N[1, 1], N[2, 1], N[3, 0]), False),
    ("consistency/1/truncated-proof", 1, 8, ROOTS[1], ROOTS[8], (N[0, 1], N[1, 1]), False),
    ("consistency/1/wrong-root1", 1, 8, b"WrongRoot", ROOTS[8], (N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/1/wrong-root2", 1, 8, ROOTS[1], b"WrongRoot", (N[0, 1], N[1, 1], N[2, 1]), False),
    ("consistency/2/empty-proof", 6, 8, ROOTS[6], ROOTS[8], (), False),
    ("consistency/2/happy-path", 6, 8, ROOTS[6], ROOTS[8], (N[1, 2], N[1, 3], N[2, 0]), True),
    (
        "consistency/2/modified-proof@0-bit-@4",
        6,
        8,
        ROOTS[6],
        ROOTS[8],
        (h("1ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"), N[1, 3], N[2, 0]),
        False,
    ),
    (
        "consistency/2/modified-proof@1-bit-@4",
        6,
        8,
        ROOTS[6],
        ROOTS[8],
        (N[1, 2], h("da854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"), N[2, 0]),
        False,
    ),
    (
        "consistency/2/modified-proof@2-bit-@4",
        6,
        8,
        ROOTS[6],
        ROOTS[8],
        (N[1, 2], N[1, 3], h("c37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
        False,
    ),
    ("consistency/2/preceding-garbage", 6, 8, ROOTS[6], ROOTS[8], (b"", N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/2/preceding-proof-@0", 6, 8, ROOTS[6], ROOTS[8], (N[1, 2], N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/2/preceding-root1", 6, 8, ROOTS[6], ROOTS[8], (ROOTS[6], N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/2/preceding-root2", 6, 8, ROOTS[6], ROOTS[8], (N[3, 0], N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/2/size1-XOR-@2", 4, 8, ROOTS[6], ROOTS[8], (N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/2/size1-plus-@1", 7, 8, ROOTS[6], ROOTS[8], (N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/2/size1-sub-@1", 5, 8, ROOTS[6], ROOTS[8], (N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/2/size2-div-@2", 6, 4, ROOTS[6], ROOTS[8], (N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/2/size2-mul-@2", 6, 16, ROOTS[6], ROOTS[8], (N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/2/swapped-roots", 6, 8, ROOTS[8], ROOTS[6], (N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/2/trailing-garbage", 6, 8, ROOTS[6], ROOTS[8], (N[1, 2], N[1, 3], N[2, 0], b""), False),
    ("consistency/2/trailing-root1", 6, 8, ROOTS[6], ROOTS[8], (N[1, 2], N[1, 3], N[2, 0], ROOTS[6]), False),
    ("consistency/2/trailing-root2", 6, 8, ROOTS[6], ROOTS[8], (N[1, 2], N[1, 3], N[2, 0], N[3, 0]), False),
    ("consistency/2/truncated-proof", 6, 8, ROOTS[6], ROOTS[8], (N[1, 2], N[1, 3]), False),
    ("consistency/2/wrong-root1", 6, 8, b"WrongRoot", ROOTS[8], (N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/2/wrong-root2", 6, 8, ROOTS[6], b"WrongRoot", (N[1, 2], N[1, 3], N[2, 0]), False),
    ("consistency/3/empty-proof", 2, 5, ROOTS[2], ROOTS[5], (), False),
    ("consistency/3/happy-path", 2, 5, ROOTS[2], ROOTS[5], (N[1, 1], N[0, 4]), True),
    (
        "consistency/3/modified-proof@0-bit-@4",
        2,
        5,
        ROOTS[2],
        ROOTS[5],
        (h("4f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"), N[0, 4]),
        False,
    ),
    (
        "consistency/3/modified-proof@1-bit-@4",
        2,
        5,
        ROOTS[2],
        ROOTS[5],
        (N[1, 1], h("ac1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
        False,
    ),
    ("consistency/3/preceding-garbage", 2, 5, ROOTS[2], ROOTS[5], (b"", N[1, 1], N[0, 4]), False),
    ("consistency/3/preceding-proof-@0", 2, 5, ROOTS[2], ROOTS[5], (N[1, 1], N[1, 1], N[0, 4]), False),
    ("consistency/3/preceding-root1", 2, 5, ROOTS[2], ROOTS[5], (N[1, 0], N[1, 1], N[0, 4]), False),
    ("consistency/3/preceding-root2", 2, 5, ROOTS[2], ROOTS[5], (ROOTS[5], N[1, 1], N[0, 4]), False),
    ("consistency/3/size1-XOR-@2", 0, 5, ROOTS[2], ROOTS[5], (N[1, 1], N[0, 4]), False),
    ("consistency/3/size1-plus-@1", 3, 5, ROOTS[2], ROOTS[5], (N[1, 1], N[0, 4]), False),
    ("consistency/3/size1-sub-@1", 1, 5, ROOTS[2], ROOTS[5], (N[1, 1], N[0, 4]), False),
    ("consistency/3/size2-div-@2", 2, 2, ROOTS[2], ROOTS[5], (N[1, 1], N[0, 4]), False),
    ("consistency/3/size2-mul-@2", 2, 10, ROOTS[2], ROOTS[5], (N[1, 1], N[0, 4]), False),
    ("consistency/3/swapped-roots", 2, 5, ROOTS[5], ROOTS[2], (N[1, 1], N[0, 4]), False),
    ("consistency/3/trailing-garbage", 2, 5, ROOTS[2], ROOTS[5], (N[1, 1], N[0, 4], b""), False),
    ("consistency/3/trailing-root1", 2, 5, ROOTS[2], ROOTS[5], (N[1, 1], N[0, 4], N[1, 0]), False),
    ("consistency/3/trailing-root2", 2, 5, ROOTS[2], ROOTS[5], (N[1, 1], N[0, 4], ROOTS[5]), False),
    ("consistency/3/truncated-proof", 2, 5, ROOTS[2], ROOTS[5], (N[1, 1],), False),
    ("consistency/3/wrong-root1", 2, 5, b"WrongRoot", ROOTS[5], (N[1, 1], N[0, 4]), False),
    ("consistency/3/wrong-root2", 2, 5, ROOTS[2], b"WrongRoot", (N[1, 1], N[0, 4]), False),
    ("consistency/4/empty-proof", 6, 7, ROOTS[6], ROOTS[7], (), False),
    ("consistency/4/happy-path", 6, 7, ROOTS[6], ROOTS[7], (N[1, 2], N[0, 6], N[2, 0]), True),
    (
        "consistency/4/modified-proof@0-bit-@4",
        6,
        7,
        ROOTS[6],
        ROOTS[7],
        (h("1ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"), N[0, 6], N[2, 0]),
        False,
    ),
    (
        "consistency/4/modified-proof@1-bit-@4",
        6,
        7,
        ROOTS[6],
        ROOTS[7],
        (N[1, 2], h("a08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"), N[2, 0]),
        False,
    ),
    (
        "consistency/4/modified-proof@2-bit-@4",
        6,
        7,
        ROOTS[6],
        ROOTS[7],
        (N[1, 2], N[0, 6], h("c37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
        False,
    ),
    ("consistency/4/preceding-garbage", 6, 7, ROOTS[6], ROOTS[7], (b"", N[1, 2], N[0, 6], N[2, 0]), False),
    ("consistency/4/preceding-proof-@0", 6, 7, ROOTS[6], ROOTS[7], (N[1, 2], N[1, 2], N[0, 6], N[2, 0]), False),
    ("consistency/4/preceding-root1", 6, 7, ROOTS[6], ROOTS[7], (ROOTS[6], N[1, 2], N[0, 6], N[2, 0]), False),
    ("consistency/4/preceding-root2", 6, 7, ROOTS[6], ROOTS[7], (ROOTS[7], N[1, 2], N[0, 6], N[2, 0]), False),
    ("consistency/4/size1-XOR-@2", 4, 7, ROOTS[6], ROOTS[7], (N[1, 2], N[0, 6], N[2, 0]), False),
    ("consistency/4/size1-plus-@1", 7, 7, ROOTS[6], ROOTS[7], (N[1, 2], N[0, 6], N[2, 0]), False),
    ("consistency/4/size1-sub-@1", 5, 7, ROOTS[6], ROOTS[7], (N[1, 2], N[0, 6], N[2, 0]), False),
    ("consistency/4/size2-div-@2", 6, 3, ROOTS[6], ROOTS[7], (N[1, 2], N[0, 6], N[2, 0]), False),
    ("consistency/4/size2-mul-@2", 6, 14, ROOTS[6], ROOTS[7], (N[1, 2], N[0, 6], N[2, 0]), False),
    ("consistency/4/swapped-roots", 6, 7, ROOTS[7], ROOTS[6], (N[1, 2], N[0, 6], N[2, 0]), False),
    ("consistency/4/trailing-garbage", 6, 7, ROOTS[6], ROOTS[7], (N[1, 2], N[0, 6], N[2, 0], b""), False),
    ("consistency/4/trailing-root1", 6, 7, ROOTS[6], ROOTS[7], (N[1, 2], N[0, 6], N[2, 0], ROOTS[6]), False),
    ("consistency/4/trailing-root2", 6, 7, ROOTS[6], ROOTS[7], (N[1, 2], N[0, 6], N[2, 0], ROOTS[7]), False),
    ("consistency/4/truncated-proof", 6, 7, ROOTS[6], ROOTS[7], (N[1, 2], N[0, 6]), False),
    ("consistency/4/wrong-root1", 6, 7, b"WrongRoot", ROOTS[7], (N[1, 2], N[0, 6], N[2, 0]), False),
    ("consistency/4/wrong-root2", 6, 7, ROOTS[6], b"WrongRoot", (N[1, 2], N[0, 6], N[2, 0]), False),
    (
        "consistency/additional/consistency-check-on-empty-tree-size1-is-zero-is-useless",
        0,
        1,
        EMPTY,
        EMPTY,
        (EMPTY,),
        False,
    ),
    ("consistency/additional/roots-do-not-match-and-sizes-are-zero", 0, 0, EMPTY, b"don't care 2", (), False),
    ("consistency/additional/roots-do-not-not-match-and-sizes-are-one", 1, 1, EMPTY, b"don't care 2", (), False),
    ("consistency/additional/size1-is-greater-than-size2-again", 2, 1, b"don't care 1", b"don't care 2", (), False),
    ("consistency/additional/size1-is-greater-than-size2", 1, 0, b"don't care 1", b"don't care 2", (), False),
    (
        "consistency/additional/size1-is-zero-and-does-not-equal-size2",
        0,
        1,
        b"don't care 1",
        b"don't care 2",
        (),
        False,
    ),
    ("consistency/additional/size1-is-zero-and-size2-is-not-zero", 0, 1, EMPTY, b"don't care 2", (), False),
    ("consistency/additional/sizes-are-equal-one-and-proof-is-empty", 1, 1, b"don't care 2", b"don't care 2", (), True),
    ("consistency/additional/sizes-are-equal-one-but-roots-are-not", 1, 1, b"don't care 1", b"don't care 2", (), False),
    (
        "consistency/additional/sizes-are-equal-zero-and-proof-is-empty",
        0,
        0,
        b"don't care 1",
        b"don't care 1",
        (),
        False,
    ),
    (
        "consistency/additional/sizes-are-equal-zero-but-roots-are-not",
        0,
        0,
        b"don't care 1",
        b"don't care 2",
        (),
        False,
    ),
    ("consistency/additional/sizes-do-not-watch-and-proof-is-empty", 1, 2, b"don't care 1", b"don't care 2", (), False),
    (
        "consistency/additional/sizes-match-but-proof-is-not-empty-and-sizes-are-one",
        1,
        1,
        EMPTY,
        EMPTY,
        (EMPTY,),
        False,
    ),
    (
        "consistency/additional/sizes-match-but-proof-is-not-empty-and-sizes-are-zero",
        0,
        0,
        EMPTY,
        EMPTY,
        (EMPTY,),
        False,
    ),
]

# Go accepts equal sizes with equal "roots" that are not 32 bytes long (b"don't care 2"); merkle refuses
# anything that is not a SHA-256 hash, so this one probe is deliberately expected to fail here.
CONSISTENCY_DEVIATIONS = {"consistency/additional/sizes-are-equal-one-and-proof-is-empty"}

# testonly/reference_test.go TestRefInclusionProof: (leaf index, tree size, proof) over LEAF_INPUTS.
REF_INCLUSION: list[tuple[int, int, list[bytes]]] = [
    (0, 1, []),
    (0, 2, [N[0, 1]]),
    (1, 2, [N[0, 0]]),
    (2, 3, [N[1, 0]]),
    (1, 5, [N[0, 0], N[1, 1], N[0, 4]]),
    (0, 8, [N[0, 1], N[1, 1], N[2, 1]]),
    (5, 8, [N[0, 4], N[1, 3], N[2, 0]]),
]

# testonly/reference_test.go TestRefConsistencyProof: (first size, second size, proof) over LEAF_INPUTS.
REF_CONSISTENCY: list[tuple[int, int, list[bytes]]] = [
    (1, 1, []),
    (1, 8, [N[0, 1], N[1, 1], N[2, 1]]),
    (2, 5, [N[1, 1], N[0, 4]]),
    (6, 8, [N[1, 2], N[1, 3], N[2, 0]]),
]

# proof/proof_test.go TestInclusion: (tree size, leaf index, stored nodes read), flattened in Go's order
# (a truncated right-border sibling is listed as its parts, smallest first).
INCLUSION_NODES: list[tuple[int, int, list[Coord]]] = [
    (1, 0, []),
    (2, 0, [(0, 1)]),
    (2, 1, [(0, 0)]),
    (3, 1, [(0, 0), (0, 2)]),
    (7, 0, [(0, 1), (1, 1), (0, 6), (1, 2)]),
    (7, 1, [(0, 0), (1, 1), (0, 6), (1, 2)]),
    (7, 2, [(0, 3), (1, 0), (0, 6), (1, 2)]),
    (7, 3, [(0, 2), (1, 0), (0, 6), (1, 2)]),
    (7, 4, [(0, 5), (0, 6), (2, 0)]),
    (7, 5, [(0, 4), (0, 6), (2, 0)]),
    (7, 6, [(1, 2), (2, 0)]),
    (4, 2, [(0, 3), (1, 0)]),
    (5, 3, [(0, 2), (1, 0), (0, 4)]),
    (6, 3, [(0, 2), (1, 0), (1, 2)]),
    (6, 4, [(0, 5), (2, 0)]),
    (15, 10, [(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)]),
    (31, 24, [(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)]),
    (95, 81, [(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)]),
]
# proof/proof_test.go TestInclusion error cases: (tree size, leaf index).
INCLUSION_NODE_ERRORS = [(0, 0), (0, 1), (1, 2), (0, 3), (7, 8)]

# proof/proof_test.go TestConsistency: (first size, second size, stored nodes read).
CONSISTENCY_NODES: list[tuple[int, int, list[Coord]]] = [
    (1, 2, [(0, 1)]),
    (1, 4, [(0, 1), (1, 1)]),
    (1, 6, [(0, 1), (1, 1), (1, 2)]),
    (2, 3, [(0, 2)]),
    (2, 8, [(1, 1), (2, 1)]),
    (3, 7, [(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)]),
    (4, 7, [(0, 6), (1, 2)]),
    (5, 7, [(0, 4), (0, 5), (0, 6), (2, 0)]),
    (6, 7, [(1, 2), (0, 6), (2, 0)]),
    (7, 8, [(0, 6), (0, 7), (1, 2), (2, 0)]),
    (1, 1, []),
    (2, 2, []),
    (3, 3, []),
    (4, 4, []),
    (5, 5, []),
    (7, 7, []),
    (8, 8, []),
    (2, 4, [(1, 1)]),
    (3, 5, [(0, 2), (0, 3), (1, 0), (0, 4)]),
    (3, 6, [(0, 2), (0, 3), (1, 0), (1, 2)]),
    (4, 6, [(1, 2)]),
    (1, 7, [(0, 1), (1, 1), (0, 6), (1, 2)]),
    (10, 15, [(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)]),
    (24, 31, [(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)]),
    (81, 95, [(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)]),
]
# proof/proof_test.go TestConsistency error cases. Go also refuses first == 0 ((0, 5) and (0, 0)); merkle
# returns the empty proof there instead, checked in test_consistency_from_the_empty_tree.
CONSISTENCY_NODE_ERRORS = [(5, 0), (9, 8)]

# compact/range_test.go TestGetRootHashGolden: leaf i is bytes([i & 0xff, i >> 8]). Each row is
# (tree size, base64 root, [(level, index, base64 hash)] of the right-border nodes hashed on the way).
GOLDEN_ROOTS: list[tuple[int, str, list[tuple[int, int, str]]]] = [
    (10, "VjWMPSYNtCuCNlF/RLnQy6HcwSk6CIipfxm+hettA+4=", [(4, 0, "VjWMPSYNtCuCNlF/RLnQy6HcwSk6CIipfxm+hettA+4=")]),
    (15, "j4SulYmocFuxdeyp12xXCIgK6PekBcxzAIj4zbQzNEI=", []),
    (16, "c+4Uc6BCMOZf/v3NZK1kqTUJe+bBoFtOhP+P3SayKRE=", []),
    (
        100,
        "dUh9hYH88p0CMoHkdr1wC2szbhcLAXOejWpINIooKUY=",
        [
            (6, 1, "/K5I3bQ6Wz/beVi9IFKizZ073WqI8kGqstdkbmMcTXI="),
            (7, 0, "dUh9hYH88p0CMoHkdr1wC2szbhcLAXOejWpINIooKUY="),
        ],
    ),
    (
        255,
        "SmdsuKUqiod3RX2jyF2M6JnbdE4QuTwwipfAowI4/i0=",
        [
            (2, 63, "EphrHrAU2E+H65CW1o2SwiJVA1dNragVhsMsOkyBdZ4="),
            (3, 31, "fwen9eGNKOdGYC7L1GSwMKBlyjIIZBlsKVkmPGtsZEY="),
            (4, 15, "Iq5blg5fdl93qbEUzBBEiGMoP7zyzbwf14JuB5YBidM="),
            (5, 7, "D6s+gn79wNsgmdvBv0fVIYCougsU+PUSdtLGrWGmyO4="),
            (6, 3, "swSuozoE2E7iTV9cnNGcnjbLEeDq+5ep2hRJuI0pTtI="),
            (7, 1, "xv1RcZ3JpQusUjlsGQzsV9kWuITo3aLNpEsKymbFhak="),
            (8, 0, "SmdsuKUqiod3RX2jyF2M6JnbdE4QuTwwipfAowI4/i0="),
        ],
    ),
    (256, "qFI0t/tZ1MdOYgyPpPzHFiZVw86koScXy9q3FU5casA=", []),
    (
        1000,
        "RXrgb8xHd55Y48FbfotJwCbV82Kx22LZfEbmBGAvwlQ=",
        [
            (6, 15, "CBbiN/le+CpZNxEmCVIgfQSl/ZTapYxUOsdKTkiVjtc="),
            (7, 7, "npfCeOdllUJZLLRbvEkxlwY7enS6pRlChKVTJjHcevI="),
            (8, 3, "5MVDHIWhLErkcLgceSnxZWOTG04QlhIkm3aUEOQLpWw="),
            (9, 1, "6EoN2SheMl5oA3qymXw1Ltcp1ku/INU+rBqEe2+jIjI="),
            (10, 0, "RXrgb8xHd55Y48FbfotJwCbV82Kx22LZfEbmBGAvwlQ="),
        ],
    ),
    (4095, "cWRFdQhPcjn9WyBXE/r1f04ejxIm5lvg40DEpRBVS0w=", []),
    (4096, "6uU/phfHg1n/GksYT6TO9aN8EauMCCJRl3dIK0HDs2M=", []),
    (10000, "VZcav65F9haHVRk3wre2axFoBXRNeUh/1d9d5FQfxIg=", []),
    (65535, "iPuVYJhP6SEE4gUFp8qbafd2rYv9YTCDYqAxCj8HdLM=", []),
]

# testonly/vectors_test.go TestSubtreeHashVectors, reproducing the "Subtree Test Vectors" appendix of
# draft-ietf-plants-merkle-tree-certs: SHA-256 over "[start, end) <hex hash>\n" for every valid subtree
# of the tree of bytes([i]) for i < 130, by end then start.
SUBTREE_HASHES_DIGEST = "b82806ad4265bb151c1119c0f4db437bb4d1a1f887b3a7fba1cd4ebf552e3e81"

TREE = MemoryTree(LEAF_INPUTS)


class Reference:
    """RFC 9162 section 2.1 MTH, PATH and PROOF, recursively as written, over fixed leaves."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = list(leaves)
        self._mth = cache(self._mth_uncached)

    @staticmethod
    def split(n: int) -> int:
        """The largest power of two strictly smaller than n (n > 1)."""
        return 1 << ((n - 1).bit_length() - 1)

    def mth(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi])."""
        return self._mth(lo, hi)

    def _mth_uncached(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 0:
            return hashlib.sha256(b"").digest()
        if n == 1:
            return hashlib.sha256(b"\x00" + self.leaves[lo]).digest()
        k = self.split(n)
        return hashlib.sha256(b"\x01" + self.mth(lo, lo + k) + self.mth(lo + k, hi)).digest()

    def path(self, m: int, lo: int, hi: int) -> list[bytes]:
        """PATH(m, D[lo:hi])."""
        n = hi - lo
        if n == 1:
            return []
        k = self.split(n)
        if m < k:
            return [*self.path(m, lo, lo + k), self.mth(lo + k, hi)]
        return [*self.path(m - k, lo + k, hi), self.mth(lo, lo + k)]

    def subproof(self, m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        """SUBPROOF(m, D[lo:hi], b)."""
        n = hi - lo
        if m == n:
            return [] if b else [self.mth(lo, hi)]
        k = self.split(n)
        if m <= k:
            return [*self.subproof(m, lo, lo + k, b), self.mth(lo + k, hi)]
        return [*self.subproof(m - k, lo + k, hi, False), self.mth(lo, lo + k)]

    def proof(self, m: int, n: int) -> list[bytes]:
        """PROOF(m, D[n])."""
        return self.subproof(m, 0, n, True)


MAX_SIZE = 130
SMALL_LEAVES = [f"leaf {i}".encode() for i in range(MAX_SIZE)]
SMALL_REF = Reference(SMALL_LEAVES)
SMALL_TREE = MemoryTree(SMALL_LEAVES)


def flip(value: bytes, bit: int) -> bytes:
    """Return value with one bit of its first byte inverted."""
    return bytes([value[0] ^ (1 << bit)]) + value[1:]


class CountingReader(NodeReader):
    """A reader that records how it is called, to check proofs read in one batch."""

    def __init__(self, inner: NodeReader) -> None:
        self.inner = inner
        self.batches: list[list[Coord]] = []
        self.singles = 0

    def node(self, level: int, index: int) -> bytes:
        self.singles += 1
        return self.inner.node(level, index)

    def nodes(self, coords: Sequence[Coord]) -> list[bytes]:
        self.batches.append(list(coords))
        return [self.inner.node(level, index) for level, index in coords]


class SyntheticReader(NodeReader):
    """A huge tree's reader that makes up each node's hash from its coordinates, for timing."""

    def node(self, level: int, index: int) -> bytes:
        return hashlib.sha256(f"{level}/{index}".encode()).digest()


# Published vectors.


@pytest.mark.parametrize(
    ("data", "expected"),
    [  # rfc6962/rfc6962_test.go TestRFC6962Hasher
        (b"", "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        (b"L123456", "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"),
    ],
)
def test_leaf_hash_vectors(data: bytes, expected: str) -> None:
    assert leaf_hash(data).hex() == expected


def test_node_hash_and_empty_root_vectors() -> None:
    # rfc6962/rfc6962_test.go TestRFC6962Hasher: HashChildren("N123", "N456") and the empty root.
    assert HASH_SIZE == len(EMPTY_ROOT) == 32
    assert node_hash(b"N123", b"N456").hex() == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    assert EMPTY_ROOT == EMPTY
    assert node_hash(leaf_hash(b"Hello"), leaf_hash(b"World")) != leaf_hash(leaf_hash(b"Hello") + leaf_hash(b"World"))


def test_published_nodes_and_roots() -> None:
    for (level, index), expected in N.items():
        assert TREE.node(level, index) == expected
    for size, expected in enumerate(ROOTS):
        assert root(size, TREE) == expected
    assert TREE.root() == ROOTS[8]
    assert TREE.size == len(LEAF_INPUTS)


def test_published_compact_trees() -> None:
    # testonly/constants.go CompactTrees(): the right border after each append, largest subtree first.
    expected: list[list[bytes]] = [
        [],
        [N[0, 0]],
        [N[1, 0]],
        [N[1, 0], N[0, 2]],
        [N[2, 0]],
        [N[2, 0], N[0, 4]],
        [N[2, 0], N[1, 2]],
        [N[2, 0], N[1, 2], N[0, 6]],
        [N[3, 0]],
    ]
    compact = CompactRange()
    for size, data in enumerate([*LEAF_INPUTS, None]):
        assert [value for _, _, value in compact.border()] == expected[size]
        assert compact.root() == ROOTS[size]
        if data is not None:
            compact.append(leaf_hash(data))


@pytest.mark.parametrize(
    ("name", "index", "size", "root_hash", "leaf", "proof", "ok"),
    INCLUSION_PROBES,
    ids=[p[0] for p in INCLUSION_PROBES],
)
def test_inclusion_probe(
    name: str, index: int, size: int, root_hash: bytes, leaf: bytes, proof: tuple[bytes, ...], ok: bool
) -> None:
    assert verify_inclusion(index, size, leaf, proof, root_hash) is ok


@pytest.mark.parametrize(
    ("name", "first", "second", "first_root", "second_root", "proof", "ok"),
    CONSISTENCY_PROBES,
    ids=[p[0] for p in CONSISTENCY_PROBES],
)
def test_consistency_probe(
    name: str, first: int, second: int, first_root: bytes, second_root: bytes, proof: tuple[bytes, ...], ok: bool
) -> None:
    expected = (not ok) if name in CONSISTENCY_DEVIATIONS else ok
    assert verify_consistency(first, second, first_root, second_root, proof) is expected


def test_probe_tables_are_complete() -> None:
    assert len(INCLUSION_PROBES) == 98
    assert len(CONSISTENCY_PROBES) == 98
    assert sum(ok for *_, ok in INCLUSION_PROBES) == 6
    assert sum(ok for *_, ok in CONSISTENCY_PROBES) == 6


def test_published_happy_paths_are_generated_exactly() -> None:
    checked = 0
    for _, index, size, root_hash, leaf, proof, ok in INCLUSION_PROBES:
        if ok and size <= 8 and root_hash == ROOTS[size] and leaf == N[0, index]:
            assert inclusion_proof(index, size, TREE) == list(proof)
            checked += 1
    for _, first, second, first_root, second_root, proof, ok in CONSISTENCY_PROBES:
        if ok and second <= 8 and (first_root, second_root) == (ROOTS[first], ROOTS[second]):
            assert consistency_proof(first, second, TREE) == list(proof)
            checked += 1
    assert checked == 10


@pytest.mark.parametrize(("index", "size", "expected"), REF_INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, expected: list[bytes]) -> None:
    assert inclusion_proof(index, size, TREE) == expected
    assert verify_inclusion(index, size, N[0, index], expected, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "expected"), REF_CONSISTENCY)
def test_reference_consistency_proofs(first: int, second: int, expected: list[bytes]) -> None:
    assert consistency_proof(first, second, TREE) == expected
    assert verify_consistency(first, second, ROOTS[first], ROOTS[second], expected)


@pytest.mark.parametrize(("size", "index", "expected"), INCLUSION_NODES)
def test_inclusion_node_coordinates(size: int, index: int, expected: list[Coord]) -> None:
    assert needed_nodes_for_inclusion(index, size) == expected


@pytest.mark.parametrize(("size", "index"), INCLUSION_NODE_ERRORS)
def test_inclusion_node_coordinates_refuse_bad_arguments(size: int, index: int) -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        needed_nodes_for_inclusion(index, size)


@pytest.mark.parametrize(("first", "second", "expected"), CONSISTENCY_NODES)
def test_consistency_node_coordinates(first: int, second: int, expected: list[Coord]) -> None:
    assert needed_nodes_for_consistency(first, second) == expected


@pytest.mark.parametrize(("first", "second"), CONSISTENCY_NODE_ERRORS)
def test_consistency_node_coordinates_refuse_bad_arguments(first: int, second: int) -> None:
    with pytest.raises(ValueError, match="no consistency proof"):
        needed_nodes_for_consistency(first, second)


def golden_tree(size: int) -> MemoryTree:
    """The tree of compact/range_test.go: leaf i is the two bytes i & 0xff, i >> 8."""
    return MemoryTree(bytes([i & 0xFF, (i >> 8) & 0xFF]) for i in range(size))


@pytest.mark.parametrize(("size", "root_b64", "border"), GOLDEN_ROOTS, ids=[str(row[0]) for row in GOLDEN_ROOTS])
def test_golden_roots(size: int, root_b64: str, border: list[tuple[int, int, str]]) -> None:
    tree = golden_tree(size)
    assert base64.b64encode(root(size, tree)).decode() == root_b64
    assert base64.b64encode(tree.root()).decode() == root_b64
    for level, index, hash_b64 in border:
        # Each listed node is the truncated right-border subtree starting at index << level.
        assert base64.b64encode(range_hash(index << level, size, tree)).decode() == hash_b64


def test_subtree_hash_vectors() -> None:
    tree = MemoryTree(bytes([i]) for i in range(MAX_SIZE))
    digest = hashlib.sha256()
    for end in range(MAX_SIZE + 1):
        for start in range(end + 1):
            length = end - start
            if start and length and start % (1 << (length - 1).bit_length()):
                continue
            digest.update(f"[{start}, {end}) {range_hash(start, end, tree).hex()}\n".encode())
    assert digest.hexdigest() == SUBTREE_HASHES_DIGEST


# Every tree up to MAX_SIZE leaves against the recursive RFC reference.


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_every_inclusion_proof(size: int) -> None:
    tree_root = SMALL_REF.mth(0, size)
    assert root(size, SMALL_TREE) == tree_root
    for index in range(size):
        proof = inclusion_proof(index, size, SMALL_TREE)
        assert proof == SMALL_REF.path(index, 0, size)
        leaf = leaf_hash(SMALL_LEAVES[index])
        assert verify_inclusion(index, size, leaf, proof, tree_root)
        for position, element in enumerate(proof):
            corrupted = [*proof[:position], flip(element, position % 8), *proof[position + 1 :]]
            assert not verify_inclusion(index, size, leaf, corrupted, tree_root)
        for wrong_index in (index - 1, index + 1):
            assert not verify_inclusion(wrong_index, size, leaf, proof, tree_root)
        assert not verify_inclusion(index, size * 2, leaf, proof, tree_root)
        assert not verify_inclusion(index, size, leaf, [*proof, tree_root], tree_root)
        if proof:
            assert not verify_inclusion(index, size, leaf, proof[:-1], tree_root)


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_every_consistency_proof(size: int) -> None:
    second_root = SMALL_REF.mth(0, size)
    for first in range(1, size + 1):
        first_root = SMALL_REF.mth(0, first)
        proof = consistency_proof(first, size, SMALL_TREE)
        assert proof == SMALL_REF.proof(first, size)
        assert verify_consistency(first, size, first_root, second_root, proof)
        for position, element in enumerate(proof):
            corrupted = [*proof[:position], flip(element, position % 8), *proof[position + 1 :]]
            assert not verify_consistency(first, size, first_root, second_root, corrupted)
        assert not verify_consistency(first, size, first_root, second_root, [*proof, second_root])
        assert not verify_consistency(first, size, first_root, flip(second_root, 0), proof)
        assert not verify_consistency(first, size, flip(first_root, 0), second_root, proof)
        if first < size:
            assert not verify_consistency(first, size, second_root, first_root, proof)
            assert not verify_consistency(first, size, first_root, second_root, proof[:-1])
            assert not verify_consistency(first + 1, size, first_root, second_root, proof)
            assert not verify_consistency(first - 1, size, first_root, second_root, proof)


# Edge cases and programmer errors.


def test_consistency_from_the_empty_tree() -> None:
    assert consistency_proof(0, 5, TREE) == []
    assert needed_nodes_for_consistency(0, 0) == []
    assert verify_consistency(0, 5, EMPTY, ROOTS[5], [])
    assert verify_consistency(0, 0, EMPTY, EMPTY, [])
    assert not verify_consistency(0, 0, EMPTY, ROOTS[1], [])
    assert not verify_consistency(0, 5, ROOTS[1], ROOTS[5], [])
    assert not verify_consistency(0, 5, EMPTY, ROOTS[5], [EMPTY])


@pytest.mark.parametrize(
    "args",
    [
        (-1, 5, N[0, 0], [], ROOTS[5]),
        (0, -1, N[0, 0], [], ROOTS[5]),
        (2**70, 2**71, N[0, 0], [N[0, 1]], ROOTS[2]),
        (0, 2**200, N[0, 0], [N[0, 1]] * 300, ROOTS[2]),
        (0, 2, N[0, 0], [N[0, 1]] * 100_000, ROOTS[2]),
        (0, 2, N[0, 0], [N[0, 1][:31]], ROOTS[2]),
        (0, 2, N[0, 0] + b"\x00", [N[0, 1]], ROOTS[2]),
        (0, 2, N[0, 0], [N[0, 1]], ROOTS[2][:-1]),
    ],
)
def test_verify_inclusion_refuses_malformed_input(args: tuple[int, int, bytes, list[bytes], bytes]) -> None:
    assert verify_inclusion(*args) is False


@pytest.mark.parametrize(
    "args",
    [
        (-1, 2, ROOTS[1], ROOTS[2], [N[0, 1]]),
        (2, 1, ROOTS[2], ROOTS[1], []),
        (1, 2**200, ROOTS[1], ROOTS[2], [N[0, 1]]),
        (1, 2, ROOTS[1], ROOTS[2], [N[0, 1]] * 100_000),
        (1, 2, ROOTS[1], ROOTS[2], [N[0, 1][:31]]),
        (1, 2, ROOTS[1][:31], ROOTS[2], [N[0, 1]]),
        (3, 3, ROOTS[3], ROOTS[3], [N[0, 1]]),
    ],
)
def test_verify_consistency_refuses_malformed_input(args: tuple[int, int, bytes, bytes, list[bytes]]) -> None:
    assert verify_consistency(*args) is False


def test_proof_functions_refuse_bad_arguments() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(8, 8, TREE)
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(-1, 8, TREE)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(-1, 8, TREE)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(5, 4, TREE)
    with pytest.raises(ValueError, match="not left-aligned"):
        range_hash(1, 5, TREE)
    with pytest.raises(ValueError, match="invalid leaf range"):
        range_hash(3, 2, TREE)
    with pytest.raises(ValueError, match="negative"):
        new_nodes_on_append(-1)


def test_range_hash_of_aligned_ranges() -> None:
    assert range_hash(4, 4, TREE) == EMPTY
    assert range_hash(4, 7, TREE) == node_hash(N[1, 2], N[0, 6])
    assert range_hash(6, 7, TREE) == N[0, 6]
    assert range_hash(0, 8, TREE) == ROOTS[8]


def test_proofs_read_every_node_in_one_batch() -> None:
    reader = CountingReader(SMALL_TREE)
    proof = inclusion_proof(81, 95, reader)
    assert reader.batches == [needed_nodes_for_inclusion(81, 95)]
    assert reader.singles == 0
    assert proof == SMALL_REF.path(81, 0, 95)
    reader.batches.clear()
    assert consistency_proof(81, 95, reader) == SMALL_REF.proof(81, 95)
    assert reader.batches == [needed_nodes_for_consistency(81, 95)]
    reader.batches.clear()
    assert root(95, reader) == SMALL_REF.mth(0, 95)
    assert len(reader.batches) == 1


def test_reader_returning_too_few_hashes_is_an_error() -> None:
    class ShortReader(NodeReader):
        def node(self, level: int, index: int) -> bytes:
            return N[0, 0]

        def nodes(self, coords: Sequence[Coord]) -> list[bytes]:
            return [N[0, 0]] * (len(coords) - 1)

    with pytest.raises(LookupError, match="reader returned"):
        inclusion_proof(0, 8, ShortReader())


def test_memory_tree_refuses_absent_nodes() -> None:
    for level, index in [(-1, 0), (0, -1), (0, 8), (1, 4), (4, 0)]:
        with pytest.raises(IndexError):
            TREE.node(level, index)


def test_compact_range_refuses_bad_leaf_hashes() -> None:
    compact = CompactRange()
    with pytest.raises(ValueError, match="32 bytes"):
        compact.append(b"short")
    compact.extend([N[0, 0]])
    with pytest.raises(ValueError, match="32 bytes"):
        compact.extend([N[0, 1], b"short", N[0, 2]])
    # The leaf taken before the bad one stays, and the range is still consistent.
    assert compact.size == 2
    assert compact.root() == ROOTS[2]


# Properties.


def reference_root(leaves: Sequence[bytes]) -> bytes:
    """MTH of leaves, by the reference."""
    return Reference(leaves).mth(0, len(leaves))


leaf_lists = st.lists(st.binary(max_size=8), max_size=300)


@settings(max_examples=60, deadline=None)
@given(leaf_lists)
def test_compact_range_memory_tree_and_reference_agree(leaves: list[bytes]) -> None:
    expected = reference_root(leaves)
    compact = CompactRange()
    compact.extend(leaf_hash(data) for data in leaves)
    assert compact.root() == expected
    assert compact.size == len(leaves)
    tree = MemoryTree(leaves)
    assert tree.root() == expected
    assert root(len(leaves), tree) == expected


@settings(max_examples=60, deadline=None)
@given(leaf_lists)
def test_new_nodes_on_append_matches_compact_range(leaves: list[bytes]) -> None:
    compact = CompactRange()
    tree = MemoryTree()
    for size_before, data in enumerate(leaves):
        new = compact.append(leaf_hash(data))
        assert [(level, index) for level, index, _ in new] == new_nodes_on_append(size_before)
        tree.append(data)
        for level, index, value in new:
            assert tree.node(level, index) == value
            assert value == reference_root(leaves[index << level : (index + 1) << level])


@settings(max_examples=60, deadline=None)
@given(leaf_lists, st.lists(st.binary(max_size=8), max_size=40))
def test_compact_range_resumes_from_stored_nodes(leaves: list[bytes], more: list[bytes]) -> None:
    tree = MemoryTree(leaves)
    resumed = CompactRange.load(len(leaves), tree)
    fresh = CompactRange()
    fresh.extend(leaf_hash(data) for data in leaves)
    assert resumed.border() == fresh.border()
    for data in more:
        assert resumed.append(leaf_hash(data)) == fresh.append(leaf_hash(data))
    assert resumed.root() == fresh.root() == reference_root([*leaves, *more])


BIG_LEAVES = [i.to_bytes(4, "big") for i in range(3000)]
BIG_REF = Reference(BIG_LEAVES)
BIG_TREE = MemoryTree(BIG_LEAVES)
big_sizes = st.integers(min_value=1, max_value=len(BIG_LEAVES))


@settings(max_examples=100, deadline=None)
@given(big_sizes, st.data())
def test_random_proofs_in_a_larger_tree(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    first = data.draw(st.integers(min_value=1, max_value=size))
    tree_root = BIG_REF.mth(0, size)
    proof = inclusion_proof(index, size, BIG_TREE)
    assert proof == BIG_REF.path(index, 0, size)
    assert verify_inclusion(index, size, leaf_hash(BIG_LEAVES[index]), proof, tree_root)
    consistency = consistency_proof(first, size, BIG_TREE)
    assert consistency == BIG_REF.proof(first, size)
    assert verify_consistency(first, size, BIG_REF.mth(0, first), tree_root, consistency)
