"""The process's SQLite writer lock: threads wait for it in place, an event loop awaits it and keeps running."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from truce.writelock import WriterLock, for_file

# Generous for a loaded machine: the handoffs here take microseconds, a frozen loop takes seconds.
PROMPT_S = 2.0


def test_a_free_lock_is_taken_at_once_and_a_held_one_is_not() -> None:
    lock = WriterLock()
    assert lock.try_acquire()
    assert lock.held
    assert not lock.try_acquire()
    assert not lock.acquire(timeout=0.01)
    lock.release()
    assert not lock.held
    assert lock.acquire(timeout=0.01)
    lock.release()


def test_the_loop_runs_on_while_it_waits_and_gets_the_lock_when_a_thread_lets_go() -> None:
    lock = WriterLock()
    assert lock.acquire(timeout=1)

    async def scenario() -> tuple[bool, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.005)

        ticker = asyncio.ensure_future(tick())
        threading.Timer(0.2, lock.release).start()
        acquired = await lock.acquire_async(timeout=PROMPT_S * 5)
        ticker.cancel()
        return acquired, ticks

    acquired, ticks = asyncio.run(scenario())
    assert acquired
    assert ticks > 5  # the loop kept turning while the thread held the lock
    assert lock.held
    lock.release()


def test_waiters_are_served_in_the_order_they_came() -> None:
    lock = WriterLock()
    assert lock.try_acquire()
    order: list[str] = []

    def thread_writer(name: str) -> None:
        assert lock.acquire(timeout=PROMPT_S * 5)
        order.append(name)
        lock.release()

    async def scenario() -> None:
        first = threading.Thread(target=thread_writer, args=("thread 1",))
        first.start()
        await _until(lambda: len(lock._waiters) == 1)
        loop_turn = asyncio.ensure_future(lock.acquire_async(timeout=PROMPT_S * 5))
        await _until(lambda: len(lock._waiters) == 2)
        second = threading.Thread(target=thread_writer, args=("thread 2",))
        second.start()
        await _until(lambda: len(lock._waiters) == 3)
        lock.release()
        assert await loop_turn
        order.append("loop")
        lock.release()
        await asyncio.to_thread(first.join)
        await asyncio.to_thread(second.join)

    asyncio.run(scenario())
    assert order == ["thread 1", "loop", "thread 2"]
    assert not lock.held


def test_a_waiter_that_gives_up_leaves_the_lock_to_the_others() -> None:
    lock = WriterLock()
    assert lock.try_acquire()

    async def scenario() -> None:
        assert not await lock.acquire_async(timeout=0.05)
        cancelled = asyncio.ensure_future(lock.acquire_async(timeout=PROMPT_S * 5))
        await _until(lambda: len(lock._waiters) == 1)
        # Handed over and cancelled in the same turn: the lock must not be lost with the cancelled waiter.
        lock.release()
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled

    asyncio.run(scenario())
    assert not lock._waiters
    assert not lock.held
    assert lock.try_acquire()


def test_lending_is_seen_only_by_the_thread_that_lends() -> None:
    lock = WriterLock()
    seen_elsewhere: list[bool] = []
    with lock.lent():
        assert lock.lent_here
        other = threading.Thread(target=lambda: seen_elsewhere.append(lock.lent_here))
        other.start()
        other.join()
    assert not lock.lent_here
    assert seen_elsewhere == [False]


def test_every_engine_on_one_file_shares_its_lock(tmp_path: Path) -> None:
    assert for_file(f"{tmp_path}/truce.db") is for_file(f"{tmp_path}/./truce.db")
    assert for_file(f"{tmp_path}/truce.db") is not for_file(f"{tmp_path}/other.db")


async def _until(condition: Callable[[], bool], limit: float = PROMPT_S) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the waiters to queue"
        await asyncio.sleep(0.001)
