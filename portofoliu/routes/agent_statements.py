"""`POST /agent/statements`: the token agent uploads the signed SPV rights list of a certificate.

Body: {"statement": base64, "signature": base64, "certificate": PEM, "algorithm": "RSA-PSS-SHA256"}.
Answer: 200 {"accepted": true, "companies": N, "persons": M, "discoveryRunId": id} or 4xx
{"error": {"code", "message"}}. The rules live in `domain.portfolio.spv_rights`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from domain.portfolio.spv_rights import StatementRejected, accept_statement

AGENT_STATEMENTS_PATH = "/agent/statements"
MAX_BODY_BYTES = 2 * 1024 * 1024  # a statement for thousands of CUIs is well under this


def _refuse(code: str, message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def agent_statements(request: Request) -> JSONResponse:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _refuse("TOO_LARGE", "The statement is too large.", 413)
    try:
        payload = await request.json()
    except ValueError:
        return _refuse("MALFORMED_STATEMENT", "The body must be JSON.")
    services = request.app.state.services
    try:
        accepted = await accept_statement(payload, trusted_cas=services.trusted_agent_cas, runner=services.discovery)
    except StatementRejected as rejected:
        return _refuse(rejected.code, rejected.message, rejected.status)
    return JSONResponse({"accepted": True, "companies": accepted.companies, "persons": accepted.persons,
                         "discoveryRunId": accepted.run_id})
