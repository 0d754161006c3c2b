"""Uvicorn as every `truce` server runs it: asyncio's event loop and the h11 parser, named rather than left to
whatever the environment holds.

Left to itself ("auto"), Uvicorn picks httptools and uvloop whenever they are installed (`uvicorn[standard]`
brings both). httptools reads request headers without any limit: a client that keeps sending header lines grows
the process's memory until it stops (a 100 MB header was read whole, where h11 refuses it at 16 KB with 400 Bad
Request; tests/test_cli.py). uvloop changed nothing measurable for phones on PostgreSQL (BENCHMARKS.md, issue
24), and the suite runs asyncio's loop: the servers run what is tested.
"""

from __future__ import annotations

from typing import Any

HTTP = "h11"
LOOP = "asyncio"


def run(app: Any, **options: Any) -> None:
    """`uvicorn.run(app, **options)` with the h11 parser and asyncio's loop."""
    import uvicorn

    uvicorn.run(app, http=HTTP, loop=LOOP, **options)
