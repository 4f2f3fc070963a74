"""Property-based fuzzing of the OpenAPI document with every check schemathesis has.

The schemathesis CLI runs against the load balancer as a client would, through all its
phases (examples, coverage, fuzzing, stateful), with `--checks all`: no 5xx, every status
and header documented, every answer in its schema, schema-valid input accepted and
schema-invalid input refused, 405 with `Allow` for other methods, auth enforced. The
run is deterministic (the same cases every time) and its summary is printed. The
repository's schemathesis.toml counts a 413 (a body over the size limit) as a rejection
of invalid input.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api import Api

pytestmark = pytest.mark.integration

EXAMPLES = 60
"""Cases per operation and phase: what a 60-example run finds, this run finds."""
_TIMEOUT_S = 600
CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"


def test_every_operation_passes_every_check(stack, tmp_path: Path):
    base = f"http://127.0.0.1:{stack.port('lb_port')}"
    token = Api(base).sign_up("fuzz").token
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--generation-deterministic",
        # One worker: with two, schemathesis' threads build hypothesis lambdas' reprs at
        # once, and CPython 3.11's ast.parse is not thread-safe ("AST constructor
        # recursion depth mismatch", a runtime error that fails the run now and then).
        "--workers",
        "1",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
        "--no-color",
        f"{base}/openapi.json",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False, cwd=tmp_path
    )
    summary = done.stdout[done.stdout.rfind("SUMMARY") - 40 :]
    print(summary)  # shown with -s, and with the failure otherwise
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-5_000:]
    selected = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", summary)
    assert selected, summary
    chosen, total, tested = map(int, selected.groups())
    assert chosen == total == tested >= 20  # every operation of the document
    assert re.search(r"\d+ generated, \d+ passed", summary), summary
