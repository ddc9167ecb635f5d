"""One SPV request through a host that behaves like ANAF's front end (TLS 1.2 handshake, renegotiation
for the client certificate signed on a SoftHSM2 token, 302 to /my.policy, cookie, 302 back, answer),
made by the token agent's transport, beside a plain `curl` of the same URL with the same token
(the same libcurl, OpenSSL and PKCS#11 engine, driven from the command line).

    python -m bench.spv_front_end [--requests 20]

Both are timed whole (the agent's transport runs one short-lived child process per request, curl is
one process per request) and by the transfer time libcurl itself reports; the ratios are agent/curl.
Needs apache2, pycurl built against the system's libcurl, libengine-pkcs11-openssl, SoftHSM2 and curl.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from anaf.agent.curl_transport import curl_get, openssl_config, pkcs11_uri, pycurl_missing
from anaf.agent.token import SOFTHSM_MODULE
from anaf.sandbox.ca import ca_certificate_path
from tests.support.front_end import apache_missing_reason, spv_front_end

LABEL = "bench"
PIN = "1234"


def _token(directory: Path) -> str:
    """A SoftHSM2 token carrying the 'small' sandbox holder's certificate; returns its key id (hex)."""
    (directory / "tokens").mkdir()
    config = directory / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(config)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", LABEL, "--pin", PIN, "--so-pin", "87654321"],
                   check=True, capture_output=True)
    from anaf.sandbox.token_certificates import issue_sandbox_certificate

    return issue_sandbox_certificate(SOFTHSM_MODULE, LABEL, PIN, "small").key_id


def _agent(url: str, key_id: str) -> tuple[float, float]:
    started = time.perf_counter()
    result = curl_get(url, module_path=SOFTHSM_MODULE, token_label=LABEL, key_id_hex=key_id, pin=PIN,
                      ca_file=ca_certificate_path())
    wall = time.perf_counter() - started
    assert result.status == 200 and result.redirects == 2, (result.status, result.redirects)
    return wall, result.seconds


def _curl(url: str, key_id: str, openssl_conf: Path) -> tuple[float, float]:
    # The PIN goes in curl's config on stdin, not on its command line.
    config = (f'engine = "pkcs11"\ncert-type = "ENG"\ncert = "{pkcs11_uri(LABEL, key_id, "cert")}"\n'
              f'key-type = "ENG"\nkey = "{pkcs11_uri(LABEL, key_id, "private")}"\npass = "{PIN}"\n')
    started = time.perf_counter()
    completed = subprocess.run(
        ["curl", "--silent", "--show-error", "--output", "/dev/null", "--config", "-", "--http1.1", "--tlsv1.2",
         "--tls-max", "1.2", "--cacert", str(ca_certificate_path()), "--location", "--cookie", "",
         "--write-out", "%{http_code} %{num_redirects} %{time_total}", url],
        input=config.encode(), capture_output=True, env={**os.environ, "OPENSSL_CONF": str(openssl_conf)}, check=True,
    )
    wall = time.perf_counter() - started
    status, redirects, seconds = completed.stdout.decode().split()
    assert (status, redirects) == ("200", "2"), completed.stdout
    return wall, float(seconds)


async def main(requests: int) -> None:
    missing = apache_missing_reason() or pycurl_missing()
    if missing or shutil.which("curl") is None or shutil.which("softhsm2-util") is None:
        raise SystemExit(f"cannot run: {missing or 'curl and softhsm2-util are needed'}")
    with tempfile.TemporaryDirectory(prefix="bench-spv-") as directory:
        key_id = await asyncio.to_thread(_token, Path(directory))
        openssl_conf = Path(directory) / "openssl.cnf"
        openssl_conf.write_text(openssl_config(SOFTHSM_MODULE))
        async with spv_front_end() as front:
            url = front.base_url + "listaMesaje?zile=500"
            await asyncio.to_thread(_agent, url, key_id)  # warm-up: caches, the first Apache children
            await asyncio.to_thread(_curl, url, key_id, openssl_conf)
            agent, curl = [], []
            for _ in range(requests):  # alternate, so drift hits both alike
                agent.append(await asyncio.to_thread(_agent, url, key_id))
                curl.append(await asyncio.to_thread(_curl, url, key_id, openssl_conf))
            renegotiations = front.renegotiations()
    agent_wall, agent_transfer = (statistics.median(x) * 1000 for x in zip(*agent))
    curl_wall, curl_transfer = (statistics.median(x) * 1000 for x in zip(*curl))
    print(f"one SPV request through the front end (handshake + renegotiation + 302/302/200), "
          f"median of {requests}, {renegotiations} renegotiations in all:")
    print(f"  agent transport: {agent_wall:7.1f} ms whole ({agent_transfer:6.1f} ms libcurl transfer)")
    print(f"  curl CLI:        {curl_wall:7.1f} ms whole ({curl_transfer:6.1f} ms libcurl transfer)")
    print(f"  ratio agent/curl: {agent_wall / curl_wall:.2f}x whole, {agent_transfer / curl_transfer:.2f}x transfer")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20)
    asyncio.run(main(parser.parse_args().requests))
