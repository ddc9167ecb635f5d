"""The SPV front-end benchmark still runs end to end (one request each way)."""

import shutil
import subprocess
import sys

import pytest

from tests.support.front_end import require_apache, require_curl
from tests.support.processes import ROOT
from tests.support.requirements import service_missing

pytestmark = pytest.mark.softhsm


def test_the_spv_front_end_benchmark_times_the_agent_beside_curl():
    require_apache()
    require_curl()
    if shutil.which("softhsm2-util") is None or shutil.which("curl") is None:
        service_missing("softhsm2-util and curl are needed")
    # Its own process: it sets up its own SoftHSM2 token directory before the module is loaded.
    completed = subprocess.run([sys.executable, "-m", "bench.spv_front_end", "--requests", "1"], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert "4 renegotiations in all" in lines[0]  # one per request: a warm-up and a timed one each way
    assert lines[1].lstrip().startswith("agent transport:") and lines[2].lstrip().startswith("curl CLI:")
    assert lines[3].lstrip().startswith("ratio agent/curl:")
