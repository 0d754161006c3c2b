"""The account's Digest secret lives with the account: users/ computes it and imports nothing of openrosa/."""

from __future__ import annotations

import hashlib
import subprocess
import sys

from truce.openrosa import digest
from truce.users import digest_secrets


def test_importing_the_users_service_imports_no_openrosa_module() -> None:
    # A fresh interpreter: in this one the test suite has imported openrosa/ already.
    probe = "import sys, truce.users.service; print(sorted(m for m in sys.modules if m.startswith('truce.openrosa')))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_ha1_is_the_hash_of_username_realm_and_password() -> None:
    for algorithm, name in (("MD5", "md5"), ("SHA-256", "sha256")):
        expected = hashlib.new(name, b"monitor.ru:Truce:correct horse").hexdigest()
        assert digest_secrets.ha1(algorithm, "monitor.ru", "correct horse") == expected


def test_the_openrosa_server_checks_answers_with_the_accounts_realm_and_algorithms() -> None:
    assert digest.REALM == digest_secrets.REALM
    assert digest.ALGORITHMS is digest_secrets.ALGORITHMS
