"""Instructions per phone submission, counted by callgrind: a figure the machine's load does not move.

Seconds on this shared 2-core machine swing with the other sessions' work; the number of instructions a process
executes for the same inputs does not. This runs, for each commit (or `.`, this working tree) and each backend,
the app of that commit's own code in one process under `valgrind --tool=callgrind` and sends it the same
submissions through an in-process ASGI client (the full app: gate, middleware, routes, writer; no sockets):
W to warm up, then N counted. Each submission is an incident report with a distinct ~100 KB noise JPEG, made from
a fixed seed, so every run receives the same bytes. Only the N are counted: a small C helper compiled here with
valgrind's own header starts callgrind's instrumentation after the warm-up and stops it after the last answer
(`--instr-atstart=no`). `--together K` sends the N in groups of K at once, so the phones' group writer stores
batches of up to K, as under a fleet's load; the default, 1, sends them one at a time.

Printed per run: instructions (Ir) per submission, in millions, and the callgrind file, which
`callgrind_annotate --inclusive=yes FILE` breaks down by function. Ratios are printed against the first commit
and, with `--pg`, PostgreSQL against SQLite for each commit.

    .venv/bin/python benchmarks/phone_instructions.py [--commits 70251df .] [--n 20] [--warmup 5] [--together 1]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/truce_x] [--sqlite/--no-sqlite] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import ctypes
import gc
import io
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import journal_pair
from openrosa_submissions import INSTANCE, PHOTO_SIDE, SLUG

ROOT = Path(__file__).resolve().parent.parent
HELPER_C = r"""
#include <valgrind/callgrind.h>
void truce_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void truce_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""
TOTALS = re.compile(r"^totals:\s+(\d+)", re.MULTILINE)


@contextmanager
def checkout(commit: str) -> Iterator[Path]:
    """This tree for `.`, else the tree of `commit` in a temporary worktree (journal_pair's)."""
    if commit == ".":
        yield ROOT
        return
    with journal_pair.checkout(commit) as tree:
        yield tree


def helper(directory: Path) -> Path:
    """The shared library whose two functions start and stop callgrind's instrumentation."""
    source, library = directory / "toggle.c", directory / "libtoggle.so"
    source.write_text(HELPER_C)
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


def environment(tree: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TRUCE_DATABASE_URL", "TRUCE_DATA_DIR")}
    env["PYTHONPATH"] = f"{tree / 'src'}{os.pathsep}{tree / 'benchmarks'}"
    env["TRUCE_SECRET_KEY"] = "b" * 48
    if database_url:
        env["TRUCE_DATABASE_URL"] = database_url
    return env


def fresh_database(url: str, name: str) -> str:
    """A new, empty PostGIS database beside the one `url` names; its URL."""
    base, _ = url.rsplit("/", 1)
    host = re.search(r"@([^:/]+)(?::(\d+))?", url)
    assert host, url
    psql = ["psql", "-h", host.group(1), "-p", host.group(2) or "5432", "-U", "postgres", "-q"]
    subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
    subprocess.run([*psql, "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    subprocess.run([*psql, "-d", name, "-c", "CREATE EXTENSION postgis"], check=True, capture_output=True)
    return f"{base}/{name}"


def prepare(tree: Path, data_dir: Path, env: dict[str, str]) -> tuple[str, str]:
    """The demo mission and a registered phone, with `tree`'s own code; the phone's username and token."""
    truce = [sys.executable, "-m", "truce"]
    subprocess.run([*truce, "demo", "--no-serve", "--data-dir", str(data_dir)], env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    printed = subprocess.run(
        [*truce, "device", "add", "bench-phone", "--mission", SLUG, "--delegation", "ru", "--data-dir", str(data_dir)],
        env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    username, token = re.search(r"username: (\S+)", printed), re.search(r"token:\s+(\S+)", printed)
    if username is None or token is None:
        raise SystemExit(f"`truce device add` printed no username or token:\n{printed}")
    return username.group(1), token.group(1)


def measure(tree: Path, env: dict[str, str], data_dir: Path, library: Path, out: Path, args: argparse.Namespace) -> int:
    """Run the driver under callgrind; the instructions it counted (the N submissions only)."""
    username, token = prepare(tree, data_dir, env)
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
               sys.executable, __file__, "--drive", str(data_dir), "--auth", f"{username}:{token}",
               "--library", str(library), "--n", str(args.n), "--warmup", str(args.warmup),
               "--together", str(args.together)]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"driver failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    if args.cprofile:
        # Inputs of the same shape again (other instances, other photos): calls per function, a count no load moves.
        tail = ["--profile-out", str(out.with_suffix(".prof")), "--seed", "25"]
        profiled = [*command[command.index(sys.executable) :], *tail]
        again = subprocess.run(profiled, env=env, capture_output=True, text=True, check=False)
        if again.returncode != 0:
            raise SystemExit(f"profiled driver failed:\n{again.stderr[-4000:]}")
    found = TOTALS.search(out.read_text(errors="replace"))
    if found is None:
        raise SystemExit(f"no totals in {out}")
    return int(found.group(1))


def drive(args: argparse.Namespace) -> None:
    """In the process under callgrind: the app, W submissions to warm up, then N counted."""
    import httpx2 as httpx
    from PIL import Image

    from truce.app import create_app
    from truce.config import Settings

    toggle = ctypes.CDLL(args.library)
    seed = random.Random(args.seed)
    app = create_app(Settings(data_dir=Path(args.drive)))
    # As `truce serve` does before it serves: start-up objects out of the collector's way.
    gc.collect()
    gc.freeze()
    username, token = args.auth.split(":", 1)

    def photo() -> bytes:
        buffer = io.BytesIO()
        noise = seed.randbytes(PHOTO_SIDE**2 * 3)
        Image.frombytes("RGB", (PHOTO_SIDE, PHOTO_SIDE), noise).save(buffer, "JPEG", quality=90)
        return buffer.getvalue()

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        headers = {"X-OpenRosa-Version": "1.0"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", auth=(username, token), headers=headers
        ) as client:
            listing = (await client.get(f"/openrosa/{SLUG}/formList")).text
            form = f"truce-{SLUG}-incident"
            version = re.search(rf"<formID>{form}</formID><name>[^<]*</name><version>(\w+)</version>", listing)
            assert version, listing
            instances = []
            for index in range(args.warmup + args.n):
                name = f"photo-{index}.jpg"
                xml = INSTANCE.format(form=form, version=version.group(1), minute=index % 60,
                                      lat=39.75 + (index % 97) * 0.002, lon=46.6 + (index % 89) * 0.003, photo=name,
                                      uuid=f"{seed.getrandbits(128):032x}")  # fmt: skip
                instances.append((xml.encode(), name, photo()))

            async def send(item: tuple[bytes, str, bytes]) -> None:
                xml, name, jpeg = item
                files = [("xml_submission_file", ("s.xml", xml, "text/xml")), (name, (name, jpeg, "image/jpeg"))]
                answer = await client.post(f"/openrosa/{SLUG}/submission", files=files)
                assert answer.status_code == 201, answer.text

            for item in instances[: args.warmup]:
                await send(item)
            counted = instances[args.warmup :]
            began = time.process_time()
            profile = cProfile.Profile() if args.profile_out else None
            toggle.truce_start()
            if profile is not None:
                profile.enable()
            for start in range(0, len(counted), args.together):
                await asyncio.gather(*(send(item) for item in counted[start : start + args.together]))
            if profile is not None:
                profile.disable()
                profile.dump_stats(args.profile_out)
            toggle.truce_stop()
            print(f"process time {time.process_time() - began:.1f} s for {len(counted)} submissions")

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", nargs="+", default=["70251df", "."])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--together", type=int, default=1, help="submissions sent at once (a batch's size at most)")
    parser.add_argument("--pg", help="a PostgreSQL URL: also measure there (fresh databases beside it)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the callgrind files in this directory")
    parser.add_argument("--cprofile", action="store_true", help="also run each once without callgrind, under cProfile")
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=24, help=argparse.SUPPRESS)
    parser.add_argument("--auth", help=argparse.SUPPRESS)
    parser.add_argument("--library", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(args)
        return
    backends = ([] if args.no_sqlite else ["sqlite"]) + (["postgresql"] if args.pg else [])
    print(f"{args.n} submissions counted after {args.warmup}, {args.together} at a time; "
          f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    results: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory(prefix="truce-instr-") as scratch:
        keep = args.keep or Path(scratch)
        keep.mkdir(parents=True, exist_ok=True)
        library = helper(Path(scratch))
        for number, commit in enumerate(args.commits):
            with checkout(commit) as tree:
                for backend in backends:
                    url = (
                        fresh_database(args.pg, f"{args.pg.rsplit('/', 1)[1]}_instr_{number}")
                        if backend == "postgresql"
                        else None
                    )
                    label = "tree" if commit == "." else commit
                    out = keep / f"callgrind.{label}.{backend}.{args.together}.out"
                    data_dir = Path(scratch) / f"data-{number}-{backend}"
                    total = measure(tree, environment(tree, url), data_dir, library, out, args)
                    results[commit, backend] = total / args.n
                    print(f"  {label:10} {backend:10} {total / args.n / 1e6:8.2f} M instructions per submission "
                          f"({out.name}); load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    first = args.commits[0]
    for commit in args.commits[1:]:
        for backend in backends:
            ratio = results[commit, backend] / results[first, backend]
            print(f"  {commit} / {first} on {backend}: {ratio:.3f}")
    if len(backends) == 2:
        for commit in args.commits:
            print(f"  {commit}: PostgreSQL / SQLite {results[commit, 'postgresql'] / results[commit, 'sqlite']:.3f}")


if __name__ == "__main__":
    main()
