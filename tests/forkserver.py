"""`python -m truce ...` processes for the tests, forked from an interpreter that has imported Truce already.

A test that needs a real server, worker or replica starts one with `popen`, which takes the arguments
`subprocess.Popen` takes. Each such process used to spend about a second of CPU importing FastAPI, SQLAlchemy,
shapely and Truce before it did anything (issue 15, part 8: the suite starts a few hundred). Here one process per
pytest worker, the fork server, imports them once; each process a test asks for is a fork of it, given the test's
arguments, environment, working directory and standard streams, which then runs `truce/__main__.py` as
`python -m truce` does. It is a process of its own (its own pid, memory, sockets and signals: SIGTERM and
SIGKILL reach it as they reach any process) and it runs the same code; only the imports were made before the fork.

What a fresh interpreter adds is still tested by fresh interpreters: `support.truce_process`, `truce --help`'s
imports and `truce serve`'s start in tests/test_cli.py use `subprocess` directly. A command that is not
`python -m truce`, an environment that sets interpreter options (PYTHON*), or TRUCE_TEST_FORKSERVER=0 in the
tests' environment starts a fresh interpreter as before.

The server's children are not the test's children, so the server reports how each one ended over the connection
that asked for it, and hands over a pidfd with the pid, through which signals go (never to a recycled pid).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

# What every `truce` process imports before it reads its settings; a command imports the rest itself.
PRELOAD = ("truce.cli", "truce.app", "uvicorn.config", "uvicorn.server", "truce.events.worker")
ENABLED = os.environ.get("TRUCE_TEST_FORKSERVER", "1") != "0"
_MAX_MESSAGE = 1 << 20


def popen(command: Sequence[str], **kwargs: Any) -> Child:
    """`subprocess.Popen(command, **kwargs)`; a `python -m truce` command is forked from the warm interpreter."""
    args = _truce_args(command)
    env = kwargs.get("env")
    if args is None or not ENABLED or not set(kwargs) <= _SUPPORTED or _sets_interpreter_options(env):
        return subprocess.Popen(command, **kwargs)
    return _server().spawn(
        args,
        env=dict(os.environ if env is None else env),
        cwd=str(kwargs.get("cwd") or os.getcwd()),
        stdin=kwargs.get("stdin", subprocess.DEVNULL),
        stdout=kwargs.get("stdout"),
        stderr=kwargs.get("stderr"),
        text=bool(kwargs.get("text")),
    )


_SUPPORTED = {"env", "cwd", "stdin", "stdout", "stderr", "text"}


def _truce_args(command: Sequence[str]) -> list[str] | None:
    parts = list(command)
    if len(parts) >= 3 and parts[0] == sys.executable and parts[1:3] == ["-m", "truce"]:
        return parts[3:]
    return None


def _sets_interpreter_options(env: dict[str, str] | None) -> bool:
    """An environment whose PYTHON* settings differ from this process's: only a fresh interpreter reads them."""
    if env is None:
        return False
    ours = {k: v for k, v in os.environ.items() if k.startswith("PYTHON")}
    theirs = {k: v for k, v in env.items() if k.startswith("PYTHON")}
    return ours != theirs


class Process:
    """The part of `subprocess.Popen` the tests use, for a process the fork server started."""

    def __init__(self, connection: socket.socket, pid: int, pidfd: int, streams: dict[str, IO[Any] | None]) -> None:
        self._connection = connection
        self.pid = pid
        self._pidfd = pidfd
        self.returncode: int | None = None
        self.stdin = streams.get("stdin")
        self.stdout = streams.get("stdout")
        self.stderr = streams.get("stderr")
        self.args = ["python", "-m", "truce"]

    def poll(self) -> int | None:
        if self.returncode is None:
            self._read_end(timeout=0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and not self._read_end(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it ended between the poll and the signal
                signal.pidfd_send_signal(self._pidfd, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _read_end(self, timeout: float | None) -> bool:
        self._connection.settimeout(timeout)
        try:
            message = self._connection.recv(_MAX_MESSAGE)
        except (TimeoutError, BlockingIOError):
            return False
        finally:
            self._connection.settimeout(None)
        # An empty message: the fork server itself ended (killed with the pytest worker); the child is lost to it.
        self.returncode = int(json.loads(message)["returncode"]) if message else -signal.SIGKILL
        self._connection.close()
        os.close(self._pidfd)
        return True

    def __enter__(self) -> Process:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        for stream in (self.stdin, self.stdout, self.stderr):
            if stream is not None:
                stream.close()
        self.wait()


# What `popen` gives: a forked process, or, where a fresh interpreter is needed, a Popen.
Child = Process | subprocess.Popen[Any]


class _Server:
    """The client's end: the fork server process and the path of its socket."""

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="truce-forkserver-")
        self.path = os.path.join(self.directory, "socket")
        # Its stdin is a pipe from this process: when this process ends, however it ends, the server sees EOF.
        self.process = subprocess.Popen(
            [sys.executable, __file__, self.path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},  # no thread pool in a process that forks
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError("the tests' fork server did not start")
        atexit.register(self.close)

    def spawn(
        self, args: list[str], *, env: dict[str, str], cwd: str, stdin: Any, stdout: Any, stderr: Any, text: bool
    ) -> Process:
        ends: list[int] = []  # the child's ends of pipes and files opened here, closed once it has them
        streams: dict[str, IO[Any] | None] = {}
        given = {"stdin": stdin, "stdout": stdout, "stderr": stderr}
        fds = [self._stream(name, stream, text, ends, streams) for name, stream in given.items()]
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            connection.connect(self.path)
            spec = json.dumps({"args": args, "env": env, "cwd": cwd}).encode()
            socket.send_fds(connection, [spec], fds)
            reply, pidfds, _, _ = socket.recv_fds(connection, _MAX_MESSAGE, 1)
        except BaseException:
            connection.close()
            raise
        finally:
            for fd in ends:
                os.close(fd)
        if not reply or not pidfds:
            connection.close()
            raise RuntimeError("the tests' fork server did not start the process")
        return Process(connection, int(json.loads(reply)["pid"]), pidfds[0], streams)

    @staticmethod
    def _stream(name: str, given: Any, text: bool, ends: list[int], streams: dict[str, IO[Any] | None]) -> int:
        """The descriptor the child gets for one standard stream, as Popen would give it."""
        if given == subprocess.PIPE:
            read, write = os.pipe()
            ours, theirs = (write, read) if name == "stdin" else (read, write)
            ends.append(theirs)
            mode = ("w" if name == "stdin" else "r") + ("" if text else "b")
            streams[name] = open(ours, mode)  # noqa: SIM115 (the caller closes it, as it closes Popen's)
            return theirs
        if given is None:
            return {"stdin": 0, "stdout": 1, "stderr": 2}[name]
        if given == subprocess.DEVNULL:
            fd = os.open(os.devnull, os.O_RDWR)
            ends.append(fd)
            return fd
        if given == subprocess.STDOUT:
            raise ValueError("stderr=STDOUT is not supported by the fork server")
        return int(given if isinstance(given, int) else given.fileno())

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        with contextlib.suppress(OSError):
            os.remove(self.path)
            os.rmdir(self.directory)


_started: _Server | None = None
_starting = threading.Lock()


def _server() -> _Server:
    global _started
    with _starting:
        if _started is None or _started.process.poll() is not None:
            _started = _Server()
        return _started


# --- The fork server itself: `python forkserver.py SOCKET` -------------------------------------------------------


def serve(path: str) -> dict[str, Any] | None:
    """Fork a child for each request until stdin closes. Returns in a child only: the request it is to run."""
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)
    children: dict[int, socket.socket] = {}
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as listener, selectors.DefaultSelector() as events:
        listener.bind(path)
        listener.listen(64)
        events.register(listener, selectors.EVENT_READ)
        events.register(wake_read, selectors.EVENT_READ)
        events.register(sys.stdin.fileno(), selectors.EVENT_READ)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        while True:
            for key, _ in events.select():
                if key.fileobj is listener:
                    job = _fork(listener, children)
                    if job is not None:  # the child: leave the loop, the sockets and the selector behind
                        for connection in children.values():
                            connection.close()
                        os.close(wake_read)
                        os.close(wake_write)
                        return job
                elif key.fileobj == wake_read:
                    _drain(wake_read)
                    _reap(children)
                elif not os.read(sys.stdin.fileno(), 1024):
                    return None  # the pytest worker is gone; exiting closes every connection


def _fork(listener: socket.socket, children: dict[int, socket.socket]) -> dict[str, Any] | None:
    connection, _ = listener.accept()
    message, fds, _, _ = socket.recv_fds(connection, _MAX_MESSAGE, 3)
    spec = json.loads(message)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        connection.close()
        listener.close()
        spec["fds"] = fds
        return dict(spec)
    for fd in fds:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    try:
        socket.send_fds(connection, [json.dumps({"pid": pid}).encode()], [pidfd])
    finally:
        os.close(pidfd)
    children[pid] = connection
    return None


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        connection = children.pop(pid, None)
        if connection is not None:
            with contextlib.suppress(OSError):  # the test stopped listening
                connection.send(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode())
            connection.close()


def run(job: dict[str, Any]) -> None:
    """In the child: become `python -m truce ARGS` with the request's streams, directory and environment."""
    import runpy

    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in enumerate(job["fds"]):
        os.dup2(fd, target)
    for fd in set(job["fds"]) - {0, 1, 2}:
        os.close(fd)
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    sys.path.insert(0, job["cwd"])  # as `python -m` puts its working directory first
    sys.argv = ["-m", *job["args"]]
    runpy.run_module("truce", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    sys.path.remove(str(Path(__file__).parent))  # this file's directory (tests/) is not on a truce process's path
    request = serve(sys.argv[1])
    if request is not None:
        run(request)
