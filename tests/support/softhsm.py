"""SoftHSM2 tokens carrying sandbox holder certificates, and the sandbox SPV service over TLS.

Fixtures for every test directory (the token agent's tests and the server's upload tests):
tests/conftest.py imports them.

SoftHSM reads SOFTHSM2_CONF when the module is first loaded and the module is loaded once per
process, so every token the tests need is initialised up front, in one session-scoped directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from tests.support.front_end import require_curl
from tests.support.requirements import service_missing

from anaf.agent.token import SOFTHSM_MODULE, CertificateInfo
from anaf.sandbox.dataset import Holder, get_dataset
from anaf.sandbox.spv import SpvServer, start_spv_server

USER_PIN = "1234"
SO_PIN = "87654321"
# token label -> sandbox holder whose certificate it carries (None: left empty)
TOKENS = {
    "small": "small", "large": "large", "persons": "persons", "none": "none",
    "other-small": "small", "empty": None, "spare": None,
}


@dataclass(frozen=True)
class SoftToken:
    label: str
    pin: str
    holder: Holder | None
    certificate: CertificateInfo | None


@dataclass(frozen=True)
class SoftHsm:
    module: str
    tokens: dict[str, SoftToken]


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    if shutil.which("softhsm2-util") is None or not os.path.exists(SOFTHSM_MODULE):
        service_missing("SoftHSM2 is not installed (softhsm2-util and its PKCS#11 module are needed)")
    from anaf.sandbox.token_certificates import issue_sandbox_certificate

    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    config = root / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(config))
        for label in TOKENS:
            subprocess.run(
                ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", USER_PIN, "--so-pin", SO_PIN],
                check=True, capture_output=True,
            )
        holders = get_dataset().holders
        tokens = {}
        for label, holder_key in TOKENS.items():
            certificate = (
                issue_sandbox_certificate(SOFTHSM_MODULE, label, USER_PIN, holder_key) if holder_key else None
            )
            tokens[label] = SoftToken(label, USER_PIN, holders[holder_key] if holder_key else None, certificate)
        yield SoftHsm(module=SOFTHSM_MODULE, tokens=tokens)


@pytest.fixture
async def spv_server() -> AsyncIterator[SpvServer]:
    # Its users run the agent, whose SPV transport is pycurl with OpenSSL's PKCS#11 engine.
    require_curl()
    server = await start_spv_server("127.0.0.1", 0)
    yield server
    server.close()
    await server.wait_closed()
