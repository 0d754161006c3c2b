"""One writer at a time per SQLite database in this process: threads wait where they are, the event loop never does.

SQLite lets one connection write at a time, and a writer that finds the file locked waits in SQLite's busy
handler, blocking whatever thread it runs on. The phones' submissions are written on the event loop
(`openrosa/writer.py`), the API's and the pages' writes in worker threads; a worker's request holds SQLite's lock
from its first flush until its commit, and it needs the loop in between (FastAPI hands the commit of the request's
session to a thread from the loop). A loop that waited in the busy handler for that lock was a deadlock until the
busy timeout ran out (issue S). So every writer of the process first takes this lock, before `BEGIN IMMEDIATE`:
threads block on it, the loop awaits it (a future resolved when the lock is handed over), and SQLite's own wait
is left for writers in other processes.

Waiters are served in the order they came, and a release hands the lock straight to the next one, so a batch of
phones waiting on the loop cannot be overtaken for ever by a stream of threads.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class _Waiter:
    """One thread or one event loop waiting for the lock; `granted` once the lock is handed to it."""

    __slots__ = ("event", "future", "granted", "loop")

    def __init__(self, event: threading.Event | None = None, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.event, self.loop = event, loop
        self.future: asyncio.Future[None] | None = loop.create_future() if loop is not None else None
        self.granted = False

    def wake(self) -> bool:
        """Tell the waiter it holds the lock; False when it can no longer hear it (its loop has closed)."""
        if self.event is not None:
            self.event.set()
            return True
        assert self.loop is not None
        assert self.future is not None
        try:
            self.loop.call_soon_threadsafe(_resolve, self.future)
        except RuntimeError:
            return False
        return True


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # a waiter that gave up meanwhile finds `granted` set and passes the lock on
        future.set_result(None)


class WriterLock:
    """A first-come first-served lock that threads can wait for and an event loop can await."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[_Waiter] = deque()
        self._local = threading.local()

    @property
    def held(self) -> bool:
        """Whether anyone holds the lock now."""
        return self._held

    def try_acquire(self) -> bool:
        """Take the lock if it is free, without waiting."""
        with self._mutex:
            if self._held:
                return False
            self._held = True
            return True

    def acquire(self, timeout: float) -> bool:
        """Take the lock, waiting in this thread for at most `timeout` seconds; False when it did not come."""
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            waiter = _Waiter(event=threading.Event())
            self._waiters.append(waiter)
        assert waiter.event is not None
        if waiter.event.wait(timeout):
            return True
        with self._mutex:
            if waiter.granted:  # handed over between the timeout and here
                return True
            self._waiters.remove(waiter)
            return False

    async def acquire_async(self, timeout: float) -> bool:
        """Take the lock from the event loop; the loop runs on while it waits. False after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            waiter = _Waiter(loop=loop)
            self._waiters.append(waiter)
        assert waiter.future is not None
        try:
            async with asyncio.timeout(timeout):
                await waiter.future
            return True
        except TimeoutError:
            with self._mutex:
                if waiter.granted:
                    return True
                self._waiters.remove(waiter)
                return False
        except BaseException:
            # Cancelled: a lock already handed over goes on to the next in line.
            with self._mutex:
                granted = waiter.granted
                if not granted:
                    self._waiters.remove(waiter)
            if granted:
                self.release()
            raise

    def release(self) -> None:
        """Give the lock to the next waiter, or free it."""
        with self._mutex:
            while self._waiters:
                waiter = self._waiters.popleft()
                waiter.granted = True
                if waiter.wake():
                    return
            self._held = False

    @contextmanager
    def lent(self) -> Iterator[None]:
        """While the block runs, transactions this thread begins write under the lock its holder took.

        The event loop takes the lock for a batch of phones before the batch's transaction begins (it must not
        wait in `acquire`), then writes synchronously inside this block.
        """
        self._local.lent = True
        try:
            yield
        finally:
            self._local.lent = False

    @property
    def lent_here(self) -> bool:
        """Whether this thread writes under a lock its holder lent it (see `lent`)."""
        return bool(getattr(self._local, "lent", False))


class Turn:
    """A writer's turn: the lock, taken on the event loop for one request before it takes a thread or a connection.

    A writer waiting in a worker thread holds that thread (and, once it asked for one, a pooled connection) while
    it waits; sixty API clients writing at once took every thread, and the request holding the lock could not get
    one to commit. So an API or page request awaits its turn on the loop (`deps.writer_turn`) and its session's
    first write transaction begins under it (`hand_over`): the lock is released when that transaction ends. A turn
    never handed over (the request failed, or wrote nothing) is given back when the request is done (`give_back`).
    """

    __slots__ = ("_mutex", "_owed", "lock")

    def __init__(self, lock: WriterLock) -> None:
        self.lock = lock
        self._mutex = threading.Lock()
        self._owed = True

    def hand_over(self) -> bool:
        """Whether the caller now owns the lock this turn held; True once, to the first who asks."""
        with self._mutex:
            owed, self._owed = self._owed, False
        return owed

    def give_back(self) -> None:
        """Release the lock unless it was handed over; safe to call more than once."""
        if self.hand_over():
            self.lock.release()


_by_file: dict[str, WriterLock] = {}
_by_file_mutex = threading.Lock()


def for_file(path: str) -> WriterLock:
    """The process's writer lock of the SQLite file at `path`: every engine on that file shares it."""
    key = str(Path(path).resolve())
    with _by_file_mutex:
        lock = _by_file.get(key)
        if lock is None:
            lock = _by_file[key] = WriterLock()
        return lock
