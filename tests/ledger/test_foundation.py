"""The log is foundation: importing its service loads no domain package and no registry of tables."""

from __future__ import annotations

import json
import subprocess
import sys

from support import TIMEOUT, clean_env

# Everything above the foundation (docs/architecture.md, Layers).
ABOVE = (
    "missions",
    "places",
    "users",
    "incidents",
    "verification",
    "evidence",
    "movements",
    "agreement",
    "claims",
    "reports",
    "openrosa",
    "interop",
    "web",
    "api",
    "integrity",
    "models",
)


def test_the_log_service_imports_no_domain() -> None:
    # A fresh interpreter: in this one, other tests have imported everything already.
    # The guard is asked too: it once imported the table registry inside a function, on its first write.
    program = (
        "import json, sys\n"
        "from truce.ledger import service\n"
        "from truce.ledger.models import Logged, LogEntry, Witness\n"
        "assert issubclass(Witness, Logged) and not issubclass(LogEntry, Logged)\n"
        "print(json.dumps(sorted(name for name in sys.modules if name.startswith('truce.'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=clean_env(), timeout=TIMEOUT, check=True
    )
    loaded = json.loads(done.stdout)
    above = [name for name in loaded if name.split(".")[1] in ABOVE]
    assert above == [], f"truce.ledger.service imports {above}"
    assert "truce.ledger.service" in loaded
