"""The `truce` command as a person runs it: clear one-line errors, no tracebacks, the right exit codes."""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest

from support import TIMEOUT, assert_clean_error, clean_env, free_port, loopback, truce, truce_process, wait_for_health
from truce.config import Settings, prepare_data_dir
from truce.errors import ConfigError


@pytest.fixture(scope="module")
def demo_dir(module_demo_dir: Path) -> Path:
    """This module's copy of the demo's data directory (`truce demo --no-serve` runs once per session)."""
    return module_demo_dir


def test_demo_prints_the_accounts_and_loads_once(demo_dir: Path) -> None:
    again = truce("demo", "--no-serve", "--data-dir", str(demo_dir))
    assert again.returncode == 0
    assert "already loaded; nothing changed" in again.stdout
    accounts = ["admin", "monitor-ru", "verifier-ru", "verifier-tr", "liaison-am", "liaison-az"]
    for account in [*accounts, "humanitarian-unhcr", "analyst-ru"]:
        assert account in again.stdout


def test_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    # In processes of their own (`python -m truce`), as the shell runs it: the exit status the system sees.
    result = truce_process("demo", "--no-serve", "--data-dir", str(blocker / "data"))
    assert_clean_error(result, "cannot write to data directory", "--data-dir")


def test_processes_starting_together_on_one_data_dir_all_start(tmp_path: Path) -> None:
    """A server and its worker started at once check the same directory: neither may be refused for the other's
    check (CI saw a worker refused with "No such file or directory" when both removed one shared probe file)."""
    settings = Settings(data_dir=tmp_path / "data", secret_key="x" * 32)
    refused: list[str] = []

    def start() -> None:
        for _ in range(300):
            try:
                prepare_data_dir(settings)
            except ConfigError as error:
                refused.append(str(error))

    starting = [threading.Thread(target=start) for _ in range(8)]
    for thread in starting:
        thread.start()
    for thread in starting:
        thread.join()
    assert refused == []
    assert list(settings.data_dir.iterdir()) == []  # no probe left behind


def test_corrupt_database(tmp_path: Path) -> None:
    (tmp_path / "truce.db").write_bytes(os.urandom(8192))
    result = truce_process("db", "upgrade", "--data-dir", str(tmp_path))
    assert_clean_error(result, "not a valid SQLite database", "backup")


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("nosuchdb://somewhere/db", "not a usable database URL"),
        ("not a url at all", "not a usable database URL"),
        ("postgresql+psycopg://truce:wrong@127.0.0.1:1/truce", "cannot open the database"),
    ],
)
def test_wrong_database_url(tmp_path: Path, url: str, phrase: str) -> None:
    result = truce("db", "upgrade", "--data-dir", str(tmp_path), env={"TRUCE_DATABASE_URL": url})
    assert_clean_error(result, phrase, "TRUCE_DATABASE_URL")


def test_placeholder_secret_is_refused(tmp_path: Path) -> None:
    result = truce("demo", "--no-serve", "--data-dir", str(tmp_path), env={"TRUCE_SECRET_KEY": "changeme"})
    assert_clean_error(result, "placeholder")
    # The refusal closed the database it had opened (the command runs in this process; Python 3.13+ names the leak).
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    assert not [str(w.message) for w in heard if "unclosed database" in str(w.message)]


def test_port_in_use(demo_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # `serve` runs in a process of its own: were the check broken, it would serve instead of failing.
        result = truce_process("serve", "--data-dir", str(demo_dir), "--port", str(port))
    assert_clean_error(result, f"127.0.0.1:{port}", "--port")


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = truce_process("serve", "--data-dir", str(tmp_path), "--port", str(free_port()))
    assert_clean_error(result, "truce db upgrade")


def test_user_add_reads_the_password_from_stdin(demo_dir: Path) -> None:
    added = truce(
        "user", "add", "monitor2-ru", "--mission", "nk-2020", "--role", "monitor", "--delegation", "ru",
        "--data-dir", str(demo_dir), stdin="a-long-password\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    twice = truce(
        "user", "add", "monitor2-ru", "--mission", "nk-2020", "--role", "monitor", "--delegation", "ru",
        "--data-dir", str(demo_dir), stdin="a-long-password\n",
    )  # fmt: skip
    assert_clean_error(twice, "exists already")


def test_user_digest_is_turned_on_with_the_password_and_off_again(demo_dir: Path) -> None:
    added = truce(
        "user", "add", "phone-user", "--mission", "nk-2020", "--role", "monitor", "--delegation", "ru", "--digest",
        "--data-dir", str(demo_dir), stdin="a-long-password\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    wrong = truce("user", "digest", "phone-user", "--data-dir", str(demo_dir), stdin="not-the-password\n")
    assert_clean_error(wrong, "not the account's password")
    assert_clean_error(truce("user", "digest", "nobody", "--off", "--data-dir", str(demo_dir)), "no user named")
    off = truce("user", "digest", "phone-user", "--off", "--data-dir", str(demo_dir))
    assert off.returncode == 0, off.stderr
    assert "HTTP Digest off for phone-user" in off.stdout
    on = truce("user", "digest", "phone-user", "--data-dir", str(demo_dir), stdin="a-long-password\n")
    assert on.returncode == 0, on.stderr
    # The secrets stay out of the log, and the log still accounts for every row.
    assert truce("log", "verify", "--data-dir", str(demo_dir)).returncode == 0


@pytest.mark.parametrize(
    ("args", "stdin", "phrase"),
    [
        (["--mission", "nk-2020", "--role", "general", "--delegation", "ru"], "a-long-password\n", "role"),
        (["--mission", "nk-2020", "--role", "monitor", "--delegation", "xx"], "a-long-password\n", "delegation"),
        (["--mission", "nowhere", "--role", "monitor", "--delegation", "ru"], "a-long-password\n", "no mission"),
        (["--mission", "nk-2020", "--role", "monitor", "--delegation", "ru"], "short\n", "at least 8"),
        (["--mission", "nk-2020", "--role", "monitor", "--delegation", "ru"], "", "no password"),
    ],
)
def test_user_add_bad_input(demo_dir: Path, args: list[str], stdin: str, phrase: str) -> None:
    result = truce("user", "add", "someone", *args, "--data-dir", str(demo_dir), stdin=stdin)
    assert_clean_error(result, phrase)


def test_serve_answers_healthz_and_refuses_endless_headers(demo_dir: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "truce", "serve", "--data-dir", str(demo_dir), "--port", str(port)]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=clean_env()) as server:
        try:
            answer = wait_for_health(server, port)
            assert answer.json() == {"status": "ok"}
            token = loopback.post(
                f"http://127.0.0.1:{port}/api/v1/auth/token", data={"username": "admin", "password": "truce-demo"}
            )
            assert token.status_code == 200
            assert _endless_headers(port).startswith(b"HTTP/1.1 400 ")
            assert loopback.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=TIMEOUT)


def _endless_headers(port: int) -> bytes:
    """What the server answers a request that sends header lines of 1 KB until refused (at most 16 MB)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            for number in range(16 * 1024):
                connection.sendall(b"X-Padding-%d: %s\r\n" % (number, b"a" * 1000))
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while sending: the answer waits in the socket
        return connection.recv(200)


def test_help_loads_no_database_layer_forms_or_web_framework() -> None:
    """`truce --help` answers at once: it loads no table registry, SQLAlchemy, FastAPI, pyxform or Pillow (issue 15)."""
    script = (
        "import sys\nimport truce.cli\n"
        "try:\n    truce.cli.app(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "heavy = ('truce.models', 'sqlalchemy', 'fastapi', 'pyxform', 'PIL')\n"
        "print('LOADED:' + ','.join(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=clean_env(), check=False)
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1] == "LOADED:"


def test_app_loads_no_charts_pdf_or_form_builder(tmp_path: Path) -> None:
    """Building the app loads no matplotlib, WeasyPrint or pyxform: each server process would carry them (issue 24).

    Phones and the API never draw a chart, print a PDF or build a form on most requests; those load on first use.
    """
    script = (
        "import sys\nfrom truce.app import create_app\ncreate_app()\n"
        "heavy = ('matplotlib', 'weasyprint', 'pyxform')\n"
        "print('LOADED:' + ','.join(m for m in heavy if m in sys.modules))"
    )
    env = clean_env({"TRUCE_DATA_DIR": str(tmp_path / "data")})
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().splitlines()[-1] == "LOADED:"


def test_an_app_does_not_outlive_its_last_reference(tmp_path: Path) -> None:
    """A built and used app is freed once dropped: the suite builds one per test, and FastAPI caches the endpoints it
    classifies at module level, so an endpoint closing over its app kept up to 4,096 apps alive (3 GB per worker)."""
    import gc
    import weakref

    from fastapi.testclient import TestClient

    from support import TEST_SECRET
    from truce.app import create_app
    from truce.config import Settings
    from truce.db import connect

    db = connect("sqlite://")
    app = create_app(Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET), db)
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
    gone = weakref.ref(app)
    del app, client
    gc.collect()
    db.dispose()
    assert gone() is None, [type(r).__qualname__ for r in gc.get_referrers(gone())]


def test_apps_share_one_set_of_routes_built_once(tmp_path: Path) -> None:
    """FastAPI builds an included route on its router's first request; apps of one process share that work."""
    from fastapi.testclient import TestClient

    from support import TEST_SECRET
    from truce.app import _routes, create_app
    from truce.config import Settings
    from truce.db import connect

    with connect("sqlite://") as db:
        first, second = (create_app(Settings(data_dir=tmp_path / name, secret_key=TEST_SECRET), db) for name in "ab")
        mine = {id(route) for route in second.router.routes}
        shared = [route for route in first.router.routes if id(route) in mine]
        own = [getattr(route, "path", None) for route in first.router.routes if id(route) not in mine]
        assert len(shared) == len(_routes()) > 30, "the OpenRosa, API, docs and page routers, static files, /healthz"
        assert own == ["/openapi.json"], "FastAPI's own route, which reads its app's schema"
        with TestClient(first) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
        with TestClient(second) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            # What one app adds is its own.
            second.add_api_route("/only-here", lambda: {"here": True})
            assert client.get("/only-here").json() == {"here": True}
        with TestClient(first) as client:
            assert client.get("/only-here").status_code == 404
