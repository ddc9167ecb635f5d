"""``portofoliu agent ...`` end to end: token, sandbox SPV over TLS, upload to a stub server."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pkcs11 import TokenFlag

from anaf.agent.cli import agent, issue_certificate_command
from anaf.agent.token import list_certificates, pin_tries_note
from anaf.agent.statement import StatementError, verify_statement
from anaf.sandbox.ca import load_ca
from tests.support.servers import serve

pytestmark = pytest.mark.softhsm
PAIRING_CODE = "K7Q-2MX-9TD"


class StatementInbox:
    """What the product's upload endpoint does with a statement, reduced to the verification."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.verified = []

    async def endpoint(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.received.append(body)
        try:
            verified = verify_statement(
                body["statement"], body["signature"], body["certificate"],
                trusted_cas=[load_ca().certificate], now=dt.datetime.now(dt.timezone.utc),
            )
        except StatementError as error:
            return JSONResponse({"error": {"code": error.code, "message": error.message}}, status_code=400)
        if verified.statement.pairing_code != PAIRING_CODE:
            return JSONResponse(
                {"error": {"code": "PAIRING_CODE_INVALID", "message": "The pairing code is unknown or used."}},
                status_code=400,
            )
        self.verified.append(verified)
        statement = verified.statement
        return JSONResponse({"accepted": True, "companies": len(statement.cuis), "persons": len(statement.cnps)})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/agent/statements", self.endpoint, methods=["POST"])])


async def _discover(softhsm, spv_server, server_url, label, pin_lines, *, pairing_code=PAIRING_CODE, pin_stdin=True):
    arguments = [
        "discover", "--server", server_url, "--pairing-code", pairing_code, "--module", softhsm.module,
        *(["--token-label", label] if label else []), "--anaf", "sandbox", "--spv-url", spv_server.base_url,
        *(["--pin-stdin"] if pin_stdin else []),
    ]
    return await asyncio.to_thread(CliRunner().invoke, agent, arguments, input=pin_lines)


def test_certificates_command_prints_a_table(softhsm):
    result = CliRunner().invoke(agent, ["certificates", "--module", softhsm.module, "--token-label", "persons"])
    assert result.exit_code == 0, result.output
    holder = softhsm.tokens["persons"].holder
    header, row = result.output.strip().splitlines()
    assert header.split()[:4] == ["TOKEN", "LABEL", "SERIAL", "VALID"]
    assert holder.serial in row and holder.name in row


async def test_discover_uploads_a_statement_the_server_verifies(softhsm, spv_server):
    inbox = StatementInbox()
    holder = softhsm.tokens["persons"].holder
    async with serve(inbox.app()) as server_url:
        result = await _discover(softhsm, spv_server, server_url, "persons", "1234\n")
    assert result.exit_code == 0, result.output
    assert "ANAF lists 10 companies and 3 persons." in result.output
    assert result.output.strip().splitlines()[-1] == (
        f"Done: {server_url} accepted the list ANAF gives for {holder.name}'s certificate, 10 companies and 3 persons.")
    [verified] = inbox.verified
    assert verified.certificate_serial == holder.serial
    assert verified.statement.cuis == holder.cuis and verified.statement.cnps == holder.cnps
    assert inbox.received[0]["algorithm"] == "RSA-PSS-SHA256"


async def test_discover_prints_the_servers_refusal(softhsm, spv_server):
    inbox = StatementInbox()
    async with serve(inbox.app()) as server_url:
        result = await _discover(softhsm, spv_server, server_url, "small", "1234\n", pairing_code="WRONG")
    assert result.exit_code == 1
    assert "The pairing code is unknown or used. (PAIRING_CODE_INVALID)" in result.output


async def test_wrong_pin_is_reported_once_and_nothing_is_sent(softhsm, spv_server):
    inbox = StatementInbox()
    async with serve(inbox.app()) as server_url:
        # The right PIN on the next line is never read: the agent does not try again.
        result = await _discover(softhsm, spv_server, server_url, "small", "9999\n1234\n")
    assert result.exit_code == 1
    assert result.output.count("Wrong PIN") == 1
    # SoftHSM2 raises CKF_USER_PIN_COUNT_LOW after a wrong PIN; the agent passes that on.
    assert "The token says wrong PINs were entered since its last right one" in result.output
    assert inbox.received == []


def test_the_tries_note_follows_the_tokens_flags():
    assert "ONE try is left" in pin_tries_note(TokenFlag.USER_PIN_FINAL_TRY | TokenFlag.USER_PIN_COUNT_LOW)
    assert "few tries are left" in pin_tries_note(TokenFlag.USER_PIN_COUNT_LOW)
    assert "does not say" in pin_tries_note(TokenFlag.TOKEN_INITIALIZED)


async def test_without_a_label_the_agent_lists_the_tokens_and_uses_the_chosen_one(softhsm, spv_server):
    inbox = StatementInbox()
    tokens = list(dict.fromkeys(c.token_label for c in list_certificates(softhsm.module)))
    choice = tokens.index("persons") + 1
    async with serve(inbox.app()) as server_url:
        # The PIN is asked at the prompt, without echo.
        result = await _discover(softhsm, spv_server, server_url, None, f"{choice}\n1234\n", pin_stdin=False)
    assert result.exit_code == 0, result.output
    holder = softhsm.tokens["persons"].holder
    assert "Tokens with a certificate:" in result.output
    assert f"  {choice}. persons: {holder.name}, serial {holder.serial}" in result.output
    assert f"Which token (1-{len(tokens)}): {choice}\n" in result.output
    assert "Token PIN: \n" in result.output and "Token PIN: 1234" not in result.output
    [verified] = inbox.verified
    assert verified.certificate_serial == holder.serial

def test_issue_certificate_command_puts_a_holder_certificate_on_a_token(softhsm):
    result = CliRunner().invoke(
        issue_certificate_command,
        ["--holder", "medium", "--module", softhsm.module, "--token-label", "spare", "--pin-stdin"],
        input="1234\n",
    )
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(agent, ["certificates", "--module", softhsm.module, "--token-label", "spare"])
    assert "Andrei Mure" in listed.output
