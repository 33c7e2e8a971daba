"""The API against its own description: schemathesis drives /api/v1 from /api/v1/openapi.json, 0 server errors.

A live server (the real app in a thread) on each database, a real token of a manager with every
scope, real tickets to find: schemathesis generates valid and invalid requests for every operation
(a bounded number each, so the test stays under a minute) and fails on any 5xx.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from feedback import tokens
from tests import factories

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
EXAMPLES = 10  # per operation and phase: about 25 s per database


@pytest.fixture
def live_api(app, session, loaded_taxonomy):
    """The app served on a free port, with tickets in it and a token that may do everything."""
    manager = factories.make_user(session, role="manager", department="service")
    for _ in range(3):
        factories.make_feedback(session)
    _token, plain = tokens.create_token(session, name="contract", scopes=list(tokens.SCOPES), user=manager, now=factories.NOW)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", plain
    server.shutdown()


def test_no_operation_answers_with_a_server_error(live_api, tmp_path):
    url, token = live_api
    report = tmp_path / "report.ndjson"
    done = subprocess.run(
        [SCHEMATHESIS, "run", f"{url}/api/v1/openapi.json", "--checks", "not_a_server_error",
         "--header", f"Authorization: Bearer {token}", "--max-examples", str(EXAMPLES), "--seed", "20261124",
         "--phases", "examples,coverage,fuzzing", "--workers", "1", "--no-color", "--suppress-health-check", "all",
         "--report", "ndjson", "--report-ndjson-path", str(report)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-6000:]
    generated, passed = map(int, re.search(r"(\d+) generated, (\d+) passed", done.stdout).groups())
    selected, total = map(int, re.search(r"Selected: (\d+)/(\d+)", done.stdout).groups())
    assert generated == passed > 100 and selected == total >= 5  # every operation exercised, none failed
    finished = [json.loads(line) for line in report.read_text().splitlines() if '"ScenarioFinished"' in line]
    assert finished  # the run report agrees that scenarios really ran
