"""Where the token agent talks to, and whom it trusts, in production and in the sandbox.

- ``production``: ANAF's SPV web service, whose server certificate chains to a public CA: the
  agent trusts the system's trust store (or certifi's), never the sandbox CA, whose key is public.
- ``sandbox``: the sandbox SPV service (``portofoliu sandbox spv``), trusted through the sandbox CA.

The server prints the command line an accountant runs (:func:`discover_command`); it names the
mode, so the agent's trust follows the server's ``ANAF_MODE``. Kept free of PKCS#11 and TLS imports:
the server builds the command line with it.
"""

from __future__ import annotations

import shlex

PRODUCTION = "production"
SANDBOX = "sandbox"
MODES = (PRODUCTION, SANDBOX)
PRODUCTION_SPV_URL = "https://webserviced.anaf.ro/SPVWS2/rest/"
SANDBOX_SPV_URL = "https://127.0.0.1:8443/SPVWS2/rest/"


def default_spv_url(mode: str) -> str:
    return PRODUCTION_SPV_URL if mode == PRODUCTION else SANDBOX_SPV_URL


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def discover_command(server_url: str, pairing_code: str, *, mode: str, spv_url: str | None = None) -> str:
    """``portofoliu agent discover ...`` as the accountant should run it for this server's mode."""
    if mode not in MODES:
        raise ValueError(f"unknown ANAF mode {mode!r}")
    words = ["portofoliu", "agent", "discover", "--server", server_url, "--pairing-code", pairing_code,
             "--anaf", mode]
    if spv_url and not _same_url(spv_url, default_spv_url(mode)):
        words += ["--spv-url", spv_url]
    return shlex.join(words)
