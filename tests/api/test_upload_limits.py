"""A huge upload is cut off at the limit as it streams in: memory and disk stay small, nothing is stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx2 as httpx
from fastapi import FastAPI

from mission_examples import Scene
from support import Login
from truce.config import Settings

GIGABYTE = 1024 * 1024 * 1024
CHUNK = 64 * 1024


def test_a_one_gigabyte_stream_is_refused_early(app: FastAPI, login: Login, settings: Settings, scene: Scene) -> None:
    settings.max_upload_mb = 2
    headers = {**login("monitor-ru"), "Content-Type": "multipart/form-data; boundary=xyz"}
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n'
        while sent < GIGABYTE:
            sent += CHUNK
            yield b"\0" * CHUNK

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://truce.test") as client:
            # No Content-Length: the body is chunked, so only counting it as it arrives can stop it.
            return await client.post(f"{scene.api}/incidents/1/evidence", content=body(), headers=headers)

    answer = asyncio.run(post())
    assert answer.status_code == 413
    assert "2 MB" in answer.json()["detail"]
    assert sent < 4 * 1024 * 1024, f"read {sent:,} bytes of a stream that should have stopped at 2 MB"
    evidence = settings.data_dir / "evidence"
    assert not evidence.exists() or not [p for p in evidence.rglob("*") if p.is_file()]
