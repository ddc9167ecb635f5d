"""The agent against a host that behaves like ANAF's live SPV front end (Apache: client certificate by
renegotiation, MRHSession cookie, 302s), from the token to the firm's portfolio."""

from __future__ import annotations

import asyncio
import shlex

import pytest
from click.testing import CliRunner

from anaf.agent.cli import agent
from anaf.agent.discover import DiscoveryRequest, run_discovery
from anaf.agent.modes import discover_command
from anaf.agent.spv_client import SpvConnectionRefused, SpvError, TlsliteTransport, load_ca_bundle
from anaf.agent.token import TokenSigner
from anaf.sandbox.ca import ca_certificate_path
from tests.anaf.agent.test_cli import StatementInbox
from tests.support.discovery import accounting_firm, all_entries, finished_run
from tests.support.factories import holder
from tests.support.front_end import require_curl, spv_front_end
from tests.support.servers import serve
from tests.support.tls import make_loopback_tls

pytestmark = pytest.mark.softhsm

PAIR = """mutation($id: ID!) { createAgentPairing(companyId: $id) { pairing { code command } errors { code } } }"""


async def _pairing(service, token: str, company_id: str) -> dict:
    result = (await service.client(token).execute(PAIR, id=company_id))["createAgentPairing"]
    assert result["errors"] == []
    return result["pairing"]


async def _run_printed_command(command: str, *extra: str, pin_lines: str = "1234\n"):
    """The command line the server printed, as the accountant runs it, plus what only a test adds
    (where the local hosts listen, the SoftHSM module, the PIN on stdin)."""
    words = shlex.split(command)
    assert words[:3] == ["portofoliu", "agent", "discover"]
    return await asyncio.to_thread(CliRunner().invoke, agent, [*words[2:], *extra, "--pin-stdin"], input=pin_lines)


async def test_the_agent_passes_the_front_end_and_the_portfolio_gains_the_spv_companies(service, db, softhsm):
    require_curl()
    from domain.portfolio.models import SpvRightsUpload

    h = holder("persons")
    token, firm = await accounting_firm(service, "persons")
    pairing = await _pairing(service, token, firm["id"])
    assert "--anaf sandbox" in pairing["command"]
    async with spv_front_end() as front:
        result = await _run_printed_command(
            pairing["command"], "--server", service.url, "--spv-url", front.base_url,
            "--module", softhsm.module, "--token-label", "persons",
        )
        assert result.exit_code == 0, result.output
        # The front end's dance: 302 to its access policy, which renegotiates for the certificate,
        # sets the session cookie and 302s back; only then the answer.
        assert [line.rsplit(" ", 1)[1] for line in front.access_log()] == ["302", "302", "200"]
        assert front.access_log()[1].startswith("GET /my.policy ")
        assert front.renegotiations() == 1
    lines = result.output.strip().splitlines()
    assert f"ANAF lists {len(h.cuis)} companies and {len(h.cnps)} persons." in lines
    assert lines[-1] == (f"Done: {service.url} accepted the list ANAF gives for {h.name}'s certificate, "
                         f"{len(h.cuis)} companies and {len(h.cnps)} persons.")
    [upload] = await SpvRightsUpload.all()
    assert sorted(upload.cuis) == sorted(h.cuis) and sorted(upload.cnps) == sorted(h.cnps)
    run = await finished_run(service, token, firm["id"])
    assert run["status"] == "SUCCEEDED"
    entries = await all_entries(service, token, firm["id"])
    assert {e["cui"] for e in entries} == set(h.cuis) - {h.firm_cui}
    assert all("SPV" in e["sources"] for e in entries)


async def test_the_tlslite_transport_cannot_pass_the_front_end(service, db, softhsm):
    """The transport the agent had before: it refuses the renegotiation, so nothing reaches the server."""
    from domain.portfolio.models import SpvRightsUpload

    token, firm = await accounting_firm(service, "persons")
    pairing = await _pairing(service, token, firm["id"])
    async with spv_front_end() as front:
        request = DiscoveryRequest(server_url=service.url, pairing_code=pairing["code"], module_path=softhsm.module,
                                   token_label="persons", spv_url=front.base_url, ca_bundle=ca_certificate_path())

        def old(signer: TokenSigner) -> TlsliteTransport:
            return TlsliteTransport(signer, signer.certificate.certificate, load_ca_bundle(ca_certificate_path()))

        # It takes the front end's first 302 for a refusal...
        with pytest.raises(SpvError, match="HTTP 302"):
            await run_discovery(request, "1234", lambda line: None, transport=old)
        # ...and where the front end asks for the certificate, it refuses to renegotiate.
        async with TokenSigner(softhsm.module, "persons", "1234") as signer:
            with pytest.raises(SpvConnectionRefused) as refused:
                await asyncio.to_thread(old(signer).get, front.base_url.replace("/SPVWS2/rest/", "/my.policy"))
        assert "handshake_failure" in str(refused.value)
        assert front.renegotiations() == 1  # asked, refused
        assert not any(line.endswith(" 200") for line in front.access_log())
    assert await SpvRightsUpload.all().count() == 0
    assert await all_entries(service, token, firm["id"]) == []


@pytest.mark.parametrize("server_ca", ["public", "sandbox"])
async def test_the_production_command_trusts_public_cas_and_refuses_the_sandbox_ca(
        softhsm, tmp_path, monkeypatch, server_ca):
    """``ANAF_MODE=production``: the printed command trusts the system's store (here a locally made
    "public" CA, set as the trust store for the test) and never the sandbox CA."""
    require_curl()
    public = make_loopback_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(public.ca_file))  # the "system" trust store of this test
    command = discover_command("https://app.example.ro", "K7Q-2MX-9TD", mode="production",
                               spv_url="https://webserviced.anaf.ro/SPVWS2/rest")
    assert command == ("portofoliu agent discover --server https://app.example.ro --pairing-code K7Q-2MX-9TD "
                       "--anaf production")
    identity = {"certificate": public.cert_file, "key": public.key_file} if server_ca == "public" else {}
    inbox = StatementInbox()
    async with serve(inbox.app()) as server_url, spv_front_end(**identity) as front:
        result = await _run_printed_command(
            command, "--server", server_url, "--spv-url", front.base_url,
            "--module", softhsm.module, "--token-label", "small", pin_lines="1234\n",
        )
    if server_ca == "public":
        assert result.exit_code == 0, result.output
        assert len(inbox.verified) == 1
    else:
        assert result.exit_code == 1
        assert "not trusted" in result.output
        assert inbox.received == []


async def test_the_agent_says_what_is_missing_when_the_engine_or_the_module_cannot_load(softhsm, monkeypatch):
    require_curl()
    from anaf.agent.curl_transport import CurlTransportError, curl_get

    token = softhsm.tokens["small"]
    async with spv_front_end() as front:
        def get(module_path: str) -> None:
            curl_get(front.base_url + "listaMesaje?zile=500", module_path=module_path, token_label="small",
                     key_id_hex=token.certificate.key_id, pin="1234", ca_file=ca_certificate_path())

        with pytest.raises(CurlTransportError) as no_module:
            await asyncio.to_thread(get, "/nonexistent/libvendor-pkcs11.so")
        assert no_module.value.kind == "module"
        assert "could not load the token's module /nonexistent/libvendor-pkcs11.so" in no_module.value.message

        monkeypatch.setenv("OPENSSL_ENGINES", "/nonexistent/engines")  # as if libengine-pkcs11-openssl were missing
        with pytest.raises(CurlTransportError) as no_engine:
            await asyncio.to_thread(get, softhsm.module)
        assert no_engine.value.kind == "engine"
        assert "libengine-pkcs11-openssl" in no_engine.value.message
        assert front.access_log() == []  # nothing was asked without the token
