"""CPU that `truce serve` spends until its first /healthz answers: this tree against another, side by side.

What it measures: the server process's own CPU time (user + system, from /proc/PID/stat) at the moment its
first GET /healthz answers 200, on a data directory holding the loaded demo (SQLite), and the wall time to that
moment. Every test that starts a server pays this, as does every deployment's restart.

Baseline: `--before DIR`, the `src` directory of another checkout (for example a `git worktree` of an earlier
commit), run with the same interpreter through PYTHONPATH. Rounds alternate between the two trees; the medians
and their ratio (this tree over the baseline) are printed.

    .venv/bin/python benchmarks/serve_start_cpu.py --before ../before/src [--rounds 8]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

from webhook_delivery import cpu_seconds, free_port

HERE = Path(__file__).resolve().parent.parent / "src"


def environment(src: Path, data_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRUCE_")}
    return {**base, "PYTHONPATH": str(src), "TRUCE_SECRET_KEY": secrets.token_hex(32), "TRUCE_DATA_DIR": str(data_dir)}


def one_start(src: Path, data_dir: Path, client: httpx.Client) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one `truce serve` until its first 200 on /healthz."""
    port = free_port()
    command = [sys.executable, "-m", "truce", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    started = time.monotonic()
    process = subprocess.Popen(
        command, env=environment(src, data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                if client.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return cpu_seconds(process.pid), time.monotonic() - started
            except httpx.TransportError:
                if process.poll() is not None:
                    raise SystemExit(f"truce serve from {src} exited with {process.returncode}") from None
            time.sleep(0.01)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the src directory of the baseline checkout")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "now": HERE}
    root = Path(tempfile.mkdtemp(prefix="truce-start-"))
    try:
        data_dir = root / "data"
        env = environment(HERE, data_dir)
        subprocess.run([sys.executable, "-m", "truce", "demo", "--no-serve", "--data-dir", str(data_dir)],
                       env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        wall: dict[str, list[float]] = {name: [] for name in trees}
        with httpx.Client(trust_env=False) as client:
            for src in trees.values():
                one_start(src, data_dir, client)  # a first start of each, to warm the file cache: not counted
            for round_ in range(args.rounds):
                order = list(trees.items()) if round_ % 2 == 0 else list(reversed(trees.items()))
                for name, src in order:
                    seconds, elapsed = one_start(src, data_dir, client)
                    cpu[name].append(seconds)
                    wall[name].append(elapsed)
        print(f"{args.rounds} rounds, alternating; load average at the end {os.getloadavg()[0]:.2f}")
        for name in trees:
            spread = f"{min(cpu[name]):.2f}-{max(cpu[name]):.2f}"
            middle, elapsed = statistics.median(cpu[name]), statistics.median(wall[name])
            print(f"{name:>6}: CPU {middle:.2f} s (range {spread}), wall {elapsed:.2f} s")
        ratio = statistics.median(cpu["now"]) / statistics.median(cpu["before"])
        print(f"ratio of medians, CPU, now / before: {ratio:.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
