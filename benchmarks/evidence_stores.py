"""The PostgreSQL evidence store against the data directory's, side by side in alternating rounds (issue 23, part 2).

What it measures, per store and round: 200 distinct 100 KB photos saved (as a phone's submissions are) and read
back whole, files/s; one 64 MB video saved and read back, MB/s; and the Python memory peak (tracemalloc) while the
64 MB file goes in and out. The baseline is the data directory's store (`files`), measured in the same run; rounds
alternate (files, postgres, files, postgres, ...) so that load from other work falls on both alike.

    .venv/bin/python benchmarks/evidence_stores.py --pg URL [--rounds 3]

--pg names a PostGIS database that is WIPED.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine

from many_workers import wipe
from truce import schema
from truce.evidence.database import DatabaseStore
from truce.evidence.store import MB
from truce.evidence.stores import EvidenceStore, FileStore

PHOTOS, PHOTO_BYTES, VIDEO_MB, PIECE = 200, 100_000, 64, 64 * 1024


def pieces(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), PIECE):
        yield data[start : start + PIECE]


def video(seed: int) -> Iterator[bytes]:
    """VIDEO_MB of bytes that differ per round (incompressible enough: a counter hashed)."""
    block = hashlib.sha256(seed.to_bytes(8, "big")).digest() * (PIECE // 32)
    for index in range(VIDEO_MB * MB // PIECE):
        yield index.to_bytes(8, "big") + block[8:]


def read_all(kept: EvidenceStore, sha256: str) -> None:
    digest = hashlib.sha256()
    for chunk in kept.read_chunks(sha256):
        digest.update(chunk)
    assert digest.hexdigest() == sha256


def one_round(kept: EvidenceStore, seed: int) -> dict[str, float]:
    photos = [os.urandom(PHOTO_BYTES) for _ in range(PHOTOS)]
    began = time.perf_counter()
    hashes = [kept.save_stream(pieces(photo), limit=MB).sha256 for photo in photos]
    photos_in = PHOTOS / (time.perf_counter() - began)
    began = time.perf_counter()
    for sha256 in hashes:
        read_all(kept, sha256)
    photos_out = PHOTOS / (time.perf_counter() - began)
    tracemalloc.start()
    began = time.perf_counter()
    saved = kept.save_stream(video(seed), limit=VIDEO_MB * MB)
    video_in = VIDEO_MB / (time.perf_counter() - began)
    began = time.perf_counter()
    read_all(kept, saved.sha256)
    video_out = VIDEO_MB / (time.perf_counter() - began)
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return {"photos_in": photos_in, "photos_out": photos_out, "video_in": video_in, "video_out": video_out,
            "peak_mb": peak}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("TRUCE_BENCH_DATABASE_URL", ""), help="PostGIS URL (WIPED)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.pg:
        raise SystemExit("--pg URL (or TRUCE_BENCH_DATABASE_URL) is needed: the store under test is PostgreSQL's")
    wipe(args.pg)
    engine = create_engine(args.pg)
    schema.upgrade(engine)
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}", flush=True)
    results: dict[str, list[dict[str, float]]] = {"files": [], "postgres": []}
    with tempfile.TemporaryDirectory(prefix="truce-stores-bench-") as directory:
        stores: dict[str, EvidenceStore] = {"files": FileStore(Path(directory)), "postgres": DatabaseStore(engine)}
        for number in range(args.rounds):
            for name, kept in stores.items():
                found = one_round(kept, number * 2 + (name == "postgres"))
                results[name].append(found)
                print(f"round {number + 1} {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in found.items()), flush=True)
    print("medians (postgres / files):")
    for key in ("photos_in", "photos_out", "video_in", "video_out", "peak_mb"):
        files = statistics.median(r[key] for r in results["files"])
        database = statistics.median(r[key] for r in results["postgres"])
        print(f"  {key}: files {files:.1f}, postgres {database:.1f} (x{database / files:.2f})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    engine.dispose()


if __name__ == "__main__":
    main()
